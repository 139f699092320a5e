/**
 * The trawl command: opens the seeds and the output, runs {@linkcode crawl},
 * shows progress, handles Ctrl-C, prints the summary, and returns the exit status.
 *
 * @module
 */

import { crawl } from "../crawl.ts";
import { createSink } from "../sinks/create_sink.ts";
import { TrawlError } from "../trawl_error.ts";
import { HELP } from "./help.ts";
import { parseFlags } from "./parse_flags.ts";
import { readSeeds } from "./read_seeds.ts";
import { formatProgress, formatSummary } from "./summary.ts";

const encoder = new TextEncoder();

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
  const file = out === null
    ? null
    : await Deno.open(out, { write: true, create: true, truncate: true });
  const sink = createSink(format, file ? file.writable : Deno.stdout.writable, {
    closeWritable: file !== null,
    columns: options.select?.map((spec) => spec.slice(0, spec.indexOf("="))),
  });

  const abort = new AbortController();
  const run = crawl(readSeeds(input), {
    ...options,
    signal: abort.signal,
    onWarning: (message) => say(`${progressClear()}trawl: warning: ${message}\n`),
  });
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
  Deno.addSignalListener("SIGINT", onInterrupt);
  const tty = !quiet && Deno.stderr.isTerminal();
  let shown = false;
  const progressClear = () => (shown ? "\r\x1b[2K" : "");
  const ticker = tty
    ? setInterval(() => {
      say(`\r\x1b[2K${formatProgress(run.stats.snapshot())}`);
      shown = true;
    }, 250)
    : undefined;

  let status = 0;
  try {
    for await (const record of run) await sink.write(record);
  } catch (error) {
    const usageError = error instanceof TrawlError &&
      (error.code === "INVALID_OPTION" || error.code === "BAD_SELECTOR");
    say(`${progressClear()}trawl: ${usageError ? "" : "fatal: "}${(error as Error).message}\n`);
    status = usageError ? 2 : 1;
  } finally {
    clearInterval(ticker);
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await sink.close();
  }
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
