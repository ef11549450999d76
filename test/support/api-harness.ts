// A control plane on 127.0.0.1:0 for API and CLI tests, with a small fetch-based client.
import { after, before, describe } from 'node:test';
import { Writable } from 'node:stream';
import { EtcdCluster } from './etcd-cluster.js';
import { ControlPlane, type ControlPlaneOptions } from '../../control-plane/src/control-plane.js';
import { createLogger } from '../../control-plane/src/logger.js';

export const TEST_TOKEN = 'test-token-0123456789';

export type StoreChoice = { kind: 'embedded' } | { kind: 'etcd'; endpoints: readonly string[] };

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body. */
  readonly body: any;
}

export interface RequestOptions {
  /** A JSON value (sent as JSON), or a string sent as is. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** null sends no Authorization header. */
  readonly token?: string | null;
}

export class TestApi {
  private constructor(
    readonly controlPlane: ControlPlane,
    /** Every log line the control plane wrote, for checks that secrets are never logged. */
    readonly logs: readonly string[],
  ) {}

  static async start(store: StoreChoice = { kind: 'embedded' }, options: Partial<ControlPlaneOptions> = {}): Promise<TestApi> {
    const logs: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    const controlPlane = new ControlPlane({
      token: TEST_TOKEN,
      apiListen: { host: '127.0.0.1', port: 0 },
      etcdEndpoints: store.kind === 'etcd' ? store.endpoints : [],
      log: createLogger({ level: 'debug', destination }),
      ...options,
    });
    await controlPlane.start();
    return new TestApi(controlPlane, logs);
  }

  get url(): string {
    return this.controlPlane.apiUrl;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers['authorization'] = `Bearer ${options.token ?? TEST_TOKEN}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(15000) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
  }

  get(path: string, options?: RequestOptions): Promise<ApiAnswer> {
    return this.request('GET', path, options);
  }

  put(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiAnswer> {
    return this.request('PUT', path, { ...options, body });
  }

  delete(path: string, options?: RequestOptions): Promise<ApiAnswer> {
    return this.request('DELETE', path, options);
  }

  /** POST /v1/apply with `{resources}` JSON, or YAML text. */
  apply(input: unknown[] | string, options: RequestOptions = {}): Promise<ApiAnswer> {
    return typeof input === 'string'
      ? this.request('POST', '/v1/apply', { contentType: 'application/yaml', ...options, body: input })
      : this.request('POST', '/v1/apply', { ...options, body: { resources: input } });
  }

  async stop(): Promise<void> {
    await this.controlPlane.stop();
  }
}

export interface StoreFixture {
  /** The control plane under test (started in `before`). */
  readonly api: TestApi;
  /** The etcd cluster behind it; undefined on the embedded store. */
  readonly etcd: EtcdCluster | undefined;
}

/**
 * Runs `body` once per store: a `describe` per store with a fresh control plane (and, for etcd, a fresh
 * single-member cluster) started before its tests and stopped after them.
 */
export function describeEachStore(title: string, body: (fixture: () => StoreFixture) => void, options: Partial<ControlPlaneOptions> = {}): void {
  for (const storeKind of ['embedded', 'etcd'] as const) {
    describe(`${title} (${storeKind} store)`, () => {
      let fixture: StoreFixture | undefined;
      let etcd: EtcdCluster | undefined;
      before(async () => {
        etcd = storeKind === 'etcd' ? await EtcdCluster.start() : undefined;
        const api = await TestApi.start(etcd === undefined ? { kind: 'embedded' } : { kind: 'etcd', endpoints: etcd.endpoints }, options);
        fixture = { api, etcd };
      });
      after(async () => {
        await fixture?.api.stop();
        await etcd?.stop();
      });
      body(() => {
        if (fixture === undefined) throw new Error('the store fixture is not started');
        return fixture;
      });
    });
  }
}
