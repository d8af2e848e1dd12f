import { buildService, InProcessTransport, type BuiltService, type Database, type ServiceDefinition, type SettingsSource, type SettingsSpec, type Transport } from '@emporium/kit';
import type { DatabaseKind } from './databases.ts';
import { testTokens, type TestTokens } from './tokens.ts';

/** A service built for a test on a fresh database, with its signing key and transport. */
export interface TestService<S extends SettingsSpec = SettingsSpec> {
  built: BuiltService<S>;
  app: BuiltService<S>['app'];
  tokens: TestTokens;
  transport: Transport;
  db: Database;
  /** Closes the service, then the transport, then the database. */
  close(): Promise<void>;
}

/** What a test may change about how `startTestService` builds and starts a service. */
export interface TestServiceOptions {
  /** The transport, when not a fresh in-process one. */
  transport?: Transport;
  /** Whether to call `built.start()` (subscriptions, relay, background tasks); true by default. */
  start?: boolean;
  /** The signing key to trust, when another service in the test must accept the same tokens. */
  tokens?: TestTokens;
}

/**
 * Builds `definition` on a database of `kind` named after it, with silent logs and `settings`,
 * a verifier trusting a fresh test key, and an in-process transport, then starts it.
 */
export async function startTestService<S extends SettingsSpec>(
  definition: ServiceDefinition<S>,
  kind: DatabaseKind,
  settings: SettingsSource = {},
  options: TestServiceOptions = {},
): Promise<TestService<S>> {
  const { db, close: closeDb } = await kind.open(definition.name);
  const tokens = options.tokens ?? (await testTokens());
  const transport = options.transport ?? new InProcessTransport();
  const release = async () => {
    await transport.close();
    await closeDb();
  };
  const built = await buildService(definition, { source: { LOG_LEVEL: 'silent', ...settings }, db, verifier: tokens.verifier, transport }).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  const close = async () => {
    await built.close();
    await release();
  };
  if (options.start ?? true) await built.start().catch(async (err: unknown) => {
    await close();
    throw err;
  });
  return {
    built,
    app: built.app,
    tokens,
    transport,
    db,
    close,
  };
}
