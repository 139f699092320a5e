/**
 * A general pool of sandboxed Deno Web Workers running one exported function
 * of a module (the process-pool pattern): bounded queue, per-job time limit,
 * crash isolation. The parse pool is this pool running the page extractor.
 *
 * Each worker gets up to `maxJobsPerWorker` inputs posted ahead (it runs them one
 * at a time, in order), so it always has its next input at hand: under load the
 * main thread may take tens of ms to handle a reply, and a worker fed one job per
 * reply sat idle meanwhile (measured: busy 30-45% of the time in a crawl). The
 * default depth, 16, was measured here with 15 KB pages (~0.2 ms each) and the main
 * thread busy in 5 ms chunks every 10 ms: 1 worker parsed ~1,300 pages/s with one
 * job at a time, ~2,000-2,600 with 8 ahead, ~2,600-3,800 with 16. `maxBytesPerWorker`
 * bounds the same pipeline by input size, for inputs too big to hold many of twice.
 *
 * @module
 */

import { whenAborted } from "../_abortable.ts";
import { deserializeError, TrawlError } from "../trawl_error.ts";
import type { JobMessage, WorkerReply } from "./_worker_main.ts";
import { resolveModuleUrl } from "./_module_url.ts";

/** Options for {@linkcode createWorkerPool}. */
export interface WorkerPoolOptions {
  /** The module's export to call with each input. @default {"default"} */
  exportName?: string;
  /** Number of workers, started when needed (see `lazy`). @default {Math.max(1, navigator.hardwareConcurrency - 1)} */
  workers?: number;
  /**
   * Start workers only when jobs wait for them. `false` starts them all at once, so
   * the first jobs do not wait for a worker to load (tens of ms).
   * @default {true}
   */
  lazy?: boolean;
  /** Inputs that may wait for a free worker; `run()` waits beyond that. @default {2 * workers} */
  maxQueued?: number;
  /**
   * Per-job time limit, counted from when the worker starts the job (not from when
   * it was posted); past it the worker is terminated and replaced.
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * Inputs posted to one worker at once: the one it runs plus those waiting in
   * its inbox, so it never waits for the main thread between jobs. 1 turns
   * pipelining off. Bounded by `capacity` too (inputs held).
   * @default {16}
   */
  maxJobsPerWorker?: number;
  /**
   * Input bytes one worker holds at once (the `bytes` of the job it runs plus those
   * posted ahead): large inputs are posted ahead fewer at a time, since each one
   * posted ahead is held twice (the copy sent and the one kept to re-send). A
   * worker with no job always takes the next one, whatever its size.
   * @default {Infinity}
   */
  maxBytesPerWorker?: number;
  /** What error messages call the module. @default {the module URL} */
  name?: string;
}

/** Options for {@linkcode WorkerPool.run}. */
export interface RunOptions {
  /**
   * Abort waiting for the result (the job rejects with `ABORTED`; if it was
   * already posted to a worker it may still run there, its result is dropped).
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Objects to transfer rather than copy (they become unusable here). An input
   * posted behind another job on a busy worker is copied instead (the pool keeps
   * it to re-send should that worker die first), so these are transferred only
   * when the job goes to an idle worker.
   * @default {[]}
   */
  transfer?: Transferable[];
  /** The input's size, counted against `maxBytesPerWorker`. @default {0} */
  bytes?: number;
}

