// Debian's chromium, headless, driven by playwright-core over the DevTools protocol. Chromium is
// started here (not by playwright) through spawnGuarded, so it dies with the test process even when
// the test runner kills that process on a timeout; playwright attaches to it with connectOverCDP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawnGuarded, stopChild } from '../../support/process-guard.js';
import { until } from '../../support/until.js';
import type { ChildProcess } from 'node:child_process';

export const CHROMIUM = process.env['SLUICE_CHROMIUM_BIN'] ?? '/usr/bin/chromium';

export class HeadlessChromium {
  private constructor(private readonly child: ChildProcess, private readonly profile: string, readonly browser: Browser) {}

  static async start(): Promise<HeadlessChromium> {
    const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
    const child = spawnGuarded(CHROMIUM, [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--disable-extensions', '--disable-background-networking', '--disable-component-update', '--mute-audio',
      '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank',
    ]);
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const ws = await until(() => `chromium's DevTools address:\n${err}`, () => {
      if (child.exitCode !== null) throw new Error(`chromium exited (${child.exitCode}):\n${err}`);
      return /DevTools listening on (ws:\/\/\S+)/.exec(err)?.[1];
    }, 30_000);
    const browser = await chromium.connectOverCDP(ws, { timeout: 30_000 });
    return new HeadlessChromium(child, profile, browser);
  }

  async stop(): Promise<void> {
    await this.browser.close().catch(() => {});
    await stopChild(this.child, 3000);
    // Chromium's helper processes may still be writing into the profile for a moment after it exits.
    try {
      rmSync(this.profile, { recursive: true, force: true, maxRetries: 25, retryDelay: 200 });
    } catch (err) {
      console.log(`# chromium's profile ${this.profile} left behind: ${(err as Error).message}`);
    }
  }
}

/** A page that records every console error, page error, failed request and opened dialog. */
export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly problems: string[];
  readonly dialogs: string[];
}

export async function watchedPage(browser: Browser, baseURL: string): Promise<WatchedPage> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()} at ${m.location().url}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { page, context, problems, dialogs };
}
