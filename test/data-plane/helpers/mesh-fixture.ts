// A MeshProxy configured from YAML resource documents, serving on 127.0.0.1 with an OS-chosen port.
import { parseConfigText } from '../../../data-plane/src/cli/load-proxy-config.js';
import { MeshProxy, type MeshProxyOptions } from '../../../data-plane/src/mesh/mesh-proxy.js';
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';

export interface MeshFixture {
  readonly mesh: MeshProxy;
  /** Port of the listener named `name` (default: `main`). */
  port(name?: string): number;
  url(path: string, name?: string): string;
  close(): Promise<void>;
}

/**
 * `yaml` holds Clusters and Routes; a Listener named `main` on 127.0.0.1:0 is added unless the YAML
 * declares listeners itself. `{{name}}` placeholders are replaced from `vars` (upstream ports).
 */
export async function startMesh(yaml: string, vars: Record<string, number | string> = {}, options: MeshProxyOptions = {}): Promise<MeshFixture> {
  let text = yaml.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    if (!(k in vars)) throw new Error(`no value for {{${k}}}`);
    return String(vars[k]);
  });
  if (!/^kind: Listener/m.test(text)) text += '\n---\nkind: Listener\nname: main\naddress: 127.0.0.1\nport: 0\n';
  const parsed = parseConfigText(text, 'yaml');
  if (!parsed.ok) throw new Error(formatFieldErrors(parsed.errors));
  const mesh = new MeshProxy(options);
  const result = await mesh.applyResources(parsed.config.resources);
  if (!result.ok) throw new Error(formatFieldErrors(result.errors));
  const port = (name = 'main'): number => {
    const a = mesh.listeners.address(name);
    if (a === undefined) throw new Error(`no listener ${name}`);
    return a.port;
  };
  return { mesh, port, url: (path, name) => `http://127.0.0.1:${port(name)}${path}`, close: () => mesh.close() };
}
