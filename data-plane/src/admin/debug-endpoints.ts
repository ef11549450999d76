// GET /debug/profile?seconds=N and GET /debug/heap on the proxy's admin server: a CPU profile or a
// heap snapshot of one of the proxy's processes (?worker=K or ?worker=primary: diagnose-proxy.ts),
// in the formats Chrome DevTools loads. A heap snapshot holds every string in the process (tokens,
// private keys), so both need the admin token, and without one configured they are off. One at a
// time: a second profile would add its cost to the first and skew both.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { bearerMatches } from './admin-token.js';
import type { DiagnoseProxy, ProcessChoice } from '../diagnostics/diagnose-proxy.js';
import { describeDiagnostic, PROFILE_SECONDS, type Diagnostic } from '../diagnostics/diagnostic.js';
import { discardDiagnosticFile } from '../diagnostics/run-diagnostic.js';

export interface DebugSource {
  /** The admin token now (--admin-token-file, SLUICE_ADMIN_TOKEN); undefined: /debug/* is off. */
  readonly adminToken: (() => string) | undefined;
  readonly diagnose: DiagnoseProxy;
}

type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export function debugEndpoints(source: DebugSource): Handler {
  let running: { readonly what: string; readonly sinceMs: number } | undefined;
  return (req, res, path) => {
    const fail = (status: number, error: string, headers: Record<string, string> = {}): void => {
      const body = `${JSON.stringify({ error })}\n`;
      res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const token = source.adminToken?.();
    if (token === undefined) return fail(403, '/debug/* is off: start the proxy with --admin-token-file FILE (or SLUICE_ADMIN_TOKEN) and send the token as Authorization: Bearer <token>');
    if (!bearerMatches(req.headers.authorization, token)) return fail(401, '/debug/* needs Authorization: Bearer <token>, the token of --admin-token-file (or SLUICE_ADMIN_TOKEN)', { 'www-authenticate': 'Bearer realm="sluice-admin"' });
    if (path !== '/debug/profile' && path !== '/debug/heap') return fail(404, `no ${path}: try /debug/profile?seconds=N or /debug/heap, with ?worker=K or ?worker=primary`);
    if (req.method !== 'GET') return fail(405, `GET ${path}`, { allow: 'GET' });
    const query = new URL(req.url ?? '/', 'http://admin').searchParams;
    const diagnostic = path === '/debug/profile' ? profile(query.get('seconds')) : ({ kind: 'heap-snapshot' } as const);
    if ('error' in diagnostic) return fail(400, diagnostic.error);
    const choice = processChoice(query.get('worker'));
    if (typeof choice === 'object') return fail(400, choice.error);
    if (running !== undefined) return fail(409, `${running.what} started ${Math.round((Date.now() - running.sinceMs) / 1000)} s ago is still running: one /debug request at a time, try again when it ends`);
    running = { what: describeDiagnostic(diagnostic), sinceMs: Date.now() };
    void answer(res, diagnostic, choice, source.diagnose, fail, () => (running = undefined));
  };
}

/**
 * Runs the diagnostic, frees the slot (`done`), and streams its file, then removes it (in the
 * background), whether or not the client stayed. The slot is free before the file goes out: sending
 * a file costs the proxy nothing a second diagnostic would skew, and a client that has read the whole
 * answer may ask again at once, before the server has seen its last write complete.
 */
async function answer(res: ServerResponse, diagnostic: Diagnostic, choice: ProcessChoice, diagnose: DiagnoseProxy, fail: (status: number, error: string) => void, done: () => void): Promise<void> {
  const result = await diagnose(diagnostic, choice).catch((err: Error) => ({ ok: false, status: 500, error: err.message }) as const);
  done();
  if (!result.ok) return fail(result.status, result.error);
  try {
    const { size } = await stat(result.file);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const extension = diagnostic.kind === 'cpu-profile' ? 'cpuprofile' : 'heapsnapshot';
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': size,
      'content-disposition': `attachment; filename="sluice-proxy-${result.pid}-${stamp}.${extension}"`,
      'x-sluice-pid': String(result.pid),
    });
    await pipeline(createReadStream(result.file), res);
  } catch {
    // The client went away: nothing to answer.
    res.destroy();
  } finally {
    // Not awaited: a client that has the whole answer may ask again at once, and must not meet a 409
    // while the file is being removed.
    discardDiagnosticFile(result.file).catch(() => undefined);
  }
}

type Invalid = { readonly error: string };

function profile(seconds: string | null): Diagnostic | Invalid {
  if (seconds === null) return { kind: 'cpu-profile', seconds: PROFILE_SECONDS.default };
  const n = Number(seconds);
  if (!/^\d{1,3}$/.test(seconds) || n < PROFILE_SECONDS.min || n > PROFILE_SECONDS.max) {
    return { error: `seconds must be a whole number from ${PROFILE_SECONDS.min} to ${PROFILE_SECONDS.max} (default ${PROFILE_SECONDS.default}), got "${seconds}"` };
  }
  return { kind: 'cpu-profile', seconds: n };
}

/** ?worker: absent, "primary" or a 0-based index. */
function processChoice(worker: string | null): ProcessChoice | Invalid {
  if (worker === null) return 'default';
  if (worker === 'primary') return 'primary';
  if (/^\d{1,4}$/.test(worker)) return Number(worker);
  return { error: `worker must be a worker's 0-based index or "primary", got "${worker}"` };
}
