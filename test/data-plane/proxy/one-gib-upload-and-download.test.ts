// A 1 GiB upload and a 1 GiB download through `sluice proxy` with the proxy's memory growing by less
// than 50 MB: bodies are streamed with backpressure both ways, never buffered whole.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { startProxyProcess } from '../helpers/proxy-process.js';

const GIB = 1024 ** 3;
const CHUNK = Buffer.alloc(1024 * 1024, 'x');

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Writes `total` bytes to `sink`, waiting for drain whenever it asks to. */
async function pump(sink: NodeJS.WritableStream, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    if (!sink.write(CHUNK)) await new Promise((resolve) => sink.once('drain', resolve));
  }
  sink.end();
}

async function sh(command: string): Promise<string> {
  return (await promisify(execFile)('/bin/sh', ['-c', command], { maxBuffer: 1 << 20 })).stdout;
}

test('1 GiB up and 1 GiB down through the proxy; proxy memory grows under 50 MB', { timeout: 120_000 }, async (t) => {
  const upstream = await startUpstream((req, res) => {
    if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(String(n)));
      return;
    }
    res.writeHead(200, { 'content-length': String(GIB) });
    void pump(res, GIB);
  });
  t.after(() => upstream.close());
  const proxy = await startProxyProcess(yamlDocs(
    clusterYaml('bulk', [upstream.port]),
    catchAllRouteYaml('bulk', 'bulk', 'timeoutMs: 60000'),
    listenerYaml('main'),
  ), ['--workers', '1', '--admin-listen', 'off']);
  t.after(() => proxy.stop());
  const port = proxy.ports.get('main')!;

  // Warm up, then take the baseline.
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => httpRequest({ port, method: 'POST', path: '/w' }, (r) => r.resume().on('end', resolve)).end('warm'));
  const baseline = rssBytes(proxy.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(proxy.pid))), 50);
  t.after(() => clearInterval(sampler));

  // curl on both legs: the upload streams from a pipe, so it goes chunked (size unknown to the proxy).
  const up = await sh(`head -c ${GIB} /dev/zero | curl -sS --fail -T - -X POST http://127.0.0.1:${port}/up`);
  assert.equal(up, String(GIB));
  const down = await sh(`curl -sS --fail -o /dev/null -w '%{size_download}' http://127.0.0.1:${port}/down`);
  assert.equal(down, String(GIB));

  clearInterval(sampler);
  const growthMb = (peak - baseline) / 1e6;
  assert.ok(growthMb < 50, `proxy RSS grew by ${growthMb.toFixed(1)} MB (baseline ${(baseline / 1e6).toFixed(1)} MB)`);
  t.diagnostic(`proxy RSS baseline ${(baseline / 1e6).toFixed(1)} MB, peak growth ${growthMb.toFixed(1)} MB`);
});
