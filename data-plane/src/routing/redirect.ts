// A route's redirect action: builds the Location from the request and the route's replacements.
import type { Redirect } from '../../../proto/gen/sluice/v1/route_pb.js';
import type { Session } from '../proxy/session.js';
import type { PathMatch } from './path-match.js';

export interface CompiledRedirect {
  readonly status: number;
  location(session: Session): string;
}

export function compileRedirect(r: Redirect, match: PathMatch): CompiledRedirect {
  const status = r.status || 302;
  const matchedPrefix = match.kind === 'prefix' ? match.value : undefined;
  return {
    status,
    location(session: Session): string {
      const scheme = r.scheme || session.scheme;
      let authority: string;
      if (r.host !== '') authority = r.port > 0 ? `${r.host}:${r.port}` : r.host;
      else if (r.port > 0) authority = `${session.host}:${r.port}`;
      else authority = session.authority;
      let path = session.path;
      if (r.path !== '') path = r.path;
      else if (r.pathPrefix !== '' && matchedPrefix !== undefined) path = r.pathPrefix + path.slice(matchedPrefix.length);
      else if (r.pathPrefix !== '') path = r.pathPrefix;
      const query = r.stripQuery || session.query === '' ? '' : `?${session.query}`;
      return `${scheme}://${authority}${path}${query}`;
    },
  };
}
