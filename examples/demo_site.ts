/**
 * A generated demo site on a loopback port: linked pages (a 10-ary tree plus cross
 * links, so every page is reachable from `/`), some slow pages, a redirect chain, one
 * robots.txt rule, one broken link and one link to another site. `deno task demo` crawls it; the tests and the
 * crawl benchmark use it too.
 *
 * Run it alone: `deno run -A examples/demo_site.ts --pages 1000 --latency-ms 100`
 * (prints the site's URL, then the number of URLs a full crawl attempts, on stdout;
 * serves until stdin closes or Ctrl-C).
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Options for {@linkcode serveDemoSite}. */
export interface DemoSiteOptions {
  /** Pages under `/p/<i>`. @default {300} */
  pages?: number;
  /** Links on each page. @default {10} */
  linksPerPage?: number;
  /** Delay before every response, ms. @default {0} */
  latencyMs?: number;
  /** Every Nth page answers `slowMs` later (0: none). @default {25} */
  slowEvery?: number;
  /** Extra delay of the slow pages, ms. @default {300} */
  slowMs?: number;
  /** Approximate size of each page, bytes; heavy pages of 300-500 KB use `heavy`. @default {2048} */
  pageBytes?: number;
  /** Pages carry an ETag and answer a matching `If-None-Match` with a bodiless 304 (recrawls). @default {false} */
  etags?: boolean;
  /** Make every page a heavy 300-500 KB document of tables and lists. @default {false} */
  heavy?: boolean;
  /**
   * Render every page once at startup and serve the stored bytes (as a static file
   * server would), so benchmarks measure the crawler, not this server. @default {false}
   */
  prerender?: boolean;
  /** Port; 0 picks a free one. @default {0} */
  port?: number;
  /** Stop serving when this aborts. @default {undefined} */
  signal?: AbortSignal;
}

/** A running demo site. */
export interface DemoSite {
  /** The site's root URL, e.g. `http://127.0.0.1:41234/`. */
  url: string;
  /** Requests served, by path. */
  hits: Map<string, number>;
  /** Requests answered `304 Not Modified` (with `etags`), by path. */
  notModified: Map<string, number>;
  /** The set of page paths reachable from `/` by links (what a full crawl must visit). */
  reachable: ReadonlySet<string>;
  /** Stop the server. */
  shutdown(): Promise<void>;
}

const ROBOTS = "User-agent: *\nDisallow: /private/\n";

/**
 * Serve the demo site on 127.0.0.1. `reachable` lists every path a crawl from `/`
 * with enough depth requests (`/landing` is reached through the redirects of `/moved`).
 *
 * @example Start, crawl, stop
 * ```ts
 * import { serveDemoSite } from "./demo_site.ts";
 *
 * const site = serveDemoSite({ pages: 50 });
 * console.log(site.url, site.reachable.size);
 * await site.shutdown();
 * ```
 */
export function serveDemoSite(options: DemoSiteOptions = {}): DemoSite {
  const pages = options.pages ?? 300;
  const linksPerPage = options.linksPerPage ?? 10;
  const latencyMs = options.latencyMs ?? 0;
  const slowEvery = options.slowEvery ?? 25;
  const slowMs = options.slowMs ?? 300;
  const padding = options.heavy ? "" : filler(Math.max(0, (options.pageBytes ?? 2048) - 600));
  const hits = new Map<string, number>();
  const notModified = new Map<string, number>();
  const render = (index: number) =>
    options.heavy
      ? heavyPage(index, pages, linksPerPage)
      : pagePage(index, pages, linksPerPage, padding);
  const encoder = new TextEncoder();
  const rendered = options.prerender
    ? Array.from({ length: pages }, (_, i) => encoder.encode(render(i)))
    : null;

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen() {}, signal: options.signal },
    async (request) => {
      const { pathname } = new URL(request.url);
      hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
      const page = /^\/p\/(\d+)$/.exec(pathname);
      const index = page ? Number(page[1]) : -1;
      const waitMs = latencyMs +
        (slowEvery > 0 && index > 0 && index % slowEvery === 0 ? slowMs : 0);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));

      if (pathname === "/robots.txt") return text(ROBOTS, "text/plain");
      if (pathname === "/") return html(indexPage(pages));
      if (page && index < pages) {
        if (options.etags) {
          const etag = `"p${index}"`;
          if (request.headers.get("if-none-match") === etag) {
            notModified.set(pathname, (notModified.get(pathname) ?? 0) + 1);
            return new Response(null, { status: 304, headers: { etag } });
          }
          const response = html(rendered ? rendered[index]! : render(index));
          response.headers.set("etag", etag);
          return response;
        }
        return html(rendered ? rendered[index]! : render(index));
      }
      if (pathname === "/moved") {
        return new Response(null, { status: 301, headers: { location: "/landing" } });
      }
      if (pathname === "/landing") {
        return html(`<title>Landing</title><a href="/p/2">back to the tree</a>`);
      }
      if (pathname.startsWith("/private/")) {
        return html(`<title>Private</title><p>robots.txt says no</p>`);
      }
      return new Response("not found", { status: 404 });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  return {
    url,
    hits,
    notModified,
    reachable: reachablePaths(pages, linksPerPage),
    shutdown: () => server.shutdown(),
  };
}

