// The dashboard's built files (index.html, app.js, app.css, ...), read from the bundle directory that
// `npm run build` writes: dist/ui/ at the root of the compiled tree, found from this module's own
// location (dist/control-plane/src/ui/), never from the working directory.
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlaneError, ErrorCode } from '../errors.js';

/** dist/ui/ beside dist/control-plane/ when this file runs compiled from dist/control-plane/src/ui/. */
export const DEFAULT_BUNDLE_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

/** One path segment of a file name: no `..`, no hidden file, nothing a shell or URL would read twice. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface BundleFile {
  readonly body: Buffer;
  readonly contentType: string;
}

export class UiBundle {
  readonly dir: string;

  constructor(dir: string = DEFAULT_BUNDLE_DIR) {
    this.dir = resolve(dir);
  }

  /** The page every dashboard path answers with (the app routes in the browser). */
  index(): Promise<BundleFile> {
    return this.read('index.html');
  }

  /**
   * The file `name` (`app.js`, `fonts/x.woff2`) under the bundle's assets. Throws SLUICE_NOT_FOUND for
   * a name that is not a plain relative path inside the bundle (`..`, hidden files) or no such file,
   * SLUICE_UI_NOT_BUILT when the bundle is missing altogether.
   */
  asset(name: string): Promise<BundleFile> {
    const segments = name.split('/');
    if (name === '' || !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))) {
      throw new ControlPlaneError(ErrorCode.NotFound, 'no such dashboard file');
    }
    return this.read(segments.join('/'));
  }

  private async read(name: string): Promise<BundleFile> {
    const path = resolve(this.dir, name);
    // Belt and braces: whatever the name, nothing outside the bundle directory is read.
    if (!path.startsWith(this.dir + sep)) throw new ControlPlaneError(ErrorCode.NotFound, 'no such dashboard file');
    try {
      if (!(await stat(path)).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
      return { body: await readFile(path), contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      if (!(await this.built())) {
        throw new ControlPlaneError(ErrorCode.UiNotBuilt, `the dashboard is not built (no ${this.dir}${sep}index.html): run \`npm run build\``);
      }
      throw new ControlPlaneError(ErrorCode.NotFound, 'no such dashboard file');
    }
  }

  private async built(): Promise<boolean> {
    return stat(resolve(this.dir, 'index.html')).then((s) => s.isFile(), () => false);
  }
}
