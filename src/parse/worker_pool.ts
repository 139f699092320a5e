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

import type { TrawlError } from "../trawl_error.ts";
import { resolveModuleUrl } from "./_module_url.ts";
import { Pool } from "./_pool.ts";

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
  /**
   * Where the module runs. `"thread"`: Web Workers in this process (cheapest; a
   * worker that allocates without bound takes this process down with it, and one
   * that ends itself by a way the guard does not see is noticed only by the time
   * limit). `"process"`: one `deno run` subprocess per worker with no permissions
   * and a memory limit (`maxMemoryMb`); inputs and results cross as JSON (plus
   * `Uint8Array`/`ArrayBuffer` as bytes), so `transfer` is ignored. A process that
   * dies is noticed from its exit at once.
   * @default {"thread"}
   */
  isolation?: "thread" | "process";
  /**
   * Memory limit of one worker process, MB: its V8 heap (`--max-old-space-size`)
   * and, on Linux, its resident size plus 256 MB (buffers live outside the heap).
   * A job that exceeds it fails with `EXTRACT_MEMORY`. Only with isolation
   * `"process"`.
   * @default {512}
   */
  maxMemoryMb?: number;
  /**
   * URL prefixes remote and `data:` imports of the module may start with (see
   * `checkExtractor`); also what a worker process may fetch modules from.
   * @default {[]}
   */
  allowImports?: readonly string[];
  /**
   * The module whose whole import graph is checked (`checkExtractor`) before any
   * worker starts; a refused import makes the pool refuse all work with
   * `INVALID_OPTION`. `null` skips the check.
   * @default {the module itself when it is a file: URL, else null}
   */
  checkModule?: string | URL | null;
  /**
   * Called with an error a job's code raised after that job had replied (a timer
   * that throws, a promise left to reject, an exit), or that no job can be blamed
   * for. Such an error never fails another job: it is reported here instead.
   * @default {undefined}
   */
  onLateError?: (late: LateError) => void;
}

/** An error raised after its job had replied; see `WorkerPoolOptions.onLateError`. */
export interface LateError {
  /** What was raised (`EXTRACT_ERROR`, or `WORKER_CRASHED` for an exit). */
  error: TrawlError;
  /** The `label` of the job whose code raised it, when known and given. */
  label: string | undefined;
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
  /** What `onLateError` names this job by (a page URL, say). @default {undefined} */
  label?: string;
}

/** A pool of workers running one function. Close it (or `await using` it) when done. */
export interface WorkerPool<I, O> {
  /**
   * Run the function on `input` in a worker. Waits while the pool is full.
   * Rejects with a `TrawlError`: the function's own error (`EXTRACT_ERROR` unless
   * it carries a trawl code; also an asynchronous error its code raised while it
   * ran), `EXTRACT_TIMEOUT`, `WORKER_CRASHED` (it ended or crashed its worker),
   * `EXTRACT_MEMORY` (over `maxMemoryMb`), `POOL_CLOSED`, `ABORTED`, or
   * `INVALID_OPTION` when workers cannot start at all (a refused import, a module
   * that fails to load or throws while loading; the pool then refuses all work).
   * A job waiting on a worker that times out or crashes on another job is moved
   * to another (or the replacement) worker, not failed; a job running on a
   * worker that died for reasons it may not own is run again on a fresh one.
   */
  run(input: I, options?: RunOptions): Promise<O>;
  /** Inputs held: queued plus posted to workers. */
  readonly size: number;
  /** The most inputs held at once: `workers + maxQueued`. */
  readonly capacity: number;
  /** Resolves when `size < capacity` (rejects on abort, close, or a pool that cannot start). */
  ready(signal?: AbortSignal): Promise<void>;
  /** Reject everything pending with `POOL_CLOSED`, terminate the workers and wait for them to end. */
  close(): Promise<void>;
  /** Same as {@linkcode WorkerPool.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Start a pool running `moduleUrl`'s export `exportName` (a path, relative to the
 * cwd, or a URL). Workers run with Deno permissions `"none"`: no files, network,
 * env or subprocesses. Imports written in the module's graph still load (Deno's
 * loader reads them with this process's rights), so the graph of a `file:`
 * module is checked first (see `checkExtractor`): until then no worker starts,
 * and a refused import makes every `run()` reject with `INVALID_OPTION`.
 *
 * @example Square numbers off the main thread
 * ```ts
 * import { createWorkerPool } from "./worker_pool.ts";
 *
 * const square = "data:application/javascript,export function square(n) { return n * n; }";
 * await using pool = createWorkerPool<number, number>(square, { exportName: "square" });
 * console.log(await pool.run(7)); // 49
 * ```
 */
export function createWorkerPool<I = unknown, O = unknown>(
  moduleUrl: string | URL,
  options: WorkerPoolOptions = {},
): WorkerPool<I, O> {
  return new Pool<I, O>(resolveModuleUrl(moduleUrl), options);
}
