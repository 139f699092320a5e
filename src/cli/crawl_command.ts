/**
 * The `crawl` command: opens the seeds, the output and the state file, runs
 * {@linkcode crawl}, shows progress, handles Ctrl-C/SIGTERM/SIGHUP, commits a
 * durable crawl's progress, prints the summary, and returns the exit status.
 *
 * @module
 */

import type { MemoryCookieJar } from "../cookies/cookie_jar.ts";
import { crawl, type CrawlRun } from "../crawl.ts";
import type { CrawlStatsSnapshot } from "../crawl_stats.ts";
import type { HostPolicy } from "../policy/host_policy.ts";
import type { FileSink } from "../sinks/file_sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { TrawlError } from "../trawl_error.ts";
import { type CrawlState, openCrawlState } from "./_crawl_state.ts";
import { type CliCommand, flagMessage } from "./parse_flags.ts";
import { readSeeds } from "./read_seeds.ts";
import {
  checkOutputs,
  deniedSeedHost,
  loadCookies,
  openOutput,
  saveCookies,
  stateConfig,
} from "./_crawl_files.ts";
import { formatProgress, formatSummary } from "./summary.ts";
import { createReportRecorder } from "../report/report_recorder.ts";
import { renderReport } from "../report/render_report.ts";

const encoder = new TextEncoder();
/** Signals that stop a crawl gracefully (the first time) or at once (the second). */
const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** How often a durable crawl commits its acknowledged records and output offset. */
const COMMIT_MS = 250;

/** Write to stderr. */
export function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}
const sayToStderr = say;

/** The parsed `crawl` command line. */
export type CrawlCommand = Extract<CliCommand, { kind: "crawl" }>;

/**
 * Run a parsed `crawl` command; resolves to the exit status: 0 the crawl completed
 * (failed pages are in the output), 1 a fatal error, 2 a usage error.
 *
 * @example From a script
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { runCrawlCommand } from "./crawl_command.ts";
 *
 * const command = parseFlags(["crawl", "urls.txt", "-o", "out.jsonl"]);
 * if (command.kind === "crawl") Deno.exit(await runCrawlCommand(command));
 * ```
 */
export async function runCrawlCommand(command: CrawlCommand): Promise<number> {
  return (await runCrawl(command)).exitCode;
}

/**
 * Options for {@linkcode runCrawl}: what a scheduler injects into a crawl command.
 *
 * @example Stop a crawl from outside
 * ```ts
 * import type { RunCrawlOptions } from "./crawl_command.ts";
 *
 * const stop = new AbortController();
 * const options: RunCrawlOptions = { stopSignal: stop.signal, handleSignals: false };
 * ```
 */
export interface RunCrawlOptions {
  /** Aborting ends the crawl at once: requests in flight end `ABORTED`; the state is committed. @default {undefined} */
  signal?: AbortSignal;
  /** Aborting stops admitting work: requests in flight finish; the state is committed. @default {undefined} */
  stopSignal?: AbortSignal;
  /** The host policy (shared by a scheduler's jobs). @default {the crawl's own, from its flags} */
  hostPolicy?: HostPolicy;
  /** Listen to SIGINT/SIGTERM/SIGHUP (the `crawl` command does; a scheduler handles them itself). @default {true} */
  handleSignals?: boolean;
  /** Where messages go (each ends with a newline). @default {stderr} */
  say?: (text: string) => void;
}

/**
 * How a crawl command ended.
 *
 * @example Read the outcome
 * ```ts
 * import type { CrawlCommandResult } from "./crawl_command.ts";
 *
 * const line = (r: CrawlCommandResult) => `${r.status}: ${r.stats?.pages ?? 0} pages`;
 * ```
 */
export interface CrawlCommandResult {
  /** 0 completed (or already complete, or stopped), 1 fatal, 2 usage. */
  exitCode: number;
  /** `completed`, `stopped` (gracefully, resumable), `aborted`, `failed` (exit 1 or 2), or `already-complete`. */
  status: "completed" | "stopped" | "aborted" | "failed" | "already-complete";
  /** The crawl's stats when it ran, else `null`. */
  stats: CrawlStatsSnapshot | null;
  /** The error's one-line message when it failed. */
  error: string | null;
}

/**
 * Run a parsed `crawl` command with injected signals, host policy and message
 * sink; resolves to how it ended. The `crawl` command is `runCrawl(command)`.
 *
 * @example Run a crawl command line from a program
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { runCrawl } from "./crawl_command.ts";
 *
 * const command = parseFlags(["crawl", "urls.txt", "-o", "out.jsonl", "--quiet"]);
 * if (command.kind === "crawl") console.log((await runCrawl(command, { handleSignals: false })).status);
 * ```
 */
