/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The worker side of the worker pool. The pool starts each worker from a tiny
 * generated module that statically imports the user's module (a permission-less
 * worker may not `import()` a computed file URL) and then calls
 * {@linkcode serveWorker}, which registers `onmessage` synchronously and
 * announces readiness.
 *
 * @module
 */

import { serializeError, TrawlError } from "../trawl_error.ts";

/** A job message from the pool. */
export interface JobMessage {
  /** Job id, echoed back. */
  id: number;
  /** The input for the exported function. */
  input: unknown;
}

/** What a worker posts back: readiness, a value, or a serialized error. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "done"; id: number; value: unknown }
  | { type: "failed"; id: number; error: ReturnType<typeof serializeError> };

/**
 * Serve `mod[exportName](input)` for every job message, strictly one at a time
 * and in order (the pool posts several ahead and matches replies in order, and a
 * job's time limit runs from when the previous one replied).
 */
export function serveWorker(mod: Record<string, unknown>, exportName: string, moduleUrl: string) {
  const fn = mod[exportName];
  const post = (reply: WorkerReply) => self.postMessage(reply);
  const inbox: JobMessage[] = [];
  let draining = false;
  const runOne = async ({ id, input }: JobMessage) => {
    try {
      if (typeof fn !== "function") {
        throw new TrawlError(
          "INVALID_OPTION",
          `${moduleUrl} has no exported function "${exportName}"`,
        );
      }
      const value = await fn(input);
      try {
        post({ type: "done", id, value });
      } catch (e) {
        throw new TrawlError(
          "EXTRACT_ERROR",
          `the result of ${exportName}() cannot cross the worker boundary: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
    } catch (e) {
      post({ type: "failed", id, error: serializeError(e, "EXTRACT_ERROR") });
    }
  };
  const drain = async () => {
    draining = true;
    for (let job = inbox.shift(); job !== undefined; job = inbox.shift()) await runOne(job);
    draining = false;
  };
  self.onmessage = (event: MessageEvent<JobMessage>) => {
    inbox.push(event.data);
    if (!draining) void drain();
  };
  post({ type: "ready" });
}
