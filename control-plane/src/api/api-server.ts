// The admin API's HTTP server: routes each request, checks the bearer token (or the dashboard's
// session cookie), turns errors into their JSON bodies, and puts the store revision on every response.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ResourceCache } from '../store/resource-cache.js';
import type { ResourceStore } from '../store/store.js';
import type { ApiContext, ApiRoute, HttpMethod } from './api-route.js';
import { ApiJson } from './api-json.js';
import { answerClientError } from './client-error.js';
import { BearerAuth } from './bearer-auth.js';
import { roleAllows } from './api-role.js';
import { accessRoutes } from './access-routes.js';
import { AuditLog, type ChangeOperation } from './audit-log.js';
import type { ApiCaller, ApiTokens } from './api-tokens.js';
import { healthRoutes } from './health-routes.js';
import { historyRoutes } from './history-routes.js';
import { HistoryLog } from '../history/history-log.js';
import type { SecretSealer } from '../identity/secret-sealer.js';
import { readRequestBody } from './request-body.js';
import { resourceRoutes } from './resource-routes.js';
import { applyRoutes } from './apply-routes.js';
import { ResourceWriter, type ResourceWriterOptions } from './resource-writer.js';
import { Router } from './router.js';
import { ApiMetrics } from './api-metrics.js';
import { Registry } from 'prom-client';
import { formatHostPort } from '../../../proto/src/model/host-port.js';
import type { SessionAuth } from '../ui/session-auth.js';
import { isUiPath, UI_SECURITY_HEADERS } from '../ui/security-headers.js';

/** Above the store's default request limit (10 MiB): a body the store takes in one transaction fits. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The audit operation of a refused request that would have changed something; undefined for reads. */
function changeOperation(method: string, routePath: string): ChangeOperation | undefined {
  if (method === 'GET') return undefined;
  if (routePath === '/v1/apply') return 'apply';
  if (routePath === '/v1/delete') return 'delete';
  if (routePath === '/v1/:kind/:name') return method === 'PUT' ? 'put' : 'delete';
  if (routePath === '/v1/rollback') return 'rollback';
  return 'other';
}

export interface ApiServerOptions {
  readonly store: ResourceStore;
  readonly cache: ResourceCache;
  /** The admin token (`--token-file`), or named tokens with roles; every route but the probes needs one. */
  readonly token: string | ApiTokens;
  readonly log: Logger;
  /** Request bodies above this answer 413. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Routes other modules add (discovery's /v1/proxies and /v1/rollout). */
  readonly extraRoutes?: readonly ApiRoute[];
  readonly writer?: ResourceWriterOptions;
  /**
   * The change history (GET /v1/history, POST /v1/rollback): every change recorded in its own
   * transaction. Needs a store with keyValues(); `limit` records are kept (--history-limit).
   */
  readonly history?: { readonly sealer: SecretSealer; readonly limit?: number };
  /** The registry GET /metrics serves; the API adds its request metrics to it. Default: a new one. */
  readonly metrics?: Registry;
  /** Whether the parts that serve proxies (discovery) are up: /readyz waits for it too. Default: always. */
  readonly serving?: () => boolean;
  /** PEM certificate chain and key: the API serves HTTPS instead of plain HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * The dashboard's sessions: a request without an Authorization header may sign in with the session
   * cookie instead (and is then checked for cross-site requests). Default: bearer tokens only.
   */
  readonly sessions?: SessionAuth;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, with IPv6 hosts in brackets (`[::1]:15080`). */
export function formatListenAddress({ host, port }: ListenAddress): string {
  return formatHostPort(host, port);
}

export class ApiServer {
  private readonly router: Router;
  private readonly auth: BearerAuth;
  private readonly audit: AuditLog;
  private readonly maxBodyBytes: number;
  private readonly server: Server | HttpsServer;
  private readonly metrics: ApiMetrics;
  private nextRequestId = 1;