/** The links of page `i`: its children in a 10-ary tree first, then cross links. */
function pageLinks(i: number, pages: number, count: number): string[] {
  const links: string[] = [];
  for (let c = 10 * i + 1; c <= 10 * i + 10 && c < pages && links.length < count; c++) {
    links.push(`/p/${c}`);
  }
  for (let j = 0; links.length < count; j++) {
    links.push(`/p/${(i * 7919 + j * 104729 + 1) % pages}`);
  }
  return links;
}

function reachablePaths(pages: number, linksPerPage: number): Set<string> {
  const seen = new Set(["/", "/p/0", "/moved", "/landing", "/private/secret", "/missing"]);
  const queue = ["/p/0"];
  while (queue.length > 0) {
    const i = Number(queue.shift()!.slice(3));
    for (const link of pageLinks(i, pages, linksPerPage)) {
      if (!seen.has(link)) {
        seen.add(link);
        queue.push(link);
      }
    }
  }
  return seen;
}

function indexPage(pages: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>trawl demo</title>
<meta name="description" content="A generated site with ${pages} pages"></head><body>
<h1>trawl demo site</h1>
<ul>
<li><a href="/p/0">Start of the tree</a></li>
<li><a href="/moved">A page that moved twice (301, then 302)</a></li>
<li><a href="/private/secret">A page robots.txt forbids</a></li>
<li><a href="/missing">A broken link</a></li>
<li><a href="https://example.com/elsewhere">Another site (out of scope)</a></li>
</ul></body></html>`;
}

function pagePage(i: number, pages: number, linksPerPage: number, padding: string): string {
  const links = pageLinks(i, pages, linksPerPage).map((href, n) =>
    `<li><a href="${href}">Link ${n}</a></li>`
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page ${i}</title>
<meta name="description" content="Demo page ${i} of ${pages}"></head><body>
<h1>Page ${i}</h1><p class="price">$${(i % 97) + 0.99}</p><ul class="links">${links.join("")}</ul>
<article>${padding}</article></body></html>`;
}

function heavyPage(i: number, pages: number, linksPerPage: number): string {
  const target = 300_000 + ((i * 7919) % 200_000);
  const parts: string[] = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Heavy ${i}</title></head><body>`,
    `<h1>Report ${i}</h1><ul class="links">`,
    ...pageLinks(i, pages, linksPerPage).map((href) => `<li><a href="${href}">${href}</a></li>`),
    "</ul><table><thead><tr><th>id</th><th>name</th><th>value</th><th>link</th></tr></thead><tbody>",
  ];
  let size = parts.join("").length;
  for (let row = 0; size < target; row++) {
    const line = row % 20 === 0
      ? `</tbody></table><ul>${
        "<li><em>item</em> with <b>nested</b> text</li>".repeat(10)
      }</ul><table><tbody>`
      : `<tr><td>${row}</td><td class="name">Row ${row} of ${i}</td><td>${
        (row * 31) % 1000
      }</td><td><a href="/p/${(i + row) % pages}#r${row}">x</a></td></tr>`;
    parts.push(line);
    size += line.length;
  }
  parts.push("</tbody></table></body></html>");
  return parts.join("");
}

function filler(bytes: number): string {
  const sentence = "<p>trawl fetches pages with a capped pool and parses them in workers. </p>";
  return sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes);
}

function html(body: string | Uint8Array<ArrayBuffer>): Response {
  return text(body, "text/html; charset=utf-8");
}

function text(body: string | Uint8Array<ArrayBuffer>, type: string): Response {
  return new Response(body, { headers: { "content-type": type } });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      pages: { type: "string", default: "300" },
      "latency-ms": { type: "string", default: "0" },
      "slow-every": { type: "string", default: "25" },
      "page-bytes": { type: "string", default: "2048" },
      heavy: { type: "boolean", default: false },
      prerender: { type: "boolean", default: false },
      port: { type: "string", default: "0" },
    },
  });
  const controller = new AbortController();
  const site = serveDemoSite({
    pages: Number(values.pages),
    latencyMs: Number(values["latency-ms"]),
    slowEvery: Number(values["slow-every"]),
    pageBytes: Number(values["page-bytes"]),
    heavy: values.heavy,
    prerender: values.prerender,
    port: Number(values.port),
    signal: controller.signal,
  });
  // Line 1: the URL; line 2: how many URLs a full crawl from it attempts (for benchmarks).
  console.log(site.url);
  console.log([...site.reachable].filter((path) => path !== "/landing").length);
  Deno.addSignalListener("SIGINT", () => controller.abort());
  // Serve until the parent closes our stdin (benchmarks) or Ctrl-C.
  for await (const _ of Deno.stdin.readable) { /* drain */ }
  controller.abort();
}
