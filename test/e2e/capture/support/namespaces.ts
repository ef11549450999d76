// Network namespaces a test creates for itself (root only): a `hub` holding a bridge, and pods, each
// a namespace with one veth into the bridge and its own /etc/netns/<name>/hosts (which `ip netns
// exec` mounts over /etc/hosts). Everything is removed when the test ends, and also when the test
// runner kills the file (then no `after` hook runs): a detached watchdog deletes the namespaces once
// this process is gone. Processes started in a namespace are guarded like every child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { spawnGuarded } from '../../../support/process-guard.js';

const run = promisify(execFile);

/** The hub's bridge address; pods get .1, .2, ... of the same /24. */
export const HUB_ADDRESS = '10.211.0.254';

export interface Pod {
  /** The namespace's name. */
  readonly ns: string;
  readonly address: string;
}

export interface Topology {
  readonly hub: string;
  readonly pods: readonly Pod[];
  /** Runs a command in namespace `ns` to completion (at most `timeoutMs`). */
  exec(ns: string, command: string, args: readonly string[], timeoutMs?: number): Promise<{ stdout: string; stderr: string }>;
  /**
   * Starts a long-running command in `ns`, in group `gid` when given (setpriv: still root, so it reads
   * the checkout wherever it is, but its sockets belong to that group); its output is kept.
   */
  start(ns: string, command: string, args: readonly string[], options?: { gid?: number; env?: NodeJS.ProcessEnv }): Started;
  /** Deletes the namespaces and their /etc/netns files. */
  remove(): Promise<void>;
}

export interface Started {
  readonly child: ChildProcess;
  output(): string;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

/** `hosts`: per pod, extra /etc/hosts lines (`address name`). */
export async function createTopology(podCount: number, hosts: (pod: Pod, pods: readonly Pod[]) => string[] = () => []): Promise<Topology> {
  const tag = `sl${process.pid}`;
  const hub = `${tag}-hub`;
  const pods: Pod[] = Array.from({ length: podCount }, (_, i) => ({ ns: `${tag}-p${i + 1}`, address: `10.211.0.${i + 1}` }));
  const names = [hub, ...pods.map((p) => p.ns)];
  const removeScript = names.map((n) => `ip netns del ${n} 2>/dev/null; rm -rf /etc/netns/${n}`).join('; ');
  const watchdog = spawn('/bin/sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; ${removeScript}`], { detached: true, stdio: 'ignore' });
  watchdog.unref();

  const remove = async (): Promise<void> => {
    await run('/bin/sh', ['-c', removeScript], { timeout: 20_000 }).catch(() => undefined);
  };
  try {
    for (const n of names) {
      await ip('netns', 'add', n);
      await ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', hub, 'addr', 'add', `${HUB_ADDRESS}/24`, 'dev', 'br0');
    await ip('-n', hub, 'link', 'set', 'br0', 'up');
    for (const [i, pod] of pods.entries()) {
      const hubSide = `v${i + 1}`;
      await ip('-n', pod.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', hubSide, 'netns', hub);
      await ip('-n', hub, 'link', 'set', hubSide, 'master', 'br0');
      await ip('-n', hub, 'link', 'set', hubSide, 'up');
      await ip('-n', pod.ns, 'addr', 'add', `${pod.address}/24`, 'dev', 'eth0');
      await ip('-n', pod.ns, 'link', 'set', 'eth0', 'up');
      mkdirSync(`/etc/netns/${pod.ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${pod.ns}/hosts`, ['127.0.0.1 localhost', ...hosts(pod, pods), ''].join('\n'));
    }
  } catch (err) {
    await remove();
    throw err;
  }

  return {
    hub,
    pods,
    exec: async (ns, command, args, timeoutMs = 20_000) => {
      const { stdout, stderr } = await run('ip', ['netns', 'exec', ns, command, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 });
      return { stdout: String(stdout), stderr: String(stderr) };
    },
    start: (ns, command, args, options = {}) => {
      const inGroup = options.gid === undefined ? [] : ['setpriv', `--regid=${options.gid}`, '--clear-groups'];
      const child = spawnGuarded('ip', ['netns', 'exec', ns, ...inGroup, command, ...args], { env: { ...process.env, ...options.env } });
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      return { child, output: () => out };
    },
    remove: async () => {
      await remove();
      rmSync(`/etc/netns/${hub}`, { recursive: true, force: true });
    },
  };
}
