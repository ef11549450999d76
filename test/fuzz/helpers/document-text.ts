// Writes generated documents as JSON or YAML text, with the markers a serializer would never produce:
// raw text (numbers out of range, `.nan`, deep nesting), repeated keys, YAML tags, anchors and aliases.

/** Text written as is, where a value goes (`1e400`, `[[[...]]]`, an alias bomb in flow style). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object whose keys may repeat (`{"port": 1, "port": 2}`). */
export class Entries {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

/** A YAML tag on a value (`!!binary`, `!custom`); JSON writes the bare value. */
export class Tagged {
  constructor(readonly tag: string, readonly value: unknown) {}
}

/** A YAML anchor on a value (`&a`); JSON writes the bare value. */
export class Anchored {
  constructor(readonly name: string, readonly value: unknown) {}
}

/** A YAML alias (`*a`); JSON writes `null`. */
export class Alias {
  constructor(readonly name: string) {}
}

function entriesOf(value: object): ReadonlyArray<readonly [string, unknown]> {
  return value instanceof Entries ? value.entries : Object.entries(value);
}

function isComposite(value: unknown): boolean {
  if (value instanceof Tagged || value instanceof Anchored) return isComposite(value.value);
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Entries) return value.entries.length > 0;
  return typeof value === 'object' && value !== null && !(value instanceof Raw) && !(value instanceof Alias) && Object.keys(value).length > 0;
}

function numberText(n: number, yaml: boolean): string {
  if (Number.isNaN(n)) return yaml ? '.nan' : 'NaN';
  if (!Number.isFinite(n)) return (n < 0 ? '-' : '') + (yaml ? '.inf' : 'Infinity');
  return Object.is(n, -0) ? '-0' : String(n);
}

/** JSON text (invalid JSON where the value holds NaN, raw text or repeated keys: that is the point). */
export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Tagged || value instanceof Anchored) return toJsonText(value.value);
  if (value instanceof Alias) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return numberText(value, false);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  return `{${entriesOf(value as object).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
}

/** YAML flow style (one line): JSON-like, but with tags, anchors, aliases and `.nan`. */
export function toYamlFlow(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Tagged) return `${value.tag} ${toYamlFlow(value.value)}`;
  if (value instanceof Anchored) return `&${value.name} ${toYamlFlow(value.value)}`;
  if (value instanceof Alias) return `*${value.name}`;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return numberText(value, true);
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  if (value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(toYamlFlow).join(', ')}]`;
  return `{${entriesOf(value as object).map(([k, v]) => `${JSON.stringify(k)}: ${toYamlFlow(v)}`).join(', ')}}`;
}

/** YAML block style, as people write it; scalars, raw text and empty collections stay inline. */
export function toYamlBlock(value: unknown): string {
  if (!isComposite(value)) return toYamlFlow(value);
  const { props, lines } = block(value, 0);
  return props === '' ? lines.join('\n') : [props, ...lines].join('\n');
}

function keyText(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
}

/** A composite value's tags and anchors (they go on the line that opens it) and its indented lines. */
function block(value: unknown, indent: number): { props: string; lines: string[] } {
  const pad = ' '.repeat(indent);
  let props = '';
  let inner = value;
  while (inner instanceof Tagged || inner instanceof Anchored) {
    props += inner instanceof Tagged ? ` ${inner.tag}` : ` &${inner.name}`;
    inner = inner.value;
  }
  const lines: string[] = [];
  const item = (lead: string, v: unknown): void => {
    if (!isComposite(v)) {
      lines.push(`${lead} ${toYamlFlow(v)}`);
      return;
    }
    const nested = block(v, indent + 2);
    // One at a time: spreading 100,000 lines into push() would overflow the stack.
    lines.push(lead + nested.props);
    for (const l of nested.lines) lines.push(l);
  };
  if (Array.isArray(inner)) for (const v of inner) item(`${pad}-`, v);
  else for (const [k, v] of entriesOf(inner as object)) item(`${pad}${keyText(k)}:`, v);
  return { props: props.trim(), lines };
}
