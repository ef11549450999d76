// The roles of admin API tokens, each including the one before it (Kubernetes' view / edit / admin
// cluster roles): viewer reads, editor also changes resources, admin also manages access itself.

export const API_ROLES = ['viewer', 'editor', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** What a route needs: one of the roles, or `public` for probes that answer without a token. */
export type RouteAccess = ApiRole | 'public';

export function isApiRole(value: string): value is ApiRole {
  return (API_ROLES as readonly string[]).includes(value);
}

/** Whether a token with role `has` may call a route that needs `needs`. */
export function roleAllows(has: ApiRole, needs: ApiRole): boolean {
  return API_ROLES.indexOf(has) >= API_ROLES.indexOf(needs);
}
