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

/** Options for {@linkcode readBody}. */
export interface ReadBodyOptions {
  /** `content-encoding` of the response. */
  encoding: string | undefined;
  /** Cap, applied on the wire and again after decompression. */
  maxBytes: number;
  /** Longest wait between two chunks. */
  bodyIdleTimeoutMs: number;
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

/** Read `body` fully within the limits, or throw a `TrawlError` (and destroy the stream). */
export async function readBody(body: Readable, options: ReadBodyOptions): Promise<BodyRead> {
  const { maxBytes, url } = options;
  const parts: Uint8Array[] = [];
  let wireBytes = 0;
  let size = 0;
  let decoder: Transform | null | undefined;
  let decodeError: unknown = null;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      options.onIdle(
        new TrawlError(
          "BODY_TIMEOUT",
          `${url}: no body data for ${options.bodyIdleTimeoutMs} ms (bodyIdleTimeoutMs)`,
          { url },
        ),
      );
    }, options.bodyIdleTimeoutMs);
  };
  try {
    armIdle();
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      armIdle();
      wireBytes += chunk.length;
      if (wireBytes > maxBytes) throw tooLarge(url, maxBytes, "on the wire");
      if (decoder === undefined) {
        decoder = decoderFor(options.encoding, chunk);
        decoder?.on("data", (out: Buffer) => {
          size += out.length;
          if (size > maxBytes) {
            decoder!.destroy(tooLarge(url, maxBytes, "after decompression"));
          } else parts.push(out);
        }).on("error", (e) => decodeError ??= e);
      }
      if (decoder === null) {
        size += chunk.length;
        parts.push(chunk);
        continue;
      }
      if (decodeError) throw decodeError;
      if (!decoder.write(chunk)) await drained(decoder);
      if (decodeError) throw decodeError;
    }
    if (decoder) {
      decoder.end();
      await ended(decoder);
      if (decodeError) throw decodeError;
    }
    return { body: concat(parts, size), wireBytes };
  } catch (error) {
    body.destroy();
    decoder?.destroy();
    if (error instanceof TrawlError) throw error;
    if (decodeError === error) {
      throw new TrawlError("NETWORK_ERROR", `${url}: cannot decode ${options.encoding} body`, {
        url,
        cause: error,
      });
    }
    throw error;
  } finally {
    clearTimeout(idle);
  }
}

function drained(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done).off("error", done).off("close", done);
      resolve();
    };
    stream.on("drain", done).on("error", done).on("close", done);
  });
}

function ended(stream: Transform): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    const done = () => {
      stream.off("end", done).off("error", done).off("close", done);
      resolve();
    };
    stream.on("end", done).on("error", done).on("close", done);
  });
}
