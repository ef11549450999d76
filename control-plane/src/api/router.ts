// Matches a request's method and path against the registered ApiRoutes: most literal segments win.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ApiRoute, HttpMethod } from './api-route.js';

interface CompiledRoute {
  readonly route: ApiRoute;
  /** Literal segments as strings, parameters as `{ param }`. */
  readonly segments: ReadonlyArray<string | { readonly param: string }>;
  readonly literals: number;
}

export interface RouteMatch {
  readonly route: ApiRoute;
  readonly params: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  constructor(routes: Iterable<ApiRoute> = []) {
    for (const r of routes) this.add(r);
  }

  /** Adds a route; throws when the same method and pattern are registered twice. */
  add(route: ApiRoute): void {
    const segments = splitPath(route.path).map((s) => (s.startsWith(':') ? { param: s.slice(1) } : s));
    const shape = segments.map((s) => (typeof s === 'string' ? s : ':')).join('/');
    const clash = this.routes.find((c) => c.route.method === route.method && c.segments.map((s) => (typeof s === 'string' ? s : ':')).join('/') === shape);
    if (clash !== undefined) throw new Error(`API route ${route.method} ${route.path} clashes with ${clash.route.path}`);
    this.routes.push({ route, segments, literals: segments.filter((s) => typeof s === 'string').length });
    // Most literal segments first: `/v1/proxies` is tried before `/v1/:kind`.
    this.routes.sort((a, b) => b.literals - a.literals);
  }

  /**
   * The route for `method` and `pathname`. Throws SLUICE_NOT_FOUND when no pattern matches the path,
   * SLUICE_METHOD_NOT_ALLOWED when one does for another method.
   */
  match(method: string, pathname: string): RouteMatch {
    const parts = splitPath(pathname);
    const allowed = new Set<HttpMethod>();
    for (const c of this.routes) {
      const params = matchSegments(c.segments, parts);
      if (params === undefined) continue;
      if (c.route.method === method) return { route: c.route, params };
      allowed.add(c.route.method);
    }
    if (allowed.size > 0) {
      throw new ControlPlaneError(ErrorCode.MethodNotAllowed, `${method} is not allowed on ${pathname} (allowed: ${[...allowed].join(', ')})`);
    }
    throw new ControlPlaneError(ErrorCode.NotFound, `no API route ${pathname}`);
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: CompiledRoute['segments'], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (typeof p === 'string') {
      if (p !== part) return undefined;
      continue;
    }
    try {
      params[p.param] = decodeURIComponent(part);
    } catch {
      return undefined;
    }
  }
  return params;
}
