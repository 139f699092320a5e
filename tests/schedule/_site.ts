// A slow loopback site for scheduler tests: "/<section>/" links to "/<section>/1".."/<section>/N";
// every response waits `delayMs`. It records each request's start and end, and the most in flight.

export interface Hit {
  path: string;
  start: number;
  end: number;
}

export interface Site {
  origin: string;
  hits: Hit[];
  maxInFlight: number;
  close(): Promise<void>;
}

export function startSite(options: { delayMs: number; pages: number }): Site {
  let inFlight = 0;
  const site: Site = {
    origin: "",
    hits: [],
    maxInFlight: 0,
    close: () => server.shutdown(),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const hit: Hit = { path, start: performance.now(), end: 0 };
    inFlight++;
    site.maxInFlight = Math.max(site.maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (path === "/robots.txt") return new Response("not found", { status: 404 });
      const m = /^\/([a-z]+)\/(\d*)$/.exec(path);
      if (m === null) return new Response("not found", { status: 404 });
      const links = m[2] === ""
        ? Array.from(
          { length: options.pages },
          (_, i) => `<a href="/${m[1]}/${i + 1}">${i + 1}</a>`,
        )
        : [];
      return new Response(
        `<!doctype html><title>${path}</title><body>${links.join(" ")}</body>`,
        { headers: { "content-type": "text/html" } },
      );
    } finally {
      inFlight--;
      hit.end = performance.now();
      site.hits.push(hit);
    }
  });
  site.origin = `http://127.0.0.1:${server.addr.port}`;
  return site;
}

/** Wait until `check()` is true (polling), or fail after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function jsonl(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}
