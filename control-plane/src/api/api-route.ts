// The contract between the admin API server and the modules that add routes to it (resources,
// health, discovery's /v1/proxies and /v1/rollout): a method, a path pattern and a handler.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RouteAccess } from './api-role.js';
import type { ApiCaller } from './api-tokens.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** What a handler sees of one request. */
export interface ApiContext {
  readonly method: HttpMethod;
  readonly url: URL;
  /** Values of the pattern's `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  /**
   * Reads the whole request body, at most the server's body limit; over it, throws
   * ControlPlaneError SLUICE_PAYLOAD_TOO_LARGE. Call it at most once.
   */
  body(): Promise<Buffer>;
  /** Aborted when the client goes away: long waits (rollout --wait) should stop then. */
  readonly signal: AbortSignal;
  /** The request's logger (carries a request id). Never log resources: they may hold private keys. */
  readonly log: Logger;
  /** Who called: the token's name and role. Undefined on public routes (probes). */
  readonly caller?: ApiCaller;
}

/**
 * A handler's answer; the server adds the Sluice-Revision header and sends `body` as JSON, or as it
 * is when `body` is a string or a Buffer and `headers` set a content-type (`/metrics`, the
 * dashboard's files).
 */
export interface ApiResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A response that goes on after the handler returns (the dashboard's server-sent events): the server
   * writes the status and headers, then hands the response over instead of sending `body`. The
   * callee owns it from then on and ends it.
   */
  readonly stream?: (res: ServerResponse) => void;
}

export interface ApiRoute {
  readonly method: HttpMethod;
  /**
   * `/v1/rollout`, `/v1/:kind/:name`, `/ui/*page`. A `:name` segment matches one non-empty path
   * segment; a last `*name` segment matches the rest of the path, zero or more segments.
   * When several patterns match, the one with more literal segments wins (`/v1/proxies` over
   * `/v1/:kind`), so modules can add routes beside the resource routes.
   */
  readonly path: string;
  /**
   * The role a caller's token needs: `viewer` for reads, `editor` for resource changes, `admin` for
   * access management; `public` for probes (`/healthz`), which need no token. Default `admin`, so a
   * route that does not say is closed to all but admins.
   */
  readonly role?: RouteAccess;
  /**
   * Called once per matching request. Throw ControlPlaneError for an error answer (its code picks the
   * status); any other throw becomes 500 SLUICE_INTERNAL.
   */
  handler(ctx: ApiContext): Promise<ApiResult> | ApiResult;
}
