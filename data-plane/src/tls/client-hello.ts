// Reads the server name (SNI) from the first bytes a TLS client sends, its ClientHello, before any
// TLS code sees them: the listener picks the whole secure context for the connection from it, as
// Envoy's tls_inspector listener filter does (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2, RFC 6066 §3).

/** The largest ClientHello waited for; a bigger one (or anything else) gets the default context. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const RECORD_HEADER_BYTES = 5;
const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXTENSION_SERVER_NAME = 0;
const NAME_TYPE_HOST_NAME = 0;

/**
 * `undefined`: not complete yet, read more. Otherwise the verdict: `servername` is the host_name the
 * client asked for, or undefined when it sent none, or the bytes are not a well-formed ClientHello
 * (OpenSSL then refuses them with its own alert).
 */
export type ClientHelloVerdict = { readonly servername: string | undefined } | undefined;

/** Parses `data`, the bytes received so far on a new connection. */
export function readClientHello(data: Buffer): ClientHelloVerdict {
  const none = { servername: undefined };
  const incomplete = (): ClientHelloVerdict => (data.length >= MAX_CLIENT_HELLO_BYTES ? none : undefined);
  // The ClientHello may span several handshake records (RFC 8446 §5.1): join their payloads.
  const payload: Buffer[] = [];
  let size = 0;
  let needed = Infinity;
  for (let at = 0; size < needed; ) {
    if (at + RECORD_HEADER_BYTES > data.length) return incomplete();
    if (data[at] !== CONTENT_HANDSHAKE) return none;
    const length = data.readUInt16BE(at + 3);
    const body = data.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
    payload.push(body);
    size += body.length;
    if (needed === Infinity && size >= 4) {
      const head = Buffer.concat(payload);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return none;
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO_BYTES) return none;
    }
    // The last record is still arriving: the message may be complete already.
    if (body.length < length) break;
    at += RECORD_HEADER_BYTES + length;
  }
  if (size < needed) return incomplete();
  return { servername: serverNameOf(Buffer.concat(payload).subarray(4, needed)) };
}

/** The host_name of a ClientHello body's server_name extension; undefined if absent or malformed. */
function serverNameOf(hello: Buffer): string | undefined {
  try {
    // legacy_version (2), random (32), then the variable-length fields.
    let at = 2 + 32;
    at += 1 + hello.readUInt8(at); // legacy_session_id
    at += 2 + hello.readUInt16BE(at); // cipher_suites
    at += 1 + hello.readUInt8(at); // legacy_compression_methods
    if (at + 2 > hello.length) return undefined; // no extensions (an SSL 3.0-style hello)
    const end = Math.min(hello.length, at + 2 + hello.readUInt16BE(at));
    at += 2;
    while (at + 4 <= end) {
      const type = hello.readUInt16BE(at);
      const length = hello.readUInt16BE(at + 2);
      at += 4;
      if (type === EXTENSION_SERVER_NAME) {
        const listEnd = Math.min(at + length, at + 2 + hello.readUInt16BE(at));
        let p = at + 2;
        while (p + 3 <= listEnd) {
          const nameType = hello.readUInt8(p);
          const nameLength = hello.readUInt16BE(p + 1);
          if (nameType === NAME_TYPE_HOST_NAME && p + 3 + nameLength <= listEnd) return hello.toString('latin1', p + 3, p + 3 + nameLength);
          p += 3 + nameLength;
        }
        return undefined;
      }
      at += length;
    }
  } catch {
    // A length pointing past the end (RangeError): malformed.
  }
  return undefined;
}
