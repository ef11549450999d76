// The upstream timeouts of every try in flight, on one timer. A setTimeout a try is a Timeout object,
// a closure and a timer-list insert and removal for each request, and nearly every one is cleared
// long before it fires; here a try links itself into a list kept in deadline order (it is appended:
// tries of one route time out in the order they started) and the one timer is re-armed only when it
// fires, or when a deadline earlier than every other arrives.
import { performance } from 'node:perf_hooks';

/** What the queue holds: a deadline (performance.now() time) and the links it keeps them in. */
export interface Deadline {
  deadlineAt: number;
  prevDeadline: Deadline | undefined;
  nextDeadline: Deadline | undefined;
  /** Whether it is in a queue. */
  queued: boolean;
  /** The deadline passed; it was taken out of the queue first. */
  onDeadline(): void;
}

export class DeadlineQueue {
  private head: Deadline | undefined;
  private tail: Deadline | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now() time); Infinity when none is armed. */
  private armedAt = Infinity;

  /** Queues `item` to fire `ms` from now. */
  add(item: Deadline, ms: number): void {
    if (item.queued) this.remove(item);
    const at = performance.now() + ms;
    item.deadlineAt = at;
    item.queued = true;
    // From the tail: almost always it goes right there.
    let after = this.tail;
    while (after !== undefined && after.deadlineAt > at) after = after.prevDeadline;
    item.prevDeadline = after;
    item.nextDeadline = after === undefined ? this.head : after.nextDeadline;
    if (item.nextDeadline === undefined) this.tail = item;
    else item.nextDeadline.prevDeadline = item;
    if (after === undefined) this.head = item;
    else after.nextDeadline = item;
    if (at < this.armedAt) this.arm(at);
  }

  remove(item: Deadline): void {
    if (!item.queued) return;
    item.queued = false;
    const { prevDeadline: prev, nextDeadline: next } = item;
    if (prev === undefined) this.head = next;
    else prev.nextDeadline = next;
    if (next === undefined) this.tail = prev;
    else next.prevDeadline = prev;
    item.prevDeadline = item.nextDeadline = undefined;
    // The timer stays armed: when it fires with nothing due, it re-arms for the new head (if any).
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    // Whole milliseconds, at least 1: node's timers have that granularity.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - performance.now())));
    // The sockets of the tries in flight keep the process alive, not their timeouts.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = performance.now();
    for (let item = this.head; item !== undefined && item.deadlineAt <= now; item = this.head) {
      this.remove(item);
      item.onDeadline();
    }
    if (this.head !== undefined && this.head.deadlineAt < this.armedAt) this.arm(this.head.deadlineAt);
  };
}
