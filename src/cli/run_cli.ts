/**
 * The trawl command: opens the seeds and the output, runs {@linkcode crawl},
 * shows progress, handles Ctrl-C, prints the summary, and returns the exit status.
 *
 * @module
 */

import { crawl, type CrawlRun } from "../crawl.ts";
import { createSink, textFormat } from "../sinks/create_sink.ts";
import { createFileSink } from "../sinks/file_sink.ts";
import { TrawlError } from "../trawl_error.ts";
import { HELP } from "./help.ts";
import { flagMessage, parseFlags } from "./parse_flags.ts";
import { readSeeds } from "./read_seeds.ts";
import { formatProgress, formatSummary } from "./summary.ts";

const encoder = new TextEncoder();
/** Signals that stop a crawl gracefully (the first time) or at once (the second). */
const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * Run the command line `args`; resolves to the exit status: 0 the crawl completed
 * (failed pages are in the output), 1 a fatal error, 2 a usage error.
 *
 * @example From a script
 * ```ts ignore
 * import { runCli } from "./run_cli.ts";
 *
 * Deno.exit(await runCli(["crawl", "urls.txt", "--quiet"]));
 * ```
 */
export async function runCli(args: string[]): Promise<number> {
  let command;
  try {
    command = parseFlags(args);
  } catch (error) {
    say(`trawl: ${(error as Error).message}\n`);
    return 2;
  }
  if (command.kind === "help") {
    await Deno.stdout.write(encoder.encode(HELP));
    return 0;
  }

  const { input, options, format, out, statsFile, quiet } = command;
  if (input !== "-") {
    try {
      if (!(await Deno.stat(input)).isFile) throw new Error("not a file");
    } catch {
      say(
        `trawl: cannot read seed file '${input}': give a file with one URL per line, or '-' for stdin\n`,
      );
      return 1;
    }
  }
  const abort = new AbortController();
  let shown = false;
  const progressClear = () => (shown ? "\r\x1b[2K" : "");
  let run: CrawlRun;
  try {
    // Before the output is opened: options crawl() refuses must not truncate --out.
    run = crawl(readSeeds(input), {
      ...options,
      signal: abort.signal,
      onWarning: (message) => say(`${progressClear()}trawl: warning: ${message}\n`),
    });
  } catch (error) {
    const usageError = isUsageError(error);
    say(`trawl: ${usageError ? flagMessage(error as Error) : `fatal: ${oneLine(error)}`}\n`);
    return usageError ? 2 : 1;
  }
  const columns = options.select?.map((spec) => spec.slice(0, spec.indexOf("=")));
  // A file is written by the sink itself, flushed at least every second (and at every
  // stop), so a crash loses at most the last second of records.
  const sink = out === null
    ? createSink(format, Deno.stdout.writable, { closeWritable: false, columns })
    : createFileSink(
      await Deno.open(out, { write: true, create: true, truncate: true }),
      textFormat(format, { columns }),
    );

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
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onInterrupt);
  const tty = !quiet && Deno.stderr.isTerminal();
  const ticker = tty
    ? setInterval(() => {
      say(`\r\x1b[2K${formatProgress(run.stats.snapshot())}`);
      shown = true;
    }, 250)
    : undefined;

  let status = 0;
  let written = 0;
  try {
    for await (const record of run) {
      await sink.write(record);
      written++;
    }
  } catch (error) {
    // A RangeError or TypeError before the first record is an option the crawl refused
    // as it started; later it is a fault like any other.
    const usageError = isUsageError(error, written === 0);
    say(
      `${progressClear()}trawl: ${
        usageError ? flagMessage(error as Error) : `fatal: ${oneLine(error)}`
      }\n`,
    );
    status = usageError ? 2 : 1;
  } finally {
    clearInterval(ticker);
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onInterrupt);
    await sink.close();
  }
  if (status === 2) return status;
  const snapshot = run.stats.snapshot();
  if (statsFile) await Deno.writeTextFile(statsFile, JSON.stringify(snapshot, null, 2) + "\n");
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
function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
}
