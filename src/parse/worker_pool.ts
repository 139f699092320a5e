/**
 * A general pool of sandboxed Deno Web Workers running one exported function
 * of a module (the process-pool pattern): bounded queue, per-job time limit,
 * crash isolation. The parse pool is this pool running the page extractor.
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
  /** Number of workers, started lazily. @default {Math.max(1, navigator.hardwareConcurrency - 1)} */
  workers?: number;
  /** Inputs that may wait for a free worker; `run()` waits beyond that. @default {2 * workers} */
  maxQueued?: number;
  /** Per-job time limit; past it the worker is terminated and replaced. @default {10000} */
  timeoutMs?: number;
  /** What error messages call the module. @default {the module URL} */
  name?: string;
}

/** Options for {@linkcode WorkerPool.run}. */
export interface RunOptions {
  /** Abort waiting for the result (the job rejects with `ABORTED`). @default {undefined} */
  signal?: AbortSignal;
  /** Objects to transfer rather than copy (they become unusable here). @default {[]} */
  transfer?: Transferable[];
}

/** A pool of workers running one function. Close it (or `await using` it) when done. */
export interface WorkerPool<I, O> {
  /**
   * Run the function on `input` in a worker. Waits while the pool is full.
   * Rejects with a `TrawlError`: the function's own error (`EXTRACT_ERROR` unless
   * it carries a trawl code), `EXTRACT_TIMEOUT`, `WORKER_CRASHED`, `POOL_CLOSED`,
   * `ABORTED`, or `INVALID_OPTION` when workers cannot start at all (the module
   * fails to load or throws while loading; the pool then refuses all work).
   */
  run(input: I, options?: RunOptions): Promise<O>;
  /** Inputs held: queued plus running. */
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
  input: unknown;
  transfer: Transferable[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  stopTimer(): void;
}

const WORKER_MAIN = new URL("./_worker_main.ts", import.meta.url).href;

class Pool<I, O> implements WorkerPool<I, O> {
  readonly #entry: string;
  readonly #moduleUrl: string;
  readonly #workers: number;
  readonly #maxQueued: number;
  readonly #timeoutMs: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #blocked: Job[] = [];
  #waiters = new Set<{ resolve(): void; reject(e: unknown): void }>();
  #running = 0;
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
    this.#moduleUrl = options.name ?? moduleUrl;
    const src = `import { serveWorker } from ${JSON.stringify(WORKER_MAIN)};\n` +
      `import * as mod from ${JSON.stringify(moduleUrl)};\n` +
      `serveWorker(mod, ${JSON.stringify(exportName)}, ${JSON.stringify(moduleUrl)});\n`;
    this.#entry = `data:application/javascript,${encodeURIComponent(src)}`;
  }

  get size(): number {
    return this.#queue.length + this.#running;
  }

  get capacity(): number {
    return this.#workers + this.#maxQueued;
  }

