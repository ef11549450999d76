// `npm test`: makes sure the tools the tests drive are there (installing the Debian packages of the
// missing ones when it runs as root), then runs every compiled test file with Node's test runner.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './support/repo-root.js';

const distTest = dirname(fileURLToPath(import.meta.url));
const repoRoot = REPO_ROOT;

function onPath(binary: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function findEtcd(): string | undefined {
  const fromEnv = process.env['SLUICE_ETCD_BIN'];
  if (fromEnv !== undefined && existsSync(fromEnv)) return fromEnv;
  return onPath('etcd') ?? ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((p) => existsSync(p));
}

/** Debian's python3 modules load only under /usr/bin/python3, not a python3 earlier on PATH. */
function pythonHas(modules: string): boolean {
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;
}

/** What the tests run besides Node, and the Debian package that brings each. */
const NEEDS: ReadonlyArray<{ what: string; pkg: string; present: () => boolean }> = [
  { what: 'etcd', pkg: 'etcd-server', present: () => findEtcd() !== undefined },
  // Debian ships etcdctl apart from the server; the store tests compact and inspect with it.
  { what: 'etcdctl', pkg: 'etcd-client', present: () => onPath('etcdctl') !== undefined },
  { what: 'curl', pkg: 'curl', present: () => onPath('curl') !== undefined },
  { what: 'openssl', pkg: 'openssl', present: () => onPath('openssl') !== undefined },
  { what: 'nghttp', pkg: 'nghttp2-client', present: () => onPath('nghttp') !== undefined },
  { what: 'kubectl', pkg: 'kubernetes-client', present: () => onPath('kubectl') !== undefined },
  // Load at full rate with no limit: the failover and root-rotation tests.
  { what: 'wrk', pkg: 'wrk', present: () => onPath('wrk') !== undefined },
  // Network namespaces and transparent capture (test/e2e/capture/).
  { what: 'ip', pkg: 'iproute2', present: () => onPath('ip') !== undefined },
  { what: 'iptables', pkg: 'iptables', present: () => onPath('iptables') !== undefined && onPath('iptables-restore') !== undefined },
  { what: 'python3 grpc', pkg: 'python3-grpcio', present: () => pythonHas('grpc') },
  { what: 'python3 websockets', pkg: 'python3-websockets', present: () => pythonHas('websockets') },
  // The dashboard's browser tests drive Debian's chromium headless (test/ui/support/headless-chromium.ts).
  { what: 'chromium', pkg: 'chromium', present: () => existsSync(process.env['SLUICE_CHROMIUM_BIN'] ?? '/usr/bin/chromium') },
];

/** Installs, as root with apt-get, the Debian packages of whatever is missing; one update, one install. */
function installMissing(): void {
  const missing = NEEDS.filter((n) => !n.present());
  if (missing.length === 0) return;
  const aptGet = onPath('apt-get');
  if (process.getuid?.() !== 0 || aptGet === undefined) return;
  const pkgs = missing.map((n) => n.pkg);
  console.log(`# installing Debian packages the tests need: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync(aptGet, ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync(aptGet, ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
}

/** A compiled test whose .ts was renamed or deleted stays in dist/ until a clean build: not run. */
function hasSource(compiled: string): boolean {
  return existsSync(join(repoRoot, 'test', relative(distTest, compiled)).replace(/\.js$/, '.ts'));
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'bench') out.push(...testFiles(path));
    } else if (entry.endsWith('.test.js') && hasSource(path)) {
      out.push(path);
    }
  }
  return out.sort();
}

installMissing();
const stillMissing = NEEDS.filter((n) => !n.present());
if (stillMissing.length > 0) {
  console.error(`npm test needs ${stillMissing.map((n) => n.what).join(', ')} and could not install them.\n` +
    `On Debian or Ubuntu run, as root:  apt-get update && apt-get install -y ${stillMissing.map((n) => n.pkg).join(' ')}\n` +
    '(or point SLUICE_ETCD_BIN at an etcd 3.4+ binary).');
  process.exit(1);
}
const etcd = findEtcd()!;

const only = process.argv.slice(2);
const files = testFiles(distTest).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  // `node --test` with no file searches the whole tree: a filter that matches nothing must not run everything.
  console.error(`no test file matches ${only.map((o) => JSON.stringify(o)).join(' or ')}`);
  process.exit(1);
}
/**
 * Test files that measure the whole machine's behaviour under load (the zero-drop scenario
 * asserts connection reuse over the requests its load reaches; the failover test pushes wrk with no
 * rate limit): they run after the others, alone, so another file's load cannot starve theirs.
 */
const SOLO = ['e2e/zero-drop-scenario.test.js', 'e2e/failover/endpoint-killed-under-full-load-fails-under-a-tenth-of-a-percent.test.js'];
const solo = files.filter((f) => SOLO.some((s) => f.endsWith(s)));
const shared = files.filter((f) => !solo.includes(f));
console.log(`# etcd: ${etcd}; ${files.length} test files${solo.length > 0 ? ` (${solo.length} run alone at the end)` : ''}`);

function runNodeTest(batch: readonly string[], concurrency: number): Promise<number> {
  if (batch.length === 0) return Promise.resolve(0);
  const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...batch.map((f) => relative(repoRoot, f))], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, SLUICE_ETCD_BIN: etcd, PATH: `${join(repoRoot, 'node_modules', '.bin')}${delimiter}${process.env['PATH'] ?? ''}` },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal ? 1 : 0));
    }),
  );
}

const sharedCode = await runNodeTest(shared, 2);
const soloCode = await runNodeTest(solo, 1);
process.exit(sharedCode !== 0 ? sharedCode : soloCode);
