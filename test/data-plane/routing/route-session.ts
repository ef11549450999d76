// A Session as route matching reads it (host, path, query, method, headers), without a request
// behind it: for tests of the route matcher.
import { HeaderList } from '../../../data-plane/src/protocols/header-list.js';
import { Session } from '../../../data-plane/src/proxy/session.js';

export function session(host: string, target: string, method = 'GET', headers: string[] = []): Session {
  const q = target.indexOf('?');
  return Object.assign(Object.create(Session.prototype) as Session, {
    host,
    authority: host,
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers: new HeaderList(headers),
    requestId: 'r',
    forwardedFor: undefined,
  });
}
