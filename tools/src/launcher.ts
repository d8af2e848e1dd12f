import { ConfigError, processEnv } from '@emporium/kit';
import { startDistributed } from './distributed.ts';
import { startEmbedded } from './embedded.ts';
import { seedDemo } from './seed/seed.ts';
import { DEV_ACCOUNTS } from './services.ts';
import { parseLauncherSettings } from './settings.ts';
import { ensureWebBuilt } from './web.ts';

const USAGE = `usage: tsx tools/src/launcher.ts <embedded|distributed>
  embedded      every service in this process, on PGlite in DATA_DIR (default ./.data)
  distributed   one OS process per service replica; needs DATABASE_URL; REPLICAS=2 or catalog=3,identity=2`;

function banner(gatewayUrl: string, mode: string, seeded: boolean, production: boolean): string {
  const lines = [
    '',
    `Emporium is running (${mode} mode).`,
    `  Storefront and API   ${gatewayUrl}/`,
    `  API docs             ${gatewayUrl}/api/v1/docs`,
    `  OpenAPI              ${gatewayUrl}/api/v1/openapi.json`,
  ];
  if (!production) {
    lines.push(
      `  Admin                ${DEV_ACCOUNTS.admin.email} / ${DEV_ACCOUNTS.admin.password}`,
      `  Shopper              ${DEV_ACCOUNTS.shopper.email} / ${DEV_ACCOUNTS.shopper.password}`,
    );
  }
  lines.push(seeded ? '  (first start: the demo catalog was seeded)' : '', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'embedded' && mode !== 'distributed') {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const source = processEnv();
  const settings = parseLauncherSettings(source);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (!settings.WEB_DIR) await ensureWebBuilt(log);
  log(`Starting Emporium (${mode})…`);
  const platform = mode === 'embedded' ? await startEmbedded(source) : await startDistributed(source, (line) => process.stdout.write(`${line}\n`));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping…`);
    await platform.stop();
    log('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  const production = settings.NODE_ENV === 'production';
  const { seeded } = settings.SEED && !production ? await seedDemo(platform.gatewayUrl, log) : { seeded: false };
  process.stdout.write(banner(platform.gatewayUrl, mode, seeded, production));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`Emporium cannot start. ${err.message}\n`);
  else process.stderr.write(`Emporium cannot start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
