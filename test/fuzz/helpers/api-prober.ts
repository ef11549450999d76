// Sends generated requests to a control plane's admin API and checks each answer: 2xx or 4xx (never
// 5xx) within a time bound, a JSON body, an error body with a stable code and field paths, and, when
// the request was refused, a store exactly as it was before (every listing and the revision).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { ErrorCode } from '../../../control-plane/src/errors.js';
import { TEST_TOKEN } from '../../support/api-harness.js';
import type { ApiCase } from './api-cases.js';
import { EXAMPLE_DOCS } from './resource-mutations.js';
import { toJsonText } from './document-text.js';
import { Histogram } from './fuzz-run.js';

const LISTED = ['certificates', 'clusters', 'endpoints', 'listeners', 'routes'];
const CODES = new Set<string>(Object.values(ErrorCode));
/** Where an error may point: the body, a document, or a resource (`routes[web].match.pathPrefix`). */
const ERROR_PATH = /^(body|request|documents\[\d+\]|If-Match|(certificates|clusters|endpoints|listeners|routes)[[(])/;

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly ms: number;
}

/**
 * The store as the API shows it: every listing (each resource with its revision, without the
 * listing's own store revision) and the store revision. On etcd the store revision also moves when
 * the control plane's health checker writes a verdict (the reference clusters have health checks),
 * so only the resources are compared there.
 */
export interface StoreView {
  readonly revision: string;
  readonly listings: readonly string[];
}

export class ApiProber {
  readonly statuses = new Histogram();
  readonly codes = new Histogram();
  private slowest = { ms: 0, shape: '' };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private view: StoreView | undefined;
  private cases = 0;

  /** `revisionMovesAlone`: other writers share the store's revision (etcd), so only resources are compared. */
  constructor(private readonly baseUrl: string, private readonly answerWithinMs: number, private readonly revisionMovesAlone = false) {}

  report(): string {
    return `statuses ${this.statuses}; codes ${this.codes}; slowest ${this.slowest.ms} ms (${this.slowest.shape})`;
  }

  close(): void {
    this.agent.destroy();
  }

  async send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
    const started = performance.now();
    return await new Promise<Answer>((resolve, reject) => {
      const req = request(`${this.baseUrl}${path}`, { method, agent: this.agent, headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: Math.round(performance.now() - started) }));
        res.on('error', reject);
      });
      req.setTimeout(this.answerWithinMs, () => req.destroy(new Error(`no answer within ${this.answerWithinMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async storeView(): Promise<StoreView> {
    const answers = await Promise.all(LISTED.map((plural) => this.send('GET', `/v1/${plural}`, {})));
    for (const a of answers) assert.equal(a.status, 200, a.text);
    return { revision: String(answers[0]!.headers['sluice-revision']), listings: answers.map((a) => a.text.replace(/^\{"kind":"(\w+)","revision":\d+,/, '{"kind":"$1",')) };
  }

  /** Applies the reference documents (back to a known store after a case that changed it). */
  async seed(): Promise<void> {
    const answer = await this.send('POST', '/v1/apply', { 'content-type': 'application/json' }, Buffer.from(toJsonText({ resources: EXAMPLE_DOCS })));
    // A generated listener may hold a reference port by now: the seed's own answer is not the property.
    assert.ok(answer.status < 500, `seeding answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    this.view = await this.storeView();
  }

  /** Sends one generated case and checks the property; throws (with the answer) when it does not hold. */
  async check(c: ApiCase): Promise<void> {
    const before = this.view ?? (await this.storeView());
    const headers: Record<string, string> = {};
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    if (c.ifMatch !== undefined) headers['if-match'] = typeof c.ifMatch === 'string' ? c.ifMatch : await this.revisionOf(c.ifMatch);
    let answer: Answer;
    try {
      answer = await this.send(c.method, c.path, headers, c.body);
    } catch (err) {
      this.statuses.add('no-answer');
      throw new Error(`${c.shape} ${c.method} ${c.path.slice(0, 200)}: ${(err as Error).message}`);
    }
    this.statuses.add(answer.status);
    if (process.env['SLUICE_FUZZ_DUMP']) writeFileSync(`${process.env['SLUICE_FUZZ_DUMP']}/${this.cases}.json`, JSON.stringify({ ...c, body: c.body?.toString('latin1') }));
    this.cases++;
    if (process.env['SLUICE_FUZZ_VERBOSE']) console.log(`# ${c.shape} ${c.method} ${c.path.slice(0, 80)} ${c.body?.length ?? 0} bytes → ${answer.status} at revision ${String(answer.headers['sluice-revision'])} (before ${before.revision}) in ${answer.ms} ms`);
    if (answer.ms > this.slowest.ms) this.slowest = { ms: answer.ms, shape: `${c.shape}, ${c.body?.length ?? 0} bytes` };
    const where = `${c.shape} ${c.method} ${c.path.slice(0, 200)} → ${answer.status} ${answer.text.slice(0, 600)}`;
    assert.ok(answer.status >= 200 && answer.status < 500, where);
    assert.match(String(answer.headers['content-type']), /^application\/json/, where);
    const body = JSON.parse(answer.text) as { code?: unknown; message?: unknown; errors?: unknown };
    if (answer.status >= 400) {
      this.codes.add(String(body.code));
      assert.ok(typeof body.code === 'string' && CODES.has(body.code), `unknown code: ${where}`);
      assert.ok(typeof body.message === 'string' && body.message !== '', `no message: ${where}`);
      assert.ok(Array.isArray(body.errors), `no errors list: ${where}`);
      for (const e of body.errors as Array<{ path?: unknown; message?: unknown }>) {
        assert.ok(typeof e.path === 'string' && ERROR_PATH.test(e.path) && typeof e.message === 'string' && e.message !== '', `bad field error ${JSON.stringify(e).slice(0, 200)}: ${where}`);
      }
      if (answer.status === 400) assert.ok((body.errors as unknown[]).length > 0, `a 400 names no field: ${where}`);
      const after = await this.storeView();
      const changed = LISTED.filter((_, i) => after.listings[i] !== before.listings[i]);
      assert.deepEqual(changed, [], `a refused request changed the store (${changed.join(', ')} changed): ${where}`);
      if (!this.revisionMovesAlone) {
        assert.equal(after.revision, before.revision, `a refused request moved the store revision: ${where}`);
        assert.equal(String(answer.headers['sluice-revision']), before.revision, `a refused request answered another revision: ${where}`);
      }
      this.view = after;
    } else {
      await this.seed();
    }
  }

  private async revisionOf(ref: { kind: string; name: string; delta: number }): Promise<string> {
    const plural = `${ref.kind.toLowerCase()}${ref.kind === 'Endpoints' ? '' : 's'}`;
    const a = await this.send('GET', `/v1/${plural}/${encodeURIComponent(ref.name)}`, {});
    const revision = a.status === 200 ? Number((JSON.parse(a.text) as { revision: number }).revision) : 0;
    return String(Math.max(0, revision + ref.delta));
  }
}
