// Steps every dashboard test takes in the browser: sign in through the form, go to a page by its nav
// link, save a screenshot into test-results/ui/, and tell real problems from expected answers.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/repo-root.js';

export const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'ui');

export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/ui/overview');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export async function openPage(page: Page, name: 'Overview' | 'Rollouts' | 'Proxies' | 'Services' | 'Apply'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The console problems that are not the page's fault: before sign-in GET /ui/session answers 401 by
 * contract (the browser logs every 4xx answer as "Failed to load resource"), as does a sign-in with a
 * wrong token. Anything else counts.
 */
export function realProblems(problems: readonly string[]): string[] {
  return problems.filter((p) => !/Failed to load resource: the server responded with a status of 401 .* at http:\/\/[^/]+\/ui\/session$/.test(p));
}
