// Routes compiled into an immutable matcher. Which route wins when several match, in order:
//   1. higher `priority`;
//   2. host: an exact name beats a `*.suffix` wildcard (the longer suffix first), which beats `*`;
//   3. path: exact beats prefix (the longer prefix first), which beats regex, which beats no path;
//   4. more conditions (methods, headers, query parameters) beat fewer;
//   5. then the route name, so the choice never depends on the order resources arrived in.
// The winner is always the first route in that order whose conditions hold. How it is found: every
// (route, host) pair gets its place in one order over the whole matcher, once, when it is built. The
// pairs fall into groups by host (one exact name, one `*.suffix`, or `*`), and each host the matcher
// knows gets a table of the groups that can serve it; a request does one or a few Map lookups to find
// its table. A table whose groups are small keeps one flat list, best first, walked until a route's
// conditions hold. A group with INDEX_MIN or more exact or prefix paths keeps them in a radix tree of
// path characters (as nginx's location tree and APISIX's radix router do): walking the request path
// down the tree yields only the routes whose path matches, prefix routes at every node passed and
// exact ones where the path ends, each node's in order; regex and pathless routes stay in a list. Those
// lists are merged by place, so routes are tried in the very order of the flat list, skipping only the
// ones whose path cannot match. A request's cost grows with the routes whose path matches it and with
// its host's regex and pathless routes, not with the host's exact and prefix routes. A group, and its
// tree, exists once however many tables share it (a `*` route is not copied per host).
import type { Session } from '../proxy/session.js';
import type { CompiledRoute } from './compiled-route.js';

/** Fewest exact or prefix paths in one host group for which the group builds a path tree. */
const INDEX_MIN = 4;

export interface RouteMatcherOptions {
  /** Fewest exact or prefix paths in a host group to index them in a tree (tests set 0 or 1). */
  readonly indexMin?: number;
}

interface Candidate {
  readonly route: CompiledRoute;
  /** 3 exact host, 2 wildcard, 1 any. */
  readonly hostRank: number;
  /** Wildcard suffix length, for longest-wildcard-first. */
  readonly hostLength: number;
  readonly kind: 'exact' | 'wildcard' | 'any';
  /** The host; a wildcard's suffix with its dot (`*.web.local` → `.web.local`); `*`. */
  readonly key: string;
}

/** A host's routes best first (no group with a path tree), or its groups. */
type Table = readonly CompiledRoute[] | IndexedTable;

export class RouteMatcher {
  private readonly exact = new Map<string, Table>();
  /** Keyed by the suffix with its dot: `*.web.local` → `.web.local`. */
  private readonly wildcard = new Map<string, Table>();
  private readonly any: Table;
  private readonly hasWildcards: boolean;

  constructor(readonly routes: readonly CompiledRoute[], options: RouteMatcherOptions = {}) {
    const indexMin = options.indexMin ?? INDEX_MIN;
    const all: Candidate[] = [];
    for (const route of routes) {
      for (const host of new Set(route.hosts)) {
        if (host === '*') all.push({ route, hostRank: 1, hostLength: 0, kind: 'any', key: host });
        else if (host.startsWith('*.')) all.push({ route, hostRank: 2, hostLength: host.length - 1, kind: 'wildcard', key: host.slice(1) });
        else all.push({ route, hostRank: 3, hostLength: host.length, kind: 'exact', key: host });
      }
    }
    // One order over every pair: a pair's place is its index. Each group gets its places in order.
    all.sort(compare);
    const exactPlaces = new Map<string, number[]>();
    const wildcardPlaces = new Map<string, number[]>();
    const anyPlaces: number[] = [];
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      if (c.kind === 'any') {
        anyPlaces.push(i);
        continue;
      }
      const map = c.kind === 'exact' ? exactPlaces : wildcardPlaces;
      const places = map.get(c.key);
      if (places === undefined) map.set(c.key, [i]);
      else places.push(i);
    }
    const group = (places: number[]): Group => new Group(places, all, indexMin);
    const wildcards = new Map([...wildcardPlaces].map(([suffix, places]) => [suffix, group(places)]));
    const anyHost = anyPlaces.length > 0 ? [group(anyPlaces)] : [];
    // Each table holds every group that can serve such a host.
    for (const [host, places] of exactPlaces) {
      const groups = [group(places)];
      // `*.suffix` serves hosts longer than its suffix: suffixes from the second character on.
      for (let dot = host.indexOf('.', 1); dot >= 0; dot = host.indexOf('.', dot + 1)) {
        const w = wildcards.get(host.slice(dot));
        if (w !== undefined) groups.push(w);
      }
      this.exact.set(host, tableOf([...groups, ...anyHost]));
    }
    for (const [suffix, own] of wildcards) {
      // A host that falls under `suffix` also falls under every shorter wildcard that `suffix` ends with.
      const groups = [own];
      for (let dot = suffix.indexOf('.', 1); dot >= 0; dot = suffix.indexOf('.', dot + 1)) {
        const w = wildcards.get(suffix.slice(dot));
        if (w !== undefined) groups.push(w);
      }
      this.wildcard.set(suffix, tableOf([...groups, ...anyHost]));
    }
    this.any = tableOf(anyHost);
    this.hasWildcards = wildcards.size > 0;
  }

  /** The winning route for the request, or undefined (the proxy answers 404). */
  match(session: Session): CompiledRoute | undefined {
    const table = this.table(session.host);
    if (table instanceof IndexedTable) return table.match(session);
    for (let i = 0; i < table.length; i++) {
      const route = table[i]!;
      if (route.matches(session)) return route;
    }
    return undefined;
  }

  /** Routes that may serve `host`, best first (an indexed table merges them on each call). */
  candidates(host: string): readonly CompiledRoute[] {
    const table = this.table(host);
    return table instanceof IndexedTable ? merged(table.groups) : table;
  }

  private table(host: string): Table {
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    if (this.hasWildcards) {
      // Longest suffix first: `a.b.web.local` tries `.b.web.local`, then `.web.local`, then `.local`.
      for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
        const table = this.wildcard.get(host.slice(dot));
        if (table !== undefined) return table;
      }
    }
    return this.any;
  }
}

