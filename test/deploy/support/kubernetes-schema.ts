// Validates Kubernetes objects against the API's OpenAPI schemas, as compiled into validators by the
// kubernetes-models package, and refuses fields that the schemas do not define, as
// `kubectl apply --validate=strict` and the API server's strict field validation do.
//
// kubernetes-models' validators check types, required fields, enums and formats, but like the
// OpenAPI documents they come from they let unknown fields pass. So each field is also probed: its
// value is swapped for one that no JSON schema type accepts (a function) and the object validated
// again. A field the schema defines then fails at its own path; a field the schema does not define
// passes unnoticed, and is reported as unknown. This reads "defined" from the same validators, so it
// needs no second copy of the schemas.
export interface SchemaError {
  /** JSON pointer into the object, e.g. /spec/template/spec/containers/0/ports/0/containerPort */
  readonly path: string;
  readonly message: string;
}

interface AjvError {
  instancePath: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

type ModelClass = (new (data: unknown) => { validate(): void }) & { apiVersion?: string; kind?: string };
type Validate = (object: unknown) => AjvError[];

const PROBE = (): void => undefined;

const validators = new Map<string, Promise<Validate | string>>();

/**
 * The validator for apiVersion + kind, or a message saying why there is none. kubernetes-models has
 * one module per group version: `kubernetes-models/v1` (core), `kubernetes-models/apps/v1`, ...
 */
function validatorFor(apiVersion: string, kind: string): Promise<Validate | string> {
  const key = `${apiVersion}/${kind}`;
  let found = validators.get(key);
  if (found === undefined) {
    found = (async () => {
      if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return `"${apiVersion}" is not an apiVersion`;
      let module: Record<string, unknown>;
      try {
        module = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
      } catch {
        return `no Kubernetes schema for apiVersion ${apiVersion}`;
      }
      const model = module[kind] as ModelClass | undefined;
      if (typeof model !== 'function' || model.kind !== kind || model.apiVersion !== apiVersion) {
        return `no Kubernetes schema for kind ${kind} in ${apiVersion}`;
      }
      return (object: unknown): AjvError[] => {
        try {
          new model(object).validate();
          return [];
        } catch (err) {
          const errors = (err as { errors?: AjvError[] }).errors;
          return errors ?? [{ instancePath: '', message: (err as Error).message }];
        }
      };
    })();
    validators.set(key, found);
  }
  return found;
}

function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeAjv(e: AjvError): string {
  if (e.keyword === 'required') return `is missing required field "${String(e.params?.['missingProperty'])}"`;
  if (e.keyword === 'enum') return `${e.message ?? 'is not allowed'}: ${JSON.stringify(e.params?.['allowedValues'])}`;
  return e.message ?? 'is invalid';
}

/** The fields under `root` that its schema does not define (see the file comment). */
function unknownFields(validate: Validate, root: Record<string, unknown>): string[] {
  const unknown: string[] = [];
  const visit = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${pointer}/${i}`));
      return;
    }
    if (!isObject(node)) return;
    for (const key of Object.keys(node)) {
      const at = `${pointer}/${pointerSegment(key)}`;
      const value = node[key];
      node[key] = PROBE;
      const errors = validate(root);
      node[key] = value;
      if (errors.some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`))) visit(value, at);
      else unknown.push(at);
    }
  };
  visit(root, '');
  return unknown;
}

/**
 * Every schema error in `object`: type, required, enum and format errors first; when there are none,
 * every field the schema does not define ("unknown field"). Empty when the object is valid.
 */
export async function validateObject(object: unknown): Promise<SchemaError[]> {
  if (!isObject(object)) return [{ path: '', message: 'is not an object' }];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [{ path: '', message: 'needs apiVersion and kind strings' }];
  }
  const validate = await validatorFor(apiVersion, kind);
  if (typeof validate === 'string') return [{ path: '', message: validate }];
  const copy = structuredClone(object);
  const errors = validate(copy);
  if (errors.length > 0) return errors.map((e) => ({ path: e.instancePath, message: describeAjv(e) }));
  return unknownFields(validate, copy).map((path) => ({ path, message: 'unknown field (not in the Kubernetes schema)' }));
}

export function formatSchemaErrors(where: string, errors: readonly SchemaError[]): string {
  return errors.map((e) => `${where} ${e.path === '' ? '(object)' : e.path}: ${e.message}`).join('\n');
}
