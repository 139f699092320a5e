/**
 * A counting semaphore: the hot-path concurrency cap of the fetch layer.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/**
 * A counting semaphore with FIFO hand-off and abortable waits. `tryAcquire()`
 * is the allocation-free fast path; `acquire(signal)` waits for a slot.
 *
 * @example Cap concurrent work at 2
 * ```ts
 * import { Semaphore } from "./semaphore.ts";
 *
 * const sem = new Semaphore(2);
 * await sem.acquire();
 * try {
 *   // ... at most two of these run at once
 * } finally {
 *   sem.release();
 * }
 * ```
 */
export class Semaphore {
  #free: number;
  #queue: Waiter[] = [];
  #head = 0;
  #waiting = 0;

  /** Make a semaphore with `max` slots (a positive integer). */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new TrawlError(
        "INVALID_OPTION",
        `Semaphore size must be a positive integer, got ${max}`,
      );
    }
    this.#free = max;
  }

  /** Free slots right now. */
  get available(): number {
    return this.#free;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Take a slot if one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.#free > 0 && this.#waiting === 0) {
      this.#free--;
      return true;
    }
    return false;
  }

  /**
   * Wait for a slot. Rejects with the signal's reason if it aborts first (the
   * slot is then not taken).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, done: false };
      if (signal) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          this.#waiting--;
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#waiting++;
    });
  }

  /** Give a slot back, handing it straight to the oldest waiter if any. */
  release(): void {
    while (this.#head < this.#queue.length) {
      const waiter = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (waiter.done) continue;
      waiter.done = true;
      this.#waiting--;
      if (waiter.onAbort) waiter.signal!.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
      return;
    }
    this.#queue.length = 0;
    this.#head = 0;
    this.#free++;
  }
}
