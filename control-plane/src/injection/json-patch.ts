// The JSON Patch (RFC 6902) that turns one JSON document into another, as a mutating webhook answers:
// the API server applies it to the object it sent. Made from a before/after diff, so the patch says
// exactly what the injection changed and nothing is written by hand at a path.
import { isDeepStrictEqual as deepEqual } from 'node:util';

export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: unknown }
  | { readonly op: 'replace'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string };

/** One reference token of a JSON Pointer (RFC 6901 §3): `~` as `~0` first, then `/` as `~1`. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The operations that turn `before` into `after`. Objects are compared key by key; an array that only
 * gained elements at its start or end gets one `add` per element (so elements the API server or
 * another webhook put there are not rewritten), and any other change to an array replaces it whole.
 */
export function jsonPatch(before: unknown, after: unknown, path = ''): JsonPatchOperation[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const ops: JsonPatchOperation[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after)) ops.push({ op: 'remove', path: `${path}/${pointerToken(key)}` });
    }
    for (const [key, value] of Object.entries(after)) {
      const at = `${path}/${pointerToken(key)}`;
      if (key in before) ops.push(...jsonPatch(before[key], value, at));
      else ops.push({ op: 'add', path: at, value });
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const grown = after.length - before.length;
    // Prepended: each new element added at its index, in order, so the first lands first.
    if (grown > 0 && before.every((item, i) => deepEqual(item, after[grown + i]))) {
      return after.slice(0, grown).map((value, i) => ({ op: 'add', path: `${path}/${i}`, value }));
    }
    if (grown > 0 && before.every((item, i) => deepEqual(item, after[i]))) {
      return after.slice(before.length).map((value) => ({ op: 'add', path: `${path}/-`, value }));
    }
  }
  // A document root cannot be added or removed: `replace` with path "" replaces the whole document.
  return [{ op: 'replace', path, value: after }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
