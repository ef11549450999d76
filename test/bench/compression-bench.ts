// Response compression through `sluice proxy`: compression ratio and the proxy's CPU per MB of body
// for gzip and brotli at the filter's default levels, on a realistic JSON API answer and an HTML page,
// next to the same bodies passed through uncompressed. The upstream (in this process) sends each
// body in 16 KiB pieces; one client fetches it over and over; the proxy's CPU comes from /proc.
//   flock /tmp/sluice-load.lock node dist/test/bench/compression-bench.js [--megabytes 64]
import { request, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../data-plane/helpers/config-yaml.js';
import { startUpstream } from '../data-plane/helpers/fake-upstream.js';
import { startProxyProcess } from '../data-plane/helpers/proxy-process.js';
import { median } from './median.js';
import { childrenOf, cpuTicks, TICK_HZ } from './process-cpu.js';

const { values } = parseArgs({ options: { megabytes: { type: 'string', default: '64' }, rounds: { type: 'string', default: '3' } } });
/** Body megabytes fetched per measurement. */
const MEGABYTES = Number(values.megabytes);
const ROUNDS = Number(values.rounds);
const MB = 1_000_000;

/** An API listing: records alike in shape, varied in content (ids, names, dates, numbers). */
function jsonBody(): Buffer {
  const cities = ['Lisbon', 'Osaka', 'Nairobi', 'Quito', 'Tallinn', 'Perth', 'Montreal', 'Accra'];
  const items = Array.from({ length: 2500 }, (_, i) => ({
    id: `ord_${(i * 2654435761) % 4294967296}`,
    customer: { name: `Customer ${i}`, email: `customer${i}@example.com`, city: cities[i % cities.length] },
    createdAt: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    total: Math.round(((i * 7919) % 100_000) * 1.07) / 100,
    currency: i % 5 === 0 ? 'EUR' : 'USD',
    lines: Array.from({ length: 1 + (i % 3) }, (_, j) => ({ sku: `SKU-${(i * 31 + j * 17) % 9973}`, quantity: 1 + ((i + j) % 4) })),
    status: ['paid', 'shipped', 'refunded', 'pending'][i % 4],
  }));
  return Buffer.from(JSON.stringify({ items, next: 'cursor_abc123' }));
}

/** A product-listing page: markup, inline attributes, text that varies. */
function htmlBody(): Buffer {
  const cards = Array.from({ length: 600 }, (_, i) =>
    `<li class="card product" data-id="${i}"><a href="/products/${i}-item-${(i * 37) % 1000}"><img src="/img/${i}.webp" alt="Item ${i}" loading="lazy" width="320" height="240"></a>` +
      `<h3 class="card-title">Item number ${i}: ${['blue', 'red', 'green'][i % 3]} ${['chair', 'lamp', 'desk', 'shelf'][i % 4]}</h3><p class="price">$${((i * 7919) % 50000) / 100}</p>` +
      `<button type="button" class="btn btn-primary" aria-label="Add item ${i} to cart">Add to cart</button></li>`);
  return Buffer.from(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="stylesheet" href="/app.css"></head><body><main><ul class="grid">${cards.join('\n')}</ul></main></body></html>`);
}

const BODIES: Record<string, { type: string; body: Buffer }> = {
  json: { type: 'application/json', body: jsonBody() },
  html: { type: 'text/html; charset=utf-8', body: htmlBody() },
};

function fetchOnce(port: number, path: string, acceptEncoding: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === '' ? {} : { 'accept-encoding': acceptEncoding };
    request({ host: '127.0.0.1', port, path, headers }, (res: IncomingMessage) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve(bytes));
    })
      .on('error', reject)
      .end();
  });
}

const upstream = await startUpstream((req, res) => {
  const { type, body } = BODIES[req.url!.slice(1)]!;
  res.writeHead(200, { 'content-type': type, 'content-length': String(body.length) });
  let at = 0;
  const next = (): void => {
    if (at >= body.length) return void res.end();
    if (res.write(body.subarray(at, (at += 16 * 1024)))) next();
    else res.once('drain', next);
  };
  next();
});
const proxy = await startProxyProcess(
  yamlDocs(clusterYaml('up', [upstream.port]), catchAllRouteYaml('up', 'up', 'filters: [{name: compression}]'), listenerYaml('main')),
  ['--workers', '1', '--admin-listen', 'off'],
);
const port = proxy.ports.get('main')!;
const pids = (): number[] => [proxy.pid, ...childrenOf(proxy.pid)];

const rows: string[] = [];
try {
  for (const [name, { body }] of Object.entries(BODIES)) {
    const requests = Math.max(1, Math.round((MEGABYTES * MB) / body.length));
    for (const [label, acceptEncoding] of [['identity', ''], ['gzip (level 6)', 'gzip'], ['br (quality 4)', 'br']] as const) {
      await fetchOnce(port, `/${name}`, acceptEncoding); // warm-up
      const cpuPerMb: number[] = [];
      let sent = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const before = cpuTicks(pids());
        sent = 0;
        for (let i = 0; i < requests; i++) sent += await fetchOnce(port, `/${name}`, acceptEncoding);
        cpuPerMb.push((((cpuTicks(pids()) - before) / TICK_HZ) * 1000) / ((requests * body.length) / MB));
      }
      const ratio = (requests * body.length) / sent;
      rows.push(`| ${name} (${Math.round(body.length / 1000)} kB) | ${label} | ${Math.round(sent / requests / 100) / 10} kB | ${ratio.toFixed(1)}× | ${median(cpuPerMb).toFixed(1)} ms |`);
    }
  }
} finally {
  await proxy.stop();
  await upstream.close();
}
console.log(`${MEGABYTES} MB of body per measurement, median of ${ROUNDS}; proxy CPU per MB of uncompressed body.\n`);
console.log('| body | coding | sent per response | ratio | proxy CPU per MB |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
