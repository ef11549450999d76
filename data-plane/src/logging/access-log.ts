// The proxy's access log: one pino JSON line per request, written from the `logging` phase, with
// sampling. Destinations: a file (appended to; every worker writes whole lines with O_APPEND) or
// stdout. Secret query parameters are redacted; headers other than the user agent are not logged,
// and the redact paths guard any field added later.
import { createRequire } from 'node:module';
import type { DestinationStream, Logger } from 'pino';
import type { AuthzDecision } from '../authorization/authorizer.js';
import type { ProxyError } from '../errors.js';
import type { Session } from '../proxy/session.js';
import type { TcpConnectionRecord } from '../tcp/tcp-proxy-server.js';
import { REDACTED, REDACT_PATHS, redactQuery } from './redact.js';

export interface AccessLogOptions {
  /** A file path, or 'stdout'. */
  readonly destination: string;
  /** The share of requests logged, 0..1 (default 1: every request). */
  readonly sampleRate?: number;
}

/** What the application knows about a request besides its Session. */
export interface AccessLogFields {
  readonly route: string | undefined;
  readonly cluster: string | undefined;
  /** Milliseconds from picking the answering endpoint to its response head, or -1. */
  readonly upstreamMs: number;
  /** The authorization decision, when a policy guarded the listener. */
  readonly authz?: AuthzDecision | undefined;
  /** The request's trace id, when tracing is on (sampled or not: the id links the line to its trace). */
  readonly traceId?: string | undefined;
}

/**
 * pino, loaded by the first access log: a proxy without --access-log (most, and every worker of one)
 * never pays its memory (about 1.5 MiB of each serving process). Through `require` because the
 * constructor is synchronous; pino is a CommonJS package.
 */
const loadPino = (): typeof import('pino').pino => (createRequire(import.meta.url)('pino') as typeof import('pino')).pino;

export class AccessLog {
  private readonly log: Logger;
  private readonly stream: DestinationStream & { flushSync?: () => void; end?: () => void };
  private readonly sampleRate: number;

  constructor(options: AccessLogOptions, stream?: DestinationStream) {
    const rate = options.sampleRate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`access log sample rate must be between 0 and 1, got ${rate}`);
    this.sampleRate = rate;
    const pino = loadPino();
    this.stream = stream ?? pino.destination({ dest: options.destination === 'stdout' ? 1 : options.destination, append: true, mkdir: true, sync: false });
    this.log = pino(
      {
        base: { pid: process.pid },
        messageKey: 'msg',
        timestamp: pino.stdTimeFunctions.isoTime,
        redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      },
      this.stream,
    );
  }

  /** Writes the request's line, unless sampling leaves it out. */
  write(session: Session, error: ProxyError | undefined, fields: AccessLogFields): void {
    if (this.sampleRate < 1 && Math.random() >= this.sampleRate) return;
    const peer = session.triedPeers.length > 0 ? session.triedPeers[session.triedPeers.length - 1]! : undefined;
    this.log.info({
      type: 'access',
      requestId: session.requestId,
      traceId: fields.traceId ?? null,
      listener: session.listener.name,
      method: session.method,
      authority: session.authority,
      path: redactQuery(session.path, session.query),
      route: fields.route ?? null,
      cluster: fields.cluster ?? null,
      endpoint: peer?.key ?? null,
      status: session.status,
      durationMs: round(session.elapsedMs()),
      upstreamMs: fields.upstreamMs >= 0 ? round(fields.upstreamMs) : null,
      bytesIn: session.bytesReceived,
      bytesOut: session.bytesSent,
      attempts: session.attempt + (peer === undefined ? 0 : 1),
      userAgent: session.headers.get('user-agent') ?? null,
      remoteAddress: session.remoteAddress,
      error: error?.code ?? null,
      // Set only where an AuthorizationPolicy guards the listener (docs/security.md).
      principal: fields.authz?.principal ?? null,
      rbacPolicy: fields.authz === undefined ? null : fields.authz.policy,
      rbacResult: fields.authz?.result ?? null,
    });
  }

  /** Writes a TCP listener's connection line (`type: tcp`), once it closed, unless sampling leaves it out. */
  writeTcp(record: TcpConnectionRecord): void {
    if (this.sampleRate < 1 && Math.random() >= this.sampleRate) return;
    this.log.info({ type: 'tcp', ...record, durationMs: round(record.durationMs) });
  }

  /** Writes out what is buffered (before the process exits). */
  flush(): void {
    try {
      this.stream.flushSync?.();
    } catch {
      // not open yet, or already closed: nothing to flush
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
