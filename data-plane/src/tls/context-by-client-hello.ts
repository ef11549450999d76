// Gives each connection of a node:tls server the whole secure context its ClientHello's server name
// selects, before the handshake starts. node:tls's SNICallback cannot do this: it copies only the
// chosen context's last certificate onto a connection that already holds the server's default one
// in every other key-type slot, so an ECDSA default is served to clients asking for an RSA name, and
// a name with both an RSA and an ECDSA certificate serves only one. With the context chosen first,
// OpenSSL sees only that name's key pairs and picks the one the client's signature algorithms and
// cipher suites allow (as nginx and Envoy do with one certificate per key type).
import type { Socket } from 'node:net';
import type { SecureContext, Server as TlsServer } from 'node:tls';
import { readClientHello } from './client-hello.js';
import { peekBytes } from './peek-bytes.js';

/** The contexts of one listener, by the server name a ClientHello asks for (sni-contexts.ts). */
export interface ContextSelector {
  /** The context for `servername`; undefined: the server's own. */
  select(servername: string | undefined): SecureContext | undefined;
  /** The context every name gets, when there is only one: then no ClientHello is read. */
  soleContext(): SecureContext | undefined;
}

/**
 * Replaces `server`'s own connection listener (node:tls's, which wraps every accepted socket with the
 * server's one context) by one that waits for the ClientHello (at most `timeoutMs`, then the
 * connection is closed), asks `selector` for the context of its server name, and hands the socket, the
 * ClientHello bytes put back, to node:tls with that context.
 */
export function selectContextByClientHello(server: TlsServer, selector: ContextSelector, timeoutMs: number): void {
  const own = server.listeners('connection').find((f) => f.name === 'tlsConnectionListener') as ((this: TlsServer, raw: Socket) => void) | undefined;
  // A Node.js that names it otherwise: refuse to start rather than serve the wrong certificates.
  if (own === undefined) throw new Error("node:tls's connection listener was not found: this Node.js version is not supported");
  const shared = server as unknown as { _sharedCreds: SecureContext };
  const handOver = (raw: Socket, context: SecureContext | undefined): void => {
    // node:tls reads the context for the new TLSSocket from `_sharedCreds`, synchronously, in the call.
    const before = shared._sharedCreds;
    if (context !== undefined) shared._sharedCreds = context;
    try {
      own.call(server, raw);
    } finally {
      shared._sharedCreds = before;
    }
  };
  server.removeListener('connection', own);
  server.prependListener('connection', (raw: Socket) => {
    // One context for every name: nothing to choose. Reading the ClientHello through the socket's
    // stream first costs about 5% of a new connection's CPU; node:tls's handshake timeout is then the
    // backstop for a client that sends nothing, as the reader's own timeout is otherwise.
    const sole = selector.soleContext();
    if (sole !== undefined) return handOver(raw, sole);
    // node:tls feeds bytes already read from the socket to OpenSSL before reading more (initRead).
    let hello: ReturnType<typeof readClientHello>;
    peekBytes(raw, (data) => (hello = readClientHello(data)) !== undefined, () => handOver(raw, selector.select(hello!.servername)), timeoutMs);
  });
}
