// A port a process was told at start to listen on (by a flag or its --config) and cannot bind. It
// ends the process (exit 1): a proxy without its admin port cannot be probed or drained, a sidecar
// without its traffic port serves nobody, and a supervisor restarting it is the right remedy. Both
// planes throw it; `sluice` prints its message, which names the address and the flag.

export class ListenError extends Error {
  /** The system's code (EADDRINUSE, EACCES, EADDRNOTAVAIL), when known. */
  readonly code: string | undefined;

  /**
   * `source`: what asked for the address, as the user wrote it (`--admin-listen`, `listener main of
   * --config proxy.yaml`); `address`: `host:port`; `cause`: the listen error, or its code alone.
   */
  constructor(readonly source: string, readonly address: string, cause: unknown) {
    const code = codeOf(cause);
    super(`cannot listen on ${address} (${source}): ${reasonOf(code, cause)}`, { cause });
    this.name = 'ListenError';
    this.code = code;
  }
}

function codeOf(cause: unknown): string | undefined {
  if (typeof cause === 'string') return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  // gRPC's bind error carries the system's in its text only.
  return /\b(E[A-Z]{4,})\b/.exec(String((cause as Error | undefined)?.message ?? ''))?.[1];
}

function reasonOf(code: string | undefined, cause: unknown): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use (EADDRINUSE): another process listens there; stop it or choose another port';
    case 'EACCES':
      return 'permission denied (EACCES): ports below 1024 need privileges (CAP_NET_BIND_SERVICE)';
    case 'EADDRNOTAVAIL':
      return 'address not available (EADDRNOTAVAIL): no interface of this machine has that address';
    default:
      return code ?? (cause instanceof Error ? cause.message : String(cause));
  }
}
