import { barChart } from './lib/plot.ts';

interface Row {
  upstream: string;
  via: string;
  peak: { rps: number };
}

/** The gateway benchmark's chart: peak req/s per upstream, straight, through nginx, through the gateway. */
export function gatewayChart(results: { machine: { cpus: number; date: string }; results: Row[] }): string {
  const vias = ['direct', 'nginx', 'gateway'];
  const groups = ['trivial', 'catalog'].map((upstream) => ({
    label: upstream === 'trivial' ? 'trivial upstream' : 'catalog GET /products/:id',
    values: vias.map((via) => results.results.find((r) => r.upstream === upstream && r.via === via)?.peak.rps ?? 0),
  }));
  return barChart({
    title: 'Peak throughput of one GET (wrk -t2 -c64)',
    unit: 'requests per second',
    series: ['straight to the service', 'through nginx', 'through the gateway'],
    groups,
    note: `${results.machine.cpus} cores shared by wrk, the proxies and the services · ${results.machine.date.slice(0, 10)}`,
  });
}