export async function runCrawl(
  command: CrawlCommand,
  runOptions: RunCrawlOptions = {},
): Promise<CrawlCommandResult> {
  const out = runOptions.say ?? sayToStderr;
  /** The last message: the error's, when the command fails (every failure ends with one). */
  let last = "";
  const say = (text: string) => {
    last = text;
    out(text);
  };
  let run: CrawlRun | undefined;
  let already = false;
  let stopped = false;
  const abort = new AbortController();
  const result = (exitCode: number): CrawlCommandResult => ({
    exitCode,
    status: exitCode !== 0
      ? "failed"
      : already
      ? "already-complete"
      : abort.signal.aborted
      ? "aborted"
      : stopped
      ? "stopped"
      : "completed",
    stats: run?.stats.snapshot() ?? null,
    error: exitCode === 0 ? null : last.replace(/^\s*trawl: (fatal: )?/, "").trim(),
  });
  const exit = await crawlCommand(command, runOptions, say, abort, {
    run: (r) => (run = r),
    already: () => (already = true),
    stopped: () => (stopped = true),
  });
  return result(exit);
}

/** What {@linkcode crawlCommand} tells {@linkcode runCrawl} as it goes. */
interface Observer {
  run(run: CrawlRun): void;
  already(): void;
  stopped(): void;
}

