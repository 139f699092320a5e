/**
 * The in-memory {@linkcode FrontierStore} (contract v2): per-host FIFO queues,
 * round-robin across hosts, leases held until done or released (one process: a
 * process that dies takes its memory with it, so there is nothing to recover),
 * budgets and scope keys kept beside the dedupe set. No timers.
 *
 * @module
 */

import type {
  AddOptions,
  AddResult,
  FrontierCounts,
  FrontierEntry,
  FrontierStore,
  Lease,
  TakeOptions,
} from "./frontier_store.ts";
import { Fifo, MinHeap } from "./_queues.ts";
import { TrawlError } from "../trawl_error.ts";

/** Options for {@linkcode createMemoryFrontierStore}. */
export interface MemoryFrontierStoreOptions {
  /** The owner stamped on leases. @default {a random id} */
  owner?: string;
  /** The clock for release delays, in milliseconds (monotonic); injectable for tests. @default {performance.now} */
  now?: () => number;
}

/** One host's queued entries: a FIFO per depth, lowest depth served first. */
interface HostQueue {
  host: string;
  /** Depths with a non-empty bucket, ascending. */
  depths: number[];
  buckets: Map<number, Fifo<FrontierEntry>>;
  size: number;
}

/**
 * Create an in-memory frontier store (one process, lost on exit).
 *
 * Memory: each seen URL keeps its string (a 55-character ASCII URL is ~70 bytes)
 * plus a dedupe `Set` slot (~12 bytes); while queued or leased it also has a
 * `{url, depth, host}` entry and a queue slot (~70 bytes more; strings are shared,
 * not copied). Measured with 200k URLs: ~82 bytes per queued URL and ~12 per done
 * URL on top of the strings, so roughly 150 and 85 bytes in all. Tens of
 * millions of URLs call for a persistent store.
 *
 * @example Add, take, finish
 * ```ts
 * import { createMemoryFrontierStore } from "./memory_frontier_store.ts";
 *
 * const store = createMemoryFrontierStore();
 * await store.add([{ url: "https://example.com/", depth: 0, host: "example.com" }]);
 * const [lease] = await store.take(1);
 * await store.done(lease);
 * console.log(await store.counts()); // { seen: 1, admitted: 1, queued: 0, leased: 0, done: 1 }
 * ```
 */
export function createMemoryFrontierStore(
  options: MemoryFrontierStoreOptions = {},
): FrontierStore {
  return new MemoryFrontierStore(options);
}

class MemoryFrontierStore implements FrontierStore {
  readonly owner: string;
  readonly #now: () => number;
  readonly #seen = new Set<string>();
  /** Hosts with ready entries, least recently served first (Map keeps insertion order). */
  readonly #ready = new Map<string, HostQueue>();
  /** Released entries waiting for their delay, keyed by the time they are due. */
  readonly #delayed = new MinHeap<FrontierEntry>();
  readonly #leases = new Map<string, Lease>();
  /** Entries ever admitted (queued), in all and per host: what the page budgets count. */
  readonly #admittedPerHost = new Map<string, number>();
  readonly #scopeKeys = new Set<string>();
  #admitted = 0;
  #readyCount = 0;
  #done = 0;
  #nextId = 0;
  #closed = false;

  constructor(options: MemoryFrontierStoreOptions) {
    this.owner = options.owner ?? crypto.randomUUID();
    this.#now = options.now ?? (() => performance.now());
  }

