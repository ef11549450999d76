// Certificates' private keys are write-only: no API answer and no log line ever carries one, and
// the control plane fills the output-only notAfter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments } from '../../proto/src/model/documents.js';
import { describeEachStore, type TestApi } from '../support/api-harness.js';
import { readExample } from '../support/examples.js';

interface CertDoc { kind: string; name: string; privateKey: string; certChain: string }

function certificates(): CertDoc[] {
  const parsed = parseDocuments(readExample('protocols.yaml'), 'yaml');
  assert.ok(parsed.ok);
  return (parsed.documents as CertDoc[]).filter((d) => d.kind === 'Certificate');
}

/** The base64 lines of every key: none may appear anywhere the API or its logs show. */
function keyLines(): string[] {
  return certificates().flatMap((c) => c.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
}

function assertNoKey(text: string, where: string): void {
  for (const line of keyLines()) assert.ok(!text.includes(line), `${where} shows private key material`);
  assert.ok(!text.includes('BEGIN PRIVATE KEY'), `${where} shows a PEM private key`);
}

function storedKey(api: TestApi, name: string): string | undefined {
  const r = api.controlPlane.resourceCache.get('Certificate', name)?.resource;
  return r?.kind === 'Certificate' ? r.spec.privateKey : undefined;
}

describeEachStore('private keys', (fixture) => {
  test('apply, PUT, GET and list answers redact the key; the store keeps it; notAfter is filled', async () => {
    const { api } = fixture();
    const [web, apiCert] = certificates();
    const applied = await api.apply([web]);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assertNoKey(JSON.stringify(applied.body), 'the apply answer');
    assert.equal(applied.body.resources[0].privateKey, '[redacted]');
    assert.equal(applied.body.resources[0].notAfter, '2126-11-04T14:37:40.000Z');

    const put = await api.put(`/v1/certificates/${apiCert!.name}`, { ...apiCert, notAfter: '1999-01-01T00:00:00Z' });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assertNoKey(JSON.stringify(put.body), 'the PUT answer');
    assert.notEqual(put.body.notAfter, '1999-01-01T00:00:00Z', 'notAfter is output-only');

    const one = await api.get(`/v1/certificates/${web!.name}`);
    assertNoKey(JSON.stringify(one.body), 'GET');
    assert.equal(one.body.certChain, web!.certChain, 'the chain is returned');
    const list = await api.get('/v1/certificates');
    assert.equal(list.body.resources.length, 2);
    assertNoKey(JSON.stringify(list.body), 'the list');

    assert.equal(storedKey(api, web!.name), web!.privateKey, 'the store has the real key (proxies need it)');
  });

  test('sending the redacted form back keeps the stored key (get, edit, apply round-trips)', async () => {
    const { api } = fixture();
    const [web] = certificates();
    const read = (await api.get(`/v1/certificates/${web!.name}`)).body;
    const res = await api.apply([{ ...read, sniNames: ['web.local'] }]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.changes[0].action, 'updated');
    assert.equal(storedKey(api, web!.name), web!.privateKey);
  });

  test('a key that does not match is refused without echoing it', async () => {
    const { api } = fixture();
    const [web, apiCert] = certificates();
    const res = await api.apply([{ ...web!, name: 'mismatch', privateKey: apiCert!.privateKey }]);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path), ['certificates[mismatch].privateKey']);
    assertNoKey(JSON.stringify(res.body), 'the 400 answer');
  });

  test('no log line carries key material', async () => {
    const { api } = fixture();
    assert.ok(api.logs.length > 0, 'the control plane logged');
    assertNoKey(api.logs.join(''), 'the logs');
  });
});

test('the logger redacts privateKey, token and authorization wherever a caller puts them', async () => {
  const { Writable } = await import('node:stream');
  const { createLogger } = await import('../../control-plane/src/logger.js');
  const lines: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } });
  const log = createLogger({ destination });
  log.info({ privateKey: 'K1', resource: { spec: { privateKey: 'K2' } }, req: { headers: { authorization: 'Bearer T1' } }, token: 'T2' }, 'x');
  const text = lines.join('');
  for (const secret of ['K1', 'K2', 'T1', 'T2']) assert.ok(!text.includes(secret), `${secret} was logged: ${text}`);
  assert.match(text, /\[redacted\]/);
});
