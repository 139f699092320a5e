/**
 * A {@linkcode FrontierStore} in one SQLite file (`node:sqlite`, WAL): the queue,
 * the dedupe set, the leases, the page budgets and the scope keys, for a crawl
 * that survives its process (`--state`).
 *
 * ## Durability: checkpoints
 *
 * Every change is made inside one open write transaction, and `checkpoint()`
 * commits it (with the meta values it is given) and opens the next. A process
 * that dies (kill -9, power loss with `synchronous=FULL`) leaves the file as it
 * was at its last checkpoint: all of a checkpoint's changes, or none. By default
 * the store checkpoints by itself every `checkpointMs`; with `manualCommit` only
 * the owner does, which lets a crawl commit its acknowledgements together with
 * the byte offset of the output they belong to (exactly-once output).
 *
 * ## Memory
 *
 * Queued URLs and the seen set live in the file (a UNIQUE index on the URL is
 * the dedupe; an index on `(host, depth, id)` of queued rows is the queue). In
 * memory are the counters, a window of up to 64 queued entries for each of at
 * most 1,024 active hosts (refilled from the file as they drain; other hosts
 * wait on disk), and the leases in flight.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type {
  AddOptions,
  AddResult,
  FrontierCounts,
  FrontierEntry,
  FrontierStore,
  Lease,
  TakeOptions,
} from "./frontier_store.ts";
import { TrawlError } from "../trawl_error.ts";
import type { PageHistory } from "../recrawl/page_history.ts";
import { createSqlitePageHistory } from "../recrawl/sqlite_page_history.ts";
import {
  DONE,
  LEASED,
  openSchema,
  prepareStatements,
  QUEUED,
  type Statements,
  toEntry,
  WINDOW,
} from "./_sqlite_schema.ts";

/**
 * Options for {@linkcode createSqliteFrontierStore}.
 *
 * @example Commit only when told
 * ```ts
 * import type { SqliteFrontierStoreOptions } from "./sqlite_frontier_store.ts";
 *
 * const options: SqliteFrontierStoreOptions = { manualCommit: true };
 * ```
 */
export interface SqliteFrontierStoreOptions {
  /** Commit only in `checkpoint()` (a crawl committing with its output offset). @default {false} */
  manualCommit?: boolean;
  /** Without `manualCommit`: how often changes are committed, ms. @default {200} */
  checkpointMs?: number;
  /** `synchronous=FULL`: a commit survives a power cut too (NORMAL: a process crash). @default {false} */
  fullSync?: boolean;
  /** The owner stamped on leases. @default {a random id} */
  owner?: string;
}

/**
 * The SQLite store: a {@linkcode FrontierStore} plus checkpoints and meta values.
 *
 * @example Commit a value with the changes before it
 * ```ts ignore
 * import type { SqliteFrontierStore } from "./sqlite_frontier_store.ts";
 *
 * declare const store: SqliteFrontierStore;
 * await store.checkpoint({ outputOffset: "4096" });
 * console.log(store.getMeta("outputOffset")); // "4096"
 * ```
 */
export interface SqliteFrontierStore extends FrontierStore {
  /** Commit every change so far, and `meta`, in one transaction. */
  checkpoint(meta?: Readonly<Record<string, string>>): Promise<void>;
  /** A meta value (committed or not), or `null`. */
  getMeta(key: string): string | null;
  /** What earlier runs saw of each page, in the same file and transaction (for `--recrawl`). */
  readonly history: PageHistory;
  /**
   * Begin the next run of a finished crawl: the queue, the dedupe set and the
   * page budgets are emptied (the scope and the page history stay) and the
   * history starts its next run. Resolves the run's number.
   */
  startRecrawl(): Promise<number>;
}

/** Hosts with a window in memory at once; more hosts wait in the file. */
const MAX_ACTIVE_HOSTS = 1024;

