// Keep-alive HTTP/1.1 (and HTTPS) load: `concurrency` loops, each sending paced requests through one
// keep-alive agent, checking every answer. A GET that fails because the reused keep-alive connection
// was closed before any response byte is sent once more (RFC 9112 §9.3.1; Node sets `req.reusedSocket`
// for this) and counted in `retries`; every other error is a failure.
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { describe, isReset, LaneCounters, paced, type Attempt } from './lane-counters.js';

export interface HttpTarget {
  readonly address: string;
  /** The listener's port now; undefined while it is not open (a lane on an added listener waits). */
  readonly port: () => number | undefined;
  readonly hostHeader: string;
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly tls?: { readonly ca: string; readonly servername: string };
  /** When the route this lane uses was removed on purpose: later no-route 404s are "routed away". */
  readonly routeRemovedAt?: () => number | undefined;
  /** When this lane's listener was removed on purpose: later failures count as the changed listener's. */
  readonly listenerRemovedAt?: () => number | undefined;
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The client's local port of the connection it went on. */
  readonly localPort?: number;
}

/**
 * One request; rejects with the error, marked `retryable` when it went out on a reused connection
 * before any response byte, and carrying the connection's `localPort` when it was connected.
 */
export function send(agent: Agent | false, target: HttpTarget, port: number, body?: Buffer, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const make = target.tls ? httpsRequest : httpRequest;
    const req = make({
      host: target.address,
      port,
      path: target.path,
      method: target.method ?? 'GET',
      agent: agent as Agent,
      headers: { host: target.hostHeader, ...target.headers, ...(body ? { 'content-length': String(body.length) } : {}), ...(agent === false ? { connection: 'close' } : {}) },
      ...(target.tls ? { ca: target.tls.ca, servername: target.tls.servername } : {}),
      timeout: timeoutMs,
    });
    let responded = false;
    // Read while the socket is open: a destroyed socket no longer knows its port.
    let localPort: number | undefined;
    req.once('socket', (socket) => {
      if (socket.localPort !== undefined) localPort = socket.localPort;
      else socket.once('connect', () => (localPort = socket.localPort));
    });
    const fail = (err: Error, extra: object = {}): void => reject(Object.assign(err, { localPort, ...extra }));
    req.once('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), localPort }));
      res.once('error', (err) => fail(err));
      res.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('error', (err) => fail(err, { retryable: !responded && req.reusedSocket }));
    req.end(body);
  });
}

export function makeAgent(target: HttpTarget, sockets: number): Agent {
  const options = { keepAlive: true, maxSockets: sockets, scheduling: 'lifo' as const };
  return target.tls ? new HttpsAgent({ ...options, ca: target.tls.ca, servername: target.tls.servername }) : new Agent(options);
}

/** Classifies an answer or error into the lane's buckets (shared with the upload load). */
export function record(lane: LaneCounters, target: HttpTarget, startedAt: number, outcome: { answer?: Answer; error?: unknown }, check: (a: Answer) => string | undefined): void {
  const routeGone = target.routeRemovedAt?.();
  const listenerGone = target.listenerRemovedAt?.();
  const attempt: Attempt = { startedAt, localPort: outcome.answer?.localPort ?? (outcome.error as { localPort?: number } | undefined)?.localPort };
  if (outcome.answer !== undefined) {
    const a = outcome.answer;
    if (a.status === 404 && a.headers['x-sluice-error'] === 'no-route' && routeGone !== undefined && startedAt >= routeGone) return lane.routedAwayOne(attempt);
    const problem = check(a);
    if (problem === undefined) return lane.succeeded(attempt);
    if (listenerGone !== undefined && startedAt >= listenerGone) return lane.changedListenerOne(attempt);
    return lane.fail(`${target.hostHeader}${target.path}: ${problem}`, false, attempt);
  }
  if (listenerGone !== undefined && startedAt >= listenerGone) return lane.changedListenerOne(attempt);
  lane.fail(`${target.hostHeader}${target.path}: ${describe(outcome.error)}`, isReset(outcome.error), attempt);
}

export function expectJson200(a: Answer): string | undefined {
  if (a.status !== 200) return `status ${a.status} ${a.headers['x-sluice-error'] ?? ''} ${a.body.toString().slice(0, 200)}`;
  try {
    const j = JSON.parse(a.body.toString()) as { upstream?: unknown };
    return typeof j.upstream === 'string' ? undefined : `unexpected body ${a.body.toString().slice(0, 200)}`;
  } catch {
    return `not JSON: ${a.body.toString().slice(0, 200)}`;
  }
}

/** Runs the lane until `running()` turns false; resolves when its last request finished. */
export async function runHttp1Lane(lane: LaneCounters, target: HttpTarget, options: { perSecond: number; concurrency: number; running: () => boolean }): Promise<void> {
  const agent = makeAgent(target, options.concurrency);
  const once = async (): Promise<void> => {
    const port = target.port();
    if (port === undefined) return;
    const startedAt = Date.now();
    lane.started++;
    try {
      let answer: Answer;
      try {
        answer = await send(agent, target, port);
      } catch (err) {
        if (!(err as { retryable?: boolean }).retryable || (target.method ?? 'GET') !== 'GET') throw err;
        lane.retried(err);
        answer = await send(agent, target, port);
      }
      record(lane, target, startedAt, { answer }, expectJson200);
    } catch (error) {
      record(lane, target, startedAt, { error }, expectJson200);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, () => paced(options.perSecond / options.concurrency, options.running, once)));
  agent.destroy();
}
