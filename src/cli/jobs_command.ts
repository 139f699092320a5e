/**
 * The `jobs` command: `trawl jobs jobs.json` prints each job's last run (start,
 * duration, status, pages, new/changed/gone, failed) from its state file and its
 * next run; `--json` for scripts.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Cron } from "croner";
import { loadJobFile } from "../schedule/job_file.ts";
import { readRuns, type RunRecord } from "../schedule/run_history.ts";
import { oneLine, say } from "./crawl_command.ts";
import { JOBS_HELP } from "./help.ts";

/**
 * One job as `jobs --json` prints it.
 *
 * @example Read a job's status
 * ```ts
 * import type { JobStatus } from "./jobs_command.ts";
 *
 * const show = (j: JobStatus) => `${j.job}: ${j.lastRun?.status ?? "never ran"}, next ${j.nextRun}`;
 * ```
 */
export interface JobStatus {
  job: string;
  cron: string;
  timezone: string;
  /** The newest run in the job's state file, or `null`. */
  lastRun: (RunRecord & { durationMs: number | null }) | null;
  /** The next time on the job's timetable (ISO, UTC), or `null`. */
  nextRun: string | null;
}

/**
 * The status of every job in the job file at `path`.
 *
 * @example Print next runs
 * ```ts ignore
 * import { jobStatuses } from "./jobs_command.ts";
 *
 * for (const j of await jobStatuses("jobs.json")) console.log(j.job, j.nextRun);
 * ```
 */
export async function jobStatuses(path: string, now = new Date()): Promise<JobStatus[]> {
  return (await loadJobFile(path)).map((job) => {
    const last = readRuns(job.state)[0] ?? null;
    const next = new Cron(job.cron, { timezone: job.timezone, paused: true }).nextRun(now);
    return {
      job: job.name,
      cron: job.cron,
      timezone: job.timezone,
      lastRun: last === null ? null : {
        ...last,
        durationMs: last.endedAt === null
          ? null
          : Date.parse(last.endedAt) - Date.parse(last.startedAt),
      },
      nextRun: next?.toISOString() ?? null,
    };
  });
}

/**
 * Run `trawl jobs <jobs.json> [--json]` (`args` after the command name); resolves
 * to the exit status (2 for a usage error or an invalid job file).
 *
 * @example Print the table
 * ```ts ignore
 * import { runJobsCommand } from "./jobs_command.ts";
 *
 * Deno.exit(await runJobsCommand(["jobs.json"]));
 * ```
 */
export async function runJobsCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    say(`trawl: ${oneLine(error).replace(/\. To specify.*$/, "")}; see jobs --help\n`);
    return 2;
  }
  if (parsed.values.help) {
    await Deno.stdout.write(new TextEncoder().encode(JOBS_HELP));
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    say("trawl: jobs needs one job file: 'jobs jobs.json' (see jobs --help)\n");
    return 2;
  }
  let statuses: JobStatus[];
  try {
    statuses = await jobStatuses(file);
  } catch (error) {
    say(`trawl: ${oneLine(error)}\n`);
    return 2;
  }
  const text = parsed.values.json
    ? JSON.stringify(statuses, null, 2) + "\n"
    : formatJobsTable(statuses);
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}

/**
 * The `jobs` table: one row per job.
 *
 * @example A table of no runs
 * ```ts
 * import { formatJobsTable } from "./jobs_command.ts";
 *
 * console.log(formatJobsTable([{ job: "shop", cron: "0 3 * * *", timezone: "UTC", lastRun: null, nextRun: null }]));
 * ```
 */
export function formatJobsTable(statuses: readonly JobStatus[]): string {
  const dash = (v: number | string | null | undefined) =>
    v === null || v === undefined ? "-" : String(v);
  const rows = [
    [
      "JOB",
      "LAST START",
      "DURATION",
      "STATUS",
      "PAGES",
      "NEW",
      "CHANGED",
      "GONE",
      "FAILED",
      "NEXT RUN",
    ],
    ...statuses.map((s) => {
      const r = s.lastRun;
      return [
        s.job,
        r === null ? "never" : r.startedAt.replace(/\.\d+Z$/, "Z"),
        r?.durationMs == null ? "-" : `${(r.durationMs / 1000).toFixed(1)} s`,
        r === null ? "-" : r.status,
        dash(r?.pages),
        dash(r?.new),
        dash(r?.changed),
        dash(r?.gone),
        dash(r?.failed),
        s.nextRun === null ? "-" : s.nextRun.replace(/\.\d+Z$/, "Z"),
      ];
    }),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n") + "\n";
}
