// The matcher's path tree chooses exactly what a scan of every route would: randomized route sets and
// requests against a linear-scan reference written here, then focused cases (overlapping prefixes,
// exact paths, query stripping, case, priorities across the tree and the regex list, 10,000 prefixes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { RouteSchema, type Route } from '../../../proto/gen/sluice/v1/route_pb.js';
import { HeaderList } from '../../../data-plane/src/protocols/header-list.js';
import { Session } from '../../../data-plane/src/proxy/session.js';
import { CompiledRoute } from '../../../data-plane/src/routing/compiled-route.js';
import { RouteMatcher } from '../../../data-plane/src/routing/route-matcher.js';

function session(host: string, target: string, method = 'GET', headers: string[] = []): Session {
  const q = target.indexOf('?');
  return Object.assign(Object.create(Session.prototype) as Session, {
    host,
    authority: host,
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers: new HeaderList(headers),
    requestId: 'r',
    forwardedFor: undefined,
  });
}

interface Spec {
  name: string;
  hosts?: string[];
  priority?: number;
  exact?: string;
  prefix?: string;
  regex?: string;
  methods?: string[];
  header?: { name: string; exact: string; invert?: boolean };
  query?: string;
}

function route(s: Spec): CompiledRoute {
  const path =
    s.exact !== undefined ? { case: 'pathExact' as const, value: s.exact }
    : s.prefix !== undefined ? { case: 'pathPrefix' as const, value: s.prefix }
    : s.regex !== undefined ? { case: 'pathRegex' as const, value: s.regex }
    : { case: undefined };
  const r: Route = create(RouteSchema, {
    name: s.name,
    hosts: s.hosts ?? [],
    priority: s.priority ?? 0,
    match: {
      path,
      methods: s.methods ?? [],
      headers: s.header === undefined ? [] : [{ name: s.header.name, value: { case: 'exact', value: s.header.exact }, invert: s.header.invert ?? false }],
      query: s.query === undefined ? [] : [{ name: s.query, value: { case: 'present', value: true } }],
    },
    action: { case: 'respond', value: { status: 200 } },
  });
  return new CompiledRoute(r);
}

// ---- The reference: every route that can serve the host, sorted by the documented rules, scanned. ----

/** Host rank and suffix length of the best way `route` serves `host` under the table `table`, if any. */
function hostPlace(route: CompiledRoute, table: { kind: 'exact'; host: string } | { kind: 'wildcard'; suffix: string } | { kind: 'any' }): [number, number] | undefined {
  let best: [number, number] | undefined;
  const better = (p: [number, number]) => {
    if (best === undefined || p[0] > best[0] || (p[0] === best[0] && p[1] > best[1])) best = p;
  };
  for (const h of route.hosts) {
    if (h === '*') better([1, 0]);
    else if (h.startsWith('*.')) {
      const suffix = h.slice(1);
      if (table.kind === 'exact' && table.host.endsWith(suffix) && table.host.length > suffix.length) better([2, suffix.length]);
      if (table.kind === 'wildcard' && table.suffix.endsWith(suffix)) better([2, suffix.length]);
    } else if (table.kind === 'exact' && h === table.host) better([3, h.length]);
  }
  return best;
}

function referenceCandidates(routes: readonly CompiledRoute[], host: string): CompiledRoute[] {
  const exactHosts = new Set(routes.flatMap((r) => r.hosts.filter((h) => h !== '*' && !h.startsWith('*.'))));
  const suffixes = new Set(routes.flatMap((r) => r.hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1))));
  let table: Parameters<typeof hostPlace>[1] = { kind: 'any' };
  if (exactHosts.has(host)) table = { kind: 'exact', host };
  else {
    for (let dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
      if (suffixes.has(host.slice(dot))) {
        table = { kind: 'wildcard', suffix: host.slice(dot) };
        break;
      }
    }
  }
  const placed: Array<{ route: CompiledRoute; rank: number; length: number }> = [];
  for (const route of routes) {
    const p = hostPlace(route, table);
    if (p !== undefined) placed.push({ route, rank: p[0], length: p[1] });
  }
  placed.sort((a, b) =>
    b.route.priority - a.route.priority ||
    b.rank - a.rank ||
    b.length - a.length ||
    b.route.pathRank - a.route.pathRank ||
    b.route.pathLength - a.route.pathLength ||
    b.route.conditionCount - a.route.conditionCount ||
    (a.route.name < b.route.name ? -1 : a.route.name > b.route.name ? 1 : 0));
  return placed.map((p) => p.route);
}

