/**
 * Streams a response body with limits: bytes on the wire, bytes after
 * gzip/deflate/br decompression, and the idle time between chunks.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { TrawlError } from "../trawl_error.ts";
import type { Timeout, TimerQueue } from "./_timer_queue.ts";

/** Options for {@linkcode readBody}. */
export interface ReadBodyOptions {
  /** `content-encoding` of the response. */
  encoding: string | undefined;
  /** Cap, applied on the wire and again after decompression. */
  maxBytes: number;
  /** Longest wait between two chunks (for the message; `idle` holds the timers). */
  bodyIdleTimeoutMs: number;
  /** The body-idle timers, all of `bodyIdleTimeoutMs`. */
  idle: TimerQueue;
  /** Called with a `BODY_TIMEOUT` error when the idle timer fires; must abort the request. */
  onIdle: (error: TrawlError) => void;
  /** The URL, for messages. */
  url: string;
}

/** The body, decompressed, and its size on the wire. */
export interface BodyRead {
  body: Uint8Array;
  wireBytes: number;
}

function decoderFor(encoding: string | undefined, first: Uint8Array): Transform | null {
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      // zlib-wrapped deflate starts with a CMF byte whose low nibble is 8; else raw.
      return (first[0] & 0x0f) === 8 ? zlib.createInflate() : zlib.createInflateRaw();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

function tooLarge(url: string, maxBytes: number, where: string): TrawlError {
  return new TrawlError(
    "TOO_LARGE",
    `${url}: body over maxBytes ${maxBytes} ${where}; raise maxBytes to accept it`,
    { url },
  );
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const noop = () => {};

/**
 * Read `body` fully within the limits, or reject with the error (and destroy
 * the stream). Event-driven rather than `for await`: a stream's async iterator
 * costs a generator and several promises per chunk, which shows at thousands
 * of responses per second.
 */
export function readBody(body: Readable, options: ReadBodyOptions): Promise<BodyRead> {
  const { maxBytes, url, idle: idleQueue } = options;
  return new Promise<BodyRead>((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let wireBytes = 0;
    let size = 0;
    let decoder: Transform | null | undefined;
    let ended = false;
    let settled = false;
    const onIdle = () => {
      options.onIdle(
        new TrawlError(
          "BODY_TIMEOUT",
          `${url}: no body data for ${options.bodyIdleTimeoutMs} ms (bodyIdleTimeoutMs)`,
          { url },
        ),
      );
    };
    let idle: Timeout = idleQueue.add(onIdle);

    const finish = (error: unknown) => {
      if (settled) return;
      settled = true;
      idle.cancel();
      // On success the stream has ended: its listeners are left to go with it
      // (every handler is a no-op once settled).
      if (error === null) return resolve({ body: concat(parts, size), wireBytes });
      body.off("data", onData).off("end", onEnd).off("error", finish).off("close", onClose);
      body.on("error", noop).destroy();
      decoder?.on("error", noop).destroy();
      reject(error);
    };
    const onDecoded = (out: Buffer) => {
      if (settled) return;
      size += out.length;
      if (size > maxBytes) finish(tooLarge(url, maxBytes, "after decompression"));
      else parts.push(out);
    };
    const onDecodeError = (error: unknown) => {
      finish(
        new TrawlError("NETWORK_ERROR", `${url}: cannot decode ${options.encoding} body`, {
          url,
          cause: error,
        }),
      );
    };
    const onData = (chunk: Uint8Array) => {
      if (settled) return;
      idle.cancel();
      idle = idleQueue.add(onIdle);
      wireBytes += chunk.length;
      if (wireBytes > maxBytes) return finish(tooLarge(url, maxBytes, "on the wire"));
      if (decoder === undefined) {
        decoder = decoderFor(options.encoding, chunk);
        decoder?.on("data", onDecoded).on("error", onDecodeError).on("end", () => finish(null));
      }
      if (decoder === null) {
        size += chunk.length;
        parts.push(chunk);
      } else if (!decoder.write(chunk)) {
        body.pause();
        decoder.once("drain", () => body.resume());
      }
    };
    const onEnd = () => {
      ended = true;
      if (decoder) decoder.end();
      else finish(null);
    };
    const onClose = () => {
      if (ended) return;
      finish(
        Object.assign(new Error(`${url}: the body stream closed before its end`), {
          code: "ERR_STREAM_PREMATURE_CLOSE",
        }),
      );
    };

    if (body.errored) return finish(body.errored);
    if (body.destroyed) return onClose();
    body.on("data", onData).on("end", onEnd).on("error", finish).on("close", onClose);
  });
}
