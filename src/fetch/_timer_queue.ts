/**
 * Many timeouts of one fixed duration served by a single timer.
 *
 * Every entry waits the same `ms`, so entries fall due in the order they were
 * added: a FIFO queue, one pending `setTimeout` for its head, O(1) add and
 * cancel. At thousands of requests per second this replaces several Deno
 * timers per request (each a timer op plus its cleanup) with one small object.
 * Once no entry is left the timer is not re-armed after it fires; `stop()` clears
 * it at once (call it when done, or the process stays alive until it fires).
 *
 * @module
 */

/** A pending timeout of a {@linkcode TimerQueue}; `cancel` it once not needed. */
export interface Timeout {
  /** Stop this timeout (no effect once it has fired or was cancelled). */
  cancel(): void;
  /** Start the wait over from now, as if just added (no effect once it has fired or was cancelled). */
  restart(): void;
}

/** An object a timeout calls back (saves a closure per timeout on hot paths). */
export interface TimeoutTarget {
  /** The timeout fired. */
  timedOut(): void;
}

class Entry implements Timeout {
  due: number;
  fire: (() => void) | TimeoutTarget | null;
  prev: Entry | null = null;
  next: Entry | null = null;
  #queue: TimerQueue;

  constructor(queue: TimerQueue, due: number, fire: (() => void) | TimeoutTarget) {
    this.#queue = queue;
    this.due = due;
    this.fire = fire;
  }

  cancel(): void {
    if (this.fire === null) return;
    this.fire = null;
    this.#queue.unlink(this);
  }

  restart(): void {
    if (this.fire === null) return;
    this.#queue.requeue(this);
  }
}

/** Timeouts that all last `ms`. */
export class TimerQueue {
  #ms: number;
  // A doubly linked list in due order: a cancelled entry is unlinked at once,
  // so it becomes garbage at once (an array with lazy deletion would keep every
  // cancelled entry of the last `ms` alive, megabytes at 10k requests/s).
  #head: Entry | null = null;
  #tail: Entry | null = null;
  #expiring = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onTimer = () => this.#expire();

  /** Timeouts of `ms` milliseconds. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Call `fire` (or `fire.timedOut()`) in `ms` milliseconds unless cancelled first. */
  add(fire: (() => void) | TimeoutTarget): Timeout {
    const entry = new Entry(this, performance.now() + this.#ms, fire);
    this.#append(entry);
    return entry;
  }

  /** Move a live entry to the back, due `ms` from now (no new object per restart). */
  requeue(entry: Entry): void {
    entry.due = performance.now() + this.#ms;
    if (entry === this.#tail) return;
    this.unlink(entry);
    this.#append(entry);
  }

  #append(entry: Entry): void {
    const tail = this.#tail;
    if (tail === null) {
      this.#head = entry;
      if (this.#timer === undefined && !this.#expiring) this.#arm(entry.due);
    } else {
      tail.next = entry;
      entry.prev = tail;
    }
    this.#tail = entry;
  }

  /** @internal Remove a cancelled or fired entry. */
  unlink(entry: Entry): void {
    const { prev, next } = entry;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
    // An emptied queue keeps its timer armed: it fires once, finds nothing and stops.
    // Stopping it here cost a clearTimeout and a setTimeout per request wherever the
    // queue empties between requests (a body's idle timer lives for microseconds).
  }

  /**
   * Clear the timer; entries still queued will not fire. Call it when done with the
   * queue (an armed timer keeps the process alive until it fires).
   */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(due: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.ceil(due - performance.now())));
  }

  #expire(): void {
    // The armed head may have been cancelled since: then this wakes early and re-arms.
    this.#timer = undefined;
    this.#expiring = true;
    const now = performance.now();
    try {
      for (let entry = this.#head; entry !== null && entry.due <= now; entry = this.#head) {
        const fire = entry.fire!;
        entry.fire = null;
        this.unlink(entry);
        if (typeof fire === "function") fire();
        else fire.timedOut();
      }
    } finally {
      this.#expiring = false;
    }
    if (this.#head !== null) this.#arm(this.#head.due);
  }
}
