// A ResourceStore seam for tests: delegates to a real store, but can cut the control plane's watch
// off for a while (as a network partition would) and resume it from where it stopped, so a test can
// compact etcd's history underneath a watch deterministically.
import type { ResourceStore, WatchHandle, WatchHandlers, WatchEvent } from '../../../control-plane/src/store/store.js';

interface Tracked {
  lastRevision: number;
  inner: WatchHandle | undefined;
  readonly handlers: WatchHandlers;
  closed: boolean;
}

export class PausableWatchStore implements ResourceStore {
  private readonly watches = new Set<Tracked>();
  private paused = false;

  constructor(private readonly inner: ResourceStore) {}

  list: ResourceStore['list'] = () => this.inner.list();
  get: ResourceStore['get'] = (kind, name) => this.inner.get(kind, name);
  commit: ResourceStore['commit'] = (ops, validatedAt, meta) => this.inner.commit(ops, validatedAt, meta);
  listMeta: ResourceStore['listMeta'] = (prefix) => this.inner.listMeta(prefix);
  revision: ResourceStore['revision'] = () => this.inner.revision();

  watch(fromRevision: number, handlers: WatchHandlers): WatchHandle {
    const t: Tracked = { lastRevision: fromRevision, inner: undefined, handlers, closed: false };
    this.watches.add(t);
    if (!this.paused) this.attach(t);
    return {
      close: async () => {
        t.closed = true;
        this.watches.delete(t);
        await t.inner?.close();
      },
    };
  }

  /** Cuts every watch off: nothing is delivered until resume(). */
  async pause(): Promise<void> {
    this.paused = true;
    for (const t of this.watches) {
      const inner = t.inner;
      t.inner = undefined;
      await inner?.close();
      t.handlers.onInterrupted?.(new Error('test partition'));
    }
  }

  /** Re-attaches every watch from the last revision it delivered, as a reconnecting watch does. */
  resume(): void {
    this.paused = false;
    for (const t of this.watches) this.attach(t);
  }

  close: ResourceStore['close'] = () => this.inner.close();

  private attach(t: Tracked): void {
    t.inner = this.inner.watch(t.lastRevision, {
      onEvents: (events: WatchEvent[], revision: number) => {
        if (t.closed) return;
        t.lastRevision = revision;
        t.handlers.onEvents(events, revision);
      },
      onEnd: (reason, err) => {
        if (!t.closed) t.handlers.onEnd(reason, err);
      },
      onInterrupted: (err) => t.handlers.onInterrupted?.(err),
      onResumed: (revision) => t.handlers.onResumed?.(revision),
    });
  }
}
