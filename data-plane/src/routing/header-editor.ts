// A route's header edits (set, add, remove) compiled once per snapshot into one pass over a header list.
import type { HeaderList } from '../protocols/header-list.js';

/** The shape of a Route's HeaderEdits, also accepted from a filter's plain JSON config. */
export interface HeaderEditsSpec {
  readonly set?: Readonly<Record<string, string>>;
  readonly add?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export class HeaderEditor {
  /** Names whose existing values go: every removed name and every set one. */
  private readonly drop: ReadonlySet<string>;
  /** Flat [name, value, ...] appended after the drop: the set values, then the added ones. */
  private readonly append: readonly string[];

  private constructor(drop: Set<string>, append: string[]) {
    this.drop = drop;
    this.append = append;
  }

  /** undefined when there is nothing to edit, so routes without edits cost nothing per request. */
  static compile(edits: HeaderEditsSpec | undefined): HeaderEditor | undefined {
    if (edits === undefined) return undefined;
    const drop = new Set<string>();
    const append: string[] = [];
    for (const name of edits.remove ?? []) drop.add(name.toLowerCase());
    for (const [name, value] of Object.entries(edits.set ?? {})) {
      drop.add(name.toLowerCase());
      append.push(name.toLowerCase(), value);
    }
    for (const [name, value] of Object.entries(edits.add ?? {})) append.push(name.toLowerCase(), value);
    if (drop.size === 0 && append.length === 0) return undefined;
    return new HeaderEditor(drop, append);
  }

  apply(headers: HeaderList): void {
    const raw = headers.raw;
    if (this.drop.size > 0) {
      let w = 0;
      for (let r = 0; r < raw.length; r += 2) {
        if (this.drop.has(raw[r]!)) continue;
        raw[w++] = raw[r]!;
        raw[w++] = raw[r + 1]!;
      }
      raw.length = w;
    }
    for (let i = 0; i < this.append.length; i++) raw.push(this.append[i]!);
  }
}
