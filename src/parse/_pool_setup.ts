/**
 * The worker pool's options checked once, with their defaults in one place, and
 * the generated entry module each worker starts from.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { validateImportPrefixes } from "./check_extractor_graph.ts";
import { resolveModuleUrl } from "./_module_url.ts";
import type { WorkerPoolOptions } from "./worker_pool.ts";

/** Where the user's code runs. */
export type Isolation = "thread" | "process";

/** The pool's options after checking, every default filled in. */
export interface PoolSettings {
  exportName: string;
  workers: number;
  lazy: boolean;
  maxQueued: number;
  timeoutMs: number;
  maxJobsPerWorker: number;
  maxBytesPerWorker: number;
  name: string;
  isolation: Isolation;
  maxMemoryMb: number;
  allowImports: string[];
  /** The module whose import graph is checked before any worker starts, or `null`. */
  checkModule: string | null;
}

/** Defaults of the options that have fixed ones. */
export const POOL_DEFAULTS = {
  exportName: "default",
  lazy: true,
  timeoutMs: 10_000,
  maxJobsPerWorker: 16,
  maxBytesPerWorker: Infinity,
  isolation: "thread" as Isolation,
  maxMemoryMb: 512,
} as const;

/** The raw options: `WorkerPoolOptions`, as the caller gave them. */
export type PoolOptionsInput = WorkerPoolOptions;

/** Check every option once; throws `TrawlError` `INVALID_OPTION` naming the option and value. */
export function poolSettings(moduleUrl: string, o: PoolOptionsInput): PoolSettings {
  const workers = int(
    "workers",
    o.workers ?? Math.max(1, (navigator.hardwareConcurrency ?? 2) - 1),
  );
  const isolation = o.isolation ?? POOL_DEFAULTS.isolation;
  if (isolation !== "thread" && isolation !== "process") {
    throw bad(`isolation must be "thread" or "process": received ${JSON.stringify(isolation)}`);
  }
  if (o.maxMemoryMb !== undefined && isolation !== "process") {
    throw bad(`maxMemoryMb needs isolation "process" (a thread shares this process's heap)`);
  }
  const maxBytesPerWorker = o.maxBytesPerWorker ?? POOL_DEFAULTS.maxBytesPerWorker;
  if (!(maxBytesPerWorker > 0)) {
    throw bad(`maxBytesPerWorker must be > 0: received ${maxBytesPerWorker}`);
  }
  const check = o.checkModule === undefined
    ? (moduleUrl.startsWith("file:") ? moduleUrl : null)
    : o.checkModule === null
    ? null
    : resolveModuleUrl(o.checkModule);
  return {
    exportName: o.exportName ?? POOL_DEFAULTS.exportName,
    workers,
    lazy: o.lazy ?? POOL_DEFAULTS.lazy,
    maxQueued: int("maxQueued", o.maxQueued ?? 2 * workers, 0),
    timeoutMs: int("timeoutMs", o.timeoutMs ?? POOL_DEFAULTS.timeoutMs),
    maxJobsPerWorker: int("maxJobsPerWorker", o.maxJobsPerWorker ?? POOL_DEFAULTS.maxJobsPerWorker),
    maxBytesPerWorker,
    name: o.name ?? moduleUrl,
    isolation,
    maxMemoryMb: int("maxMemoryMb", o.maxMemoryMb ?? POOL_DEFAULTS.maxMemoryMb, 16),
    allowImports: validateImportPrefixes(o.allowImports ?? []),
    checkModule: check,
  };
}

const here = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);

/**
 * The `data:` entry module of a worker: guards first, then the user's module, then serve.
 *
 * A thread imports the module statically: a dynamic `import()` would be type-checked
 * when the host runs with type checking (`deno test`), failing a loosely typed module.
 * A process (a `deno run` without checks) imports it with a literal `import()` (in its
 * graph, so the sandbox allows it) and reports a throw at load to the pool as
 * `unloadable`, rather than dying with Deno's "Uncaught" error and stack printed.
 */
export function entryModule(moduleUrl: string, exportName: string, isolation: Isolation): string {
  const mod = JSON.stringify(moduleUrl);
  const name = JSON.stringify(exportName);
  const src = isolation === "thread"
    ? `import ${here("./_worker_guard.ts")};\n` +
      `import { serveWorker } from ${here("./_worker_main.ts")};\n` +
      `import * as mod from ${mod};\n` +
      `serveWorker(mod, ${name}, ${mod});\n`
    : `import ${here("./_worker_guard.ts")};\n` +
      `import { frameOut } from ${here("./_process_guard.ts")};\n` +
      `import { serveProcess, unloadable } from ${here("./_worker_main.ts")};\n` +
      `let mod;\ntry { mod = await import(${mod}); } catch (error) { unloadable(error, frameOut); }\n` +
      `if (mod !== undefined) serveProcess(mod, ${name}, ${mod}, frameOut);\n`;
  return `data:application/javascript,${encodeURIComponent(src)}`;
}

function bad(message: string): TrawlError {
  return new TrawlError("INVALID_OPTION", message);
}

function int(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw bad(`${name} must be an integer >= ${min}: received ${value}`);
  }
  return value;
}
