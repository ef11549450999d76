// A client that connects and sends nothing: how long the server keeps it before closing it.
import { connect } from 'node:net';

/** Connects to 127.0.0.1:`port`, sends nothing, and resolves with the ms until the server closed it. */
export function silentClientLifetimeMs(port: number): Promise<number> {
  const started = Date.now();
  const silent = connect(port, '127.0.0.1');
  return new Promise<number>((resolve, reject) => {
    silent.on('close', () => resolve(Date.now() - started));
    silent.on('error', reject);
    silent.resume();
  });
}
