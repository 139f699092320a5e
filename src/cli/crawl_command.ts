/**
 * The `crawl` command: opens the seeds, the output and the state file, runs
 * {@linkcode crawl}, shows progress, handles Ctrl-C/SIGTERM/SIGHUP, commits a
 * durable crawl's progress, prints the summary, and returns the exit status.
 *
 * @module
 */

import { createCookieJar, type MemoryCookieJar } from "../cookies/cookie_jar.ts";
import { formatCookiesTxt, parseCookiesTxt } from "../cookies/cookies_txt.ts";
import { crawl, type CrawlRun } from "../crawl.ts";
import type { CrawlStatsSnapshot } from "../crawl_stats.ts";
import type { HostPolicy } from "../policy/host_policy.ts";
import { createSink, textFormat } from "../sinks/create_sink.ts";
import { createFileSink, type FileSink } from "../sinks/file_sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { TrawlError } from "../trawl_error.ts";
import { type CrawlState, openCrawlState, type StateConfig } from "./_crawl_state.ts";
import { type CliCommand, flagMessage } from "./parse_flags.ts";
import { readSeeds } from "./read_seeds.ts";
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

/**
 * The sink: stdout, or a file written by the sink itself (flushed at least every
 * second and at every stop, so a crash loses at most the last second). A resumed
 * durable crawl cuts the file back to its committed offset and appends.
 */
async function openOutput(
  command: CrawlCommand,
  state: CrawlState | null,
): Promise<Sink | FileSink> {
  const columns = command.options.select?.map((spec) => spec.slice(0, spec.indexOf("=")));
  if (command.out === null) {
    return createSink(command.format, Deno.stdout.writable, { closeWritable: false, columns });
  }
  const offset = state?.outputOffset ?? 0;
  const file = await Deno.open(command.out, {
    write: true,
    create: true,
    truncate: state === null,
  });
  if (state !== null) {
    const size = (await file.stat()).size;
    if (size < offset) {
      file.close();
      throw new TrawlError(
        "INVALID_OPTION",
        `--out ${command.out} holds ${size} bytes, fewer than the ${offset} the state file ` +
          `committed: it was changed since; restore it, or use --fresh to start over`,
      );
    }
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
  }
  return createFileSink(
    file,
    textFormat(command.format, { columns, resume: offset > 0, change: state !== null }),
    {
      offset,
    },
  );
}

/**
 * The settings a state file is bound to: what decides which URLs and which output,
 * the seed file included (its path, size and a hash of its first MiB; stdin cannot
 * be checked).
 */
async function stateConfig(command: CrawlCommand): Promise<StateConfig> {
  return {
    seeds: command.input === "-" ? "-" : absolute(command.input),
    "seed file": command.input === "-" ? null : await fingerprint(command.input),
    "--out": absolute(command.out!),
    "--format": command.format,
    ...crawlSettings(command.options),
  };
}

/**
 * The flags that decide which URLs a crawl visits and what its records hold: a
 * resumed crawl (`--state`) and every worker of a Redis crawl must give the same.
 */
export function crawlSettings(o: CrawlCommand["options"]): Record<string, unknown> {
  return {
    "--depth": o.maxDepth ?? null,
    "--scope": o.scope ?? null,
    "--include": o.include ?? [],
    "--exclude": o.exclude ?? [],
    "--select": o.select ?? [],
    "--extract": o.extractModule === undefined ? null : String(o.extractModule),
    "--max-pages": o.maxPages ?? null,
    "--max-pages-per-host": o.maxPagesPerHost ?? null,
    "--no-robots": o.robots === false,
    "--robots-agent": o.robotsAgent ?? null,
    // Seeds of their own: a resume or another worker must expand the same sitemaps.
    "--sitemaps": o.sitemaps === true ? true : null,
    "--sitemap": o.sitemapUrls ?? null,
  };
}

