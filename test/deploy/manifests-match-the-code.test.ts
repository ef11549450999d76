// Every flag, HTTP path and environment variable that the manifests hand to
// Sluice exists in the code, read from the real build and sources: `sluice <command> --help` must
// document each flag; the plane that runs the command must serve each probed or scraped path; each
// SLUICE_* variable must be read somewhere. What is missing is named, container by container.
// (manifest-command-lines-run.test.ts then runs those command lines, which checks what they mean.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root.js';
import { DEPLOY_DIR, kustomizationDirs, render } from './support/kustomize.js';
import { containersOf, httpUses, podTemplates, referencedVariables, sluiceUses, type SluiceUse } from './support/manifest-uses.js';
import { filesReadingEnv, filesWithStringLiteral, planeSourceDir, sluiceBinPath, sluiceHelp } from './support/sluice-code.js';

const uses = (): SluiceUse[] => kustomizationDirs().flatMap((dir) => sluiceUses(podTemplates(dir, render(dir).objects)));
const commands = (): string[] => [...new Set(uses().map((u) => u.command))].sort();

test('the image runs the sluice CLI that package.json names, from files the image copies', () => {
  const dockerfile = readFileSync(join(DEPLOY_DIR, 'Dockerfile'), 'utf8');
  const workdir = [...dockerfile.matchAll(/^WORKDIR (\S+)$/gm)].at(-1)?.[1];
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  assert.ok(workdir, 'the runtime stage has a WORKDIR');
  const script = entrypoint.find((a) => a.endsWith('.js'));
  assert.equal(script, `${workdir}/${sluiceBinPath()}`, 'ENTRYPOINT runs package.json\'s bin.sluice');
  const copied = [...dockerfile.matchAll(/^COPY --from=build \S* ?\/src\/(\S+) /gm)].map((m) => m[1] as string);
  assert.ok(copied.some((c) => sluiceBinPath().startsWith(c)), `the runtime stage copies ${sluiceBinPath()} (copies: ${copied.join(', ')})`);
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const source of (m[1] as string).split(/\s+/)) assert.ok(existsSync(join(REPO_ROOT, source)), `COPY ${source}: no such file in the repository`);
  }
  assert.ok(existsSync(join(REPO_ROOT, sluiceBinPath())), `${sluiceBinPath()} is built (npm run build)`);
});

test('the manifests run the sluice commands control-plane and proxy', () => {
  assert.deepEqual(commands(), ['control-plane', 'proxy']);
});

for (const command of ['control-plane', 'proxy']) {
  test(`\`sluice ${command} --help\` documents every flag the manifests pass to it`, () => {
    const help = sluiceHelp(command);
    assert.ok(help.ok, help.ok ? '' : help.problem);
    const missing = new Map<string, string[]>();
    for (const use of uses().filter((u) => u.command === command)) {
      for (const flag of use.flags) {
        if (!help.flags.has(flag.name)) missing.set(flag.name, [...(missing.get(flag.name) ?? []), use.where]);
      }
    }
    const report = [...missing].map(([flag, where]) => `sluice ${command} ${flag}: not in --help; used by ${where.join('; ')}`);
    assert.deepEqual(report, [], `flags the manifests need that \`sluice ${command}\` does not document`);
  });
}

test('every path probed or scraped on a Sluice container is a path its plane serves', () => {
  const missing: string[] = [];
  for (const use of uses()) {
    for (const { what, path } of httpUses(use)) {
      const dir = planeSourceDir(use.command);
      if (filesWithStringLiteral(dir, path).length === 0) missing.push(`${path} (${what} of ${use.where}): no '${path}' in ${dir}`);
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});

test('every environment variable of a Sluice container is read by the code, or only fills in its arguments', () => {
  const problems: string[] = [];
  for (const use of uses()) {
    const expanded = referencedVariables(use.container);
    for (const { name } of use.container.env ?? []) {
      if (expanded.has(name)) continue;
      if (['bin', 'control-plane/src', 'data-plane/src', 'proto/src'].every((dir) => filesReadingEnv(dir, name).length === 0)) {
        problems.push(`${use.where}: sets ${name}, which no code reads`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every etcd flag in the StatefulSet is a flag of the etcd binary', () => {
  const etcd = process.env['SLUICE_ETCD_BIN'] ?? 'etcd';
  const run = spawnSync(etcd, ['--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.ok(run.status === 0 || run.stdout?.length > 0 || run.stderr?.length > 0, `${etcd} --help did not run (npm test installs etcd-server)`);
  const known = new Set(`${run.stdout}${run.stderr}`.match(/--[a-z][a-z0-9-]*/g) ?? []);
  const problems: string[] = [];
  for (const pod of podTemplates('deploy/base', render('deploy/base').objects)) {
    for (const { container, where } of containersOf(pod).filter((u) => u.container.name === 'etcd')) {
      for (const arg of container.args ?? []) {
        const flag = /^--[a-z][a-z0-9-]*/.exec(arg)?.[0];
        if (flag !== undefined && !known.has(flag)) problems.push(`${where}: ${flag} is not in \`${etcd} --help\``);
      }
    }
  }
  assert.deepEqual(problems, []);
});
