// Load well above a rate limit, kept modest (the suite shares two cores): on each port a few clients,
// each sending one request at a time on a keep-alive connection with a short pause between them, for
// a set time. Counts the answers by status, and measures the time the load really took, from the
// first request sent to the last answer read, for the bound burst + rate × seconds.
import { Agent, request } from 'node:http';

export interface LoadResult {
  /** 200s by port, in the order the ports were given. */
  readonly admitted: number[];
  readonly refused: number;
  /** Answers neither 200 nor 429, and requests that got no answer. */
  readonly other: number;
  readonly seconds: number;
}

export interface LoadOptions {
  readonly host: string;
  readonly seconds: number;
  readonly clientsPerPort: number;
  /** Pause after each answer, per client. */
  readonly pauseMs: number;
}

export async function driveLoad(ports: readonly number[], options: LoadOptions): Promise<LoadResult> {
  const admitted = ports.map(() => 0);
  let refused = 0;
  let other = 0;
  const agents = ports.map(() => new Agent({ keepAlive: true, maxSockets: options.clientsPerPort }));
  const started = performance.now();
  const endAt = started + options.seconds * 1000;
  let lastAnswerAt = started;
  const client = async (i: number): Promise<void> => {
    while (performance.now() < endAt) {
      const status = await get(ports[i]!, options.host, agents[i]!);
      lastAnswerAt = performance.now();
      if (status === 200) admitted[i]!++;
      else if (status === 429) refused++;
      else other++;
      await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(ports.flatMap((_, i) => Array.from({ length: options.clientsPerPort }, () => client(i))));
  for (const a of agents) a.destroy();
  return { admitted, refused, other, seconds: (lastAnswerAt - started) / 1000 };
}

/** The status of one GET, 0 when nothing answered within 5 s. */
function get(port: number, host: string, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { host }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** The proxy's sluice_proxy_rate_limit_fallbacks_total by reason, from its admin /metrics. */
export async function fallbacks(adminPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^sluice_proxy_rate_limit_fallbacks_total\{reason="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export interface Limit {
  readonly rate: number;
  readonly burst: number;
}

/** The most a limit admits over the load's time: burst + rate × seconds. */
export const bound = (r: LoadResult, limit: Limit): number => limit.burst + limit.rate * r.seconds;

/** The load's counts, for diagnostics and assertion messages. */
export const figures = (r: LoadResult, limit: Limit): string =>
  `admitted ${r.admitted.join(' + ')} = ${sum(r.admitted)} in ${r.seconds.toFixed(2)} s (bound ${bound(r, limit).toFixed(0)}), refused ${r.refused}, other ${r.other}`;
