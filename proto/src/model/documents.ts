// Reads user input (one JSON object, a JSON list or `{resources: [...]}`, or multi-document YAML)
// into raw documents.
import { parseAllDocuments } from 'yaml';
import type { FieldError } from './field-error.js';
import { jsonTooDeep, MAX_NESTING_DEPTH, yamlTooDeep } from './nesting-limit.js';

export type DocumentsResult = { ok: true; documents: unknown[] } | { ok: false; errors: FieldError[] };

export function parseDocuments(text: string, format: 'json' | 'yaml'): DocumentsResult {
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { ok: false, errors: [{ path: 'body', message: `is not valid JSON: ${(err as Error).message}` }] };
    }
    if (jsonTooDeep(value)) return { ok: false, errors: [{ path: 'body', message: `nests deeper than ${MAX_NESTING_DEPTH} levels` }] };
    return { ok: true, documents: unwrap(value) };
  }
  const deep = yamlTooDeep(text);
  if (deep !== undefined) {
    return { ok: false, errors: [{ path: `documents[${deep.document}]`, message: `nests deeper than ${MAX_NESTING_DEPTH} levels (line ${deep.line})` }] };
  }
  const docs = parseAllDocuments(text);
  const errors: FieldError[] = [];
  const documents: unknown[] = [];
  docs.forEach((doc, i) => {
    for (const e of doc.errors) errors.push({ path: `documents[${i}]`, message: `is not valid YAML: ${e.message}` });
    if (doc.errors.length > 0) return;
    let value: unknown;
    try {
      // toJS throws on an unresolved alias (`name: *nope`) or an alias bomb: the input's fault, not ours.
      value = doc.toJS();
    } catch (err) {
      errors.push({ path: `documents[${i}]`, message: `is not valid YAML: ${(err as Error).message}` });
      return;
    }
    if (value !== null && value !== undefined) documents.push(...unwrap(value));
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, documents };
}

function unwrap(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && Array.isArray((value as { resources?: unknown }).resources)) {
    return (value as { resources: unknown[] }).resources;
  }
  return [value];
}
