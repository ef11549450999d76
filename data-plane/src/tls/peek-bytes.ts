// Reads the first bytes of an accepted connection without consuming them: once `enough` says the
// bytes in hand decide (a whole ClientHello, a first byte), they are put back on the paused socket and
// `then` runs; whoever takes the socket next reads them again (node:tls and node:http both do).
import type { Socket } from 'node:net';

/**
 * `timeoutMs` (optional) closes a connection that never sends enough; a client that leaves first is
 * closed too. `then` gets the socket paused, its bytes unshifted.
 */
export function peekBytes(raw: Socket, enough: (data: Buffer) => boolean, then: (data: Buffer) => void, timeoutMs?: number): void {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    const data = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    if (!enough(data)) return;
    stopWaiting();
    raw.pause();
    raw.unshift(data);
    then(data);
  };
  const onGone = (): void => {
    stopWaiting();
    raw.destroy();
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(onGone, timeoutMs).unref();
  const stopWaiting = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    raw.off('data', onData);
    raw.off('end', onGone);
    raw.off('error', onGone);
    raw.off('close', stopWaiting);
  };
  raw.on('data', onData);
  raw.once('end', onGone);
  raw.once('error', onGone);
  // Closed meanwhile (a drain's deadline, the gate's header timeout destroy accepted sockets).
  raw.once('close', stopWaiting);
}
