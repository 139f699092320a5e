/**
 * The report's time series: equal buckets whose width doubles (merging pairs)
 * whenever their number would pass a bound, so a crawl of any length costs at
 * most `maxPoints` buckets. Fed by events as they happen; no timer.
 *
 * @module
 */

import type { ReportSeries } from "./report_data.ts";

interface Bucket {
  records: number;
  failures: number;
  /** The most requests in flight at once. */
  peakInFlight: number;
  /** Frontier size at the bucket's end. */
  queued: number;
  throttled: number;
}

function bucket(inFlight: number, queued: number): Bucket {
  return { records: 0, failures: 0, peakInFlight: inFlight, queued, throttled: 0 };
}

/** Buckets of crawl activity since `start` (a `performance.now()` reading). */
export class TimeSeries {
  #start: number;
  #bucketMs: number;
  #maxPoints: number;
  #buckets: Bucket[];
  #inFlight = 0;
  #queued = 0;

  constructor(start: number, bucketMs: number, maxPoints: number) {
    this.#start = start;
    this.#bucketMs = bucketMs;
    this.#maxPoints = maxPoints;
    this.#buckets = [bucket(0, 0)];
  }

  /** The bucket of time `now`, with every bucket before it filled in. */
  #at(now: number): Bucket {
    let index = Math.floor(Math.max(0, now - this.#start) / this.#bucketMs);
    while (index >= this.#maxPoints) {
      this.#merge();
      index = Math.floor(Math.max(0, now - this.#start) / this.#bucketMs);
    }
    while (this.#buckets.length <= index) this.#buckets.push(bucket(this.#inFlight, this.#queued));
    return this.#buckets[index]!;
  }

  /** Halve the number of buckets: each pair becomes one of twice the width. */
  #merge(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.#buckets.length; i += 2) {
      const a = this.#buckets[i]!;
      const b = this.#buckets[i + 1];
      merged.push(
        b === undefined ? a : {
          records: a.records + b.records,
          failures: a.failures + b.failures,
          peakInFlight: Math.max(a.peakInFlight, b.peakInFlight),
          queued: b.queued,
          throttled: a.throttled + b.throttled,
        },
      );
    }
    this.#buckets = merged;
    this.#bucketMs *= 2;
  }

  // Each update first moves to the bucket of `now`, so the buckets of a quiet spell are
  // filled with the values that held during it, then changes the value.
  request(now: number): void {
    const b = this.#at(now);
    this.#inFlight++;
    b.peakInFlight = Math.max(b.peakInFlight, this.#inFlight);
  }

  response(now: number, status: number | null): void {
    const b = this.#at(now);
    if (this.#inFlight > 0) this.#inFlight--;
    if (status === 429 || status === 503) b.throttled++;
  }

  record(now: number, failed: boolean): void {
    const b = this.#at(now);
    b.records++;
    if (failed) b.failures++;
  }

  frontier(now: number, queued: number): void {
    this.#at(now).queued = queued;
    this.#queued = queued;
  }

  /** The series up to `now`; rates of the last bucket are over its elapsed part. */
  series(now: number): ReportSeries {
    this.#at(now);
    const elapsed = Math.max(0, now - this.#start);
    const out: ReportSeries = {
      bucketMs: this.#bucketMs,
      t: [],
      records: [],
      pagesPerSecond: [],
      failuresPerSecond: [],
      requestsInFlight: [],
      queued: [],
      throttledPerSecond: [],
    };
    const last = this.#buckets.length - 1;
    this.#buckets.forEach((b, i) => {
      const startMs = i * this.#bucketMs;
      const widthMs = i < last ? this.#bucketMs : Math.max(1, elapsed - startMs);
      const perSecond = (n: number) => Math.round((n / widthMs) * 1000 * 10) / 10;
      out.t.push(startMs / 1000);
      out.records.push(b.records);
      out.pagesPerSecond.push(perSecond(b.records));
      out.failuresPerSecond.push(perSecond(b.failures));
      out.requestsInFlight.push(b.peakInFlight);
      out.queued.push(b.queued);
      out.throttledPerSecond.push(perSecond(b.throttled));
    });
    return out;
  }
}
