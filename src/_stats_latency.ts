/**
 * The latency histogram of every record of {@linkcode CrawlStats}: 1 ms
 * resolution in fixed memory, exact to the millisecond up to 2 minutes, and
 * the largest latency seen.
 *
 * @module
 */

/**
 * Latencies of records (fetch + parse), ms: a count per millisecond from 0 to
 * 120,000 (longer ones in the last), and the exact largest.
 *
 * @example Percentiles of three records
 * ```ts
 * import { RecordLatency } from "./_stats_latency.ts";
 *
 * const latency = new RecordLatency();
 * for (const ms of [10.4, 20, 300]) latency.add(ms);
 * console.log(latency.quantile(0.5), latency.quantile(0.95), latency.max); // 20 300 300
 * ```
 */
export class RecordLatency {
  #counts = new Uint32Array(120_001);
  #count = 0;
  #max: number | null = null;

  /** Count one record's latency; returns it as counted, rounded to a whole ms >= 0. */
  add(ms: number): number {
    const whole = Math.max(0, Math.round(ms));
    this.#counts[Math.min(whole, this.#counts.length - 1)]++;
    this.#count++;
    this.#max = Math.max(this.#max ?? 0, ms);
    return whole;
  }

  /** The latency at quantile `q` (0..1), ms; `null` before the first record. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let ms = 0; ms < this.#counts.length; ms++) {
      seen += this.#counts[ms]!;
      if (seen >= rank) return ms;
    }
    return this.#counts.length - 1;
  }

  /** The largest latency, rounded to the ms; `null` before the first record. */
  get max(): number | null {
    return this.#max === null ? null : Math.round(this.#max);
  }
}
