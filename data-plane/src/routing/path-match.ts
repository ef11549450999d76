// A route's path condition, compiled: what both the matcher (compiled-route.ts) and a redirect's
// prefix rewrite (redirect.ts) read.
export type PathMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly regex: RegExp }
  | { readonly kind: 'any' };
