// The flags of the sidecar injection webhook (--webhook-listen, --webhook-dns-names, --inject-image,
// --inject-control-plane): parsed here, beside the other control-plane flags, into WebhookOptions.
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import type { WebhookOptions } from '../control-plane.js';
import { DEFAULT_INJECT_CONTROL_PLANE, DEFAULT_INJECT_IMAGE } from '../injection/injection-options.js';
import { parseListenAddress } from './listen-address.js';

/** deploy/base's namespace, when the control plane is not told its own (POD_NAMESPACE). */
const DEFAULT_NAMESPACE = 'sluice-system';
/** The Service deploy/base puts in front of the webhook port. */
const WEBHOOK_SERVICE = 'sluice-control-plane';

export const WEBHOOK_FLAGS = {
  'webhook-listen': { type: 'string' },
  'webhook-dns-names': { type: 'string' },
  'inject-image': { type: 'string' },
  'inject-control-plane': { type: 'string' },
} as const;

export const WEBHOOK_SYNOPSIS = '[--webhook-listen HOST:PORT [--webhook-dns-names NAME[,NAME...]] [--inject-image IMAGE] [--inject-control-plane HOST:PORT]]';

export const WEBHOOK_USAGE = `  --webhook-listen HOST:PORT  serve the sidecar injection webhook (POST /inject, HTTPS with a certificate
                              from the mesh CA) here; Kubernetes' manifests use 0.0.0.0:15017 (default off)
  --webhook-dns-names NAMES   the DNS names that certificate names, comma-separated (default
                              ${WEBHOOK_SERVICE}.<ns>.svc, .svc.cluster.local, .<ns> and ${WEBHOOK_SERVICE}, with
                              <ns> from POD_NAMESPACE, else ${DEFAULT_NAMESPACE})
  --inject-image IMAGE        the image of the injected sluice-proxy and sluice-init containers (default ${DEFAULT_INJECT_IMAGE})
  --inject-control-plane HOST:PORT  the discovery address injected proxies dial (default ${DEFAULT_INJECT_CONTROL_PLANE})`;

type WebhookFlagValues = Partial<Record<keyof typeof WEBHOOK_FLAGS, string>>;

/** The webhook's options, or undefined without --webhook-listen. */
export function parseWebhookFlags(values: WebhookFlagValues, env: NodeJS.ProcessEnv): WebhookOptions | undefined {
  const listen = values['webhook-listen'];
  if (listen === undefined) {
    const stray = (['webhook-dns-names', 'inject-image', 'inject-control-plane'] as const).find((f) => values[f] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --webhook-listen`);
    return undefined;
  }
  const namespace = env['POD_NAMESPACE'] || DEFAULT_NAMESPACE;
  const dnsNames = values['webhook-dns-names'] === undefined
    ? [`${WEBHOOK_SERVICE}.${namespace}.svc`, `${WEBHOOK_SERVICE}.${namespace}.svc.cluster.local`, `${WEBHOOK_SERVICE}.${namespace}`, WEBHOOK_SERVICE]
    : values['webhook-dns-names'].split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (dnsNames.length === 0) throw new UsageError('--webhook-dns-names needs at least one name');
  const bad = dnsNames.find((n) => !isDnsName(n));
  if (bad !== undefined) throw new UsageError(`--webhook-dns-names: ${JSON.stringify(bad)} is not a DNS name (lowercase labels of letters, digits and dashes, separated by dots)`);
  const image = values['inject-image'] ?? DEFAULT_INJECT_IMAGE;
  if (image.trim() === '' || /\s/.test(image)) throw new UsageError(`--inject-image must be an image reference, got ${JSON.stringify(image)}`);
  const controlPlane = values['inject-control-plane'] ?? DEFAULT_INJECT_CONTROL_PLANE;
  if (!/^[^\s:]+:\d{1,5}$/.test(controlPlane)) throw new UsageError(`--inject-control-plane must be HOST:PORT, got ${JSON.stringify(controlPlane)}`);
  return Object.freeze({
    listen: parseListenAddress(listen, '--webhook-listen'),
    dnsNames: Object.freeze(dnsNames),
    injection: Object.freeze({ image, controlPlane }),
  });
}

/** RFC 1123 host names, lowercase, as Kubernetes names its Services. */
function isDnsName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}
