// A slow loopback site for scheduler tests: "/<section>/" links to "/<section>/1".."/<section>/N";
// every response waits `delayMs`. It records each request's start and end, and the most in flight.
import type { SiteCommand, SiteEvent } from "./_site_worker.ts";

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

/**
 * Start the site in a Web Worker (./_site_worker.ts). Its hits arrive by message, with
 * `start`/`end` on this thread's `performance.now()` clock, taken by the site's own thread.
 */
export async function startSite(options: { delayMs: number; pages: number }): Promise<Site> {
  const worker = new Worker(new URL("./_site_worker.ts", import.meta.url), { type: "module" });
  const shift = performance.timeOrigin;
  let ready!: (port: number) => void;
  let closed!: () => void;
  const port = new Promise<number>((resolve) => ready = resolve);
  const done = new Promise<void>((resolve) => closed = resolve);
  const site: Site = {
    origin: "",
    hits: [],
    maxInFlight: 0,
    close: async () => {
      worker.postMessage("close" satisfies SiteCommand);
      await done;
      worker.terminate();
    },
  };
  worker.onmessage = ({ data }: MessageEvent<SiteEvent>) => {
    if (data.type === "ready") ready(data.port);
    else if (data.type === "closed") closed();
    else {
      const { path, start, end } = data.hit;
      site.hits.push({ path, start: start - shift, end: end - shift });
      site.maxInFlight = Math.max(site.maxInFlight, data.maxInFlight);
    }
  };
  worker.postMessage(options satisfies SiteCommand);
  site.origin = `http://127.0.0.1:${await port}`;
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
