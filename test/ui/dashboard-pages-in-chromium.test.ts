// The dashboard in a real headless chromium against a real control plane with three real proxies:
// every page loads without a console error or CSP violation (a screenshot of each is kept in
// test-results/ui/), the proxies table shows the three proxies, keyboard and accessibility tree reach
// and name what matters, a viewer cannot apply, and a cross-site post with the session cookie is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, VIEWER } from '../support/role-tokens.js';
import { until } from '../support/until.js';
import type { DashboardMesh } from './support/dashboard-mesh.js';
import { dashboardUnderTest, type DashboardUnderTest } from './support/dashboard-under-test.js';
import { openPage, realProblems, screenshot, signIn } from './support/dashboard-page.js';
import { watchedPage, type HeadlessChromium, type WatchedPage } from './support/headless-chromium.js';

let world: DashboardUnderTest;
let mesh: DashboardMesh;
let chromium: HeadlessChromium;
let admin: WatchedPage;

before(async () => {
  world = await dashboardUnderTest([
    { nodeId: 'pages-a', service: 'web', zone: 'z1' },
    { nodeId: 'pages-b', service: 'web', zone: 'z2' },
    { nodeId: 'pages-c', service: 'api', zone: 'z1' },
  ], ADMIN.token);
  ({ mesh, chromium, signedIn: admin } = world);
}, { timeout: 90_000 });

after(async () => {
  await world?.stop();
});

