/**
 * The worker pool's implementation (its contract is in `worker_pool.ts`): the
 * queue, posting jobs to workers, replies, time limits, and replacing workers.
 * Who fails when a worker dies is decided in `_pool_blame.ts` (its module doc
 * states the rules); the records of jobs and workers are in `_pool_slot.ts`, and
 * starting workers is in `_pool_start.ts`.
 *
 * @module
 */

import { whenAborted } from "../_abortable.ts";
import { deserializeError, TrawlError } from "../trawl_error.ts";
import { LateErrors, resendable, runningJobFate } from "./_pool_blame.ts";
import { entryModule, type PoolSettings, poolSettings } from "./_pool_setup.ts";
import { type Job, leastLoadedSlot, postJob, type Slot, unusedSlot } from "./_pool_slot.ts";
import { cannotStart, prepareWorkers, startWorker } from "./_pool_start.ts";
import type { ProcessTransportOptions } from "./_process_transport.ts";
import type { Death } from "./_transport.ts";
import type { WorkerReply } from "./_worker_main.ts";
import type { RunOptions, WorkerPool, WorkerPoolOptions } from "./worker_pool.ts";

/**
 * The worker pool.
 *
 * @example Double a number in a worker
 * ```ts
 * import { Pool } from "./_pool.ts";
 *
 * const module = "data:application/javascript,export default (n) => n * 2";
 * await using pool = new Pool<number, number>(module, {});
 * console.log(await pool.run(21)); // 42
 * ```
 */
export class Pool<I, O> implements WorkerPool<I, O> {
  readonly #s: PoolSettings;
  readonly #entry: string;
  readonly #late: LateErrors;
  #processOptions: ProcessTransportOptions | null = null;
  /** Waiting for the import check (or the process settings): no worker starts before. */
  #starting = false;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #blocked: Job[] = [];
  #waiters = new Set<{ resolve(): void; reject(e: unknown): void }>();
  #dying = new Set<Promise<void>>();
  /** Unsettled jobs posted to workers. */
  #posted = 0;
  #nextId = 0;
  #closed = false;
  #broken: TrawlError | null = null;

