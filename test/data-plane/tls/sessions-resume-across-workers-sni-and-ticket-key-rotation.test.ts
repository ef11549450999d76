// TLS session resumption on an HTTPS listener of a real `sluice proxy`, with stateless tickets over
// TLS 1.2 and 1.3: a client offering the ticket of its last connection resumes, with and without SNI,
// for each name's certificate (each its own secure context), over one process and over two workers
// whichever worker Node's round-robin gives the connection; after a ticket-key rotation an old ticket
// gets a full handshake (never a failure) and the new ticket resumes. /metrics counts both kinds.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { SecureVersion } from 'node:tls';
import { request } from 'undici';
import { freePort } from '../../support/free-port.js';
import { startProxyProcess, type ProxyProcess } from '../helpers/proxy-process.js';
import { certificateDocument, selfSigned } from '../helpers/self-signed-certificate.js';
import { tlsVisit, type TlsVisit } from '../helpers/tls-session-client.js';

const VERSIONS: SecureVersion[] = ['TLSv1.2', 'TLSv1.3'];
const NAMES = [undefined, 'a.test', 'b.test'];

/** Three certificates: the default (ECDSA), a.test (ECDSA) and b.test (RSA), one context each. */
function config(port: number): string {
  const certs = { fallback: selfSigned('ec', 'fallback', ['fallback.test']), 'a-ec': selfSigned('ec', 'a.test', ['a.test']), 'b-rsa': selfSigned('rsa', 'b.test', ['b.test']) };
  return [
    ...Object.entries(certs).map(([name, cert]) => certificateDocument(name, cert)),
    `kind: Listener\nname: public\naddress: 127.0.0.1\nport: ${port}\nprotocol: HTTPS\ntls: {certificates: [fallback, a-ec, b-rsa], defaultCertificate: fallback}\n`,
  ].join('---\n');
}

async function startProxy(workers: number, extra: string[] = []): Promise<{ proxy: ProxyProcess; port: number }> {
  // A fixed port: with workers the start-up line does not say which one port 0 became.
  const port = await freePort();
  const proxy = await startProxyProcess(config(port), ['--workers', String(workers), '--admin-listen', '127.0.0.1:0', ...extra]);
  return { proxy, port };
}

/** `count` connections in a row, each offering the ticket of the one before; every visit returned. */
async function chain(port: number, version: SecureVersion, servername: string | undefined, count: number): Promise<TlsVisit[]> {
  const visits: TlsVisit[] = [];
  let session: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const v = await tlsVisit(port, { version, session, ...(servername === undefined ? {} : { servername }) });
    visits.push(v);
    session = v.session ?? session;
  }
  return visits;
}

/** What went wrong in a chain: the first must be full, every later one resumed, each answered, ALPN kept. */
function chainProblems(what: string, visits: readonly TlsVisit[]): string[] {
  const problems: string[] = [];
  visits.forEach((v, i) => {
    if (i === 0 && v.resumed) problems.push(`${what} #0: resumed with no ticket offered`);
    if (i > 0 && !v.resumed) problems.push(`${what} #${i}: full handshake, the ticket of #${i - 1} was not resumed`);
    // A resumed connection may get no new ticket (OpenSSL renews none in TLS 1.2): the old one is kept.
    if (!v.resumed && v.session === undefined) problems.push(`${what} #${i}: no ticket issued after a full handshake`);
    if (v.alpn !== 'http/1.1') problems.push(`${what} #${i}: ALPN ${v.alpn}`);
  });
  return problems;
}

async function handshakeCounts(proxy: ProxyProcess): Promise<{ resumed: number; full: number }> {
  const admin = /admin on (http:\/\/[^\s]+) /.exec(proxy.output())![1]!;
  const text = await (await request(`${admin}/metrics`)).body.text();
  const count = (session: string): number => Number(new RegExp(`^sluice_proxy_tls_handshakes_total\\{listener="public",session="${session}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { resumed: count('resumed'), full: count('full') };
}

/** Over each TLS version and SNI name (none, a.test, b.test): a full handshake, then `reconnects` resumed ones. */
async function everyReconnectResumes(t: TestContext, workers: number, reconnects: number): Promise<void> {
  const { proxy, port } = await startProxy(workers);
  t.after(() => proxy.stop());
  const problems: string[] = [];
  for (const version of VERSIONS) {
    for (const servername of NAMES) problems.push(...chainProblems(`${version} SNI ${servername ?? '(none)'}`, await chain(port, version, servername, reconnects + 1)));
  }
  assert.deepEqual(problems, []);
  const chains = VERSIONS.length * NAMES.length;
  assert.deepEqual(await handshakeCounts(proxy), { resumed: chains * reconnects, full: chains });
}

test('one process: a ticket resumes over TLS 1.2 and 1.3, with SNI for each certificate and without', (t) => everyReconnectResumes(t, 1, 3));

// Round-robin alternates the workers: each reconnect opens a ticket the other worker sealed.
test('two workers: every reconnect resumes, whichever worker takes it', (t) => everyReconnectResumes(t, 2, 11));

test('after a ticket-key rotation an old ticket gets a full handshake, never a failure, and the new ticket resumes', async (t) => {
  const { proxy, port } = await startProxy(2, ['--tls-ticket-key-rotation-s', '1']);
  t.after(() => proxy.stop());
  for (const version of VERSIONS) {
    for (const servername of [undefined, 'a.test']) {
      const what = `${version} SNI ${servername ?? '(none)'}`;
      const sni = servername === undefined ? {} : { servername };
      const first = await tlsVisit(port, { version, ...sni });
      // Offer the same old ticket until a rotation has retired its key (every 1 s); each visit must answer.
      let old: TlsVisit | undefined;
      for (let i = 0; i < 60 && (old === undefined || old.resumed); i++) {
        old = await tlsVisit(port, { version, session: first.session, ...sni });
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(old!.resumed, false, `${what}: the old ticket still resumed 6 s later: no rotation`);
      assert.ok(old!.session !== undefined, `${what}: no new ticket after the full handshake`);
      // The fresh ticket resumes. Keys rotate every second and reach the two workers one after the
      // other, so a rotation may fall between the two visits: a few tries, each with the newest ticket.
      let next = await tlsVisit(port, { version, session: old!.session, ...sni });
      for (let i = 0; i < 4 && !next.resumed; i++) next = await tlsVisit(port, { version, session: next.session, ...sni });
      assert.equal(next.resumed, true, `${what}: five tickets issued after the rotation, none resumed`);
    }
  }
});
