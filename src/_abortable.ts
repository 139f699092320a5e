/**
 * Internal helpers shared by the parts: stop waiting for a promise when a
 * signal aborts, and an abortable sleep.
 *
 * @module
 */

/**
 * Waiters per signal. Each signal gets ONE real "abort" listener: Deno's
 * add/removeEventListener cost grows with the listeners already on the target, and
 * a crawl passes one signal to thousands of concurrent waits (measured: 20% of the
 * main thread's busy time at 500 in flight with a listener per wait).
 */
const waiters = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `callback` once when `signal` aborts; returns the function that cancels that.
 * Cheap for many concurrent callers of one signal (see above).
 */
export function whenAborted(signal: AbortSignal, callback: () => void): () => void {
  let set = waiters.get(signal);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    waiters.set(signal, created);
    signal.addEventListener("abort", () => {
      for (const wake of created) wake();
      created.clear();
    }, { once: true });
  }
  set.add(callback);
  return () => set.delete(callback);
}

/**
 * Resolve or reject with `promise`, or reject with `reason()` as soon as `signal`
 * aborts (the work behind `promise` is not cancelled: others may share it).
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  reason: () => unknown,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const forget = whenAborted(signal, () => reject(reason()));
    promise.then(resolve, reject).finally(forget);
  });
}

/**
 * Sleep `ms` (a retry's backoff, a policy's wait for a gap); rejects with the
 * signal's reason as soon as `signal` aborts (also before).
 */
export function sleepMs(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const forget = signal === undefined ? null : whenAborted(signal, () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
    const timer = setTimeout(() => {
      forget?.();
      resolve();
    }, Math.max(0, Math.ceil(ms)));
  });
}
