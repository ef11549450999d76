// GET /ui/events: the dashboard's live feed as server-sent events (text/event-stream), for any signed-in
// caller (viewer role; session cookie or bearer token).
import type { ApiRoute } from '../api/api-route.js';
import type { LiveFeed } from './live-feed.js';

export function eventsRoute(feed: LiveFeed): ApiRoute {
  return {
    method: 'GET',
    path: '/ui/events',
    role: 'viewer',
    handler: () => {
      const slot = feed.admit();
      return {
        status: 200,
        body: undefined,
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // Reverse proxies (nginx) would otherwise hold the events back in their buffers.
          'x-accel-buffering': 'no',
        },
        stream: (res) => {
          res.flushHeaders();
          slot.attach(res);
        },
      };
    },
  };
}
