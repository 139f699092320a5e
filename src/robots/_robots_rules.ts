/**
 * Internal: parse a robots.txt body with `robots-parser`, after normalizing the
 * percent-encoding of rule paths the same way {@linkcode normalizeUrl} does for
 * URLs, so `/%70rivate/` and `/private/` meet in one form on both sides.
 *
 * @module
 */

import robotsParser from "robots-parser";
import { normalizeUrl } from "../url.ts";

/** The part of `robots-parser`'s `Robot` we use. */
interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getMatchingLineNumber(url: string, ua?: string): number;
  getCrawlDelay(ua?: string): number | undefined;
}

const parse = robotsParser as unknown as (url: string, contents: string) => Robot;

const RULE_LINE = /^(\s*(?:dis)?allow\s*:)([^#]*)(.*)$/i;
const DISALLOW_LINE = /^\s*disallow\s*:/i;
const DUMMY_ORIGIN = "http://robots.invalid";

/** Normalize a rule path's escapes (and make it start with `/`). */
function normalizeRulePath(value: string): string {
  const path = value.startsWith("/") ? value : `/${value}`;
  try {
    return normalizeUrl(DUMMY_ORIGIN + path).slice(DUMMY_ORIGIN.length);
  } catch {
    return value;
  }
}

/**
 * Encode a normalized path+query the way `robots-parser` encodes rule
 * patterns (`encodeURI`, keeping existing escapes), so characters such as `|`
 * or `[` compare equal on both sides.
 */
export function encodeForMatch(pathAndQuery: string): string {
  try {
    return encodeURI(pathAndQuery).replace(/%25/g, "%");
  } catch {
    return pathAndQuery;
  }
}

/** Rules of one origin, ready to answer checks for one product token. */
export interface ParsedRobots {
  /** Whether `pathAndQuery` (normalized) may be fetched, and the matching line (-1: none). */
  match(pathAndQuery: string): { allowed: boolean; line: number };
  /** `Crawl-delay` of our group (or `*`) in seconds, when given. */
  crawlDelaySeconds: number | undefined;
}

/** Parse `text` (the body of `origin`'s robots.txt) for `token`. */
export function parseRobots(origin: string, text: string, token: string): ParsedRobots {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/).map((line) => {
    const m = RULE_LINE.exec(line);
    const value = m?.[2].trim();
    return m && value ? `${m[1]} ${normalizeRulePath(value)}${m[3]}` : line;
  });
  const robot = parse(`${origin}/robots.txt`, lines.join("\n"));
  return {
    match(pathAndQuery) {
      // One lookup: the matching line tells allow from disallow.
      const line = robot.getMatchingLineNumber(origin + encodeForMatch(pathAndQuery), token);
      return { allowed: line < 1 || !DISALLOW_LINE.test(lines[line - 1]), line };
    },
    crawlDelaySeconds: robot.getCrawlDelay(token),
  };
}
