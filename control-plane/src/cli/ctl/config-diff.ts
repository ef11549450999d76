// How one proxy's effective configuration differs from the control plane's intent for it, resource
// by resource (missing, extra, different) and, for a resource that differs, field by field.
import type { ConfigView } from '../../../../proto/src/model/config-view.js';
import { parseKind, resourcePath, type Kind } from '../../../../proto/src/model/kinds.js';

export interface FieldDifference {
  /** `listeners`, `match.pathPrefix`, `endpoints[1].health`; '' for the whole resource. */
  readonly path: string;
  /** Absent: the proxy's copy lacks the field. */
  readonly effective?: unknown;
  /** Absent: the intended copy lacks the field. */
  readonly intended?: unknown;
}

export interface ResourceDifference {
  readonly kind: string;
  readonly name: string;
  /**
   * missing: the control plane intends it, the proxy does not run it (rejected, or still on its way);
   * extra: the proxy runs it, the control plane no longer intends it for this proxy;
   * different: both have it, with different content.
   */
  readonly status: 'missing' | 'extra' | 'different';
  readonly fields?: readonly FieldDifference[];
}

type Json = Record<string, unknown>;

/** The differences, in the order of `intended`'s resources, then the extras in `effective`'s order. */
export function diffConfigViews(effective: ConfigView, intended: ConfigView): ResourceDifference[] {
  const local = new Set(effective.local);
  const key = (r: Json): string => `${String(r['kind'])}/${String(r['name'])}`;
  const running = new Map<string, Json>();
  for (const r of effective.resources as Json[]) if (!local.has(key(r))) running.set(key(r), r);
  const out: ResourceDifference[] = [];
  const seen = new Set<string>();
  for (const want of intended.resources as Json[]) {
    const k = key(want);
    seen.add(k);
    const kind = String(want['kind']);
    const name = String(want['name']);
    const have = running.get(k);
    if (have === undefined) {
      out.push({ kind, name, status: 'missing' });
      continue;
    }
    const versionHave = effective.versions[kind]?.[name];
    // Equal versions are equal content (a hash of the protobuf encoding); otherwise compare the JSON.
    if (versionHave !== undefined && versionHave === intended.versions[kind]?.[name]) continue;
    const fields = diffJson(have, want, '');
    if (fields.length > 0) out.push({ kind, name, status: 'different', fields });
  }
  for (const [k, have] of running) if (!seen.has(k)) out.push({ kind: String(have['kind']), name: String(have['name']), status: 'extra' });
  return out;
}

/** Field-level differences of two JSON values; arrays of unequal length differ as a whole. */
export function diffJson(effective: unknown, intended: unknown, path: string): FieldDifference[] {
  if (isObject(effective) && isObject(intended)) {
    const out: FieldDifference[] = [];
    for (const field of new Set([...Object.keys(effective), ...Object.keys(intended)])) {
      const sub = path === '' ? field : `${path}.${field}`;
      if (!(field in effective)) out.push({ path: sub, intended: intended[field] });
      else if (!(field in intended)) out.push({ path: sub, effective: effective[field] });
      else out.push(...diffJson(effective[field], intended[field], sub));
    }
    return out;
  }
  if (Array.isArray(effective) && Array.isArray(intended) && effective.length === intended.length) {
    return effective.flatMap((e, i) => diffJson(e, intended[i], `${path}[${i}]`));
  }
  return JSON.stringify(effective) === JSON.stringify(intended) ? [] : [{ path, effective, intended }];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The differences as text lines: `routes[web]: different`, then `  timeoutMs: 1000 (intended: 2000)`. */
export function formatDifferences(differences: readonly ResourceDifference[]): string[] {
  if (differences.length === 0) return ['in sync'];
  const lines: string[] = [];
  for (const d of differences) {
    const where = resourcePathOf(d.kind, d.name);
    if (d.status === 'missing') lines.push(`${where}: missing: the control plane intends it, the proxy does not run it`);
    else if (d.status === 'extra') lines.push(`${where}: extra: the proxy runs it, the control plane does not intend it`);
    else {
      lines.push(`${where}: different`);
      for (const f of d.fields ?? []) lines.push(`  ${f.path === '' ? '(whole)' : f.path}: ${shown(f, 'effective')} (intended: ${shown(f, 'intended')})`);
    }
  }
  return lines;
}

function shown(f: FieldDifference, side: 'effective' | 'intended'): string {
  return side in f ? JSON.stringify(f[side]) : '(absent)';
}

function resourcePathOf(kind: string, name: string): string {
  const k: Kind | undefined = parseKind(kind);
  return k === undefined ? `${kind}/${name}` : resourcePath(k, name);
}
