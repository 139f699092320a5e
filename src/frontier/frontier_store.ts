/**
 * The storage contract of the frontier. The in-memory store implements it
 * today; SQLite and Redis stores will implement the same interface, so the
 * contract below (dedupe, order, leases) is what every store must honour.
 *
 * @module
 */

/**
 * One URL waiting in (or taken from) the frontier.
 *
 * @example An entry as the frontier builds it
 * ```ts
 * import type { FrontierEntry } from "./frontier_store.ts";
 *
 * const entry: FrontierEntry = { url: "https://example.com/", depth: 0, host: "example.com" };
 * ```
 */
export interface FrontierEntry {
  /** The normalized URL (see `normalizeUrl`): the dedupe key. */
  url: string;
  /** Link depth from the seeds (seeds are 0). */
  depth: number;
  /** `URL.host` of `url` (lowercase, port included when not the default): the politeness key. */
  host: string;
}

/**
 * A taken entry. Invisible to other takers until `done()`, `release()` or lease
 * expiry.
 *
 * @example Finish a lease
 * ```ts
 * import type { FrontierStore, Lease } from "./frontier_store.ts";
 *
 * async function finish(store: FrontierStore, lease: Lease) {
 *   console.log("fetched", lease.entry.url);
 *   await store.done(lease);
 * }
 * ```
 */
export interface Lease {
  /** Opaque, unique within the store for its lifetime. */
  readonly id: string;
  /** The entry handed out. */
  readonly entry: FrontierEntry;
}

/**
 * Options for {@linkcode FrontierStore.take}.
 *
 * @example Skip busy hosts
 * ```ts
 * import type { TakeOptions } from "./frontier_store.ts";
 *
 * const options: TakeOptions = { excludeHosts: new Set(["slow.example.com"]) };
 * ```
 */
export interface TakeOptions {
  /** Hosts not to take from now (the scheduler's busy or delayed hosts). @default {empty} */
  excludeHosts?: ReadonlySet<string>;
}

/**
 * Options for {@linkcode FrontierStore.add}.
 *
 * @example Record a URL as fetched without queueing it
 * ```ts
 * import type { AddOptions } from "./frontier_store.ts";
 *
 * const options: AddOptions = { done: true }; // e.g. a redirect target fetched in passing
 * ```
 */
export interface AddOptions {
  /** Add the new entries as already done: seen (so later adds drop them), never queued. @default {false} */
  done?: boolean;
}

/**
 * Sizes of the frontier. `seen` = every URL ever added; each seen URL is in
 * exactly one of `queued` (including entries released with a delay that has not
 * yet passed), `leased` or `done`.
 *
 * @example Is the crawl finished?
 * ```ts
 * import type { FrontierCounts } from "./frontier_store.ts";
 *
 * const finished = (c: FrontierCounts) => c.queued === 0 && c.leased === 0;
 * ```
 */
export interface FrontierCounts {
  /** URLs ever added (the dedupe set). */
  seen: number;
  /** URLs waiting, ready or delayed. */
  queued: number;
  /** URLs handed out and not yet done, released or reclaimed. */
  leased: number;
  /** URLs finished for good. */
  done: number;
}

/**
 * Where frontier entries live: dedupe set, queues and leases.
 *
 * ## Contract (every implementation)
 *
 * - **Dedupe.** `add` is atomic per call: an entry whose `url` was ever added
 *   before (queued, leased or done, by this or any other process sharing the
 *   store) is dropped; duplicates within one call keep the first. It returns
 *   exactly the entries it added, in input order. URLs are compared as given:
 *   callers normalize first.
 * - **Order.** `take` hands out entries breadth-first within a host (lower
 *   `depth` first, FIFO within a depth, also for entries that come back through
 *   `release` or expiry) and spreads a call across hosts round-robin: one entry
 *   per ready host per turn, hosts served least recently first. There is no
 *   global depth order across hosts. Hosts in `excludeHosts` are skipped without
 *   losing their turn order.
 * - **Leases.** A taken entry is leased: no `take` (in any process) returns it
 *   again until one of
 *   - `done(lease)`: it is finished for good and never handed out again;
 *   - `release(lease, {delayMs})`: it is queued again, visible to `take` no
 *     earlier than `delayMs` from now (0 = at once), at its original depth;
 *   - expiry: `leaseMs` (a store option) after the `take`, the lease MAY be
 *     reclaimed and the entry queued again (stores check lazily, e.g. at the
 *     next `take`, with no timers). Delivery is therefore at-least-once: a
 *     worker that takes longer than `leaseMs` may see its URL fetched twice.
 * - **Stale leases.** `done` and `release` on a lease that is no longer held
 *   (already finished, released, reclaimed after expiry, or unknown) do nothing
 *   and resolve normally; they never throw for that reason. A lease that has
 *   expired but has not yet been reclaimed is still held.
 * - **Empty takes.** `take` may return fewer than `max` (or none) while
 *   `counts().queued > 0`: entries may be delayed or on excluded hosts. Callers
 *   poll again later.
 * - **Failures.** A store that cannot reach its backend rejects with the
 *   underlying error; it never silently drops an entry.
 *
 * @example Drain a store
 * ```ts
 * import type { FrontierStore } from "./frontier_store.ts";
 *
 * async function drain(store: FrontierStore) {
 *   for (let leases = await store.take(10); leases.length > 0; leases = await store.take(10)) {
 *     for (const lease of leases) await store.done(lease);
 *   }
 * }
 * ```
 */
export interface FrontierStore {
  /** Atomically add the entries whose URL was never seen before; returns the ones added. */
  add(entries: readonly FrontierEntry[], options?: AddOptions): Promise<FrontierEntry[]>;
  /** Lease up to `max` queued entries, breadth-first, skipping excluded hosts, spreading across hosts. */
  take(max: number, options?: TakeOptions): Promise<Lease[]>;
  /** The leased URL is finished (success or final failure): never handed out again. */
  done(lease: Lease): Promise<void>;
  /** Put a leased entry back (for retry), visible again after `delayMs`. */
  release(lease: Lease, options?: { delayMs?: number }): Promise<void>;
  /** Current sizes (after reclaiming expired leases and due delays). */
  counts(): Promise<FrontierCounts>;
}
