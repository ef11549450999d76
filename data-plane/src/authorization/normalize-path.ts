// The path authorization rules see: RFC 3986 normalization, as Istio's default (Envoy's
// normalize_path with merge of nothing else), so `/api/%2e%2e/admin/x` or `/api/../admin/x` cannot
// slip past a rule on `/admin/*` that the upstream would then serve.

const UNRESERVED = /%(2[dD]|2[eE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

/**
 * Percent-decodes unreserved characters (RFC 3986 §6.2.2.2: ALPHA, DIGIT, `-._~`, never `%2F`) and
 * removes dot segments (§5.2.4). The request still goes upstream as the client sent it.
 */
export function normalizePath(path: string): string {
  const decoded = path.includes('%') ? path.replace(UNRESERVED, (m) => String.fromCharCode(parseInt(m.slice(1), 16))) : path;
  if (!decoded.includes('.')) return decoded;
  const segments = decoded.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..' && out.length > 1) out.pop();
      // A trailing dot segment leaves the directory: `/a/b/..` → `/a/`.
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}
