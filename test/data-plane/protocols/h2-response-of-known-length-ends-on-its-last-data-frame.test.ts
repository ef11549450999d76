// An HTTP/2 response whose length is known and whose client did not ask for trailers ends with
// END_STREAM on its last DATA frame, one frame per response fewer; a client that sent `te: trailers`
// (every gRPC client) gets a response that waits for trailers, as before. Frames as nghttp sees them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startMesh } from '../helpers/mesh-fixture.js';
import { startUpstream } from '../helpers/fake-upstream.js';
import { catchAllRouteYaml, clusterYaml, listenerYaml, yamlDocs } from '../helpers/config-yaml.js';

const run = promisify(execFile);

const config = yamlDocs(listenerYaml('plain'), clusterYaml('web', ['{{up}}']), catchAllRouteYaml('web', 'web'));

/** The DATA frames nghttp received, as `length/flags`. */
function dataFrames(verbose: string): string[] {
  return [...verbose.matchAll(/recv DATA frame <length=(\d+), flags=(0x[0-9a-f]+)/g)].map((m) => `${m[1]}/${m[2]}`);
}

test('a response of known length ends on its last DATA frame unless the client asked for trailers', async (t) => {
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 6 });
    res.end('hello\n');
  });
  t.after(() => upstream.close());
  const mesh = await startMesh(config, { up: upstream.port });
  t.after(() => mesh.close());
  const url = `http://127.0.0.1:${mesh.port('plain')}/fixed`;

  const plain = await run('nghttp', ['-nv', url]);
  assert.match(plain.stdout, /:status: 200/);
  assert.deepEqual(dataFrames(plain.stdout), ['6/0x01'], plain.stdout);

  const asking = await run('nghttp', ['-nv', '-H', 'te: trailers', url]);
  assert.match(asking.stdout, /:status: 200/);
  assert.deepEqual(dataFrames(asking.stdout), ['6/0x00', '0/0x01'], asking.stdout);
});
