/**
 * The in-memory {@linkcode FrontierStore}: per-host FIFO queues, round-robin
 * across hosts, lazily expiring leases, no timers.
 *
 * @module
 */

import type {
  AddOptions,
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
  /** How long a taken entry stays leased before it may be handed out again. @default {600000} */
  leaseMs?: number;
  /** The clock, in milliseconds (monotonic); injectable for tests. @default {performance.now} */
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

interface Held {
  lease: Lease;
  expiresAt: number;
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
 * const store = createMemoryFrontierStore({ leaseMs: 60_000 });
 * await store.add([{ url: "https://example.com/", depth: 0, host: "example.com" }]);
 * const [lease] = await store.take(1);
 * await store.done(lease);
 * console.log(await store.counts()); // { seen: 1, queued: 0, leased: 0, done: 1 }
 * ```
 */
export function createMemoryFrontierStore(
  options: MemoryFrontierStoreOptions = {},
): FrontierStore {
  return new MemoryFrontierStore(options);
}

class MemoryFrontierStore implements FrontierStore {
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #seen = new Set<string>();
  /** Hosts with ready entries, least recently served first (Map keeps insertion order). */
  readonly #ready = new Map<string, HostQueue>();
  /** Released entries waiting for their delay, keyed by the time they are due. */
  readonly #delayed = new MinHeap<FrontierEntry>();
  /** Held leases in take order, which is expiry order (constant leaseMs, monotonic clock). */
  readonly #leases = new Map<string, Held>();
  #readyCount = 0;
  #done = 0;
  #nextId = 0;

  constructor(options: MemoryFrontierStoreOptions) {
    const leaseMs = options.leaseMs ?? 600_000;
    if (!(leaseMs > 0)) {
      throw new TrawlError("INVALID_OPTION", `leaseMs must be a positive number, got ${leaseMs}`);
    }
    this.#leaseMs = leaseMs;
    this.#now = options.now ?? (() => performance.now());
  }

  add(entries: readonly FrontierEntry[], options: AddOptions = {}): Promise<FrontierEntry[]> {
    const added: FrontierEntry[] = [];
    for (const entry of entries) {
      if (this.#seen.has(entry.url)) continue;
      this.#seen.add(entry.url);
      const copy = { url: entry.url, depth: entry.depth, host: entry.host };
      if (options.done) this.#done++;
      else this.#enqueue(copy);
      added.push(copy);
    }
    return Promise.resolve(added);
  }

  take(max: number, options: TakeOptions = {}): Promise<Lease[]> {
    const now = this.#now();
    this.#reclaim(now);
    const leases: Lease[] = [];
    if (!(max >= 1) || this.#readyCount === 0) return Promise.resolve(leases);
    const excluded = options.excludeHosts;
    // At most `max` hosts can be served, so stop collecting once there are that many.
    let turn: HostQueue[] = [];
    for (const queue of this.#ready.values()) {
      if (excluded?.has(queue.host)) continue;
      turn.push(queue);
      if (turn.length >= max) break;
    }
    while (turn.length > 0 && leases.length < max) {
      const next: HostQueue[] = [];
      for (const queue of turn) {
        if (leases.length >= max) break;
        const entry = this.#dequeue(queue);
        const lease: Lease = Object.freeze({ id: String(++this.#nextId), entry });
        this.#leases.set(lease.id, { lease, expiresAt: now + this.#leaseMs });
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

  done(lease: Lease): Promise<void> {
    if (this.#leases.delete(lease.id)) this.#done++;
    return Promise.resolve();
  }

  release(lease: Lease, options: { delayMs?: number } = {}): Promise<void> {
    const held = this.#leases.get(lease.id);
    if (held === undefined) return Promise.resolve();
    this.#leases.delete(lease.id);
    const delayMs = options.delayMs ?? 0;
    if (delayMs > 0) this.#delayed.push(this.#now() + delayMs, held.lease.entry);
    else this.#enqueue(held.lease.entry);
    return Promise.resolve();
  }

  counts(): Promise<FrontierCounts> {
    this.#reclaim(this.#now());
    return Promise.resolve({
      seen: this.#seen.size,
      queued: this.#readyCount + this.#delayed.size,
      leased: this.#leases.size,
      done: this.#done,
    });
  }

  /** Requeue expired leases and entries whose release delay has passed. */
  #reclaim(now: number): void {
    for (const [id, held] of this.#leases) {
      if (held.expiresAt > now) break;
      this.#leases.delete(id);
      this.#enqueue(held.lease.entry);
    }
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

function insertSorted(values: number[], value: number): void {
  let i = values.length;
  while (i > 0 && values[i - 1] > value) i--;
  values.splice(i, 0, value);
}