/** The first route of the host's sorted list (`byHost`: referenceCandidates per host) whose conditions hold. */
function referenceMatch(byHost: ReadonlyMap<string, readonly CompiledRoute[]>, s: Session): CompiledRoute | undefined {
  return byHost.get(s.host)!.find((r) => r.matches(s));
}

// ---- Random route sets and requests. ----

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTS = ['a.example', 'b.example', 'x.a.example', 'y.x.a.example', 'other.test', '*.example', '*.a.example', '*.x.a.example', '*.test', '*'];
const REQUEST_HOSTS = ['a.example', 'b.example', 'x.a.example', 'y.x.a.example', 'z.y.x.a.example', 'q.example', 'q.a.example', 'other.test', 'more.test', 'nowhere', 'A.example', '.example', 'example'];
const PATHS = ['', '/', '/a', '/a/', '/ab', '/abc', '/a/b', '/a/b/', '/a/bc', '/a/b/c', '/A', '/api', '/api/', '/api/v1/', '/api/v1/items/', '/api/v2', '/é', '/é/ü', '/%20', '/a%2Fb'];
const REGEXES = ['/a.*', '/a/[a-z]+', '/.*', '/ab?', '/api/v[0-9]+/.*', '[^/]*'];
/** Few letters, so random paths share prefixes, split tree edges and end inside them. */
const LETTERS = ['/', '/', 'a', 'b', 'é', 'A'];

function randomPath(rand: () => number): string {
  if (rand() < 0.5) return PATHS[Math.floor(rand() * PATHS.length)]!;
  let p = rand() < 0.9 ? '/' : '';
  const n = Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) p += LETTERS[Math.floor(rand() * LETTERS.length)]!;
  return p;
}

function randomRoutes(rand: () => number, count: number, hostPool: readonly string[]): CompiledRoute[] {
  const out: CompiledRoute[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const s: Spec = { name: `r${String(i).padStart(4, '0')}-${Math.floor(rand() * 1000)}` };
    const hosts = Math.floor(rand() * 3);
    if (hosts > 0) s.hosts = Array.from({ length: hosts }, () => pick(hostPool));
    if (rand() < 0.2) s.priority = Math.floor(rand() * 3);
    const kind = rand();
    if (kind < 0.45) s.prefix = randomPath(rand);
    else if (kind < 0.75) s.exact = randomPath(rand);
    else if (kind < 0.9) s.regex = pick(REGEXES);
    if (rand() < 0.25) s.methods = rand() < 0.5 ? ['GET'] : ['POST', 'PUT'];
    if (rand() < 0.2) s.header = { name: 'x-h', exact: '1', invert: rand() < 0.3 };
    if (rand() < 0.15) s.query = 'q';
    out.push(route(s));
  }
  return out;
}

function randomRequest(rand: () => number, hostPool: readonly string[]): Session {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let path = randomPath(rand);
  if (rand() < 0.3) path += pick(['x', '/', '/x/y', 'b', '/b/']);
  const query = rand() < 0.3 ? pick(['?q', '?q=1&r', '?r=2', '?']) : '';
  const headers = rand() < 0.3 ? ['x-h', rand() < 0.5 ? '1' : '2'] : [];
  return session(pick(hostPool), path + query, pick(['GET', 'POST', 'PUT', 'DELETE']), headers);
}

function describe(s: Session): string {
  return `${s.method} ${s.host} ${JSON.stringify(s.path)} ?${s.query} [${s.headers.get('x-h') ?? ''}]`;
}

/**
 * Compares matchers that index every group with a path (indexMin 0, 1) and the default (small groups
 * stay flat lists) against the reference; returns the requests checked.
 */
