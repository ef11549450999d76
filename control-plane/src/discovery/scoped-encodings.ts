// The per-proxy variants of resources, encoded once per resource version and shared by every stream
// that needs the same variant: a Certificate without its private key (for proxies that serve no
// listener using it), and a Route naming only the listeners a proxy receives. Weakly keyed by the
// snapshot's entries and maps, so variants go with the versions they were made from.
import type { Certificate } from '../../../proto/gen/sluice/v1/certificate_pb.js';
import type { Cluster } from '../../../proto/gen/sluice/v1/cluster_pb.js';
import type { Route } from '../../../proto/gen/sluice/v1/route_pb.js';
import { encodeResource, type EncodedResource } from '../../../proto/src/wire/encoded-resource.js';
import type { KindMap } from '../snapshot/snapshot.js';

const keylessEntries = new WeakMap<EncodedResource, EncodedResource>();
const keylessMaps = new WeakMap<KindMap, KindMap>();
const routeVariants = new WeakMap<EncodedResource, Map<string, EncodedResource>>();
const clientCertificateSets = new WeakMap<KindMap, ReadonlySet<string>>();

/** Whether a Certificate entry carries a private key. */
export function hasKey(entry: EncodedResource): boolean {
  return (entry.resource.spec as Certificate).privateKey !== '';
}

/**
 * The Certificate without its private key: the chain and CA bundle stay (they verify peers); its
 * version is the hash of that content, so a proxy's versions say which form it holds.
 */
export function keyless(entry: EncodedResource): EncodedResource {
  if (!hasKey(entry)) return entry;
  let variant = keylessEntries.get(entry);
  if (variant === undefined) {
    variant = encodeResource({ kind: 'Certificate', spec: { ...(entry.resource.spec as Certificate), privateKey: '' } });
    keylessEntries.set(entry, variant);
  }
  return variant;
}

/** Every certificate of a snapshot in its keyless form: the base every stream's certificates start from. */
export function keylessMap(certificates: KindMap): KindMap {
  let map = keylessMaps.get(certificates);
  if (map === undefined) {
    const entries = [...certificates.values()];
    map = entries.some(hasKey) ? new Map(entries.map((e) => [e.name, keyless(e)])) : certificates;
    keylessMaps.set(certificates, map);
  }
  return map;
}

/** The Route naming only `listeners` (a non-empty subset of its own, in its order). */
export function routeWithListeners(entry: EncodedResource, listeners: readonly string[]): EncodedResource {
  let variants = routeVariants.get(entry);
  if (variants === undefined) routeVariants.set(entry, (variants = new Map()));
  const key = listeners.join('\n');
  let variant = variants.get(key);
  if (variant === undefined) {
    variant = encodeResource({ kind: 'Route', spec: { ...(entry.resource.spec as Route), listeners: [...listeners] } });
    variants.set(key, variant);
  }
  return variant;
}

/** The certificates clusters present as TLS client certificates: every proxy may need their keys. */
export function clientCertificates(clusters: KindMap): ReadonlySet<string> {
  let names = clientCertificateSets.get(clusters);
  if (names === undefined) {
    const found = new Set<string>();
    for (const e of clusters.values()) {
      const name = (e.resource.spec as Cluster).tls?.clientCertificate ?? '';
      if (name !== '') found.add(name);
    }
    clientCertificateSets.set(clusters, (names = found));
  }
  return names;
}
