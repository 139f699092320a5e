/**
 * A job's run history: the table `runs` inside the job's state file (one SQLite
 * file per job holds its frontier and its runs). A crawl holds the file's write
 * lock while it runs (its store keeps a transaction open), so the scheduler
 * writes a run's row before the crawl opens the file and after it closed it;
 * readers (`trawl jobs`) read alongside at any time (WAL).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** How a run crawled: from nothing, a recrawl of the state, a resume of an unfinished run, or beside a running one. */
export type RunMode = "full" | "recrawl" | "resume" | "overlap";

/** How a run ended; `running` while it runs (or when its scheduler died: then `interrupted`). */
export type RunStatus = "running" | "ok" | "failed" | "stopped" | "aborted" | "interrupted";

/**
 * One run of a job, as kept in its state file.
 *
 * @example One line per run
 * ```ts
 * import type { RunRecord } from "./run_history.ts";
 *
 * const line = (r: RunRecord) => `run ${r.run} ${r.status}: ${r.pages ?? "-"} pages`;
 * ```
 */
export interface RunRecord {
  /** The run's number (1, 2, ...; `{run}` in the out template). */
  run: number;
  mode: RunMode;
  /** The run resumed (`resume`): the number of the run it finishes; else `null`. */
  resumes: number | null;
  /** When the timetable called it (ISO, UTC). */
  scheduledAt: string;
  /** When it started (ISO, UTC). */
  startedAt: string;
  /** When it ended; `null` while running. */
  endedAt: string | null;
  status: RunStatus;
  /** Records written; `null` when it never crawled. */
  pages: number | null;
  /** Records with an error. */
  failed: number | null;
  /** Change counts of an incremental recrawl; `null` when the crawl reported none. */
  new: number | null;
  changed: number | null;
  unchanged: number | null;
  gone: number | null;
  /** The output file (absolute). */
  out: string;
  /** Why it failed, one line; else `null`. */
  message: string | null;
}

const COLUMNS = [
  "run",
  "mode",
  "resumes",
  "scheduledAt",
  "startedAt",
  "endedAt",
  "status",
  "pages",
  "failed",
  "new",
  "changed",
  "unchanged",
  "gone",
  "out",
  "message",
] as const;

const CREATE = `CREATE TABLE IF NOT EXISTS runs (
  run INTEGER PRIMARY KEY, mode TEXT NOT NULL, resumes INTEGER, scheduledAt TEXT NOT NULL,
  startedAt TEXT NOT NULL, endedAt TEXT, status TEXT NOT NULL, pages INTEGER, failed INTEGER,
  new INTEGER, changed INTEGER, unchanged INTEGER, gone INTEGER, out TEXT NOT NULL, message TEXT)`;

/**
 * Write `record` (insert or replace its row) into the state file at `path`, keeping
 * the newest `keep` runs. The file must not be held by a running crawl.
 *
 * @example Record a run
 * ```ts ignore
 * import { writeRun } from "./run_history.ts";
 *
 * declare const record: import("./run_history.ts").RunRecord;
 * writeRun("state/shop.db", record, 50);
 * ```
 */
export function writeRun(path: string, record: RunRecord, keep: number): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
    db.exec(CREATE);
    db.prepare(
      `INSERT OR REPLACE INTO runs (${COLUMNS.join(", ")}) VALUES (${
        COLUMNS.map(() => "?").join(", ")
      })`,
    ).run(...COLUMNS.map((c) => record[c]));
    db.prepare("DELETE FROM runs WHERE run NOT IN (SELECT run FROM runs ORDER BY run DESC LIMIT ?)")
      .run(keep);
  } finally {
    db.close();
  }
}

/**
 * The runs kept in the state file at `path`, newest first (`[]` when there is no
 * file or no history yet). Reads alongside a running crawl.
 *
 * @example The last run
 * ```ts ignore
 * import { readRuns } from "./run_history.ts";
 *
 * const [last] = readRuns("state/shop.db");
 * console.log(last?.status);
 * ```
 */
export function readRuns(path: string): RunRecord[] {
  const db = openReadOnly(path);
  if (db === null) return [];
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
      .get();
    if (table === undefined) return [];
    return db.prepare(`SELECT ${COLUMNS.join(", ")} FROM runs ORDER BY run DESC`)
      .all() as unknown[] as RunRecord[];
  } finally {
    db.close();
  }
}

/**
 * Where the crawl in the state file at `path` stands: `none` (no file, or no crawl
 * in it yet), `unfinished` (stopped, aborted or killed: the next run resumes it) or
 * `complete`; with the output file the crawl was started with.
 *
 * @example Decide the next run
 * ```ts ignore
 * import { stateProgress } from "./run_history.ts";
 *
 * const { status } = stateProgress("state/shop.db");
 * console.log(status === "complete" ? "recrawl" : status === "unfinished" ? "resume" : "full");
 * ```
 */
export function stateProgress(
  path: string,
): { status: "none" | "unfinished" | "complete"; out: string | null } {
  const db = openReadOnly(path);
  if (db === null) return { status: "none", out: null };
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .get();
    if (table === undefined) return { status: "none", out: null };
    const meta = (key: string) =>
      (db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
        ?.value ?? null;
    // Keys of the crawl's state (src/cli/_crawl_state.ts): its settings and its status.
    const config = meta("config");
    if (config === null) return { status: "none", out: null };
    const out = (JSON.parse(config) as Record<string, unknown>)["--out"];
    return {
      status: meta("status") === "complete" ? "complete" : "unfinished",
      out: typeof out === "string" ? out : null,
    };
  } finally {
    db.close();
  }
}

function openReadOnly(path: string): DatabaseSync | null {
  try {
    if (!Deno.statSync(path).isFile) return null;
  } catch {
    return null;
  }
  return new DatabaseSync(path, { readOnly: true });
}