/** A pool of workers running one function. Close it (or `await using` it) when done. */
export interface WorkerPool<I, O> {
  /**
   * Run the function on `input` in a worker. Waits while the pool is full.
   * Rejects with a `TrawlError`: the function's own error (`EXTRACT_ERROR` unless
   * it carries a trawl code), `EXTRACT_TIMEOUT`, `WORKER_CRASHED`, `POOL_CLOSED`,
   * `ABORTED`, or `INVALID_OPTION` when workers cannot start at all (the module
   * fails to load or throws while loading; the pool then refuses all work).
   * A job waiting on a worker that times out or crashes on another job is moved
   * to another (or the replacement) worker, not failed.
   */
  run(input: I, options?: RunOptions): Promise<O>;
  /** Inputs held: queued plus posted to workers. */
  readonly size: number;
  /** The most inputs held at once: `workers + maxQueued`. */
  readonly capacity: number;
  /** Resolves when `size < capacity` (rejects on abort, close, or a pool that cannot start). */
  ready(signal?: AbortSignal): Promise<void>;
  /** Reject everything pending with `POOL_CLOSED` and terminate the workers. */
  close(): Promise<void>;
  /** Same as {@linkcode WorkerPool.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Start a pool running `moduleUrl`'s export `exportName` (a path, relative to the
 * cwd, or a URL). Workers run with Deno permissions `"none"`: no files, network,
 * env or subprocesses (imports still load).
 *
 * @example Square numbers off the main thread
 * ```ts
 * import { createWorkerPool } from "./worker_pool.ts";
 *
 * // square.ts: export function square(n: number) { return n * n; }
 * await using pool = createWorkerPool<number, number>("./square.ts", { exportName: "square" });
 * console.log(await pool.run(7)); // 49
 * ```
 */
export function createWorkerPool<I = unknown, O = unknown>(
  moduleUrl: string | URL,
  options: WorkerPoolOptions = {},
): WorkerPool<I, O> {
  return new Pool<I, O>(resolveModuleUrl(moduleUrl), options);
}

interface Job {
  id: number;
  /** Held while the job might have to be re-sent: queued, or posted behind another job. */
  input: unknown;
  transfer: Transferable[];
  /** The input's size (`RunOptions.bytes`). */
  bytes: number;
  /** False once the input left for a worker and no copy was kept (it cannot be re-sent). */
  kept: boolean;
  /** `queued` (in the queue or blocked), `posted` (in a worker's `jobs`), or `settled`. */
  state: "queued" | "posted" | "settled";
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Jobs posted to this worker, in order; `jobs[0]` is running. Settled ones stay until their reply. */
  jobs: Job[];
  /** The `bytes` of the unsettled-or-unreplied jobs in `jobs`. */
  bytes: number;
  /** When `jobs[0]` started (its reply's predecessor arrived, or it was posted to an idle worker). */
  startedAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const WORKER_MAIN = new URL("./_worker_main.ts", import.meta.url).href;

class Pool<I, O> implements WorkerPool<I, O> {
  readonly #entry: string;
  readonly #moduleUrl: string;
  readonly #workers: number;
  readonly #maxQueued: number;
  readonly #timeoutMs: number;
  readonly #maxJobs: number;
  readonly #maxBytes: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #blocked: Job[] = [];
  #waiters = new Set<{ resolve(): void; reject(e: unknown): void }>();
  /** Unsettled jobs posted to workers. */
  #posted = 0;
  #nextId = 0;
  #closed = false;
  #broken: TrawlError | null = null;