/** The table of the groups that can serve one host: one flat list unless a group has a path tree. */
function tableOf(groups: readonly Group[]): Table {
  if (groups.some((g) => g.tree !== undefined)) return new IndexedTable(groups);
  // A single group's list is shared, not copied.
  return groups.length === 1 ? groups[0]!.routes : merged(groups);
}

/** A table of which at least one group has a path tree. */
class IndexedTable {
  constructor(readonly groups: readonly Group[]) {}

  match(session: Session): CompiledRoute | undefined {
    // The runs of routes that may match: run j is positions ranges[2j] to ranges[2j + 1] of owners[j].
    const owners: Group[] = [];
    const ranges: number[] = [];
    const groups = this.groups;
    for (let i = 0; i < groups.length; i++) groups[i]!.collect(session.path, owners, ranges);
    return firstMatch(owners, ranges, session);
  }
}

/**
 * The routes of one host key, in order. With enough exact or prefix paths, those are in a path tree,
 * and `ids` lists the group's routes by position: first the `scanCount` the tree does not hold (regex
 * and no path), then each tree node's prefix routes and its exact routes; every run ascends. Without
 * a tree every route is scanned and a position is the route's index.
 */
class Group {
  /** Place of each route in the matcher-wide order, ascending. */
  readonly order: readonly number[];
  readonly routes: CompiledRoute[];
  readonly ids: Int32Array | undefined;
  readonly scanCount: number;
  readonly tree: PathTree | undefined;

  constructor(places: number[], all: readonly Candidate[], indexMin: number) {
    this.order = places;
    this.routes = places.map((p) => all[p]!.route);
    let paths = 0;
    for (const r of this.routes) if (r.path.kind === 'exact' || r.path.kind === 'prefix') paths++;
    if (paths === 0 || paths < indexMin) {
      this.ids = undefined;
      this.scanCount = this.routes.length;
      this.tree = undefined;
      return;
    }
    const builder = new TreeBuilder(paths, this.routes.length);
    const scan: number[] = [];
    for (let i = 0; i < this.routes.length; i++) {
      const path = this.routes[i]!.path;
      // Routes arrive in order, so each node's runs ascend too.
      if (path.kind === 'exact' || path.kind === 'prefix') builder.insert(path.value, path.kind === 'exact', i);
      else scan.push(i);
    }
    this.ids = new Int32Array(this.routes.length);
    this.ids.set(scan);
    this.scanCount = scan.length;
    this.tree = builder.finish(this.ids, scan.length);
  }

