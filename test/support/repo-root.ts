// The repository's root folder, resolved from this file (it compiles to dist/test/support/), so that
// tests find sources, docs and fixtures whatever the working directory.
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
