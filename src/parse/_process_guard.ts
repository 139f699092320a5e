/**
 * Evaluated in an extraction process before the user's module: the process's
 * stdout carries the pool's frames, so `console` is pointed at stderr (which the
 * pool forwards) and `Deno.stdout` is replaced by `Deno.stderr`. The frame
 * writer keeps the real stdout, taken here first. (A module that still writes
 * to fd 1 another way garbles the stream: the pool then ends the process as a
 * crash.)
 *
 * This file must only ever be imported by an extraction process's entry module.
 *
 * @module
 */

import { Console } from "node:console";
import process from "node:process";

/** The process's real stdout, for frames only. */
export const frameOut: typeof Deno.stdout = Deno.stdout;

try {
  Object.defineProperty(Deno, "stdout", { value: Deno.stderr, configurable: false });
} catch { /* not configurable: left as it is */ }
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
