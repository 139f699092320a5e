/**
 * The `schedule` command: `trawl schedule jobs.json` runs a job file's jobs on
 * their timetables until SIGTERM/SIGINT/SIGHUP (the first stops gracefully: the
 * running crawls finish their requests in flight and commit; a second abandons
 * them); `--once` runs every job once now and exits.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { loadJobFile } from "../schedule/job_file.ts";
import { createScheduler } from "../schedule/scheduler.ts";
import { oneLine, say } from "./crawl_command.ts";
import { SCHEDULE_HELP } from "./help.ts";

const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Run `trawl schedule <jobs.json> [--once]` (`args` after the command name);
 * resolves to the exit status: 0 stopped (or, with `--once`, every run ended
 * well), 1 a run of `--once` failed, 2 a usage error (an invalid job file).
 *
 * @example Run every job once
 * ```ts ignore
 * import { runScheduleCommand } from "./schedule_command.ts";
 *
 * Deno.exit(await runScheduleCommand(["jobs.json", "--once"]));
 * ```
 */
export async function runScheduleCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { once: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    say(`trawl: ${oneLine(error).replace(/\. To specify.*$/, "")}; see schedule --help\n`);
    return 2;
  }
  if (parsed.values.help) {
    await Deno.stdout.write(new TextEncoder().encode(SCHEDULE_HELP));
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    say("trawl: schedule needs one job file: 'schedule jobs.json' (see schedule --help)\n");
    return 2;
  }
  let jobs;
  try {
    jobs = await loadJobFile(file);
  } catch (error) {
    say(`trawl: ${oneLine(error)}\n`);
    return 2;
  }
  const scheduler = createScheduler(jobs);
  let signals = 0;
  let stopped: Promise<void> | null = null;
  const { promise: ended, resolve: end } = Promise.withResolvers<void>();
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      say(
        `trawl schedule: stopping: ${scheduler.running} running job(s) finish their requests ` +
          `in flight (again to abandon them)\n`,
      );
      stopped = scheduler.stop().then(end);
    } else scheduler.abort();
  };
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  try {
    if (parsed.values.once) {
      const records = await scheduler.runOnce();
      await stopped;
      return records.some((r) => r.status === "failed") ? 1 : 0;
    }
    say(`trawl schedule: ${jobs.length} job(s) from ${file}; stop with Ctrl-C or SIGTERM\n`);
    scheduler.start();
    await ended;
    say("trawl schedule: stopped\n");
    return 0;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, onSignal);
  }
}
