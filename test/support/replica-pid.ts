// A control-plane replica names itself `<host>-<pid>-<random>` (the id its proxies' status, its
// leader key and its health entries carry). Tests that start replicas as processes know their pids,
// so this is how they tell which keys and which proxies belong to which replica.
import { hostname } from 'node:os';

/** The pid a replica id names, or undefined when it is not `<this host>-<pid>-<random>`. */
export function replicaPid(id: string): number | undefined {
  const prefix = `${hostname()}-`;
  if (!id.startsWith(prefix)) return undefined;
  const m = /^(\d+)-[0-9a-f]+$/.exec(id.slice(prefix.length));
  return m === null ? undefined : Number(m[1]);
}
