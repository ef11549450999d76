// The real `sluice proxy --workers 2` with a TCP listener: an active TCP connect check takes the endpoint
// that refuses out (outlier detection off, so only the check can: every connection then needs one try),
// /metrics sums the workers' TCP counters, each connection writes one access-log line, and SIGTERM
// drains: an open connection keeps flowing until --drain-timeout-ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { until } from '../../support/until.js';
import { startProxyProcess } from '../helpers/proxy-process.js';
import { local, tcpListenerYaml } from '../helpers/tcp-listener-yaml.js';
import { exchange, startTcpUpstream } from '../helpers/tcp-servers.js';

interface TcpLine {
  type: string;
  attempts: number;
  result: string;
  end: string | null;
  bytesReceived: number;
  bytesSent: number;
  endpoint: string;
}

function tcpLines(file: string): TcpLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.includes('"type":"tcp"')).map((l) => JSON.parse(l) as TcpLine);
}

async function metric(adminPort: number, line: RegExp): Promise<number | undefined> {
  const page = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = line.exec(page);
  return m === null ? undefined : Number(m[1]);
}

test('two workers: a TCP check skips the refusing endpoint, counters add up, one log line each, SIGTERM drains', { timeout: 90_000 }, async (t) => {
  const echo = await startTcpUpstream();
  t.after(() => echo.close());
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const dead = (gone.address() as { port: number }).port;
  await new Promise((r) => gone.close(r));
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tcp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'access.log');
  const [port, adminPort] = [await freePort(), await freePort()];
  const yaml = tcpListenerYaml(`${local(dead)}, ${local(echo.port)}`, {
    cluster: 'healthCheck: {tcp: {}, intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 1, healthyThreshold: 1}\noutlierDetection: {disabled: true}',
  }).replace('port: 0', `port: ${port}`);
  const proxy = await startProxyProcess(yaml, ['--workers', '2', '--admin-listen', `127.0.0.1:${adminPort}`, '--access-log', log, '--drain-timeout-ms', '2000']);
  t.after(() => proxy.stop());

  await until('the check marked the refusing endpoint unhealthy', () => metric(adminPort, /^sluice_proxy_health_transitions_total\{cluster="db",health="UNHEALTHY"\} (\d+)/m));
  // Round robin would send every other connection to the refusing endpoint first (two tries); once
  // the verdict reached both workers, each batch of ten needs one try each.
  await until('ten connections in a row each took one try', async () => {
    const before = tcpLines(log).length;
    for (let i = 0; i < 10; i++) assert.equal((await exchange(port, Buffer.from(`hello ${i}`))).text, `hello ${i}`);
    const lines = await until('their log lines', () => (tcpLines(log).length >= before + 10 ? tcpLines(log).slice(before) : undefined), 5000);
    return lines.every((l) => l.attempts === 1 && l.endpoint === `127.0.0.1:${echo.port}`);
  }, 20_000);

  const lines = tcpLines(log);
  assert.ok(lines.every((l) => l.result === 'success' && l.end === 'closed'));
  const success = await metric(adminPort, /^sluice_proxy_tcp_connections_total\{listener="db",cluster="db",result="success"\} (\d+)/m);
  assert.equal(success, lines.length, 'the workers\' counters add up to one per connection');
  const received = await metric(adminPort, /^sluice_proxy_tcp_bytes_total\{listener="db",cluster="db",direction="received"\} (\d+)/m);
  assert.equal(received, lines.reduce((n, l) => n + l.bytesReceived, 0));

  // SIGTERM: the open connection flows during the drain, then the proxy exits.
  const open = connect({ port, host: '127.0.0.1' });
  await new Promise((r) => open.once('connect', r));
  let got = '';
  open.on('data', (d: Buffer) => (got += d));
  open.write('before');
  await until('the echo before SIGTERM', () => got === 'before', 5000);
  const exited = new Promise<number | null>((r) => proxy.child.once('exit', (code) => r(code)));
  proxy.child.kill('SIGTERM');
  await until('the drain began (/ready answers 503)', async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).status === 503, 5000);
  open.write(' during');
  await until('the echo during the drain', () => got === 'before during', 5000);
  open.on('error', () => {});
  const closedAt = new Promise((r) => open.once('close', r));
  assert.equal(await exited, 0, proxy.output());
  await closedAt;
});
