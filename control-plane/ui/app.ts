// The dashboard's shell: the session (sign-in, sign-out), the navigation, the live indicator, and the
// page of the current route. While signed in, the live feed stays open.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, request, whenSignedOut } from './api-client.js';
import type { Session } from './api-types.js';
import { html } from './html.js';
import { closeFeed, ensureFeed } from './live-feed.js';
import { useLive } from './live-state.js';
import { ApplyPage } from './pages/apply.js';
import { OverviewPage } from './pages/overview.js';
import { ProxiesPage } from './pages/proxies.js';
import { ProxyPage } from './pages/proxy.js';
import { RolloutsPage } from './pages/rollouts.js';
import { ServicesPage } from './pages/services.js';
import { SignIn } from './pages/sign-in.js';
import { BASE, Link, type Route, useRoute } from './router.js';

const NAV: ReadonlyArray<{ page: Route['page']; label: string }> = [
  { page: 'overview', label: 'Overview' },
  { page: 'rollouts', label: 'Rollouts' },
  { page: 'proxies', label: 'Proxies' },
  { page: 'services', label: 'Services' },
  { page: 'apply', label: 'Apply' },
];

function LiveIndicator() {
  const { connection } = useLive();
  const text = connection === 'live' ? 'live' : connection === 'connecting' ? 'connecting' : 'reconnecting';
  return html`<span class=${`live live-${connection}`} role="status" aria-live="polite">${text}</span>`;
}

function Page(props: { route: Route; session: Session }) {
  const r = props.route;
  switch (r.page) {
    case 'overview': return html`<${OverviewPage} />`;
    case 'rollouts': return html`<${RolloutsPage} />`;
    case 'proxies': return html`<${ProxiesPage} />`;
    case 'proxy': return html`<${ProxyPage} node=${r.node} />`;
    case 'services': return html`<${ServicesPage} />`;
    case 'apply': return html`<${ApplyPage} session=${props.session} />`;
    default: return html`<h1>Page not found</h1><p><${Link} href=${`${BASE}/overview`}>Go to the overview</${Link}></p>`;
  }
}

function Shell(props: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, focus moves to the new page's content, as a page load would put it.
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [route.page, route.page === 'proxy' ? route.node : '']);
  const active = route.page === 'proxy' ? 'proxies' : route.page;
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">Sluice</span>
      <nav aria-label="Main">
        <ul>
          ${NAV.map((n) => html`<li key=${n.page}><${Link} href=${`${BASE}/${n.page}`} current=${active === n.page}>${n.label}</${Link}></li>`)}
        </ul>
      </nav>
      <${LiveIndicator} />
      <span class="who">${props.session.name} (${props.session.role})</span>
      <button type="button" onClick=${props.onSignOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1" ref=${main}>
      <${Page} route=${route} session=${props.session} />
    </main>`;
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    whenSignedOut(() => setSession(null));
    // The feed opens as soon as the session is known, not after the shell's first paint (when the
    // effect below runs): on a fresh load its reset is what the Proxies page waits for.
    getJson<Session>('/ui/session').then((s) => {
      ensureFeed();
      setSession(s);
    }, () => setSession(null));
  }, []);
  useEffect(() => {
    // Not closed when the session first becomes known: the feed opened with it is kept.
    if (session) ensureFeed();
    else if (session === null) closeFeed();
  }, [session]);
  useEffect(() => closeFeed, []);
  const signOut = async (): Promise<void> => {
    try {
      await request('DELETE', '/ui/session');
    } finally {
      setSession(null);
    }
  };
  if (session === undefined) return html`<p class="loading" role="status">Loading…</p>`;
  if (session === null) return html`<${SignIn} onSignedIn=${setSession} />`;
  return html`<${Shell} session=${session} onSignOut=${signOut} />`;
}
