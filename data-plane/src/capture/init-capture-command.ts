// `sluice init-capture`: installs transparent capture in the network namespace it runs in (an init
// container with NET_ADMIN, before the sidecar starts): capture-rules.ts says which rules. Running it
// again replaces its rules (idempotent); `--remove` takes them all away; `--dry-run` prints them.
// Exit 0 done, 1 iptables failed, 2 usage.
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import { CAPTURE_CHAINS, CAPTURE_JUMPS, captureRules, type CapturePlan } from './capture-rules.js';

export const INIT_CAPTURE_USAGE = `usage: sluice init-capture [FLAGS]

Sends the pod's TCP through its sidecar with iptables (nat table, chains SLUICE_*): inbound TCP to
the inbound listener, outbound TCP to the outbound listener, except the proxy's own connections.
Run as root with NET_ADMIN in the pod's network namespace, before the sidecar starts.
  --inbound-port PORT            the sidecar's --inbound-listen port (default 15006)
  --outbound-port PORT           the sidecar's --outbound-listen port (default 15001)
  --proxy-uid UID                the user the sidecar runs as; its traffic is not captured (default 1337)
  --proxy-gid GID                also leave this group's traffic alone
  --exclude-inbound-ports LIST   comma-separated ports reached directly (e.g. 15000,15020)
  --exclude-outbound-ports LIST  comma-separated destination ports never captured
  --exclude-outbound-cidrs LIST  comma-separated IPv4 networks never captured (e.g. 10.96.0.1/32)
  --outbound-port-map LIST       PORT=LOCAL,...: outbound TCP to PORT goes to the sidecar's listener on
                                 LOCAL instead (plain TCP services, which carry no Host to route by)
  --no-inbound                   capture outbound TCP only
  --remove                       remove every rule this command installs, and stop
  --dry-run                      print the rules (iptables-restore input) and change nothing
  -h, --help                     this text`;

const OPTIONS = {
  'inbound-port': { type: 'string', default: '15006' },
  'outbound-port': { type: 'string', default: '15001' },
  'proxy-uid': { type: 'string', default: '1337' },
  'proxy-gid': { type: 'string' },
  'exclude-inbound-ports': { type: 'string', default: '' },
  'exclude-outbound-ports': { type: 'string', default: '' },
  'exclude-outbound-cidrs': { type: 'string', default: '' },
  'outbound-port-map': { type: 'string', default: '' },
  'no-inbound': { type: 'boolean', default: false },
  remove: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

/** iptables calls end within this long: a wedged xtables lock must not hold a pod's start for good. */
const IPTABLES_TIMEOUT_MS = 30_000;

export async function runInitCaptureCommand(argv: readonly string[]): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${INIT_CAPTURE_USAGE}`);
  }
  if (values.help) return INIT_CAPTURE_USAGE;
  const plan: CapturePlan = {
    inboundPort: port(values['inbound-port'], '--inbound-port'),
    outboundPort: port(values['outbound-port'], '--outbound-port'),
    proxyUid: id(values['proxy-uid'], '--proxy-uid'),
    proxyGid: values['proxy-gid'] === undefined ? undefined : id(values['proxy-gid'], '--proxy-gid'),
    excludeInboundPorts: list(values['exclude-inbound-ports']).map((p) => port(p, '--exclude-inbound-ports')),
    excludeOutboundPorts: list(values['exclude-outbound-ports']).map((p) => port(p, '--exclude-outbound-ports')),
    excludeOutboundCidrs: list(values['exclude-outbound-cidrs']).map((c) => cidr(c, '--exclude-outbound-cidrs')),
    outboundPortMap: portMap(values['outbound-port-map']),
    captureInbound: !values['no-inbound'],
  };
  const rules = captureRules(plan);
  if (values['dry-run']) return rules.trimEnd();
  await removeCapture();
  if (values.remove) return 'capture removed';
  await run('iptables-restore', ['--noflush'], rules);
  const inbound = plan.captureInbound ? `inbound TCP → ${plan.inboundPort}, ` : '';
  return `capture installed: ${inbound}outbound TCP → ${plan.outboundPort}, except user ${plan.proxyUid}`;
}

/** Deletes the jumps (every copy) and then the chains; what is not there is skipped. */
async function removeCapture(): Promise<void> {
  for (const jump of CAPTURE_JUMPS) {
    while (await succeeds('iptables', ['-t', 'nat', '-C', ...jump])) await run('iptables', ['-t', 'nat', '-D', ...jump]);
  }
  for (const chain of CAPTURE_CHAINS) {
    if (!(await succeeds('iptables', ['-t', 'nat', '-L', chain, '-n']))) continue;
    await run('iptables', ['-t', 'nat', '-F', chain]);
  }
  for (const chain of CAPTURE_CHAINS) {
    if (await succeeds('iptables', ['-t', 'nat', '-L', chain, '-n'])) await run('iptables', ['-t', 'nat', '-X', chain]);
  }
}

function exec(command: string, args: readonly string[], input?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { timeout: IPTABLES_TIMEOUT_MS }, (err, _stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e !== null && e.code === 'ENOENT') {
        reject(new Error(`${command} is not installed (Debian: apt-get install iptables)`));
        return;
      }
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stderr: String(stderr) });
    });
    // iptables answers -C or -L without reading its input and may be gone before a write lands.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

async function succeeds(command: string, args: readonly string[]): Promise<boolean> {
  return (await exec(command, args)).code === 0;
}

async function run(command: string, args: readonly string[], input?: string): Promise<void> {
  const { code, stderr } = await exec(command, args, input);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no message'} (it needs root with NET_ADMIN)`);
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new UsageError(`${flag}: "${value}" is not a port (1 to 65535)`);
  return n;
}

function id(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new UsageError(`${flag}: "${value}" is not a numeric id`);
  return Number(value);
}

function cidr(value: string, flag: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value);
  if (m === null || m.slice(1, 5).some((o) => Number(o) > 255) || (m[5] !== undefined && Number(m[5]) > 32)) {
    throw new UsageError(`${flag}: "${value}" is not an IPv4 address or network (a.b.c.d/n)`);
  }
  return value;
}

function portMap(value: string): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of list(value)) {
    const [from, to, ...rest] = entry.split('=');
    if (to === undefined || rest.length > 0) throw new UsageError(`--outbound-port-map: "${entry}" is not PORT=LOCAL`);
    const p = port(from!, '--outbound-port-map');
    if (map.has(p)) throw new UsageError(`--outbound-port-map: port ${p} is mapped twice`);
    map.set(p, port(to, '--outbound-port-map'));
  }
  return map;
}
