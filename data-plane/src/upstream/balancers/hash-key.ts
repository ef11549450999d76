// The key a consistent-hash balancer hashes: a header, a cookie, the client address or a query
// parameter, from the cluster's hashPolicy. No key (the header is absent) → a random peer.
import type { HashPolicy } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Session } from '../../proxy/session.js';

/**
 * What a pick may hash: a request's Session, or a TCP connection (tcp/tcp-hash-subject.ts: only its
 * remote address, no header, cookie or query parameter).
 */
export type HashSubject = Pick<Session, 'authority' | 'headers' | 'cookie' | 'queryParam' | 'remoteAddress'>;

export type HashKeyOf = (session: HashSubject) => string | undefined;

export function compileHashKey(policy: HashPolicy | undefined): HashKeyOf {
  const key = policy?.key;
  switch (key?.case) {
    case 'header': {
      const name = key.value.toLowerCase();
      if (name === 'host') return (s) => s.authority;
      return (s) => s.headers.get(name);
    }
    case 'cookie': {
      const name = key.value;
      return (s) => s.cookie(name);
    }
    case 'queryParameter': {
      const name = key.value;
      return (s) => s.queryParam(name);
    }
    case 'sourceAddress':
    default:
      // Source address is also the default: a hashing cluster with no policy still spreads by client.
      return (s) => s.remoteAddress;
  }
}
