// One compiled list of rule values (principals, paths, header values, ...): exact strings in a set,
// prefix and suffix globs in short arrays, `*` as a flag. Built once per snapshot.
import { globParts } from '../../../proto/src/model/validate/policy-pattern.js';

export class ValueMatcher {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly suffixes: string[] = [];
  private any = false;

  /** `lowercase`: compare case-insensitively (hosts); patterns are lowercased here, values by the caller. */
  constructor(patterns: readonly string[], lowercase = false) {
    for (const raw of patterns) {
      const g = globParts(lowercase ? raw.toLowerCase() : raw);
      if (g.kind === 'any') this.any = true;
      else if (g.kind === 'exact') this.exact.add(g.text);
      else if (g.kind === 'prefix') this.prefixes.push(g.text);
      else if (g.kind === 'suffix') this.suffixes.push(g.text);
      // 'invalid' cannot reach here: validation refused it before the snapshot was built.
    }
  }

  /** Whether `value` matches any pattern; undefined (no principal, no header) matches nothing, not even `*`. */
  matches(value: string | undefined): boolean {
    if (value === undefined) return false;
    if (this.any || this.exact.has(value)) return true;
    for (let i = 0; i < this.prefixes.length; i++) if (value.startsWith(this.prefixes[i]!)) return true;
    for (let i = 0; i < this.suffixes.length; i++) if (value.endsWith(this.suffixes[i]!)) return true;
    return false;
  }
}
