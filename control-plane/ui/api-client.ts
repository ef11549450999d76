// Calls to the admin API from the signed-in page: the session cookie authenticates (never a token in a
// URL), and an error answer becomes an ApiError carrying the API's code, message and field errors.
import type { FieldError } from './api-types.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly errors: readonly FieldError[]) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: { code?: unknown; message?: unknown; errors?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: the status says enough
  }
  const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]).map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? '') })) : [];
  return new ApiError(res.status, typeof body.code === 'string' ? body.code : `HTTP_${res.status}`, typeof body.message === 'string' ? body.message : `${res.status} ${res.statusText}`, errors);
}

/** Every page reacts to a lost session by showing the sign-in form again. */
let onUnauthenticated: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onUnauthenticated = handler;
}

export async function request<T>(method: string, path: string, body?: { text: string; type: string }): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': body.type }) },
    ...(body === undefined ? {} : { body: body.text }),
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !path.startsWith('/ui/session')) onUnauthenticated();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const getJson = <T>(path: string): Promise<T> => request<T>('GET', path);
export const postJson = <T>(path: string, value: unknown): Promise<T> => request<T>('POST', path, { text: JSON.stringify(value), type: 'application/json' });
