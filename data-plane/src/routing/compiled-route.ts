// A Route resource compiled for matching: its conditions as precomputed tests, its action and edits
// ready to apply, and the sort key that decides which of several matching routes wins.
import type { HeaderMatch, QueryMatch, Route } from '../../../proto/gen/sluice/v1/route_pb.js';
import type { HttpFilter } from '../proxy/proxy-http.js';
import type { Session } from '../proxy/session.js';
import { RetryPolicy } from '../upstream/retry-policy.js';
import { HeaderEditor } from './header-editor.js';
import type { PathMatch } from './path-match.js';
import { compileRedirect, type CompiledRedirect } from './redirect.js';

export type RouteAction =
  | { readonly kind: 'forward'; readonly cluster: string }
  | { readonly kind: 'weighted'; readonly clusters: readonly string[]; readonly cumulative: readonly number[]; readonly total: number }
  | { readonly kind: 'redirect'; readonly redirect: CompiledRedirect }
  | { readonly kind: 'respond'; readonly status: number; readonly body: string; readonly headers: readonly string[] };

/** A Forward.mirrors entry: the shadow cluster and the share of requests copied to it (0 to 1). */
export interface CompiledMirror {
  readonly cluster: string;
  readonly fraction: number;
}

type Test = (session: Session) => boolean;

/** Rank of a path condition: exact beats prefix beats regex beats none (see route-matcher.ts). */
const PATH_RANK = { exact: 4, prefix: 3, regex: 2, any: 1 } as const;

export class CompiledRoute {
  readonly name: string;
  readonly priority: number;
  readonly hosts: readonly string[];
  readonly path: PathMatch;
  readonly pathRank: number;
  /** Longest-prefix-first among prefix routes. */
  readonly pathLength: number;
  readonly methods: ReadonlySet<string> | undefined;
  /** Header and query tests. */
  private readonly tests: readonly Test[];
  /** Method, header and query conditions: more of them is more specific. */
  readonly conditionCount: number;
  readonly action: RouteAction;
  /** Shadow clusters of a forward action (request-mirror.ts); empty for most routes. */
  readonly mirrors: readonly CompiledMirror[];
  readonly rewritePathPrefix: string | undefined;
  readonly rewriteHost: string | undefined;
  readonly requestHeaders: HeaderEditor | undefined;
  readonly responseHeaders: HeaderEditor | undefined;
  readonly timeoutMs: number;
  readonly retryPolicy: RetryPolicy | undefined;
  /** 0: the listener's limit applies. */
  readonly maxRequestBodyBytes: number;
  /** Request bodies go upstream as they arrive, never read whole first (request-body-buffer.ts). */
  readonly streamRequestBody: boolean;
  readonly listeners: readonly string[];
  /** Filters in the route's order (resolved by the snapshot builder). */
  readonly filters: readonly HttpFilter[];

  constructor(route: Route, filters: readonly HttpFilter[] = []) {
    this.name = route.name;
    this.priority = route.priority;
    this.hosts = route.hosts.length === 0 ? ['*'] : route.hosts.map((h) => h.toLowerCase());
    const m = route.match;
    const p = m?.path;
    if (p?.case === 'pathExact') this.path = { kind: 'exact', value: p.value };
    else if (p?.case === 'pathPrefix') this.path = { kind: 'prefix', value: p.value };
    else if (p?.case === 'pathRegex') this.path = { kind: 'regex', regex: new RegExp(`^(?:${p.value})$`) };
    else this.path = { kind: 'any' };
    this.pathRank = PATH_RANK[this.path.kind];
    this.pathLength = this.path.kind === 'prefix' || this.path.kind === 'exact' ? this.path.value.length : 0;
    this.methods = m !== undefined && m.methods.length > 0 ? new Set(m.methods.map((x) => x.toUpperCase())) : undefined;
    const tests: Test[] = [];
    for (const h of m?.headers ?? []) tests.push(headerTest(h.name.toLowerCase(), h.value, h.invert));
    for (const q of m?.query ?? []) tests.push(queryTest(q.name, q.value));
    this.tests = tests;
    this.conditionCount = tests.length + (this.methods === undefined ? 0 : 1);

    const a = route.action;
    if (a.case === 'forward') {
      if (a.value.weighted.length > 0) {
        const clusters: string[] = [];
        const cumulative: number[] = [];
        let total = 0;
        for (const w of a.value.weighted) {
          if (w.weight === 0) continue;
          total += w.weight;
          clusters.push(w.cluster);
          cumulative.push(total);
        }
        this.action = { kind: 'weighted', clusters, cumulative, total };
      } else {
        this.action = { kind: 'forward', cluster: a.value.cluster };
      }
    } else if (a.case === 'redirect') {
      this.action = { kind: 'redirect', redirect: compileRedirect(a.value, this.path) };
    } else if (a.case === 'respond') {
      const headers: string[] = [];
      for (const [k, v] of Object.entries(a.value.headers)) headers.push(k.toLowerCase(), v);
      this.action = { kind: 'respond', status: a.value.status || 200, body: a.value.body, headers };
    } else {
      this.action = { kind: 'respond', status: 500, body: 'route has no action\n', headers: [] };
    }
    this.mirrors = a.case === 'forward' ? a.value.mirrors.map((m) => ({ cluster: m.cluster, fraction: (m.percent ?? 100) / 100 })).filter((m) => m.fraction > 0) : [];
    this.rewritePathPrefix = route.rewrite?.pathPrefix || undefined;
    this.rewriteHost = route.rewrite?.host || undefined;
    this.requestHeaders = HeaderEditor.compile(route.requestHeaders);
    this.responseHeaders = HeaderEditor.compile(route.responseHeaders);
    this.timeoutMs = route.timeoutMs;
    this.retryPolicy = RetryPolicy.fromRoute(route.retry);
    this.maxRequestBodyBytes = Number(route.maxRequestBodyBytes);
    this.streamRequestBody = route.streamRequestBody;
    this.listeners = route.listeners;
    this.filters = filters;
  }

