// Client-side routes under /ui/ with the History API: real links (they open in a new tab and work
// without this script's help, since the server answers every /ui/<page> with index.html), and a click
// on one changes the page without a reload.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import type { ComponentChildren } from 'preact';

export const BASE = '/ui';

export type Route =
  | { readonly page: 'overview' | 'rollouts' | 'proxies' | 'services' | 'apply' }
  | { readonly page: 'proxy'; readonly node: string }
  | { readonly page: 'not-found' };

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(`${BASE}/`) ? pathname.slice(BASE.length + 1) : pathname === BASE ? '' : pathname;
  const [first = '', ...more] = rest.split('/').filter((s) => s !== '');
  if (first === '' || first === 'overview') return more.length === 0 ? { page: 'overview' } : { page: 'not-found' };
  if (first === 'proxies' && more.length === 1) return { page: 'proxy', node: decodeURIComponent(more[0]!) };
  if ((first === 'rollouts' || first === 'proxies' || first === 'services' || first === 'apply') && more.length === 0) return { page: first };
  return { page: 'not-found' };
}

export const proxyPath = (node: string): string => `${BASE}/proxies/${encodeURIComponent(node)}`;

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = (): void => setPath(location.pathname);
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return routeOf(path);
}

/** An ordinary <a href>, whose plain left click navigates inside the app. */
export function Link(props: { href: string; children?: ComponentChildren; current?: boolean; class?: string }) {
  const onClick = (e: MouseEvent): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return html`<a href=${props.href} class=${props.class} aria-current=${props.current === true ? 'page' : undefined} onClick=${onClick}>${props.children}</a>`;
}
