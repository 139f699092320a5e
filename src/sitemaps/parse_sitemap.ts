/**
 * One sitemap (sitemaps.org protocol) parsed as a stream: a `urlset`, a
 * `sitemapindex`, or a plain-text list of URLs, gzip or not. The body is
 * decompressed and parsed chunk by chunk (htmlparser2 in XML mode), never held
 * decompressed: a gzip bomb costs its compressed size plus 64 KiB, and stops
 * at `maxBytes` of XML. Runs in a worker (see `_sitemap_job.ts`).
 *
 * @module
 */

import { Parser } from "htmlparser2";
import type { ErrorInfo } from "../trawl_error.ts";

/** The protocol's limits per sitemap file. */
export const SITEMAP_LIMITS = Object.freeze({ maxUrls: 50_000, maxBytes: 52_428_800 });

/** One `<url>` or `<sitemap>` entry (or a line of a text sitemap). */
export interface SitemapEntry {
  /** `<loc>`, as written (trimmed). */
  url: string;
  /** `<lastmod>`, as written (a W3C datetime); absent when none. @default {undefined} */
  lastmod?: string;
}

/** What one sitemap file held. */
export interface ParsedSitemap {
  /** `urlset`, `sitemapindex`, or `text` (one URL per line). */
  kind: "urlset" | "sitemapindex" | "text";
  /** The entries: pages of a `urlset` or text sitemap, sitemaps of an index. */
  entries: SitemapEntry[];
  /** Bytes of XML (or text) after decompression. */
  bytes: number;
  /** Why the file is refused (over a limit, not a sitemap); `entries` is then empty. */
  error: ErrorInfo | null;
}

/** Options for {@linkcode parseSitemap}. */
export interface ParseSitemapOptions {
  /** The sitemap's URL, for messages. */
  url: string;
  /** Entries allowed in one file. @default {50000} */
  maxUrls?: number;
  /** Bytes allowed after decompression. @default {52428800} */
  maxBytes?: number;
}

/**
 * Parse a sitemap body (gzip is recognised by its magic bytes).
 *
 * @example A two-URL urlset
 * ```ts
 * import { parseSitemap } from "./parse_sitemap.ts";
 *
 * const xml = `<urlset><url><loc>https://e.test/a</loc><lastmod>2026-01-02</lastmod></url>
 *   <url><loc>https://e.test/b</loc></url></urlset>`;
 * const parsed = await parseSitemap(new TextEncoder().encode(xml), { url: "https://e.test/s.xml" });
 * console.log(parsed.kind, parsed.entries.length); // "urlset" 2
 * ```
 */
export async function parseSitemap(
  body: Uint8Array,
  options: ParseSitemapOptions,
): Promise<ParsedSitemap> {
  const maxUrls = options.maxUrls ?? SITEMAP_LIMITS.maxUrls;
  const maxBytes = options.maxBytes ?? SITEMAP_LIMITS.maxBytes;
  const gzip = body[0] === 0x1f && body[1] === 0x8b;
  const stream = gzip ? gunzipped(body) : new Blob([body as Uint8Array<ArrayBuffer>]).stream();
  const decoder = new TextDecoder();
  const entries: SitemapEntry[] = [];
  let kind: ParsedSitemap["kind"] | null = null;
  let error: ErrorInfo | null = null;
  let bytes = 0;
  // XML state: the entry being read and the text of its <loc> / <lastmod>.
  let entry: SitemapEntry | null = null;
  let field: "loc" | "lastmod" | null = null;
  let text = "";
  let textLine = "";
  const local = (name: string) => name.slice(name.indexOf(":") + 1).toLowerCase();
  const fail = (code: ErrorInfo["code"], message: string) => {
    error ??= { code, message: `sitemap ${options.url}: ${message}` };
  };
  const add = (found: SitemapEntry) => {
    if (entries.length >= maxUrls) {
      fail("SITEMAP_TOO_MANY_URLS", `more than ${maxUrls} entries (the protocol's limit)`);
    } else entries.push(found);
  };
  const parser = new Parser({
    onopentag(name) {
      const tag = local(name);
      if (kind === null) {
        if (tag === "urlset" || tag === "sitemapindex") kind = tag;
        else fail("SITEMAP_INVALID", `<${name}> is neither <urlset> nor <sitemapindex>`);
      } else if (tag === "url" || tag === "sitemap") entry = { url: "" };
      else if (entry !== null && (tag === "loc" || tag === "lastmod")) {
        field = tag;
        text = "";
      }
    },
    ontext(chunk) {
      if (field !== null) text += chunk;
    },
    onclosetag(name) {
      const tag = local(name);
      if (entry !== null && field !== null && tag === field) {
        if (field === "loc") entry.url = text.trim();
        else entry.lastmod = text.trim();
        field = null;
      } else if (entry !== null && (tag === "url" || tag === "sitemap")) {
        if (entry.url !== "") add(entry);
        entry = null;
      }
    },
  }, { xmlMode: true, decodeEntities: true });

  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        fail("SITEMAP_TOO_LARGE", `over ${maxBytes} bytes uncompressed (the protocol's limit)`);
        break;
      }
      const chunk = decoder.decode(value, { stream: true });
      if (kind === null && textLine === "" && !/^\s*</.test(chunk) && chunk.trim() !== "") {
        kind = "text";
      }
      if (kind === "text") textLine = textLines(textLine + chunk, add);
      else parser.write(chunk);
      if (textLine.length > MAX_ENTRY_CHARS || text.length > MAX_ENTRY_CHARS) {
        fail("SITEMAP_INVALID", `an entry over ${MAX_ENTRY_CHARS} characters: not a sitemap`);
      }
      if (error !== null) break;
    }
  } catch (cause) {
    fail("SITEMAP_INVALID", `cannot be read: ${(cause as Error).message}`);
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (error === null) {
    if (kind === "text") textLines(textLine + "\n", add);
    else parser.end();
  }
  if (error === null && kind === null) fail("SITEMAP_INVALID", "empty");
  return { kind: kind ?? "urlset", entries: error === null ? entries : [], bytes, error };
}

/** The longest `<loc>`, `<lastmod>` or text line read (a URL is at most a few KiB). */
const MAX_ENTRY_CHARS = 65_536;

/** Compressed bytes handed to the decompressor at a time: at most ~1 MiB comes out of each. */
const GZIP_SLICE = 1024;

/**
 * `body` gunzipped as a stream that only inflates as it is read: the
 * decompressor inflates a whole input chunk at once (a 1 MB chunk of a gzip
 * bomb would be 1 GiB), so it is fed small slices, each when the reader has
 * taken what the last one gave.
 */
function gunzipped(body: Uint8Array): ReadableStream<Uint8Array> {
  const inflate = new DecompressionStream("gzip");
  const writer = inflate.writable.getWriter();
  const feed = (async () => {
    for (let at = 0; at < body.byteLength; at += GZIP_SLICE) {
      await writer.ready;
      await writer.write(body.subarray(at, at + GZIP_SLICE) as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  feed.catch(() => {}); // a reader that stops early cancels the stream; its error surfaces there
  return inflate.readable as ReadableStream<Uint8Array>;
}

/** Add every complete line of `text` that is a URL; returns the unfinished last line. */
function textLines(text: string, add: (entry: SitemapEntry) => void): string {
  const lines = text.split(/\r\n|\n|\r/);
  const rest = lines.pop()!;
  for (const line of lines) {
    const url = line.trim();
    if (url !== "" && !url.startsWith("#")) add({ url });
  }
  return rest;
}
