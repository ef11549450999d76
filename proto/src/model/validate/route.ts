// Semantic checks of one Route (its references are checked in references.ts).
import type { HeaderEdits, RequestMirror, Route } from '../../../gen/sluice/v1/route_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { checkHeaderName, checkHostPattern, checkPath, checkRegex, checkToken } from './syntax.js';

const REDIRECT_STATUSES = new Set([0, 301, 302, 303, 307, 308]);
/** Headers the proxy owns: editing them would break framing or the connection. */
const RESERVED_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'upgrade', 'keep-alive', 'te', 'trailer', 'proxy-connection', 'host']);
export const MAX_RETRY_ATTEMPTS = 10;

export function validateRoute(route: Route, path: string, errors: FieldErrors): void {
  route.hosts.forEach((host, i) => checkHostPattern(host, `${fieldPath(path, 'hosts')}[${i}]`, errors));

  const match = route.match;
  if (match !== undefined) {
    const at = fieldPath(path, 'match');
    const p = match.path;
    if (p.case === 'pathExact' || p.case === 'pathPrefix') checkPath(p.value, fieldPath(at, p.case), errors);
    if (p.case === 'pathRegex') checkRegex(p.value, fieldPath(at, 'pathRegex'), errors);
    match.methods.forEach((m, i) => checkToken(m, `${fieldPath(at, 'methods')}[${i}]`, errors, 'method'));
    match.headers.forEach((h, i) => {
      const hp = `${fieldPath(at, 'headers')}[${i}]`;
      checkHeaderName(h.name, fieldPath(hp, 'name'), errors);
      if (h.value.case === 'regex') checkRegex(h.value.value, fieldPath(hp, 'regex'), errors);
    });
    match.query.forEach((q, i) => {
      const qp = `${fieldPath(at, 'query')}[${i}]`;
      if (q.name === '') errors.add(fieldPath(qp, 'name'), 'is required');
      if (q.value.case === 'regex') checkRegex(q.value.value, fieldPath(qp, 'regex'), errors);
    });
  }

  const action = route.action;
  switch (action.case) {
    case undefined:
      errors.add(path, 'one of forward, redirect, respond is required');
      break;
    case 'forward': {
      const at = fieldPath(path, 'forward');
      const { cluster, weighted } = action.value;
      if (cluster === '' && weighted.length === 0) errors.add(at, 'one of cluster, weighted is required');
      if (cluster !== '' && weighted.length > 0) errors.add(at, 'only one of cluster, weighted may be set');
      weighted.forEach((w, i) => {
        if (w.cluster === '') errors.add(`${fieldPath(at, 'weighted')}[${i}].cluster`, 'is required');
      });
      if (weighted.length > 0 && weighted.every((w) => w.weight === 0)) errors.add(fieldPath(at, 'weighted'), 'at least one weight must be above 0');
      checkMirrors(action.value.mirrors, fieldPath(at, 'mirrors'), errors);
      break;
    }
    case 'redirect': {
      const at = fieldPath(path, 'redirect');
      const r = action.value;
      if (!REDIRECT_STATUSES.has(r.status)) errors.add(fieldPath(at, 'status'), `must be 301, 302, 303, 307 or 308, got ${r.status}`);
      if (r.pathPrefix !== '' && r.path !== '') errors.add(at, 'only one of pathPrefix, path may be set');
      if (r.pathPrefix !== '') checkPath(r.pathPrefix, fieldPath(at, 'pathPrefix'), errors);
      if (r.path !== '') checkPath(r.path, fieldPath(at, 'path'), errors);
      if (r.scheme !== '' && r.scheme !== 'http' && r.scheme !== 'https') errors.add(fieldPath(at, 'scheme'), `must be http or https, got "${r.scheme}"`);
      if (r.port > 65535) errors.add(fieldPath(at, 'port'), `must be between 1 and 65535, got ${r.port}`);
      break;
    }
    case 'respond': {
      const status = action.value.status;
      if (status !== 0 && (status < 200 || status > 599)) errors.add(fieldPath(path, 'respond.status'), `must be between 200 and 599, got ${status}`);
      for (const name of Object.keys(action.value.headers)) checkHeaderName(name, fieldPath(path, `respond.headers.${name}`), errors);
      break;
    }
  }

  if (route.rewrite !== undefined) {
    const at = fieldPath(path, 'rewrite');
    if (action.case !== 'forward') errors.add(at, 'applies only to routes that forward');
    if (route.rewrite.pathPrefix !== '') checkPath(route.rewrite.pathPrefix, fieldPath(at, 'pathPrefix'), errors);
    if (route.rewrite.host !== '') checkHostPattern(route.rewrite.host, fieldPath(at, 'host'), errors, false);
  }
  checkHeaderEdits(route.requestHeaders, fieldPath(path, 'requestHeaders'), errors);
  checkHeaderEdits(route.responseHeaders, fieldPath(path, 'responseHeaders'), errors);

  if (route.retry !== undefined && route.retry.attempts > MAX_RETRY_ATTEMPTS) {
    errors.add(fieldPath(path, 'retry.attempts'), `must be at most ${MAX_RETRY_ATTEMPTS}, got ${route.retry.attempts}`);
  }
  route.filters.forEach((f, i) => {
    if (f.name === '') errors.add(`${fieldPath(path, 'filters')}[${i}].name`, 'is required');
  });
}

function checkHeaderEdits(edits: HeaderEdits | undefined, path: string, errors: FieldErrors): void {
  if (edits === undefined) return;
  const check = (name: string, at: string): void => {
    checkHeaderName(name, at, errors);
    if (RESERVED_HEADERS.has(name.toLowerCase())) errors.add(at, `"${name}" is managed by the proxy and cannot be edited`);
  };
  for (const name of Object.keys(edits.set)) check(name, fieldPath(path, `set.${name}`));
  for (const name of Object.keys(edits.add)) check(name, fieldPath(path, `add.${name}`));
  edits.remove.forEach((name, i) => check(name, `${fieldPath(path, 'remove')}[${i}]`));
}

/** Each mirrored request is a second upstream request: a few mirrors per route, never an amplifier. */
export const MAX_MIRRORS_PER_ROUTE = 4;

function checkMirrors(mirrors: readonly RequestMirror[], at: string, errors: FieldErrors): void {
  if (mirrors.length > MAX_MIRRORS_PER_ROUTE) errors.add(at, `at most ${MAX_MIRRORS_PER_ROUTE} mirrors, got ${mirrors.length}`);
  mirrors.forEach((m, i) => {
    if (m.cluster === '') errors.add(`${at}[${i}].cluster`, 'is required');
    const percent = m.percent;
    if (percent !== undefined && !(percent >= 0 && percent <= 100)) errors.add(`${at}[${i}].percent`, `must be between 0 and 100, got ${percent}`);
  });
}