function checkSet(seed: number, routes: CompiledRoute[], requests: number, hostPool: readonly string[]): number {
  const rand = prng(seed ^ 0x5bd1e995);
  const matchers = [0, 1, undefined].map((indexMin) => ({ indexMin: indexMin ?? 'default', m: new RouteMatcher(routes, indexMin === undefined ? {} : { indexMin }) }));
  const byHost = new Map(hostPool.map((host) => [host, referenceCandidates(routes, host)]));
  for (const [host, list] of byHost) {
    const want = list.map((r) => r.name);
    for (const { indexMin, m } of matchers) assert.deepEqual(m.candidates(host).map((r) => r.name), want, `seed ${seed}, indexMin ${indexMin}: candidates for ${host}`);
  }
  for (let i = 0; i < requests; i++) {
    const s = randomRequest(rand, hostPool);
    const want = referenceMatch(byHost, s)?.name;
    for (const { indexMin, m } of matchers) {
      const got = m.match(s)?.name;
      if (got !== want) assert.equal(got, want, `seed ${seed}, indexMin ${indexMin}, ${routes.length} routes: ${describe(s)}`);
    }
  }
  return requests;
}

test('path tree: random route sets choose what a linear scan of every route chooses', () => {
  let checked = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rand = prng(seed);
    const count = 1 + Math.floor(rand() * (seed % 10 === 0 ? 400 : 40));
    checked += checkSet(seed, randomRoutes(rand, count, HOSTS), 150, REQUEST_HOSTS);
  }
  assert.ok(checked >= 45_000);
});

test('path tree: many routes on one host, deep overlapping prefixes', () => {
  for (let seed = 1000; seed < 1010; seed++) {
    const rand = prng(seed);
    checkSet(seed, randomRoutes(rand, 1500, ['one.example', 'one.example', 'one.example', '*']), 1500, ['one.example', 'two.example']);
  }
});

// ---- Focused cases. ----

function names(m: RouteMatcher, host: string, targets: string[], method = 'GET'): Array<string | undefined> {
  return targets.map((t) => m.match(session(host, t, method))?.name);
}

test('path tree: overlapping prefixes /a, /a/, /ab, /a/b and the longest wins', () => {
  const routes = ['/a', '/a/', '/ab', '/a/b'].map((p) => route({ name: `p${p}`, hosts: ['h'], prefix: p }));
  const m = new RouteMatcher(routes, { indexMin: 0 });
  assert.deepEqual(names(m, 'h', ['/a', '/a/', '/ab', '/abc', '/a/b', '/a/bc', '/a/b/c', '/a/c', '/b', '/', '', '/A', '/a?x=1', '/ab?q']), [
    'p/a', 'p/a/', 'p/ab', 'p/ab', 'p/a/b', 'p/a/b', 'p/a/b', 'p/a/', undefined, undefined, undefined, undefined, 'p/a', 'p/ab',
  ]);
});

test('path tree: exact paths match the whole path only, without the query, and case matters', () => {
  const m = new RouteMatcher([
    route({ name: 'exact', hosts: ['h'], exact: '/a/b' }),
    route({ name: 'prefix', hosts: ['h'], prefix: '/a/b' }),
    route({ name: 'upper', hosts: ['h'], prefix: '/API/' }),
    route({ name: 'root-exact', hosts: ['h'], exact: '/' }),
  ], { indexMin: 0 });
  assert.deepEqual(names(m, 'h', ['/a/b', '/a/b?x=1', '/a/b/', '/a/bc', '/a', '/api/x', '/API/x', '/', '/?q']), [
    'exact', 'exact', 'prefix', 'prefix', undefined, undefined, 'upper', 'root-exact', 'root-exact',
  ]);
});