  /**
   * Adds the runs of routes that may match `path` (this group to `owners` and the run's first and end
   * positions to `ranges`, for each): the scan run, and the tree's runs on the path.
   */
  collect(path: string, owners: Group[], ranges: number[]): void {
    if (this.scanCount > 0) {
      owners.push(this);
      ranges.push(0, this.scanCount);
    }
    const t = this.tree;
    if (t === undefined) return;
    let node = 0;
    let pos = 0;
    for (;;) {
      if (t.prefixTo[node]! > t.prefixFrom[node]!) {
        owners.push(this);
        ranges.push(t.prefixFrom[node]!, t.prefixTo[node]!);
      }
      if (pos === path.length) {
        if (t.exactTo[node]! > t.exactFrom[node]!) {
          owners.push(this);
          ranges.push(t.exactFrom[node]!, t.exactTo[node]!);
        }
        return;
      }
      const code = path.charCodeAt(pos);
      let child = t.firstChild[node]!;
      while (child >= 0 && t.code[child] !== code) child = t.nextSibling[child]!;
      if (child < 0) return;
      // The rest of the child's label must follow in the path.
      const src = t.src[child]!;
      const start = t.start[child]!;
      const length = t.end[child]! - start;
      if (pos + length > path.length) return;
      for (let k = 1; k < length; k++) if (src.charCodeAt(start + k) !== path.charCodeAt(pos + k)) return;
      pos += length;
      node = child;
    }
  }
}

/**
 * A radix tree over path characters (UTF-16 code units, as `startsWith` compares them), held in typed
 * arrays indexed by node (the root is node 0) over one buffer, rather than in an object per node:
 * building it allocates a few arrays, and the garbage collector has next to nothing to trace. A node's
 * label is `src[n].slice(start[n], end[n])`, a part of a route's own path string, never copied.
 */
interface PathTree {
  /** First code unit of the node's label. */
  readonly code: Int32Array;
  readonly src: readonly string[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** -1: none. Siblings are linked. */
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /** Positions in the group's `ids` of the routes whose prefix, or exact path, ends at the node. */
  readonly prefixFrom: Int32Array;
  readonly prefixTo: Int32Array;
  readonly exactFrom: Int32Array;
  readonly exactTo: Int32Array;
}

/** `count` Int32Arrays of `length` each, over one buffer (one allocation instead of `count`). */
function int32Arrays(count: number, length: number): Int32Array[] {
  const buffer = new ArrayBuffer(count * length * 4);
  return Array.from({ length: count }, (_, i) => new Int32Array(buffer, i * length * 4, length));
}

/**
 * The builder's working memory, kept for the next build (builds are synchronous, one at a time): a
 * fresh buffer per build would cost its page faults each time. As large as the largest group built.
 */
let scratch = new ArrayBuffer(0);

/** Builds a PathTree by inserting paths one at a time; each adds at most two nodes (a split, a leaf). */
class TreeBuilder {
  private count = 1;
  private readonly src: string[] = [''];
  private readonly code: Int32Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly firstChild: Int32Array;
  private readonly nextSibling: Int32Array;
  /** Each node's routes as linked lists (first, last; `next` by route), in insertion order. */
  private readonly prefixHead: Int32Array;
  private readonly prefixTail: Int32Array;
  private readonly exactHead: Int32Array;
  private readonly exactTail: Int32Array;
  private readonly next: Int32Array;

  constructor(paths: number, routes: number) {
    const capacity = 1 + 2 * paths;
    const words = 9 * capacity + routes;
    if (scratch.byteLength < words * 4) scratch = new ArrayBuffer(words * 4);
    const buffer = scratch;
    new Int32Array(buffer, 0, words).fill(-1);
    [this.code, this.start, this.end, this.firstChild, this.nextSibling, this.prefixHead, this.prefixTail, this.exactHead, this.exactTail] =
      Array.from({ length: 9 }, (_, i) => new Int32Array(buffer, i * capacity * 4, capacity)) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    this.next = new Int32Array(buffer, 9 * capacity * 4, routes);
    this.start[0] = this.end[0] = 0;
  }

