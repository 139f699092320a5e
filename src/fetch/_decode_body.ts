/**
 * Decompresses a gzip/deflate/br response body chunk by chunk as it arrives,
 * with a cap on the decompressed size (a 1 MB gzip body that inflates to 1 GB
 * fails fast). Bytes on the wire and the idle time between chunks are not
 * counted here: the fetcher's dispatch handler does both for every body.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { Transform } from "node:stream";
import zlib from "node:zlib";
import { TrawlError } from "../trawl_error.ts";

/** Options for {@linkcode BodyDecoder}. */
export interface DecodeBodyOptions {
  /** `content-encoding` of the response; see {@linkcode isDecodable}. */
  encoding: string;
  /** Cap on the decompressed size, bytes. */
  maxBytes: number;
  /** Past `maxBytes`, keep the first `maxBytes` and report them as the body (no `TOO_LARGE`). */
  truncate: boolean;
  /** The URL, for messages. */
  url: string;
}

/** Who feeds a {@linkcode BodyDecoder} and takes its outcome (the fetcher's attempt). */
export interface DecodeTarget {
  /** The whole body, decompressed. */
  decoded(body: Uint8Array): void;
  /** `TOO_LARGE` past the cap, or `DECODE_ERROR` for a body that does not decode. */
  failed(error: TrawlError): void;
  /** Stop sending chunks: the decoder's input buffer is full. */
  pause(): void;
  /** Send chunks again. */
  resume(): void;
}

const ENCODINGS = new Set(["gzip", "x-gzip", "deflate", "br"]);

/** Whether {@linkcode BodyDecoder} undoes `encoding`; other bodies are taken as they are. */
export function isDecodable(encoding: string | undefined): encoding is string {
  return encoding !== undefined && ENCODINGS.has(encoding.trim().toLowerCase());
}

function zlibFor(encoding: string, first: Uint8Array): Transform {
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

/** `parts` (holding `size` bytes) as one new array of exactly that length. */
export function concatBytes(parts: Uint8Array[], size: number): Uint8Array {
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
 * Decompresses one body: `write` each wire chunk, then `end`; the outcome goes
 * to the target (`decoded` or `failed`, once). `destroy` stops it early.
 */
export class BodyDecoder {
  #options: DecodeBodyOptions;
  #target: DecodeTarget;
  #zlib: Transform | null = null;
  #parts: Uint8Array[] = [];
  #size = 0;
  #settled = false;
  /** `cut()` ended the input early. */
  #cutting = false;

  /** A decoder for one body of `options.encoding`, reporting to `target`. */
  constructor(options: DecodeBodyOptions, target: DecodeTarget) {
    this.#options = options;
    this.#target = target;
  }

  /** Feed one chunk as received (pauses the target while zlib's input buffer is full). */
  write(chunk: Uint8Array): void {
    if (this.#settled) return;
    // Made at the first chunk: raw or zlib-wrapped deflate is told from its first byte.
    const decoder = this.#zlib ?? this.#start(chunk);
    if (!decoder.write(chunk)) {
      this.#target.pause();
      decoder.once("drain", () => this.#target.resume());
    }
  }

  /** The body is complete: flush; `decoded` follows once zlib is done. */
  end(): void {
    if (this.#settled) return;
    if (this.#zlib === null) this.#finish(null); // an empty body
    else this.#zlib.end();
  }

  /**
   * No more input (the wire cap was reached with `truncate`): zlib decodes what it
   * was given, then what came out is reported as the body (a stream cut short is
   * not an error here).
   */
  cut(): void {
    if (this.#settled) return;
    if (this.#zlib === null) return this.#finish(null);
    this.#cutting = true;
    this.#zlib.end();
  }

  /** Stop decoding (the request failed); nothing is reported after this. */
  destroy(): void {
    this.#settled = true;
    this.#zlib?.on("error", noop).destroy();
  }

  #start(first: Uint8Array): Transform {
    const decoder = zlibFor(this.#options.encoding, first);
    decoder
      .on("data", (out: Buffer) => this.#onDecoded(out))
      .on("error", (error: unknown) => {
        if (this.#cutting) return this.#finish(null);
        const { url, encoding } = this.#options;
        this.#finish(
          new TrawlError(
            "DECODE_ERROR",
            `${url}: cannot decode the ${encoding} body: ${
              error instanceof Error ? error.message : String(error)
            }`,
            { url, cause: error },
          ),
        );
      })
      .on("end", () => this.#finish(null));
    this.#zlib = decoder;
    return decoder;
  }

  #onDecoded(out: Buffer): void {
    if (this.#settled) return;
    const { maxBytes, url } = this.#options;
    if (this.#size + out.length <= maxBytes) {
      this.#size += out.length;
      this.#parts.push(out);
    } else if (this.#options.truncate) {
      this.#parts.push(out.subarray(0, maxBytes - this.#size));
      this.#size = maxBytes;
      this.#finish(null);
    } else {
      this.#finish(
        new TrawlError(
          "TOO_LARGE",
          `${url}: body over maxBytes ${maxBytes} after decompression; raise maxBytes to accept it`,
          { url },
        ),
      );
    }
  }

  #finish(error: TrawlError | null): void {
    if (this.#settled) return;
    if (error !== null) {
      this.destroy();
      this.#target.failed(error);
    } else {
      this.#settled = true;
      // A cut body stops zlib now; a complete one has ended it already.
      this.#zlib?.on("error", noop).destroy();
      this.#target.decoded(concatBytes(this.#parts, this.#size));
    }
    this.#parts = [];
  }
}
