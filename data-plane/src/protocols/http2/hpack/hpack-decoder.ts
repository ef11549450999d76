// RFC 7541 header block decoding for our own HTTP/2 codec. One decoder per connection direction: its
// dynamic table follows the peer's encoder block by block, so every block must be decoded in full,
// in order, even one whose list we then refuse.
import { ProxyError, ProxyErrorCode } from '../../../errors.js';
import { huffmanDecodedMax, huffmanDecodeTo, huffmanFailure } from './huffman.js';
import { STATIC_NAMES, STATIC_TABLE_LENGTH, STATIC_VALUES } from './static-table.js';

export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the largest dynamic table the peer may make us keep (default 4096). */
  readonly maxTableSize: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE: the largest decoded list, counted as RFC 9113 §6.5.2 does (name + value + 32 per field). */
  readonly maxHeaderListSize: number;
  /** Most fields in one block (a count limit against many tiny fields). */
  readonly maxHeaderCount: number;
  /** The ProxyError code failures carry: UpstreamProtocol on the upstream side, BadRequest on the downstream side. */
  readonly errorCode: ProxyErrorCode;
}

/** RFC 7541 §4.1: an entry's size is its name and value lengths plus 32 bytes of overhead. */
const ENTRY_OVERHEAD = 32;
// An integer past this cannot be a valid index or string length in any block we accept; refusing it
// early also keeps the arithmetic exact.
const MAX_INTEGER = 0x7fffffff;

type Latin1Buffer = Buffer & { latin1Slice?(start: number, end: number): string };
// Node's Buffer has had latin1Slice since long before 20 (what toString('latin1') ends up calling);
// calling it directly skips the encoding switch. Fall back to toString should it ever go away.
const hasLatin1Slice = typeof (Buffer.prototype as Latin1Buffer).latin1Slice === 'function';

function latin1(buf: Buffer, start: number, end: number): string {
  return hasLatin1Slice ? (buf as Latin1Buffer).latin1Slice!(start, end) : buf.toString('latin1', start, end);
}

export class HpackDecoder {
  private readonly options: HpackDecoderOptions;
  /** The table's current maximum: our setting, or less if the peer's last size update said so. */
  private maxSize: number;
  private size = 0;
  // The dynamic table as a ring: names[(head + i) & mask] is the i-th oldest of count entries.
  private names: string[];
  private values: string[];
  private head = 0;
  private count = 0;
  private mask: number;
  /** Where the next byte is read; a field so the helpers can advance it without returning pairs. */
  private pos = 0;
  /** Huffman output before it becomes a string; grows to the longest string seen. */
  private scratch = Buffer.allocUnsafe(256);

  constructor(options: HpackDecoderOptions) {
    this.options = options;
    this.maxSize = options.maxTableSize;
    // Room for a full table of the smallest entries (32 bytes each) at the default size; grows if needed.
    const slots = 1 << Math.ceil(Math.log2(Math.max(16, Math.min(options.maxTableSize, 4096) / ENTRY_OVERHEAD)));
    this.names = new Array<string>(slots).fill('');
    this.values = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  /** Bytes the dynamic table holds now (RFC size: name + value + 32 per entry). */
  get tableSize(): number {
    return this.size;
  }

  /**
   * Decodes one complete header block into [name, value, ...] in received order. Throws
   * ProxyError(errorCode) on malformed input (the connection's HPACK state is then lost: close it),
   * or, after decoding the whole block, with `limit` set when the list is over a limit (only that
   * stream need be reset).
   */
  decode(block: Uint8Array): string[] {
    const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const end = buf.length;
    const { maxHeaderListSize, maxHeaderCount } = this.options;
    const out: string[] = [];
    let listSize = 0;
    let fields = 0;
    // Once over a limit nothing more is kept; decoding goes on only to keep the table in step.
    let over = false;
    this.pos = 0;
    while (this.pos < end) {
      const first = buf[this.pos]!;
      let name: string;
      let value: string;
      if (first >= 0x80) {
        // §6.1 indexed field.
        const index = this.readInteger(buf, 0x7f);
        if (index === 0) throw this.error('index 0 in an indexed field');
        if (index <= STATIC_TABLE_LENGTH) {
          name = STATIC_NAMES[index]!;
          value = STATIC_VALUES[index]!;
        } else {
          const slot = this.dynamicSlot(index);
          name = this.names[slot]!;
          value = this.values[slot]!;
        }
      } else if (first >= 0x40) {
        // §6.2.1 literal with incremental indexing: the table changes whatever the limits say.
        name = this.readName(buf, 0x3f);
        value = this.readString(buf);
        this.insert(name, value);
      } else if (first >= 0x20) {
        // §6.3 dynamic table size update: only before the block's first field (§4.2).
        if (fields !== 0) throw this.error('dynamic table size update after the first field of the block');
        const size = this.readInteger(buf, 0x1f);
        if (size > this.options.maxTableSize) {
          throw this.error(`dynamic table size update to ${size} above our SETTINGS_HEADER_TABLE_SIZE ${this.options.maxTableSize}`);
        }
        this.maxSize = size;
        this.evictTo(size);
        continue;
      } else {
        // §6.2.2 without indexing (0000) and §6.2.3 never indexed (0001): the same to a decoder. The
        // caller cannot forward never-indexed-ness; we only ever re-encode such names as never indexed.
        name = this.readName(buf, 0x0f);
        if (over) {
          this.readString(buf, false);
          fields++;
          continue;
        }
        value = this.readString(buf);
      }
      fields++;
      if (over) continue;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxHeaderListSize || fields > maxHeaderCount) {
        over = true;
        continue;
      }
      out.push(name, value);
    }
    if (over) {
      if (listSize > maxHeaderListSize) {
        throw new ProxyError(this.options.errorCode, `header list larger than ${maxHeaderListSize} bytes (RFC 9113 §6.5.2 size)`, {
          limit: 'maxHeaderListSize',
        });
      }
      throw new ProxyError(this.options.errorCode, `more than ${maxHeaderCount} header fields`, { limit: 'maxHeaderCount' });
    }
    return out;
  }

