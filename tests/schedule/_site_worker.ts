// The body of startSite (./_site.ts), run in a Web Worker: the site's clock and its event loop
// are its own, so a busy crawler in the test's thread cannot make a request look late.
import type { Hit } from "./_site.ts";

/** What the test's thread sends: the site's settings, then "close". */
export type SiteCommand = { delayMs: number; pages: number } | "close";

/** What the worker sends back: its port, each finished request, and the end. */
export type SiteEvent =
  | { type: "ready"; port: number }
  | { type: "hit"; hit: Hit; maxInFlight: number }
  | { type: "closed" };

const scope = globalThis as unknown as {
  postMessage(event: SiteEvent): void;
  onmessage: ((event: MessageEvent<SiteCommand>) => void) | null;
};

// Wall-clock ms on the shared time line, so the test's thread can compare with its own clock.
const now = () => performance.timeOrigin + performance.now();

let server: Deno.HttpServer<Deno.NetAddr> | null = null;
scope.onmessage = async ({ data }) => {
  if (data === "close") {
    await server?.shutdown();
    scope.postMessage({ type: "closed" });
    return;
  }
  const { delayMs, pages } = data;
  let inFlight = 0;
  let maxInFlight = 0;
  server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const hit: Hit = { path, start: now(), end: 0 };
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (path === "/robots.txt") return new Response("not found", { status: 404 });
      const m = /^\/([a-z]+)\/(\d*)$/.exec(path);
      if (m === null) return new Response("not found", { status: 404 });
      const links = m[2] === ""
        ? Array.from({ length: pages }, (_, i) => `<a href="/${m[1]}/${i + 1}">${i + 1}</a>`)
        : [];
      return new Response(
        `<!doctype html><title>${path}</title><body>${links.join(" ")}</body>`,
        { headers: { "content-type": "text/html" } },
      );
    } finally {
      inFlight--;
      hit.end = now();
      scope.postMessage({ type: "hit", hit, maxInFlight });
    }
  });
  scope.postMessage({ type: "ready", port: server.addr.port });
};