  run(input: I, options: RunOptions = {}): Promise<O> {
    const { signal, transfer = [] } = options;
    const refusal = this.#refusal(signal);
    if (refusal) return Promise.reject(refusal);
    return new Promise<O>((resolve, reject) => {
      const onAbort = () => {
        this.#queue = this.#queue.filter((j) => j !== job);
        this.#blocked = this.#blocked.filter((j) => j !== job);
        job.reject(aborted(signal!));
        this.#promote();
      };
      let settled = false;
      const job: Job = {
        id: this.#nextId++,
        input,
        transfer,
        resolve: (value) => {
          if (settled) return;
          settled = true;
          job.cleanup();
          resolve(value as O);
        },
        reject: (error) => {
          if (settled) return;
          settled = true;
          job.cleanup();
          reject(error);
        },
        cleanup: () => {
          job.input = undefined;
          job.transfer = [];
          forget();
        },
      };
      const forget = signal ? whenAborted(signal, onAbort) : () => {};
      if (this.size < this.capacity) this.#queue.push(job);
      else this.#blocked.push(job);
      this.#dispatch();
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
    const jobs = [...this.#blocked, ...this.#queue, ...this.#slots.flatMap((s) => s.job ?? [])];
    this.#blocked = [];
    this.#queue = [];
    for (const slot of this.#slots) this.#kill(slot);
    this.#running = 0;
    for (const job of jobs) job.reject(error);
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }

  /** Move blocked jobs into the queue while there is room; wake `ready()` waiters. */
  #promote(): void {
    while (this.#blocked.length > 0 && this.size < this.capacity) {
      this.#queue.push(this.#blocked.shift()!);
    }
    if (this.size < this.capacity) { for (const waiter of [...this.#waiters]) waiter.resolve(); }
    this.#dispatch();
  }

  #dispatch(): void {
    if (this.#closed || this.#broken) return;
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.ready && slot.job === null) this.#start(slot, this.#queue.shift()!);
    }
    const starting = this.#slots.filter((s) => !s.ready).length;
    let missing = Math.min(this.#queue.length - starting, this.#workers - this.#slots.length);
    while (missing-- > 0) this.#spawn();
  }

  #spawn(): void {
    const worker = new Worker(this.#entry, { type: "module", deno: { permissions: "none" } });
    const slot: Slot = { worker, ready: false, job: null, stopTimer() {} };
    this.#slots.push(slot);
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#onReply(slot, event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // keep the error from taking down this thread
      this.#onCrash(slot, event.message);
    };
    worker.onmessageerror = () => this.#onCrash(slot, "a reply could not be deserialized");
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    this.#running++;
    const message: JobMessage = { id: job.id, input: job.input };
    try {
      slot.worker.postMessage(message, job.transfer);
    } catch (e) {
      slot.job = null;
      this.#running--;
      job.reject(new TrawlError("INVALID_OPTION", `input cannot be sent to a worker: ${e}`));
      this.#promote();
      return;
    }
    job.input = undefined; // the worker has it now; hold no second reference
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const onTimeout = () => {
      if (slot.job !== job) return;
      this.#retire(slot);
      job.reject(
        new TrawlError(
          "EXTRACT_TIMEOUT",
          `no result from ${this.#moduleUrl} within ${this.#timeoutMs} ms; the worker was replaced`,
        ),
      );
      this.#promote();
    };
    deadline.addEventListener("abort", onTimeout, { once: true });
    slot.stopTimer = () => deadline.removeEventListener("abort", onTimeout);
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.type === "ready") {
      slot.ready = true;
      this.#dispatch();
      return;
    }
    const job = slot.job;
    if (job === null || job.id !== reply.id) return;
    slot.job = null;
    slot.stopTimer();
    this.#running--;
    if (reply.type === "done") job.resolve(reply.value);
    else job.reject(deserializeError(reply.error));
    this.#promote();
  }

  #onCrash(slot: Slot, message: string): void {
    if (!this.#slots.includes(slot)) return;
    const job = slot.job;
    const wasReady = slot.ready;
    this.#retire(slot);
    if (!wasReady) {
      // The module itself does not load: every later worker would fail the same way.
      this.#broken = new TrawlError(
        "INVALID_OPTION",
        `workers for ${this.#moduleUrl} cannot start: ${message}`,
      );
      if (job) job.reject(this.#broken);
      this.#fail(this.#broken);
      return;
    }
    job?.reject(new TrawlError("WORKER_CRASHED", `worker crashed: ${message}; it was replaced`));
    this.#promote();
  }

  /** Terminate one worker and forget it (its job, if any, is the caller's to settle). */
  #retire(slot: Slot): void {
    if (slot.job) this.#running--;
    this.#kill(slot);
    this.#slots = this.#slots.filter((s) => s !== slot);
  }

  #kill(slot: Slot): void {
    slot.stopTimer();
    slot.job = null;
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
