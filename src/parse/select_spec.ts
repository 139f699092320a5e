/**
 * Declarative CSS fields: the grammar behind the CLI's `--select`.
 *
 * Grammar: `name=selector[@target][[]][:type][!]`
 * - `name`: a letter or `_`, then letters, digits, `_` or `-`.
 * - `selector`: any CSS selector cheerio understands (it may contain `@` inside quotes).
 * - `@target` (optional, default text): `@text` the text content (trimmed, whitespace
 *   collapsed), `@html` the inner HTML, `@attr` (any other name) that attribute's raw value.
 * - `[]` (optional): every match as an array instead of the first match.
 * - `:type` (optional): `string`, `number`, `integer`, `boolean` or `url`; the value
 *   is converted (see {@linkcode checkSelectFields}), and one that does not convert
 *   is reported invalid (its raw value kept).
 * - `!` (optional, last): required; a missing value is reported invalid.
 *
 * A missing match gives `null` (`[]` gives an empty array; elements without the
 * attribute are left out of it).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { CheerioAPI } from "cheerio/slim";
import type { FieldIssue, FieldStatus } from "../types.ts";

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
  /** The declared type (`:type` suffix), or `null` for none. */
  type: FieldType | null;
  /** Declared required (`!` suffix). */
  required: boolean;
}

/** The types a `--select` field may declare. */
export type FieldType = "string" | "number" | "integer" | "boolean" | "url";

const TYPE = /:(string|number|integer|boolean|url)$/;

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
  const required = rest.endsWith("!");
  if (required) rest = rest.slice(0, -1).trimEnd();
  const typed = TYPE.exec(rest);
  const type = typed ? typed[1] as FieldType : null;
  if (typed) rest = rest.slice(0, typed.index).trimEnd();
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
  return { spec, name, selector: rest, kind, attr, many, type, required };
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

/** The outcome of {@linkcode checkSelectFields}. */
export interface CheckedFields {
  /** The values, converted to their declared types where they convert. */
  data: Record<string, unknown>;
  /** Failed checks: a required field missing, a value not of its type. */
  invalid: FieldIssue[];
  /**
   * Each field's status: `missing` (no match, empty text, empty array; an `invalid`
   * entry too when required), `invalid` (present, not of its type) or `ok`.
   */
  fields: Record<string, FieldStatus>;
}

/**
 * Check fields' values (from {@linkcode applySelectFields}) against their declared
 * types and `!`, converting them: `number` and `integer` take the text without
 * leading and trailing non-digits (`"$1,299.00"` is 1299; `"4,99 €"` is invalid,
 * not 499); `boolean` takes true/false/yes/no/on/off/1/0; `url` resolves against
 * `baseUrl` and must be http(s). An array field checks each item and, if any
 * fails, keeps the raw array.
 *
 * @example Check a typed, required price
 * ```ts
 * import { checkSelectFields, parseSelectSpec } from "./select_spec.ts";
 *
 * const fields = ["price=.price:number!", "sku=.sku!"].map(parseSelectSpec);
 * const out = checkSelectFields({ price: "$4.99", sku: null }, fields, "https://a.test/");
 * console.log(out.data.price, out.invalid); // 4.99 [{ path: "sku", message: "required, but no match for .sku" }]
 * ```
 */
export function checkSelectFields(
  values: Record<string, unknown>,
  fields: readonly SelectField[],
  baseUrl: string,
): CheckedFields {
  const data = { ...values };
  const invalid: FieldIssue[] = [];
  const status: Record<string, FieldStatus> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === null || value === "" || (Array.isArray(value) && value.length === 0)) {
      status[field.name] = "missing";
      if (field.required) {
        invalid.push({ path: field.name, message: `required, but no match for ${field.selector}` });
      }
      continue;
    }
    status[field.name] = "ok";
    if (field.type === null) continue;
    const items = Array.isArray(value) ? value : [value];
    const converted: unknown[] = [];
    let ok = true;
    items.forEach((item, i) => {
      const out = convert(String(item), field.type!, baseUrl);
      if ("error" in out) {
        ok = false;
        const path = Array.isArray(value) ? `${field.name}[${i}]` : field.name;
        invalid.push({ path, message: out.error });
      } else converted.push(out.value);
    });
    if (!ok) status[field.name] = "invalid";
    else data[field.name] = Array.isArray(value) ? converted : converted[0];
  }
  return { data, invalid, fields: status };
}

const NUMBER = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[-+]?\.\d+$/;
const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0"]);

function convert(
  text: string,
  type: FieldType,
  baseUrl: string,
): { value: unknown } | { error: string } {
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);
  switch (type) {
    case "string":
      return { value: text };
    case "number":
    case "integer": {
      const core = text.replace(/^[^\d+\-.]+|[^\d]+$/g, "");
      const n = NUMBER.test(core) ? Number(core.replaceAll(",", "")) : NaN;
      if (Number.isNaN(n)) return { error: `expected a number, got ${shown}` };
      if (type === "integer" && !Number.isInteger(n)) {
        return { error: `expected an integer, got ${shown}` };
      }
      return { value: n };
    }
    case "boolean": {
      const word = text.trim().toLowerCase();
      if (TRUE.has(word)) return { value: true };
      if (FALSE.has(word)) return { value: false };
      return { error: `expected a boolean (true/false/yes/no/on/off/1/0), got ${shown}` };
    }
    case "url": {
      try {
        const url = new URL(text.trim(), baseUrl);
        if (url.protocol === "http:" || url.protocol === "https:") return { value: url.href };
      } catch { /* below */ }
      return { error: `expected an http(s) URL, got ${shown}` };
    }
  }
}
