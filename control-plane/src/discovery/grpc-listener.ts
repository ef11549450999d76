// The discovery port's listening socket, opened here rather than by grpc-js's bindAsync, so that its
// accept backlog fits a fleet. grpc-js listens with Node's default backlog of 511: when thousands of
// proxies connect at once (a control-plane restart, a replica failing over), the kernel's accept
// queue overflows, it drops the handshakes past it, and each of those proxies waits out TCP's SYN
// retransmission (1 s, then 3 s, 7 s...) while the replica sits idle. The fleet bench measured 77,307
// listen-queue overflows while 10,000 proxies connected, and a sync that ran at 250 proxies a second
// on a replica busy a third of the time. Connections accepted here are handed to the grpc-js server
// through its connection injector, which serves them exactly as its own (TLS included).
import { createServer, type AddressInfo, type Server } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import type { ListenAddress } from '../api/api-server.js';

/**
 * Pending connections the kernel holds while the event loop is busy. Linux caps it at
 * net.core.somaxconn (4096 by default since 5.4), and at net.ipv4.tcp_max_syn_backlog for handshakes
 * not yet complete.
 */
export const DISCOVERY_ACCEPT_BACKLOG = 4096;

export interface GrpcListener {
  readonly port: number;
  /**
   * Stops accepting. The connections already handed over stay with the grpc-js server, whose
   * tryShutdown / forceShutdown end them as they end their own (the injector's destroy() would take
   * its sessions out of the server's reach and leave them open).
   */
  close(): void;
}

/** Listens on `host`, `port` (0 picks one) and hands every connection to `server`. */
export async function listenForGrpc(server: grpc.Server, { host, port }: ListenAddress, credentials: grpc.ServerCredentials, backlog = DISCOVERY_ACCEPT_BACKLOG): Promise<GrpcListener> {
  const injector = server.createConnectionInjector(credentials);
  const listener: Server = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host, port, backlog }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  // After listening, an accept error (EMFILE) concerns one connection: node:net keeps listening.
  listener.on('error', () => {});
  return {
    port: (listener.address() as AddressInfo).port,
    close: () => listener.close(),
  };
}
