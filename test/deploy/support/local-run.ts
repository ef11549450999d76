// Runs a manifest's `sluice` command line on this machine: the same command and flags, with every
// address moved to 127.0.0.1 (a free port for each listen flag), the token file, the state directory,
// etcd, the control plane and the application replaced by local ones. What a probe or a Service reaches by port in the
// cluster is then reached here through `localPorts`.
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../support/free-port.js';
import { httpAnswer, type HttpAnswer } from '../../support/http-answer.js';
import { until } from '../../support/until.js';
import { spawnGuarded, stopChild } from '../../support/process-guard.js';
import { REPO_ROOT } from '../../support/repo-root.js';
import { expandVariables, splitHostPort, type SluiceUse } from './manifest-uses.js';
import { sluiceBinPath } from './sluice-code.js';

export interface LocalStand {
  /** Stands in for the Secret key the command line reads (--token-file, --bootstrap-token-file). */
  tokenFile: string;
  /** A directory of this test's own, for directories the command line names (--state-dir). */
  scratchDir: string;
  etcdEndpoints?: readonly string[];
  /** Files that stand in for the etcd client certificate Secret (--etcd-ca, --etcd-cert, --etcd-key). */
  etcdTls?: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Stands in for the encryption key Secret (--encryption-key-file). */
  encryptionKeyFile?: string;
  /** 127.0.0.1 port of the local control plane's discovery listener. */
  discoveryPort?: number;
  /** Stands in for the trust-bundle ConfigMap (--control-plane-ca): the local control plane's roots. */
  controlPlaneCa?: string;
  /** 127.0.0.1 port of the local application behind a sidecar. */
  appPort?: number;
}

export interface LocalCommandLine {
  readonly args: string[];
  /** Manifest port → local port, for every listen flag. */
  readonly localPorts: Map<number, number>;
}

/** Values for the downward-API variables the manifests use, as Kubernetes would fill them in. */
function downwardValues(use: SluiceUse): Record<string, string> {
  const values: Record<string, string> = {};
  for (const e of use.container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) values[e.name] = e.value;
    else if (field === 'metadata.name') values[e.name] = `${use.pod.owner.metadata.name}-7d9f8-x2x4q`;
    else if (field === 'metadata.namespace') values[e.name] = use.pod.namespace;
  }
  return values;
}

export async function localCommandLine(use: SluiceUse, stand: LocalStand): Promise<LocalCommandLine> {
  const values = downwardValues(use);
  const localPorts = new Map<number, number>();
  const args = [use.command];
  for (const flag of use.flags) {
    let value = flag.value === undefined ? undefined : expandVariables(flag.value, values);
    if (flag.name.endsWith('-listen') && value !== undefined) {
      const hp = splitHostPort(value);
      if (hp !== undefined) {
        const port = await freePort();
        localPorts.set(hp.port, port);
        value = `127.0.0.1:${port}`;
      }
    } else if (flag.name === '--etcd' && stand.etcdEndpoints !== undefined) {
      value = stand.etcdEndpoints.join(',');
    } else if (flag.name === '--etcd-ca' && stand.etcdTls !== undefined) {
      value = stand.etcdTls.ca;
    } else if (flag.name === '--etcd-cert' && stand.etcdTls !== undefined) {
      value = stand.etcdTls.cert;
    } else if (flag.name === '--etcd-key' && stand.etcdTls !== undefined) {
      value = stand.etcdTls.key;
    } else if (flag.name === '--encryption-key-file' && stand.encryptionKeyFile !== undefined) {
      value = stand.encryptionKeyFile;
    } else if (flag.name === '--state-dir') {
      value = mkdtempSync(join(stand.scratchDir, 'state-'));
    } else if (flag.name === '--token-file' || flag.name === '--bootstrap-token-file') {
      value = stand.tokenFile;
    } else if (flag.name === '--control-plane' && stand.discoveryPort !== undefined) {
      value = `127.0.0.1:${stand.discoveryPort}`;
    } else if (flag.name === '--control-plane-ca' && stand.controlPlaneCa !== undefined) {
      value = stand.controlPlaneCa;
    } else if (flag.name === '--app-port' && stand.appPort !== undefined) {
      value = String(stand.appPort);
    }
    args.push(flag.name);
    if (value !== undefined) args.push(value);
  }
  return { args, localPorts };
}

/** A running `sluice` process and the tail of what it printed. */
export class LocalProcess {
  private readonly output: string[] = [];
  readonly child: ChildProcess;

  constructor(readonly args: readonly string[]) {
    this.child = spawnGuarded(process.execPath, [sluiceBinPath(), ...args], { cwd: REPO_ROOT });
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      if (this.output.length > 40) this.output.splice(0, this.output.length - 40);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** `sluice control-plane ...` exited with 1: <its last lines> */
  describe(): string {
    const state = this.exited ? `exited with ${this.child.exitCode ?? this.child.signalCode}` : 'is running';
    return `\`sluice ${this.args.join(' ')}\` ${state}; it printed:\n    ${this.output.slice(-12).join('\n    ')}`;
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 5000);
  }
}

/** GET http://127.0.0.1:port/path; undefined when nothing answers. */
export function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer | undefined> {
  return httpAnswer(port, path, { headers, timeoutMs: 3000 });
}

/** POST `body` to http://127.0.0.1:port/path; undefined when nothing answers. */
export function httpPost(port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<HttpAnswer | undefined> {
  return httpAnswer(port, path, { method: 'POST', headers, body, timeoutMs: 3000 });
}

/**
 * Polls GET path until it answers something other than "not yet" (no answer, or 503), the process
 * exits, or `timeoutMs` passes; returns the last answer.
 */
export async function waitForAnswer(proc: LocalProcess, port: number, path: string, timeoutMs: number): Promise<HttpAnswer | undefined> {
  let answer: HttpAnswer | undefined;
  const settled = async (): Promise<boolean> => {
    answer = await httpGet(port, path);
    return (answer !== undefined && answer.status !== 503) || proc.exited;
  };
  // Running out of time is no error here: the caller asserts on the last answer, which says more.
  await until(`GET ${path} on ${port}`, settled, timeoutMs, 150).catch(() => undefined);
  return answer;
}

/**
 * Whether 127.0.0.1:port speaks HTTP/2 (as gRPC does): the server answers the preface with SETTINGS.
 * With `ca`: over TLS whose certificate chains to `ca`, ALPN h2 (the discovery port with --discovery-tls).
 */
export function speaksHttp2(port: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ca === undefined ? connect({ host: '127.0.0.1', port }) : connectTls({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'], servername: 'control-plane.sluice', checkServerIdentity: () => undefined });
    let received = Buffer.alloc(0);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.on('error', () => done(false));
    socket.on(ca === undefined ? 'connect' : 'secureConnect', () => {
      // Client preface, then an empty SETTINGS frame (length 0, type 4, flags 0, stream 0).
      socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 9) done(received[3] === 4);
    });
    socket.on('end', () => done(false));
  });
}

/**
 * POSTs `body` over HTTPS to 127.0.0.1:port, verifying the server with `ca` for `servername` (chain and
 * host name, as the API server calls a webhook); undefined when no verified answer came.
 */
export function httpsPost(port: number, path: string, body: string, ca: string, servername: string): Promise<HttpAnswer | undefined> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', ca, servername, headers: { 'content-type': 'application/json' }, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
