/**
 * One fetch in progress, as its requests see it.
 *
 * @module
 */

import type { PermitSlot } from "../policy/host_policy.ts";
import { TrawlError } from "../trawl_error.ts";
import { whenAborted } from "../_abortable.ts";
import type { Attempt, AttemptLimits } from "./_attempt.ts";
import type { TimeoutTarget } from "./_timer_queue.ts";

/**
 * One fetch in progress: why it was aborted (caller, close), the attempt to
 * abort with it, what its requests send (headers, limits, kind, a permit handed
 * in), and an AbortSignal made only when something has to wait (a permit, a
 * global slot, a backoff): the hot path allocates no AbortController. It is also
 * the target of its running attempt's deadline (`timeoutMs`).
 */
export class Job implements TimeoutTarget {
  readonly url: string;
  reason: TrawlError | null = null;
  /** The attempt running, or `null` between attempts. */
  attempt: Attempt | null = null;
  /** Request headers (the fetcher's, or merged with the fetch's own). */
  readonly headers: Record<string, string>;
  /** Timers and limits of its attempts. */
  readonly limits: AttemptLimits;
  /** Every request is a robots.txt request. */
  readonly robots: boolean;
  /** A permit handed in, for the first request only (cleared once looked at). */
  slot: PermitSlot | undefined;
  #ctl: AbortController | null = null;
  #timeoutMs: number;

  constructor(
    url: string,
    headers: Record<string, string>,
    limits: AttemptLimits,
    robots: boolean,
    slot: PermitSlot | undefined,
    timeoutMs: number,
  ) {
    this.url = url;
    this.headers = headers;
    this.limits = limits;
    this.robots = robots;
    this.slot = slot;
    this.#timeoutMs = timeoutMs;
  }

  /** The running attempt's deadline passed. */
  timedOut(): void {
    const attempt = this.attempt;
    if (attempt === null) return;
    attempt.abort(
      new TrawlError(
        "DEADLINE",
        `${attempt.href}: not done within ${this.#timeoutMs} ms of sending the request (timeoutMs)`,
        { url: attempt.href },
      ),
    );
  }

  /** Aborts when the job does (made on first use). */
  get signal(): AbortSignal {
    if (this.#ctl === null) {
      this.#ctl = new AbortController();
      if (this.reason !== null) this.#ctl.abort(this.reason);
    }
    return this.#ctl.signal;
  }

  /** Abort the fetch: its waits and its running attempt. */
  abort(reason: TrawlError): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.#ctl?.abort(reason);
    this.attempt?.abort(reason);
  }
}

/** Does nothing (a shared unlink for fetches without a signal). */
export const noop = (): void => {};

/** An `ABORTED` error for `url`, saying why. */
export function aborted(url: string, why: string): TrawlError {
  return new TrawlError("ABORTED", `${url}: ${why}`, { url });
}

/**
 * Abort `job` (code `ABORTED`, message `why`) when `signal` aborts; returns the
 * function that undoes the link. `whenAborted` keeps one listener per signal,
 * however many fetches share it (addEventListener is O(listeners) in Deno).
 */
export function link(signal: AbortSignal | undefined, job: Job, why: string): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    job.abort(aborted(job.url, why));
    return noop;
  }
  return whenAborted(signal, () => job.abort(aborted(job.url, why)));
}
