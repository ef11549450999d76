// The one way Sluice builds an `etcd3` client: every unary call with a short deadline, and per member a
// circuit that sends calls to the other members for a while after this one failed.
//
// How etcd3 1.1.2 picks a member: each call walks the hosts in a fresh random order and runs on the
// first whose `faultHandling.host` policy lets it through; whatever that call then throws is final
// for the call (`global` may retry it, on the next host of the same order). With nothing in the way,
// every call has a fair chance of landing on a dead member: when that member refuses connections the
// call fails fast, but when it hangs (host down, partition, SIGSTOP) the call waits for its whole
// deadline in "connecting". Hence a circuit per member (etcd-member-circuits.ts). No global retry:
// callWithFailover (etcd-failover.ts) retries, knowing which calls are safe to repeat.
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { MemberCircuits } from './etcd-member-circuits.js';

/**
 * How the control plane proves itself to etcd and checks etcd's certificate (etcd's security model:
 * client certificates with --client-cert-auth, and/or users with `etcdctl auth enable`).
 */
export interface EtcdCredentials {
  /** PEM CA bundle that verifies the members' certificates on https:// endpoints (default: system CAs). */
  readonly ca?: Buffer;
  /** PEM client certificate chain and its key, for members started with --client-cert-auth. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** An etcd user: the client exchanges name and password for a token, renewed when it expires. */
  readonly user?: { readonly name: string; readonly password: string };
}

export interface EtcdClientOptions {
  /** The deadline of each unary call (one attempt on one member), unless the call sets its own. */
  readonly attemptTimeoutMs: number;
  /** gRPC channel options added to (or overriding) the defaults below. */
  readonly grpcOptions?: Record<string, number | string>;
  readonly credentials?: EtcdCredentials;
}

export function createEtcdClient(endpoints: readonly string[], options: EtcdClientOptions): Etcd3 {
  // With one member, its circuit is every circuit: open, it holds nothing back (the panic rule).
  const circuits = new MemberCircuits();
  const creds = options.credentials;
  const tls = creds?.ca !== undefined || creds?.cert !== undefined;
  return new Etcd3({
    hosts: [...endpoints],
    // etcd3 passes these to grpc.credentials.createSsl, where a null root certificate means the
    // system's CAs; without them, https:// endpoints get the system's CAs and no client certificate.
    ...(tls ? { credentials: { rootCertificate: creds?.ca as Buffer, privateKey: creds?.key, certChain: creds?.cert } } : {}),
    ...(creds?.user === undefined ? {} : { auth: { username: creds.user.name, password: creds.user.password } }),
    // Streams (watches, keepalives) live on; every other call has a deadline, so nothing hangs on a
    // dead member.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + options.attemptTimeoutMs }),
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // A silent network partition would otherwise leave a stream waiting forever. etcd refuses
      // pings more often than every 5 s (--grpc-keepalive-min-time).
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      ...options.grpcOptions,
    },
    faultHandling: {
      host: (member) => circuits.policyFor(member),
      global: noop,
    },
  });
}
