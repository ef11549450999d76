// Deep equality of JSON-shaped values (objects, arrays, strings, numbers, booleans, null): the live
// feed's test of whether a proxy's record changed since the last tick, without encoding it, so an
// unchanged fleet of 10,000 proxies costs comparisons, not megabytes of fresh strings.
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let count = 0;
  for (const key in ra) {
    if (!Object.hasOwn(ra, key)) continue;
    // A key present as undefined is absent in JSON: compared as such.
    if (ra[key] === undefined) continue;
    count++;
    if (!Object.hasOwn(rb, key) || !jsonEqual(ra[key], rb[key])) return false;
  }
  for (const key in rb) if (Object.hasOwn(rb, key) && rb[key] !== undefined) count--;
  return count === 0;
}
