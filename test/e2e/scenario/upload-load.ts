// Large uploads (a few MiB each) whose SHA-256 the upstream sends back: a body cut, truncated or
// mixed up on the way fails the comparison. Each upload takes a fresh connection (`agent: false`), so
// none is ever sent on a keep-alive connection the server may be closing: a POST is not retried.
import { createHash, randomBytes } from 'node:crypto';
import { expectJson200, record, send, type Answer, type HttpTarget } from './http1-load.js';
import { LaneCounters, paced } from './lane-counters.js';

const BODIES = [2, 3, 4].map((mib) => {
  const body = randomBytes(mib * 1024 * 1024);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
});

export async function runUploadLane(lane: LaneCounters, target: HttpTarget, options: { perSecond: number; running: () => boolean }): Promise<void> {
  let n = 0;
  await paced(options.perSecond, options.running, async () => {
    const port = target.port();
    if (port === undefined) return;
    const { body, sha256 } = BODIES[n++ % BODIES.length]!;
    const check = (a: Answer): string | undefined => {
      const problem = expectJson200(a);
      if (problem !== undefined) return problem;
      const j = JSON.parse(a.body.toString()) as { bytes: number; sha256: string };
      return j.bytes === body.length && j.sha256 === sha256 ? undefined : `upload of ${body.length} bytes arrived as ${j.bytes} bytes, sha256 ${j.sha256.slice(0, 12)}… (sent ${sha256.slice(0, 12)}…)`;
    };
    const startedAt = Date.now();
    lane.started++;
    try {
      record(lane, target, startedAt, { answer: await send(false, { ...target, method: 'POST' }, port, body) }, check);
    } catch (error) {
      record(lane, target, startedAt, { error }, check);
    }
  });
}