  /** Path, method, header and query conditions (the host was matched by the table lookup). */
  matches(session: Session): boolean {
    const path = this.path;
    switch (path.kind) {
      case 'exact':
        if (session.path !== path.value) return false;
        break;
      case 'prefix':
        if (!session.path.startsWith(path.value)) return false;
        break;
      case 'regex':
        if (!path.regex.test(session.path)) return false;
        break;
      default:
        break;
    }
    return this.matchesConditions(session);
  }

  /** Method, header and query conditions only: for a route whose path the matcher's index has checked. */
  matchesConditions(session: Session): boolean {
    if (this.methods !== undefined && !this.methods.has(session.method)) return false;
    const tests = this.tests;
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(session)) return false;
    return true;
  }

  /** Picks the cluster of a forward action (weighted: at random by weight). */
  pickCluster(): string | undefined {
    const a = this.action;
    if (a.kind === 'forward') return a.cluster;
    if (a.kind !== 'weighted') return undefined;
    const r = Math.random() * a.total;
    const cumulative = a.cumulative;
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]!) return a.clusters[i];
    return a.clusters[a.clusters.length - 1];
  }

  /** The request target after the route's path-prefix rewrite. */
  rewriteTarget(session: Session): string {
    const prefix = this.rewritePathPrefix;
    if (prefix === undefined || this.path.kind !== 'prefix' && this.path.kind !== 'exact') return session.target;
    const rest = session.path.slice(this.path.value.length);
    const path = prefix.endsWith('/') && rest.startsWith('/') ? prefix + rest.slice(1) : prefix + rest;
    return session.query === '' ? path : `${path}?${session.query}`;
  }
}

function requestHeader(session: Session, name: string): string | undefined {
  if (name === 'host' || name === ':authority') return session.authority;
  if (name === 'x-request-id') return session.requestId;
  if (name === 'x-forwarded-for') return session.forwardedFor;
  return session.headers.get(name);
}

function headerTest(name: string, value: HeaderMatch['value'], invert: boolean): Test {
  let test: (v: string | undefined) => boolean;
  switch (value.case) {
    case 'exact': {
      const want = value.value;
      test = (v) => v === want;
      break;
    }
    case 'prefix': {
      const want = value.value;
      test = (v) => v !== undefined && v.startsWith(want);
      break;
    }
    case 'regex': {
      const re = new RegExp(`^(?:${value.value})$`);
      test = (v) => v !== undefined && re.test(v);
      break;
    }
    case 'present': {
      const want = value.value;
      test = (v) => (v !== undefined) === want;
      break;
    }
    default:
      test = (v) => v !== undefined;
  }
  return invert ? (s) => !test(requestHeader(s, name)) : (s) => test(requestHeader(s, name));
}

function queryTest(name: string, value: QueryMatch['value']): Test {
  switch (value.case) {
    case 'exact': {
      const want = value.value;
      return (s) => s.queryParam(name) === want;
    }
    case 'regex': {
      const re = new RegExp(`^(?:${value.value})$`);
      return (s) => {
        const v = s.queryParam(name);
        return v !== undefined && re.test(v);
      };
    }
    case 'present': {
      const want = value.value;
      return (s) => (s.queryParam(name) !== undefined) === want;
    }
    default:
      return (s) => s.queryParam(name) !== undefined;
  }
}
