/**
 * The state file of a durable crawl (`--state FILE`): one SQLite file holding the
 * frontier (queue, dedupe set, budgets, scope), the crawl's settings and seeds,
 * and the output's committed byte offset.
 *
 * Exactly-once output, by construction: a URL is marked done (staged) only after
 * its record was handed to the output; every commit first syncs the output file,
 * then writes in ONE transaction the staged dones and adds and the output offset
 * that ends the last acknowledged record. On resume the output is cut back to
 * that offset: records after it belong to URLs whose done was not committed, and
 * those URLs are fetched again. Nothing is lost, nothing is written twice.
 *
 * @module
 */

import {
  createSqliteFrontierStore,
  type SqliteFrontierStore,
} from "../frontier/sqlite_frontier_store.ts";
import { TrawlError } from "../trawl_error.ts";

/** The settings a crawl's state is bound to: a resume must give the same ones. */
export type StateConfig = Record<string, unknown>;

/** Settings a recrawl (the next run) may change: each run has its own output, and new seeds. */
const PER_RUN: readonly string[] = ["--out", "--format", "seed file"];

/**
 * An open state file.
 *
 * @example Commit after syncing the output
 * ```ts ignore
 * import type { CrawlState } from "./_crawl_state.ts";
 *
 * declare const state: CrawlState;
 * await state.commit(4096);
 * ```
 */
export interface CrawlState {
  /** The frontier store inside the file. */
  readonly store: SqliteFrontierStore;
  /** The output's committed byte offset: the file is cut back to it. 0 for a new crawl. */
  readonly outputOffset: number;
  /** Whether this run resumes an earlier one. */
  readonly resumed: boolean;
  /** The run's number: 1 for the first crawl, then one more for each `--recrawl`. */
  readonly run: number;
  /** Commit the staged acks and adds with `outputOffset` (the output is synced up to it). */
  commit(outputOffset: number): Promise<void>;
  /** Commit, and mark the crawl complete: running the same command again does nothing. */
  complete(outputOffset: number): Promise<void>;
  /** Close the file (what was not committed is dropped, as by a crash). */
  close(): Promise<void>;
}

const CONFIG = "config";
const OFFSET = "outputOffset";
const STATUS = "status";

/**
 * Open (or create) the state file at `path` for a crawl with `config`. Resolves
 * `"complete"` when the file holds a finished crawl, unless `recrawl` asks for
 * its next run (which may change the settings of `PER_RUN`). Throws a usage
 * error (`INVALID_OPTION`) naming every setting that differs from the stored ones.
 */
export async function openCrawlState(
  path: string,
  config: StateConfig,
  options: { fresh: boolean; recrawl?: boolean },
): Promise<CrawlState | "complete"> {
  if (options.fresh) {
    for (const suffix of ["", "-wal", "-shm"]) {
      await Deno.remove(path + suffix).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  }
  let store: SqliteFrontierStore;
  try {
    store = createSqliteFrontierStore(path, { manualCommit: true });
  } catch (cause) {
    throw new TrawlError(
      "INVALID_OPTION",
      `--state ${path}: cannot open it as a state file (${(cause as Error).message}); ` +
        `give another path, or --fresh to replace it`,
      { cause },
    );
  }
  const stored = store.getMeta(CONFIG);
  const nextRun = stored !== null && options.recrawl === true &&
    store.getMeta(STATUS) === "complete";
  if (stored !== null) {
    const differences = diff(JSON.parse(stored) as StateConfig, config)
      .filter((d) => !nextRun || !PER_RUN.some((key) => d.startsWith(`${key}:`)));
    if (differences.length > 0) {
      await store.close();
      throw new TrawlError(
        "INVALID_OPTION",
        `--state ${path} holds a crawl with other settings: ${differences.join("; ")}. ` +
          `Run it with the same settings to resume, or add --fresh to start over`,
      );
    }
    if (nextRun) {
      await store.startRecrawl();
      await store.checkpoint({
        [CONFIG]: JSON.stringify(config),
        [OFFSET]: "0",
        [STATUS]: "running",
      });
    } else if (store.getMeta(STATUS) === "complete") {
      await store.close();
      return "complete";
    }
  } else {
    await store.checkpoint({
      [CONFIG]: JSON.stringify(config),
      [OFFSET]: "0",
      [STATUS]: "running",
    });
  }
  const offset = Number(store.getMeta(OFFSET) ?? "0");
  return {
    store,
    outputOffset: offset,
    resumed: stored !== null && !nextRun,
    run: Number(store.getMeta("historyRun") ?? "1"),
    commit: (outputOffset) => store.checkpoint({ [OFFSET]: String(outputOffset) }),
    complete: (outputOffset) =>
      store.checkpoint({ [OFFSET]: String(outputOffset), [STATUS]: "complete" }),
    close: () => store.close(),
  };
}

/** `"--depth: 2 in the state file, 3 now"` for each setting that differs. */
function diff(stored: StateConfig, now: StateConfig): string[] {
  const keys = [...new Set([...Object.keys(stored), ...Object.keys(now)])];
  return keys.flatMap((key) => {
    const a = JSON.stringify(stored[key] ?? null);
    const b = JSON.stringify(now[key] ?? null);
    return a === b ? [] : [`${key}: ${a} in the state file, ${b} now`];
  });
}