/**
 * Open (or create) the store in the file at `path`. Leases found in it (from a
 * process that died) are queued again.
 *
 * @example A crawl whose frontier survives its process
 * ```ts ignore
 * import { crawl } from "../crawl.ts";
 * import { createSqliteFrontierStore } from "./sqlite_frontier_store.ts";
 *
 * const store = createSqliteFrontierStore("crawl.db");
 * for await (const record of crawl(["https://example.com/"], { maxDepth: 2, store })) {
 *   console.log(record.url);
 * }
 * await store.close();
 * ```
 */
export function createSqliteFrontierStore(
  path: string,
  options: SqliteFrontierStoreOptions = {},
): SqliteFrontierStore {
  return new SqliteStore(path, options);
}

interface Window {
  /** Entries loaded from the file, in queue order, with their row ids. */
  entries: { rowid: number; entry: FrontierEntry }[];
  /** The file may hold more queued entries of this host than the window. */
  more: boolean;
}

class SqliteStore implements SqliteFrontierStore {
  readonly owner: string;
  readonly history: PageHistory;
  #db: DatabaseSync;
  #manual: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #dirty = false;
  #counts: FrontierCounts;
  #admittedPerHost = new Map<string, number>();
  /** Hosts with queued entries, in round-robin order (least recently served first). */
  #active = new Map<string, Window>();
  /** The file holds queued entries of hosts not in `#active`. */
  #moreHosts = false;
  /** Queued entries released with a delay, not yet due (recounted as they come due). */
  #delayed = 0;
  #leases = new Map<string, number>();
  #nextLease = 0;
  #s: Statements;

