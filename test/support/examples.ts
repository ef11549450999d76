// The reference user input in ../shared/examples (beside the repo, in CI as here).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const EXAMPLES_DIR = resolve(process.cwd(), '..', 'shared', 'examples');

export function readExample(name: 'mesh.yaml' | 'protocols.yaml' | 'invalid.yaml'): string {
  const path = join(EXAMPLES_DIR, name);
  if (!existsSync(path)) throw new Error(`reference input ${path} is missing: the tests expect ../shared/examples beside the repository`);
  return readFileSync(path, 'utf8');
}
