// `npm test`: makes sure the tools the tests drive are there (installing the Debian packages of the
// missing ones when it runs as root), then runs every compiled test file with Node's test runner.
import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * How long each file took in an earlier full run (test/test-durations.json, seconds): the longest
 * start first, so two long files do not end up last, one after the other, with a core idle beside
 * them (longest-first scheduling). A file not listed counts as the median.
 */
function byDurationDescending(batch: readonly string[]): string[] {
  let recorded: Record<string, number> = {};
  try {
    recorded = JSON.parse(readFileSync(join(repoRoot, 'test', 'test-durations.json'), 'utf8')) as Record<string, number>;
  } catch {
    // No record: alphabetical order, as node --test would run them.
  }
  const known = Object.values(recorded).sort((a, b) => a - b);
  const median = known[Math.floor(known.length / 2)] ?? 0;
  const cost = (f: string): number => recorded[relative(distTest, f)] ?? median;
  return [...batch].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
}

interface FileResult {
  readonly file: string;
  readonly code: number;
  readonly seconds: number;
  readonly pass: number;
  readonly fail: number;
}

const children = new Set<ChildProcess>();
const forward = (signal: NodeJS.Signals) => () => {
  for (const c of children) c.kill(signal);
};
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));

/** One file under node --test; its output is held and printed whole when it ends, so files running side by side do not interleave. */
function runFile(file: string): Promise<FileResult> {
  const started = performance.now();
  // --test-force-exit: a file is done when its tests and hooks are, not when the last handle a
  // client library leaves behind times out (a grpc-js keepalive, an etcd3 lease keepalive): that
  // wait was up to 30 s per file.
  const child = spawn(process.execPath, ['--test', '--test-force-exit', '--test-timeout=180000', relative(repoRoot, file)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_ETCD_BIN: etcd, PATH: `${join(repoRoot, 'node_modules', '.bin')}${delimiter}${process.env['PATH'] ?? ''}` },
  });
  children.add(child);
  const out: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => out.push(b));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      const text = Buffer.concat(out).toString('utf8');
      const count = (what: string): number => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const seconds = (performance.now() - started) / 1000;
      const result = { file: relative(distTest, file), code: code ?? (signal ? 1 : 0), seconds, pass: count('pass'), fail: count('fail') };
      process.stdout.write(`# file ${result.file}: ${result.code === 0 ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s\n${text}`);
      resolve(result);
    }),
  );
}

/** Runs `batch`, `concurrency` files at a time, longest first. */
async function runFiles(batch: readonly string[], concurrency: number): Promise<FileResult[]> {
  const queue = byDurationDescending(batch);
  const results: FileResult[] = [];
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.push(await runFile(next));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results;
}

const startedAt = performance.now();
const results = [...(await runFiles(shared, 2)), ...(await runFiles(solo, 1))];
const failed = results.filter((r) => r.code !== 0);
const sum = (f: (r: FileResult) => number): number => results.reduce((a, r) => a + f(r), 0);
console.log(`# ${results.length} test files in ${((performance.now() - startedAt) / 1000).toFixed(0)} s: tests passed ${sum((r) => r.pass)}, failed ${sum((r) => r.fail)}`);
if (failed.length > 0) console.log(`# files that failed: ${failed.map((r) => r.file).join(', ')}`);
// SLUICE_TEST_DURATIONS_OUT=FILE writes this run's durations in test-durations.json's form, to refresh it.
const durationsOut = process.env['SLUICE_TEST_DURATIONS_OUT'];
if (durationsOut !== undefined) {
  const measured = Object.fromEntries(results.map((r) => [r.file, Math.round(r.seconds * 10) / 10]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  writeFileSync(durationsOut, `${JSON.stringify(measured, null, 1)}\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
