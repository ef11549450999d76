// Decodes a resource's protobuf JSON form against its schema, reporting every structural problem
// (unknown field, wrong type, bad enum value, two members of a oneof) with its path.
// protobuf-es's own fromJson stops at the first problem and names no path, so it runs only after this
// walk has found none.
import { fromJson, ScalarType, type DescEnum, type DescField, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { fieldPath, FieldErrors } from './field-error.js';

const INT_RANGE: Partial<Record<ScalarType, readonly [number, number]>> = {
  [ScalarType.INT32]: [-2147483648, 2147483647],
  [ScalarType.SINT32]: [-2147483648, 2147483647],
  [ScalarType.SFIXED32]: [-2147483648, 2147483647],
  [ScalarType.UINT32]: [0, 4294967295],
  [ScalarType.FIXED32]: [0, 4294967295],
  [ScalarType.INT64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.SINT64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.SFIXED64]: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  [ScalarType.UINT64]: [0, Number.MAX_SAFE_INTEGER],
  [ScalarType.FIXED64]: [0, Number.MAX_SAFE_INTEGER],
};

/** Message types whose JSON form is free-form and is left to protobuf-es. */
const FREE_FORM = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; errors: FieldErrors };

/**
 * Checks `json` against `schema` and decodes it. `skipKeys` are envelope fields (`kind`, `revision`)
 * that are not part of the message.
 */
export function decodeJson<T>(schema: DescMessage, json: unknown, path: string, skipKeys: readonly string[] = []): DecodeResult<T> {
  const errors = new FieldErrors();
  const body = isObject(json) ? stripKeys(json, skipKeys) : json;
  checkMessage(schema, body, path, errors);
  if (!errors.empty) return { ok: false, errors };
  try {
    return { ok: true, message: fromJson(schema, body as JsonValue) as T };
  } catch (err) {
    errors.add(path, err instanceof Error ? err.message : String(err));
    return { ok: false, errors };
  }
}

function stripKeys(json: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  if (keys.length === 0) return json;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMessage(schema: DescMessage, json: unknown, path: string, errors: FieldErrors): void {
  if (FREE_FORM.has(schema.typeName)) return;
  if (!isObject(json)) {
    errors.add(path, `must be an object, got ${describe(json)}`);
    return;
  }
  const byJsonKey = new Map<string, DescField>();
  for (const f of schema.fields) {
    byJsonKey.set(f.jsonName, f);
    byJsonKey.set(f.name, f);
  }
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const field = byJsonKey.get(key);
    const at = fieldPath(path, key);
    if (field === undefined) {
      errors.add(at, `unknown field "${key}"`);
      continue;
    }
    if (value === null) continue;
    if (field.oneof !== undefined) {
      const other = oneofSeen.get(field.oneof.name);
      if (other !== undefined) {
        errors.add(path, `only one of ${field.oneof.fields.map((f) => f.jsonName).join(', ')} may be set (got ${other} and ${field.jsonName})`);
      }
      oneofSeen.set(field.oneof.name, field.jsonName);
    }
    checkField(field, value, at, errors);
  }
}

function checkField(field: DescField, value: unknown, path: string, errors: FieldErrors): void {
  switch (field.fieldKind) {
    case 'scalar':
      return checkScalar(field.scalar, value, path, errors);
    case 'enum':
      return checkEnum(field.enum, value, path, errors);
    case 'message':
      return checkMessage(field.message, value, path, errors);
    case 'list': {
      if (!Array.isArray(value)) {
        errors.add(path, `must be a list, got ${describe(value)}`);
        return;
      }
      value.forEach((item, i) => {
        const at = `${path}[${i}]`;
        if (field.listKind === 'scalar') checkScalar(field.scalar, item, at, errors);
        else if (field.listKind === 'enum') checkEnum(field.enum, item, at, errors);
        else checkMessage(field.message, item, at, errors);
      });
      return;
    }
    case 'map': {
      if (!isObject(value)) {
        errors.add(path, `must be an object, got ${describe(value)}`);
        return;
      }
      for (const [k, item] of Object.entries(value)) {
        const at = `${path}.${k}`;
        if (field.mapKind === 'scalar') checkScalar(field.scalar, item, at, errors);
        else if (field.mapKind === 'enum') checkEnum(field.enum, item, at, errors);
        else checkMessage(field.message, item, at, errors);
      }
      return;
    }
  }
}

function checkScalar(type: ScalarType, value: unknown, path: string, errors: FieldErrors): void {
  if (type === ScalarType.STRING) {
    if (typeof value !== 'string') errors.add(path, `must be a string, got ${describe(value)}`);
    return;
  }
  if (type === ScalarType.BOOL) {
    if (typeof value !== 'boolean') errors.add(path, `must be true or false, got ${describe(value)}`);
    return;
  }
  if (type === ScalarType.BYTES) {
    if (typeof value !== 'string') errors.add(path, `must be a base64 string, got ${describe(value)}`);
    return;
  }
  if (type === ScalarType.DOUBLE || type === ScalarType.FLOAT) {
    if (typeof value !== 'number' || !Number.isFinite(value)) errors.add(path, `must be a number, got ${describe(value)}`);
    return;
  }
  const range = INT_RANGE[type];
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    errors.add(path, `must be an integer, got ${describe(value)}`);
  } else if (range !== undefined && (n < range[0] || n > range[1])) {
    errors.add(path, `must be between ${range[0]} and ${range[1]}, got ${n}`);
  }
}

function checkEnum(desc: DescEnum, value: unknown, path: string, errors: FieldErrors): void {
  const names = desc.values.map((v) => v.name).filter((n) => !n.endsWith('_UNSPECIFIED'));
  if (typeof value === 'string' && desc.values.some((v) => v.name === value)) return;
  errors.add(path, `must be one of ${names.join(', ')}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
