/**
 * Evaluated in every pool worker (thread or process) before the user's module,
 * so what the module does later is seen: each job runs in an async context
 * holding its id, and
 * - an uncaught error or unhandled rejection, from a timer or a promise the job
 *   left behind, is caught (the worker lives on) and reported with the id of the
 *   job whose code scheduled it (timers are wrapped: Deno's `error` event loses
 *   the context of a timer callback, measured);
 * - `Deno.exit()`, `process.exit()` and `self.close()` first report which job
 *   called them, then end the worker.
 * Until {@linkcode setStrayHandler} is called (the module has loaded), errors are
 * left alone: a module that throws while loading fails the worker's start.
 *
 * This file must only ever be imported by a worker's entry module.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";

/** The id of the job whose code is running (`undefined` outside any job). */
export const jobContext: AsyncLocalStorage<number> = new AsyncLocalStorage<number>();

type StrayHandler = (error: unknown, id: number | undefined) => void;
type ExitHandler = (code: number, id: number | undefined) => void;

let onStray: StrayHandler | null = null;
let onExit: ExitHandler | null = null;

/** Start catching stray errors (call once the module has loaded). */
export function setStrayHandler(handler: StrayHandler): void {
  onStray = handler;
}

/** Be told, synchronously, before the module ends the worker. */
export function setExitHandler(handler: ExitHandler): void {
  onExit = handler;
}

const stray = (error: unknown): boolean => {
  if (!onStray) return false;
  onStray(error, jobContext.getStore());
  return true;
};

addEventListener("error", (event) => {
  if (stray(event.error ?? new Error(event.message))) event.preventDefault();
});
addEventListener("unhandledrejection", (event) => {
  if (stray(event.reason)) event.preventDefault();
});

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;
const wrapTimer = <T extends AnyFn>(original: T): T =>
  function (this: unknown, callback: unknown, ...rest: unknown[]) {
    if (typeof callback !== "function") return original.call(this, callback, ...rest);
    return original.call(this, function (this: unknown, ...args: unknown[]) {
      try {
        return callback.apply(this, args);
      } catch (e) {
        if (!stray(e)) throw e;
      }
    }, ...rest);
  } as T;
globalThis.setTimeout = wrapTimer(globalThis.setTimeout);
globalThis.setInterval = wrapTimer(globalThis.setInterval);

const lock = (target: object, key: string, value: unknown) => {
  try {
    Object.defineProperty(target, key, { value, writable: false, configurable: false });
  } catch { /* not configurable: left as it is */ }
};
const announce = (code: unknown) => {
  const handler = onExit;
  onExit = null; // once
  handler?.(typeof code === "number" ? code : 0, jobContext.getStore());
};
const exit = Deno.exit;
lock(Deno, "exit", (code?: number): never => {
  announce(code);
  return exit(code);
});
const processExit = process.exit.bind(process);
lock(process, "exit", (code?: number): never => {
  announce(code);
  return processExit(code);
});
if (typeof globalThis.close === "function") {
  const close = globalThis.close.bind(globalThis);
  lock(globalThis, "close", () => {
    announce(0);
    close();
  });
}
