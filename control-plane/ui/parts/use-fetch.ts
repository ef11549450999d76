// Loads one API answer for a page and loads it again when `key` changes (the revision, a filter):
// the page shows the last good answer while the next one loads, and the error if it fails.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from '../api-client.js';

export interface Loaded<T> { readonly data: T | undefined; readonly error: ApiError | Error | undefined; readonly loading: boolean }

export function useFetch<T>(path: string | undefined, key: unknown = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: path !== undefined });
  useEffect(() => {
    if (path === undefined) return undefined;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path).then(
      (data) => current && setState({ data, error: undefined, loading: false }),
      (error: Error) => current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [path, key]);
  return state;
}

export const statusOf = (e: Error | undefined): number | undefined => (e instanceof ApiError ? e.status : undefined);
