// A sidecar's inbound side as resources: the inbound listener forwarding to the local application,
// and, when `mode` is given, a PeerAuthentication selecting service `service` with that mode.
import { INBOUND_LISTENER } from '../../../data-plane/src/cli/sidecar-listener-names.js';

export function sidecarInboundYaml(appPort: number, mode = '', service = 'b'): string {
  return `kind: Listener
name: ${INBOUND_LISTENER}
address: 127.0.0.1
port: 0
---
kind: Cluster
name: app
endpoints: [{address: 127.0.0.1, port: ${appPort}}]
---
kind: Route
name: app
hosts: ["*"]
forward: {cluster: app}
${mode === '' ? '' : `---
kind: PeerAuthentication
name: ${service}-mode
selector: {service: ${service}}
mode: ${mode}
`}`;
}
