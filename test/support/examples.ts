// The reference user input kept in the repository's own examples/ (byte-identical copies of the
// product's reference documents): mesh.yaml and protocols.yaml must apply unchanged, every document
// of invalid.yaml must be refused. Resolved from this file, so the tests run from any directory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `examples/` at the repository root (this file compiles to dist/test/support/). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

export type ExampleName = 'mesh.yaml' | 'protocols.yaml' | 'invalid.yaml' | 'security.yaml' | 'security-invalid.yaml';

export function readExample(name: ExampleName): string {
  return readFileSync(join(EXAMPLES_DIR, name), 'utf8');
}

/** The Certificate documents of protocols.yaml (web-local, api-local, ...), each as YAML text, for tests that serve TLS. */
export function exampleCertificates(): string[] {
  return readExample('protocols.yaml').split(/^---$/m).filter((d) => /kind: Certificate/.test(d));
}
