// Cross-references between resources: what each resource points at, checked against a whole set.
import { ListenerProtocol } from '../../../proto/gen/sluice/v1/listener_pb.js';
import { fieldPath, FieldErrors } from './field-error.js';
import { resourcePath, type Kind, type Resource } from './kinds.js';
import type { ResourceView } from './resource-set.js';

export interface Reference {
  readonly kind: Kind;
  readonly name: string;
  /** Field path of the reference inside the referring resource. */
  readonly path: string;
}

/** Everything `resource` points at, with the path of each pointer. */
export function referencesOf(resource: Resource): Reference[] {
  const refs: Reference[] = [];
  const base = resourcePath(resource.kind, resource.spec.name);
  switch (resource.kind) {
    case 'Route': {
      const route = resource.spec;
      if (route.action.case === 'forward') {
        const f = route.action.value;
        const at = fieldPath(base, 'forward');
        if (f.cluster !== '') refs.push({ kind: 'Cluster', name: f.cluster, path: fieldPath(at, 'cluster') });
        f.weighted.forEach((w, i) => refs.push({ kind: 'Cluster', name: w.cluster, path: `${at}.weighted[${i}].cluster` }));
      }
      route.listeners.forEach((l, i) => refs.push({ kind: 'Listener', name: l, path: `${base}.listeners[${i}]` }));
      break;
    }
    case 'Listener': {
      const tls = resource.spec.tls;
      if (tls !== undefined) {
        tls.certificates.forEach((c, i) => refs.push({ kind: 'Certificate', name: c, path: `${base}.tls.certificates[${i}]` }));
        if (tls.clientCa !== '') refs.push({ kind: 'Certificate', name: tls.clientCa, path: `${base}.tls.clientCa` });
      }
      break;
    }
    case 'Cluster': {
      const tls = resource.spec.tls;
      if (tls?.caCertificate) refs.push({ kind: 'Certificate', name: tls.caCertificate, path: `${base}.tls.caCertificate` });
      if (tls?.clientCertificate) refs.push({ kind: 'Certificate', name: tls.clientCertificate, path: `${base}.tls.clientCertificate` });
      break;
    }
    case 'Endpoints':
      refs.push({ kind: 'Cluster', name: resource.spec.name, path: fieldPath(base, 'name') });
      break;
    case 'Certificate':
      break;
  }
  return refs;
}

/** Checks that everything `resource` references exists in `set`, and set-wide rules (unique ports). */
export function checkReferences(resource: Resource, set: ResourceView, errors: FieldErrors): void {
  for (const ref of referencesOf(resource)) {
    if (!set.has(ref.kind, ref.name)) errors.add(ref.path, `unknown ${ref.kind.toLowerCase()} "${ref.name}"`);
  }
  if (resource.kind === 'Listener' && resource.spec.port !== 0) {
    const mine = resource.spec;
    for (const other of set.list('Listener')) {
      if (other.name !== mine.name && other.port === mine.port && (other.address === mine.address || other.address === '0.0.0.0' || mine.address === '0.0.0.0')) {
        errors.add(fieldPath(resourcePath('Listener', mine.name), 'port'), `${mine.address}:${mine.port} is already used by listener "${other.name}"`);
      }
    }
    const client = mine.tls?.clientCa;
    if (mine.protocol === ListenerProtocol.HTTPS && client) {
      const ca = set.get('Certificate', client);
      if (ca !== undefined && ca.caBundle === '') errors.add(fieldPath(resourcePath('Listener', mine.name), 'tls.clientCa'), `certificate "${client}" has no caBundle`);
    }
  }
}

/** Paths of the references in `set` that point at kind/name: what a delete would break. */
export function referrersOf(kind: Kind, name: string, set: ResourceView): Reference[] {
  const found: Reference[] = [];
  for (const r of set.all()) {
    for (const ref of referencesOf(r)) {
      if (ref.kind === kind && ref.name === name) found.push(ref);
    }
  }
  return found;
}
