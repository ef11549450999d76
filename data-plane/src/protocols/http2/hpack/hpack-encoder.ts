// RFC 7541 header block encoding for our own HTTP/2 codec. Requests on one upstream connection repeat
// most of their fields (:authority, a gRPC method's :path, content-type, te, user-agent), so the
// encoder keeps a dynamic table and sends those as one byte after the first request.
import { huffmanEncodedLength, huffmanEncodeTo } from './huffman.js';
import { STATIC_NAME_INDEX, STATIC_TABLE_LENGTH, STATIC_VALUE_INDEX } from './static-table.js';

const ENTRY_OVERHEAD = 32;
/** The peer's default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2). */
const DEFAULT_TABLE_SIZE = 4096;
// Our own ceiling whatever the peer allows: a bigger table costs memory on both ends per connection
// for little gain on request headers (nghttp2's deflater stops at 4096 too).
const OWN_MAX_TABLE_SIZE = 4096;

// Fields whose value is different nearly every time: indexing them only evicts entries that would
// have been reused. After nghttp2's list, without :path (a gRPC method's path repeats on every call).
const UNINDEXED_NAMES: ReadonlySet<string> = new Set([
  'age',
  'content-length',
  'date',
  'etag',
  'grpc-timeout',
  'if-modified-since',
  'if-none-match',
  'last-modified',
  'location',
  'set-cookie',
  'traceparent',
  'x-b3-parentspanid',
  'x-b3-spanid',
  'x-b3-traceid',
  'x-request-id',
]);

/** The live entries with one name: value → insertion number, and the newest of them. */
interface NameEntries {
  readonly values: Map<string, number>;
  newest: number;
}

export class HpackEncoder {
  /** The table's maximum as last announced (or to be announced) to the peer's decoder. */
  private maxSize = DEFAULT_TABLE_SIZE;
  /** The smallest maximum since the last block, when a size update is owed (else -1). */
  private pendingMin = -1;
  private size = 0;
  // The dynamic table as a ring of names and values by insertion number: entry n (0-based, counting
  // every insertion ever) is at slot n & mask; entries first..inserted-1 are live.
  private names: string[];
  private values: string[];
  private mask: number;
  private first = 0;
  private inserted = 0;
  /** Name → its live entries, for exact and name matches without building a name + value key. */
  private readonly byName = new Map<string, NameEntries>();
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;

