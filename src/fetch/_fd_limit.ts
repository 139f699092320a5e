/**
 * Reads the process's open-file limit, so a socket budget that would run out
 * of descriptors (which panics Deno under undici) is refused up front.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";

/** Descriptors kept free for stdio, files, workers and the like. */
export const FD_MARGIN = 256;

/** The soft "Max open files" limit from /proc/self/limits; `null` if unreadable or unlimited. */
export function readOpenFileLimit(): number | null {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    return match && match[1] !== "unlimited" ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Throw `FD_LIMIT` if `maxInFlight` sockets would not fit under the limit minus
 * {@linkcode FD_MARGIN}. Returns the socket budget (or `Infinity` when unknown).
 */
export function checkFdBudget(maxInFlight: number, limit = readOpenFileLimit()): number {
  if (limit === null) return Infinity;
  const budget = limit - FD_MARGIN;
  if (maxInFlight > budget) {
    throw new TrawlError(
      "FD_LIMIT",
      `maxInFlight ${maxInFlight} needs up to ${maxInFlight} sockets, but the open-file limit is ` +
        `${limit} (${FD_MARGIN} kept in reserve): lower maxInFlight to at most ${budget}, or raise ` +
        `the limit (e.g. \`ulimit -n ${maxInFlight + FD_MARGIN * 2}\`) before starting Deno`,
    );
  }
  return budget;
}
