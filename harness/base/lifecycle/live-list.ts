/**
 * A set of short-lived things that come and go at a high rate (requests in flight, their promises),
 * as a doubly linked list of small nodes.
 *
 * Why not a `Set`: a long-lived `Set` churned by short-lived members keeps them alive. V8 rebuilds
 * the set's hash table as deleted entries pile up, and the young members the table points to
 * survive the next scavenges and are promoted to the old generation, where only a full GC frees
 * them. Measured on the traffic generator at ~20,000 requests/s: ~30% of every request's
 * allocations were promoted and scavenges took 13% of the CPU; with this list, almost nothing is
 * promoted.
 * @module
 */

/** The handle `add` returns, to remove that member again. */
export interface LiveNode<T> {
  readonly value: T;
  /** @internal */ prev: LiveNode<T> | undefined;
  /** @internal */ next: LiveNode<T> | undefined;
  /** @internal */ linked: boolean;
}

export class LiveList<T> {
  #head: LiveNode<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(value: T): LiveNode<T> {
    const node: LiveNode<T> = { value, prev: undefined, next: this.#head, linked: true };
    if (this.#head) this.#head.prev = node;
    this.#head = node;
    this.#size++;
    return node;
  }

  /** Removes the member; removing one that is already gone does nothing. */
  remove(node: LiveNode<T>): void {
    if (!node.linked) return;
    node.linked = false;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    node.prev = node.next = undefined;
    this.#size--;
  }

  /** Removes every member and returns them, newest first. */
  drain(): T[] {
    const values = this.values();
    for (let node = this.#head; node; ) {
      const next = node.next;
      node.linked = false;
      node.prev = node.next = undefined;
      node = next;
    }
    this.#head = undefined;
    this.#size = 0;
    return values;
  }

  /** The members now, newest first (a copy: the list may change while the caller goes through it). */
  values(): T[] {
    const values: T[] = [];
    for (let node = this.#head; node; node = node.next) values.push(node.value);
    return values;
  }
}
