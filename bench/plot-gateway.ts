/** Redraws bench/results/gateway.svg from bench/results/gateway.json, without measuring again. */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gatewayChart } from './gateway-chart.ts';

const dir = fileURLToPath(new URL('./results/', import.meta.url));
const results = JSON.parse(await readFile(`${dir}gateway.json`, 'utf8'));
await writeFile(`${dir}gateway.svg`, gatewayChart(results));
process.stderr.write(`Wrote ${dir}gateway.svg\n`);
