// Who opened a discovery stream, from its `authorization: Bearer <token>` metadata: a workload (its
// credential checked by the WorkloadAuthenticator, bound to the identity it is scoped to), or an admin
// API token with the admin role (the single-machine path, where one token serves the API and the
// proxies). Anything else is refused before a resource is sent.
import { status } from '@grpc/grpc-js';
import type { Node } from '../../../proto/gen/sluice/v1/discovery_pb.js';
import type { ApiTokens } from '../api/api-tokens.js';
import { bearerToken } from '../api/bearer-auth.js';
import type { WorkloadAuthenticator, WorkloadCaller } from '../identity/workload-authenticator.js';

export type StreamCredential =
  | { readonly kind: 'admin-token'; readonly name: string }
  | { readonly kind: 'workload'; readonly caller: WorkloadCaller };

/** Why a stream is refused: the gRPC status and the text the proxy logs. */
export interface StreamRefusal {
  readonly kind: 'refused';
  readonly code: status;
  readonly details: string;
}

export async function authenticateStream(
  header: string | undefined,
  tokens: ApiTokens,
  authenticator: WorkloadAuthenticator | undefined,
): Promise<StreamCredential | StreamRefusal> {
  const token = bearerToken(header);
  // Looked up even without a token, so a refusal takes the same time as an acceptance.
  const apiCaller = tokens.lookup(token ?? '');
  if (token === undefined) {
    return refused(status.UNAUTHENTICATED, header === undefined
      ? 'missing authorization: Bearer <token> metadata (the proxy\'s --token-file)'
      : 'the authorization metadata is not "Bearer <token>"');
  }
  if (apiCaller !== undefined) {
    if (apiCaller.role === 'admin') return { kind: 'admin-token', name: apiCaller.name };
    return refused(status.PERMISSION_DENIED, `the admin API token of "${apiCaller.name}" has the ${apiCaller.role} role: `
      + 'a discovery stream needs a workload credential (a bootstrap token), or an admin token on a single machine');
  }
  if (authenticator === undefined) return refused(status.UNAUTHENTICATED, 'the bearer token is not valid');
  let caller: WorkloadCaller | undefined;
  try {
    caller = await authenticator.authenticate(token);
  } catch (err) {
    return refused(status.UNAVAILABLE, `the credential could not be checked: ${(err as Error).message}`);
  }
  if (caller === undefined) return refused(status.UNAUTHENTICATED, 'the bearer token is not valid');
  return { kind: 'workload', caller };
}

/**
 * Why `node` may not use `credential`, or undefined when it may: a workload credential scoped to a
 * service holds for that service's proxies only, so a proxy cannot obtain another service's
 * configuration (and, later, certificates) by naming it in `--service`.
 */
export function nodeBindingProblem(credential: StreamCredential, node: Node): string | undefined {
  if (credential.kind !== 'workload') return undefined;
  const { service, spiffeId } = credential.caller;
  if (service === undefined || node.service === service) return undefined;
  const says = node.service === '' ? 'names no --service' : `says --service "${node.service}"`;
  return `node "${node.id}" ${says}, but its credential is scoped to service "${service}" (${spiffeId})`;
}

function refused(code: status, details: string): StreamRefusal {
  return { kind: 'refused', code, details };
}
