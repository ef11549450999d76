// Reading a filter's free-form JSON config (a route's `filters[i].config`) with errors that name the field.
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';

export class FilterConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'FilterConfigError';
  }
}

export function num(config: JsonObject, field: string, fallback: number, min = 0): number {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new FilterConfigError(field, `must be a number ≥ ${min}`);
  return v;
}

export function str(config: JsonObject, field: string, fallback: string): string {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string') throw new FilterConfigError(field, 'must be a string');
  return v;
}

export function strList(config: JsonObject, field: string, fallback: readonly string[]): string[] {
  const v = config[field];
  if (v === undefined || v === null) return [...fallback];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new FilterConfigError(field, 'must be a list of strings');
  return v as string[];
}

export function obj(config: JsonObject, field: string): JsonObject | undefined {
  const v: JsonValue | undefined = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FilterConfigError(field, 'must be an object');
  return v as JsonObject;
}

export function bool(config: JsonObject, field: string, fallback: boolean): boolean {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new FilterConfigError(field, 'must be true or false');
  return v;
}

export function int(config: JsonObject, field: string, fallback: number, min: number, max: number): number {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new FilterConfigError(field, `must be a whole number from ${min} to ${max}`);
  return v;
}
