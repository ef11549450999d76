// An HTTP header block as one flat array [name, value, name, value, ...] with lowercase names:
// the shape Node's rawHeaders has, so copying headers in and out needs no per-header objects.

export class HeaderList {
  /** Flat pairs; names are lowercase. Exposed for the hot path (serializers iterate it directly). */
  readonly raw: string[];

  constructor(raw: string[] = []) {
    this.raw = raw;
  }

  /** First value of `name` (lowercase), or undefined. */
  get(name: string): string | undefined {
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) return raw[i + 1];
    return undefined;
  }

  getAll(name: string): string[] {
    const out: string[] = [];
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) out.push(raw[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every value of `name` with one. */
  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    this.remove(lower);
    this.raw.push(lower, value);
  }

  /** Adds a value after any existing ones. */
  append(name: string, value: string): void {
    this.raw.push(name.toLowerCase(), value);
  }

  /** Removes every value of `name`; returns whether any was there. */
  remove(name: string): boolean {
    const lower = name.toLowerCase();
    const raw = this.raw;
    let w = 0;
    for (let r = 0; r < raw.length; r += 2) {
      if (raw[r] === lower) continue;
      raw[w] = raw[r]!;
      raw[w + 1] = raw[r + 1]!;
      w += 2;
    }
    const removed = w !== raw.length;
    raw.length = w;
    return removed;
  }

  get size(): number {
    return this.raw.length >> 1;
  }

  /** A plain object view (values of repeated names joined with ", "), for logs and tests. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.raw.length; i += 2) {
      const name = this.raw[i]!;
      out[name] = out[name] === undefined ? this.raw[i + 1]! : `${out[name]}, ${this.raw[i + 1]}`;
    }
    return out;
  }
}
