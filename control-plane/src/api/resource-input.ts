// Turns a request body into validated resources, or one 400 that lists every error of every document.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { parseDocuments } from '../../../proto/src/model/documents.js';
import { create } from '@bufbuild/protobuf';
import { checkChangeSet } from '../../../proto/src/model/change-set.js';
import { FieldErrors, type FieldError } from '../../../proto/src/model/field-error.js';
import { parseKind, resourcePath, type Kind, type Resource } from '../../../proto/src/model/kinds.js';
import { checkReferences } from '../../../proto/src/model/references.js';
import type { ResourceView } from '../../../proto/src/model/resource-set.js';
import { REDACTED } from '../../../proto/src/model/resource-json.js';
import { parseResource } from '../../../proto/src/model/validate-resource.js';
import { certificateNotAfter } from '../../../proto/src/model/validate/certificate.js';
import { KIND_SCHEMAS } from '../../../proto/src/model/kind-schemas.js';

/** The stored private key of a certificate, to keep it when a client sends back the redacted form. */
export type StoredKeyLookup = (certificateName: string) => string | undefined;

/** `application/yaml` (and the `x-yaml`, `text/yaml` spellings) is YAML; anything else is JSON. */
export function bodyFormat(contentType: string | undefined): 'json' | 'yaml' {
  return /\byaml\b/i.test(contentType ?? '') ? 'yaml' : 'json';
}

/**
 * Every document of an apply body, validated; throws 400 with every error of every document. When
 * some documents are invalid, the valid ones are also checked for references against `current` plus
 * the whole request, so one answer names every problem (the writer checks references again at commit).
 */
export function parseApplyBody(body: Buffer, contentType: string | undefined, storedKey: StoredKeyLookup, current: ResourceView): Resource[] {
  const docs = parseBody(body, contentType);
  if (docs.length === 0) throw badBody('the body holds no resources', 'holds no resources');
  const parsed: Array<Resource | undefined> = [];
  const errorsOf: FieldError[][] = docs.map(() => []);
  const seen = new Map<string, number>();
  docs.forEach((doc, i) => {
    const result = parseResource(keepStoredKey(doc, storedKey), `documents[${i}]`, undefined, { refuseExpiredAt: new Date() });
    if (!result.ok) {
      errorsOf[i]!.push(...result.errors);
      return;
    }
    const { kind, spec } = result.resource;
    const first = seen.get(`${kind}/${spec.name}`);
    if (first !== undefined) {
      errorsOf[i]!.push({ path: resourcePath(kind, spec.name), message: `appears twice in this request (documents[${first}] and documents[${i}])` });
      return;
    }
    seen.set(`${kind}/${spec.name}`, i);
    parsed[i] = fillOutputOnly(result.resource);
  });
  const resources = parsed.filter((r): r is Resource => r !== undefined);
  if (resources.length === docs.length) return resources;

  // Invalid documents stand in as empty resources, so references to them are not reported as missing.
  const standIns = docs.flatMap((doc, i) => (parsed[i] === undefined ? standIn(doc) : []));
  const { after } = checkChangeSet(current, { puts: [...standIns, ...resources], deletes: [] });
  parsed.forEach((r, i) => {
    if (r === undefined) return;
    const refErrors = new FieldErrors();
    checkReferences(r, after, refErrors);
    errorsOf[i]!.push(...refErrors.list);
  });
  throw invalid(errorsOf.flat(), docs.length);
}

function standIn(doc: unknown): Resource[] {
  if (typeof doc !== 'object' || doc === null) return [];
  const { kind: rawKind, name } = doc as Record<string, unknown>;
  const kind = typeof rawKind === 'string' ? parseKind(rawKind) : undefined;
  if (kind === undefined || typeof name !== 'string' || name === '') return [];
  return [{ kind, spec: create(KIND_SCHEMAS[kind], { name }) } as Resource];
}

/** The one resource of a PUT to /v1/<kind>/<name>; the name may be left out of the body. */
export function parsePutBody(body: Buffer, contentType: string | undefined, kind: Kind, name: string, storedKey: StoredKeyLookup): Resource {
  const docs = parseBody(body, contentType);
  const path = resourcePath(kind, name);
  if (docs.length !== 1) throw badBody(`a PUT body holds exactly one resource, got ${docs.length}`, `must hold exactly one resource, got ${docs.length}`);
  let doc = docs[0];
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const given = (doc as Record<string, unknown>)['name'];
    if (given === undefined) doc = { ...doc, name };
    else if (given !== name) {
      throw invalid([{ path: `${path}.name`, message: `must be "${name}" as in the URL, got ${JSON.stringify(given)}` }], 1);
    }
  }
  const result = parseResource(keepStoredKey(doc, storedKey, kind), path, kind, { refuseExpiredAt: new Date() });
  if (!result.ok) throw invalid(result.errors, 1);
  return fillOutputOnly(result.resource);
}

/** The documents of a JSON or YAML body (`{resources: [...]}`, an array, or YAML documents); 400 when it does not parse. */
export function parseBody(body: Buffer, contentType: string | undefined): unknown[] {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badBody('the request body is empty', 'is empty');
  const format = bodyFormat(contentType);
  const parsed = parseDocuments(text, format);
  if (!parsed.ok) {
    const hint = format === 'json' ? ' (send YAML with Content-Type: application/yaml)' : '';
    throw new ControlPlaneError(ErrorCode.BadRequest, `the body is not valid ${format.toUpperCase()}${hint}`, { errors: parsed.errors });
  }
  return parsed.documents;
}

/**
 * A client that read a certificate back gets `privateKey: "[redacted]"`; sending that form again means
 * "keep the stored key", so that get-then-apply round-trips.
 */
function keepStoredKey(doc: unknown, storedKey: StoredKeyLookup, urlKind?: Kind): unknown {
  if (typeof doc !== 'object' || doc === null) return doc;
  const obj = doc as Record<string, unknown>;
  const kind = typeof obj['kind'] === 'string' ? parseKind(obj['kind']) : urlKind;
  if (obj['privateKey'] !== REDACTED || kind !== 'Certificate') return doc;
  const key = typeof obj['name'] === 'string' ? storedKey(obj['name']) : undefined;
  return key === undefined ? doc : { ...obj, privateKey: key };
}

/** Output-only fields are the control plane's to fill, whatever the client sent. */
function fillOutputOnly(resource: Resource): Resource {
  if (resource.kind === 'Certificate') resource.spec.notAfter = certificateNotAfter(resource.spec);
  return resource;
}

/** 400 about the body as a whole: its one field error points at `body`, as every 400 names a field. */
function badBody(message: string, problem: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.BadRequest, message, { errors: [{ path: 'body', message: problem }] });
}

function invalid(errors: FieldError[], documents: number): ControlPlaneError {
  const what = documents === 1 ? 'the resource is invalid' : `the request is invalid (${documents} documents)`;
  return new ControlPlaneError(ErrorCode.Validation, `${what}: ${errors.length} error${errors.length === 1 ? '' : 's'}`, { errors });
}
