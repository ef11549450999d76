// The HTTP client of `sluice ctl`: one call to the admin API, its JSON answer, or an error that
// carries the API's code, message and every field error.
import type { FieldError } from '../../../../proto/src/model/field-error.js';

export class CtlError extends Error {
  /** `exitCode`: `sluice ctl`'s exit status for it (1; `ctl diff` uses 3, as 1 there means "differences"). */
  constructor(message: string, readonly details: readonly FieldError[] = [], readonly exitCode = 1) {
    super(message);
    this.name = 'CtlError';
  }

  /** The text `sluice ctl` prints: the message, then every field error on its own line. */
  format(): string {
    return [`error: ${this.message}`, ...this.details.map((e) => `  ${e.path}: ${e.message}`)].join('\n');
  }
}

export interface CallOptions {
  readonly body?: string;
  readonly contentType?: string;
}

export class ApiClient {
  private dispatcher: unknown;

  /** `ca`: PEM certificates that verify an https:// server (`--ca`, SLUICE_CA), instead of the system's. */
  constructor(private readonly server: string, private readonly token: string | undefined, private readonly timeoutMs = 60_000, private readonly ca?: string) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<any> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    const url = new URL(path, this.server.endsWith('/') ? this.server : `${this.server}/`);
    let res: Response;
    try {
      res = await (await this.fetcher())(url, { method, headers, body: options.body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      const untrusted = url.protocol === 'https:' && /CERT|SIGNATURE|ISSUER|SELF_SIGNED|altnames/i.test(`${cause?.code} ${cause?.message}`);
      const hint = untrusted ? 'pass the CA that signed the API\'s certificate with --ca FILE or SLUICE_CA' : 'set --server or SLUICE_SERVER';
      throw new CtlError(`cannot reach the control plane at ${this.server}: ${why} (${hint})`);
    }
    const text = await res.text();
    let body: any;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.ok) return body;
    if (body !== undefined && typeof body.code === 'string') {
      const hint = res.status === 401 && this.token === undefined ? ' (pass --token or set SLUICE_TOKEN)' : '';
      throw new CtlError(`${res.status} ${body.code}: ${body.message}${hint}`, Array.isArray(body.errors) ? body.errors : []);
    }
    throw new CtlError(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
  }

  /**
   * Node's fetch, or with a CA given, undici's with an agent that trusts it (Node's built-in fetch
   * takes no CA; loaded only then, so ctl stays quick to start).
   */
  private async fetcher(): Promise<(url: URL, init: RequestInit) => Promise<Response>> {
    if (this.ca === undefined) return fetch;
    const undici = await import('undici');
    this.dispatcher ??= new undici.Agent({ connect: { ca: this.ca } });
    return async (url, init) => (await undici.fetch(url, { ...(init as object), dispatcher: this.dispatcher as InstanceType<typeof undici.Agent> })) as unknown as Response;
  }
}
