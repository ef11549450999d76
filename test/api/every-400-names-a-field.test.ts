// Every 400 carries at least one field error with a path, so a client (and `sluice ctl`) can always
// point at what to fix: the body as a whole (`body`), a document, a resource field, or If-Match.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestApi, type ApiAnswer } from '../support/api-harness.js';

let api: TestApi;
before(async () => {
  api = await TestApi.start();
});
after(async () => {
  await api.stop();
});

function assertNamesField(res: ApiAnswer, path: string, message: RegExp): void {
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.code, 'SLUICE_BAD_REQUEST');
  assert.equal(res.body.errors.length, 1, JSON.stringify(res.body));
  assert.equal(res.body.errors[0].path, path);
  assert.match(res.body.errors[0].message, message);
}

test('an empty or blank body: 400 at `body`', async () => {
  assertNamesField(await api.request('POST', '/v1/apply', { body: '', contentType: 'application/json' }), 'body', /^is empty$/);
  assertNamesField(await api.request('POST', '/v1/apply', { body: ' \n\t', contentType: 'application/yaml' }), 'body', /^is empty$/);
  assertNamesField(await api.request('PUT', '/v1/clusters/web', { body: '', contentType: 'application/json' }), 'body', /^is empty$/);
});

test('an apply with no resources: 400 at `body`', async () => {
  assertNamesField(await api.request('POST', '/v1/apply', { body: { resources: [] } }), 'body', /^holds no resources$/);
  assertNamesField(await api.apply('---\n---\n'), 'body', /^holds no resources$/);
});

test('a PUT body with other than one resource: 400 at `body`', async () => {
  const doc = { kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 19081 }] };
  assertNamesField(await api.put('/v1/clusters/web', [doc, doc]), 'body', /^must hold exactly one resource, got 2$/);
  assertNamesField(await api.put('/v1/clusters/web', []), 'body', /^must hold exactly one resource, got 0$/);
});

test('an If-Match that is not a revision: 400 at `If-Match`, on PUT and DELETE', async () => {
  const doc = { kind: 'Cluster', name: 'web', endpoints: [{ address: '127.0.0.1', port: 19081 }] };
  for (const value of ['abc', '1e3', '-1', '*']) {
    assertNamesField(await api.put('/v1/clusters/web', doc, { headers: { 'if-match': value } }), 'If-Match', /^must be one store revision/);
    assertNamesField(await api.delete('/v1/clusters/web', { headers: { 'if-match': value } }), 'If-Match', /^must be one store revision/);
  }
});
