/**
 * The SQLite store's tables and prepared statements, and the row-to-entry
 * mapping (see `sqlite_frontier_store.ts`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { FrontierEntry } from "./frontier_store.ts";

/** A URL row's state. */
export const QUEUED = 0, LEASED = 1, DONE = 2;

/** Queued entries held in memory per active host (the window query reads one more). */
export const WINDOW = 64;

/** The prepared statements of the store. */
export type Statements = Record<
  | "insert"
  | "has"
  | "setState"
  | "release"
  | "window"
  | "hosts"
  | "hostAdmitted"
  | "setHostAdmitted"
  | "getMeta"
  | "setMeta"
  | "addScope"
  | "scope",
  StatementSync
>;

/** Create the tables if missing, with the store's pragmas. */
export function openSchema(db: DatabaseSync, fullSync: boolean): void {
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = ${fullSync ? "FULL" : "NORMAL"};
    PRAGMA cache_size = -32768;
    CREATE TABLE IF NOT EXISTS urls (
      id INTEGER PRIMARY KEY,
      url TEXT NOT NULL UNIQUE,
      host TEXT NOT NULL,
      depth INTEGER NOT NULL,
      state INTEGER NOT NULL,
      retries INTEGER NOT NULL DEFAULT 0,
      ready_at REAL NOT NULL DEFAULT 0,
      extra TEXT
    );
    CREATE INDEX IF NOT EXISTS urls_queue ON urls (host, depth, id) WHERE state = 0;
    CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, admitted INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS scope (key TEXT PRIMARY KEY);
  `);
}

/** Prepare every statement the store runs. */
export function prepareStatements(db: DatabaseSync): Statements {
  return {
    insert: db.prepare(
      "INSERT OR IGNORE INTO urls (url, host, depth, state, retries, extra) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    has: db.prepare("SELECT 1 FROM urls WHERE url = ?"),
    setState: db.prepare("UPDATE urls SET state = ? WHERE id = ?"),
    release: db.prepare(
      `UPDATE urls SET state = ${QUEUED}, retries = retries + 1, ready_at = ? WHERE id = ?`,
    ),
    window: db.prepare(
      `SELECT id, url, depth, retries, extra FROM urls WHERE host = ? AND state = ${QUEUED}
       AND ready_at <= ? ORDER BY depth, id LIMIT ${WINDOW + 1}`,
    ),
    hosts: db.prepare(
      `SELECT DISTINCT host FROM urls WHERE state = ${QUEUED} AND ready_at <= ? LIMIT ?`,
    ),
    hostAdmitted: db.prepare("SELECT admitted FROM hosts WHERE host = ?"),
    setHostAdmitted: db.prepare(
      "INSERT INTO hosts (host, admitted) VALUES (?, ?) ON CONFLICT (host) DO UPDATE SET admitted = excluded.admitted",
    ),
    getMeta: db.prepare("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    addScope: db.prepare("INSERT OR IGNORE INTO scope (key) VALUES (?)"),
    scope: db.prepare("SELECT key FROM scope"),
  };
}

/** A queued row as an entry of `host`. */
export function toEntry(
  row: { url: string; depth: number; retries: number; extra: string | null },
  host: string,
): FrontierEntry {
  const entry: FrontierEntry = { url: row.url, depth: row.depth, host };
  if (row.retries > 0) entry.retries = row.retries;
  if (row.extra !== null) {
    const extra = JSON.parse(row.extra) as Pick<FrontierEntry, "referrer" | "validators">;
    if (extra.referrer !== undefined) entry.referrer = extra.referrer;
    if (extra.validators !== undefined) entry.validators = extra.validators;
  }
  return entry;
}
