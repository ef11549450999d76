// RFC 7541 §5.2 and Appendix B: the static Huffman code for header strings. Decoding walks a 4-bit
// state machine (one state per inner node of the code tree, 16 transitions each) built once at load,
// so a byte costs two table reads and at most two emitted symbols; encoding packs codes into a small
// bit accumulator.

// Appendix B as (code, length) pairs for symbols 0..255 and EOS (256), the code right-aligned as the
// RFC prints its hex column. Checked against the RFC's bit strings (nghttp2's mkhufftbl.py copy) and
// nghttp2's generated table; the tests check it is a complete prefix code with EOS = 30 ones.
const TABLE = [
  0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, 0xfffffe4, 28, 0xfffffe5, 28, 0xfffffe6, 28, 0xfffffe7, 28,
  0xfffffe8, 28, 0xffffea, 24, 0x3ffffffc, 30, 0xfffffe9, 28, 0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28,
  0xfffffed, 28, 0xfffffee, 28, 0xfffffef, 28, 0xffffff0, 28, 0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28,
  0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, 0xffffff8, 28, 0xffffff9, 28, 0xffffffa, 28, 0xffffffb, 28,
  0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12, 0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11,
  0x3fa, 10, 0x3fb, 10, 0xf9, 8, 0x7fb, 11, 0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6,
  0x0, 5, 0x1, 5, 0x2, 5, 0x19, 6, 0x1a, 6, 0x1b, 6, 0x1c, 6, 0x1d, 6,
  0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8, 0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10,
  0x1ffa, 13, 0x21, 6, 0x5d, 7, 0x5e, 7, 0x5f, 7, 0x60, 7, 0x61, 7, 0x62, 7,
  0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, 0x67, 7, 0x68, 7, 0x69, 7, 0x6a, 7,
  0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7, 0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7,
  0xfc, 8, 0x73, 7, 0xfd, 8, 0x1ffb, 13, 0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6,
  0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5, 0x24, 6, 0x5, 5, 0x25, 6, 0x26, 6,
  0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7, 0x28, 6, 0x29, 6, 0x2a, 6, 0x7, 5,
  0x2b, 6, 0x76, 7, 0x2c, 6, 0x8, 5, 0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7,
  0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, 0x7fc, 11, 0x3ffd, 14, 0x1ffd, 13, 0xffffffc, 28,
  0xfffe6, 20, 0x3fffd2, 22, 0xfffe7, 20, 0xfffe8, 20, 0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23,
  0x3fffd6, 22, 0x7fffda, 23, 0x7fffdb, 23, 0x7fffdc, 23, 0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23,
  0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, 0xffffee, 24, 0x7fffe1, 23, 0x7fffe2, 23, 0x7fffe3, 23,
  0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23, 0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24,
  0x3fffda, 22, 0x1fffdd, 21, 0xfffe9, 20, 0x3fffdb, 22, 0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21,
  0x7fffea, 23, 0x3fffdd, 22, 0x3fffde, 22, 0xfffff0, 24, 0x1fffdf, 21, 0x3fffdf, 22, 0x7fffeb, 23, 0x7fffec, 23,
  0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21, 0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23,
  0xfffea, 20, 0x3fffe2, 22, 0x3fffe3, 22, 0x3fffe4, 22, 0x7ffff0, 23, 0x3fffe5, 22, 0x3fffe6, 22, 0x7ffff1, 23,
  0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, 0x3fffe7, 22, 0x7ffff2, 23, 0x3fffe8, 22, 0x1ffffec, 25,
  0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27, 0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25,
  0x7fff2, 19, 0x1fffe3, 21, 0x3ffffe6, 26, 0x7ffffe0, 27, 0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24,
  0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26, 0xffffffd, 28, 0x7ffffe3, 27, 0x7ffffe4, 27, 0x7ffffe5, 27,
  0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21, 0x3fffe9, 22, 0x1fffe7, 21, 0x1fffe8, 21, 0x7ffff3, 23,
  0x3fffea, 22, 0x3fffeb, 22, 0x1ffffee, 25, 0x1ffffef, 25, 0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23,
  0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, 0x7ffffe7, 27, 0x7ffffe8, 27, 0x7ffffe9, 27, 0x7ffffea, 27,
  0x7ffffeb, 27, 0xffffffe, 28, 0x7ffffec, 27, 0x7ffffed, 27, 0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26,
  0x3fffffff, 30,
];

/** HUFFMAN_CODES[sym]: the code of byte sym (EOS at 256), right-aligned. */
export const HUFFMAN_CODES = new Uint32Array(257);
/** HUFFMAN_LENGTHS[sym]: its length in bits (5..30). */
export const HUFFMAN_LENGTHS = new Uint8Array(257);
for (let sym = 0; sym < 257; sym++) {
  HUFFMAN_CODES[sym] = TABLE[2 * sym]!;
  HUFFMAN_LENGTHS[sym] = TABLE[2 * sym + 1]!;
}

export const EOS = 256;

/** Decoding failures, as huffmanDecodeTo's negative results (RFC 7541 §5.2: each is a COMPRESSION_ERROR). */
export const HUFFMAN_EOS = -1;
export const HUFFMAN_PADDING_TOO_LONG = -2;
export const HUFFMAN_BAD_PADDING = -3;

