/**
 * A custom sink that survives crashes: records into a SQLite table with Deno's
 * built-in `node:sqlite`, batched in transactions, keyed by the record's stable
 * `id`. Any object with `write(record)` and `close()` is a Sink.
 *
 * The contract for a custom sink over a durable crawl is at-least-once: the crawl's
 * frontier lives in a state file (`createSqliteFrontierStore`), a URL counts as done
 * once its record was handed over (the loop asked for the next one), and a crawl
 * killed and run again re-delivers the records whose URLs were not done yet. A
 * record seen twice has the same `id`, so `INSERT OR REPLACE` on `id` keeps one row.
 *
 * Run: `deno run -A examples/custom_sink.ts [url] [pages.db] [state.db]`
 * (kill it and run it again: it resumes, and no page appears twice in pages.db).
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { crawl, type CrawlRecord, createSqliteFrontierStore, type Sink } from "../mod.ts";

/** Writes records into `pages(id, url, status, title, error, data, fetched_at)`, 500 per transaction. */
export class SqliteSink implements Sink {
  #db: DatabaseSync;
  #insert: StatementSync;
  #pending = 0;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS pages (id TEXT PRIMARY KEY, url TEXT, status INTEGER,
        title TEXT, error TEXT, data TEXT, fetched_at TEXT);
      BEGIN;`);
    // A record delivered again after a crash has the same id: it replaces its row.
    this.#insert = this.#db.prepare("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)");
  }

  write(record: CrawlRecord): Promise<void> {
    this.#insert.run(
      record.id,
      record.url,
      record.status,
      record.title,
      record.error?.code ?? null,
      JSON.stringify(record.data),
      record.fetchedAt,
    );
    if (++this.#pending >= 500) {
      this.#db.exec("COMMIT; BEGIN;");
      this.#pending = 0;
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.exec("COMMIT;");
      this.#db.close();
    }
    return Promise.resolve();
  }
}

if (import.meta.main) {
  const seed = Deno.args[0] ?? "https://example.com/";
  const path = Deno.args[1] ?? "pages.db";
  const store = createSqliteFrontierStore(Deno.args[2] ?? `${path}.state`);
  const sink = new SqliteSink(path);
  try {
    for await (const record of crawl([seed], { maxDepth: 1, maxPages: 50, store })) {
      await sink.write(record);
    }
  } finally {
    await sink.close();
    await store.close();
  }
  const db = new DatabaseSync(path);
  const { n } = db.prepare("SELECT count(*) AS n FROM pages").get() as { n: number };
  db.close();
  console.log(`${n} pages in ${path}`);
}
