/**
 * Who the worker pool blames for an error it did not get as a job's reply: the
 * job a dead worker was running, the jobs posted behind it, and errors reported
 * to `onLateError`. The pool (`_pool.ts`) acts on what these decide.
 *
 * Blame. A job fails only for what its own code did:
 * - an error its code raised asynchronously fails it while it runs, and is
 *   reported to `onLateError` once it has replied (the worker lives on);
 * - a worker that announces its end (`Deno.exit`, `close`) names the job that
 *   asked; that job fails with `WORKER_CRASHED`, the one running (if another)
 *   is re-sent;
 * - a worker that dies unannounced (out of memory, a crash) fails its running job
 *   only when that job was the worker's first; otherwise the job may be paying
 *   for an earlier job's leftovers, so it is re-run alone on a fresh worker, and
 *   fails only if it dies there too.
 * Jobs posted behind a dying worker's running job are always re-sent (unless
 * their transferred input went with the worker: they fail with `WORKER_CRASHED`).
 *
 * @module
 */

import { deserializeError, type ErrorInfo, TrawlError } from "../trawl_error.ts";
import type { Job } from "./_pool_slot.ts";
import type { Death } from "./_transport.ts";
import type { LateError } from "./worker_pool.ts";

/** Labels of recent jobs kept for `onLateError`. */
const MAX_LABELS = 1024;

/**
 * What becomes of `job`, which was running on a worker that died: the error it
 * fails with, or `{ fresh }` to queue it again (`fresh`: to run alone, as the
 * first job of a fresh worker). `blame` is the job that announced the end
 * (`null`: none), or `undefined` when the worker died unannounced; `first`
 * whether `job` was the worker's first.
 *
 * @example A crash on a worker's second job: run it again alone
 * ```ts
 * import { runningJobFate } from "./_pool_blame.ts";
 * import type { Job } from "./_pool_slot.ts";
 *
 * const job: Job = {
 *   id: 2,
 *   input: "page",
 *   transfer: [],
 *   bytes: 0,
 *   kept: true,
 *   fresh: false,
 *   state: "posted",
 *   resolve: () => {},
 *   reject: () => {},
 * };
 * const crash = { kind: "crash" as const, message: "segfault" };
 * console.log(runningJobFate(job, crash, false, undefined)); // { fresh: true }
 * // Had it been the worker's first job, it would fail:
 * console.log(String(runningJobFate(job, crash, true, undefined)));
 * // TrawlError: worker crashed: segfault; the worker was replaced
 * ```
 */
export function runningJobFate(
  job: Job,
  death: Death,
  first: boolean,
  blame: number | null | undefined,
): TrawlError | { fresh: boolean } {
  const fail = (code: "WORKER_CRASHED" | "EXTRACT_MEMORY", why: string) =>
    new TrawlError(code, `${why}; the worker was replaced`);
  if (blame !== undefined) {
    if (blame === job.id) {
      return fail("WORKER_CRASHED", `worker ended by this job: ${death.message}`);
    }
    return { fresh: false };
  }
  if (first || job.fresh || !job.kept) {
    if (death.kind === "oom") return fail("EXTRACT_MEMORY", `worker ${death.message}`);
    return fail("WORKER_CRASHED", `worker crashed: ${death.message}`);
  }
  return { fresh: true };
}

/**
 * Of the jobs posted behind the running job of a worker that is going away, those
 * to send again (still `posted`: the caller queues them). Those whose transferred
 * input went with the worker are rejected with `WORKER_CRASHED`; those no longer
 * posted (aborted meanwhile) are left out.
 *
 * @example A kept input is sent again, a transferred one cannot be
 * ```ts
 * import { resendable } from "./_pool_blame.ts";
 * import type { Job } from "./_pool_slot.ts";
 *
 * const job = (id: number, kept: boolean): Job => ({
 *   id,
 *   input: kept ? "page" : undefined,
 *   transfer: [],
 *   bytes: 0,
 *   kept,
 *   fresh: false,
 *   state: "posted",
 *   resolve: () => {},
 *   reject: (error) => console.log(String(error)),
 * });
 * const again = resendable([job(1, true), job(2, false)]); // logs job 2's error
 * console.log(again.map((j) => j.id)); // [ 1 ]
 * ```
 */
export function resendable(waiting: readonly Job[]): Job[] {
  const resend: Job[] = [];
  for (const job of waiting) {
    if (job.state !== "posted") continue; // aborted meanwhile
    if (!job.kept) {
      job.reject(
        new TrawlError(
          "WORKER_CRASHED",
          "the worker holding this job's transferred input died before starting it",
        ),
      );
      continue;
    }
    resend.push(job);
  }
  return resend;
}

/**
 * Where errors no job can fail for go: to `onLateError`, naming the job whose
 * code raised them by the `label` it was run with (the most recent 1,024 labels
 * are kept). Without a callback it keeps nothing and reports nothing.
 *
 * @example Report an error raised after its job replied
 * ```ts
 * import { LateErrors } from "./_pool_blame.ts";
 *
 * const late = new LateErrors(({ error, label }) => console.log(label, error.code));
 * late.label(3, "https://example.com/");
 * late.report(3, { code: "EXTRACT_ERROR", message: "a timer threw" }); // https://example.com/ EXTRACT_ERROR
 * ```
 */
export class LateErrors {
  readonly #onLate: ((late: LateError) => void) | undefined;
  #labels = new Map<number, string>();

  /** Report to `onLate` (`undefined`: nowhere). */
  constructor(onLate: ((late: LateError) => void) | undefined) {
    this.#onLate = onLate;
  }

  /** Remember job `id`'s `label`, to name it should its code raise an error later. */
  label(id: number, label: string | undefined): void {
    if (label === undefined || !this.#onLate) return;
    this.#labels.set(id, label);
    if (this.#labels.size > MAX_LABELS) this.#labels.delete(this.#labels.keys().next().value!);
  }

  /** Report `info`, raised by job `id`'s code (`null`: no job known) after it replied. */
  report(id: number | null, info: ErrorInfo): void {
    if (!this.#onLate) return;
    const label = id === null ? undefined : this.#labels.get(id);
    try {
      this.#onLate({ error: deserializeError(info), label });
    } catch { /* the callback's own failure is not the pool's */ }
  }
}