  constructor(private readonly options: ApiServerOptions) {
    this.metrics = new ApiMetrics(options.metrics ?? new Registry(), options.cache);
    this.audit = new AuditLog(options.log.child({ part: 'audit' }));
    const keyValues = options.store.keyValues?.();
    const history = options.history === undefined || keyValues === undefined ? undefined
      : new HistoryLog({ keyValues, sealer: options.history.sealer, limit: options.history.limit, log: options.log.child({ part: 'history' }) });
    const writer = new ResourceWriter(options.store, options.cache, { ...options.writer, audit: this.audit, history, onCommitSeen: (seconds, seen) => this.metrics.commitSeen(seconds, seen) });
    this.auth = new BearerAuth(options.token);
    const json = new ApiJson();
    this.router = new Router([
      ...healthRoutes(options.cache, options.serving),
      this.metrics.route(),
      ...resourceRoutes({ cache: options.cache, writer, json, audit: this.audit }),
      ...applyRoutes({ cache: options.cache, store: options.store, writer, json, audit: this.audit }),
      ...accessRoutes(this.auth.tokens),
      ...(history === undefined ? [] : historyRoutes({ cache: options.cache, writer, history })),
      ...(options.extraRoutes ?? []),
    ]);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    // Node's defaults for HTTPS: TLS 1.2 and up, its vetted cipher list.
    this.server = options.tls === undefined ? createServer(handler) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler);
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket, options.cache.revision));
  }

  /** Starts listening; port 0 picks a free port. Resolves with the bound address. */
  async listen(address: ListenAddress): Promise<ListenAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(address.port, address.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.address!;
  }

  /** The bound address once listening. */
  get address(): ListenAddress | undefined {
    const a = this.server.address() as AddressInfo | null;
    return a === null ? undefined : { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sluice.invalid');
    const log = this.options.log.child({ req: this.nextRequestId++ });
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    let bodyRead = false;
    let status: number;
    let body: unknown;
    let headers: Readonly<Record<string, string>> = {};
    let stream: ((res: ServerResponse) => void) | undefined;
    let code: string | undefined;
    /** A 5xx's error, logged whole (message, code, cause chain) while the answer carries only code and message. */
    let failure: ControlPlaneError | undefined;
    let routePattern = 'unmatched';
    let caller: ApiCaller | undefined;
    try {
      const method = req.method ?? 'GET';
      let match: ReturnType<Router['match']> | undefined;
      let notRouted: unknown;
      try {
        match = this.router.match(method, url.pathname);
      } catch (err) {
        notRouted = err;
      }
      // Unauthenticated callers learn nothing, not even which paths exist.
      const needs = match?.route.role ?? 'admin';
      if (needs !== 'public') caller = this.authenticate(req, method);
      if (match === undefined) throw notRouted;
      routePattern = match.route.path;
      if (caller !== undefined && needs !== 'public' && !roleAllows(caller.role, needs)) {
        const operation = changeOperation(method, match.route.path);
        if (operation !== undefined) this.audit.refused({ actor: caller.name, operation }, ErrorCode.Forbidden, [], { method, path: url.pathname, needs });
        throw new ControlPlaneError(ErrorCode.Forbidden, `${method} ${url.pathname} needs the ${needs} role; the token of "${caller.name}" has the ${caller.role} role`);
      }
      const ctx: ApiContext = {
        method: method as HttpMethod,
        url,
        params: match.params,
        headers: req.headers,
        body: () => {
          if (bodyRead) throw new Error('the request body was already read');
          bodyRead = true;
          return readRequestBody(req, this.maxBodyBytes);
        },
        signal: abort.signal,
        log,
        ...(caller === undefined ? {} : { caller }),
      };
      const result = await match.route.handler(ctx);
      ({ status, body, stream } = result);
      headers = result.headers ?? {};
    } catch (err) {
      const e = err instanceof ControlPlaneError ? err : new ControlPlaneError(ErrorCode.Internal, 'internal error', { cause: err });
      if (e.code === ErrorCode.Internal) log.error({ err }, 'request failed');
      status = e.httpStatus;
      body = e.toJSON();
      code = e.code;
      if (status >= 500) failure = e;
    }
    // A body left unread (an early 401 or 413) is discarded and the connection closed, so a client
    // still sending does not stall the next request on this connection.
    const unread = !req.complete;
    const ui = isUiPath(url.pathname) ? UI_SECURITY_HEADERS : {};
    if (stream !== undefined) {
      res.writeHead(status, { ...ui, ...headers, 'sluice-revision': String(this.options.cache.revision) });
      stream(res);
    } else {
      const raw = (typeof body === 'string' || Buffer.isBuffer(body)) && headers['content-type'] !== undefined;
      const text = status === 204 ? '' : raw ? (body as string | Buffer) : JSON.stringify(body);
      res.writeHead(status, {
        ...(status === 204 ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...ui,
        ...headers,
        'content-length': Buffer.byteLength(text),
        'sluice-revision': String(this.options.cache.revision),
        ...(unread ? { connection: 'close' } : {}),
      });
      res.end(text);
    }
    if (unread) req.resume();
    const seconds = (performance.now() - started) / 1000;
    this.metrics.observe(req.method ?? '', routePattern, status, seconds);
    const ms = Math.round(seconds * 10000) / 10;
    const entry = { method: req.method, path: url.pathname, status, ms, ...(caller === undefined ? {} : { actor: caller.name }), ...(code ? { code } : {}) };
    if (status >= 500) log.warn(failure === undefined ? entry : { ...entry, err: failure }, 'request failed');
    else if (req.method === 'GET') log.debug(entry, 'request');
    else log.info(entry, 'request');
  }

  /**
   * The caller of a request that needs a token: `Authorization: Bearer` when the request has that
   * header (API clients, ctl), else the dashboard's session cookie when it has one.
   */
  private authenticate(req: IncomingMessage, method: string): ApiCaller {
    if (req.headers.authorization === undefined && this.options.sessions !== undefined) {
      const caller = this.options.sessions.check(req, method);
      if (caller !== undefined) return caller;
    }
    return this.auth.check(req.headers.authorization);
  }
}
