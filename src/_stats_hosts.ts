/**
 * The bounded per-host table of {@linkcode CrawlStats}: a row per host up to
 * `maxHosts`, the least recently active rows folded into the `"(other hosts)"`
 * row beyond that, and the busiest rows listed for a snapshot. The rows
 * themselves are in `_host_table.ts`.
 *
 * @module
 */

import { type CrawlStatsOptions, type HostStats, OTHER_HOSTS } from "./crawl_stats.ts";
import {
  addCounts,
  bucketOf,
  BUCKETS,
  byDone,
  hostStats,
  newRow,
  type Row,
  time,
} from "./_host_table.ts";

/**
 * The host rows of a crawl, at most `maxHosts` of them: when a new host would
 * exceed it, the least recently active tenth (at least one) are folded into the
 * `"(other hosts)"` row. Takes options already checked by {@linkcode CrawlStats}.
 *
 * @example Count a request and its response
 * ```ts
 * import { HostRows } from "./_stats_hosts.ts";
 *
 * const hosts = new HostRows({ maxHosts: 10, maxSnapshotHosts: 5 });
 * hosts.row("example.com").inFlight++;
 * hosts.response("example.com", 429);
 * const [row] = hosts.all();
 * console.log(hosts.count, row?.inFlight, row?.status429); // 1 0 1
 * ```
 */
export class HostRows {
  #options: Required<CrawlStatsOptions>;
  #rows = new Map<string, Row>();
  /** The rows folded away by `maxHosts`, or `null` before the first fold. */
  #other: Row | null = null;
  /** Every timed record of every host, in the per-host histogram's buckets. */
  #allHosts = newRow(OTHER_HOSTS);
  #count = 0;
  #tick = 0;

  /** Create an empty table. */
  constructor(options: Required<CrawlStatsOptions>) {
    this.#options = options;
  }

  /** Hosts seen (a host folded away and seen again counts twice). */
  get count(): number {
    return this.#count;
  }

  /** The row of `host`, created (folding old rows away if need be) on first sight. */
  row(host: string): Row {
    let row = this.#rows.get(host);
    if (row === undefined) {
      if (this.#rows.size >= this.#options.maxHosts) this.#fold();
      row = newRow(host);
      this.#rows.set(host, row);
      this.#count++;
    }
    row.lastActive = ++this.#tick;
    return row;
  }

  /** Count a response of `host`: one request fewer in flight, and its status if 429 or 503. */
  response(host: string, status: number | null): void {
    const row = this.row(host);
    if (row.inFlight > 0) row.inFlight--;
    else if (this.#other && this.#other.inFlight > 0) this.#other.inFlight--;
    if (status === 429) row.status429++;
    else if (status === 503) row.status503++;
  }

  /**
   * Count a record of `host`: done, failed if so, one URL fewer queued, and its
   * latency `ms` (a whole number >= 0) when it fetched something (`attempts > 0`).
   */
  record(host: string, failed: boolean, attempts: number, ms: number): void {
    const row = this.row(host);
    row.done++;
    if (failed) row.failed++;
    if (row.queued > 0) row.queued--;
    else if (this.#other && this.#other.queued > 0) this.#other.queued--;
    if (attempts > 0) {
      const bucket = bucketOf(ms);
      time(row, bucket, ms);
      time(this.#allHosts, bucket, ms);
    }
  }

  /** Fold the least recently active tenth of the rows (at least one) into the other row. */
  #fold(): void {
    const other = this.#other ??= newRow(OTHER_HOSTS);
    const count = Math.max(1, Math.floor(this.#options.maxHosts / 10));
    const oldest = [...this.#rows.values()].sort((a, b) => a.lastActive - b.lastActive);
    for (const row of oldest.slice(0, count)) {
      addCounts(other, row);
      for (let i = 0; i < BUCKETS; i++) other.latency[i]! += row.latency[i]!;
      this.#rows.delete(row.host);
    }
  }

  /** Every row, busiest first (by `done`, then name), then the folded row if any. */
  all(): HostStats[] {
    const rows = [...this.#rows.values()].sort(byDone).map(hostStats);
    if (this.#other) rows.push(hostStats(this.#other));
    return rows;
  }

  /** The `maxSnapshotHosts` busiest rows, then the rest folded into one row. O(hosts). */
  top(): HostStats[] {
    const k = this.#options.maxSnapshotHosts;
    const top: Row[] = [];
    for (const row of this.#rows.values()) {
      if (top.length === k && (k === 0 || byDone(row, top[k - 1]!) >= 0)) continue;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (byDone(top[mid]!, row) < 0) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, row);
      if (top.length > k) top.pop();
    }
    const out = top.map(hostStats);
    if (this.#rows.size <= top.length && this.#other === null) return out;
    // The rest: the folded row plus every unlisted row; its histogram is all hosts' minus the listed.
    const rest = newRow(OTHER_HOSTS);
    if (this.#other) addCounts(rest, this.#other);
    const listed = new Set(top);
    for (const row of this.#rows.values()) if (!listed.has(row)) addCounts(rest, row);
    rest.latency.set(this.#allHosts.latency);
    for (const row of top) {
      for (let i = 0; i < BUCKETS; i++) rest.latency[i]! -= row.latency[i]!;
    }
    out.push(hostStats(rest));
    return out;
  }
}
