// The last configuration a proxy applied, on disk, so a proxy restarted while the control plane is
// unreachable starts with it. Written atomically (temporary file, then rename), readable by the owner
// only: certificates carry private keys.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { formatFieldErrors } from '../../../proto/src/model/field-error.js';
import { KINDS, type Kind } from '../../../proto/src/model/kinds.js';
import { specFromJson, specToJson } from '../../../proto/src/model/resource-json.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { validateResourceSet } from '../../../proto/src/model/validate-resource-set.js';

export interface LastGood {
  readonly revision: number;
  readonly set: ResourceSet;
  /** Versions by kind, then name: sent as initial_resource_versions on reconnect. */
  readonly versions: ReadonlyMap<Kind, ReadonlyMap<string, string>>;
}

interface FileForm {
  readonly format: 'sluice-last-good/1';
  readonly revision: number;
  readonly resources: Array<{ kind: Kind; version: string; spec: JsonObject }>;
}

export async function saveLastGood(path: string, lastGood: LastGood): Promise<void> {
  const resources: FileForm['resources'] = [];
  for (const r of lastGood.set.all()) {
    resources.push({ kind: r.kind, version: lastGood.versions.get(r.kind)?.get(r.spec.name) ?? '', spec: specToJson(r) });
  }
  const body: FileForm = { format: 'sluice-last-good/1', revision: lastGood.revision, resources };
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * Reads and validates the file (a file on disk may have been edited or written by another version);
 * undefined when there is none. Throws when it is corrupt or invalid. What it returns is applied
 * without validating it again.
 */
export async function loadLastGood(path: string): Promise<LastGood | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const body = JSON.parse(text) as FileForm;
  if (body.format !== 'sluice-last-good/1') throw new Error(`${path}: not a sluice last-good file`);
  const set = new ResourceSet();
  const versions = new Map<Kind, Map<string, string>>(KINDS.map((k) => [k, new Map()]));
  for (const item of body.resources) {
    const resource = specFromJson(item.kind, item.spec);
    set.put(resource);
    versions.get(item.kind)!.set(resource.spec.name, item.version);
  }
  // What the control plane sent, certificates without the keys it withheld included.
  const errors = validateResourceSet(set, { keyWithheld: true });
  if (errors.length > 0) throw new Error(`${path}: invalid configuration:\n${formatFieldErrors(errors)}`);
  return { revision: body.revision, set, versions };
}
