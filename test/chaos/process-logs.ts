// What the run's processes logged: pino JSON lines at warn (40) and error (50) or above, counted per
// process with the first distinct messages, and the lines pino could not serialize (it writes
// "[unable to serialize, circular reference is too complex to analyze]" in their place), which hide
// what went wrong from an operator.
export interface ProcessLog {
  readonly name: string;
  readonly warnings: number;
  readonly errors: number;
  readonly unserializable: number;
  /** The first distinct error (else warning) messages, with their count. */
  readonly samples: readonly string[];
}

const UNSERIALIZABLE = '[unable to serialize';

export function summarizeLog(name: string, text: string): ProcessLog {
  let warnings = 0;
  let errors = 0;
  let unserializable = 0;
  const messages = new Map<string, { level: number; n: number }>();
  for (const line of text.split('\n')) {
    if (line.includes(UNSERIALIZABLE)) unserializable++;
    if (!line.startsWith('{')) continue;
    let entry: { level?: unknown; msg?: unknown; err?: { message?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const level = typeof entry.level === 'number' ? entry.level : 0;
    if (level < 40) continue;
    if (level >= 50) errors++;
    else warnings++;
    const detail = typeof entry.err?.message === 'string' ? `: ${entry.err.message.slice(0, 120)}` : '';
    const msg = `${level >= 50 ? 'error' : 'warn'} ${String(entry.msg ?? '')}${detail}`;
    const seen = messages.get(msg) ?? { level, n: 0 };
    seen.n++;
    messages.set(msg, seen);
  }
  const samples = [...messages].sort(([, a], [, b]) => b.level - a.level || b.n - a.n).slice(0, 3).map(([m, { n }]) => `${m} (x${n})`);
  return { name, warnings, errors, unserializable, samples };
}
