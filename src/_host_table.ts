/**
 * The rows of the per-host table of {@linkcode CrawlStats}: counters and a
 * fixed-memory latency histogram per host, and how rows fold together.
 *
 * @module
 */

import type { HostStats } from "./crawl_stats.ts";

// Per-host latency: exact buckets for 0..15 ms, then 8 buckets per power of two up to 2^17 ms,
// then one overflow bucket.
export const BUCKETS = 121;
const OVERFLOW = BUCKETS - 1;

export function bucketOf(ms: number): number {
  if (ms < 16) return ms;
  if (ms >= 131_072) return OVERFLOW;
  const k = 31 - Math.clz32(ms);
  return (k - 2) * 8 + ((ms >> (k - 3)) & 7);
}

/** The value a bucket stands for: its middle (exact below 16 ms). */
function bucketValue(i: number): number {
  if (i < 16) return i;
  const k = (i >> 3) + 2;
  return ((8 + (i & 7)) << (k - 3)) + ((1 << (k - 3)) >> 1);
}

/** A host's row: the counters of {@linkcode HostStats}, and a latency histogram for its percentiles. */
export interface Row extends Omit<HostStats, "latencyMs"> {
  latency: Uint32Array;
  /** Records in `latency`. */
  timed: number;
  maxMs: number;
  lastActive: number;
}

export function newRow(host: string): Row {
  return {
    host,
    inFlight: 0,
    queued: 0,
    done: 0,
    failed: 0,
    gapMs: 0,
    backoffs: 0,
    status429: 0,
    status503: 0,
    retries: 0,
    latency: new Uint32Array(BUCKETS),
    timed: 0,
    maxMs: 0,
    lastActive: 0,
  };
}

/** Add `from`'s counters to `into` (not the gap, not the histogram). */
export function addCounts(into: Row, from: Row): void {
  into.inFlight += from.inFlight;
  into.queued += from.queued;
  into.done += from.done;
  into.failed += from.failed;
  into.backoffs += from.backoffs;
  into.status429 += from.status429;
  into.status503 += from.status503;
  into.retries += from.retries;
  into.timed += from.timed;
  into.maxMs = Math.max(into.maxMs, from.maxMs);
}

export function time(row: Row, bucket: number, ms: number): void {
  row.latency[bucket]!++;
  row.timed++;
  if (ms > row.maxMs) row.maxMs = ms;
}

export function quantile(row: Row, q: number): number | null {
  if (row.timed === 0) return null;
  const rank = Math.max(1, Math.ceil(q * row.timed));
  let seen = 0;
  for (let i = 0; i < OVERFLOW; i++) {
    seen += row.latency[i]!;
    if (seen >= rank) return Math.min(bucketValue(i), row.maxMs);
  }
  return row.maxMs;
}

export function hostStats(row: Row): HostStats {
  return {
    host: row.host,
    inFlight: row.inFlight,
    queued: row.queued,
    done: row.done,
    failed: row.failed,
    gapMs: row.gapMs,
    backoffs: row.backoffs,
    status429: row.status429,
    status503: row.status503,
    latencyMs: { p50: quantile(row, 0.5), p95: quantile(row, 0.95) },
    retries: row.retries,
  };
}

/** Busiest first, then by name. */
export function byDone(a: Row, b: Row): number {
  return b.done - a.done || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);
}
