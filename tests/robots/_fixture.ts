/**
 * Loopback servers and a FetchPage on Deno's native fetch for the robots.txt
 * tests. The FetchPage does what the crawler's fetch layer does for robots.txt:
 * follows redirects itself (up to `maxRedirects`, then `TOO_MANY_REDIRECTS`),
 * takes the permit from a matching slot, caps the body at `maxBytes` and, with
 * `truncate`, keeps the first `maxBytes` instead of failing with `TOO_LARGE`.
 *
 * @module
 */

import type { FetchPage, FetchPageOptions, FetchResult } from "../../src/types.ts";

/** One call of the FetchPage, as it was asked. */
export interface FetchCall {
  url: string;
  maxBytes: number | undefined;
  truncate: boolean;
  /** Whether the call took the permit out of its slot. */
  tookPermit: boolean;
}

/** Options for {@linkcode nativeFetchPage}. */
export interface NativeFetchOptions {
  /** Calls are appended here. */
  log?: FetchCall[];
  /** Redirects followed before `TOO_MANY_REDIRECTS`. @default {10} */
  maxRedirects?: number;
  /** Ignore `truncate` and `maxBytes` (a fetch layer that caps nothing). @default {false} */
  uncapped?: boolean;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** Read at most `cap` bytes of `body`; `over` tells whether more were there. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  cap: number,
): Promise<{ bytes: Uint8Array; over: boolean }> {
  if (body === null) return { bytes: new Uint8Array(), over: false };
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > cap) {
      parts.push(value.subarray(0, cap - size));
      size = cap;
      await reader.cancel();
      const bytes = concat(parts, size);
      return { bytes, over: true };
    }
    parts.push(value);
    size += value.length;
  }
  return { bytes: concat(parts, size), over: false };
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A FetchPage on Deno's native fetch (see the module doc). */
export function nativeFetchPage(options: NativeFetchOptions = {}): FetchPage {
  const maxRedirects = options.maxRedirects ?? 10;
  return async (url: string, call: FetchPageOptions = {}) => {
    const slot = call.permit;
    const tookPermit = slot?.permit != null && slot.permit.host === new URL(url).host;
    if (tookPermit) slot!.permit = null;
    options.log?.push({
      url,
      maxBytes: call.maxBytes,
      truncate: call.truncate ?? false,
      tookPermit,
    });
    const started = performance.now();
    const result: FetchResult = {
      url,
      finalUrl: url,
      redirects: [],
      status: null,
      headers: {},
      body: new Uint8Array(),
      contentType: null,
      charset: null,
      bytes: 0,
      attempts: 1,
      timings: { ttfbMs: null, totalMs: 0 },
      error: null,
    };
    let current = url;
    try {
      for (;;) {
        const res = await fetch(current, { signal: call.signal, redirect: "manual" });
        result.status = res.status;
        result.headers = Object.fromEntries(res.headers);
        const location = res.headers.get("location");
        if (res.status >= 300 && res.status < 400 && location !== null) {
          await res.body?.cancel();
          if (result.redirects.length >= maxRedirects) {
            result.error = {
              code: "TOO_MANY_REDIRECTS",
              message: `${url}: more than ${maxRedirects} redirects`,
            };
            return result;
          }
          current = new URL(location, current).href;
          result.redirects.push(current);
          continue;
        }
        const cap = options.uncapped ? Infinity : call.maxBytes ?? DEFAULT_MAX_BYTES;
        const { bytes, over } = await readCapped(res.body, cap);
        result.finalUrl = current;
        if (over && !call.truncate) {
          result.error = { code: "TOO_LARGE", message: `${current}: body over maxBytes ${cap}` };
        } else {
          result.body = bytes;
          result.bytes = bytes.length;
        }
        return result;
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      result.error = call.signal?.aborted
        ? { code: "ABORTED", message }
        : { code: "CONNECTION_REFUSED", message };
      return result;
    } finally {
      result.timings.totalMs = performance.now() - started;
    }
  };
}

/** What a path of a {@linkcode RobotsServer} answers. */
export interface Reply {
  status: number;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Sent as `Location` (a redirect). */
  location?: string;
}

/** A loopback server answering `/robots.txt` (and any other routes given). */
export interface RobotsServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Requests to `/robots.txt` so far. */
  readonly hits: number;
  /** What `/robots.txt` answers next. */
  reply: Reply;
  /** Other paths and what they answer (`/page` otherwise answers 200 "page"). */
  readonly routes: Map<string, Reply>;
  /** Hold `/robots.txt` answers until the returned function is called. */
  hold(): () => void;
}

/** Start a {@linkcode RobotsServer} on 127.0.0.1, port 0. */
export function serveRobots(
  status: number,
  body: string | Uint8Array<ArrayBuffer> = "",
): RobotsServer {
  let hits = 0;
  let reply: Reply = { status, body };
  let gate: Promise<void> | null = null;
  const routes = new Map<string, Reply>();
  const answer = (r: Reply) =>
    new Response(r.body ?? "", {
      status: r.status,
      headers: r.location === undefined ? {} : { location: r.location },
    });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path !== "/robots.txt") {
      const route = routes.get(path);
      return route ? answer(route) : new Response("page");
    }
    hits++;
    if (gate !== null) await gate;
    return answer(reply);
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    get hits() {
      return hits;
    },
    get reply() {
      return reply;
    },
    set reply(r) {
      reply = r;
    },
    routes,
    hold() {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A clock tests move by hand. */
export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

/** A {@linkcode ManualClock} starting at `start`. */
export function manualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}
