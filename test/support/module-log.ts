// Which modules a Node process (and its cluster workers) resolved: `--import` a hook that appends
// each resolved URL with the process id to a file. Loader hooks run on a thread of their own, so the
// hook writes the file itself.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ModuleLog {
  /** Node options that install the hook (before the script). */
  readonly nodeArgs: readonly string[];
  /** Every module resolved so far, by process. */
  modules(): Array<{ readonly pid: number; readonly url: string }>;
}

/** Writes the hook into `dir` (which the caller removes). */
export function moduleLog(dir: string): ModuleLog {
  const log = join(dir, 'modules.log');
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'hook.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, process.pid + ' ' + resolved.url + '\\n');
  return resolved;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});\n`);
  return {
    nodeArgs: ['--import', pathToFileURL(join(dir, 'register.mjs')).href],
    modules: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const space = line.indexOf(' ');
          return { pid: Number(line.slice(0, space)), url: line.slice(space + 1) };
        }),
  };
}
