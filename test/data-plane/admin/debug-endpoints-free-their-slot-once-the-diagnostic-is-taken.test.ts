// One /debug request at a time means one diagnostic at a time: while a profile or heap snapshot is
// being taken another request gets 409, but once it is taken the slot is free, even while its file
// is still going out. A client that has read a whole answer and asks again at once (before the
// server has seen its last write complete), or one that reads slowly, does not lock others out.
// The diagnostic itself is a stand-in (DebugSource is our seam); the HTTP server and clients are real.
import assert from 'node:assert/strict';
import { get as httpGet, createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { debugEndpoints } from '../../../data-plane/src/admin/debug-endpoints.js';
import type { DiagnosticResult } from '../../../data-plane/src/diagnostics/diagnostic.js';

const TOKEN = 'debug-slot-token-0123456789';
const FILE_BYTES = 32 * 1024 * 1024;

test('a second /debug request gets 409 while a diagnostic runs and 200 while the first file is still being sent', { timeout: 20_000 }, async (t) => {
  let taken = 0;
  let hold: Promise<void> = Promise.resolve();
  const handler = debugEndpoints({
    adminToken: () => TOKEN,
    diagnose: async (): Promise<DiagnosticResult> => {
      taken++;
      await hold;
      // Each diagnostic's file in a folder of its own, which the endpoint removes once sent.
      const dir = mkdtempSync(join(tmpdir(), 'sluice-debug-slot-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'profile.cpuprofile');
      writeFileSync(file, Buffer.alloc(FILE_BYTES, 0x20));
      return { ok: true, file, pid: process.pid };
    },
  });
  const server = createServer((req, res) => handler(req, res, new URL(req.url ?? '/', 'http://admin').pathname));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const headers = { authorization: `Bearer ${TOKEN}` };

  // While the diagnostic runs: refused.
  let release!: () => void;
  hold = new Promise((resolve) => (release = resolve));
  const first = new Promise<IncomingMessage>((resolve, reject) => httpGet(url('/debug/profile?seconds=1'), { headers, agent: false }, resolve).on('error', reject));
  await waitFor(() => taken === 1);
  const during = await fetch(url('/debug/heap'), { headers });
  assert.equal(during.status, 409);
  assert.match(((await during.json()) as { error: string }).error, /^a 1 s CPU profile started \d+ s ago is still running/);

  // Taken: the first answer starts, and its client reads nothing, so 32 MiB cannot all go out.
  release();
  const slowReader = await first;
  t.after(() => slowReader.destroy());
  assert.equal(slowReader.statusCode, 200);
  slowReader.pause();
  const after = await fetch(url('/debug/heap'), { headers });
  assert.equal(after.status, 200, after.status === 409 ? await after.text() : '');
  assert.equal((await after.arrayBuffer()).byteLength, FILE_BYTES);
  assert.equal(taken, 2);
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('not within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
