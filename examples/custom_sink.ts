/**
 * A custom sink: records into a SQLite table with Deno's built-in `node:sqlite`,
 * batched in transactions. Any object with `write(record)` and `close()` is a Sink.
 *
 * Run: `deno run -A examples/custom_sink.ts [url] [pages.db]`
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { crawl, type CrawlRecord, type Sink } from "../mod.ts";

/** Writes records into `pages(url, status, title, error, data, fetched_at)`, 500 per transaction. */
export class SqliteSink implements Sink {
  #db: DatabaseSync;
  #insert: StatementSync;
  #pending = 0;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, status INTEGER, title TEXT,
        error TEXT, data TEXT, fetched_at TEXT);
      BEGIN;`);
    this.#insert = this.#db.prepare("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?)");
  }

  write(record: CrawlRecord): Promise<void> {
    this.#insert.run(
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
  const sink = new SqliteSink(path);
  try {
    for await (const record of crawl([seed], { maxDepth: 1, maxPages: 50 })) {
      await sink.write(record);
    }
  } finally {
    await sink.close();
  }
  const db = new DatabaseSync(path);
  const { n } = db.prepare("SELECT count(*) AS n FROM pages").get() as { n: number };
  db.close();
  console.log(`${n} pages in ${path}`);
}
