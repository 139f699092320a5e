/**
 * The worker side of the worker pool, for both kinds of worker. The pool starts
 * each one from a tiny generated entry module that imports `_worker_guard.ts`
 * (and, in a process, `_process_guard.ts`) first, then the user's module
 * statically (a permission-less worker may not `import()` a computed file URL),
 * then calls {@linkcode serveWorker} (a thread) or {@linkcode serveProcess} (a
 * subprocess speaking frames on stdin/stdout).
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { type ErrorInfo, serializeError, TrawlError } from "../trawl_error.ts";
import { jobContext, setExitHandler, setStrayHandler } from "./_worker_guard.ts";
import { encodeFrame, FrameReader } from "./_frame_codec.ts";

/** A job message from the pool. */
export interface JobMessage {
  /** Job id, echoed back. */
  id: number;
  /** The input for the exported function. */
  input: unknown;
}

/**
 * What a worker posts back: readiness, a value, a serialized error, an error
 * that surfaced after its job replied (`late`, `id` null when no job is known),
 * or notice that the module is ending the worker (`exit`, with the job that
 * asked, if known).
 */
export type WorkerReply =
  | { type: "ready" }
  | { type: "unloadable"; error: ErrorInfo }
  | { type: "done"; id: number; value: unknown }
  | { type: "failed"; id: number; error: ErrorInfo }
  | { type: "late"; id: number | null; error: ErrorInfo }
  | { type: "exit"; id: number | null; code: number };

/**
 * The worker's global scope, typed here rather than with `/// <reference lib="deno.worker" />`
 * (JSR refuses triple-slash directives that change globals in published files).
 */
interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent<JobMessage>) => void) | null;
}

function workerScope(): WorkerScope {
  return globalThis as unknown as WorkerScope;
}

/** Serve jobs in a Web Worker (replies by `postMessage`). */
export function serveWorker(
  mod: Record<string, unknown>,
  exportName: string,
  moduleUrl: string,
): void {
  serve(mod, exportName, moduleUrl, {
    post: (reply) => workerScope().postMessage(reply),
    listen: (onJob) => {
      workerScope().onmessage = (event) => onJob(event.data);
    },
    boundary: "worker",
  });
}

/**
 * The user's module threw while loading in an extraction process: tell the pool
 * (one frame on `out`, the process's frame stream), which ends the process and
 * fails with the error's message.
 */
export function unloadable(error: unknown, out: typeof Deno.stdout): void {
  writeFrame(out, { type: "unloadable", error: serializeError(error, "EXTRACT_ERROR") });
}

/** One reply as a frame on `out`, written whole before returning. */
function writeFrame(out: typeof Deno.stdout, reply: WorkerReply): void {
  const bytes = encodeFrame(reply);
  for (let at = 0; at < bytes.byteLength;) at += out.writeSync(bytes.subarray(at));
}

/**
 * Serve jobs in an extraction process: frames in on stdin, out on the real
 * stdout (kept by `_process_guard.ts`). Ends the process when stdin closes.
 */
export function serveProcess(
  mod: Record<string, unknown>,
  exportName: string,
  moduleUrl: string,
  out: typeof Deno.stdout,
): void {
  serve(mod, exportName, moduleUrl, {
    post: (reply) => writeFrame(out, reply),
    listen: async (onJob) => {
      const frames = new FrameReader();
      for await (const chunk of Deno.stdin.readable) {
        for (const job of frames.push(chunk)) onJob(job as JobMessage);
      }
      Deno.exit(0); // the pool closed our stdin: done
    },
    boundary: "process",
  });
}

interface Channel {
  post(reply: WorkerReply): void;
  listen(onJob: (job: JobMessage) => void): void;
  boundary: string;
}

/**
 * Serve `mod[exportName](input)` for every job, strictly one at a time and in
 * order (the pool posts several ahead and matches replies in order, and a job's
 * time limit runs from when the previous one replied).
 */
function serve(
  mod: Record<string, unknown>,
  exportName: string,
  moduleUrl: string,
  channel: Channel,
): void {
  const fn = mod[exportName];
  const inbox: JobMessage[] = [];
  let draining = false;
  /** The running job: a stray error charged to it fails it at once. */
  let current: { id: number; fail(error: unknown): void } | null = null;

  setStrayHandler((error, id) => {
    if (current !== null && id === current.id) current.fail(error);
    else {
      channel.post({
        type: "late",
        id: id ?? null,
        error: serializeError(error, "EXTRACT_ERROR"),
      });
    }
  });
  setExitHandler((code, id) => channel.post({ type: "exit", id: id ?? null, code }));

  const runOne = async ({ id, input }: JobMessage) => {
    let replied = false;
    const reply = (r: WorkerReply) => {
      if (replied) return;
      replied = true;
      channel.post(r);
    };
    const fail = (e: unknown) => reply({ type: "failed", id, error: serializeError(e) });
    let strayError: (e: unknown) => void = () => {};
    const stray = new Promise<never>((_, reject) => (strayError = reject));
    stray.catch(() => {});
    current = {
      id,
      fail: (e) =>
        strayError(
          new TrawlError(
            "EXTRACT_ERROR",
            `uncaught asynchronous error: ${serializeError(e).message}`,
          ),
        ),
    };
    try {
      if (typeof fn !== "function") {
        throw new TrawlError(
          "INVALID_OPTION",
          `${moduleUrl} has no exported function "${exportName}"`,
        );
      }
      const value = await Promise.race([jobContext.run(id, () => fn(input)), stray]);
      // One macrotask more, still as the current job: a rejection this job left
      // unhandled is reported before its result, and charged to it.
      await Promise.race([new Promise((resolve) => setImmediate(resolve)), stray]);
      try {
        reply({ type: "done", id, value });
      } catch (e) {
        replied = false;
        throw new TrawlError(
          "EXTRACT_ERROR",
          `the result of ${exportName}() cannot cross the ${channel.boundary} boundary: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
    } catch (e) {
      fail(e);
    } finally {
      current = null;
    }
  };
  const drain = async () => {
    draining = true;
    for (let job = inbox.shift(); job !== undefined; job = inbox.shift()) await runOne(job);
    draining = false;
  };
  channel.listen((job) => {
    inbox.push(job);
    if (!draining) void drain();
  });
  channel.post({ type: "ready" });
}
