// The iptables rules of transparent capture (`sluice init-capture`), as Istio's istio-iptables sets
// them up: in the nat table, TCP the pod receives is redirected to the sidecar's inbound listener and
// TCP the pod sends to its outbound listener, except what the proxy itself sends (its user), what goes
// to loopback, and the ports and networks left out. Chains are named SLUICE_* so that removing them
// touches nothing else; the jumps from PREROUTING and OUTPUT are the only rules outside them.

export interface CapturePlan {
  /** The sidecar's inbound listener: where inbound TCP goes (`--inbound-listen`'s port). */
  readonly inboundPort: number;
  /** The sidecar's outbound listener: where outbound TCP goes (`--outbound-listen`'s port). */
  readonly outboundPort: number;
  /** The user the proxy runs as: its own connections are never captured (they would loop back). */
  readonly proxyUid: number;
  /** Also left alone: connections of processes of this group (for proxies run by group). */
  readonly proxyGid: number | undefined;
  /** Inbound ports reached directly (the proxy's admin, health probes of the kubelet...). */
  readonly excludeInboundPorts: readonly number[];
  /** Destination ports never captured outbound. */
  readonly excludeOutboundPorts: readonly number[];
  /** Destination networks never captured outbound (CIDR, IPv4). */
  readonly excludeOutboundCidrs: readonly string[];
  /** Outbound destination port → the proxy's local listener port for it (plain TCP services). */
  readonly outboundPortMap: ReadonlyMap<number, number>;
  /** Capture inbound TCP at all (false: outbound only, for a sidecar with no inbound listener). */
  readonly captureInbound: boolean;
}

export const CAPTURE_CHAINS = ['SLUICE_INBOUND', 'SLUICE_IN_REDIRECT', 'SLUICE_OUTPUT', 'SLUICE_REDIRECT'] as const;

/** The jumps into the chains from the built-in ones, as `iptables -t nat` arguments after -A/-D. */
export const CAPTURE_JUMPS: ReadonlyArray<readonly string[]> = [
  ['PREROUTING', '-p', 'tcp', '-j', 'SLUICE_INBOUND'],
  ['OUTPUT', '-p', 'tcp', '-j', 'SLUICE_OUTPUT'],
];

/** The rules as `iptables-restore --noflush` input: declaring a chain empties it, so a second run replaces the first. */
export function captureRules(plan: CapturePlan): string {
  const lines = ['*nat', ...CAPTURE_CHAINS.map((c) => `:${c} - [0:0]`)];
  lines.push(`-A SLUICE_IN_REDIRECT -p tcp -j REDIRECT --to-ports ${plan.inboundPort}`);
  lines.push(`-A SLUICE_REDIRECT -p tcp -j REDIRECT --to-ports ${plan.outboundPort}`);

  if (plan.captureInbound) {
    // Already addressed to the inbound listener (a sidecar calling this one): leave it as it is.
    lines.push(`-A SLUICE_INBOUND -p tcp --dport ${plan.inboundPort} -j RETURN`);
    for (const port of plan.excludeInboundPorts) lines.push(`-A SLUICE_INBOUND -p tcp --dport ${port} -j RETURN`);
    lines.push('-A SLUICE_INBOUND -p tcp -j SLUICE_IN_REDIRECT');
  }

  // The proxy's own connections go where they were sent: to the endpoint it picked.
  lines.push(`-A SLUICE_OUTPUT -m owner --uid-owner ${plan.proxyUid} -j RETURN`);
  if (plan.proxyGid !== undefined) lines.push(`-A SLUICE_OUTPUT -m owner --gid-owner ${plan.proxyGid} -j RETURN`);
  // Loopback: the application calling its own sidecar (127.0.0.1:15001) or a local process.
  lines.push('-A SLUICE_OUTPUT -o lo -j RETURN');
  lines.push('-A SLUICE_OUTPUT -d 127.0.0.1/32 -j RETURN');
  for (const port of plan.excludeOutboundPorts) lines.push(`-A SLUICE_OUTPUT -p tcp --dport ${port} -j RETURN`);
  for (const cidr of plan.excludeOutboundCidrs) lines.push(`-A SLUICE_OUTPUT -d ${cidr} -j RETURN`);
  for (const [port, local] of plan.outboundPortMap) lines.push(`-A SLUICE_OUTPUT -p tcp --dport ${port} -j REDIRECT --to-ports ${local}`);
  lines.push('-A SLUICE_OUTPUT -p tcp -j SLUICE_REDIRECT');

  for (const jump of CAPTURE_JUMPS) lines.push(`-A ${jump.join(' ')}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
