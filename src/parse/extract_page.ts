/**
 * Everything done to one page: decode, default extraction, optional CSS fields
 * and a user extractor. Runs inside the parse pool's workers, and works on any
 * thread (the benchmark's main-thread baseline calls it directly).
 *
 * @module
 */

import type { PageInput } from "../types.ts";
import { type ErrorInfo, serializeError } from "../trawl_error.ts";
import type { CheerioAPI } from "cheerio/slim";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { decodeHtml } from "./decode_html.ts";
import type { FieldIssue, FieldStatus, PageResult as ParsedPage } from "../types.ts";
import { resolveHttp, scanHtml } from "./scan_html.ts";
import { applySelectFields, checkSelectFields, type SelectField } from "./select_spec.ts";
import { validateResult } from "./_standard_schema.ts";

/**
 * cheerio's API (the `cheerio/slim` build), as {@linkcode ExtractContext}`.$`:
 * `$(selector)`, `.text()`, `.attr()` and the rest (see cheerio's documentation).
 *
 * @example Read a page's heading
 * ```ts
 * import type { CheerioApi } from "./extract_page.ts";
 *
 * const heading = ($: CheerioApi) => $("h1").first().text().trim();
 * ```
 */
export type CheerioApi = CheerioAPI;

/**
 * A Standard Schema v1 object (Zod, Valibot, ArkType...), as an extractor's `schema`.
 *
 * @example Any Standard Schema v1 library's schema
 * ```ts
 * import type { StandardSchema } from "./extract_page.ts";
 * import { z } from "zod";
 *
 * const schema: StandardSchema = z.object({ title: z.string() });
 * ```
 */
export type StandardSchema = StandardSchemaV1;

/** What a user extractor's `extract(ctx)` and `links(ctx)` receive. */
export interface ExtractContext {
  /** cheerio (the `cheerio/slim` build) loaded with the decoded HTML. */
  $: CheerioApi;
  /** The requested URL. */
  url: string;
  /** The URL after redirects. */
  finalUrl: string;
  /** HTTP status. */
  status: number;
  /** Response headers, names lowercased. */
  headers: Record<string, string>;
  /** Link depth from the seeds. */
  depth: number;
}

/**
 * A user extractor module: named exports `extract` and/or `links`, sync or async,
 * and optionally `schema`. `extract` returns an object, an array of objects, or
 * nothing; `links` returns URL strings that replace the default link discovery.
 */
export interface Extractor {
  /** Structured data for the page. */
  extract?: (ctx: ExtractContext) => unknown;
  /** Links to follow instead of the page's own `a[href]`s. */
  links?: (ctx: ExtractContext) => Iterable<string> | Promise<Iterable<string>>;
  /**
   * A Standard Schema v1 object (Zod, Valibot, ArkType...) `extract()`'s result is
   * validated against, in the worker: a valid result becomes `data` as the schema
   * outputs it; an invalid one is kept as it was, with `invalid` entries added. A
   * result of `null`/`undefined` (no data for this page) is not validated.
   */
  schema?: StandardSchema;
}

/** Options for {@linkcode extractPage}. */
export interface ExtractPageOptions {
  /** Parsed `--select` fields. @default {[]} */
  select?: readonly SelectField[];
  /** A loaded extractor module. @default {undefined} */
  extractor?: Extractor;
}

/**
 * Decode and extract one page. Never throws: failures land in `error`
 * (`EXTRACT_ERROR`, `BAD_SELECTOR`) with everything found before them kept;
 * failed typed checks (a `:type` or `!` field, the extractor's `schema`) land in
 * `invalid`, with each field's status in `fields`. cheerio is loaded only when
 * fields or an extractor are given.
 *
 * `data` rule: no fields and no extractor gives `null`; fields give an object; an
 * extractor's object is merged over the fields (`{...fields, ...object}`); an
 * array is returned with the fields merged into each object item; nothing keeps
 * the fields.
 *
 * @example Extract a page on the current thread
 * ```ts
 * import { extractPage } from "./extract_page.ts";
 *
 * const result = await extractPage({
 *   url: "https://a.test/", finalUrl: "https://a.test/", status: 200, depth: 0,
 *   headers: { "content-type": "text/html; charset=utf-8" },
 *   body: new TextEncoder().encode("<title>Hi</title><a href=/x>x</a>"),
 * });
 * console.log(result.title, result.links); // "Hi" [{url: "https://a.test/x", nofollow: false}]
 * ```
 */