  add(entries: readonly FrontierEntry[], options: AddOptions = {}): Promise<AddResult> {
    if (this.#closed) return closed();
    const added: FrontierEntry[] = [];
    const maxPages = options.maxPages ?? Infinity;
    const maxPerHost = options.maxPagesPerHost ?? Infinity;
    let overLimit = 0;
    for (const entry of entries) {
      if (this.#seen.has(entry.url)) continue;
      if (options.done) {
        this.#seen.add(entry.url);
        this.#done++;
        added.push(entry);
        continue;
      }
      const onHost = this.#admittedPerHost.get(entry.host) ?? 0;
      if (this.#admitted >= maxPages || onHost >= maxPerHost) {
        overLimit++;
        continue;
      }
      this.#seen.add(entry.url);
      this.#admitted++;
      this.#admittedPerHost.set(entry.host, onHost + 1);
      const copy: FrontierEntry = { ...entry };
      this.#enqueue(copy);
      added.push(copy);
    }
    return Promise.resolve({ added, overLimit, admitted: this.#admitted });
  }

  take(max: number, options: TakeOptions = {}): Promise<Lease[]> {
    if (this.#closed) return closed();
    this.#wake(this.#now());
    const leases: Lease[] = [];
    if (!(max >= 1) || this.#readyCount === 0) return Promise.resolve(leases);
    const excluded = options.excludeHosts;
    const maxPerHost = options.maxPerHost ?? Infinity;
    // At most `max` hosts can be served, so stop collecting once there are that many.
    let turn: HostQueue[] = [];
    for (const queue of this.#ready.values()) {
      if (excluded?.has(queue.host)) continue;
      turn.push(queue);
      if (turn.length >= max) break;
    }
    for (let round = 0; turn.length > 0 && leases.length < max && round < maxPerHost; round++) {
      const next: HostQueue[] = [];
      for (const queue of turn) {
        if (leases.length >= max) break;
        const entry = this.#dequeue(queue);
        const lease: Lease = Object.freeze({
          id: String(++this.#nextId),
          owner: this.owner,
          entry,
        });
        this.#leases.set(lease.id, lease);
        leases.push(lease);
        // Served: move to the back of the round-robin order (or drop when empty).
        this.#ready.delete(queue.host);
        if (queue.size > 0) {
          this.#ready.set(queue.host, queue);
          next.push(queue);
        }
      }
      turn = next;
    }
    return Promise.resolve(leases);
  }

  done(lease: Lease): Promise<boolean> {
    if (this.#closed) return closed();
    if (!this.#leases.delete(lease.id)) return Promise.resolve(false);
    this.#done++;
    return Promise.resolve(true);
  }

  release(lease: Lease, options: { delayMs?: number } = {}): Promise<boolean> {
    if (this.#closed) return closed();
    const held = this.#leases.get(lease.id);
    if (held === undefined) return Promise.resolve(false);
    this.#leases.delete(lease.id);
    const entry: FrontierEntry = { ...held.entry, retries: (held.entry.retries ?? 0) + 1 };
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) this.#delayed.push(this.#now() + delayMs, entry);
    else this.#enqueue(entry);
    return Promise.resolve(true);
  }

  renew(lease: Lease): Promise<boolean> {
    if (this.#closed) return closed();
    return Promise.resolve(this.#leases.has(lease.id));
  }

  counts(): Promise<FrontierCounts> {
    if (this.#closed) return closed();
    this.#wake(this.#now());
    return Promise.resolve({
      seen: this.#seen.size,
      admitted: this.#admitted,
      queued: this.#readyCount + this.#delayed.size,
      leased: this.#leases.size,
      done: this.#done,
    });
  }

  addScopeKeys(keys: readonly string[]): Promise<void> {
    if (this.#closed) return closed();
    for (const key of keys) this.#scopeKeys.add(key);
    return Promise.resolve();
  }

  scopeKeys(): Promise<string[]> {
    if (this.#closed) return closed();
    return Promise.resolve([...this.#scopeKeys]);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Requeue entries whose release delay has passed. */
  #wake(now: number): void {
    while (this.#delayed.peekKey() <= now) this.#enqueue(this.#delayed.pop()!);
  }

  #enqueue(entry: FrontierEntry): void {
    let queue = this.#ready.get(entry.host);
    if (queue === undefined) {
      queue = { host: entry.host, depths: [], buckets: new Map(), size: 0 };
      this.#ready.set(entry.host, queue);
    }
    let bucket = queue.buckets.get(entry.depth);
    if (bucket === undefined) {
      bucket = new Fifo();
      queue.buckets.set(entry.depth, bucket);
      insertSorted(queue.depths, entry.depth);
    }
    bucket.push(entry);
    queue.size++;
    this.#readyCount++;
  }

  /** Remove the next entry of a non-empty queue: lowest depth, FIFO within it. */
  #dequeue(queue: HostQueue): FrontierEntry {
    const depth = queue.depths[0];
    const bucket = queue.buckets.get(depth)!;
    const entry = bucket.shift()!;
    if (bucket.size === 0) {
      queue.buckets.delete(depth);
      queue.depths.shift();
    }
    queue.size--;
    this.#readyCount--;
    return entry;
  }
}

function closed(): Promise<never> {
  return Promise.reject(new TrawlError("ABORTED", "the frontier store is closed"));
}

function insertSorted(values: number[], value: number): void {
  let i = values.length;
  while (i > 0 && values[i - 1] > value) i--;
  values.splice(i, 0, value);
}
