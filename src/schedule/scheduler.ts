/**
 * The scheduler: fires each job on its timetable (croner: time zones, seconds),
 * applies its overlap policy, runs it with the politeness all jobs share, writes
 * each run's outcome to the job's state file and one line to the log.
 *
 * - **Runs of a job.** The first crawls from the seeds; a later one recrawls the
 *   job's state (`--recrawl`); a run after one that did not finish (stopped,
 *   replaced, or its scheduler killed) resumes that crawl first, into its output.
 * - **Overlap** (Kubernetes CronJob's `concurrencyPolicy`): `forbid` skips a
 *   tick while a run runs (logged); `replace` aborts the running crawl (its
 *   requests in flight end `ABORTED`, its state is committed), then starts the
 *   next run, which resumes that state; `allow` starts a run beside it. The state
 *   file has one writer, so an overlapping run crawls from the seeds with a state
 *   file of its own (`<state>.run-<N>.db`, removed when it ends): it is a full
 *   crawl, never resumed; its history row is written once the job's state file is
 *   free.
 * - **Missed runs.** At start-up, an unfinished run is resumed at once. Else, if
 *   the timetable had a time since the last run (the scheduler was down), one run
 *   catches up at once, unless `startingDeadline` is set and that time is older:
 *   then it is skipped and logged.
 * - **Stopping.** `stop()` stops the timetables and stops every running crawl
 *   gracefully (requests in flight finish, state committed; the next start
 *   resumes them); `abort()` ends them at once.
 *
 * @module
 */

import { Cron } from "croner";
import { TrawlError } from "../trawl_error.ts";
import type { Job } from "./job_file.ts";
import { blankRecord, outPath, runJob, type RunPlan } from "./job_runner.ts";
import { readRuns, type RunRecord, stateProgress, writeRun } from "./run_history.ts";
import { createSharedHostPolicy, type SharedHostPolicy } from "./shared_host_policy.ts";

/**
 * Options for {@linkcode createScheduler}.
 *
 * @example Log to a list
 * ```ts
 * import type { SchedulerOptions } from "./scheduler.ts";
 *
 * const lines: string[] = [];
 * const options: SchedulerOptions = { say: (text) => lines.push(text) };
 * ```
 */
export interface SchedulerOptions {
  /** Where the log lines go (each ends with a newline). @default {stderr} */
  say?: (text: string) => void;
  /** The politeness the jobs share. @default {a new shared host policy} */
  hostPolicy?: SharedHostPolicy;
}

/**
 * A scheduler over a job file's jobs.
 *
 * @example Run every job once
 * ```ts ignore
 * import { loadJobFile } from "./job_file.ts";
 * import { createScheduler } from "./scheduler.ts";
 *
 * const scheduler = createScheduler(await loadJobFile("jobs.json"));
 * const records = await scheduler.runOnce();
 * console.log(records.every((r) => r.status === "ok"));
 * ```
 */
export interface Scheduler {
  /** Resume unfinished runs, catch up a missed one, then follow the timetables. */
  start(): void;
  /** Run every job once now (resuming an unfinished run instead); resolves with their records. */
  runOnce(): Promise<RunRecord[]>;
  /** Stop the timetables and every running crawl gracefully; resolves once all ended. */
  stop(): Promise<void>;
  /** End every running crawl at once (requests in flight end `ABORTED`). */
  abort(): void;
  /** Runs going on now. */
  readonly running: number;
}

