/**
 * Internal: a robots.txt parser and matcher written to RFC 9309 (it replaced
 * `robots-parser`, whose grouping, user-agent and escape handling the fixes
 * outgrew).
 *
 * - Lines end in CR, LF or CRLF; a leading UTF-8 BOM is skipped; `#` starts a
 *   comment; directive names are case-insensitive; a line without `:` and
 *   unknown directives are ignored (they do not end a group, section 2.2.4).
 * - A group is one or more `User-agent` lines (blank lines and other records
 *   may sit between them) followed by its rules; an `Allow`/`Disallow` line
 *   ends the run of `User-agent` lines, so the next one starts a new group.
 *   Rules before the first `User-agent` line belong to no group and are ignored.
 * - A `User-agent` value is matched on its product token: the leading run of
 *   letters, digits, `_` and `-` (`FOO BAR` and `FooBot/1.0` give `FOO` and
 *   `FooBot`), case-insensitively; a value starting with `*` followed by
 *   nothing or whitespace is the global group. (RFC 9309's token has no digits;
 *   they are accepted on both sides so `Bot2` is not read as `Bot`.)
 * - Every group naming our token applies, merged; if none does, every `*`
 *   group, merged; if none does either, no rule. A matching group without
 *   rules allows everything (it does not fall back to `*`).
 * - The matching rule with the longest pattern wins; on a tie `Allow` wins.
 * - `Crawl-delay` (not in RFC 9309) is read from the first group that applies
 *   and has one.
 *
 * @module
 */

import { compilePattern } from "./_robots_pattern.ts";
import { type Rule, RuleTrie } from "./_rule_trie.ts";

interface Group {
  /** Product tokens, lowercased; `"*"` for the global group; `""` for a value with no token. */
  agents: string[];
  rules: Rule[];
  crawlDelaySeconds: number | undefined;
}

/** What a `User-agent` value names: its token, lowercased, or `"*"`. */
export function agentOf(value: string): string {
  if (value.startsWith("*") && (value.length === 1 || /\s/.test(value[1]))) return "*";
  return (/^[A-Za-z0-9_-]*/.exec(value)?.[0] ?? "").toLowerCase();
}

/** Rules of one origin, ready to answer checks for one product token. */
export interface ParsedRobots {
  /**
   * Whether the URL whose compare form is `key` (see `matchKey`) may be
   * fetched, and the line of the rule that decided (-1: no rule matched).
   */
  match(key: string): { allowed: boolean; line: number };
  /** `Crawl-delay` of the groups that apply, in seconds, when given. */
  readonly crawlDelaySeconds: number | undefined;
  /** Which groups applied: ours, `*`, or none. */
  readonly group: "specific" | "global" | "none";
  /** The `Sitemap:` URLs, in order (they belong to no group). */
  readonly sitemaps: readonly string[];
}

function parseGroups(text: string, sitemaps: string[] = []): Group[] {
  const groups: Group[] = [];
  let current: Group | null = null;
  let inRules = false;
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "user-agent") {
      if (current === null || inRules) {
        current = { agents: [], rules: [], crawlDelaySeconds: undefined };
        groups.push(current);
        inRules = false;
      }
      current.agents.push(agentOf(value));
    } else if (key === "allow" || key === "disallow") {
      if (current === null) continue;
      inRules = true;
      const pattern = compilePattern(value);
      if (pattern !== null) current.rules.push({ allow: key === "allow", pattern, line: i + 1 });
    } else if (key === "sitemap") {
      if (value !== "") sitemaps.push(value);
    } else if (key === "crawl-delay") {
      const seconds = value === "" ? NaN : Number(value);
      if (current !== null && current.crawlDelaySeconds === undefined) {
        if (Number.isFinite(seconds) && seconds >= 0) current.crawlDelaySeconds = seconds;
      }
    }
  }
  return groups;
}

/**
 * Parse `text` (a robots.txt body, decoded) for `token` (a product token; case
 * does not matter).
 */
export function parseRobots(text: string, token: string): ParsedRobots {
  const sitemaps: string[] = [];
  const groups = parseGroups(text, sitemaps);
  const ours = token.toLowerCase();
  let chosen = groups.filter((g) => g.agents.includes(ours));
  let group: ParsedRobots["group"] = "specific";
  if (chosen.length === 0) {
    chosen = groups.filter((g) => g.agents.includes("*"));
    group = chosen.length === 0 ? "none" : "global";
  }
  const rules = new RuleTrie(chosen.flatMap((g) => g.rules));
  const crawlDelaySeconds = chosen.find((g) => g.crawlDelaySeconds !== undefined)
    ?.crawlDelaySeconds;
  return {
    match(key) {
      const rule = rules.find(key);
      return rule === null ? { allowed: true, line: -1 } : { allowed: rule.allow, line: rule.line };
    },
    crawlDelaySeconds,
    group,
    sitemaps,
  };
}