  constructor(moduleUrl: string, options: WorkerPoolOptions) {
    const exportName = options.exportName ?? "default";
    this.#workers = positiveInt(
      "workers",
      options.workers ?? Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1),
    );
    this.#maxQueued = positiveInt("maxQueued", options.maxQueued ?? 2 * this.#workers, 0);
    this.#timeoutMs = positiveInt("timeoutMs", options.timeoutMs ?? 10_000);
    this.#maxJobs = positiveInt("maxJobsPerWorker", options.maxJobsPerWorker ?? 16);
    this.#maxBytes = options.maxBytesPerWorker ?? Infinity;
    if (!(this.#maxBytes > 0)) {
      throw new TrawlError(
        "INVALID_OPTION",
        `maxBytesPerWorker must be > 0, got ${this.#maxBytes}`,
      );
    }
    this.#moduleUrl = options.name ?? moduleUrl;
    const src = `import { serveWorker } from ${JSON.stringify(WORKER_MAIN)};\n` +
      `import * as mod from ${JSON.stringify(moduleUrl)};\n` +
      `serveWorker(mod, ${JSON.stringify(exportName)}, ${JSON.stringify(moduleUrl)});\n`;
    this.#entry = `data:application/javascript,${encodeURIComponent(src)}`;
    if (options.lazy === false) { while (this.#slots.length < this.#workers) this.#spawn(); }
  }

  get size(): number {
    return this.#queue.length + this.#posted;
  }

  get capacity(): number {
    return this.#workers + this.#maxQueued;
  }

  run(input: I, options: RunOptions = {}): Promise<O> {
    const { signal, transfer = [], bytes = 0 } = options;
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

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#fail(new TrawlError("POOL_CLOSED", "the worker pool was closed"));
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
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
   * ready workers (the least loaded first, up to `maxJobsPerWorker` each), wake
   * `ready()` waiters, and start workers the queue still needs.
   */
  #pump(): void {
    if (this.#closed || this.#broken) return;
    while (true) {
      while (this.#blocked.length > 0 && this.size < this.capacity) {
        this.#queue.push(this.#blocked.shift()!);
      }
      if (this.#queue.length === 0) break;
      const next = this.#queue[0];
      let slot: Slot | null = null;
      for (const s of this.#slots) {
        const room = s.jobs.length === 0 ||
          (s.jobs.length < this.#maxJobs && s.bytes + next.bytes <= this.#maxBytes);
        if (s.ready && room && (!slot || s.jobs.length < slot.jobs.length)) slot = s;
      }
      if (slot === null) break;
      this.#post(slot, this.#queue.shift()!);
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
    let missing = Math.min(waiting - starting, this.#workers - this.#slots.length);
    while (missing-- > 0) this.#spawn();
  }

  #spawn(): void {
    const worker = new Worker(this.#entry, { type: "module", deno: { permissions: "none" } });
    const slot: Slot = {
      worker,
      ready: false,
      jobs: [],
      bytes: 0,
      startedAt: 0,
      timer: undefined,
    };
    this.#slots.push(slot);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#onReply(slot, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // keep the error from taking down this thread
      this.#onCrash(slot, event.message);
    };
    worker.onmessageerror = () => this.#onCrash(slot, "a reply could not be deserialized");
  }

  /** Post `job` to `slot`'s worker; a failure to post rejects the job (INVALID_OPTION). */
  #post(slot: Slot, job: Job): void {
    const message: JobMessage = { id: job.id, input: job.input };
    const idle = slot.jobs.length === 0;
    try {
      if (idle) {
        // It starts at once: if this worker dies, the job fails, so the input need not be kept.
        slot.worker.postMessage(message, job.transfer);
        job.input = undefined;
        job.transfer = [];
      } else {
        // Copy (keep the input): should the worker die before starting it, it is re-sent.
        try {
          slot.worker.postMessage(message);
        } catch (e) {
          if (job.transfer.length === 0) throw e;
          slot.worker.postMessage(message, job.transfer); // transfer-only input: cannot be kept
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
    const job = slot.jobs[0];
    if (job.state === "posted") {
      job.input = undefined; // running now: it is never re-sent
      job.transfer = [];
    }
    // One timer per worker; when it fires for an earlier job it re-arms for this one.
    slot.timer ??= setTimeout(() => this.#checkTime(slot), this.#timeoutMs);
  }

  #checkTime(slot: Slot): void {
    slot.timer = undefined;
    if (slot.jobs.length === 0) return;
    const left = slot.startedAt + this.#timeoutMs - performance.now();
    if (left > 0) {
      slot.timer = setTimeout(() => this.#checkTime(slot), Math.ceil(left));
      return;
    }
    const job = slot.jobs[0];
    this.#retire(slot);
    job.reject(
      new TrawlError(
        "EXTRACT_TIMEOUT",
        `no result from ${this.#moduleUrl} within ${this.#timeoutMs} ms; the worker was replaced`,
      ),
    );
    this.#pump();
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.type === "ready") {
      slot.ready = true;
      this.#pump();
      return;
    }
    const job = slot.jobs[0];
    if (job === undefined || job.id !== reply.id) return;
    slot.jobs.shift();
    slot.bytes -= job.bytes;
    if (slot.jobs.length > 0) this.#started(slot);
    else if (slot.timer !== undefined) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    if (reply.type === "done") job.resolve(reply.value);
    else job.reject(deserializeError(reply.error));
    this.#pump();
  }

  #onCrash(slot: Slot, message: string): void {
    if (!this.#slots.includes(slot)) return;
    const job = slot.jobs[0];
    const wasReady = slot.ready;
    this.#retire(slot);
    if (!wasReady) {
      // The module itself does not load: every later worker would fail the same way.
      this.#broken = new TrawlError(
        "INVALID_OPTION",
        `workers for ${this.#moduleUrl} cannot start: ${message}`,
      );
      this.#fail(this.#broken);
      return;
    }
    job?.reject(new TrawlError("WORKER_CRASHED", `worker crashed: ${message}; it was replaced`));
    this.#pump();
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
    slot.worker.onmessage = slot.worker.onerror = slot.worker.onmessageerror = null;
    slot.worker.terminate();
  }
}

function aborted(signal: AbortSignal): TrawlError {
  return new TrawlError("ABORTED", "the job was aborted", { cause: signal.reason });
}

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TrawlError("INVALID_OPTION", `${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
