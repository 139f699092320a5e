/**
 * One run of a job: the job's crawl command line (`crawl <seeds> <args...>
 * --state <state> -o <out>`, plus `--recrawl` for a later run) parsed by the
 * crawl's own flag parser and run by the same code as `trawl crawl`, with the
 * scheduler's signals and shared host policy injected.
 *
 * @module
 */

import { resolveCrawlOptions } from "../crawl_options.ts";
import { type CrawlCommand, runCrawl } from "../cli/crawl_command.ts";
import { parseFlags } from "../cli/parse_flags.ts";
import type { Job } from "./job_file.ts";
import type { RunMode, RunRecord, RunStatus } from "./run_history.ts";
import type { SharedHostPolicy } from "./shared_host_policy.ts";

/**
 * What one run is: which job, its number and times, how it crawls and where.
 *
 * @example A first run
 * ```ts
 * import type { RunPlan } from "./job_runner.ts";
 *
 * const describe = (p: RunPlan) => `${p.job.name} run ${p.run} (${p.mode}) -> ${p.out}`;
 * ```
 */
export interface RunPlan {
  job: Job;
  run: number;
  mode: RunMode;
  /** The run it resumes (`mode` `resume`). */
  resumes: number | null;
  /** Pass `--recrawl`: a later run of the job's crawl (or the resume of one). */
  recrawl: boolean;
  scheduledAt: Date;
  startedAt: Date;
  /** The output file (absolute). */
  out: string;
  /** The state file this run uses (the job's, or its own for an overlapping run). */
  state: string;
}

/**
 * Injected into a run.
 *
 * @example Options of a run
 * ```ts
 * import type { RunJobOptions } from "./job_runner.ts";
 * import { createSharedHostPolicy } from "./shared_host_policy.ts";
 *
 * const options: RunJobOptions = { hostPolicy: createSharedHostPolicy(), say: () => {} };
 * ```
 */
export interface RunJobOptions {
  /** The politeness every job of the scheduler shares. */
  hostPolicy: SharedHostPolicy;
  /** Aborts the run (`replace`, a second SIGTERM): requests in flight end `ABORTED`. @default {undefined} */
  signal?: AbortSignal;
  /** Stops the run gracefully (SIGTERM): requests in flight finish. @default {undefined} */
  stopSignal?: AbortSignal;
  /** The crawl's messages (each line ends with a newline). */
  say: (text: string) => void;
}

/**
 * The crawl command line of `plan`, parsed by the crawl's flag parser (throws its
 * usage errors).
 *
 * @example The argv of a run
 * ```ts ignore
 * import { jobCommand } from "./job_runner.ts";
 *
 * declare const plan: import("./job_runner.ts").RunPlan;
 * console.log(jobCommand(plan, "/srv/urls.txt").options.maxDepth);
 * ```
 */
export function jobCommand(plan: RunPlan, seeds: string): CrawlCommand {
  const argv = ["crawl", seeds, ...plan.job.args, "--state", plan.state, "-o", plan.out, "--quiet"];
  if (plan.recrawl) argv.push("--recrawl");
  const command = parseFlags(argv);
  if (command.kind !== "crawl") throw new TypeError(`not a crawl command: ${argv.join(" ")}`);
  return command;
}

/**
 * Fill an out template: `{job}`, `{start}` (UTC, filename-safe:
 * `2026-12-05T12-00-00Z`), `{run}`.
 *
 * @example The output of run 3
 * ```ts
 * import { outPath } from "./job_runner.ts";
 *
 * console.log(outPath("/srv/out/{job}-{run}.jsonl", "shop", new Date(0), 3)); // "/srv/out/shop-3.jsonl"
 * ```
 */
export function outPath(template: string, job: string, start: Date, run: number): string {
  const stamp = start.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return template.replaceAll("{job}", job).replaceAll("{start}", stamp).replaceAll(
    "{run}",
    String(run),
  );
}

/**
 * Run `plan` to its end; resolves to its history record (never rejects: a failure
 * is a `failed` record with its message).
 *
 * @example Run a job once
 * ```ts ignore
 * import { runJob } from "./job_runner.ts";
 * import { createSharedHostPolicy } from "./shared_host_policy.ts";
 *
 * declare const plan: import("./job_runner.ts").RunPlan;
 * const record = await runJob(plan, { hostPolicy: createSharedHostPolicy(), say: console.error });
 * console.log(record.status, record.pages);
 * ```
 */
export async function runJob(plan: RunPlan, options: RunJobOptions): Promise<RunRecord> {
  const record = blankRecord(plan);
  try {
    await Deno.mkdir(dirname(plan.out), { recursive: true });
    await Deno.mkdir(dirname(plan.state), { recursive: true });
    const command = jobCommand(plan, await seedFile(plan.job));
    const o = resolveCrawlOptions(command.options);
    const view = options.hostPolicy.forJob({
      maxPerHost: o.maxPerHost,
      delayMs: o.delayMs,
      rate: o.rate,
      globalRate: o.globalRate,
      awaitRobots: o.robots,
      maxRetryAfterMs: o.maxRetryAfterMs,
    });
    try {
      const result = await runCrawl(command, {
        hostPolicy: view,
        signal: options.signal,
        stopSignal: options.stopSignal,
        handleSignals: false,
        say: options.say,
      });
      const STATUS: Record<typeof result.status, RunStatus> = {
        "completed": "ok",
        "already-complete": "ok",
        "stopped": "stopped",
        "aborted": "aborted",
        "failed": "failed",
      };
      record.status = STATUS[result.status];
      record.message = result.error;
      const stats = result.stats;
      if (stats !== null) {
        record.pages = stats.pages;
        record.failed = stats.failed;
        // The incremental recrawl's counts, when the crawl reports them.
        const changes = (stats as { changes?: Record<string, number> }).changes;
        if (changes !== undefined) {
          record.new = changes.new ?? null;
          record.changed = changes.changed ?? null;
          record.unchanged = changes.unchanged ?? null;
          record.gone = changes.gone ?? null;
        }
      } else if (result.status === "already-complete") {
        record.pages = 0;
        record.failed = 0;
      }
    } finally {
      await view.close();
    }
  } catch (error) {
    record.status = "failed";
    record.message = (error instanceof Error ? error.message : String(error)).replace(
      /\s*\n\s*/g,
      " ",
    );
  }
  record.endedAt = new Date().toISOString();
  return record;
}

/** The seed file of a job: its file, or its URLs written beside its state file. */
async function seedFile(job: Job): Promise<string> {
  if (typeof job.seeds === "string") return job.seeds;
  const path = `${job.state.replace(/\.db$/, "")}.seeds.txt`;
  const text = job.seeds.join("\n") + "\n";
  const current = await Deno.readTextFile(path).catch(() => null);
  if (current !== text) await Deno.writeTextFile(path, text);
  return path;
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * The history row of `plan` before its crawl has told anything: `running`, no counts.
 *
 * @example The row a scheduler writes as a run starts
 * ```ts ignore
 * import { blankRecord } from "./job_runner.ts";
 *
 * declare const plan: import("./job_runner.ts").RunPlan;
 * console.log(blankRecord(plan).status); // "running"
 * ```
 */
export function blankRecord(plan: RunPlan): RunRecord {
  return {
    run: plan.run,
    mode: plan.mode,
    resumes: plan.resumes,
    scheduledAt: plan.scheduledAt.toISOString(),
    startedAt: plan.startedAt.toISOString(),
    endedAt: null,
    status: "running",
    pages: null,
    failed: null,
    new: null,
    changed: null,
    unchanged: null,
    gone: null,
    out: plan.out,
    message: null,
  };
}
