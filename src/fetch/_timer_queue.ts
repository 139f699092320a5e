/**
 * Many timeouts of one fixed duration served by a single timer.
 *
 * Every entry waits the same `ms`, so entries fall due in the order they were
 * added: a FIFO queue, one pending `setTimeout` for its head, O(1) add and
 * cancel. At thousands of requests per second this replaces several Deno
 * timers per request (each a timer op plus its cleanup) with one small object.
 * The timer is cleared as soon as no live entry is left, so nothing is leaked.
 *
 * @module
 */

/** A pending timeout of a {@linkcode TimerQueue}; `cancel` it once not needed. */
export interface Timeout {
  /** Stop this timeout (no effect once it has fired or was cancelled). */
  cancel(): void;
}

class Entry implements Timeout {
  due: number;
  fire: (() => void) | null;
  #queue: TimerQueue;

  constructor(queue: TimerQueue, due: number, fire: () => void) {
    this.#queue = queue;
    this.due = due;
    this.fire = fire;
  }

  cancel(): void {
    if (this.fire === null) return;
    this.fire = null;
    this.#queue.dropLive();
  }
}

/** Timeouts that all last `ms`. */
export class TimerQueue {
  #ms: number;
  #queue: Entry[] = [];
  #head = 0;
  #live = 0;
  #expiring = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onTimer = () => this.#expire();

  /** Timeouts of `ms` milliseconds. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Call `fire` in `ms` milliseconds unless cancelled first. */
  add(fire: () => void): Timeout {
    const entry = new Entry(this, performance.now() + this.#ms, fire);
    this.#queue.push(entry);
    this.#live++;
    if (this.#timer === undefined && !this.#expiring) this.#arm(entry.due);
    return entry;
  }

  /** @internal An entry was cancelled. */
  dropLive(): void {
    if (--this.#live === 0 && !this.#expiring) this.#reset();
  }

  #reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #arm(due: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.ceil(due - performance.now())));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#expiring = true;
    const now = performance.now();
    try {
      // Pop what is due or cancelled; stop at the first live entry still to come.
      while (this.#head < this.#queue.length) {
        const entry = this.#queue[this.#head];
        if (entry.fire !== null && entry.due > now) break;
        this.#queue[this.#head++] = undefined as unknown as Entry;
        const fire = entry.fire;
        if (fire !== null) {
          entry.fire = null;
          this.#live--;
          fire();
        }
      }
    } finally {
      this.#expiring = false;
    }
    if (this.#live === 0) return this.#reset();
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#arm(this.#queue[this.#head].due);
  }
}