const DEFAULTS = Object.freeze({
  say: (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
});

interface ActiveRun {
  plan: RunPlan;
  /** Holds the job's state file (not an overlapping run). */
  ownsState: boolean;
  abort: AbortController;
  stop: AbortController;
  replaced: boolean;
  done: Promise<RunRecord>;
}

interface JobSlot {
  job: Job;
  cron: Cron | null;
  active: Set<ActiveRun>;
  nextRun: number;
  /** Rows waiting for the job's state file to be free. */
  pending: RunRecord[];
  /** Fire decisions of this job, one after another. */
  queue: Promise<void>;
}

/**
 * Make a scheduler for `jobs` (from `loadJobFile`).
 *
 * @example Follow the timetables until SIGTERM
 * ```ts ignore
 * import { loadJobFile } from "./job_file.ts";
 * import { createScheduler } from "./scheduler.ts";
 *
 * const scheduler = createScheduler(await loadJobFile("jobs.json"));
 * scheduler.start();
 * Deno.addSignalListener("SIGTERM", () => scheduler.stop());
 * ```
 */
export function createScheduler(jobs: readonly Job[], options: SchedulerOptions = {}): Scheduler {
  const say = options.say ?? DEFAULTS.say;
  const policy = options.hostPolicy ?? createSharedHostPolicy();
  const log = (line: string) => say(`trawl schedule: ${line}\n`);
  const slots = jobs.map((job): JobSlot => ({
    job,
    cron: null,
    active: new Set(),
    nextRun: (readRuns(job.state)[0]?.run ?? 0) + 1,
    pending: [],
    queue: Promise.resolve(),
  }));
  let stopping = false;
  const finished: RunRecord[] = [];

  const record = (slot: JobSlot, row: RunRecord) => {
    try {
      writeRun(slot.job.state, row, slot.job.history);
    } catch (error) {
      log(`${slot.job.name}: cannot write run ${row.run} to ${slot.job.state}: ${oneLine(error)}`);
    }
  };
  const flush = (slot: JobSlot) => {
    if ([...slot.active].some((r) => r.ownsState)) return;
    for (const row of slot.pending.splice(0)) record(slot, row);
  };

  const begin = (slot: JobSlot, scheduledAt: Date): ActiveRun => {
    const job = slot.job;
    const run = slot.nextRun++;
    const startedAt = new Date();
    const owner = [...slot.active].some((r) => r.ownsState);
    let plan: RunPlan;
    if (owner) {
      const state = `${job.state.replace(/\.db$/, "")}.run-${run}.db`;
      plan = plan0("overlap", state, outPath(job.out, job.name, startedAt, run), null, false);
    } else {
      flush(slot);
      const progress = stateProgress(job.state);
      const last = readRuns(job.state).find((r) => r.mode !== "overlap");
      if (progress.status === "unfinished") {
        const out = progress.out ?? last?.out ?? outPath(job.out, job.name, startedAt, run);
        const mode = last?.mode === "recrawl" ? "recrawl" : "full";
        plan = plan0(mode, job.state, out, last?.run ?? null, mode === "recrawl");
      } else if (progress.status === "complete") {
        plan = plan0("recrawl", job.state, outPath(job.out, job.name, startedAt, run), null, true);
      } else {plan = plan0(
          "full",
          job.state,
          outPath(job.out, job.name, startedAt, run),
          null,
          false,
        );}
    }
    function plan0(
      mode: RunPlan["mode"],
      state: string,
      out: string,
      resumes: number | null,
      recrawl: boolean,
    ): RunPlan {
      return { job, run, mode, resumes, recrawl, scheduledAt, startedAt, out, state };
    }
    const active: ActiveRun = {
      plan,
      ownsState: !owner,
      abort: new AbortController(),
      stop: new AbortController(),
      replaced: false,
      done: Promise.resolve(null as unknown as RunRecord),
    };
    for (const path of [plan.out, plan.state]) {
      Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || "/", { recursive: true });
    }
    if (active.ownsState) {
      // Marked running before the crawl holds the file: a killed scheduler leaves it so.
      record(slot, { ...blankRecord(plan), status: "running" });
    }
    const prefix = `trawl: [${job.name} run ${run}] `;
    log(
      `${job.name} run ${run} starts (${
        plan.resumes !== null ? `resumes run ${plan.resumes}` : plan.mode
      }) -> ${plan.out}`,
    );
    active.done = runJob(plan, {
      hostPolicy: policy,
      signal: active.abort.signal,
      stopSignal: active.stop.signal,
      say: (text) => say(text.replace(/^trawl: /gm, prefix)),
    }).then((row) => {
      slot.active.delete(active);
      if (active.replaced && row.status === "aborted") row.message ??= "replaced by a newer run";
      log(summaryLine(job.name, row));
      if (active.ownsState) record(slot, row);
      else {
        slot.pending.push(row);
        for (const suffix of ["", "-wal", "-shm"]) {
          try {
            Deno.removeSync(plan.state + suffix);
          } catch { /* not there */ }
        }
      }
      flush(slot);
      finished.push(row);
      return row;
    });
    slot.active.add(active);
    return active;
  };

  /** The timetable (or start-up, or --once) calls `slot`'s job. */
  const fire = (slot: JobSlot, scheduledAt: Date): Promise<void> => {
    slot.queue = slot.queue.then(async () => {
      if (stopping) return;
      const job = slot.job;
      if (slot.active.size > 0) {
        if (job.overlap === "forbid") {
          const runs = [...slot.active].map((r) => r.plan.run).join(", ");
          log(
            `${job.name}: skipped the run of ${
              iso(scheduledAt)
            }: run ${runs} still runs (overlap forbid)`,
          );
          return;
        }
        if (job.overlap === "replace") {
          const running = [...slot.active];
          log(
            `${job.name}: replacing run ${
              running.map((r) => r.plan.run).join(", ")
            } (overlap replace)`,
          );
          for (const r of running) {
            r.replaced = true;
            r.abort.abort(new TrawlError("ABORTED", "replaced by a newer run"));
          }
          await Promise.all(running.map((r) => r.done));
          if (stopping) return;
        }
      }
      begin(slot, scheduledAt);
    }).catch((error) => log(`${slot.job.name}: ${oneLine(error)}`));
    return slot.queue;
  };

  /** Rows left "running" by a scheduler that died become "interrupted"; their crawls are resumed. */
  const markInterrupted = (slot: JobSlot): RunRecord[] => {
    const runs = readRuns(slot.job.state);
    for (const row of runs.filter((r) => r.status === "running")) {
      record(slot, { ...row, status: "interrupted", message: "the scheduler stopped" });
    }
    return runs;
  };

  const all = () => Promise.all(slots.flatMap((s) => [...s.active].map((r) => r.done)));

  return {
    start() {
      const now = new Date();
      for (const slot of slots) {
        const job = slot.job;
        const runs = markInterrupted(slot);
        const cron = new Cron(job.cron, { timezone: job.timezone }, () => {
          fire(slot, new Date(Math.floor(Date.now() / 1000) * 1000));
        });
        slot.cron = cron;
        if (stateProgress(job.state).status === "unfinished") {
          log(`${job.name}: resuming its unfinished run`);
          fire(slot, now);
          continue;
        }
        if (runs.length === 0) continue;
        const missed = cron.previousRuns(1, now)[0];
        if (missed === undefined || missed.getTime() <= Date.parse(runs[0].scheduledAt)) continue;
        const lateMs = now.getTime() - missed.getTime();
        if (job.startingDeadlineMs !== null && lateMs > job.startingDeadlineMs) {
          log(
            `${job.name}: skipped the missed run of ${iso(missed)}: more than startingDeadline ` +
              `(${job.startingDeadlineMs} ms) ago`,
          );
        } else {
          log(`${job.name}: catching up the missed run of ${iso(missed)}`);
          fire(slot, missed);
        }
      }
    },
    async runOnce() {
      const from = finished.length;
      for (const slot of slots) markInterrupted(slot);
      await Promise.all(slots.map((slot) => fire(slot, new Date())));
      await all();
      return finished.slice(from);
    },
    async stop() {
      stopping = true;
      for (const slot of slots) slot.cron?.stop();
      await Promise.all(slots.map((s) => s.queue));
      for (const slot of slots) for (const r of slot.active) r.stop.abort();
      await all();
    },
    abort() {
      for (const slot of slots) {
        for (const r of slot.active) r.abort.abort(new TrawlError("ABORTED", "interrupted"));
      }
    },
    get running() {
      return slots.reduce((n, s) => n + s.active.size, 0);
    },
  };
}

/** A run's one log line. */
export function summaryLine(job: string, r: RunRecord): string {
  const seconds = r.endedAt === null
    ? ""
    : ` in ${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`;
  const changes = r.new === null
    ? ""
    : `, new ${r.new}, changed ${r.changed ?? "-"}, gone ${r.gone ?? "-"}`;
  const counts = r.pages === null ? "" : `: ${r.pages} pages, ${r.failed} failed${changes}`;
  const why = r.message === null ? "" : ` (${r.message})`;
  return `${job} run ${r.run} ${r.status}${seconds}${counts}${why} -> ${r.out}`;
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, " ");
}