const EMIT = 1 << 16;
const FAIL = 1 << 17;
// TRANSITIONS[state << 4 | nibble] = next state | EMIT | symbol << 8, or FAIL when the nibble ends EOS.
const TRANSITIONS = new Uint32Array(256 * 16);
// ACCEPTS[state]: the bits since the last symbol are all ones and at most 7 of them, so the string
// may end here. ONES[state]: they are all ones (of any length), to tell "too long" from "not ones".
const ACCEPTS = new Uint8Array(256);
const ONES = new Uint8Array(256);

(function buildDecoder(): void {
  // Inner nodes are states 0..255 (root 0); child[node * 2 + bit] is an inner node, or ~symbol for a leaf.
  const child = new Int32Array(256 * 2);
  const set = new Uint8Array(256 * 2);
  let nodes = 1;
  for (let sym = 0; sym < 257; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let i = HUFFMAN_LENGTHS[sym]! - 1; i > 0; i--) {
      const slot = node * 2 + ((code >>> i) & 1);
      if (set[slot] === 0) {
        if (nodes === 256) throw new Error('HPACK Huffman table is not a prefix code of 257 symbols');
        set[slot] = 1;
        child[slot] = nodes++;
      } else if (child[slot]! < 0) {
        throw new Error(`HPACK Huffman code of ${sym} extends another symbol's code`);
      }
      node = child[slot]!;
    }
    const slot = node * 2 + (code & 1);
    if (set[slot] !== 0) throw new Error(`HPACK Huffman code of ${sym} is taken`);
    set[slot] = 1;
    child[slot] = ~sym;
  }
  if (nodes !== 256 || set.indexOf(0) !== -1) throw new Error('HPACK Huffman table is not a complete prefix code');

  for (let node = 0, depth = 0; node >= 0; node = child[node * 2 + 1]!, depth++) {
    ONES[node] = 1;
    if (depth <= 7) ACCEPTS[node] = 1;
  }

  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[node * 2 + ((nibble >>> i) & 1)]!;
        if (next >= 0) {
          node = next;
        } else if (~next === EOS) {
          entry = FAIL;
          break;
        } else {
          // The shortest code is 5 bits, so a nibble finishes at most one symbol.
          entry = EMIT | (~next << 8);
          node = 0;
        }
      }
      TRANSITIONS[(state << 4) | nibble] = entry === FAIL ? FAIL : entry | node;
    }
  }
})();

/** The most bytes `length` Huffman-coded bytes can decode to (5 bits per symbol at best). */
export function huffmanDecodedMax(length: number): number {
  return Math.floor((length * 8) / 5);
}

/**
 * Decodes src[start, end) into out (which must hold huffmanDecodedMax(end - start) bytes). Returns the
 * number of bytes written, or HUFFMAN_EOS / HUFFMAN_PADDING_TOO_LONG / HUFFMAN_BAD_PADDING.
 */
export function huffmanDecodeTo(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let state = 0;
  let n = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let entry = TRANSITIONS[(state << 4) | (byte >>> 4)]!;
    if (entry >= FAIL) return HUFFMAN_EOS;
    if ((entry & EMIT) !== 0) out[n++] = entry >>> 8;
    entry = TRANSITIONS[((entry & 0xff) << 4) | (byte & 0xf)]!;
    if (entry >= FAIL) return HUFFMAN_EOS;
    if ((entry & EMIT) !== 0) out[n++] = entry >>> 8;
    state = entry & 0xff;
  }
  if (ACCEPTS[state] === 1) return n;
  return ONES[state] === 1 ? HUFFMAN_PADDING_TOO_LONG : HUFFMAN_BAD_PADDING;
}

/** Why huffmanDecodeTo failed, for the error message. */
export function huffmanFailure(result: number): string {
  if (result === HUFFMAN_EOS) return 'Huffman string contains EOS';
  if (result === HUFFMAN_PADDING_TOO_LONG) return 'Huffman padding longer than 7 bits';
  return 'Huffman padding is not a prefix of EOS (not all ones)';
}

/** Bytes s takes Huffman-coded (each char taken as one latin1 byte). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Writes s Huffman-coded at out[pos] (room for huffmanEncodedLength(s) bytes); returns the end. */
export function huffmanEncodeTo(s: string, out: Uint8Array, pos: number): number {
  // acc holds fewer than 8 pending bits between symbols; a code of up to 24 bits fits beside them in
  // 31 bits, a longer one (rare bytes only) goes in two steps.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let code = HUFFMAN_CODES[sym]!;
    let len = HUFFMAN_LENGTHS[sym]!;
    if (len > 24) {
      acc = (acc << (len - 8)) | (code >>> 8);
      bits += len - 8;
      while (bits >= 8) {
        bits -= 8;
        out[pos++] = acc >>> bits;
      }
      acc &= (1 << bits) - 1;
      code &= 0xff;
      len = 8;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      out[pos++] = acc >>> bits;
    }
    acc &= (1 << bits) - 1;
  }
  // Pad with the most significant bits of EOS: ones.
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >>> bits);
  return pos;
}
