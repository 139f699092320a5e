/**
 * A worker that is a separate Deno process: `deno run` with no permissions, a
 * V8 heap limit (`--max-old-space-size`), no network for modules
 * (`--cached-only`, `--no-remote` unless imports were allowed), speaking frames
 * on stdin/stdout. Whatever it does (allocate without bound, exit, crash), this
 * process survives and learns of it from the exit status at once.
 *
 * Memory: the heap limit does not cover `ArrayBuffer`s (measured: 3 GB of
 * buffers in a process with a 128 MB heap), so on Linux the resident size is
 * also read from `/proc` every {@linkcode RSS_CHECK_MS} ms and a process past
 * `maxMemoryMb + RSS_HEADROOM_MB` is killed.
 *
 * @module
 */

import { encodeFrame, FrameReader } from "./_frame_codec.ts";
import type { Transport, TransportEvents } from "./_transport.ts";
import type { WorkerReply } from "./_worker_main.ts";

/** Resident-size allowance over the heap limit: code, young generation, buffers. */
export const RSS_HEADROOM_MB = 256;
/** How often the resident size is read. */
export const RSS_CHECK_MS = 100;

/** How to start an extraction process. */
export interface ProcessTransportOptions {
  /** V8 old-space limit, MB; resident limit is this plus {@linkcode RSS_HEADROOM_MB}. */
  maxMemoryMb: number;
  /** `--config` for module resolution, or `null` for `--no-config`. */
  config: string | null;
  /** `host:port`s remote imports may come from (`--allow-import`); empty means `--no-remote`. */
  importHosts: readonly string[];
  /** Pass `--frozen`: the lock file may not change. */
  frozenLock: boolean;
}

const OOM = /out of memory|Last few GCs/i;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Start an extraction process running `entry` (a `data:` module URL). */
export function startProcess(
  entry: string,
  options: ProcessTransportOptions,
  events: TransportEvents,
): Transport {
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    `--v8-flags=--max-old-space-size=${options.maxMemoryMb}`,
    "--cached-only",
    options.config ? `--config=${options.config}` : "--no-config",
    options.importHosts.length > 0
      ? `--allow-import=${options.importHosts.join(",")}`
      : "--no-remote",
    ...(options.frozenLock ? ["--frozen"] : []),
    entry,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  let live = true;
  let heapOom = false;
  let rssKill = "";
  let tail = "";

  const stdoutDone = (async () => {
    const frames = new FrameReader();
    try {
      for await (const chunk of child.stdout) {
        for (const reply of frames.push(chunk)) if (live) events.reply(reply as WorkerReply);
      }
    } catch (e) {
      if (!live) return;
      live = false;
      kill();
      events.death({
        kind: "protocol",
        message: `its output is garbled (${e instanceof Error ? e.message : e})`,
      });
    }
  })();
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      const text = decoder.decode(chunk, { stream: true });
      tail = (tail + text).slice(-4096);
      if (!heapOom && OOM.test(tail)) heapOom = true;
      // The module's console output goes on to ours; V8's out-of-memory report does not.
      if (!heapOom) {
        try {
          Deno.stderr.writeSync(chunk);
        } catch { /* stderr closed: drop it */ }
      }
    }
  })();

  const rssLimitKb = (options.maxMemoryMb + RSS_HEADROOM_MB) * 1024;
  let watchdog: ReturnType<typeof setInterval> | undefined = setInterval(() => {
    let rssKb = 0;
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      stopWatchdog(); // not Linux, no permission, or gone: the heap limit alone holds
      return;
    }
    if (rssKb > rssLimitKb) {
      rssKill = `resident size ${Math.round(rssKb / 1024)} MB over the limit of ${
        Math.round(rssLimitKb / 1024)
      } MB`;
      kill();
    }
  }, RSS_CHECK_MS);
  Deno.unrefTimer(watchdog as unknown as number);
  function stopWatchdog() {
    if (watchdog !== undefined) clearInterval(watchdog);
    watchdog = undefined;
  }
  function kill() {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  const exited = child.status.then(async (status) => {
    stopWatchdog();
    await Promise.allSettled([stdoutDone, stderrDone]);
    writer.abort().catch(() => {});
    if (!live) return;
    live = false;
    const lines = tail.replace(ANSI, "").split("\n").map((l) => l.trim()).filter((l) => l);
    const last = lines.findLast((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "";
    if (heapOom || rssKill) {
      events.death({
        kind: "oom",
        message: `out of memory (${rssKill || `V8 heap over ${options.maxMemoryMb} MB`})`,
      });
    } else if (status.success) {
      events.death({ kind: "exit", message: "the process exited (code 0)" });
    } else {
      const how = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
      events.death({
        kind: status.signal ? "crash" : "exit",
        message: `the process ended (${how})${last ? `: ${last}` : ""}`,
      });
    }
  });

  return {
    copies: true,
    post(message) {
      const frame = encodeFrame(message);
      writer.write(frame).catch(() => {}); // a dead process is reported by its exit
    },
    async terminate() {
      live = false;
      stopWatchdog();
      kill();
      await exited;
    },
  };
}
