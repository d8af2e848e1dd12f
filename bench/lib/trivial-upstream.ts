import { createServer } from 'node:http';
import { processEnv } from '@emporium/kit';

// A stand-in upstream that answers every request with a fixed product-sized JSON body, so that
// the proxies, not the service behind them, are what a benchmark measures.
const body = JSON.stringify({
  id: '7d1f7c55-0a8e-4b8e-9a43-1d6f1f5d6a10',
  sku: 'BENCH-001',
  name: 'Benchmark Mug',
  description: 'A plain mug with a fixed description, used to measure proxies rather than services.',
  price: { amount: 1299, currency: 'USD' },
  category: { id: 'b0f3', slug: 'kitchen', name: 'Kitchen' },
  stock: { available: 42 },
});
const port = Number(processEnv().PORT ?? 0);
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
