// A string equal for two decoded specs of one kind exactly when their contents are equal: it decides
// whether an update must rebuild what was made from a spec (a cluster's pools, a listener's socket).
// It needs no protobuf schema, so it works where protobuf is not loaded (a proxy worker). Keys are
// sorted at every level: a spec decoded from JSON or YAML has its message fields in the input's
// order, and the same spec written in another order must not rebuild anything.
export function specFingerprint(spec: unknown): string {
  return JSON.stringify(spec, canonical);
}

/** Objects with sorted keys; 64-bit integers and bytes, which JSON has no form for, as strings. */
function canonical(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}
