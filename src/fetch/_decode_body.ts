/**
 * Decompresses a gzip/deflate/br response body while it streams, with a cap on
 * the decompressed size (a 1 MB gzip body that inflates to 1 GB fails fast).
 * Bytes on the wire and the idle time between chunks are not counted here: the
 * fetcher's dispatch handler does both for every body, encoded or not.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { Readable, Transform } from "node:stream";
import zlib from "node:zlib";
import { TrawlError } from "../trawl_error.ts";

/** Options for {@linkcode decodeBody}. */
export interface DecodeBodyOptions {
  /** `content-encoding` of the response; see {@linkcode isDecodable}. */
  encoding: string;
  /** Cap on the decompressed size, bytes. */
  maxBytes: number;
  /** The URL, for messages. */
  url: string;
}

const ENCODINGS = new Set(["gzip", "x-gzip", "deflate", "br"]);

/** Whether {@linkcode decodeBody} undoes `encoding`; other bodies are taken as they are. */
export function isDecodable(encoding: string | undefined): encoding is string {
  return encoding !== undefined && ENCODINGS.has(encoding.trim().toLowerCase());
}

function decoderFor(encoding: string, first: Uint8Array): Transform {
  switch (encoding.trim().toLowerCase()) {
    case "deflate":
      // zlib-wrapped deflate starts with a CMF byte whose low nibble is 8; else raw.
      return (first[0] & 0x0f) === 8 ? zlib.createInflate() : zlib.createInflateRaw();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return zlib.createGunzip();
  }
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
 * Read `body` fully and decompress it, or reject (destroying both streams) with
 * `TOO_LARGE` past `maxBytes` decompressed, `NETWORK_ERROR` for a body that does
 * not decode, or the stream's own error. Event-driven rather than `for await`: a
 * stream's async iterator costs a generator and several promises per chunk.
 */
export function decodeBody(body: Readable, options: DecodeBodyOptions): Promise<Uint8Array> {
  const { maxBytes, url, encoding } = options;
  return new Promise<Uint8Array>((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let size = 0;
    let decoder: Transform | null = null;
    let ended = false;
    let settled = false;

    const finish = (error: unknown) => {
      if (settled) return;
      settled = true;
      if (error === null) return resolve(concat(parts, size));
      body.off("data", onData).off("end", onEnd).off("error", finish).off("close", onClose);
      body.on("error", noop).destroy();
      decoder?.on("error", noop).destroy();
      reject(error);
    };
    const onDecoded = (out: Buffer) => {
      if (settled) return;
      size += out.length;
      if (size <= maxBytes) parts.push(out);
      else {
        finish(
          new TrawlError(
            "TOO_LARGE",
            `${url}: body over maxBytes ${maxBytes} after decompression; raise maxBytes to accept it`,
            { url },
          ),
        );
      }
    };
    const onDecodeError = (error: unknown) => {
      finish(
        new TrawlError("NETWORK_ERROR", `${url}: cannot decode ${encoding} body`, {
          url,
          cause: error,
        }),
      );
    };
    const onData = (chunk: Uint8Array) => {
      if (settled) return;
      if (decoder === null) {
        decoder = decoderFor(encoding, chunk);
        decoder.on("data", onDecoded).on("error", onDecodeError).on("end", () => finish(null));
      }
      if (!decoder.write(chunk)) {
        body.pause();
        decoder.once("drain", () => body.resume());
      }
    };
    const onEnd = () => {
      ended = true;
      if (decoder) decoder.end();
      else finish(null); // an empty body
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
