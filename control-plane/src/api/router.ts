// Matches a request's method and path against the registered ApiRoutes: most literal segments win.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ApiRoute, HttpMethod } from './api-route.js';

interface CompiledRoute {
  readonly route: ApiRoute;
  /** Literal segments as strings, parameters as `{ param }`. */
  readonly segments: ReadonlyArray<string | { readonly param: string }>;
  readonly literals: number;
  /** The name of a last `*name` segment, which takes the rest of the path (zero or more segments). */
  readonly rest: string | undefined;
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
    const parts = splitPath(route.path);
    const last = parts.at(-1);
    const rest = last?.startsWith('*') === true ? last.slice(1) : undefined;
    if (rest !== undefined) parts.pop();
    const segments = parts.map((s) => (s.startsWith(':') ? { param: s.slice(1) } : s));
    const shape = shapeOf(segments, rest);
    const clash = this.routes.find((c) => c.route.method === route.method && shapeOf(c.segments, c.rest) === shape);
    if (clash !== undefined) throw new Error(`API route ${route.method} ${route.path} clashes with ${clash.route.path}`);
    this.routes.push({ route, segments, literals: segments.filter((s) => typeof s === 'string').length, rest });
    // Most literal segments first: `/v1/proxies` is tried before `/v1/:kind`; at equal counts a
    // pattern of fixed length before one that takes the rest (`/ui/session` before `/ui/*page`).
    this.routes.sort((a, b) => b.literals - a.literals || Number(a.rest !== undefined) - Number(b.rest !== undefined));
  }

  /**
   * The route for `method` and `pathname`. Throws SLUICE_NOT_FOUND when no pattern matches the path,
   * SLUICE_METHOD_NOT_ALLOWED when one does for another method.
   */
  match(method: string, pathname: string): RouteMatch {
    const parts = splitPath(pathname);
    const allowed = new Set<HttpMethod>();
    for (const c of this.routes) {
      const params = matchSegments(c.segments, c.rest, parts);
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

function shapeOf(segments: CompiledRoute['segments'], rest: string | undefined): string {
  return segments.map((s) => (typeof s === 'string' ? s : ':')).join('/') + (rest === undefined ? '' : '/*');
}

/**
 * The params of `parts` matched against `pattern`; a `rest` parameter gets the remaining segments,
 * each URL-decoded, joined with `/` (a decoded segment may itself hold `/` or `..`: its user checks).
 */
function matchSegments(pattern: CompiledRoute['segments'], rest: string | undefined, parts: readonly string[]): Record<string, string> | undefined {
  if (rest === undefined ? pattern.length !== parts.length : parts.length < pattern.length) return undefined;
  const params: Record<string, string> = {};
  if (rest !== undefined) {
    try {
      params[rest] = parts.slice(pattern.length).map((p) => decodeURIComponent(p)).join('/');
    } catch {
      return undefined;
    }
  }
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
