/**
 * Starting the worker pool's workers: what must be settled before the first one
 * starts (the module's import check, a worker process's settings), starting one
 * (a thread or a process, by the pool's isolation), and the `INVALID_OPTION`
 * error with which the pool refuses all work when workers cannot start.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { checkExtractor } from "./check_extractor_graph.ts";
import { findDenoConfig, importHosts } from "./_deno_config.ts";
import type { PoolSettings } from "./_pool_setup.ts";
import { type ProcessTransportOptions, startProcess } from "./_process_transport.ts";
import { startThread, type Transport, type TransportEvents } from "./_transport.ts";

/**
 * Check the module's imports (when `s.checkModule` is set) and, for isolation
 * `"process"`, settle how a worker process starts (resolves `null` for threads).
 * Rejects with what the check threw, or with what finding the Deno config threw.
 *
 * @example Threads with no import check need nothing settled
 * ```ts
 * import { poolSettings } from "./_pool_setup.ts";
 * import { prepareWorkers } from "./_pool_start.ts";
 *
 * const module = "data:application/javascript,export default (n) => n";
 * console.log(await prepareWorkers(poolSettings(module, { checkModule: null }))); // null
 * ```
 */
export async function prepareWorkers(s: PoolSettings): Promise<ProcessTransportOptions | null> {
  if (s.checkModule !== null) {
    await checkExtractor(s.checkModule, { allowImports: s.allowImports });
  }
  if (s.isolation !== "process") return null;
  const { config, lock } = await findDenoConfig();
  const hosts = importHosts(s.allowImports);
  return {
    maxMemoryMb: s.maxMemoryMb,
    config,
    importHosts: hosts,
    frozenLock: lock !== null && hosts.length === 0,
  };
}

/**
 * Start one worker from `entry` (see `entryModule`): a thread, or with isolation
 * `"process"` a process started with `processOptions` (from {@linkcode prepareWorkers}).
 * Throws when it cannot be started.
 *
 * @example Start a thread, wait until it is ready, stop it
 * ```ts
 * import { entryModule, poolSettings } from "./_pool_setup.ts";
 * import { startWorker } from "./_pool_start.ts";
 *
 * const module = "data:application/javascript,export default (n) => n * 2";
 * const s = poolSettings(module, { checkModule: null });
 * const ready = Promise.withResolvers<void>();
 * const worker = startWorker(s, entryModule(module, s.exportName, s.isolation), null, {
 *   reply: (reply) => reply.type === "ready" && ready.resolve(),
 *   death: (death) => ready.reject(new Error(death.message)),
 * });
 * await ready.promise;
 * await worker.terminate();
 * ```
 */
export function startWorker(
  s: PoolSettings,
  entry: string,
  processOptions: ProcessTransportOptions | null,
  events: TransportEvents,
): Transport {
  return s.isolation === "thread"
    ? startThread(entry, events)
    : startProcess(entry, processOptions!, events);
}

/**
 * The error of a pool whose workers for `name` cannot start, because of `why`
 * (an error, or a message).
 *
 * @example A module that throws while loading
 * ```ts
 * import { cannotStart } from "./_pool_start.ts";
 *
 * const error = cannotStart("extract.ts", "its module throws: boom");
 * console.log(error.code, error.message); // INVALID_OPTION workers for extract.ts cannot start: its module throws: boom
 * ```
 */
export function cannotStart(name: string, why: unknown): TrawlError {
  return new TrawlError(
    "INVALID_OPTION",
    `workers for ${name} cannot start: ${why instanceof Error ? why.message : why}`,
  );
}
