/**
 * A custom extractor module. trawl loads it inside every sandboxed parse worker
 * (no file, network or subprocess access there) and calls `extract` once per page.
 *
 * Use it: `deno run -A cli.ts crawl examples/urls.txt --extract ./examples/extractor.ts`
 *
 * @module
 */

import type { ExtractContext } from "../mod.ts";

/**
 * Return an object (one record's `data`), an array of objects, or nothing.
 *
 * @example What a record's data looks like
 * ```ts ignore
 * // { "h1": "Example Domain", "headings": 1, "words": 28, "images": [] }
 * ```
 */
export function extract(ctx: ExtractContext): Record<string, unknown> {
  const { $ } = ctx;
  const text = $("body").text().replace(/\s+/g, " ").trim();
  return {
    h1: $("h1").first().text().trim() || null,
    headings: $("h1, h2, h3").length,
    words: text === "" ? 0 : text.split(" ").length,
    images: $("img[src]").map((_, img) => $(img).attr("src")).get().slice(0, 10),
  };
}

/**
 * Optional: replace link discovery. Here, follow only links inside `<main>` or
 * `<article>` (navigation and footers are skipped); return URLs as strings.
 *
 * @example Links it returns
 * ```ts ignore
 * // ["https://example.com/a", "/relative/b"]  (resolved against the page's URL)
 * ```
 */
export function links(ctx: ExtractContext): string[] {
  const { $ } = ctx;
  const scope = $("main, article").length > 0 ? $("main a[href], article a[href]") : $("a[href]");
  return scope.map((_, a) => $(a).attr("href")!).get();
}
