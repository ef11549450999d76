// Cross-references between resources: what each resource points at, checked against a whole set.
import type { Listener } from '../../gen/sluice/v1/listener_pb.js';
import { fieldPath, FieldErrors } from './field-error.js';
import { resourcePath, type Kind, type Resource } from './kinds.js';
import type { ResourceView } from './resource-set.js';
import { validationCount } from './validation-count.js';
import { ListenerProtocol } from './enums.js';

export interface Reference {
  readonly kind: Kind;
  readonly name: string;
  /** Field path of the reference inside the referring resource. */
  readonly path: string;
  /** A certificate field the target must have for this use (a CA bundle cannot serve, a chain cannot verify). */
  readonly needs?: 'certChain' | 'caBundle';
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
        f.mirrors.forEach((m, i) => refs.push({ kind: 'Cluster', name: m.cluster, path: `${at}.mirrors[${i}].cluster` }));
      }
      route.listeners.forEach((l, i) => refs.push({ kind: 'Listener', name: l, path: `${base}.listeners[${i}]` }));
      break;
    }
    case 'Listener': {
      const tcp = resource.spec.tcp;
      if (tcp !== undefined && tcp.cluster !== '') refs.push({ kind: 'Cluster', name: tcp.cluster, path: `${base}.tcp.cluster` });
      const tls = resource.spec.tls;
      if (tls !== undefined) {
        tls.certificates.forEach((c, i) => refs.push({ kind: 'Certificate', name: c, path: `${base}.tls.certificates[${i}]`, needs: 'certChain' }));
        if (tls.clientCa !== '') refs.push({ kind: 'Certificate', name: tls.clientCa, path: `${base}.tls.clientCa`, needs: 'caBundle' });
      }
      break;
    }
    case 'Cluster': {
      const tls = resource.spec.tls;
      if (tls?.caCertificate) refs.push({ kind: 'Certificate', name: tls.caCertificate, path: `${base}.tls.caCertificate`, needs: 'caBundle' });
      if (tls?.clientCertificate) refs.push({ kind: 'Certificate', name: tls.clientCertificate, path: `${base}.tls.clientCertificate`, needs: 'certChain' });
      break;
    }
    case 'Endpoints':
      refs.push({ kind: 'Cluster', name: resource.spec.name, path: fieldPath(base, 'name') });
      break;
    case 'Certificate':
    case 'PeerAuthentication':
    case 'AuthorizationPolicy':
    case 'Sidecar':
    case 'Telemetry':
      break;
  }
  return refs;
}

/** Checks that everything `resource` references exists in `set`, and set-wide rules (unique ports). */
export function checkReferences(resource: Resource, set: ResourceView, errors: FieldErrors): void {
  validationCount.references++;
  for (const ref of referencesOf(resource)) {
    const target = set.get(ref.kind, ref.name);
    if (target === undefined) errors.add(ref.path, `unknown ${ref.kind.toLowerCase()} "${ref.name}"`);
    else if (resource.kind === 'Route' && ref.kind === 'Listener' && (target as Listener).protocol === ListenerProtocol.TCP) {
      // A TCP listener pipes bytes to its own cluster: an HTTP route on it would never match anything.
      errors.add(ref.path, `listener "${ref.name}" is a TCP listener; routes serve HTTP and HTTPS listeners`);
    }
    else if (ref.needs !== undefined && ref.kind === 'Certificate' && (target as { [k in 'certChain' | 'caBundle']: string })[ref.needs] === '') {
      errors.add(ref.path, `certificate "${ref.name}" has no ${ref.needs}, which this use needs`);
    }
  }
  if (resource.kind === 'Listener' && resource.spec.port !== 0) {
    const mine = resource.spec;
    for (const other of set.list('Listener')) {
      if (other.name !== mine.name && other.port === mine.port && (other.address === mine.address || other.address === '0.0.0.0' || mine.address === '0.0.0.0')) {
        errors.add(fieldPath(resourcePath('Listener', mine.name), 'port'), `${mine.address}:${mine.port} is already used by listener "${other.name}"`);
      }
    }
  }
}

/** The resources in `set` that reference kind/name: what must be checked again when it changes. */
export function referringResources(kind: Kind, name: string, set: ResourceView): Resource[] {
  const found: Resource[] = [];
  for (const r of set.all()) {
    if (referencesOf(r).some((ref) => ref.kind === kind && ref.name === name)) found.push(r);
  }
  return found;
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
