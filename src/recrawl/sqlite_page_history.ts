/**
 * The {@linkcode PageHistory} in a SQLite file, on the connection (and inside
 * the open transaction) of the state file's frontier store, so a page's memo
 * is committed together with its URL's ack and the output offset.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { PageHistory, PageMemo } from "./page_history.ts";

const RUN_KEY = "historyRun";

interface PageRow {
  url: string;
  depth: number;
  status: number | null;
  etag: string | null;
  last_modified: string | null;
  hash: string | null;
  fetched_at: number;
  title: string | null;
  outlinks: string;
}

/**
 * A page history in `db` (tables `pages` and the `meta` key `historyRun`). Its
 * writes join whatever transaction `db` has open: the caller commits.
 *
 * @example The history of a state file
 * ```ts ignore
 * import { DatabaseSync } from "node:sqlite";
 * import { createSqlitePageHistory } from "./sqlite_page_history.ts";
 *
 * const db = new DatabaseSync("crawl.db");
 * db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
 * const history = createSqlitePageHistory(db);
 * console.log(await history.reach("https://example.com/"));
 * ```
 */
export function createSqlitePageHistory(
  db: DatabaseSync,
  options: { assertOpen?: () => void } = {},
): PageHistory {
  db.exec(`
    CREATE TABLE IF NOT EXISTS pages (
      url TEXT PRIMARY KEY,
      run INTEGER NOT NULL,
      depth INTEGER NOT NULL,
      status INTEGER,
      etag TEXT,
      last_modified TEXT,
      hash TEXT,
      fetched_at REAL NOT NULL,
      title TEXT,
      outlinks TEXT NOT NULL
    ) WITHOUT ROWID;
  `);
  const s = {
    getRun: db.prepare("SELECT value FROM meta WHERE key = ?"),
    setRun: db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    any: db.prepare("SELECT 1 FROM pages LIMIT 1"),
    reach: db.prepare("UPDATE pages SET run = ? WHERE url = ? RETURNING *"),
    remember: db.prepare(
      `INSERT INTO pages (url, run, depth, status, etag, last_modified, hash, fetched_at, title, outlinks)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (url) DO UPDATE SET run = excluded.run, depth = excluded.depth,
         status = excluded.status, etag = excluded.etag, last_modified = excluded.last_modified,
         hash = excluded.hash, fetched_at = excluded.fetched_at, title = excluded.title,
         outlinks = excluded.outlinks`,
    ),
    unreached: db.prepare("SELECT * FROM pages WHERE run < ? AND url > ? ORDER BY url LIMIT ?"),
    forget: db.prepare("DELETE FROM pages WHERE url = ?"),
  };
  const open = options.assertOpen ?? (() => {});
  let run = Number((s.getRun.get(RUN_KEY) as { value: string } | undefined)?.value ?? 1);
  const step = <T>(body: () => T): Promise<T> => {
    try {
      open();
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    startRun: () =>
      step(() => {
        if (s.any.get() !== undefined) run++;
        s.setRun.run(RUN_KEY, String(run));
        return run;
      }),
    reach: (url) =>
      step(() => {
        const row = s.reach.get(run, url) as PageRow | undefined;
        return row === undefined ? null : toMemo(row);
      }),
    remember: (url, memo) =>
      step(() => {
        s.remember.run(
          url,
          run,
          memo.depth,
          memo.status,
          memo.etag ?? null,
          memo.lastModified ?? null,
          memo.contentHash ?? null,
          memo.fetchedAt,
          memo.title,
          memo.outlinks.join("\n"),
        );
      }),
    unreached: (max, after) =>
      step(() =>
        (s.unreached.all(run, after, max) as unknown as PageRow[]).map((row) => ({
          url: row.url,
          memo: toMemo(row),
        }))
      ),
    forget: (url) =>
      step(() => {
        s.forget.run(url);
      }),
  };
}

function toMemo(row: PageRow): PageMemo {
  const memo: PageMemo = {
    depth: row.depth,
    status: row.status,
    fetchedAt: row.fetched_at,
    title: row.title,
    outlinks: row.outlinks === "" ? [] : row.outlinks.split("\n"),
  };
  if (row.etag !== null) memo.etag = row.etag;
  if (row.last_modified !== null) memo.lastModified = row.last_modified;
  if (row.hash !== null) memo.contentHash = row.hash;
  return memo;
}
