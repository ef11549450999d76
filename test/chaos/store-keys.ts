// Every key in etcd, read as an operator would (etcdctl get "" --prefix), with the lease each is
// attached to, and whether a lease is still alive (etcdctl lease timetolive).
import { etcdctl } from '../support/etcdctl.js';

export interface StoredKey {
  readonly key: string;
  readonly value: string;
  /** The lease id in hex as etcdctl writes it; undefined for a key without a lease. */
  readonly lease?: string;
}

export interface StoreListing {
  readonly revision: number;
  readonly keys: readonly StoredKey[];
}

/** etcd's JSON carries 64-bit ids as bare numbers: read them as strings before JSON.parse rounds them. */
function parseWithBigIds(text: string): unknown {
  return JSON.parse(text.replace(/"(lease|cluster_id|member_id|leader|ID)":(\d+)/g, '"$1":"$2"'));
}

export async function listKeys(endpoints: readonly string[]): Promise<StoreListing> {
  const out = parseWithBigIds(await etcdctl(endpoints, 'get', '', '--prefix', '-w', 'json')) as {
    header: { revision: number };
    kvs?: Array<{ key: string; value?: string; lease?: string }>;
  };
  const keys = (out.kvs ?? []).map((kv): StoredKey => ({
    key: Buffer.from(kv.key, 'base64').toString(),
    value: Buffer.from(kv.value ?? '', 'base64').toString(),
    lease: kv.lease === undefined || kv.lease === '0' ? undefined : BigInt(kv.lease).toString(16).padStart(16, '0'),
  }));
  return { revision: Number(out.header.revision), keys };
}

/** The lease's remaining seconds; undefined when it expired (or never existed). */
export async function leaseRemaining(endpoints: readonly string[], leaseHex: string): Promise<number | undefined> {
  const out = await etcdctl(endpoints, 'lease', 'timetolive', leaseHex);
  const m = /remaining\((-?\d+)s\)/.exec(out);
  return m === null || out.includes('already expired') ? undefined : Number(m[1]);
}

/** The store's current revision (from any member's status). */
export async function storeRevision(endpoints: readonly string[]): Promise<number> {
  const out = parseWithBigIds(await etcdctl(endpoints, 'endpoint', 'status', '-w', 'json')) as Array<{ Status: { header: { revision: number } } }>;
  return Math.max(...out.map((s) => Number(s.Status.header.revision)));
}
