// A ResourceStore seam for cache tests: delegates to a real store but holds watches back until the
// test releases them, so history can be written and compacted between a list and its watch.
import type { ResourceStore, WatchHandle, WatchHandlers } from '../../control-plane/src/store/store.js';

export class GatedWatchStore implements ResourceStore {
  /** The revision each watch started from, in order. */
  readonly watchesFrom: number[] = [];
  /** Every onEnd reason a watch reported. */
  readonly ends: string[] = [];
  lists = 0;
  private release!: () => void;
  private gate = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly inner: ResourceStore) {}

  /** Lets held and later watches through. */
  releaseWatches(): void {
    this.release();
  }

  async list(): ReturnType<ResourceStore['list']> {
    this.lists++;
    return await this.inner.list();
  }

  get: ResourceStore['get'] = (kind, name) => this.inner.get(kind, name);
  commit: ResourceStore['commit'] = (ops, validatedAt, meta) => this.inner.commit(ops, validatedAt, meta);
  listMeta: ResourceStore['listMeta'] = (prefix) => this.inner.listMeta(prefix);
  revision: ResourceStore['revision'] = () => this.inner.revision();
  close: ResourceStore['close'] = () => this.inner.close();

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    this.watchesFrom.push(fromRevision);
    let inner: WatchHandle | undefined;
    let closed = false;
    void this.gate.then(() => {
      if (closed) return;
      inner = this.inner.watch(fromRevision, {
        onEvents: (events, revision) => handlers.onEvents(events, revision),
        onEnd: (reason, err) => {
          this.ends.push(reason);
          handlers.onEnd(reason, err);
        },
        onInterrupted: (err) => handlers.onInterrupted?.(err),
        onResumed: (revision) => handlers.onResumed?.(revision),
      });
    });
    return {
      close: async () => {
        closed = true;
        await inner?.close();
      },
    };
  }
}
