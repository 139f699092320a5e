/**
 * The job file of `trawl schedule`: JSON with comments, a list of jobs, each a
 * crawl command line on a timetable. Loaded and checked once, at start: an
 * invalid file fails with the job's name, the field and what is allowed.
 *
 * @module
 */

import { Cron } from "croner";
import { parseJsonc } from "../_std.ts";
import { parseDuration } from "../duration.ts";
import { TrawlError } from "../trawl_error.ts";
import { parseFlags } from "../cli/parse_flags.ts";

/** What happens when a job's time comes while its previous run still runs (Kubernetes CronJob's concurrencyPolicy). */
export type OverlapPolicy = "forbid" | "allow" | "replace";

/**
 * One job, resolved: paths absolute (relative ones are relative to the job file).
 *
 * @example A job as loaded
 * ```ts
 * import type { Job } from "./job_file.ts";
 *
 * const describe = (job: Job) => `${job.name}: ${job.cron} (${job.timezone})`;
 * ```
 */
export interface Job {
  /** `[a-z0-9-]+`, unique in the file. */
  name: string;
  /** 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA time zone. @default {"UTC"} */
  timezone: string;
  /** @default {"forbid"} */
  overlap: OverlapPolicy;
  /** A seed file (absolute path) or the seed URLs themselves. */
  seeds: string | string[];
  /** Crawl flags, as on the command line. @default {[]} */
  args: string[];
  /** Output path template: `{job}`, `{start}` (UTC, filename-safe), `{run}` (run number). */
  out: string;
  /** The job's state file (absolute). @default {"state/{job}.db" beside the job file} */
  state: string;
  /** A run missed by more than this (ms) is skipped and logged; `null`: run once on start-up. @default {null} */
  startingDeadlineMs: number | null;
  /** Runs kept in the state file's history. @default {50} */
  history: number;
}

const FIELDS = [
  "name",
  "cron",
  "timezone",
  "overlap",
  "seeds",
  "args",
  "out",
  "state",
  "startingDeadline",
  "history",
] as const;

/**
 * Read and check the job file at `path`. Throws `TrawlError` `INVALID_OPTION`
 * naming the file, the job and the field.
 *
 * @example Load jobs
 * ```ts ignore
 * import { loadJobFile } from "./job_file.ts";
 *
 * const jobs = await loadJobFile("jobs.json");
 * console.log(jobs.map((j) => j.name));
 * ```
 */
export async function loadJobFile(path: string): Promise<Job[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new TrawlError(
      "INVALID_OPTION",
      `cannot read the job file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJsonc(text);
  } catch (cause) {
    throw new TrawlError(
      "INVALID_OPTION",
      `${path} is not valid JSON (comments allowed): ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseJobs(parsed, path);
}

/**
 * Check parsed job-file content; `path` names the file in messages and anchors
 * relative paths.
 *
 * @example Jobs from an object
 * ```ts
 * import { parseJobs } from "./job_file.ts";
 *
 * const [job] = parseJobs(
 *   { jobs: [{ name: "docs", cron: "0 3 * * *", seeds: ["https://example.com/"], out: "out/{job}-{start}.jsonl" }] },
 *   "/srv/jobs.json",
 * );
 * console.log(job.state); // "/srv/state/docs.db"
 * ```
 */
export function parseJobs(content: unknown, path: string): Job[] {
  const dir = dirname(absolute(path));
  const fail = (where: string, message: string): never => {
    throw new TrawlError("INVALID_OPTION", `${path}: ${where}${message}`);
  };
  if (!isObject(content) || !Array.isArray(content.jobs)) {
    fail("", 'must be an object with a "jobs" array');
  }
  const list = (content as { jobs: unknown[] }).jobs;
  if (list.length === 0) fail("", '"jobs" is empty: nothing to schedule');
  const names = new Set<string>();
  return list.map((raw, i) => {
    if (!isObject(raw)) return fail(`jobs[${i}]: `, "must be an object");
    const name = raw.name;
    if (typeof name !== "string" || !/^[a-z0-9-]+$/.test(name)) {
      return fail(`jobs[${i}]: `, `name must match [a-z0-9-]+: received ${JSON.stringify(name)}`);
    }
    const where = `job "${name}": `;
    if (names.has(name)) fail(where, "name is used by another job: names must be unique");
    names.add(name);
    for (const key of Object.keys(raw)) {
      if (!(FIELDS as readonly string[]).includes(key)) {
        fail(where, `unknown field "${key}": the fields are ${FIELDS.join(", ")}`);
      }
    }
    const text = (field: string, value: unknown, fallback?: string): string => {
      if (value === undefined && fallback !== undefined) return fallback;
      if (typeof value === "string" && value.trim() !== "") return value;
      return fail(where, `${field} must be a non-empty string: received ${JSON.stringify(value)}`);
    };
    const cron = text("cron", raw.cron);
    const fields = cron.trim().split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      fail(where, `cron must have 5 fields, or 6 with seconds first: received "${cron}"`);
    }
    const timezone = text("timezone", raw.timezone, "UTC");
    try {
      new Intl.DateTimeFormat("en", { timeZone: timezone });
      new Cron(cron, { paused: true, timezone });
    } catch (cause) {
      fail(where, `cron "${cron}" in ${timezone}: ${(cause as Error).message}`);
    }
    const overlap = text("overlap", raw.overlap, "forbid");
    if (!["forbid", "allow", "replace"].includes(overlap)) {
      fail(where, `overlap must be forbid, allow or replace: received "${overlap}"`);
    }
    let seeds: string | string[];
    if (Array.isArray(raw.seeds)) {
      if (raw.seeds.length === 0 || raw.seeds.some((s) => typeof s !== "string")) {
        fail(where, "seeds must be a file name or a non-empty array of URLs");
      }
      seeds = raw.seeds as string[];
    } else seeds = join(dir, text("seeds", raw.seeds));
    const args = raw.args ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
      fail(
        where,
        `args must be an array of strings (crawl flags): received ${JSON.stringify(args)}`,
      );
    }
    for (const flag of ["-o", "--out", "--state", "--fresh", "--recrawl"]) {
      if ((args as string[]).some((a) => a === flag || a.startsWith(`${flag}=`))) {
        fail(where, `args may not hold ${flag}: the job's out and state fields set it`);
      }
    }
    // The crawl's own parser: every flag works (and fails) as on the command line.
    let command;
    try {
      command = parseFlags(["crawl", "seeds.txt", ...args as string[], "--state", "s", "-o", "o"]);
    } catch (cause) {
      fail(where, `args: ${(cause as Error).message}`);
    }
    if (command?.kind !== "crawl") fail(where, "args may not hold --help: give crawl flags");
    const out = join(dir, text("out", raw.out));
    const state = join(dir, text("state", raw.state, `state/${name}.db`));
    let startingDeadlineMs: number | null = null;
    if (raw.startingDeadline !== undefined) {
      try {
        startingDeadlineMs = parseDuration(
          text("startingDeadline", raw.startingDeadline),
          "startingDeadline",
        );
      } catch (cause) {
        fail(where, (cause as Error).message);
      }
    }
    const history = raw.history ?? 50;
    if (typeof history !== "number" || !Number.isInteger(history) || history < 1) {
      fail(where, `history must be an integer >= 1: received ${JSON.stringify(history)}`);
    }
    return {
      name,
      cron,
      timezone,
      overlap: overlap as OverlapPolicy,
      seeds,
      args: args as string[],
      out,
      state,
      startingDeadlineMs,
      history: history as number,
    };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function join(dir: string, path: string): string {
  return path.startsWith("/") ? path : `${dir}/${path}`;
}