async function crawlCommand(
  command: CrawlCommand,
  runOptions: RunCrawlOptions,
  say: (text: string) => void,
  abort: AbortController,
  observe: Observer,
): Promise<number> {
  const { input, options, statsFile, quiet } = command;
  if (input !== "-") {
    try {
      if (!(await Deno.stat(input)).isFile) throw new Error("not a file");
    } catch (error) {
      // A missing permission is not a missing file: cli.ts names the flag to add.
      if (error instanceof Deno.errors.NotCapable) throw error;
      say(
        `trawl: cannot read seed file '${input}': give a file with one URL per line, or '-' for stdin\n`,
      );
      return 1;
    }
  }
  const denied = input === "-" ? null : await deniedSeedHost(input);
  if (denied !== null) {
    say(
      `trawl: missing permission: net access to "${denied}"; run again with ` +
        `--allow-net=${denied} (or --allow-net, or -A)\n`,
    );
    return 1;
  }
  const badPath = await checkOutputs(command);
  if (badPath !== null) {
    say(`trawl: ${badPath}\n`);
    return 2;
  }
  let state: CrawlState | null = null;
  if (command.state !== null) {
    try {
      const opened = await openCrawlState(command.state, await stateConfig(command), {
        fresh: command.fresh,
        recrawl: command.recrawl,
      });
      if (opened === "complete") {
        observe.already();
        say(
          `trawl: the crawl in ${command.state} is complete: nothing to do ` +
            `(--recrawl starts its next run, --fresh starts it over)\n`,
        );
        return 0;
      }
      state = opened;
    } catch (error) {
      say(`trawl: ${oneLine(error)}\n`);
      return error instanceof TrawlError && error.code === "INVALID_OPTION" ? 2 : 1;
    }
  }

  let cookieJar: MemoryCookieJar | undefined;
  if (command.cookiesFile !== null) {
    try {
      cookieJar = await loadCookies(command.cookiesFile);
    } catch (error) {
      await state?.close();
      say(`trawl: ${oneLine(error)}\n`);
      return error instanceof TrawlError && error.code === "INVALID_OPTION" ? 2 : 1;
    }
  }

  const recorder = command.reportFile === null ? null : createReportRecorder();
  let shown = false;
  const progressClear = () => (shown ? "\r\x1b[2K" : "");
  let run: CrawlRun;
  try {
    // Before the output is opened: options crawl() refuses must not truncate --out.
    const warn = (message: string) => say(`${progressClear()}trawl: warning: ${message}\n`);
    run = crawl(readSeeds(input, { onSkip: warn }), {
      ...options,
      store: state?.store ?? options.store,
      history: state?.store.history ?? options.history,
      cookieJar: cookieJar ?? options.cookieJar,
      // With --state the queue lives on disk: no bound unless one is given.
      maxQueued: options.maxQueued ?? (state === null ? undefined : Infinity),
      maxQueuedPerHost: options.maxQueuedPerHost ?? (state === null ? undefined : Infinity),
      hostPolicy: runOptions.hostPolicy ?? options.hostPolicy,
      signal: abort.signal,
      onWarning: warn,
      onEvent: recorder === null ? options.onEvent : (event) => {
        recorder.handle(event);
        options.onEvent?.(event);
      },
    });
    observe.run(run);
  } catch (error) {
    await state?.close();
    const usageError = isUsageError(error);
    say(
      `trawl: ${usageError ? oneLine(flagMessage(error as Error)) : `fatal: ${oneLine(error)}`}\n`,
    );
    return usageError ? 2 : 1;
  }
  let sink: Sink | FileSink;
  try {
    sink = await openOutput(command, state);
  } catch (error) {
    await state?.close();
    say(`trawl: ${oneLine(error)}\n`);
    return 1;
  }
  if (state?.resumed && !quiet) {
    say(
      `trawl: resuming the crawl in ${command.state} (output kept up to byte ${state.outputOffset})\n`,
    );
  } else if (state !== null && state.run > 1 && !quiet) {
    say(`trawl: recrawling ${command.state}: run ${state.run}\n`);
  }

  // Ctrl-C, and SIGTERM/SIGHUP as sent by docker stop, systemd, Kubernetes or a closed
  // terminal: stop admitting, finish what is in flight, flush; a second one abandons it.
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      say(
        `${progressClear()}trawl: stopping: finishing requests in flight (Ctrl-C again to abandon them)\n`,
      );
      run.stop();
    } else abort.abort(new TrawlError("ABORTED", "interrupted"));
  };
  const handleSignals = runOptions.handleSignals ?? true;
  if (handleSignals) {
    for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onInterrupt);
  }
  // Injected: a stop is the first Ctrl-C (quietly), an abort the second.
  const onStop = () => {
    interrupts++;
    observe.stopped();
    run.stop();
  };
  const onAbort = () => abort.abort(runOptions.signal!.reason);
  if (runOptions.stopSignal?.aborted) onStop();
  else runOptions.stopSignal?.addEventListener("abort", onStop, { once: true });
  if (runOptions.signal?.aborted) onAbort();
  else runOptions.signal?.addEventListener("abort", onAbort, { once: true });
  const tty = !quiet && Deno.stderr.isTerminal();
  const ticker = tty
    ? setInterval(() => {
      say(`\r\x1b[2K${formatProgress(run.stats.snapshot())}`);
      shown = true;
    }, 250)
    : undefined;

  // A durable crawl commits between records, never while one is being acknowledged: the
  // output synced up to the end of the last acknowledged record, then that offset with
  // the staged acks, in one transaction (see _crawl_state.ts).
  const file = state === null ? null : sink as FileSink;
  let lastCommit = performance.now();
  /** The output's end after the last acknowledged record. */
  let acked = file?.offset ?? 0;
  const commit = async (offset: number) => {
    await file!.sync();
    await state!.commit(offset);
    lastCommit = performance.now();
  };

  let status = 0;
  let written = 0;
  let completed = false;
  try {
    for await (const record of run) {
      // Every record written before this one was acknowledged when this one was asked for,
      // and none is acknowledged while this body runs.
      if (file !== null) {
        acked = file.offset;
        if (performance.now() - lastCommit >= COMMIT_MS) await commit(acked);
      }
      if (command.changedOnly && record.change === "unchanged") continue;
      await sink.write(record);
      written++;
    }
    // The loop asked for more after the last record: it is acknowledged too.
    if (file !== null) acked = file.offset;
    completed = interrupts === 0 && !abort.signal.aborted;
  } catch (error) {
    // A RangeError or TypeError before the first record is an option the crawl refused
    // as it started; later it is a fault like any other.
    const usageError = isUsageError(error, written === 0);
    say(
      `${progressClear()}trawl: ${
        usageError ? oneLine(flagMessage(error as Error)) : `fatal: ${oneLine(error)}`
      }\n`,
    );
    status = usageError ? 2 : 1;
  } finally {
    clearInterval(ticker);
    if (handleSignals) {
      for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onInterrupt);
    }
    runOptions.stopSignal?.removeEventListener("abort", onStop);
    runOptions.signal?.removeEventListener("abort", onAbort);
    try {
      if (state !== null) {
        // A record whose write failed (or that the loop broke out on) is not acknowledged:
        // the committed offset ends before it, and its URL is fetched again on resume.
        await commit(acked);
        await sink.close();
        if (completed) await state.complete(file!.offset);
        await state.close();
      } else await sink.close();
    } catch (error) {
      say(`${progressClear()}trawl: fatal: ${oneLine(error)}\n`);
      status = 1;
    }
  }
  if (status === 2) return status;
  if (cookieJar !== undefined) {
    try {
      await saveCookies(command.cookiesFile!, cookieJar);
    } catch (error) {
      say(`${progressClear()}trawl: fatal: --cookies ${command.cookiesFile}: ${oneLine(error)}\n`);
      status = 1;
    }
  }
  const snapshot = run.stats.snapshot();
  if (statsFile) await Deno.writeTextFile(statsFile, JSON.stringify(snapshot, null, 2) + "\n");
  if (recorder !== null) {
    try {
      const html = renderReport(recorder.data(), { subtitle: `trawl crawl ${input}` });
      await Deno.writeTextFile(command.reportFile!, html);
    } catch (error) {
      say(`${progressClear()}trawl: fatal: --report ${command.reportFile}: ${oneLine(error)}\n`);
      status = 1;
    }
  }
  if (!quiet) {
    say(
      `${progressClear()}${
        formatSummary(snapshot, { maxDepth: options.maxDepth, interrupted: interrupts > 0 })
      }\n`,
    );
  }
  return status;
}

/** Options refused: a usage error (exit 2), also a RangeError/TypeError while `starting`. */
function isUsageError(error: unknown, starting = true): boolean {
  if (error instanceof TrawlError) {
    return error.code === "INVALID_OPTION" || error.code === "BAD_SELECTOR";
  }
  return starting && (error instanceof RangeError || error instanceof TypeError);
}

/** An error's message on one line, no stack trace. */
export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
}
