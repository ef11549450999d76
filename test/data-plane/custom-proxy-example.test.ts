// The README's custom proxy: header-based routing plus an auth check, built from the library's
// pieces in about 30 lines (between the two markers), and a test that it does what it says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startUpstream } from './helpers/fake-upstream.js';

// --- example start ---
import { createProxyServer, HttpProxy, Peer, ProxyError, ProxyErrorCode, type ProxyHttp, type Session } from '../../data-plane/src/index.js';

interface Ctx {
  user: string;
}

function tenantProxy(backends: { stable: Peer; beta: Peer }, tokens: Map<string, string>): ProxyHttp<Ctx> {
  return {
    newCtx: () => ({ user: '' }),
    // Runs first: refuse requests without a known bearer token.
    requestFilter(session: Session, ctx: Ctx) {
      const user = tokens.get(session.headers.get('authorization') ?? '');
      if (user === undefined) {
        session.respond(401, 'who are you?\n', { 'www-authenticate': 'Bearer' });
        return true;
      }
      ctx.user = user;
      return false;
    },
    // Header-based routing: `x-channel: beta` goes to the beta backend.
    upstreamPeer: (session: Session) => (session.headers.get('x-channel') === 'beta' ? backends.beta : backends.stable),
    // Tell the backend who is calling; never pass the credential on.
    upstreamRequestFilter(_session, request, ctx) {
      request.headers.remove('authorization');
      request.headers.set('x-user', ctx.user);
    },
    responseFilter: (_session, response) => response.headers.set('x-served-by', 'tenant-proxy'),
    failToProxy: (session: Session, error: ProxyError) => {
      if (error.code === ProxyErrorCode.ConnectFailure) session.respond(503, 'backend down, try later\n');
    },
  };
}
// --- example end ---

test('custom proxy from the library: auth check, header-based routing, request and response edits', async (t) => {
  const stable = await startUpstream((req, res) => res.end(`stable for ${req.headers['x-user']} auth=${req.headers.authorization ?? 'none'}`));
  const beta = await startUpstream((req, res) => res.end(`beta for ${req.headers['x-user']}`));
  t.after(() => Promise.all([stable.close(), beta.close()]));
  const backends = { stable: new Peer('127.0.0.1', stable.port), beta: new Peer('127.0.0.1', beta.port) };
  const server = createProxyServer(new HttpProxy(tenantProxy(backends, new Map([['Bearer alice-token', 'alice']]))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const anonymous = await request(url);
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
  await anonymous.body.text();
  assert.equal(stable.seen.length + beta.seen.length, 0, 'an unauthenticated request reached a backend');

  const toStable = await request(url, { headers: { authorization: 'Bearer alice-token' } });
  assert.equal(await toStable.body.text(), 'stable for alice auth=none');
  assert.equal(toStable.headers['x-served-by'], 'tenant-proxy');

  const toBeta = await request(url, { headers: { authorization: 'Bearer alice-token', 'x-channel': 'beta' } });
  assert.equal(await toBeta.body.text(), 'beta for alice');

  await beta.close();
  const down = await request(url, { headers: { authorization: 'Bearer alice-token', 'x-channel': 'beta' } });
  assert.equal(down.statusCode, 503);
  assert.equal(await down.body.text(), 'backend down, try later\n');
});
