/**
 * The `size` largest items seen by some key, kept sorted (largest first) in
 * O(size) memory: the report's slowest and largest pages.
 *
 * @module
 */

/** A bounded list of the items with the largest `key`. */
export class TopList<T> {
  #items: T[] = [];
  #size: number;
  #key: (item: T) => number;

  constructor(size: number, key: (item: T) => number) {
    this.#size = size;
    this.#key = key;
  }

  /** Would an item with this key be kept? (Lets callers skip building it.) */
  admits(key: number): boolean {
    return this.#size > 0 &&
      (this.#items.length < this.#size || key > this.#key(this.#items.at(-1)!));
  }

  add(item: T): void {
    const key = this.#key(item);
    if (!this.admits(key)) return;
    let i = this.#items.length;
    while (i > 0 && this.#key(this.#items[i - 1]!) < key) i--;
    this.#items.splice(i, 0, item);
    if (this.#items.length > this.#size) this.#items.pop();
  }

  /** A copy, largest first. */
  list(): T[] {
    return [...this.#items];
  }
}