export async function extractPage(
  page: PageInput,
  options: ExtractPageOptions = {},
): Promise<ParsedPage> {
  const { select = [], extractor } = options;
  const { html, encoding } = decodeHtml(page.body, page.headers["content-type"]);
  const scan = scanHtml(html, page.finalUrl);
  const result: ParsedPage = {
    title: scan.title,
    description: scan.description,
    canonical: scan.canonical,
    lang: scan.lang,
    encoding,
    links: scan.links,
    ...(scan.noindex ? { noindex: true } : {}),
    data: null,
    error: null,
  };
  if (select.length === 0 && !extractor) return result;

  const { load } = await import("cheerio/slim");
  const ctx: ExtractContext = {
    $: load(html),
    url: page.url,
    finalUrl: page.finalUrl,
    status: page.status,
    headers: page.headers,
    depth: page.depth,
  };
  let fields: Record<string, unknown> | null = null;
  const invalid: FieldIssue[] = [];
  let statuses: Record<string, FieldStatus> | null = null;
  const report = () => {
    if (invalid.length > 0) result.invalid = invalid;
    if (statuses) result.fields = statuses;
    return result;
  };
  try {
    if (select.length > 0) {
      const checked = checkSelectFields(applySelectFields(ctx.$, select), select, page.finalUrl);
      fields = checked.data;
      invalid.push(...checked.invalid);
      statuses = checked.fields;
    }
  } catch (e) {
    result.error = { code: "BAD_SELECTOR", message: messageOf(e) };
    return result;
  }
  result.data = fields;
  if (!extractor) return report();

  if (typeof extractor.extract !== "function" && typeof extractor.links !== "function") {
    result.error = failure("the extractor module exports neither extract() nor links()");
    return report();
  }
  if (typeof extractor.links === "function") {
    try {
      const found = await extractor.links(ctx);
      const seen = new Set<string>();
      for (const href of found) {
        const url = typeof href === "string" ? resolveHttp(href, page.finalUrl) : null;
        if (url !== null) seen.add(url);
      }
      result.links = [...seen].map((url) => ({ url, nofollow: false }));
    } catch (e) {
      result.error = failure(`links() threw: ${serializeError(e).message}`);
      return report();
    }
  }
  if (typeof extractor.extract === "function") {
    let value: unknown;
    try {
      value = await extractor.extract(ctx);
    } catch (e) {
      result.error = failure(`extract() threw: ${serializeError(e).message}`);
      return report();
    }
    if (extractor.schema && value !== undefined && value !== null) {
      try {
        const checked = await validateResult(extractor.schema, value);
        value = checked.value;
        invalid.push(...checked.invalid);
        statuses = { ...statuses, ...checked.fields };
      } catch (e) {
        result.error = failure(`the schema's validate() threw: ${serializeError(e).message}`);
        return report();
      }
    }
    try {
      result.data = merge(fields, value);
    } catch (e) {
      result.error = failure(messageOf(e));
    }
  }
  return report();
}

function merge(fields: Record<string, unknown> | null, value: unknown): unknown {
  if (value === undefined || value === null) return fields;
  if (Array.isArray(value)) {
    return fields ? value.map((item) => isRecord(item) ? { ...fields, ...item } : item) : value;
  }
  if (isRecord(value)) return { ...fields, ...value };
  throw new TypeError(
    `extract() must return an object, an array of objects or nothing, not ${typeof value}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function failure(message: string): ErrorInfo {
  return { code: "EXTRACT_ERROR", message };
}
