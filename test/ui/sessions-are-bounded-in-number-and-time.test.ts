// The dashboard's sessions in memory: ids are 32 random bytes (43 base64url characters), distinct; a
// session ends at its TTL; signing in beyond the limit ends the oldest session; over HTTPS the cookie
// is Secure and a change by cookie must name the https:// origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { UiSessions } from '../../control-plane/src/ui/ui-sessions.js';
import { TEST_TOKEN, TestApi } from '../support/api-harness.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { TestPki } from '../support/test-pki.js';

const ALICE = { name: 'alice', role: 'viewer' } as const;
const BOB = { name: 'bob', role: 'editor' } as const;

test('ids are random, 43 characters, and each opens its own caller', () => {
  const sessions = new UiSessions();
  const a = sessions.create(ALICE);
  const b = sessions.create(BOB);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.deepEqual(sessions.lookup(a), ALICE);
  assert.deepEqual(sessions.lookup(b), BOB);
  assert.equal(sessions.lookup(a.slice(0, 42) + (a.endsWith('A') ? 'B' : 'A')), undefined);
  assert.equal(sessions.lookup(''), undefined);
  sessions.delete(a);
  assert.equal(sessions.lookup(a), undefined);
  assert.deepEqual(sessions.lookup(b), BOB);
});

test('a session ends at its TTL', () => {
  let now = 1_000_000;
  const sessions = new UiSessions({ ttlSeconds: 60, now: () => now });
  const id = sessions.create(ALICE);
  now += 59_999;
  assert.deepEqual(sessions.lookup(id), ALICE);
  now += 1;
  assert.equal(sessions.lookup(id), undefined);
  assert.equal(sessions.size, 0);
  // Expired sessions are dropped on sign-in too, not only when looked up.
  sessions.create(ALICE);
  now += 60_000;
  sessions.create(BOB);
  assert.equal(sessions.size, 1);
});

test('beyond the limit the oldest session ends first', () => {
  const sessions = new UiSessions({ maxSessions: 3 });
  const ids = [0, 1, 2, 3, 4].map(() => sessions.create(ALICE));
  assert.equal(sessions.size, 3);
  assert.deepEqual(ids.map((id) => sessions.lookup(id) !== undefined), [false, false, true, true, true]);
});

test('over HTTPS the cookie is Secure and the own origin is https://', async (t) => {
  const cleanup = cleanupStack(t);
  const pki = TestPki.create();
  cleanup(() => pki.dispose());
  const files = pki.server();
  const api = await TestApi.start({ kind: 'embedded' }, { apiTls: { cert: readFileSync(files.cert), key: readFileSync(files.key) } });
  cleanup(() => api.stop());
  const ca = readFileSync(pki.ca);
  const { port } = api.controlPlane.apiListenAddress;
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) => new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, ca, servername: 'localhost', timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const origin = `https://127.0.0.1:${port}`;
  const signIn = await call('POST', '/ui/session', { origin, 'content-type': 'application/json' }, JSON.stringify({ token: TEST_TOKEN }));
  assert.equal(signIn.status, 200);
  const setCookie = (signIn.headers['set-cookie'] as string[])[0]!;
  assert.match(setCookie, /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  const cookie = setCookie.split(';', 1)[0]!;
  const cluster = JSON.stringify({ resources: [{ kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 18080 }] }] });
  const http = await call('POST', '/v1/apply', { cookie, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' }, cluster);
  assert.equal(http.status, 403);
  const https = await call('POST', '/v1/apply', { cookie, origin, 'content-type': 'application/json' }, cluster);
  assert.equal(https.status, 200);
});
