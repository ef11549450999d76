// The key a consistent-hash balancer hashes: a header, a cookie, the client address or a query
// parameter, from the cluster's hashPolicy. No key (the header is absent) → a random peer.
import type { HashPolicy } from '../../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Session } from '../../proxy/session.js';

export type HashKeyOf = (session: Session) => string | undefined;

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
