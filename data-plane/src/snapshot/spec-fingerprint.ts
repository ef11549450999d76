// A string equal for two decoded specs of one kind exactly when their contents are equal: it decides
// whether an update must rebuild what was made from a spec (a cluster's pools, a listener's socket).
// It needs no protobuf schema, so it works where protobuf is not loaded (a proxy worker). Field order
// is the schema's in every decoded message; a spec with the same contents in another order (map
// entries inserted differently) reads as changed, which costs a rebuild and nothing else.
export function specFingerprint(spec: unknown): string {
  return JSON.stringify(spec, jsonSafe);
}

/** 64-bit integers and bytes, which JSON has no form for. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}