  constructor() {
    const slots = 128; // a full default table of the smallest entries
    this.names = new Array<string>(slots).fill('');
    this.values = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE arrived: our dynamic table may use at most this many bytes.
   * Any change of our table's maximum is announced at the start of the next block (RFC 7541 §4.2):
   * the smallest value since the last block first if it went down and back up, then the final one.
   */
  setPeerMaxTableSize(bytes: number): void {
    const next = Math.min(bytes, OWN_MAX_TABLE_SIZE);
    if (next === this.maxSize) return;
    if (next < this.maxSize) this.evictTo(next);
    this.pendingMin = this.pendingMin < 0 ? next : Math.min(this.pendingMin, next);
    this.maxSize = next;
  }

  /** Encodes flat pairs [name, value, ...] into one header block (a fresh Buffer the caller may keep). */
  encode(headers: readonly string[]): Buffer {
    this.pos = 0;
    if (this.pendingMin >= 0) {
      this.ensure(12);
      if (this.pendingMin < this.maxSize) this.writeInteger(0x20, 0x1f, this.pendingMin);
      this.writeInteger(0x20, 0x1f, this.maxSize);
      this.pendingMin = -1;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) this.encodeField(headers[i]!, headers[i + 1]!);
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  private encodeField(name: string, value: string): void {
    // Worst case: a 1-byte prefix and a 5-byte integer before each of two strings no longer than raw.
    this.ensure(name.length + value.length + 16);

    const staticExact = STATIC_VALUE_INDEX.get(name)?.get(value);
    if (staticExact !== undefined) {
      this.writeInteger(0x80, 0x7f, staticExact);
      return;
    }

    // nghttp2's rule: credentials, and cookies short enough to guess, are never indexed anywhere,
    // even by a proxy further on. Longer cookies and set-cookie just stay out of our table.
    const neverIndexed =
      name === 'authorization' || name === 'proxy-authorization' || (name === 'cookie' && value.length < 20);
    const entries = this.byName.get(name);
    if (!neverIndexed && entries !== undefined) {
      const n = entries.values.get(value);
      if (n !== undefined) {
        this.writeInteger(0x80, 0x7f, this.indexOf(n));
        return;
      }
    }

    let nameIndex = STATIC_NAME_INDEX.get(name) ?? 0;
    if (nameIndex === 0 && entries !== undefined && entries.newest >= this.first) nameIndex = this.indexOf(entries.newest);
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    const index =
      !neverIndexed &&
      name !== 'cookie' &&
      entrySize <= this.maxSize >>> 2 &&
      !UNINDEXED_NAMES.has(name);

    if (index) this.writeInteger(0x40, 0x3f, nameIndex);
    else this.writeInteger(neverIndexed ? 0x10 : 0x00, 0x0f, nameIndex);
    if (nameIndex === 0) this.writeString(name);
    this.writeString(value);
    if (index) this.insert(name, value, entrySize, entries);
  }

  /** HPACK index of insertion number n: the newest entry is 62. */
  private indexOf(n: number): number {
    return STATIC_TABLE_LENGTH + this.inserted - n;
  }

  private insert(name: string, value: string, entrySize: number, known: NameEntries | undefined): void {
    this.evictTo(this.maxSize - entrySize);
    if (this.inserted - this.first === this.names.length) this.grow();
    const n = this.inserted++;
    this.names[n & this.mask] = name;
    this.values[n & this.mask] = value;
    this.size += entrySize;
    // The eviction above may have dropped the last entry with this name, and `known` with it.
    let entries = known !== undefined && known.values.size > 0 ? known : this.byName.get(name);
    if (entries === undefined) {
      entries = { values: new Map(), newest: n };
      this.byName.set(name, entries);
    }
    entries.values.set(value, n);
    entries.newest = n;
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const n = this.first++;
      const slot = n & this.mask;
      const name = this.names[slot]!;
      const value = this.values[slot]!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      this.names[slot] = '';
      this.values[slot] = '';
      const entries = this.byName.get(name)!;
      if (entries.values.get(value) === n) entries.values.delete(value);
      if (entries.values.size === 0) this.byName.delete(name);
    }
  }

  private grow(): void {
    const slots = this.names.length * 2;
    const names = new Array<string>(slots).fill('');
    const values = new Array<string>(slots).fill('');
    for (let n = this.first; n < this.inserted; n++) {
      names[n & (slots - 1)] = this.names[n & this.mask]!;
      values[n & (slots - 1)] = this.values[n & this.mask]!;
    }
    this.names = names;
    this.values = values;
    this.mask = slots - 1;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** §5.1: value with an N-bit prefix (prefixMask = 2^N - 1) under the representation's high bits. */
  private writeInteger(high: number, prefixMask: number, value: number): void {
    const buf = this.buf;
    if (value < prefixMask) {
      buf[this.pos++] = high | value;
      return;
    }
    buf[this.pos++] = high | prefixMask;
    value -= prefixMask;
    while (value >= 0x80) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this.pos++] = value;
  }

  /** §5.2: Huffman-coded when that is shorter (as nghttp2 chooses), else raw latin1. */
  private writeString(s: string): void {
    const huffmanLength = huffmanEncodedLength(s);
    const buf = this.buf;
    if (huffmanLength < s.length) {
      this.writeInteger(0x80, 0x7f, huffmanLength);
      this.pos = huffmanEncodeTo(s, buf, this.pos);
      return;
    }
    this.writeInteger(0x00, 0x7f, s.length);
    let pos = this.pos;
    // Header strings are short: a loop beats a call into C++ for the copy.
    if (s.length < 32) {
      for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    } else {
      pos += buf.write(s, pos, 'latin1');
    }
    this.pos = pos;
  }
}
