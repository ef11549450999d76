// An insertion-ordered collection for long-lived sets that change on every request (a listener's idle
// connections). Each member owns its node, made once, so adding and removing allocate nothing. A Set
// would allocate: V8 keeps a Set's entries in a table that it replaces with a fresh copy once
// additions and deletions have filled it, and a Set that has lived long enough to be in the old
// generation gets each copy there too. At tens of thousands of requests a second that was megabytes a
// second of old-generation garbage, and a full garbage collection (a pause of several milliseconds)
// about every second, on a proxy that had been idle long enough for its sets to age.

/** A member's place in one queue; made once per member and reused. */
export class QueueNode<T> {
  prev: QueueNode<T> | undefined = undefined;
  next: QueueNode<T> | undefined = undefined;
  /** Whether the node is in its queue now. */
  linked = false;
  constructor(readonly value: T) {}
}

export class LinkedQueue<T> {
  private head: QueueNode<T> | undefined = undefined;
  private tail: QueueNode<T> | undefined = undefined;
  size = 0;

  /** Appends `node` (the newest); a node already in the queue stays where it is. */
  push(node: QueueNode<T>): void {
    if (node.linked) return;
    node.linked = true;
    node.prev = this.tail;
    node.next = undefined;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Takes `node` out; a node not in the queue is left alone. */
  remove(node: QueueNode<T>): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.prev === undefined) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = node.next = undefined;
    this.size--;
  }

  /** The oldest member, or undefined. */
  first(): T | undefined {
    return this.head?.value;
  }
}
