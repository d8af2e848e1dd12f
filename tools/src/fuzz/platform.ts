import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../embedded.ts';
import { seedDemo } from '../seed/seed.ts';

/** A seeded platform in embedded mode on a throwaway data directory. */
export interface FuzzPlatform {
  gatewayUrl: string;
  /** Stops the platform and deletes its data. */
  stop(): Promise<void>;
}

/**
 * The settings the fuzzer runs the platform with. Rate limits are raised so the fuzzer's own
 * pace is not what gets refused (429 stays reachable through the login limit per email), tokens
 * outlive any run, and saga steps time out after 3 s so an order paid with the card that never
 * answers settles within I1's 30 s.
 */
export const FUZZ_SETTINGS = {
  PORT: '0',
  SERVICE_PORT_BASE: '0',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_IP: '1000000',
  RATE_LIMIT_PER_USER: '1000000',
  LOGIN_MAX_FAILURES_PER_IP: '100000',
  ACCESS_TOKEN_TTL_SECONDS: '86400',
  SAGA_STEP_TIMEOUT_MS: '3000',
  // Every sign-in and registration the fuzzer makes would otherwise cost a full scrypt hash.
  PASSWORD_SCRYPT_LOG2N: '10',
  // No faults file: the fuzzer, as admin, sends valid PUT /api/v1/ops/faults bodies too, and a
  // fault it switched on (a crash above all) would break its own run. The route answers 409 here,
  // after validating the body, so its validation is still fuzzed.
  FAULTS_FILE: '',
};

/** Starts the whole platform in this process, seeded with the demo catalog. */
export async function startFuzzPlatform(): Promise<FuzzPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'emporium-fuzz-'));
  try {
    const platform = await startEmbedded({ ...FUZZ_SETTINGS, DATA_DIR: dataDir });
    try {
      await seedDemo(platform.gatewayUrl, () => {});
    } catch (err) {
      await platform.stop();
      throw err;
    }
    return {
      gatewayUrl: platform.gatewayUrl,
      stop: async () => {
        await platform.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
