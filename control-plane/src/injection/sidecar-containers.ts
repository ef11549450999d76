// The two containers injection adds, as deploy/examples/sidecar-app writes the proxy by hand: the
// native sidecar running `sluice proxy`, and the `sluice init-capture` init container that redirects
// the pod's traffic through it.
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { InjectionOptions } from './injection-options.js';
import { CAPTURE_CONTAINER, IDENTITY_VOLUME, PROXY_CONTAINER, PROXY_PORTS, PROXY_UID, STATE_VOLUME, TMP_VOLUME, TRUST_BUNDLE_VOLUME } from './injection-names.js';

const IDENTITY_DIR = '/var/run/secrets/sluice/identity';
const TRUST_BUNDLE_DIR = '/var/run/sluice-trust-bundle';
const STATE_DIR = '/var/lib/sluice';
/** The audience deploy's control plane checks (--kubernetes-audience, default sluice). */
const TOKEN_AUDIENCE = 'sluice';

/** The service the proxy serves: the pod's `app.kubernetes.io/name` or `app` label, else its service account. */
export function serviceOf(pod: IPod): string {
  const labels = pod.metadata?.labels ?? {};
  return labels['app.kubernetes.io/name'] ?? labels['app'] ?? pod.spec?.serviceAccountName ?? 'default';
}

/** The application's port: the first port of the first container, when it declares one. */
export function appPortOf(pod: IPod): number | undefined {
  return pod.spec?.containers[0]?.ports?.[0]?.containerPort;
}

const fieldEnv = (name: string, fieldPath: string): NonNullable<IContainer['env']>[number] => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * `sluice proxy` as a native sidecar (an init container with restartPolicy Always, Kubernetes 1.29+):
 * it starts, and passes its startup probe, before the application, and stops after it. It proves
 * its identity with the pod's projected service-account token (spiffe://<td>/ns/<ns>/sa/<sa>).
 */
export function proxyContainer(pod: IPod, options: InjectionOptions): IContainer {
  const appPort = appPortOf(pod);
  const inbound = appPort === undefined ? [] : ['--inbound-listen', `0.0.0.0:${PROXY_PORTS.inbound}`, '--app-port', String(appPort)];
  return {
    name: PROXY_CONTAINER,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    args: [
      'proxy',
      '--control-plane', options.controlPlane,
      '--node-id', '$(POD_NAME).$(POD_NAMESPACE)',
      '--service', serviceOf(pod),
      '--token-file', `${IDENTITY_DIR}/token`,
      '--bootstrap-token-file', `${IDENTITY_DIR}/token`,
      '--control-plane-ca', `${TRUST_BUNDLE_DIR}/ca.pem`,
      '--state-dir', STATE_DIR,
      '--admin-listen', `0.0.0.0:${PROXY_PORTS.admin}`,
      '--workers', '1',
      '--outbound-listen', `127.0.0.1:${PROXY_PORTS.outbound}`,
      ...inbound,
    ],
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      // Self-registration (--service with --app-port): the sidecar registers POD_IP and its inbound port.
      ...(appPort === undefined ? [] : [fieldEnv('POD_IP', 'status.podIP')]),
    ],
    ports: [
      { name: 'sluice-admin', containerPort: PROXY_PORTS.admin },
      ...(appPort === undefined ? [] : [{ name: 'sluice-inbound', containerPort: PROXY_PORTS.inbound }]),
    ],
    startupProbe: { httpGet: { path: '/ready', port: 'sluice-admin' }, periodSeconds: 1, failureThreshold: 120 },
    readinessProbe: { httpGet: { path: '/ready', port: 'sluice-admin' }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/live', port: 'sluice-admin' }, periodSeconds: 10, failureThreshold: 3 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: IDENTITY_VOLUME, mountPath: IDENTITY_DIR, readOnly: true },
      { name: TRUST_BUNDLE_VOLUME, mountPath: TRUST_BUNDLE_DIR, readOnly: true },
      // The last good configuration outlives a container restart; the root file system is read-only.
      { name: STATE_VOLUME, mountPath: STATE_DIR },
      { name: TMP_VOLUME, mountPath: '/tmp' },
    ],
  };
}

/**
 * `sluice init-capture`: redirects the pod's inbound traffic to the proxy's inbound port and its
 * outbound traffic to the outbound port, except the proxy's own (its user) and the excluded ports.
 * It needs NET_ADMIN and NET_RAW as root, once, before every other container starts.
 */
export function captureContainer(options: InjectionOptions, excludeInbound: readonly number[], excludeOutbound: readonly number[]): IContainer {
  return {
    name: CAPTURE_CONTAINER,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'init-capture',
      '--inbound-port', String(PROXY_PORTS.inbound),
      '--outbound-port', String(PROXY_PORTS.outbound),
      '--proxy-uid', String(PROXY_UID),
      '--exclude-inbound-ports', excludeInbound.join(','),
      ...(excludeOutbound.length === 0 ? [] : ['--exclude-outbound-ports', excludeOutbound.join(',')]),
    ],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      // iptables takes its lock under /run: the file system stays writable for this short-lived container.
      readOnlyRootFilesystem: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

/** The proxy's volumes: its token, the mesh's roots, its state and /tmp. */
export function proxyVolumes(): IVolume[] {
  return [
    {
      name: IDENTITY_VOLUME,
      // The kubelet rotates the token in place; the proxy reads it again at each renewal.
      projected: { defaultMode: 0o444, sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: 3600, path: 'token' } }] },
    },
    // The ConfigMap each injected namespace holds (`sluice ctl ca bundle`, docs/kubernetes.md).
    { name: TRUST_BUNDLE_VOLUME, configMap: { name: 'sluice-trust-bundle', items: [{ key: 'ca.pem', path: 'ca.pem' }] } },
    { name: STATE_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
    { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
  ];
}
