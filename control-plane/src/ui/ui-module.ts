// The dashboard as a part of the control plane: its pages and files (bundle-routes.ts), sign-in
// (session-routes.ts) and the sessions the API server also accepts (session-auth.ts), and the live
// feed (GET /ui/events). Its sources are functions: discovery and traffic may be absent, and the feed
// then reports no proxies and no traffic.
import type { ApiRoute } from '../api/api-route.js';
import type { ProxyStatus } from '../discovery/proxy-status.js';
import type { ControlPlaneDeps, ControlPlaneModule } from '../module.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { bundleRoutes } from './bundle-routes.js';
import { EndpointCounter } from './endpoint-counts.js';
import { eventsRoute } from './events-route.js';
import type { TrafficBody } from './feed-sources.js';
import { LiveFeed, type LiveFeedOptions } from './live-feed.js';
import { SessionAuth } from './session-auth.js';
import { sessionRoutes } from './session-routes.js';
import { UiBundle } from './ui-bundle.js';
import { UiSessions, type UiSessionsOptions } from './ui-sessions.js';

export interface UiOptions {
  /** The built dashboard's directory. Default dist/ui/ of the compiled tree (ui-bundle.ts). */
  readonly bundleDir?: string;
  readonly sessions?: UiSessionsOptions;
  readonly feed?: Omit<LiveFeedOptions, 'metrics'>;
  /**
   * The fleet's traffic, the body of GET /v1/traffic, or null; the overview's `traffic` is its `mesh`.
   * Default: none (null).
   */
  readonly traffic?: () => TrafficBody | null;
  /** Endpoints ejected by the proxies' outlier detection, when something reports them. Default 0. */
  readonly ejectedEndpoints?: () => number;
}

/** What the dashboard reads of the rest of the control plane, each looked up when needed. */
export interface UiFleetSources {
  /** Every proxy of the fleet; undefined without discovery. */
  readonly proxies: () => readonly ProxyStatus[] | undefined;
  /** The snapshot proxies receive; undefined without discovery. */
  readonly snapshot: () => Snapshot | undefined;
}

export class UiModule implements ControlPlaneModule {
  readonly sessions: UiSessions;
  /** For the API server: requests signed in by the session cookie. */
  readonly auth: SessionAuth;
  readonly feed: LiveFeed;
  readonly bundle: UiBundle;
  readonly routes: readonly ApiRoute[];

  /** `secure`: the admin API serves HTTPS (the cookie is then Secure). */
  constructor(deps: ControlPlaneDeps, fleet: UiFleetSources, secure: boolean, options: UiOptions = {}) {
    this.sessions = new UiSessions(options.sessions);
    this.auth = new SessionAuth(this.sessions, secure);
    this.bundle = new UiBundle(options.bundleDir);
    const endpoints = new EndpointCounter(options.ejectedEndpoints);
    this.feed = new LiveFeed({
      revision: () => deps.cache.revision,
      proxies: () => fleet.proxies() ?? [],
      endpoints: () => endpoints.counts(fleet.snapshot()),
      traffic: options.traffic ?? (() => null),
    }, { ...options.feed, metrics: deps.metrics });
    this.routes = [...sessionRoutes(deps.apiTokens, this.sessions, secure), eventsRoute(this.feed), ...bundleRoutes(this.bundle)];
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.feed.close();
  }
}
