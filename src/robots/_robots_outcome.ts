/**
 * Internal: what one robots.txt fetch means (RFC 9309 section 2.3.1).
 *
 * - 2xx: the body is parsed, up to the cap (a body cut at the cap loses its
 *   last, partial line); outcome `"fetched"`.
 * - 3xx left over after the fetch layer's redirects (too many, or a refused
 *   hop), and 4xx except 429: `"unavailable"`, no rules.
 * - 429, 5xx, no response, or a 2xx whose body failed (other than by being
 *   over the cap): `"unreachable"`, everything disallowed. 429 is treated like
 *   5xx: a server asking us to slow down is not a server saying "no rules".
 *
 * @module
 */

import type { ErrorInfo, FetchResult } from "../types.ts";
import { type ParsedRobots, parseRobots } from "./_robots_rules.ts";
import type { RobotsOutcome } from "./robots_types.ts";

/** The rules in force for an origin. */
export type Rules =
  | {
    kind: "parsed";
    robots: ParsedRobots;
    crawlDelayMs: number | null;
    robotsUrl: string;
    /** Appended to refusals (e.g. that a cached copy is in use); `""` for none. */
    note: string;
  }
  | { kind: "allowAll"; reason: string }
  | { kind: "disallowAll"; reason: string; error?: ErrorInfo };

/** One fetch, interpreted. */
export interface Resolved {
  rules: Rules;
  outcome: RobotsOutcome;
  status: number | null;
}

/** What {@linkcode interpret} needs besides the result. */
export interface InterpretContext {
  token: string;
  maxBytes: number;
  maxCrawlDelayMs: number;
  unreachableRetryMs: number;
}

/** The rules in force while robots.txt is unreachable. */
export function unreachable(
  robotsUrl: string,
  why: string,
  retryMs: number,
  error?: ErrorInfo,
): Rules {
  return {
    kind: "disallowAll",
    reason: `${robotsUrl} unreachable (${why}): everything disallowed for ${retryMs} ms, ` +
      `then it is fetched again`,
    error,
  };
}

/** `Crawl-delay` seconds as milliseconds, capped; `null` when none. */
export function crawlDelayMs(seconds: number | undefined, maxMs: number): number | null {
  return seconds === undefined ? null : Math.min(Math.round(seconds * 1000), maxMs);
}

const decoder = new TextDecoder(); // UTF-8, a leading BOM skipped, bad bytes as U+FFFD

/** Decode at most `maxBytes` of `body`; when cut, the partial last line is dropped. */
function decodeCapped(body: Uint8Array, maxBytes: number): string {
  if (body.length < maxBytes) return decoder.decode(body);
  const text = decoder.decode(body.subarray(0, maxBytes));
  const end = Math.max(text.lastIndexOf("\n"), text.lastIndexOf("\r"));
  return text.slice(0, Math.max(0, end));
}

/** Interpret the fetch of `robotsUrl`. */
export function interpret(
  robotsUrl: string,
  result: FetchResult,
  context: InterpretContext,
): Resolved {
  const { status, error } = result;
  const retryMs = context.unreachableRetryMs;
  const down = (why: string, info?: ErrorInfo): Resolved => ({
    rules: unreachable(robotsUrl, why, retryMs, info),
    outcome: "unreachable",
    status,
  });
  const noRules = (why: string): Resolved => ({
    rules: { kind: "allowAll", reason: `${robotsUrl} unavailable (${why}): no rules` },
    outcome: "unavailable",
    status,
  });
  if (error?.code === "TOO_MANY_REDIRECTS") return noRules(`${error.code}: ${error.message}`);
  if (status === null) {
    return error ? down(`${error.code}: ${error.message}`, error) : down("no response");
  }
  if (status === 429 || status >= 500) return down(`HTTP ${status}`);
  if (status < 200 || status >= 300) return noRules(`HTTP ${status}`);
  if (error !== null && !(error.code === "TOO_LARGE" && result.body.length > 0)) {
    return down(`HTTP ${status} but ${error.code}: ${error.message}`);
  }
  const robots = parseRobots(decodeCapped(result.body, context.maxBytes), context.token);
  return {
    rules: {
      kind: "parsed",
      robots,
      crawlDelayMs: crawlDelayMs(robots.crawlDelaySeconds, context.maxCrawlDelayMs),
      robotsUrl,
      note: "",
    },
    outcome: "fetched",
    status,
  };
}
