// The field error of a Listener that cannot bind, as Envoy NACKs one: the path names the listener,
// the message the address and the system's code. The proxy's CLI reads it back to stop the process
// when the listener was one given at start (start-listeners.ts).
import type { FieldError } from '../../../proto/src/model/field-error.js';
import { formatHostPort } from '../../../proto/src/model/host-port.js';

const PATH = /^listeners\[(.+)\]\.port$/;
const MESSAGE = /^cannot listen on (\S+): (.+?)(?: \(worker \d+\))?$/s;

export function bindFieldError(listener: string, host: string, port: number, err: unknown): FieldError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return { path: `listeners[${listener}].port`, message: `cannot listen on ${formatHostPort(host || '0.0.0.0', port)}: ${code}` };
}

/** The listener, address and code (or reason) of a bind error; workers add ` (worker N)` to the message. */
export function parseBindFieldError(error: FieldError): { listener: string; address: string; code: string } | undefined {
  const path = PATH.exec(error.path);
  const message = MESSAGE.exec(error.message);
  return path === null || message === null ? undefined : { listener: path[1]!, address: message[1]!, code: message[2]! };
}
