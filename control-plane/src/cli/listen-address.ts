// Parses listen flags: `127.0.0.1:15080`, `0.0.0.0:15080`, `[::1]:15080`, `:15080` (all interfaces).
import type { ListenAddress } from '../api/api-server.js';
export { formatListenAddress } from '../api/api-server.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';

export function parseListenAddress(value: string, flag: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new UsageError(`${flag} must be HOST:PORT (port 0-65535), got ${JSON.stringify(value)}`);
  const host = match[1] ?? (match[2] === '' ? '0.0.0.0' : match[2]!);
  return Object.freeze({ host, port });
}
