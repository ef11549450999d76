// `npm test`: makes sure etcd is there (installing Debian's etcd-server when it can), then runs every
// compiled test file with Node's test runner and exits with its status.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const distTest = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(distTest, '..', '..');

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

function installEtcd(): void {
  const isRoot = process.getuid?.() === 0;
  const aptGet = onPath('apt-get');
  if (!isRoot || aptGet === undefined) return;
  console.log('# etcd not found: installing Debian\'s etcd-server (apt-get update && apt-get install -y etcd-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync(aptGet, ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync(aptGet, ['install', '-y', '-qq', 'etcd-server'], { stdio: 'inherit', env });
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'bench') out.push(...testFiles(path));
    } else if (entry.endsWith('.test.js')) {
      out.push(path);
    }
  }
  return out.sort();
}

let etcd = findEtcd();
if (etcd === undefined) {
  installEtcd();
  etcd = findEtcd();
}
if (etcd === undefined) {
  console.error('npm test needs an etcd server binary and could not install one.\n' +
    'On Debian or Ubuntu run, as root:  apt-get update && apt-get install -y etcd-server\n' +
    'or point SLUICE_ETCD_BIN at an etcd 3.4+ binary.');
  process.exit(1);
}

const only = process.argv.slice(2);
const files = testFiles(distTest).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
console.log(`# etcd: ${etcd}; ${files.length} test files`);
const child = spawn(process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=180000',
  ...files.map((f) => relative(repoRoot, f)),
], {
  cwd: repoRoot,
  stdio: 'inherit',
  env: { ...process.env, SLUICE_ETCD_BIN: etcd, PATH: `${join(repoRoot, 'node_modules', '.bin')}${delimiter}${process.env['PATH'] ?? ''}` },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
