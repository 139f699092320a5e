/**
 * Declarative CSS fields: the grammar behind the CLI's `--select`.
 *
 * Grammar: `name=selector[@target][[]]`
 * - `name`: a letter or `_`, then letters, digits, `_` or `-`.
 * - `selector`: any CSS selector cheerio understands (it may contain `@` inside quotes).
 * - `@target` (optional, default text): `@text` the text content (trimmed, whitespace
 *   collapsed), `@html` the inner HTML, `@attr` (any other name) that attribute's raw value.
 * - `[]` (optional, last): every match as an array instead of the first match.
 *
 * A missing match gives `null` (`[]` gives an empty array; elements without the
 * attribute are left out of it).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { CheerioAPI } from "cheerio/slim";

/** One parsed `--select` spec. */
export interface SelectField {
  /** The spec as written, for error messages. */
  spec: string;
  /** The key in `data`. */
  name: string;
  /** The CSS selector. */
  selector: string;
  /** What to take from a match. */
  kind: "text" | "html" | "attr";
  /** The attribute name when `kind` is `"attr"`, else `null`. */
  attr: string | null;
  /** Every match as an array (`[]` suffix) rather than the first. */
  many: boolean;
}

const NAME = /^[A-Za-z_][\w-]*$/;
const TARGET = /@([A-Za-z_:][\w:.-]*)$/;

/**
 * Parse one spec's grammar (pure and synchronous; the CSS itself is checked by
 * {@linkcode checkSelectSpecs}). Throws `TrawlError` `BAD_SELECTOR` naming the spec.
 *
 * @example Parse an attribute array field
 * ```ts
 * import { parseSelectSpec } from "./select_spec.ts";
 *
 * const field = parseSelectSpec("links=nav a@href[]");
 * console.log(field.selector, field.kind, field.attr, field.many); // "nav a" "attr" "href" true
 * ```
 */
export function parseSelectSpec(spec: string): SelectField {
  const bad = (why: string) =>
    new TrawlError(
      "BAD_SELECTOR",
      `bad select spec ${
        JSON.stringify(spec)
      }: ${why} (expected name=selector[@text|@html|@attr][[]])`,
    );
  const eq = spec.indexOf("=");
  if (eq < 0) throw bad('missing "="');
  const name = spec.slice(0, eq).trim();
  if (!NAME.test(name)) throw bad(`field name ${JSON.stringify(name)} must match ${NAME.source}`);
  let rest = spec.slice(eq + 1).trim();
  const many = rest.endsWith("[]");
  if (many) rest = rest.slice(0, -2).trimEnd();
  let kind: SelectField["kind"] = "text";
  let attr: string | null = null;
  const target = TARGET.exec(rest);
  if (target) {
    rest = rest.slice(0, target.index).trimEnd();
    const word = target[1].toLowerCase();
    if (word === "html") kind = "html";
    else if (word !== "text") [kind, attr] = ["attr", word];
  }
  if (!rest) throw bad("empty selector");
  return { spec, name, selector: rest, kind, attr, many };
}

/**
 * Parse every spec and check its CSS against cheerio (loaded lazily), so bad
 * input is rejected before a crawl starts. Also rejects two fields with one name.
 *
 * @example Reject a bad selector up front
 * ```ts
 * import { checkSelectSpecs } from "./select_spec.ts";
 *
 * try {
 *   await checkSelectSpecs(["title=title", "bad=a[["]);
 * } catch (e) {
 *   console.log((e as { code: string }).code); // "BAD_SELECTOR"
 * }
 * ```
 */
export async function checkSelectSpecs(specs: readonly string[]): Promise<SelectField[]> {
  const fields = specs.map(parseSelectSpec);
  const names = new Set<string>();
  for (const field of fields) {
    if (names.has(field.name)) {
      throw new TrawlError(
        "BAD_SELECTOR",
        `bad select spec ${JSON.stringify(field.spec)}: field name "${field.name}" is used twice`,
      );
    }
    names.add(field.name);
  }
  const { load } = await import("cheerio/slim");
  const $ = load("");
  for (const field of fields) {
    try {
      $(field.selector);
    } catch (e) {
      throw new TrawlError(
        "BAD_SELECTOR",
        `bad select spec ${JSON.stringify(field.spec)}: invalid CSS selector ${
          JSON.stringify(field.selector)
        }: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }
  return fields;
}

/**
 * Evaluate fields against a loaded cheerio document.
 *
 * @example Fields from a page
 * ```ts
 * import { load } from "cheerio/slim";
 * import { applySelectFields, parseSelectSpec } from "./select_spec.ts";
 *
 * const $ = load("<h1> Hello  world </h1><a href=/a>a</a><a href=/b>b</a>");
 * const data = applySelectFields($, ["h=h1", "hrefs=a@href[]"].map(parseSelectSpec));
 * console.log(data); // { h: "Hello world", hrefs: ["/a", "/b"] }
 * ```
 */
export function applySelectFields(
  $: CheerioAPI,
  fields: readonly SelectField[],
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of fields) {
    const matches = $(field.selector);
    // deno-lint-ignore no-explicit-any
    const take = (el: any): string | null => {
      if (field.kind === "attr") return $(el).attr(field.attr!) ?? null;
      if (field.kind === "html") return $(el).html();
      return $(el).text().replace(/\s+/g, " ").trim();
    };
    if (field.many) {
      data[field.name] = matches.toArray().map(take).filter((v) => v !== null);
    } else {
      data[field.name] = matches.length === 0 ? null : take(matches[0]);
    }
  }
  return data;
}