test('path tree: a higher-priority regex or pathless route still wins over an indexed prefix', () => {
  const m = new RouteMatcher([
    route({ name: 'long-prefix', hosts: ['h'], prefix: '/users/7' }),
    route({ name: 'regex-high', hosts: ['h'], regex: '/users/[0-9]+', priority: 5 }),
    route({ name: 'any-high', hosts: ['*'], priority: 5, methods: ['DELETE'] }),
    route({ name: 'short-prefix', hosts: ['h'], prefix: '/' }),
    route({ name: 'regex-low', hosts: ['h'], regex: '/users/.*' }),
  ], { indexMin: 0 });
  assert.deepEqual(names(m, 'h', ['/users/7', '/users/7x', '/users/8/edit', '/x']), ['regex-high', 'long-prefix', 'short-prefix', 'short-prefix']);
  assert.equal(m.match(session('h', '/users/7', 'DELETE'))?.name, 'regex-high');
  assert.equal(m.match(session('h', '/users/7x', 'DELETE'))?.name, 'any-high');
});

test('path tree: a longer prefix whose conditions fail gives way to a shorter one, in order', () => {
  const m = new RouteMatcher([
    route({ name: 'post-only', hosts: ['h'], prefix: '/api/v1/', methods: ['POST'] }),
    route({ name: 'canary', hosts: ['h'], prefix: '/api/', header: { name: 'x-h', exact: '1' } }),
    route({ name: 'api', hosts: ['h'], prefix: '/api/' }),
    route({ name: 'wild', hosts: ['*.h'], prefix: '/api/v1/' }),
    route({ name: 'any', hosts: ['*'], prefix: '/' }),
  ], { indexMin: 0 });
  assert.equal(m.match(session('h', '/api/v1/x', 'POST'))?.name, 'post-only');
  assert.equal(m.match(session('h', '/api/v1/x', 'GET', ['x-h', '1']))?.name, 'canary');
  assert.equal(m.match(session('h', '/api/v1/x', 'GET'))?.name, 'api');
  assert.equal(m.match(session('h', '/other'))?.name, 'any');
  assert.equal(m.match(session('a.h', '/api/v1/x'))?.name, 'wild');
  assert.equal(m.match(session('a.h', '/api/v2'))?.name, 'any');
});

test('path tree: a route under an exact host and `*` is tried at its best place, and still matches elsewhere', () => {
  const m = new RouteMatcher([
    route({ name: 'both', hosts: ['h', '*'], prefix: '/x/' }),
    route({ name: 'h-short', hosts: ['h'], prefix: '/' }),
    route({ name: 'any-long', hosts: ['*'], prefix: '/x/y/' }),
  ], { indexMin: 0 });
  assert.equal(m.match(session('h', '/x/y/z'))?.name, 'both');
  assert.equal(m.match(session('other', '/x/y/z'))?.name, 'any-long');
  assert.equal(m.match(session('other', '/x/z'))?.name, 'both');
  assert.deepEqual(m.candidates('h').map((r) => r.name), ['both', 'h-short', 'any-long']);
});

test('path tree: 10,000 prefixes on one host pick the longest matching one, with conditions', () => {
  const routes: CompiledRoute[] = [];
  for (let i = 0; i < 10_000; i++) routes.push(route({ name: `r-${i}`, hosts: ['api.example'], prefix: `/api/v${i % 7}/items/${i}/` }));
  routes.push(route({ name: 'post-9999', hosts: ['api.example'], prefix: '/api/v3/items/9999/', methods: ['POST'] }));
  routes.push(route({ name: 'fallback', hosts: ['api.example'], prefix: '/' }));
  const m = new RouteMatcher(routes);
  assert.equal(m.match(session('api.example', '/api/v3/items/9999/x'))?.name, 'r-9999');
  assert.equal(m.match(session('api.example', '/api/v3/items/9999/x', 'POST'))?.name, 'post-9999');
  assert.equal(m.match(session('api.example', '/api/v1/items/1/'))?.name, 'r-1');
  // `/api/v1/items/1/` is not a prefix of `/api/v1/items/15/`: r-15 (v1 as 15 % 7 = 1) is.
  assert.equal(m.match(session('api.example', '/api/v1/items/15/a'))?.name, 'r-15');
  assert.equal(m.match(session('api.example', '/api/v1/items/16/a'))?.name, 'fallback');
  assert.equal(m.match(session('api.example', '/api/v2/items/9999/'))?.name, 'fallback');
  assert.equal(m.match(session('other.example', '/api/v3/items/9999/')), undefined);
});
