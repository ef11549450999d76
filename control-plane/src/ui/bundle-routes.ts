// The dashboard's pages and files: GET /ui/assets/<file> serves that file of the bundle; GET /ui, /ui/
// and every other /ui/<page> without a dot in its last segment serve index.html (the app routes in the
// browser, so a reload or a shared link of /ui/proxies/node-1 opens that page). Public: the page
// itself signs in (never a bare 401 to a browser).
import type { ApiRoute } from '../api/api-route.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { BundleFile, UiBundle } from './ui-bundle.js';

export function bundleRoutes(bundle: UiBundle): ApiRoute[] {
  const answer = (file: BundleFile) => ({
    status: 200,
    body: file.body,
    // Names are not content-hashed: the browser checks back each time, so a rebuilt bundle is seen.
    headers: { 'content-type': file.contentType, 'cache-control': 'no-cache' },
  });
  return [
    {
      method: 'GET',
      path: '/ui/assets/*file',
      role: 'public',
      handler: async (ctx) => answer(await bundle.asset(ctx.params['file']!)),
    },
    {
      method: 'GET',
      path: '/ui/*page',
      role: 'public',
      handler: async (ctx) => {
        const last = ctx.params['page']!.split('/').at(-1)!;
        // A path with a dot names a file, and files live under /ui/assets/: this one does not exist.
        if (last.includes('.')) throw new ControlPlaneError(ErrorCode.NotFound, `no dashboard page ${ctx.url.pathname}`);
        return answer(await bundle.index());
      },
    },
  ];
}
