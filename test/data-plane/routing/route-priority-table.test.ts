// Routing table cases: which route wins for a request, by the documented priority rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { CompiledRoute } from '../../../data-plane/src/routing/compiled-route.js';
import { RouteMatcher } from '../../../data-plane/src/routing/route-matcher.js';
import { session } from './route-session.js';

const ROUTES = `
kind: Cluster
name: c
endpoints: [{address: 127.0.0.1, port: 1}]
---
kind: Route
name: any-catch-all
hosts: ["*"]
respond: {status: 200}
---
kind: Route
name: wild-web
hosts: ["*.web.local"]
match: {pathPrefix: /}
respond: {status: 200}
---
kind: Route
name: wild-deep
hosts: ["*.api.web.local"]
match: {pathPrefix: /}
respond: {status: 200}
---
kind: Route
name: exact-web-prefix
hosts: ["web.local"]
match: {pathPrefix: /}
respond: {status: 200}
---
kind: Route
name: exact-web-long-prefix
hosts: ["web.local"]
match: {pathPrefix: /static/img/}
respond: {status: 200}
---
kind: Route
name: exact-web-short-prefix
hosts: ["web.local"]
match: {pathPrefix: /static/}
respond: {status: 200}
---
kind: Route
name: exact-web-exact-path
hosts: ["web.local"]
match: {pathExact: /static/app.js}
respond: {status: 200}
---
kind: Route
name: exact-web-regex
hosts: ["web.local"]
match: {pathRegex: "/users/[0-9]+"}
respond: {status: 200}
---
kind: Route
name: exact-web-post-users
hosts: ["web.local"]
match: {pathRegex: "/users/[0-9]+", methods: [POST]}
respond: {status: 200}
---
kind: Route
name: canary-by-header
hosts: ["web.local"]
match: {pathPrefix: /, headers: [{name: x-canary, exact: "1"}]}
respond: {status: 200}
---
kind: Route
name: beta-by-query
hosts: ["web.local"]
match: {pathPrefix: /, query: [{name: beta, present: true}]}
respond: {status: 200}
---
kind: Route
name: no-bots
hosts: ["web.local"]
match: {pathPrefix: /, headers: [{name: user-agent, regex: ".*bot.*", invert: true}], methods: [PUT]}
respond: {status: 200}
---
kind: Route
name: high-priority-any
hosts: ["*"]
priority: 10
match: {pathExact: /override}
respond: {status: 200}
`;


const parsed = parseConfigText(ROUTES, 'yaml');
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const matcher = new RouteMatcher(parsed.config.resources.list('Route').map((r) => new CompiledRoute(r)));

const CASES: Array<[host: string, target: string, method: string, headers: string[], want: string | undefined]> = [
  ['web.local', '/', 'GET', [], 'exact-web-prefix'],
  ['web.local', '/static/x.css', 'GET', [], 'exact-web-short-prefix'],
  ['web.local', '/static/img/a.png', 'GET', [], 'exact-web-long-prefix'],
  ['web.local', '/static/app.js', 'GET', [], 'exact-web-exact-path'],
  ['web.local', '/users/42', 'GET', [], 'exact-web-prefix'],
  ['web.local', '/users/42', 'POST', [], 'exact-web-prefix'],
  ['web.local', '/home', 'GET', ['x-canary', '1'], 'canary-by-header'],
  ['web.local', '/home', 'GET', ['x-canary', '2'], 'exact-web-prefix'],
  ['web.local', '/home?beta', 'GET', [], 'beta-by-query'],
  ['web.local', '/home?beta=yes&x=1', 'GET', [], 'beta-by-query'],
  ['web.local', '/home', 'PUT', ['user-agent', 'curl'], 'no-bots'],
  ['web.local', '/home', 'PUT', ['user-agent', 'googlebot'], 'exact-web-prefix'],
  ['a.web.local', '/anything', 'GET', [], 'wild-web'],
  ['x.y.web.local', '/anything', 'GET', [], 'wild-web'],
  ['v1.api.web.local', '/anything', 'GET', [], 'wild-deep'],
  ['api.web.local', '/anything', 'GET', [], 'wild-web'],
  ['other.local', '/anything', 'GET', [], 'any-catch-all'],
  ['web.local', '/override', 'GET', [], 'high-priority-any'],
  ['a.web.local', '/override', 'GET', [], 'high-priority-any'],
];

test('routing table: priority, then exact > wildcard > any host, then exact > longest prefix > regex path, then more conditions', () => {
  for (const [host, target, method, headers, want] of CASES) {
    assert.equal(matcher.match(session(host, target, method, headers))?.name, want, `${method} ${host}${target} ${headers.join(':')}`);
  }
});

test('routing table: a prefix beats a regex, and the regex route wins where no prefix route matches', () => {
  const only = parseConfigText(`
kind: Route
name: regex
hosts: ["h"]
match: {pathRegex: "/users/[0-9]+"}
respond: {status: 200}
---
kind: Route
name: prefix
hosts: ["h"]
match: {pathPrefix: /users/}
respond: {status: 200}
---
kind: Route
name: no-path
hosts: ["h"]
respond: {status: 200}
`, 'yaml');
  assert.ok(only.ok);
  const m = new RouteMatcher(only.config.resources.list('Route').map((r) => new CompiledRoute(r)));
  assert.equal(m.match(session('h', '/users/7'))?.name, 'prefix');
  assert.equal(m.match(session('h', '/other'))?.name, 'no-path');
  const regexOnly = new RouteMatcher(only.config.resources.list('Route').filter((r) => r.name !== 'prefix').map((r) => new CompiledRoute(r)));
  assert.equal(regexOnly.match(session('h', '/users/7'))?.name, 'regex');
  // The regex must match the whole path, not a part of it.
  assert.equal(regexOnly.match(session('h', '/users/7/edit'))?.name, 'no-path');
});

test('routing table: no route for an unknown host when there is no catch-all', () => {
  const m = new RouteMatcher(parsed.config.resources.list('Route').filter((r) => !r.hosts.includes('*')).map((r) => new CompiledRoute(r)));
  assert.equal(m.match(session('nope.example', '/')), undefined);
  assert.equal(m.match(session('web.local', '/'))?.name, 'exact-web-prefix');
});
