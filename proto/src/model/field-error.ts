// A validation problem at a field path, e.g. `routes[checkout].forward.weighted[1].cluster`.

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** Collects every error of one resource instead of stopping at the first. */
export class FieldErrors {
  readonly list: FieldError[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** Joins a path and a field name (`a` + `b` → `a.b`). */
export function fieldPath(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