  /** Files route `id` under `key`, as an exact path or a prefix. */
  insert(key: string, exact: boolean, id: number): void {
    let node = 0;
    let pos = 0;
    while (pos < key.length) {
      const code = key.charCodeAt(pos);
      let child = this.firstChild[node]!;
      while (child >= 0 && this.code[child] !== code) child = this.nextSibling[child]!;
      if (child < 0) {
        const leaf = this.node(key, pos, key.length);
        this.nextSibling[leaf] = this.firstChild[node]!;
        this.firstChild[node] = leaf;
        node = leaf;
        break;
      }
      const src = this.src[child]!;
      const start = this.start[child]!;
      const length = this.end[child]! - start;
      let n = 1;
      while (n < length && pos + n < key.length && src.charCodeAt(start + n) === key.charCodeAt(pos + n)) n++;
      if (n < length) {
        // The key leaves (or ends inside) the label: the child keeps the common part, and a new node
        // below it takes the rest with the child's children and routes.
        const rest = this.node(src, start + n, start + length);
        this.firstChild[rest] = this.firstChild[child]!;
        this.prefixHead[rest] = this.prefixHead[child]!;
        this.prefixTail[rest] = this.prefixTail[child]!;
        this.exactHead[rest] = this.exactHead[child]!;
        this.exactTail[rest] = this.exactTail[child]!;
        this.end[child] = start + n;
        this.firstChild[child] = rest;
        this.prefixHead[child] = this.prefixTail[child] = this.exactHead[child] = this.exactTail[child] = -1;
      }
      node = child;
      pos += n;
    }
    const head = exact ? this.exactHead : this.prefixHead;
    const tail = exact ? this.exactTail : this.prefixTail;
    if (head[node]! < 0) head[node] = id;
    else this.next[tail[node]!] = id;
    tail[node] = id;
  }

  /** The tree, its arrays trimmed to its nodes; writes each node's routes into `ids` from position `at` on. */
  finish(ids: Int32Array, at: number): PathTree {
    const n = this.count;
    const [code, start, end, firstChild, nextSibling, prefixFrom, prefixTo, exactFrom, exactTo] = int32Arrays(9, n) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
    code.set(this.code.subarray(0, n));
    start.set(this.start.subarray(0, n));
    end.set(this.end.subarray(0, n));
    firstChild.set(this.firstChild.subarray(0, n));
    nextSibling.set(this.nextSibling.subarray(0, n));
    for (let node = 0; node < n; node++) {
      prefixFrom[node] = at;
      for (let r = this.prefixHead[node]!; r >= 0; r = this.next[r]!) ids[at++] = r;
      prefixTo[node] = exactFrom[node] = at;
      for (let r = this.exactHead[node]!; r >= 0; r = this.next[r]!) ids[at++] = r;
      exactTo[node] = at;
    }
    return { code, src: this.src, start, end, firstChild, nextSibling, prefixFrom, prefixTo, exactFrom, exactTo };
  }

  private node(src: string, start: number, end: number): number {
    const n = this.count++;
    this.code[n] = src.charCodeAt(start);
    this.src.push(src);
    this.start[n] = start;
    this.end[n] = end;
    return n;
  }
}

/**
 * The first route, by place, among the runs (`ranges`: first and end positions of run j in
 * `owners[j]`) whose conditions hold. A run past its group's scan run came from the tree: its routes'
 * path matches, so only their other conditions are tested.
 */
function firstMatch(owners: readonly Group[], ranges: number[], session: Session): CompiledRoute | undefined {
  const k = owners.length;
  if (k === 1) {
    const g = owners[0]!;
    const ids = g.ids;
    const from = ranges[0]!;
    const to = ranges[1]!;
    const checked = from >= g.scanCount;
    for (let i = from; i < to; i++) {
      const route = g.routes[ids === undefined ? i : ids[i]!]!;
      if (checked ? route.matchesConditions(session) : route.matches(session)) return route;
    }
    return undefined;
  }
  for (;;) {
    let best = -1;
    let bestPlace = Infinity;
    for (let j = 0; j < k; j++) {
      const from = ranges[2 * j]!;
      if (from < ranges[2 * j + 1]!) {
        const g = owners[j]!;
        const place = g.order[g.ids === undefined ? from : g.ids[from]!]!;
        if (place < bestPlace) {
          bestPlace = place;
          best = j;
        }
      }
    }
    if (best < 0) return undefined;
    const g = owners[best]!;
    const at = ranges[2 * best]!;
    ranges[2 * best] = at + 1;
    const route = g.routes[g.ids === undefined ? at : g.ids[at]!]!;
    // A route listed in two groups of a table is tried twice; the second try fails as the first did.
    if (at >= g.scanCount ? route.matchesConditions(session) : route.matches(session)) return route;
  }
}

/** The routes of `groups`, by place; a route in several keeps its first place. */
function merged(groups: readonly Group[]): CompiledRoute[] {
  const all: Array<{ place: number; route: CompiledRoute }> = [];
  for (const g of groups) for (let i = 0; i < g.order.length; i++) all.push({ place: g.order[i]!, route: g.routes[i]! });
  all.sort((a, b) => a.place - b.place);
  const seen = new Set<CompiledRoute>();
  const out: CompiledRoute[] = [];
  for (const { route } of all) {
    if (seen.has(route)) continue;
    seen.add(route);
    out.push(route);
  }
  return out.slice();
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
