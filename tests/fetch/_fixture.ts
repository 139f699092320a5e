/**
 * Loopback servers for the fetch-layer tests.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import zlib from "node:zlib";

/** Concurrency counter shared by one or more servers. */
export class Counter {
  current = 0;
  max = 0;
  total = 0;
  enter(): void {
    this.current++;
    this.total++;
    if (this.current > this.max) this.max = this.current;
  }
  leave(): void {
    this.current--;
  }
}

/** A running fixture server. */
export interface Fixture extends AsyncDisposable {
  origin: string;
  host: string;
  /** Requests seen per path+query. */
  hits: Map<string, number>;
  /** Arrival times (ms) per path. */
  arrivals: Map<string, number[]>;
  /** Last request headers seen. */
  lastHeaders: Headers | null;
  counter: Counter;
}

const encoder = new TextEncoder();

function gzipBomb(): Uint8Array<ArrayBuffer> {
  // One gzip member of 16 MiB of zeros (~16 KiB), repeated: gunzip reads members back to back.
  const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  const copies = 64; // ~1 GiB inflated, ~1 MiB on the wire
  const out = new Uint8Array(member.length * copies);
  for (let i = 0; i < copies; i++) out.set(member, i * member.length);
  return out;
}

let bomb: Uint8Array<ArrayBuffer> | null = null;

