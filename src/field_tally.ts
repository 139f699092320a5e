/**
 * Typed extraction's tally over a crawl: which fields
 * were found, missing or invalid, and the rates the summary prints
 * (`price: missing on 12% of 4,210 pages`).
 *
 * @module
 */

import type { PageResult } from "./types.ts";

export type { FieldIssue, FieldStatus } from "./types.ts";

/** A parsed page: its typed checks are part of `PageResult` (`invalid`, `fields`). */
export type ParsedPage = PageResult;

/** A field's failure counts over the pages tallied. */
export interface FieldRate {
  /** The field's name or path. */
  field: string;
  /** Pages on which it was missing. */
  missing: number;
  /** Pages on which it was present but invalid. */
  invalid: number;
  /** Pages tallied (with any field report). */
  pages: number;
}

/**
 * Counts per-field failures over pages, for the summary and `--stats`.
 *
 * @example Tally two pages
 * ```ts
 * import { FieldTally } from "./field_tally.ts";
 *
 * const tally = new FieldTally();
 * tally.add({ fields: { name: "ok", price: "missing" } });
 * tally.add({ fields: { name: "ok", price: "ok" } });
 * console.log(tally.summary()); // ["price: missing on 50% of 2 pages"]
 * ```
 */
export class FieldTally {
  #pages = 0;
  #counts = new Map<string, { missing: number; invalid: number }>();

  /** Count one page's report (pages without `fields` are not counted). */
  add(page: Pick<ParsedPage, "fields">): void {
    if (!page.fields) return;
    this.#pages++;
    for (const [field, status] of Object.entries(page.fields)) {
      let counts = this.#counts.get(field);
      if (!counts) this.#counts.set(field, counts = { missing: 0, invalid: 0 });
      if (status === "missing") counts.missing++;
      else if (status === "invalid") counts.invalid++;
    }
  }

  /** Pages counted. */
  get pages(): number {
    return this.#pages;
  }

  /** Every field seen, with its counts, worst first. */
  rates(): FieldRate[] {
    return [...this.#counts].map(([field, c]) => ({ field, ...c, pages: this.#pages }))
      .sort((a, b) =>
        b.missing + b.invalid - (a.missing + a.invalid) || (a.field < b.field ? -1 : 1)
      );
  }

  /** One line per field that failed anywhere, e.g. `price: missing on 12% of 4,210 pages`. */
  summary(): string[] {
    return this.rates().filter((r) => r.missing + r.invalid > 0).map(formatFieldRate);
  }
}

/**
 * A field's failure rate as the summary prints it.
 *
 * @example
 * ```ts
 * import { formatFieldRate } from "./field_tally.ts";
 *
 * console.log(formatFieldRate({ field: "price", missing: 505, invalid: 0, pages: 4210 }));
 * // "price: missing on 12% of 4,210 pages"
 * ```
 */
export function formatFieldRate(r: FieldRate): string {
  const pct = (n: number) => {
    const p = (100 * n) / r.pages;
    return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
  };
  const parts = [
    ...(r.missing > 0 ? [`missing on ${pct(r.missing)}`] : []),
    ...(r.invalid > 0 ? [`invalid on ${pct(r.invalid)}`] : []),
  ];
  return `${r.field}: ${parts.join(", ")} of ${r.pages.toLocaleString("en-US")} pages`;
}
