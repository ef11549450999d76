// Reads `sluice proxy --config FILE.yaml`: the same resource documents the API takes, validated with
// the control plane's model code, plus an optional `kind: Bootstrap` document for the proxy itself:
//   kind: Bootstrap
//   filters:                      # user filters, referenced from routes by name
//     - name: auth
//       module: ./auth-filter.js  # relative to the config file; default export (config) => HttpFilter
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { checkChangeSet } from '../../../proto/src/model/change-set.js';
import { parseDocuments } from '../../../proto/src/model/documents.js';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { resourcePath, type Resource } from '../../../proto/src/model/kinds.js';
import { ResourceSet } from '../../../proto/src/model/resource-set.js';
import { parseResource } from '../../../proto/src/model/validate-resource.js';

export interface UserFilterModule {
  readonly name: string;
  readonly module: string;
}

export interface ProxyConfig {
  readonly resources: ResourceSet;
  readonly userFilters: readonly UserFilterModule[];
  /** Directory that relative module paths are resolved against. */
  readonly baseDir: string;
}

export type LoadResult = { ok: true; config: ProxyConfig } | { ok: false; errors: FieldError[] };

export async function loadProxyConfig(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ path: file, message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  const parsed = parseConfigText(text, file.endsWith('.json') ? 'json' : 'yaml');
  if (!parsed.ok) return parsed;
  return { ok: true, config: { ...parsed.config, baseDir: dirname(resolve(file)) } };
}

export function parseConfigText(text: string, format: 'json' | 'yaml'): LoadResult {
  const docs = parseDocuments(text, format);
  if (!docs.ok) return docs;
  const errors: FieldError[] = [];
  const puts: Resource[] = [];
  const userFilters: UserFilterModule[] = [];
  const seen = new Set<string>();
  docs.documents.forEach((doc, i) => {
    const where = `documents[${i}]`;
    if (typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'Bootstrap') {
      userFilters.push(...bootstrapFilters(doc as Record<string, unknown>, where, errors));
      return;
    }
    const r = parseResource(doc, where);
    if (!r.ok) {
      errors.push(...r.errors);
      return;
    }
    const key = resourcePath(r.resource.kind, r.resource.spec.name);
    if (seen.has(key)) errors.push({ path: key, message: 'is defined twice' });
    seen.add(key);
    puts.push(r.resource);
  });
  if (errors.length > 0) return { ok: false, errors };
  const check = checkChangeSet(new ResourceSet(), { puts, deletes: [] });
  if (check.invalid.length > 0) return { ok: false, errors: check.invalid };
  return { ok: true, config: { resources: ResourceSet.of(puts), userFilters, baseDir: process.cwd() } };
}

function bootstrapFilters(doc: Record<string, unknown>, where: string, errors: FieldError[]): UserFilterModule[] {
  const out: UserFilterModule[] = [];
  for (const key of Object.keys(doc)) if (key !== 'kind' && key !== 'filters') errors.push({ path: `${where}.${key}`, message: `unknown field "${key}"` });
  const filters = doc['filters'] ?? [];
  if (!Array.isArray(filters)) {
    errors.push({ path: `${where}.filters`, message: 'must be a list of {name, module}' });
    return out;
  }
  filters.forEach((f: unknown, i) => {
    const name = (f as { name?: unknown } | null)?.name;
    const module = (f as { module?: unknown } | null)?.module;
    if (typeof name !== 'string' || name === '' || typeof module !== 'string' || module === '') {
      errors.push({ path: `${where}.filters[${i}]`, message: 'needs a name and a module' });
    } else {
      out.push({ name, module });
    }
  });
  return out;
}