/** Start a fixture server on 127.0.0.1, port 0. `other` is an origin to redirect to. */
export function startFixture(options: { counter?: Counter; other?: () => string } = {}): Fixture {
  const counter = options.counter ?? new Counter();
  const hits = new Map<string, number>();
  const arrivals = new Map<string, number[]>();
  const barriers = new Map<number, { waiting: (() => void)[]; open: boolean }>();
  const closing = new AbortController();
  const fixture = { hits, arrivals, lastHeaders: null, counter } as unknown as Fixture;

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const key = url.pathname + url.search;
    const n = (hits.get(key) ?? 0) + 1;
    hits.set(key, n);
    const list = arrivals.get(url.pathname) ?? [];
    list.push(performance.now());
    arrivals.set(url.pathname, list);
    fixture.lastHeaders = req.headers;
    const q = url.searchParams;
    const parts = url.pathname.split("/").filter(Boolean);
    switch (parts[0]) {
      case "ok":
      case "p":
        return new Response(`<title>${url.pathname}</title>`, {
          headers: { "content-type": "text/html; charset=UTF-8" },
        });
      case "echo":
        return Response.json(Object.fromEntries(req.headers));
      case "type":
        return new Response("data", { headers: { "content-type": q.get("t") ?? "" } });
      case "status":
        return new Response(`status ${parts[1]}`, { status: Number(parts[1]) });
      case "flaky": {
        // Fails `fail` times with `status` (or a reset), then succeeds.
        if (n <= Number(q.get("fail") ?? 1)) {
          return new Response("try again", { status: Number(q.get("status") ?? 503) });
        }
        return new Response("finally");
      }
      case "retry-after": {
        if (n > Number(q.get("fail") ?? 1)) return new Response("finally");
        const value = q.get("date")
          ? new Date(Date.now() + Number(q.get("date")) * 1000).toUTCString()
          : q.get("secs") ?? "1";
        return new Response("slow down", {
          status: Number(q.get("status") ?? 429),
          headers: { "retry-after": value },
        });
      }
      case "delay":
        await new Promise((r) => setTimeout(r, Number(q.get("ms") ?? 50)));
        return new Response("late");
      case "stall":
        // Never answers until the fixture shuts down.
        await new Promise<void>((resolve) => {
          if (closing.signal.aborted) resolve();
          closing.signal.addEventListener("abort", () => resolve());
        });
        return new Response("never");
      case "drip": {
        const chunks = Number(q.get("chunks") ?? 3);
        const gapMs = Number(q.get("gap") ?? 50);
        let i = 0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (i++ >= chunks) return c.close();
            return new Promise<void>((r) => {
              timer = setTimeout(() => {
                c.enqueue(encoder.encode(`chunk${i};`));
                r();
              }, gapMs);
            });
          },
          cancel() {
            clearTimeout(timer);
          },
        });
        return new Response(body);
      }
      case "huge": {
        const total = Number(q.get("bytes") ?? 20 * 1024 * 1024);
        const chunk = Uint8Array.from({ length: 64 * 1024 }, (_, i) => i % 251);
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent >= total) return c.close();
            sent += chunk.length;
            c.enqueue(chunk);
          },
        });
        const headers: Record<string, string> = q.has("nolength")
          ? {}
          : { "content-length": String(Math.ceil(total / chunk.length) * chunk.length) };
        return new Response(body, { headers });
      }
      case "bomb":
        bomb ??= gzipBomb();
        return new Response(bomb, {
          headers: { "content-encoding": "gzip", "content-type": "text/html" },
        });
      case "badgzip":
        // Says gzip, is not: decoding fails the same way every time.
        return new Response(encoder.encode("this is not gzip at all, not even close"), {
          headers: { "content-encoding": "gzip", "content-type": "text/html" },
        });
      case "gzip":
      case "deflate":
      case "br": {
        const text = "<p>compressed ".repeat(1000);
        const data = parts[0] === "gzip"
          ? zlib.gzipSync(text)
          : parts[0] === "deflate"
          ? zlib.deflateSync(text)
          : zlib.brotliCompressSync(text);
        return new Response(new Uint8Array(data), {
          headers: { "content-encoding": parts[0], "content-type": "text/html" },
        });
      }
      case "redirect": {
        const left = Number(parts[1]);
        const status = Number(q.get("status") ?? 302);
        const location = left <= 0 ? "/ok" : `/redirect/${left - 1}?status=${status}`;
        return new Response(null, { status, headers: { location } });
      }
      case "loop":
        return new Response(null, { status: 301, headers: { location: "/loop" } });
      case "to":
        return new Response(null, {
          status: 302,
          headers: { location: q.get("url") ?? `${options.other!()}/ok` },
        });
      case "count": {
        // Holds each request until `n` are in at once (or 3 s), then a short settle.
        counter.enter();
        try {
          const target = Number(q.get("n"));
          let b = barriers.get(target);
          if (!b) barriers.set(target, b = { waiting: [], open: false });
          if (!b.open) {
            if (counter.current >= target) {
              b.open = true;
              await new Promise((r) => setTimeout(r, 30));
              for (const w of b.waiting.splice(0)) w();
            } else {
              let timer: ReturnType<typeof setTimeout> | undefined;
              await new Promise<void>((r) => {
                b!.waiting.push(r);
                timer = setTimeout(r, 3000);
              });
              clearTimeout(timer);
            }
          } else {
            await new Promise((r) => setTimeout(r, 5));
          }
          return new Response("counted");
        } finally {
          counter.leave();
        }
      }
      default:
        return new Response("not found", { status: 404 });
    }
  };

  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  fixture.host = `127.0.0.1:${server.addr.port}`;
  fixture.origin = `http://${fixture.host}`;
  fixture[Symbol.asyncDispose] = async () => {
    closing.abort();
    await server.shutdown();
  };
  return fixture;
}

/** A raw TCP server that reads a request and then closes the connection without answering. */
export function startResetServer(): { origin: string; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      await conn.read(buf).catch(() => null);
      conn.close();
    }
  })().catch(() => {});
  return {
    origin: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close: async () => {
      listener.close();
      await done;
    },
  };
}

/**
 * A listener whose accept backlog is full, so a further connect hangs in
 * SYN_SENT: what really produces a connect timeout on loopback (a listener that
 * merely never accepts still completes the TCP handshake in the kernel).
 */
export async function startBacklogFull(): Promise<{ origin: string; close: () => void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const fillers: Deno.Conn[] = [];
  for (let i = 0; i < 4096; i++) {
    const pending = Deno.connect({ hostname: "127.0.0.1", port });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      pending,
      new Promise<"stall">((r) => timer = setTimeout(() => r("stall"), 150)),
    ]);
    clearTimeout(timer);
    if (result === "stall") {
      // Keep the hanging connect in the backlog count; close it when it lands.
      pending.then((c) => fillers.push(c), () => {});
      break;
    }
    fillers.push(result);
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      for (const c of fillers) c.close();
      listener.close();
    },
  };
}
