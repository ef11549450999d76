// The body of POST /v1/delete (`sluice ctl delete -f`): the same documents as an apply, of which only
// kind and name count, so a file that no longer validates can still be deleted. Every problem of every
// document is reported in one 400.
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { KINDS, parseKind, resourcePath, type Kind } from '../../../proto/src/model/kinds.js';
import { parseBody } from './resource-input.js';

export interface DeleteTarget {
  readonly kind: Kind;
  readonly name: string;
}

export function parseDeleteBody(body: Buffer, contentType: string | undefined): DeleteTarget[] {
  const docs = parseBody(body, contentType);
  if (docs.length === 0) throw new ControlPlaneError(ErrorCode.BadRequest, 'the body holds no resources', { errors: [{ path: 'body', message: 'holds no resources' }] });
  const errors: FieldError[] = [];
  const targets: DeleteTarget[] = [];
  const seen = new Map<string, number>();
  docs.forEach((doc, i) => {
    const path = `documents[${i}]`;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      errors.push({ path, message: 'must be an object with kind and name' });
      return;
    }
    const { kind: rawKind, name } = doc as Record<string, unknown>;
    const kind = typeof rawKind === 'string' ? parseKind(rawKind) : undefined;
    if (kind === undefined) {
      errors.push({ path: `${path}.kind`, message: `must be one of ${KINDS.join(', ')}, got ${JSON.stringify(rawKind ?? null)}` });
    }
    if (typeof name !== 'string' || name === '') errors.push({ path: `${path}.name`, message: 'is required' });
    if (kind === undefined || typeof name !== 'string' || name === '') return;
    const first = seen.get(`${kind}/${name}`);
    if (first !== undefined) {
      errors.push({ path: resourcePath(kind, name), message: `appears twice in this request (documents[${first}] and documents[${i}])` });
      return;
    }
    seen.set(`${kind}/${name}`, i);
    targets.push({ kind, name });
  });
  if (errors.length > 0) {
    throw new ControlPlaneError(ErrorCode.Validation, `the request is invalid (${docs.length} documents): ${errors.length} error${errors.length === 1 ? '' : 's'}`, { errors });
  }
  return targets;
}
