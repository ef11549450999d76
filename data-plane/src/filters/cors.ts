// Built-in filter `cors`: answers preflight requests itself and adds Access-Control-* headers to
// responses for allowed origins (the Fetch standard's CORS protocol).
// config: { allowOrigins: ["https://a.example", "*"], allowMethods: [...], allowHeaders: [...],
//           exposeHeaders: [...], maxAgeSeconds: 600, allowCredentials: false }
import type { JsonObject } from '@bufbuild/protobuf';
import type { HttpFilter } from '../proxy/proxy-http.js';
import { bool, num, strList } from './filter-config.js';

export function cors(config: JsonObject): HttpFilter {
  const origins = new Set(strList(config, 'allowOrigins', ['*']));
  const anyOrigin = origins.has('*');
  const methods = strList(config, 'allowMethods', ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).join(', ');
  const allowHeaders = strList(config, 'allowHeaders', []).join(', ');
  const expose = strList(config, 'exposeHeaders', []).join(', ');
  const maxAge = String(num(config, 'maxAgeSeconds', 600));
  const credentials = bool(config, 'allowCredentials', false);
  const allowed = (origin: string | undefined): origin is string => origin !== undefined && (anyOrigin || origins.has(origin));
  /** With credentials the origin must be echoed, never `*` (Fetch standard). */
  const allowOriginValue = (origin: string): string => (anyOrigin && !credentials ? '*' : origin);
  return {
    name: 'cors',
    requestFilter(session) {
      if (session.method !== 'OPTIONS') return false;
      const origin = session.headers.get('origin');
      const requested = session.headers.get('access-control-request-method');
      if (requested === undefined || !allowed(origin)) return false;
      const headers = ['access-control-allow-origin', allowOriginValue(origin), 'access-control-allow-methods', methods, 'access-control-max-age', maxAge, 'vary', 'origin'];
      const reqHeaders = allowHeaders !== '' ? allowHeaders : session.headers.get('access-control-request-headers');
      if (reqHeaders !== undefined && reqHeaders !== '') headers.push('access-control-allow-headers', reqHeaders);
      if (credentials) headers.push('access-control-allow-credentials', 'true');
      session.respond(204, '', headers);
      return true;
    },
    responseFilter(session, response) {
      const origin = session.headers.get('origin');
      if (!allowed(origin)) return;
      response.headers.set('access-control-allow-origin', allowOriginValue(origin));
      response.headers.append('vary', 'origin');
      if (credentials) response.headers.set('access-control-allow-credentials', 'true');
      if (expose !== '') response.headers.set('access-control-expose-headers', expose);
    },
  };
}
