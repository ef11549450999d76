// The dashboard's flags of `sluice control-plane`: --ui-feed-max-subscribers bounds the live feed and
// --ui-session-ttl-seconds the sign-in, on a control plane built from the parsed flags as the command
// builds it; bad values are usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildControlPlane } from '../../control-plane/src/cli/build-control-plane.js';
import { CONTROL_PLANE_DEFAULTS, parseControlPlaneArgs } from '../../control-plane/src/cli/control-plane-options.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { UsageError } from '../../proto/src/command-line/usage-error.js';
import { cleanupStack } from '../support/cleanup-stack.js';
import { EventStream } from './support/event-stream.js';

const ENV = { SLUICE_TOKEN: 'flags-token-0123456789' };
const LOCAL = ['--api-listen', '127.0.0.1:0', '--discovery-listen', '127.0.0.1:0', '--log-level', 'silent'];

test('defaults: 12 h sessions, 200 feed pages', () => {
  const options = parseControlPlaneArgs(LOCAL, ENV);
  assert.ok(options !== 'help');
  assert.equal(options.uiSessionTtlSeconds, 43_200);
  assert.equal(options.uiFeedMaxSubscribers, 200);
  assert.equal(CONTROL_PLANE_DEFAULTS.uiFeedMaxSubscribers, 200);
});

test('bad values are usage errors naming the flag', () => {
  for (const [flag, value] of [['--ui-session-ttl-seconds', '0'], ['--ui-feed-max-subscribers', 'many']] as const) {
    assert.throws(() => parseControlPlaneArgs([...LOCAL, flag, value], ENV), (err: unknown) => err instanceof UsageError && err.message.includes(flag));
  }
});

test('--ui-feed-max-subscribers 1 refuses a second page; the session TTL is the flag\'s', async (t) => {
  const cleanup = cleanupStack(t);
  const options = parseControlPlaneArgs([...LOCAL, '--ui-feed-max-subscribers', '1', '--ui-session-ttl-seconds', '1'], ENV);
  assert.ok(options !== 'help');
  const controlPlane = buildControlPlane(options, options.token, createLogger({ level: 'silent' }));
  await controlPlane.start();
  cleanup(() => controlPlane.stop());
  const auth = { authorization: `Bearer ${ENV.SLUICE_TOKEN}` };
  const first = await EventStream.open(`${controlPlane.apiUrl}/ui/events`, auth);
  cleanup(() => first.close());
  assert.equal(first.status, 200);
  const second = await EventStream.open(`${controlPlane.apiUrl}/ui/events`, auth);
  assert.equal(second.status, 503);
  const signIn = await fetch(`${controlPlane.apiUrl}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ENV.SLUICE_TOKEN }) });
  const cookie = signIn.headers.get('set-cookie')!.split(';', 1)[0]!;
  assert.equal((await fetch(`${controlPlane.apiUrl}/ui/session`, { headers: { cookie } })).status, 200);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await fetch(`${controlPlane.apiUrl}/ui/session`, { headers: { cookie } })).status, 401, 'the session ended after 1 s');
});