  constructor(path: string, options: SqliteFrontierStoreOptions) {
    this.owner = options.owner ?? crypto.randomUUID();
    this.#manual = options.manualCommit ?? false;
    const db = new DatabaseSync(path);
    this.#db = db;
    openSchema(db, options.fullSync ?? false);
    // Leases of a process that died: queued again (one process owns this file).
    db.exec(`UPDATE urls SET state = ${QUEUED}, ready_at = 0 WHERE state = ${LEASED}`);
    const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
    this.#counts = {
      seen: count("SELECT count(*) AS n FROM urls"),
      admitted: count("SELECT coalesce(sum(admitted), 0) AS n FROM hosts"),
      queued: count(`SELECT count(*) AS n FROM urls WHERE state = ${QUEUED}`),
      leased: 0,
      done: count(`SELECT count(*) AS n FROM urls WHERE state = ${DONE}`),
    };
    this.#delayed = count(
      `SELECT count(*) AS n FROM urls WHERE state = ${QUEUED} AND ready_at > 0`,
    );
    this.#moreHosts = this.#counts.queued > 0;
    this.#s = prepareStatements(db);
    db.exec("BEGIN IMMEDIATE");
    this.history = createSqlitePageHistory(db, {
      assertOpen: () => {
        if (this.#closed) throw closedError();
        this.#dirty = true;
      },
    });
    if (!this.#manual) {
      this.#timer = setInterval(() => {
        if (this.#dirty) this.#commit();
      }, options.checkpointMs ?? 200);
      Deno.unrefTimer(this.#timer as unknown as number);
    }
  }

  add(entries: readonly FrontierEntry[], options: AddOptions = {}): Promise<AddResult> {
    return this.#run(() => {
      const added: FrontierEntry[] = [];
      const maxPages = options.maxPages ?? Infinity;
      const maxPerHost = options.maxPagesPerHost ?? Infinity;
      let overLimit = 0;
      const touched = new Set<string>();
      for (const entry of entries) {
        let onHost = 0;
        if (!options.done) {
          onHost = this.#hostAdmitted(entry.host);
          if (this.#counts.admitted >= maxPages || onHost >= maxPerHost) {
            // Over budget only if new: a known URL is a duplicate, not a refusal.
            if (this.#s.has.get(entry.url) === undefined) {
              overLimit++;
            }
            continue;
          }
        }
        const extra = entry.referrer === undefined && entry.validators === undefined
          ? null
          : JSON.stringify({ referrer: entry.referrer, validators: entry.validators });
        const { changes, lastInsertRowid } = this.#s.insert.run(
          entry.url,
          entry.host,
          entry.depth,
          options.done ? DONE : QUEUED,
          entry.retries ?? 0,
          extra,
        );
        if (changes === 0) continue;
        this.#counts.seen++;
        added.push(entry);
        if (options.done) {
          this.#counts.done++;
          continue;
        }
        this.#counts.admitted++;
        this.#counts.queued++;
        this.#admittedPerHost.set(entry.host, onHost + 1);
        touched.add(entry.host);
        this.#queued(entry, Number(lastInsertRowid));
      }
      // One write per host and call, not per URL (a page's links are mostly one host's).
      for (const host of touched) {
        this.#s.setHostAdmitted.run(host, this.#admittedPerHost.get(host)!);
      }
      return { added, overLimit, admitted: this.#counts.admitted };
    });
  }

  take(max: number, options: TakeOptions = {}): Promise<Lease[]> {
    return this.#run(() => {
      const leases: Lease[] = [];
      if (!(max >= 1) || this.#counts.queued === 0) return leases;
      if (this.#active.size < MAX_ACTIVE_HOSTS && (this.#moreHosts || this.#delayed > 0)) {
        this.#loadHosts();
      }
      const excluded = options.excludeHosts;
      const maxPerHost = options.maxPerHost ?? Infinity;
      const taken = new Map<string, number>();
      let progress = true;
      while (leases.length < max && progress) {
        progress = false;
        for (const [host, window] of [...this.#active]) {
          if (leases.length >= max) break;
          if (excluded?.has(host) || (taken.get(host) ?? 0) >= maxPerHost) continue;
          if (window.entries.length === 0 && window.more) this.#refill(host, window);
          const next = window.entries.shift();
          this.#active.delete(host);
          if (next === undefined) continue; // drained (or only delayed entries left)
          this.#active.set(host, window); // served: to the back of the round-robin order
          this.#s.setState.run(LEASED, next.rowid);
          this.#counts.queued--;
          this.#counts.leased++;
          const id = `${next.rowid}:${++this.#nextLease}`;
          this.#leases.set(id, next.rowid);
          leases.push(Object.freeze({ id, owner: this.owner, entry: next.entry }));
          taken.set(host, (taken.get(host) ?? 0) + 1);
          progress = true;
        }
      }
      return leases;
    });
  }

  done(lease: Lease): Promise<boolean> {
    return this.#run(() => {
      const rowid = this.#leases.get(lease.id);
      if (rowid === undefined) return false;
      this.#leases.delete(lease.id);
      this.#s.setState.run(DONE, rowid);
      this.#counts.leased--;
      this.#counts.done++;
      return true;
    });
  }

  release(lease: Lease, options: { delayMs?: number } = {}): Promise<boolean> {
    return this.#run(() => {
      const rowid = this.#leases.get(lease.id);
      if (rowid === undefined) return false;
      this.#leases.delete(lease.id);
      const delayMs = options.delayMs ?? 0;
      this.#s.release.run(delayMs > 0 ? Date.now() + delayMs : 0, rowid);
      this.#counts.leased--;
      this.#counts.queued++;
      const entry = { ...lease.entry, retries: (lease.entry.retries ?? 0) + 1 };
      if (delayMs > 0) this.#delayed++;
      else this.#queued(entry, rowid);
      return true;
    });
  }

  renew(lease: Lease): Promise<boolean> {
    return this.#run(() => this.#leases.has(lease.id));
  }

  counts(): Promise<FrontierCounts> {
    return this.#run(() => ({ ...this.#counts }));
  }

  addScopeKeys(keys: readonly string[]): Promise<void> {
    return this.#run(() => {
      for (const key of keys) this.#s.addScope.run(key);
    });
  }

  scopeKeys(): Promise<string[]> {
    return this.#run(() => (this.#s.scope.all() as { key: string }[]).map((r) => r.key));
  }

  async startRecrawl(): Promise<number> {
    await this.#run(() => {
      if (this.#leases.size > 0) {
        throw new TrawlError("INVALID_OPTION", "startRecrawl: URLs of this run are still leased");
      }
      this.#db.exec("DELETE FROM urls; DELETE FROM hosts;");
      this.#counts = { seen: 0, admitted: 0, queued: 0, leased: 0, done: 0 };
      this.#admittedPerHost.clear();
      this.#active.clear();
      this.#moreHosts = false;
      this.#delayed = 0;
    });
    return await this.history.startRun();
  }

  checkpoint(meta: Readonly<Record<string, string>> = {}): Promise<void> {
    return this.#run(() => {
      for (const [key, value] of Object.entries(meta)) this.#s.setMeta.run(key, value);
      this.#commit();
    });
  }

  getMeta(key: string): string | null {
    if (this.#closed) throw closedError();
    return (this.#s.getMeta.get(key) as { value: string } | undefined)?.value ?? null;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearInterval(this.#timer);
    // Manual commits: what was not checkpointed is dropped, as by a crash.
    this.#db.exec(this.#manual ? "ROLLBACK" : "COMMIT");
    this.#db.close();
    return Promise.resolve();
  }

  #run<T>(step: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      const result = step();
      this.#dirty = true;
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #commit(): void {
    this.#db.exec("COMMIT");
    this.#db.exec("BEGIN IMMEDIATE");
    this.#dirty = false;
  }

  #hostAdmitted(host: string): number {
    let n = this.#admittedPerHost.get(host);
    if (n === undefined) {
      n = (this.#s.hostAdmitted.get(host) as { admitted: number } | undefined)?.admitted ?? 0;
      this.#admittedPerHost.set(host, n);
    }
    return n;
  }

  /** A new queued row: into its host's window when it belongs there, else it waits in the file. */
  #queued(entry: FrontierEntry, rowid: number): void {
    const window = this.#active.get(entry.host);
    if (window === undefined) {
      if (this.#active.size < MAX_ACTIVE_HOSTS) {
        this.#active.set(entry.host, { entries: [{ rowid, entry }], more: false });
      } else this.#moreHosts = true;
      return;
    }
    const last = window.entries.at(-1);
    if (window.more || window.entries.length >= WINDOW) window.more = true;
    else if (last !== undefined && last.entry.depth > entry.depth) {
      // Shallower than what the window holds: reload it in queue order.
      window.entries = [];
      window.more = true;
    } else window.entries.push({ rowid, entry });
  }

  #refill(host: string, window: Window): void {
    const rows = this.#s.window.all(host, Date.now()) as {
      id: number;
      url: string;
      depth: number;
      retries: number;
      extra: string | null;
    }[];
    window.more = rows.length > WINDOW;
    window.entries = rows.slice(0, WINDOW).map((r) => ({
      rowid: r.id,
      entry: toEntry(r, host),
    }));
    if (window.entries.length === 0 && this.#delayed > 0) window.more = true;
  }

  /** Bring hosts with queued (and due) entries from the file into the round-robin. */
  #loadHosts(): void {
    const rows = this.#s.hosts.all(Date.now(), MAX_ACTIVE_HOSTS * 2) as { host: string }[];
    let added = 0;
    for (const { host } of rows) {
      if (this.#active.size >= MAX_ACTIVE_HOSTS) break;
      if (this.#active.has(host)) continue;
      this.#active.set(host, { entries: [], more: true });
      added++;
    }
    this.#moreHosts = rows.length >= MAX_ACTIVE_HOSTS * 2 && added > 0;
    // Delayed entries come due in time: look again at the next take.
    if (this.#delayed > 0) {
      this.#delayed = Number(
        (this.#db.prepare(
          `SELECT count(*) AS n FROM urls WHERE state = ${QUEUED} AND ready_at > ?`,
        ).get(Date.now()) as { n: number }).n,
      );
      for (const window of this.#active.values()) window.more = true;
    }
  }
}

function closedError(): TrawlError {
  return new TrawlError("ABORTED", "the frontier store is closed");
}
