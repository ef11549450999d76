// Polls until a probe says the awaited thing holds: the one way tests wait for something a real process does.
//
// The contract: the probe answers `undefined` or `false` for "not yet", and anything else for "done";
// until() returns that answer. So a condition is awaited as `until('x', () => a === b)` (resolves to
// `true`) and a value as `until('x', () => list.find(...))` (resolves to what was found). A probe that
// throws (a fetch to a port not open yet) also counts as "not yet", except that a probe which knows
// the wait can never end well (the process it waits for has exited) throws `GiveUp` to fail at once.
// After `timeoutMs` the wait fails with an error that names what was awaited (`what`, or what it
// returns when called then, for a description of the state at that moment) and the probe's last
// error, if any. The probe runs once more after the deadline, so a slow poll does not cost the result.

export type NotYet = undefined | false;

/** Thrown by a probe to end the wait at once with this error: there is nothing left to wait for. */
export class GiveUp extends Error {}

export async function until<T>(
  what: string | (() => string),
  probe: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as Exclude<T, NotYet>;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}${cause}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
