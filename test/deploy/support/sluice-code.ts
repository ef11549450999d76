// The real Sluice code as the manifests meet it: the built `sluice` CLI (its --help, and running it)
// and the planes' sources (which paths they serve, which environment variables they read).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root.js';

/** package.json's `bin.sluice`, repo-relative. */
export function sluiceBinPath(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = pkg.bin?.['sluice'];
  if (bin === undefined) throw new Error('package.json has no bin.sluice');
  return bin.replace(/^\.\//, '');
}

export type Help = { ok: true; text: string; flags: Set<string> } | { ok: false; problem: string };

const helps = new Map<string, Help>();

/** `sluice <command> --help`, run from the build (npm test builds first). */
export function sluiceHelp(command: string): Help {
  const cached = helps.get(command);
  if (cached !== undefined) return cached;
  const bin = sluiceBinPath();
  let help: Help;
  if (!existsSync(join(REPO_ROOT, bin))) {
    help = { ok: false, problem: `the sluice CLI ${bin} (package.json bin.sluice) is not built: its source is missing or does not compile` };
  } else {
    const run = spawnSync(process.execPath, [bin, command, '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
    const text = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    if (run.status !== 0) {
      const first = text.trim().split('\n').slice(0, 3).join(' / ');
      help = { ok: false, problem: `\`sluice ${command} --help\` exited with ${run.status ?? run.signal}: ${first}` };
    } else {
      help = { ok: true, text, flags: new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []) };
    }
  }
  helps.set(command, help);
  return help;
}

/** The sources of the plane that serves `sluice <command>`. */
export function planeSourceDir(command: string): string {
  return command === 'proxy' ? 'data-plane/src' : 'control-plane/src';
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

const sources = new Map<string, { file: string; text: string }[]>();

function sourcesOf(dir: string): { file: string; text: string }[] {
  let found = sources.get(dir);
  if (found === undefined) {
    found = tsFiles(join(REPO_ROOT, dir)).map((file) => ({ file: relative(REPO_ROOT, file), text: readFileSync(file, 'utf8') }));
    sources.set(dir, found);
  }
  return found;
}

/** The source files under `dir` that hold `literal` as a whole string literal ('x', "x" or `x`). */
export function filesWithStringLiteral(dir: string, literal: string): string[] {
  const quoted = ["'", '"', '`'].map((q) => `${q}${literal}${q}`);
  return sourcesOf(dir).filter((s) => quoted.some((q) => s.text.includes(q))).map((s) => s.file);
}

/** The source files under `dir` that read environment variable `name`. */
export function filesReadingEnv(dir: string, name: string): string[] {
  const pattern = new RegExp(`process\\.env(\\.${name}\\b|\\[['"\`]${name}['"\`]\\])|['"\`]${name}['"\`]`);
  return sourcesOf(dir).filter((s) => pattern.test(s.text)).map((s) => s.file);
}
