// A small loopback site with everything a report shows: 404s, a slow page, a large page,
// a 503, a robots.txt refusal, and a page whose title tries to break out of the report.

/** A title that runs script if the report does not escape it. */
export const HOSTILE_TITLE =
  `</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"'&amp;`;

export interface ReportSite {
  url: string;
  shutdown(): Promise<void>;
}

export function serveReportSite(): ReportSite {
  const page = (title: string, links: string[] = [], filler = "") =>
    `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${
      links.map((l) => `<a href="${l}">${l}</a>`).join(" ")
    }${filler}</body></html>`;
  const html = (body: string, status = 200) =>
    new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8" } });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/robots.txt":
        return new Response("User-agent: *\nDisallow: /private/\n");
      case "/":
        return html(page("home", [
          "/a",
          "/b",
          "/slow",
          "/big",
          "/missing-1",
          "/missing-2",
          "/private/secret",
          "/down",
          "/hostile",
        ]));
      case "/a":
        return html(page("page a", ["/a/1", "/a/2", "/b"]));
      case "/b":
        return html(page("page b", ["/a"]));
      case "/a/1":
      case "/a/2":
        return html(page(`leaf ${path}`));
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 700));
        return html(page("slow page"));
      case "/big":
        return html(page("big page", [], `<p>${"lorem ipsum ".repeat(25_000)}</p>`));
      case "/down":
        return new Response("down for maintenance", {
          status: 503,
          headers: { "retry-after": "0" },
        });
      case "/hostile":
        // The raw text of the title, as a hostile site would serve it (entities decoded by the parser).
        return html(page(HOSTILE_TITLE.replaceAll("&", "&amp;").replaceAll("<", "&lt;")));
      default:
        return html(page("not found"), 404);
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    shutdown: () => server.shutdown(),
  };
}
