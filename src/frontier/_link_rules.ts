/**
 * The frontier's link rules that are not scope or patterns: the spider-trap path
 * check, and the refusal of a redirect hop that leaves the crawl's policy.
 *
 * @module
 */

import type { ErrorInfo } from "../trawl_error.ts";
import type { FrontierScope } from "./_scope.ts";

const SCOPE_WORDS: Readonly<Record<FrontierScope, string>> = {
  host: "hosts",
  domain: "registrable domains",
  origin: "origins",
  all: "anything",
};

/** Segment bounds of the path being checked by {@linkcode isTrap} (reused: no allocation per link). */
const STARTS: number[] = [];
const ENDS: number[] = [];

/**
 * A path that looks like a spider trap: a segment repeated 3 times (a relative link
 * that keeps appending itself: `/a/b/a/b/a/`), or more than 32 segments. Runs for
 * every link: one scan, no allocation; segments are compared in place.
 */
export function isTrap(path: string): boolean {
  let n = 0;
  for (let i = 1, start = 1; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== 47) continue; // "/"
    if (i > start) {
      if (n === 32) return true;
      STARTS[n] = start;
      ENDS[n++] = i;
    }
    start = i + 1;
  }
  if (n < 3) return false;
  for (let a = 0; a < n - 2; a++) {
    let repeats = 1;
    const len = ENDS[a]! - STARTS[a]!;
    for (let b = a + 1; b < n && repeats < 3; b++) {
      if (
        ENDS[b]! - STARTS[b]! === len && path.startsWith(path.slice(STARTS[a], ENDS[a]), STARTS[b])
      ) {
        repeats++;
      }
    }
    if (repeats >= 3) return true;
  }
  return false;
}

export function hostnameOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** Why a redirect hop from `from` to `target` is not followed: `OUT_OF_SCOPE`, naming the rule. */
export function redirectRefusal(
  from: string,
  target: string,
  why: { scope: FrontierScope } | { include: true } | { excluded: RegExp },
): ErrorInfo {
  const rule = "scope" in why
    ? `outside the crawl's scope (--scope ${why.scope}: the seeds' ${SCOPE_WORDS[why.scope]})`
    : "include" in why
    ? "which matches no --include pattern"
    : `which matches the --exclude pattern ${why.excluded}`;
  return { code: "OUT_OF_SCOPE", message: `${from} redirects to ${target}, ${rule}; not fetched` };
}