  constructor(moduleUrl: string, options: WorkerPoolOptions) {
    this.#s = poolSettings(moduleUrl, options);
    this.#late = new LateErrors(options.onLateError);
    this.#entry = entryModule(moduleUrl, this.#s.exportName, this.#s.isolation);
    if (this.#s.checkModule !== null || this.#s.isolation === "process") {
      this.#starting = true;
      void this.#prepare();
    } else if (!this.#s.lazy) this.#spawnAll();
  }

  get size(): number {
    return this.#queue.length + this.#posted;
  }

  get capacity(): number {
    return this.#s.workers + this.#s.maxQueued;
  }

  run(input: I, options: RunOptions = {}): Promise<O> {
    const { signal, transfer = [], bytes = 0, label } = options;
    const refusal = this.#refusal(signal);
    if (refusal) return Promise.reject(refusal);
    return new Promise<O>((resolve, reject) => {
      const settle = () => {
        if (job.state === "posted") this.#posted--;
        job.state = "settled";
        job.input = undefined;
        job.transfer = [];
        forget();
      };
      const job: Job = {
        id: this.#nextId++,
        input,
        transfer,
        bytes,
        kept: true,
        fresh: false,
        state: "queued",
        resolve: (value) => {
          if (job.state === "settled") return;
          settle();
          resolve(value as O);
        },
        reject: (error) => {
          if (job.state === "settled") return;
          settle();
          reject(error);
        },
      };
      this.#late.label(job.id, label);
      const forget = signal
        ? whenAborted(signal, () => {
          if (job.state === "queued") {
            this.#queue = this.#queue.filter((j) => j !== job);
            this.#blocked = this.#blocked.filter((j) => j !== job);
          }
          // A posted job stays in its worker's list: the worker still replies to it.
          job.reject(aborted(signal));
          this.#pump();
        })
        : () => {};
      if (this.size < this.capacity) this.#queue.push(job);
      else this.#blocked.push(job);
      this.#pump();
    });
  }

  ready(signal?: AbortSignal): Promise<void> {
    const refusal = this.#refusal(signal);
    if (refusal) return Promise.reject(refusal);
    if (this.size < this.capacity && this.#blocked.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          this.#waiters.delete(waiter);
          forget();
          resolve();
        },
        reject: (e: unknown) => {
          this.#waiters.delete(waiter);
          forget();
          reject(e);
        },
      };
      const forget = signal ? whenAborted(signal, () => waiter.reject(aborted(signal))) : () => {};
      this.#waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#fail(new TrawlError("POOL_CLOSED", "the worker pool was closed"));
    }
    await Promise.all(this.#dying);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Check the module's imports and settle the process settings, then let workers start. */
  async #prepare(): Promise<void> {
    try {
      this.#processOptions = await prepareWorkers(this.#s);
    } catch (e) {
      if (this.#closed) return;
      this.#broken = e instanceof TrawlError ? e : cannotStart(this.#s.name, e);
      this.#fail(this.#broken);
      return;
    }
    if (this.#closed) return;
    this.#starting = false;
    if (!this.#s.lazy) this.#spawnAll();
    this.#pump();
  }

  #refusal(signal?: AbortSignal): TrawlError | null {
    if (this.#closed) return new TrawlError("POOL_CLOSED", "the worker pool is closed");
    if (this.#broken) return this.#broken;
    if (signal?.aborted) return aborted(signal);
    return null;
  }

  /** Reject every job and waiter with `error` and terminate all workers. */
  #fail(error: TrawlError): void {
    const jobs = [...this.#blocked, ...this.#queue, ...this.#slots.flatMap((s) => s.jobs)];
    this.#blocked = [];
    this.#queue = [];
    for (const slot of this.#slots) this.#kill(slot);
    this.#slots = [];
    for (const job of jobs) job.reject(error);
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }

  /**
   * Move blocked jobs into the queue while there is room, post queued jobs to
   * ready workers (jobs to be run fresh first, each to an unused worker; then the
   * others, to the least loaded worker, up to `maxJobsPerWorker` each), wake
   * `ready()` waiters, and start workers the queue still needs.
   */
  #pump(): void {
    if (this.#closed || this.#broken || this.#starting) return;
    while (this.#blocked.length > 0 && this.size < this.capacity) {
      this.#queue.push(this.#blocked.shift()!);
    }
    let freshWaiting = 0;
    for (const job of this.#queue.filter((j) => j.fresh)) {
      const slot = unusedSlot(this.#slots);
      if (slot) {
        this.#queue.splice(this.#queue.indexOf(job), 1);
        this.#post(slot, job);
      } else freshWaiting++;
    }
    for (let i = 0; i < this.#queue.length;) {
      const next = this.#queue[i];
      if (next.fresh) {
        i++;
        continue;
      }
      const slot = leastLoadedSlot(this.#slots, next, this.#s, freshWaiting > 0);
      if (slot === null) break;
      this.#queue.splice(i, 1);
      this.#post(slot, next);
    }
    if (this.#waiters.size > 0 && this.size < this.capacity) {
      for (const waiter of [...this.#waiters]) waiter.resolve();
    }
    // Start another worker while jobs wait (queued, or posted behind another job)
    // beyond what the workers still starting will take.
    let waiting = this.#queue.length;
    let starting = 0;
    for (const s of this.#slots) {
      if (s.ready) waiting += Math.max(0, s.jobs.length - 1);
      else starting++;
    }
    let missing = Math.min(waiting - starting, this.#s.workers - this.#slots.length);
    while (missing-- > 0) this.#spawn();
    // A job to be run fresh with every worker in use: replace an idle used one.
    if (freshWaiting > starting && this.#slots.length >= this.#s.workers) {
      const idle = this.#slots.find((s) => s.ready && s.ran > 0 && s.jobs.length === 0);
      if (idle) {
        this.#retire(idle);
        this.#spawn();
      }
    }
  }

  #spawnAll(): void {
    while (this.#slots.length < this.#s.workers && !this.#broken) this.#spawn();
  }

  #spawn(): void {
    const slot = {
      ready: false,
      jobs: [],
      bytes: 0,
      ran: 0,
      startedAt: 0,
      timer: undefined,
    } as unknown as Slot;
    const events = {
      reply: (reply: WorkerReply) => this.#onReply(slot, reply),
      death: (death: Death) => this.#onDeath(slot, death),
    };
    try {
      slot.transport = startWorker(this.#s, this.#entry, this.#processOptions, events);
    } catch (e) {
      this.#broken = cannotStart(this.#s.name, e);
      this.#fail(this.#broken);
      return;
    }
    this.#slots.push(slot);
  }

  /** Post `job` to `slot`'s worker (see `postJob`); a failure to post rejects the job (INVALID_OPTION). */
  #post(slot: Slot, job: Job): void {
    const idle = slot.jobs.length === 0;
    if (!postJob(slot, job)) return;
    this.#posted++;
    if (idle) this.#started(slot);
  }

  /** `slot.jobs[0]` has just started: its clock runs from now. */
  #started(slot: Slot): void {
    slot.startedAt = performance.now();
    // One timer per worker; when it fires for an earlier job it re-arms for this one.
    slot.timer ??= setTimeout(() => this.#checkTime(slot), this.#s.timeoutMs);
  }

  #checkTime(slot: Slot): void {
    slot.timer = undefined;
    if (slot.jobs.length === 0) return;
    const left = slot.startedAt + this.#s.timeoutMs - performance.now();
    if (left > 0) {
      slot.timer = setTimeout(() => this.#checkTime(slot), Math.ceil(left));
      return;
    }
    const job = slot.jobs[0];
    this.#retire(slot);
    job.reject(
      new TrawlError(
        "EXTRACT_TIMEOUT",
        `no result from ${this.#s.name} within ${this.#s.timeoutMs} ms; the worker was replaced`,
      ),
    );
    this.#pump();
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    switch (reply.type) {
      case "ready":
        slot.ready = true;
        this.#pump();
        return;
      case "unloadable":
        this.#onDeath(slot, {
          kind: "crash",
          message: `its module throws: ${reply.error.message}`,
        });
        return;
      case "late":
        this.#late.report(reply.id, reply.error);
        return;
      case "exit":
        this.#onDeath(
          slot,
          { kind: "exit", message: `the module ended its worker (exit code ${reply.code})` },
          reply.id,
        );
        return;
    }
    const job = slot.jobs[0];
    if (job === undefined || job.id !== reply.id) return;
    slot.jobs.shift();
    slot.bytes -= job.bytes;
    slot.ran++;
    if (slot.jobs.length > 0) this.#started(slot);
    else if (slot.timer !== undefined) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    if (reply.type === "done") job.resolve(reply.value);
    else job.reject(deserializeError(reply.error));
    this.#pump();
  }

  /**
   * A worker died. `blame` is the job that announced the end (`null`: none), or
   * `undefined` when the worker died unannounced. Who fails: see `_pool_blame.ts`.
   */
  #onDeath(slot: Slot, death: Death, blame?: number | null): void {
    if (!this.#slots.includes(slot)) return;
    if (!slot.ready) {
      // The module itself does not load: every later worker would fail the same way.
      this.#broken = cannotStart(this.#s.name, death.message);
      this.#fail(this.#broken);
      return;
    }
    const job = slot.jobs[0];
    const first = slot.ran === 0;
    this.#retire(slot);
    if (job !== undefined && job.state === "posted") {
      const fate = runningJobFate(job, death, first, blame);
      if (fate instanceof TrawlError) job.reject(fate);
      else this.#again(job, fate.fresh);
    }
    if (blame != null && blame !== job?.id) {
      this.#late.report(blame, { code: "WORKER_CRASHED", message: death.message });
    }
    this.#pump();
  }

  /** Queue a job that was running on a dead worker at the front, to run again. */
  #again(job: Job, fresh: boolean): void {
    this.#posted--;
    job.state = "queued";
    job.fresh = fresh;
    this.#queue.unshift(job);
  }

  /**
   * Terminate one worker and forget it. Its running job is the caller's to
   * settle; the jobs posted behind it go back to the front of the queue.
   */
  #retire(slot: Slot): void {
    const [, ...waiting] = slot.jobs;
    this.#kill(slot);
    this.#slots = this.#slots.filter((s) => s !== slot);
    const resend = resendable(waiting);
    for (const job of resend) {
      this.#posted--;
      job.state = "queued";
    }
    this.#queue.unshift(...resend);
  }

  #kill(slot: Slot): void {
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.jobs = [];
    slot.bytes = 0;
    const done = slot.transport.terminate().catch(() => {});
    this.#dying.add(done);
    void done.finally(() => this.#dying.delete(done));
  }
}

function aborted(signal: AbortSignal): TrawlError {
  return new TrawlError("ABORTED", "the job was aborted", { cause: signal.reason });
}