test('every page loads with no console error and no CSP violation', { timeout: 90_000 }, async () => {
  const { page } = admin;
  const csp = (await fetch(`${mesh.api}/ui/overview`)).headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/, 'the page is served under the dashboard CSP');
  await openPage(page, 'Overview');
  await page.getByText('Connected').waitFor();
  await until('the overview counts the three proxies', async () => (await page.locator('.stat', { hasText: 'Connected' }).locator('dd').textContent()) === '3', 15_000);
  await screenshot(page, 'overview');
  await openPage(page, 'Rollouts');
  await page.getByText(/of proxies on it/).waitFor();
  await page.locator('.chart canvas').first().waitFor();
  await screenshot(page, 'rollouts');
  await openPage(page, 'Proxies');
  await page.getByRole('table', { name: 'Proxies' }).waitFor();
  await screenshot(page, 'proxies');
  await page.getByRole('link', { name: 'pages-a', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Proxy pages-a' }).waitFor();
  await page.getByText(/^Revision \d+: \d+ resources\.$/).waitFor();
  await screenshot(page, 'proxy');
  await openPage(page, 'Services');
  await page.getByRole('heading', { level: 2, name: 'Routes' }).waitFor();
  await page.getByRole('table', { name: 'Routes' }).waitFor();
  await screenshot(page, 'services');
  await openPage(page, 'Apply');
  await screenshot(page, 'apply');
  // A reload of a deep link answers the same app (the server serves index.html for every page path).
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Apply' }).waitFor();
  assert.deepEqual(realProblems(admin.problems), []);
});

test('the proxies table shows the three proxies, filters them by label and sorts by column', { timeout: 60_000 }, async () => {
  const { page } = admin;
  await openPage(page, 'Proxies');
  const table = page.getByRole('table', { name: 'Proxies' });
  const nodes = async (): Promise<string[]> => table.locator('tbody tr:not(.spacer) td:first-child').allTextContents();
  await until('three rows', async () => (await nodes()).length === 3, 15_000);
  assert.deepEqual(await nodes(), ['pages-a', 'pages-b', 'pages-c']);
  assert.equal(await page.getByRole('status').filter({ hasText: 'proxies' }).textContent(), '3 of 3 proxies');
  assert.ok((await table.locator('tbody tr:not(.spacer)').allTextContents()).every((row) => row.includes('SYNCED')), 'every proxy synced');
  await page.getByLabel('Service').selectOption('api');
  await until('only the api proxy', async () => JSON.stringify(await nodes()) === '["pages-c"]');
  await page.getByLabel('Service').selectOption('');
  await page.getByLabel('Search').fill('z2');
  await until('only the proxy in zone z2', async () => JSON.stringify(await nodes()) === '["pages-b"]');
  await page.getByLabel('Search').fill('');
  await table.getByRole('button', { name: 'Node' }).click(); // sorted by node already: now descending
  await until('sorted by node, descending', async () => JSON.stringify(await nodes()) === '["pages-c","pages-b","pages-a"]');
  assert.equal(await table.getByRole('columnheader', { name: /Node/ }).getAttribute('aria-sort'), 'descending');
});

test('the keyboard reaches every nav link and the Apply button; the accessibility tree names nav, table and fields', { timeout: 60_000 }, async () => {
  const { page } = admin;
  await page.goto('/ui/proxies');
  await page.getByRole('table', { name: 'Proxies' }).waitFor();
  // Evaluated in the page (a string: this file is compiled without the DOM's types).
  const focusedName = (): Promise<string> => page.evaluate(`(() => {
    const el = document.activeElement;
    return el === null ? '' : (el.tagName + ' ' + (el.getAttribute('aria-label') ?? el.textContent ?? '')).trim();
  })()`);
  const reached: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    reached.push(await focusedName());
  }
  for (const name of ['Overview', 'Rollouts', 'Proxies', 'Services', 'Apply']) assert.ok(reached.includes(`A ${name}`), `${name} reached by Tab: ${reached.join(' | ')}`);
  // Enter on a focused nav link follows it.
  await page.getByRole('link', { name: 'Apply', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Apply' }).waitFor();
  await page.getByLabel(/Resources \(YAML/).fill('kind: Cluster\nname: keyboard\nendpoints: [{address: 127.0.0.1, port: 9}]\n');
  let onApply = false;
  for (let i = 0; i < 8 && !onApply; i++) {
    await page.keyboard.press('Tab');
    onApply = (await focusedName()) === 'BUTTON Apply';
  }
  assert.ok(onApply, 'Tab from the editor reaches the Apply button');

  const cdp = await admin.context.newCDPSession(page);
  await page.goto('/ui/proxies');
  await page.getByRole('table', { name: 'Proxies' }).waitFor();
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: Array<{ role?: { value: string }; name?: { value: string }; ignored?: boolean }> };
  const named = (role: string): string[] => nodes.filter((n) => !n.ignored && n.role?.value === role).map((n) => n.name?.value ?? '');
  assert.ok(named('navigation').includes('Main'), `navigation: ${named('navigation')}`);
  assert.ok(named('table').includes('Proxies'), `table: ${named('table')}`);
  for (const field of ['Search', 'Service', 'Zone', 'Replica', 'State']) {
    assert.ok([...named('searchbox'), ...named('combobox'), ...named('textbox')].includes(field), `field ${field} named in the tree`);
  }
  assert.ok(named('main').length === 1, 'one main landmark');
  await cdp.detach();
});

test('a viewer sees Apply disabled, the API refuses the viewer\'s apply anyway, and sign-out ends the session', { timeout: 60_000 }, async () => {
  const viewer = await watchedPage(chromium.browser, mesh.api);
  try {
    await signIn(viewer.page, VIEWER.token);
    assert.equal(await viewer.page.locator('.who').textContent(), `${VIEWER.name} (viewer)`);
    await openPage(viewer.page, 'Apply');
    await viewer.page.getByLabel(/Resources \(YAML/).fill('kind: Cluster\nname: by-viewer\nendpoints: [{address: 127.0.0.1, port: 9}]\n');
    assert.equal(await viewer.page.getByRole('button', { name: 'Apply', exact: true }).isDisabled(), true);
    await viewer.page.getByText('Applying needs the editor role').waitFor();
    // The check (a dry run) is a read for what it changes, but the API still wants the editor role for it.
    const answer = await viewer.page.evaluate(async () => {
      const res = await fetch('/v1/apply', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'kind: Cluster\nname: by-viewer\nendpoints: [{address: 127.0.0.1, port: 9}]\n' });
      return { status: res.status, body: await res.text() };
    });
    assert.equal(answer.status, 403, answer.body);
    assert.match(answer.body, /SLUICE_FORBIDDEN/);
    const clusters = await mesh.call<{ resources: Array<{ name: string }> }>('GET', '/v1/clusters');
    assert.ok(!clusters.resources.some((c) => c.name === 'by-viewer'));
    assert.deepEqual(realProblems(viewer.problems).filter((p) => !/status of 403/.test(p)), []);
    // Signing out ends the session on the server, not only in the page.
    await viewer.page.getByRole('button', { name: 'Sign out' }).click();
    await viewer.page.getByLabel('API token').waitFor();
    assert.equal(await viewer.page.evaluate(`fetch('/ui/session').then((r) => r.status)`), 401);
  } finally {
    await viewer.context.close();
  }
});

test('a cross-site post with the session cookie is refused; a wrong token shows the API\'s error', { timeout: 60_000 }, async () => {
  const cookie = (await admin.context.cookies()).find((c) => c.name === 'sluice_session');
  assert.ok(cookie !== undefined, 'signed in by cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  const yaml = 'kind: Cluster\nname: cross-site\nendpoints: [{address: 127.0.0.1, port: 9}]\n';
  for (const [origin, type] of [['http://evil.example', 'application/yaml'], [mesh.api, 'text/plain'], [mesh.api, 'application/x-www-form-urlencoded']] as const) {
    const res = await fetch(`${mesh.api}/v1/apply`, { method: 'POST', headers: { cookie: `sluice_session=${cookie.value}`, origin, 'content-type': type }, body: yaml });
    assert.equal(res.status, 403, `origin ${origin}, ${type}: ${res.status} ${await res.text()}`);
  }
  const clusters = await mesh.call<{ resources: Array<{ name: string }> }>('GET', '/v1/clusters');
  assert.ok(!clusters.resources.some((c) => c.name === 'cross-site'));

  const stranger = await watchedPage(chromium.browser, mesh.api);
  try {
    await stranger.page.goto('/ui/overview');
    await stranger.page.getByLabel('API token').fill('not-a-token');
    await stranger.page.getByRole('button', { name: 'Sign in' }).click();
    const alert = await stranger.page.getByRole('alert').textContent();
    assert.match(alert ?? '', /SLUICE_UNAUTHENTICATED/);
    assert.equal(stranger.page.url(), `${mesh.api}/ui/overview`, 'the token never goes into the URL');
  } finally {
    await stranger.context.close();
  }
});
