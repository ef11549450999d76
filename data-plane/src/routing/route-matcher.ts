// Routes compiled into an immutable matcher. Which route wins when several match, in order:
//   1. higher `priority`;
//   2. host: an exact name beats a `*.suffix` wildcard (the longer suffix first), which beats `*`;
//   3. path: exact beats prefix (the longer prefix first), which beats regex, which beats no path;
//   4. more conditions (methods, headers, query parameters) beat fewer;
//   5. then the route name, so the choice never depends on the order resources arrived in.
// Per host the candidates are sorted once here; a request does one or a few Map lookups, then walks
// its host's list until a route's conditions hold.
import type { Session } from '../proxy/session.js';
import type { CompiledRoute } from './compiled-route.js';

interface Candidate {
  readonly route: CompiledRoute;
  /** 3 exact host, 2 wildcard, 1 any. */
  readonly hostRank: number;
  /** Wildcard suffix length, for longest-wildcard-first. */
  readonly hostLength: number;
}

export class RouteMatcher {
  private readonly exact = new Map<string, readonly CompiledRoute[]>();
  /** Keyed by the suffix with its dot: `*.web.local` → `.web.local`. */
  private readonly wildcard = new Map<string, readonly CompiledRoute[]>();
  private readonly any: readonly CompiledRoute[];
  private readonly hasWildcards: boolean;

  constructor(readonly routes: readonly CompiledRoute[]) {
    const exactHosts = new Map<string, Candidate[]>();
    const wildcards = new Map<string, Candidate[]>();
    const anyHost: Candidate[] = [];
    for (const route of routes) {
      for (const host of new Set(route.hosts)) {
        if (host === '*') anyHost.push({ route, hostRank: 1, hostLength: 0 });
        else if (host.startsWith('*.')) push(wildcards, host.slice(1), { route, hostRank: 2, hostLength: host.length - 1 });
        else push(exactHosts, host, { route, hostRank: 3, hostLength: host.length });
      }
    }
    // Each table entry holds every route that can match such a host, already in priority order.
    const wildcardsFor = (host: string): Candidate[] => {
      const out: Candidate[] = [];
      for (const [suffix, list] of wildcards) if (host.endsWith(suffix) && host.length > suffix.length) out.push(...list);
      return out;
    };
    for (const [host, list] of exactHosts) this.exact.set(host, sorted([...list, ...wildcardsFor(host), ...anyHost]));
    for (const suffix of wildcards.keys()) {
      // A host that falls under `suffix` also falls under every shorter wildcard that `suffix` ends with.
      const list: Candidate[] = [];
      for (const [other, candidates] of wildcards) if (suffix.endsWith(other)) list.push(...candidates);
      this.wildcard.set(suffix, sorted([...list, ...anyHost]));
    }
    this.any = sorted(anyHost);
    this.hasWildcards = wildcards.size > 0;
  }

  /** The winning route for the request, or undefined (the proxy answers 404). */
  match(session: Session): CompiledRoute | undefined {
    const list = this.candidates(session.host);
    for (let i = 0; i < list.length; i++) {
      const route = list[i]!;
      if (route.matches(session)) return route;
    }
    return undefined;
  }

  /** Routes that may serve `host`, best first. */
  candidates(host: string): readonly CompiledRoute[] {
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    if (this.hasWildcards) {
      // Longest suffix first: `a.b.web.local` tries `.b.web.local`, then `.web.local`, then `.local`.
      for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
        const list = this.wildcard.get(host.slice(dot));
        if (list !== undefined) return list;
      }
    }
    return this.any;
  }
}

function push(map: Map<string, Candidate[]>, key: string, c: Candidate): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [c]);
  else list.push(c);
}

function sorted(list: Candidate[]): CompiledRoute[] {
  // A route listed under several of its hosts keeps only its best (first after sorting) place.
  list.sort(compare);
  const seen = new Set<CompiledRoute>();
  const out: CompiledRoute[] = [];
  for (const c of list) {
    if (seen.has(c.route)) continue;
    seen.add(c.route);
    out.push(c.route);
  }
  return out;
}

function compare(a: Candidate, b: Candidate): number {
  const ra = a.route;
  const rb = b.route;
  return (
    rb.priority - ra.priority ||
    b.hostRank - a.hostRank ||
    b.hostLength - a.hostLength ||
    rb.pathRank - ra.pathRank ||
    rb.pathLength - ra.pathLength ||
    rb.conditionCount - ra.conditionCount ||
    (ra.name < rb.name ? -1 : ra.name > rb.name ? 1 : 0)
  );
}
