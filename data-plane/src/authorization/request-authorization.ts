// Authorization as a phase of the proxy's request path: which listeners it guards, the caller and the
// request as the rules see them, and the decision. Built once per snapshot from the
// AuthorizationPolicy resources that select this proxy (docs/security.md, "Where policies apply").
import type { AuthorizationPolicy } from '../../../proto/gen/sluice/v1/authorization_policy_pb.js';
import { INBOUND_LISTENER } from '../cli/sidecar-listener-names.js';
import type { Session } from '../proxy/session.js';
import { Authorizer, type AuthzDecision, type Workload } from './authorizer.js';
import { callerIdentity, connectionOf, type CallerIdentity } from './caller-identity.js';
import type { AuthzRequest } from './compiled-policy.js';
import { normalizePath } from './normalize-path.js';

export class RequestAuthorization {
  private readonly authorizer: Authorizer;
  /** undefined: every listener. */
  private readonly guarded: ReadonlySet<string> | undefined;

  /**
   * As Istio enforces at the destination: a sidecar (a proxy with the `--inbound-listen` listener)
   * guards only that inbound listener, never the outbound one its application calls out through; any
   * other proxy (a gateway, a proxy from --config) guards every listener.
   */
  constructor(policies: Iterable<AuthorizationPolicy>, workload: Workload, listeners: Iterable<string>) {
    this.authorizer = new Authorizer(policies, workload);
    this.guarded = [...listeners].includes(INBOUND_LISTENER) ? new Set([INBOUND_LISTENER]) : undefined;
  }

  /** Whether requests on `listener` are evaluated (some policy applies and the listener is guarded). */
  guards(listener: string): boolean {
    return !this.authorizer.empty && (this.guarded === undefined || this.guarded.has(listener));
  }

  /** The decision for `session`, or undefined when its listener is not guarded. Denying is the caller's job. */
  authorize(session: Session): AuthzDecision | undefined {
    if (!this.guards(session.listener.name)) return undefined;
    return this.authorizer.decide(new SessionRequest(session, callerIdentity(connectionOf(session.req))));
  }
}


class SessionRequest implements AuthzRequest {
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
  readonly host: string;
  readonly path: string;
  readonly method: string;

  constructor(private readonly session: Session, caller: CallerIdentity) {
    this.principal = caller.principal;
    this.namespace = caller.namespace;
    this.host = session.host;
    this.path = normalizePath(session.path);
    this.method = session.method;
  }

  header(name: string): string | undefined {
    const values = this.session.headers.getAll(name);
    return values.length === 0 ? undefined : values.join(',');
  }
}