  private error(what: string): ProxyError {
    return new ProxyError(this.options.errorCode, `HPACK COMPRESSION_ERROR: ${what}`);
  }

  /** §5.1: an integer with an N-bit prefix (prefixMask = 2^N - 1) starting at this.pos. */
  private readInteger(buf: Buffer, prefixMask: number): number {
    let value = buf[this.pos++]! & prefixMask;
    if (value < prefixMask) return value;
    const end = buf.length;
    let shift = 0;
    for (;;) {
      if (this.pos >= end) throw this.error('integer truncated at the end of the block');
      const byte = buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (value > MAX_INTEGER) throw this.error('integer overflow');
      if (byte < 0x80) return value;
      shift += 7;
      // Zero continuation bytes add nothing; bound them so a block cannot spin on padding.
      if (shift > 28) throw this.error('integer overflow (too many continuation bytes)');
    }
  }

  /** A literal's name: indexed (static or dynamic) when the prefix is non-zero, else a string. */
  private readName(buf: Buffer, prefixMask: number): string {
    const index = this.readInteger(buf, prefixMask);
    if (index === 0) return this.readString(buf);
    if (index <= STATIC_TABLE_LENGTH) return STATIC_NAMES[index]!;
    return this.names[this.dynamicSlot(index)]!;
  }

  /**
   * §5.2 string literal at this.pos, bounded by the block: a length past its end is refused, never
   * allocated. Without `keep` it is only read past (its Huffman coding still checked): ''.
   */
  private readString(buf: Buffer, keep = true): string {
    if (this.pos >= buf.length) throw this.error('string literal truncated at the end of the block');
    const huffman = buf[this.pos]! >= 0x80;
    const length = this.readInteger(buf, 0x7f);
    const start = this.pos;
    if (length > buf.length - start) throw this.error(`string literal of ${length} bytes runs past the end of the block`);
    this.pos = start + length;
    if (!huffman) return keep ? latin1(buf, start, start + length) : '';
    const n = this.huffman(buf, start, length);
    return keep ? latin1(this.scratch, 0, n) : '';
  }

  private huffman(buf: Buffer, start: number, length: number): number {
    const room = huffmanDecodedMax(length);
    if (this.scratch.length < room) this.scratch = Buffer.allocUnsafe(Math.max(room, this.scratch.length * 2));
    const n = huffmanDecodeTo(buf, start, start + length, this.scratch);
    if (n < 0) throw this.error(huffmanFailure(n));
    return n;
  }

  /** Ring slot of HPACK index (> 61): 62 is the newest entry. */
  private dynamicSlot(index: number): number {
    const age = index - STATIC_TABLE_LENGTH - 1;
    if (age >= this.count) throw this.error(`index ${index} beyond the ${this.count}-entry dynamic table`);
    return (this.head + this.count - 1 - age) & this.mask;
  }

  /** §4.4: evicts from the old end until the entry fits; an entry larger than the table empties it. */
  private insert(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - entrySize);
    if (this.count === this.names.length) this.grow();
    const slot = (this.head + this.count) & this.mask;
    this.names[slot] = name;
    this.values[slot] = value;
    this.count++;
    this.size += entrySize;
  }

  private evictTo(limit: number): void {
    while (this.size > limit) {
      const slot = this.head;
      this.size -= this.names[slot]!.length + this.values[slot]!.length + ENTRY_OVERHEAD;
      // Drop the references so evicted strings can be collected.
      this.names[slot] = '';
      this.values[slot] = '';
      this.head = (slot + 1) & this.mask;
      this.count--;
    }
  }

  private grow(): void {
    const slots = this.names.length * 2;
    const names = new Array<string>(slots).fill('');
    const values = new Array<string>(slots).fill('');
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head + i) & this.mask;
      names[i] = this.names[slot]!;
      values[i] = this.values[slot]!;
    }
    this.names = names;
    this.values = values;
    this.head = 0;
    this.mask = slots - 1;
  }
}
