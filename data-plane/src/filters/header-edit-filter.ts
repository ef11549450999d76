// Built-in filter `headers`: request and response header edits, the same as a route's
// requestHeaders / responseHeaders, for use in a filter chain (or by a custom proxy).
// config: { request: {set, add, remove}, response: {set, add, remove} }
import type { JsonObject } from '@bufbuild/protobuf';
import type { HttpFilter } from '../proxy/proxy-http.js';
import { HeaderEditor, type HeaderEditsSpec } from '../routing/header-editor.js';
import { obj } from './filter-config.js';

export function headerEditFilter(config: JsonObject): HttpFilter {
  const request = HeaderEditor.compile(obj(config, 'request') as HeaderEditsSpec | undefined);
  const response = HeaderEditor.compile(obj(config, 'response') as HeaderEditsSpec | undefined);
  return {
    name: 'headers',
    upstreamRequestFilter: request === undefined ? undefined : (_s, req) => request.apply(req.headers),
    responseFilter: response === undefined ? undefined : (_s, res) => response.apply(res.headers),
  };
}
