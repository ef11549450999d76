// A stand-in for the built dashboard (dist/ui/): a temporary directory with index.html and two assets,
// so the server's tests do not depend on the front end being built.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INDEX_HTML = '<!doctype html><title>Sluice</title><script type="module" src="/ui/assets/app.js"></script>';
export const APP_JS = 'console.log("sluice dashboard");';
export const APP_CSS = 'body { margin: 0 }';

export interface BundleDir {
  readonly dir: string;
  remove(): void;
}

/** A bundle with index.html and assets app.js, app.css; `built: false` leaves the directory empty. */
export function makeBundleDir(built = true): BundleDir {
  const root = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
  const dir = join(root, 'ui');
  mkdirSync(dir);
  if (built) {
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    writeFileSync(join(dir, 'app.js'), APP_JS);
    writeFileSync(join(dir, 'app.css'), APP_CSS);
  }
  // A file beside the bundle that no URL may reach.
  writeFileSync(join(root, 'secret.txt'), 'not for the browser');
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
