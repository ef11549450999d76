// A control plane with discovery on 127.0.0.1:0 and the embedded store, the dashboard's feed options
// of the test's choosing, and a signed-in session: what the live feed's tests start from.
import { discoveryModule, type DiscoveryModule } from '../../../control-plane/src/discovery/discovery-module.js';
import type { UiOptions } from '../../../control-plane/src/ui/ui-module.js';
import { TEST_TOKEN, TestApi } from '../../support/api-harness.js';
import { EventStream } from './event-stream.js';

export interface FeedFixture {
  readonly api: TestApi;
  readonly discovery: DiscoveryModule;
  /** `sluice_session=...` of an admin session. */
  readonly cookie: string;
  /** Opens GET /ui/events signed in by the session cookie. */
  open(): Promise<EventStream>;
  /** The value of a metric without labels on GET /metrics. */
  metric(name: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startFeedFixture(ui: UiOptions = {}): Promise<FeedFixture> {
  let discovery: DiscoveryModule | undefined;
  const api = await TestApi.start({ kind: 'embedded' }, {
    ui,
    modules: [discoveryModule({ listen: { host: '127.0.0.1', port: 0 }, debounceMs: 20 }, (m) => (discovery = m))],
  });
  const res = await fetch(`${api.url}/ui/session`, {
    method: 'POST',
    headers: { origin: api.url, 'content-type': 'application/json' },
    body: JSON.stringify({ token: TEST_TOKEN }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  const cookie = /^(sluice_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  return {
    api,
    discovery: discovery!,
    cookie,
    open: () => EventStream.open(`${api.url}/ui/events`, { cookie }),
    metric: async (name) => {
      const text = await (await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`no metric ${name}`);
      return Number(line.slice(name.length + 1));
    },
    stop: () => api.stop(),
  };
}
