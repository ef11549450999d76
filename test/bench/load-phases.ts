// Where a fresh load of a dashboard page spends its time, by the page's own clock: an init script
// (run by the browser before the page's code, outside its CSP) wraps the live feed's EventSource
// listeners to note when the stream opened and when the first `proxies` event arrived and was
// applied; the resource timings give the session check. A MutationObserver notes when each text of
// the proxies count first shows: playwright's own waiting polls every 500 ms after the first few
// tries, so its clock would round a wait up by as much. Read back with `loadPhases(page)`.
import type { Page } from 'playwright-core';

/** Milliseconds since navigation start, and the first `proxies` event's size in characters. */
export interface LoadPhases {
  readonly scriptLoaded: number;
  readonly sessionAnswered: number;
  readonly feedOpen: number;
  readonly proxiesArrived: number;
  readonly proxiesApplied: number;
  readonly proxiesChars: number;
  /** When the count first read `<N> of <N> proxies`. */
  readonly shown: number;
}

const INIT_SCRIPT = `(() => {
  const phases = (window.__sluicePhases = { shown: {} });
  new MutationObserver(() => {
    const text = document.querySelector('p.count')?.textContent;
    if (text && phases.shown[text] === undefined) phases.shown[text] = performance.now();
  }).observe(document, { subtree: true, childList: true, characterData: true });
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, listener, options) {
    if (type !== 'open' && type !== 'proxies') return add.call(this, type, listener, options);
    return add.call(this, type, function (e) {
      const arrived = performance.now();
      listener.call(this, e);
      if (type === 'open') phases.feedOpen ??= arrived;
      else phases.proxiesEvents = (phases.proxiesEvents ?? 0) + 1;
      if (type === 'open') return;
      if (phases.proxiesArrived === undefined) {
        phases.proxiesArrived = arrived;
        phases.proxiesApplied = performance.now();
        phases.proxiesChars = String(e.data).length;
      }
    }, options);
  };
})();`;

export async function recordLoadPhases(page: Page): Promise<void> {
  await page.addInitScript(INIT_SCRIPT);
}

export async function loadPhases(page: Page, count: string): Promise<LoadPhases> {
  return (await page.evaluate(`((count) => {
    const p = window.__sluicePhases ?? { shown: {} };
    const end = (part) => performance.getEntriesByType('resource').find((r) => r.name.includes(part))?.responseEnd ?? NaN;
    return { scriptLoaded: end('/ui/assets/app.js'), sessionAnswered: end('/ui/session'), feedOpen: p.feedOpen ?? NaN,
      proxiesArrived: p.proxiesArrived ?? NaN, proxiesApplied: p.proxiesApplied ?? NaN, proxiesChars: p.proxiesChars ?? 0,
      shown: p.shown[count] ?? NaN };
  })(${JSON.stringify(count)})`)) as LoadPhases;
}

/**
 * Clicks the navigation link `name` from inside the page and answers the milliseconds until the
 * count read `count` (which it must not read before).
 */
export async function clickUntilShown(page: Page, name: string, count: string): Promise<number> {
  await page.evaluate(`((name, count) => {
    const p = window.__sluicePhases;
    delete p.shown[count];
    p.clickedAt = performance.now();
    [...document.querySelectorAll('nav a')].find((a) => a.textContent === name).click();
  })(${JSON.stringify(name)}, ${JSON.stringify(count)})`);
  await page.getByRole('status').filter({ hasText: count }).waitFor({ timeout: 60_000 });
  return Number(await page.evaluate(`window.__sluicePhases.shown[${JSON.stringify(count)}] - window.__sluicePhases.clickedAt`));
}

export function describePhases(p: LoadPhases): string {
  const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} ms` : '-');
  return `script loaded ${ms(p.scriptLoaded)}, session answered ${ms(p.sessionAnswered)}, feed open ${ms(p.feedOpen)}, ` +
    `first proxies event arrived ${ms(p.proxiesArrived)} (${(p.proxiesChars / 1e6).toFixed(2)} MB), applied ${ms(p.proxiesApplied)}, ` +
    `shown ${ms(p.shown)}`;
}

/** How many `proxies` events the page has received so far. */
export async function proxiesEvents(page: Page): Promise<number> {
  return Number(await page.evaluate('window.__sluicePhases.proxiesEvents ?? 0'));
}
