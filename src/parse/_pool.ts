/**
 * The worker pool's implementation (its contract is in `worker_pool.ts`).
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
 * Jobs posted behind a dying worker's running job are always re-sent.
 *
 * @module
 */

import { whenAborted } from "../_abortable.ts";
import { deserializeError, type ErrorInfo, TrawlError } from "../trawl_error.ts";
import { checkExtractor } from "./check_extractor_graph.ts";
import { findDenoConfig, importHosts } from "./_deno_config.ts";
import { entryModule, type PoolSettings, poolSettings } from "./_pool_setup.ts";
import { type ProcessTransportOptions, startProcess } from "./_process_transport.ts";
import { type Death, startThread, type Transport } from "./_transport.ts";
import type { WorkerReply } from "./_worker_main.ts";
import type { LateError, RunOptions, WorkerPool, WorkerPoolOptions } from "./worker_pool.ts";

interface Job {
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

interface Slot {
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

/** Labels of recent jobs kept for `onLateError`. */
const MAX_LABELS = 1024;

/** The worker pool. */
export class Pool<I, O> implements WorkerPool<I, O> {
  readonly #s: PoolSettings;
  readonly #entry: string;
  readonly #onLate: ((late: LateError) => void) | undefined;
  #processOptions: ProcessTransportOptions | null = null;
  /** Waiting for the import check (or the process settings): no worker starts before. */
  #starting = false;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #blocked: Job[] = [];
  #waiters = new Set<{ resolve(): void; reject(e: unknown): void }>();
  #dying = new Set<Promise<void>>();
  #labels = new Map<number, string>();
  /** Unsettled jobs posted to workers. */
  #posted = 0;
  #nextId = 0;
  #closed = false;
  #broken: TrawlError | null = null;

  constructor(moduleUrl: string, options: WorkerPoolOptions) {
    this.#s = poolSettings(moduleUrl, options);
    this.#onLate = options.onLateError;
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
      if (label !== undefined && this.#onLate) {
        this.#labels.set(job.id, label);
        if (this.#labels.size > MAX_LABELS) this.#labels.delete(this.#labels.keys().next().value!);
      }
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
    const s = this.#s;
    try {
      if (s.checkModule !== null) {
        await checkExtractor(s.checkModule, { allowImports: s.allowImports });
      }
      if (s.isolation === "process") {
        const { config, lock } = await findDenoConfig();
        const hosts = importHosts(s.allowImports);
        this.#processOptions = {
          maxMemoryMb: s.maxMemoryMb,
          config,
          importHosts: hosts,
          frozenLock: lock !== null && hosts.length === 0,
        };
      }
    } catch (e) {
      if (this.#closed) return;
      this.#broken = e instanceof TrawlError ? e : new TrawlError(
        "INVALID_OPTION",
        `workers for ${s.name} cannot start: ${e instanceof Error ? e.message : e}`,
      );
      this.#fail(this.#broken);
      return;
    }
    if (this.#closed) return;
    this.#starting = false;
    if (!s.lazy) this.#spawnAll();
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
      const slot = this.#slots.find((s) => s.ready && s.ran === 0 && s.jobs.length === 0);
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
      let slot: Slot | null = null;
      for (const s of this.#slots) {
        if (!s.ready || (freshWaiting > 0 && s.ran === 0 && s.jobs.length === 0)) continue;
        const room = s.jobs.length === 0 ||
          (s.jobs.length < this.#s.maxJobsPerWorker &&
            s.bytes + next.bytes <= this.#s.maxBytesPerWorker);
        if (room && (!slot || s.jobs.length < slot.jobs.length)) slot = s;
      }
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
      slot.transport = this.#s.isolation === "thread"
        ? startThread(this.#entry, events)
        : startProcess(this.#entry, this.#processOptions!, events);
    } catch (e) {
      this.#broken = new TrawlError(
        "INVALID_OPTION",
        `workers for ${this.#s.name} cannot start: ${e instanceof Error ? e.message : e}`,
      );
      this.#fail(this.#broken);
      return;
    }
    this.#slots.push(slot);
  }

  /** Post `job` to `slot`'s worker; a failure to post rejects the job (INVALID_OPTION). */
  #post(slot: Slot, job: Job): void {
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
      return;
    }
    job.state = "posted";
    this.#posted++;
    slot.jobs.push(job);
    slot.bytes += job.bytes;
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
        this.#late(reply.id, reply.error);
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
   * `undefined` when the worker died unannounced. See the module doc for who fails.
   */
  #onDeath(slot: Slot, death: Death, blame?: number | null): void {
    if (!this.#slots.includes(slot)) return;
    if (!slot.ready) {
      // The module itself does not load: every later worker would fail the same way.
      this.#broken = new TrawlError(
        "INVALID_OPTION",
        `workers for ${this.#s.name} cannot start: ${death.message}`,
      );
      this.#fail(this.#broken);
      return;
    }
    const job = slot.jobs[0];
    const first = slot.ran === 0;
    this.#retire(slot);
    if (job !== undefined && job.state === "posted") {
      const fail = (code: "WORKER_CRASHED" | "EXTRACT_MEMORY", why: string) =>
        job.reject(new TrawlError(code, `${why}; the worker was replaced`));
      if (blame !== undefined) {
        if (blame === job.id) fail("WORKER_CRASHED", `worker ended by this job: ${death.message}`);
        else this.#again(job, false);
      } else if (first || job.fresh || !job.kept) {
        if (death.kind === "oom") fail("EXTRACT_MEMORY", `worker ${death.message}`);
        else fail("WORKER_CRASHED", `worker crashed: ${death.message}`);
      } else this.#again(job, true);
    }
    if (blame != null && blame !== job?.id) {
      this.#late(blame, { code: "WORKER_CRASHED", message: death.message });
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

  #late(id: number | null, info: ErrorInfo): void {
    if (!this.#onLate) return;
    const label = id === null ? undefined : this.#labels.get(id);
    try {
      this.#onLate({ error: deserializeError(info), label });
    } catch { /* the callback's own failure is not the pool's */ }
  }

  /**
   * Terminate one worker and forget it. Its running job is the caller's to
   * settle; the jobs posted behind it go back to the front of the queue.
   */
  #retire(slot: Slot): void {
    const [, ...waiting] = slot.jobs;
    this.#kill(slot);
    this.#slots = this.#slots.filter((s) => s !== slot);
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
      this.#posted--;
      job.state = "queued";
      resend.push(job);
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
