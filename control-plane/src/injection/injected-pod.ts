// A pod with its sidecar: the capture init container and the proxy placed first among the init
// containers (the capture runs before anything else, the proxy is up before the application's own
// init containers, which may call through it), the proxy's volumes, the label that admits it to the
// discovery port, and the annotation that marks the pod as injected.
import type { IPod } from 'kubernetes-models/v1/Pod';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { InjectionOptions } from './injection-options.js';
import {
  ALWAYS_EXCLUDED_INBOUND_PORTS, CAPTURE_ANNOTATION, EXCLUDE_INBOUND_PORTS_ANNOTATION, EXCLUDE_OUTBOUND_PORTS_ANNOTATION,
  INJECTED_VOLUMES, PROXY_LABEL, STATUS_ANNOTATION,
} from './injection-names.js';
import { captureContainer, proxyContainer, proxyVolumes } from './sidecar-containers.js';

/**
 * `pod` with its sidecar, as a new object (`pod` is not changed). Throws SLUICE_VALIDATION when an
 * annotation is malformed or the pod already has a volume of an injected name.
 */
export function injectSidecar(pod: IPod, options: InjectionOptions): IPod {
  const injected = structuredClone(pod);
  const spec = injected.spec!;
  const annotations = injected.metadata?.annotations ?? {};
  const taken = (spec.volumes ?? []).map((v) => v.name).filter((name) => (INJECTED_VOLUMES as readonly string[]).includes(name));
  if (taken.length > 0) throw refused(`the pod already has volume ${taken.join(', ')}: those names are the injected proxy's (rename yours, or opt out with sluice.io/inject: "false")`);

  const capture = annotations[CAPTURE_ANNOTATION] !== 'false';
  const excludeInbound = [...new Set([...ALWAYS_EXCLUDED_INBOUND_PORTS, ...ports(annotations, EXCLUDE_INBOUND_PORTS_ANNOTATION)])];
  const excludeOutbound = [...new Set(ports(annotations, EXCLUDE_OUTBOUND_PORTS_ANNOTATION))];
  const added = capture
    ? [captureContainer(options, excludeInbound, excludeOutbound), proxyContainer(pod, options)]
    : [proxyContainer(pod, options)];
  spec.initContainers = [...added, ...(spec.initContainers ?? [])];
  const volumes = proxyVolumes();
  spec.volumes = [...(spec.volumes ?? []), ...volumes];

  const status = { initContainers: added.map((c) => c.name), volumes: volumes.map((v) => v.name), image: options.image };
  injected.metadata = {
    ...injected.metadata,
    labels: { ...injected.metadata?.labels, [PROXY_LABEL]: 'true' },
    annotations: { ...annotations, [STATUS_ANNOTATION]: JSON.stringify(status) },
  };
  return injected;
}

/** The ports of a comma-separated annotation (`8080, 9090`); none when it is absent or empty. */
function ports(annotations: Record<string, string>, name: string): number[] {
  const text = annotations[name]?.trim() ?? '';
  if (text === '') return [];
  return text.split(',').map((item) => {
    const port = Number(item.trim());
    if (!/^\d+$/.test(item.trim()) || port < 1 || port > 65535) throw refused(`annotation ${name}: ${JSON.stringify(item.trim())} is not a port (1-65535); write ports separated by commas, e.g. "8080,9090"`);
    return port;
  });
}

function refused(message: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.Validation, message);
}
