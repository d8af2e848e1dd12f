import { ensureWebBuilt } from '../tools/src/web.ts';

/**
 * Vitest global setup: builds the web app once before any test file runs, so the browser tests
 * and the `npm start` test do not both start a build into web/dist at the same time.
 */
export default async function setup(): Promise<void> {
  await ensureWebBuilt((line) => process.stderr.write(`${line}\n`));
}
