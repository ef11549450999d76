// The reference user input beside the repo (in CI as here): ../shared/examples/mesh.yaml,
// ../shared/examples/protocols.yaml and ../shared/examples/invalid.yaml. test/model and test/api apply
// the first two unchanged and check that every document of invalid.yaml is refused.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const EXAMPLES_DIR = resolve(process.cwd(), '..', 'shared', 'examples');

export function readExample(name: 'mesh.yaml' | 'protocols.yaml' | 'invalid.yaml'): string {
  const path = join(EXAMPLES_DIR, name);
  if (!existsSync(path)) throw new Error(`reference input ${path} is missing: the tests expect ../shared/examples beside the repository`);
  return readFileSync(path, 'utf8');
}
