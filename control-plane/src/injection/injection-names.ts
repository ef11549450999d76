// The names sidecar injection reads on a pod and writes into it: labels, annotations, containers,
// volumes and ports. One file, so the handler, the docs and the manifests' selectors agree.

/** Pod label `true` opts a pod in (namespace label `enabled` opts a namespace in); annotation or label `false` opts out. */
export const INJECT_LABEL = 'sluice.io/inject';
export const NAMESPACE_INJECT_VALUE = 'enabled';
/** Set by the injection, naming what it added: a pod that has it is not injected again. */
export const STATUS_ANNOTATION = 'sluice.io/status';
/** Comma-separated ports added to the capture's --exclude-inbound-ports / --exclude-outbound-ports. */
export const EXCLUDE_INBOUND_PORTS_ANNOTATION = 'sluice.io/exclude-inbound-ports';
export const EXCLUDE_OUTBOUND_PORTS_ANNOTATION = 'sluice.io/exclude-outbound-ports';
/** `"false"`: no sluice-init container; the application uses the proxy's ports explicitly. */
export const CAPTURE_ANNOTATION = 'sluice.io/capture';
/** The label deploy/base's NetworkPolicy admits to the discovery port. */
export const PROXY_LABEL = 'sluice.dev/proxy';

export const PROXY_CONTAINER = 'sluice-proxy';
export const CAPTURE_CONTAINER = 'sluice-init';
export const IDENTITY_VOLUME = 'sluice-identity';
export const TRUST_BUNDLE_VOLUME = 'sluice-trust-bundle';
export const STATE_VOLUME = 'sluice-state';
export const TMP_VOLUME = 'sluice-tmp';
export const INJECTED_VOLUMES = [IDENTITY_VOLUME, TRUST_BUNDLE_VOLUME, STATE_VOLUME, TMP_VOLUME] as const;

/** The proxy's ports in the pod, as deploy/examples/sidecar-app runs them by hand. */
export const PROXY_PORTS = Object.freeze({ admin: 15000, outbound: 15001, inbound: 15006 });
/** The proxy's user: the capture lets this user's traffic out unredirected (Istio's 1337). */
export const PROXY_UID = 1337;
/**
 * Inbound ports never redirected to the proxy: its admin port (probes, scrapes) and the control
 * plane's discovery, webhook and API ports (a control plane running in an injected pod).
 */
export const ALWAYS_EXCLUDED_INBOUND_PORTS = [15000, 15010, 15017, 15080] as const;
