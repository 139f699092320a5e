/**
 * Small queue structures for the in-memory frontier store.
 *
 * @module
 */

/** A FIFO over an array with a moving head (amortized O(1) shift). */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Number of items. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Append at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Remove from the front; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/** A binary min-heap ordered by a numeric key. */
export class MinHeap<T> {
  #keys: number[] = [];
  #items: T[] = [];

  /** Number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The smallest key, or `Infinity` when empty. */
  peekKey(): number {
    return this.#keys.length === 0 ? Infinity : this.#keys[0];
  }

  /** Insert `item` with `key`. */
  push(key: number, item: T): void {
    const keys = this.#keys, items = this.#items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      items[i] = items[parent];
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  /** Remove and return the item with the smallest key. */
  pop(): T | undefined {
    const keys = this.#keys, items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const lastKey = keys.pop()!, lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && keys[child + 1] < keys[child]) child++;
        if (keys[child] >= lastKey) break;
        keys[i] = keys[child];
        items[i] = items[child];
        i = child;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }
}
