// Decodes and validates one resource document: the one entry point both planes use.
import { FieldErrors, type FieldError } from './field-error.js';
import { decodeJson } from './decode-json.js';
import { KIND_INFO, KINDS, parseKind, resourcePath, type AnySpec, type Kind, type Resource } from './kinds.js';
import { validateAuthorizationPolicy } from './validate/authorization-policy.js';
import { validateCertificate } from './validate/certificate.js';
import { validateCluster } from './validate/cluster.js';
import { validateEndpoints } from './validate/endpoints.js';
import { validateListener } from './validate/listener.js';
import { validatePeerAuthentication } from './validate/peer-authentication.js';
import { validateRoute } from './validate/route.js';
import { validateSidecar } from './validate/sidecar.js';
import { validateTelemetry } from './validate/telemetry.js';
import { checkName } from './validate/syntax.js';
import { validationCount } from './validation-count.js';
import { KIND_SCHEMAS } from './kind-schemas.js';

export type ParseResult = { ok: true; resource: Resource } | { ok: false; errors: FieldError[] };

export interface SpecCheckOptions {
  /** Refuse certificates expired by this time (new writes through the API). */
  readonly refuseExpiredAt?: Date;
  /**
   * Accept a Certificate with certChain and no privateKey: what a proxy receives of a certificate
   * whose key the control plane withholds from it (it serves no listener with it). Never for writes.
   */
  readonly keyWithheld?: boolean;
}

/** Envelope keys a document may carry besides the message's own fields. */
const ENVELOPE = ['kind', 'revision'];

/**
 * Turns a document (`{kind, name, ...fields}` in protobuf JSON form) into a validated resource.
 * `where` names the document when it has no usable name yet (`documents[3]`).
 * `expectKind` is the kind from the URL, when there is one.
 */
export function parseResource(doc: unknown, where: string, expectKind?: Kind, options: SpecCheckOptions = {}): ParseResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: where, message: 'must be an object with kind and name' }] };
  }
  const obj = doc as Record<string, unknown>;
  const rawKind = obj['kind'] ?? expectKind;
  const kind = typeof rawKind === 'string' ? parseKind(rawKind) : undefined;
  if (kind === undefined) {
    const got = rawKind === undefined ? 'no kind' : `kind ${JSON.stringify(rawKind)}`;
    return { ok: false, errors: [{ path: `${where}.kind`, message: `must be one of ${KINDS.join(', ')} (got ${got})` }] };
  }
  if (expectKind !== undefined && kind !== expectKind) {
    return { ok: false, errors: [{ path: `${where}.kind`, message: `must be ${expectKind} at this URL, got ${kind}` }] };
  }
  const name = typeof obj['name'] === 'string' ? obj['name'] : '';
  const path = name !== '' ? resourcePath(kind, name) : `${KIND_INFO[kind].plural}(${where})`;
  const decoded = decodeJson<AnySpec>(KIND_SCHEMAS[kind], obj, path, ENVELOPE);
  if (!decoded.ok) return { ok: false, errors: decoded.errors.list };
  const resource = { kind, spec: decoded.message } as Resource;
  const errors = validateSpec(resource, path, options);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, resource };
}

/** Semantic checks of one decoded resource (not its references). */
export function validateSpec(resource: Resource, path = resourcePath(resource.kind, resource.spec.name), options: SpecCheckOptions = {}): FieldError[] {
  validationCount.specs++;
  const errors = new FieldErrors();
  checkName(resource.spec.name, `${path}.name`, errors);
  switch (resource.kind) {
    case 'Route':
      validateRoute(resource.spec, path, errors);
      break;
    case 'Cluster':
      validateCluster(resource.spec, path, errors);
      break;
    case 'Endpoints':
      validateEndpoints(resource.spec, path, errors);
      break;
    case 'Listener':
      validateListener(resource.spec, path, errors);
      break;
    case 'Certificate':
      validateCertificate(resource.spec, path, errors, options.refuseExpiredAt, options.keyWithheld);
      break;
    case 'PeerAuthentication':
      validatePeerAuthentication(resource.spec, path, errors);
      break;
    case 'AuthorizationPolicy':
      validateAuthorizationPolicy(resource.spec, path, errors);
      break;
    case 'Sidecar':
      validateSidecar(resource.spec, path, errors);
      break;
    case 'Telemetry':
      validateTelemetry(resource.spec, path, errors);
      break;
  }
  return errors.list;
}
