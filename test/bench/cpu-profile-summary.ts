// The page's own CPU profile (V8's sampling profiler over the DevTools protocol), summarized as the
// functions with the most self time: where a slow load or a slow frame goes, named by function, file
// and line (the bundle is minified, so the names are short; the line and column find the code).
import type { CDPSession } from 'playwright-core';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export async function startProfile(cdp: CDPSession): Promise<void> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
}

/** Stops the profiler and answers the `top` functions by self time, one per line. */
export async function stopProfile(cdp: CDPSession, top = 15): Promise<string> {
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => `  ${(us / 1000).toFixed(1).padStart(8)} ms  ${name}`).join('\n');
}
