/**
 * What the worker pool needs from one worker, whatever it is: a Web Worker
 * thread (this file) or an extraction subprocess (`_process_transport.ts`).
 *
 * @module
 */

import type { JobMessage, WorkerReply } from "./_worker_main.ts";

/** How a worker died. `exit`: it ended itself; `oom`: over its memory limit. */
export interface Death {
  kind: "crash" | "exit" | "oom" | "protocol";
  message: string;
}

/** Callbacks of one worker; none is called after `terminate()`. */
export interface TransportEvents {
  reply(reply: WorkerReply): void;
  death(death: Death): void;
}

/** One worker. */
export interface Transport {
  /** Whether `post` always copies its input (so a job can be re-sent), ignoring `transfer`. */
  readonly copies: boolean;
  /** Send a job; throws when the input cannot be sent. */
  post(message: JobMessage, transfer: Transferable[]): void;
  /** Stop the worker; resolves once its resources are released. */
  terminate(): Promise<void>;
}

/** Start a Web Worker with no permissions from `entry` (a module URL). */
export function startThread(entry: string, events: TransportEvents): Transport {
  const worker = new Worker(entry, { type: "module", deno: { permissions: "none" } });
  let live = true;
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    if (live) events.reply(event.data);
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // keep the error from taking down this thread
    if (live) events.death({ kind: "crash", message: event.message });
  };
  worker.onmessageerror = () => {
    if (live) events.death({ kind: "protocol", message: "a reply could not be deserialized" });
  };
  return {
    copies: false,
    post: (message, transfer) => worker.postMessage(message, transfer),
    terminate() {
      live = false;
      worker.onmessage = worker.onerror = worker.onmessageerror = null;
      worker.terminate();
      return Promise.resolve();
    },
  };
}
