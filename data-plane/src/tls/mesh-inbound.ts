// A sidecar's inbound listener: mutual TLS with the workload certificate, or plain text, per the
// PeerAuthentication mode, on one port. Each accepted connection's first byte says which it is (a TLS
// record starts with 0x16, the handshake content type of RFC 8446 §5.1; no HTTP/1 method or HTTP/2
// preface does), as Istio's PERMISSIVE mode sniffs with Envoy's tls_inspector. STRICT closes plain
// connections without an answer; DISABLE serves everything as plain text. TLS connections must
// present a certificate that chains to the mesh trust bundle and names a workload; the handshake
// verifies it, so the request path reads the caller from the socket (caller-identity.ts).
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { spiffeUri } from '../../../proto/src/identity/subject-alt-name.js';
import type { InboundMode } from '../authorization/peer-authentication-mode.js';
import type { MeshTls } from '../identity/mesh-tls.js';
import { ALPN_PROTOCOLS } from './sni-contexts.js';
import { peekBytes } from './peek-bytes.js';

/** The first byte of a TLS record carrying a handshake message (a ClientHello). */
const TLS_HANDSHAKE = 0x16;

export interface MeshInbound {
  /** The mode new connections get (a change applies to connections accepted after it). */
  mode(): InboundMode;
  readonly tls: MeshTls;
}

export type MeshRefusal = 'mtls_required';

/**
 * A 'connection' step for a plain-text server: decides per connection, then hands the raw socket
 * (plain) or the TLSSocket (after a verified handshake) to `handOn`. `refused` counts connections
 * closed for the mode; a failed handshake is closed too (the TLS alert told the client why).
 * `keepPaused` (a TCP listener): a plain socket is handed on paused, its first bytes unshifted, so
 * none is read before the endpoint it is piped to is connected.
 */
export function meshInboundAcceptor(inbound: MeshInbound, handshakeTimeoutMs: number, handOn: (socket: Socket) => void, refused: (reason: MeshRefusal) => void, keepPaused = false): { accept(raw: Socket): void; close(): void } {
  let server: TlsServer | undefined;
  let version = -1;
  /** The TLS server of the current certificate: remade context only when the certificate changed. */
  const tlsServer = (): TlsServer | undefined => {
    // The common case, per connection: the certificate has not changed since the last one.
    if (server !== undefined && version === inbound.tls.version) return server;
    const creds = inbound.tls.serverCredentials();
    if (creds === undefined) return undefined;
    if (server === undefined) {
      server = createTlsServer({ ...creds, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ALPN_PROTOCOLS, handshakeTimeout: handshakeTimeoutMs, minVersion: 'TLSv1.2' });
      server.on('secureConnection', (socket: TLSSocket) => {
        // Verified against the trust bundle; a mesh certificate also names exactly one workload.
        if (spiffeUri(socket.getPeerCertificate().subjectaltname) === undefined) {
          refused('mtls_required');
          socket.destroy();
          return;
        }
        handOn(socket);
      });
      server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
    } else if (version !== inbound.tls.version) {
      server.setSecureContext({ ...creds, minVersion: 'TLSv1.2' });
    }
    version = inbound.tls.version;
    return server;
  };
  const decide = (raw: Socket, first: number): void => {
    const mode = inbound.mode();
    if (first === TLS_HANDSHAKE && mode !== 'DISABLE') {
      const tls = tlsServer();
      if (tls !== undefined) {
        // node:tls feeds the bytes put back on the socket to OpenSSL before reading more.
        tls.emit('connection', raw);
        return;
      }
      // No workload certificate yet: nobody can be verified, so nothing TLS is served.
      refused('mtls_required');
      raw.destroy();
      return;
    }
    if (mode === 'STRICT') {
      refused('mtls_required');
      raw.destroy();
      return;
    }
    handOn(raw);
    if (!keepPaused) raw.resume();
  };
  return {
    accept(raw: Socket): void {
      if (inbound.mode() === 'DISABLE') return handOn(raw);
      // A silent connection is closed by the listener's gate at its header timeout.
      peekBytes(raw, (data) => data.length > 0, (data) => decide(raw, data[0]!));
    },
    close(): void {
      server?.close();
    },
  };
}
