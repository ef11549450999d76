// Counts completed TLS handshakes on the HTTPS listeners, by listener and whether the client resumed
// a session (a ticket) or made a full one: a resumption rate that drops to zero says the ticket keys
// differ between workers or were just rotated (docs/tls.md).

export type HandshakeKind = 'resumed' | 'full';

export class TlsHandshakes {
  private readonly counts = new Map<string, Record<HandshakeKind, number>>();

  add(listener: string, kind: HandshakeKind): void {
    let c = this.counts.get(listener);
    if (c === undefined) this.counts.set(listener, (c = { resumed: 0, full: 0 }));
    c[kind]++;
  }

  *values(): Iterable<{ listener: string; session: HandshakeKind; value: number }> {
    for (const [listener, c] of this.counts) {
      yield { listener, session: 'resumed', value: c.resumed };
      yield { listener, session: 'full', value: c.full };
    }
  }
}
