// Session ticket keys for the HTTPS listeners: one set per proxy, made in the primary and handed to
// every worker, so a client that reconnects resumes its TLS session (TLS 1.2 and 1.3 stateless
// tickets, RFC 5077 / RFC 8446 §4.6.1) whichever worker Node's round-robin gives the connection.
// Node.js holds one ticket key per SecureContext (setTicketKeys): a rotation replaces it, and tickets
// sealed with the previous key get a full handshake (and a new ticket), never a failure. The keys are
// secrets: they travel only over the worker IPC channel and are never logged nor shown by the admin API.
import { randomBytes } from 'node:crypto';

/** What Node's setTicketKeys takes: a 16-byte key name, a 16-byte HMAC secret and a 16-byte AES key. */
export const TICKET_KEYS_BYTES = 48;
/**
 * How long a ticket resumes a session (TLS 1.3 ticket_lifetime, the TLS 1.2 session timeout), as
 * nginx's ssl_session_timeout default: at a rotation only tickets younger than this are outstanding.
 */
export const TICKET_LIFETIME_S = 300;
/** --tls-ticket-key-rotation-s default: a new key every hour, as forward secrecy for resumed sessions. */
export const DEFAULT_TICKET_KEY_ROTATION_S = 3600;

export function newTicketKeys(): Buffer {
  return randomBytes(TICKET_KEYS_BYTES);
}

/** Refuses anything but a 48-byte key set (a message from a mismatched primary, a bug). */
export function checkTicketKeys(keys: Uint8Array): Buffer {
  if (keys.length !== TICKET_KEYS_BYTES) throw new Error(`TLS ticket keys must be ${TICKET_KEYS_BYTES} bytes, got ${keys.length}`);
  return Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
}

/** Makes a key set now, hands it to `apply`, and a new one every `intervalMs` until stop(). */
export class TicketKeyRotation {
  private keys = newTicketKeys();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number, private readonly apply: (keys: Buffer) => void) {
    apply(this.keys);
    this.timer = setInterval(() => this.rotate(), intervalMs).unref();
  }

  /** The key set in use (for a worker that starts). */
  get current(): Buffer {
    return this.keys;
  }

  rotate(): void {
    this.keys = newTicketKeys();
    this.apply(this.keys);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
