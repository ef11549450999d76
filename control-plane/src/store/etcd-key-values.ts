// The KeyValueStore on etcd: each call one request (a transaction for the conditional writes), tried on
// member after member within the store's budget (etcd-failover.ts).
import { CompareResult, CompareTarget, Range, type Etcd3, type ICompare } from 'etcd3';
import { toStoreError } from './etcd-errors.js';
import { callWithFailover, type CallBudget } from './etcd-failover.js';
import type { KeyValueStore, StoredValue } from './key-value-store.js';

export class EtcdKeyValues implements KeyValueStore {
  constructor(private readonly client: Etcd3, private readonly budget: CallBudget) {}

  async get(key: string): Promise<StoredValue | undefined> {
    const res = await this.call(`read ${key}`, (deadline) => this.client.kv.range({ key: Buffer.from(key) }, { deadline }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : { value: kv.value.toString(), revision: Number(kv.mod_revision) };
  }

  async createIfAbsent(key: string, value: string): Promise<StoredValue & { readonly created: boolean }> {
    const k = Buffer.from(key);
    // An attempt whose answer was lost may have created the key: its repetition then fails the compare
    // and reads back that same value, which is all the caller needs.
    const res = await this.call(`create ${key}`, (deadline) => this.client.kv.txn({
      compare: [{ key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      failure: [{ request_range: { key: k } }],
    }, { deadline }));
    if (res.succeeded) return { value, revision: Number(res.header.revision), created: true };
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv === undefined) throw toStoreError(new Error(`${key} vanished while it was created`), `create ${key}`);
    return { value: kv.value.toString(), revision: Number(kv.mod_revision), created: false };
  }

  async put(key: string, value: string, ifRevision?: number): Promise<boolean> {
    const k = Buffer.from(key);
    const compare: ICompare[] = ifRevision === undefined ? [] : [ifRevision === 0
      ? { key: k, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }
      : { key: k, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: ifRevision }];
    const res = await this.call(`write ${key}`, (deadline) => this.client.kv.txn({ compare, success: [{ request_put: { key: k, value: Buffer.from(value) } }] }, { deadline }));
    return res.succeeded;
  }

  async delete(key: string): Promise<boolean> {
    const res = await this.call(`delete ${key}`, (deadline) => this.client.kv.deleteRange({ key: Buffer.from(key) }, { deadline }));
    return Number(res.deleted) > 0;
  }

  async list(prefix: string): Promise<Array<{ readonly key: string } & StoredValue>> {
    const range = Range.prefix(prefix);
    const res = await this.call(`read ${prefix}`, (deadline) => this.client.kv.range({ key: range.start, range_end: range.end }, { deadline }));
    return res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) }));
  }

  private async call<T>(action: string, attempt: (deadline: number) => Promise<T>): Promise<T> {
    try {
      return await callWithFailover(action, this.budget, attempt);
    } catch (err) {
      throw toStoreError(err, action);
    }
  }
}
