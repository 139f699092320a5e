/**
 * The worker pool's records of its jobs (`Job`) and of its workers (`Slot`: one
 * worker and the jobs posted to it), which worker a job goes to, and posting a
 * job to a worker: its input is copied and kept, to be sent again should the
 * worker die first, or transferred when it cannot be kept (then the job cannot
 * run again).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { PoolSettings } from "./_pool_setup.ts";
import type { Transport } from "./_transport.ts";

/**
 * One job of the pool, from `run()` until it settles.
 *
 * @example A job waiting in the queue
 * ```ts
 * import type { Job } from "./_pool_slot.ts";
 *
 * const job: Job = {
 *   id: 0,
 *   input: "<p>hello</p>",
 *   transfer: [],
 *   bytes: 12,
 *   kept: true,
 *   fresh: false,
 *   state: "queued",
 *   resolve: (value) => console.log(value),
 *   reject: (error) => console.error(error),
 * };
 * console.log(job.state); // queued
 * ```
 */
export interface Job {
  id: number;
  /** Held while the job might have to be run again; dropped once transferred. */
  input: unknown;
  transfer: Transferable[];
  /** The input's size (`RunOptions.bytes`). */
  bytes: number;
  /** False once the input left for a worker and no copy was kept (it cannot be re-sent). */
  kept: boolean;
  /** Must run as the first job of a fresh worker (it was running when a worker died). */
  fresh: boolean;
  /** `queued` (in the queue or blocked), `posted` (in a worker's `jobs`), or `settled`. */
  state: "queued" | "posted" | "settled";
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * One worker as the pool sees it.
 *
 * @example A worker that has started and has no job
 * ```ts
 * import type { Slot } from "./_pool_slot.ts";
 *
 * const slot: Slot = {
 *   transport: { copies: true, post: () => {}, terminate: () => Promise.resolve() },
 *   ready: true,
 *   jobs: [],
 *   bytes: 0,
 *   ran: 0,
 *   startedAt: 0,
 *   timer: undefined,
 * };
 * console.log(slot.jobs.length); // 0
 * ```
 */
export interface Slot {
  transport: Transport;
  ready: boolean;
  /** Jobs posted to this worker, in order; `jobs[0]` is running. */
  jobs: Job[];
  /** The `bytes` of the jobs in `jobs`. */
  bytes: number;
  /** Jobs this worker has replied to. */
  ran: number;
  /** When `jobs[0]` started (its predecessor replied, or it was posted to an idle worker). */
  startedAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * An unused worker, for a job that must run as a fresh worker's first: ready,
 * with no job run or posted yet.
 *
 * @example One worker still starting, one unused
 * ```ts
 * import { type Slot, unusedSlot } from "./_pool_slot.ts";
 *
 * const slot = (ready: boolean): Slot => ({
 *   transport: { copies: true, post: () => {}, terminate: () => Promise.resolve() },
 *   ready,
 *   jobs: [],
 *   bytes: 0,
 *   ran: 0,
 *   startedAt: 0,
 *   timer: undefined,
 * });
 * const slots = [slot(false), slot(true)];
 * console.log(unusedSlot(slots) === slots[1]); // true
 * ```
 */
export function unusedSlot(slots: readonly Slot[]): Slot | undefined {
  return slots.find((s) => s.ready && s.ran === 0 && s.jobs.length === 0);
}

/**
 * The ready worker with the fewest jobs that has room for `job`, or `null`: an
 * idle worker always has room, a busy one while under `maxJobsPerWorker` jobs and
 * `maxBytesPerWorker` bytes with `job` added. With `keepUnused`, unused workers
 * (see {@linkcode unusedSlot}) are left for jobs that must run fresh.
 *
 * @example A job goes to the worker with fewer jobs
 * ```ts
 * import { type Job, leastLoadedSlot, type Slot } from "./_pool_slot.ts";
 *
 * const job: Job = {
 *   id: 3,
 *   input: "page",
 *   transfer: [],
 *   bytes: 100,
 *   kept: true,
 *   fresh: false,
 *   state: "queued",
 *   resolve: () => {},
 *   reject: () => {},
 * };
 * const slot = (jobs: number): Slot => ({
 *   transport: { copies: true, post: () => {}, terminate: () => Promise.resolve() },
 *   ready: true,
 *   jobs: Array.from({ length: jobs }, () => job),
 *   bytes: jobs * 100,
 *   ran: 1,
 *   startedAt: 0,
 *   timer: undefined,
 * });
 * const slots = [slot(2), slot(1)];
 * const limits = { maxJobsPerWorker: 16, maxBytesPerWorker: Infinity };
 * console.log(leastLoadedSlot(slots, job, limits, false) === slots[1]); // true
 * ```
 */
export function leastLoadedSlot(
  slots: readonly Slot[],
  job: Job,
  limits: Pick<PoolSettings, "maxJobsPerWorker" | "maxBytesPerWorker">,
  keepUnused: boolean,
): Slot | null {
  let slot: Slot | null = null;
  for (const s of slots) {
    if (!s.ready || (keepUnused && s.ran === 0 && s.jobs.length === 0)) continue;
    const room = s.jobs.length === 0 ||
      (s.jobs.length < limits.maxJobsPerWorker && s.bytes + job.bytes <= limits.maxBytesPerWorker);
    if (room && (!slot || s.jobs.length < slot.jobs.length)) slot = s;
  }
  return slot;
}

/**
 * Post `job` to `slot`'s worker and add it to `slot.jobs` (the job becomes
 * `posted`). An input that starts at once on an idle worker is transferred (its
 * `transfer` list); one posted behind another job is copied and kept, so it can be
 * sent again should the worker die first, unless it can only be transferred. A
 * transport that `copies` always copies. Returns `false`, having rejected the job
 * with `INVALID_OPTION`, when its input cannot be sent.
 *
 * @example Post a job to an idle worker
 * ```ts
 * import { type Job, postJob, type Slot } from "./_pool_slot.ts";
 *
 * const sent: unknown[] = [];
 * const slot: Slot = {
 *   transport: {
 *     copies: true,
 *     post: (message) => void sent.push(message),
 *     terminate: () => Promise.resolve(),
 *   },
 *   ready: true,
 *   jobs: [],
 *   bytes: 0,
 *   ran: 0,
 *   startedAt: 0,
 *   timer: undefined,
 * };
 * const job: Job = {
 *   id: 7,
 *   input: 21,
 *   transfer: [],
 *   bytes: 8,
 *   kept: true,
 *   fresh: false,
 *   state: "queued",
 *   resolve: () => {},
 *   reject: () => {},
 * };
 * console.log(postJob(slot, job), job.state, slot.bytes, sent); // true posted 8 [ { id: 7, input: 21 } ]
 * ```
 */
export function postJob(slot: Slot, job: Job): boolean {
  const message = { id: job.id, input: job.input };
  const idle = slot.jobs.length === 0;
  try {
    if (slot.transport.copies) slot.transport.post(message, []);
    else if (idle && job.transfer.length > 0) {
      // It starts at once; the transferred input cannot be kept to run it again.
      slot.transport.post(message, job.transfer);
      job.kept = false;
      job.input = undefined;
      job.transfer = [];
    } else {
      // Copy (keep the input): should the worker die first, it is sent again.
      try {
        slot.transport.post(message, []);
      } catch (e) {
        if (job.transfer.length === 0) throw e;
        slot.transport.post(message, job.transfer); // transfer-only input: cannot be kept
        job.kept = false;
        job.input = undefined;
        job.transfer = [];
      }
    }
  } catch (e) {
    job.reject(new TrawlError("INVALID_OPTION", `input cannot be sent to a worker: ${e}`));
    return false;
  }
  job.state = "posted";
  slot.jobs.push(job);
  slot.bytes += job.bytes;
  return true;
}