/**
 * What is wrong with the output, stats and state paths, checked before anything is
 * fetched (a crawl must not run for an hour to fail at its end): a missing
 * directory, a directory, the seed file itself, two outputs on one file. `null`
 * when they are fine.
 */
async function checkOutputs(command: CrawlCommand): Promise<string | null> {
  const paths: [flag: string, path: string | null][] = [
    ["--out", command.out],
    ["--stats", command.statsFile],
    ["--report", command.reportFile],
    ["--state", command.state],
    ["--cookies", command.cookiesFile],
  ];
  const input = command.input === "-" ? null : await realPath(command.input);
  const seen = new Map<string, string>();
  for (const [flag, path] of paths) {
    if (path === null) continue;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
    let dirInfo: Deno.FileInfo;
    try {
      dirInfo = await Deno.stat(dir);
    } catch (error) {
      // A missing permission is not a missing file: cli.ts names the flag to add.
      if (error instanceof Deno.errors.NotCapable) throw error;
      return `${flag} ${path}: the directory ${dir} does not exist; create it first`;
    }
    if (!dirInfo.isDirectory) return `${flag} ${path}: ${dir} is not a directory`;
    let real: string | null = null;
    try {
      const info = await Deno.stat(path);
      if (info.isDirectory) return `${flag} ${path} is a directory: give a file name`;
      real = await realPath(path);
    } catch {
      real = `${await realPath(dir)}/${path.slice(path.lastIndexOf("/") + 1)}`;
    }
    if (real !== null && real === input) {
      return `${flag} ${path} is the seed file: it would be overwritten before it is read`;
    }
    const other = real === null ? undefined : seen.get(real);
    if (other !== undefined) return `${flag} ${path} is also ${other}: give each its own file`;
    if (real !== null) seen.set(real, `${flag} ${path}`);
  }
  return null;
}

async function realPath(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

/**
 * `"<bytes> bytes, sha256 <hex of the first MiB>"`: enough to see a seed file that changed.
 *
 * @example Compare two seed files
 * ```ts ignore
 * const same = (await fingerprint("a.txt")) === (await fingerprint("b.txt"));
 * ```
 */
export async function fingerprint(path: string): Promise<string> {
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(2 ** 20);
    let n = 0;
    while (n < head.length) {
      const read = await file.read(head.subarray(n));
      if (read === null) break;
      n += read;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", head.subarray(0, n)));
    const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
    return `${(await file.stat()).size} bytes, sha256 ${hex}...`;
  } finally {
    file.close();
  }
}

/**
 * The first host among the seed file's first lines that this process may not
 * connect to (no `--allow-net` for it), or `null`: without the permission every
 * page would fail, so the crawl does not start.
 */
async function deniedSeedHost(input: string): Promise<string | null> {
  let head: string;
  try {
    const file = await Deno.open(input);
    try {
      const buffer = new Uint8Array(64 * 1024);
      const n = await file.read(buffer) ?? 0;
      head = new TextDecoder().decode(buffer.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return null; // read later, with its own message
  }
  for (const line of head.split(/\r\n|\n|\r/).slice(0, 100)) {
    const url = URL.parse(line.trim());
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
    const host = url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
    const { state } = await Deno.permissions.query({ name: "net", host });
    if (state !== "granted") return host;
  }
  return null;
}

/** The jar of a cookies.txt file; an empty one when the file does not exist yet. */
async function loadCookies(path: string): Promise<MemoryCookieJar> {
  const jar = createCookieJar();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return jar;
    throw new TrawlError(
      "INVALID_OPTION",
      `--cookies ${path}: cannot read it: ${(error as Error).message}`,
    );
  }
  await jar.load(parseCookiesTxt(text, path));
  return jar;
}

/** Write the jar to `path` whole or not at all: a temporary file beside it, then a rename. */
async function saveCookies(path: string, jar: MemoryCookieJar): Promise<void> {
  const temp = `${path}.tmp`;
  await Deno.writeTextFile(temp, formatCookiesTxt(await jar.list()), { mode: 0o600 });
  await Deno.rename(temp, path);
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
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
