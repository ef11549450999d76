// One browser test file's world: a control plane, its proxies, one chromium, and a page signed in with
// `token`; stop() takes it all down (the browser first, then the mesh, even if the browser fails).
import { DashboardMesh, type ProxyLabels } from './dashboard-mesh.js';
import { signIn } from './dashboard-page.js';
import { HeadlessChromium, watchedPage, type WatchedPage } from './headless-chromium.js';

export interface DashboardUnderTest {
  readonly mesh: DashboardMesh;
  readonly chromium: HeadlessChromium;
  readonly signedIn: WatchedPage;
  stop(): Promise<void>;
}

export async function dashboardUnderTest(proxies: readonly ProxyLabels[], token: string): Promise<DashboardUnderTest> {
  const [mesh, chromium] = await Promise.all([DashboardMesh.start(), HeadlessChromium.start()]);
  const stop = async (): Promise<void> => {
    try {
      await chromium.stop();
    } finally {
      await mesh.stop();
    }
  };
  try {
    await Promise.all(proxies.map((p) => mesh.startProxy(p)));
    const signedIn = await watchedPage(chromium.browser, mesh.api);
    await signIn(signedIn.page, token);
    return { mesh, chromium, signedIn, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
