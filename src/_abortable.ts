/**
 * One internal helper shared by the parts: stop waiting for a promise when a
 * signal aborts.
 *
 * @module
 */

/**
 * Resolve or reject with `promise`, or reject with `onAbort()` as soon as `signal`
 * aborts (the work behind `promise` is not cancelled: others may share it). The
 * listener is removed once settled.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => unknown,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = () => reject(onAbort());
    signal.addEventListener("abort", listener, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", listener));
  });
}
