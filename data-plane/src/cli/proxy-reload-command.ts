// `sluice proxy reload [--admin HOST:PORT]`: asks a running proxy for a zero-downtime worker restart
// through its admin server (POST /reload, accepted from loopback only), the same as SIGHUP to its
// primary process, and prints which worker replaced which. Exit 0 done, 1 refused or failed, 2 usage.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

export const PROXY_RELOAD_USAGE = `usage: sluice proxy reload [--admin HOST:PORT]

Replaces the proxy's worker processes one at a time with freshly loaded code; the listening sockets
stay open, so no connection is refused. Needs a proxy started with --workers 2 or more.
  --admin HOST:PORT   the proxy's --admin-listen address (default 127.0.0.1:15000)
  -h, --help          this text`;

export async function runProxyReloadCommand(argv: readonly string[]): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { admin: { type: 'string', default: '127.0.0.1:15000' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${PROXY_RELOAD_USAGE}`);
  }
  if (values.help) return PROXY_RELOAD_USAGE;
  const admin = values.admin;
  const colon = admin.lastIndexOf(':');
  const port = Number(admin.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--admin must be HOST:PORT, got "${admin}"`);
  const host = admin.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const { status, body } = await post(host, port, '/reload');
  let parsed: { error?: string; replaced?: { old: number; new: number }[] } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // Not our admin server: report what came back.
  }
  if (status !== 200) throw new Error(`reload ${status === 409 ? 'refused' : 'failed'} (HTTP ${status}): ${parsed.error ?? body.trim()}`);
  return `reloaded: ${(parsed.replaced ?? []).map((r) => `worker ${r.old} replaced by ${r.new}`).join(', ')}`;
}

function post(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'POST' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot reach the proxy's admin server at ${host}:${port}: ${err.code ?? err.message}`)));
    req.end();
  });
}
