/**
 * One HTTP exchange as undici's dispatch handler: timers, size limits, body
 * collection or decompression, and what to do with a body nobody wants.
 *
 * @module
 */

import type { Dispatcher } from "undici";
import { TrawlError } from "../trawl_error.ts";
import { parseContentType } from "./_content_type.ts";
import { BodyDecoder, concatBytes, type DecodeTarget, isDecodable } from "./_decode_body.ts";
import { flattenHeaders, latin1AsUtf8 } from "./_headers.ts";
import { RETRY_STATUSES } from "./_retry_policy.ts";
import type { Timeout, TimeoutTarget, TimerQueue } from "./_timer_queue.ts";

/** What one attempt got: a response whose body was read (or deliberately not). */
export interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Body bytes received on the wire. */
  bytes: number;
  ttfbMs: number;
  /** A redirect's target (as sent, UTF-8 read), or `null`. */
  location: string | null;
  /** The body was refused by `allowContentType` (not read). */
  skipped: boolean;
  /** `Retry-After` of a 429/503, ms; `null` otherwise. */
  retryAfterMs: number | null;
  /** A verdict on this response that ends the URL (`RETRY_AFTER_TOO_LONG`), or `null`. */
  error: TrawlError | null;
  /** The `Set-Cookie` header values, one per cookie; `null` when there were none. */
  setCookies: string[] | null;
}

/** What every {@linkcode Attempt} of one fetch needs: its timers and limits. */
export interface AttemptLimits {
  headers: TimerQueue;
  headersTimeoutMs: number;
  idle: TimerQueue;
  bodyIdleTimeoutMs: number;
  maxBytes: number;
  /** Keep the first `maxBytes` of a longer body instead of failing. */
  truncate: boolean;
  allowContentType: ((type: string | null) => boolean) | undefined;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** An empty body (shared). */
export const EMPTY: Uint8Array = new Uint8Array(0);

/** A body not wanted (a redirect, a status to retry, a refused type) is read up to this, then the connection is dropped. */
const DISCARD_LIMIT = 128 * 1024;

/** What an attempt does with the body chunks: */
const enum Body {
  /** keep them as they are; */
  Keep,
  /** decompress them (`content-encoding`); */
  Decode,
  /** drop them (up to DISCARD_LIMIT); */
  Discard,
  /** ignore them: the body was cut at `maxBytes` (`truncate`), the decoder reports what it kept. */
  Cut,
}

/**
 * One HTTP exchange: the handler undici's Agent calls back as the request is
 * written (start the headers timer), as the headers arrive (decide what to do
 * with the body), and per body chunk (count the wire bytes, time the gaps,
 * collect or decompress). It holds the controller that aborts the request, and
 * settles `exchange` once. Collecting here, not through `request()`'s body
 * stream, spares a Node stream and its bookkeeping on every response.
 */
export class Attempt implements Dispatcher.DispatchHandler, TimeoutTarget, DecodeTarget {
  /** Why it was aborted (a timeout, too large, a deadline, the caller), or null. */
  reason: TrawlError | null = null;
  /** Settles once: the response (body read), or the failure. */
  readonly exchange: Promise<Exchange>;
  /** The URL requested. */
  readonly href: string;
  #resolve!: (exchange: Exchange) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  /** The response is complete (undici called onResponseEnd). */
  #ended = false;
  #limits: AttemptLimits;
  #started = performance.now();
  #controller: Dispatcher.DispatchController | null = null;
  /** The headers timer until the response starts, then the body-idle timer. */
  #timer: Timeout | null = null;
  /** Set when the response headers arrive. */
  #response: Exchange | null = null;
  #body = Body.Keep;
  #chunks: Uint8Array[] = [];
  /** Body bytes received so far, as sent (before any decompression). */
  #wireBytes = 0;
  #decoder: BodyDecoder | null = null;

  constructor(href: string, limits: AttemptLimits) {
    this.href = href;
    this.#limits = limits;
    this.exchange = new Promise<Exchange>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The response's status once its headers arrived, else `null`. */
  get status(): number | null {
    return this.#response?.status ?? null;
  }

  /** Time since the attempt was made, ms. */
  /** When undici started writing the request (connected), `performance.now()` ms; `null` before. */
  sentAt: number | null = null;

  get elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /** The headers timer or the body-idle timer fired. */
  timedOut(): void {
    this.#timer = null;
    const limits = this.#limits;
    this.abort(
      this.#response !== null
        ? new TrawlError(
          "BODY_TIMEOUT",
          `${this.href}: no body data for ${limits.bodyIdleTimeoutMs} ms (bodyIdleTimeoutMs)`,
          { url: this.href },
        )
        : new TrawlError(
          "HEADERS_TIMEOUT",
          `${this.href}: no response headers within ${limits.headersTimeoutMs} ms (headersTimeoutMs)`,
          { url: this.href },
        ),
    );
  }

  /** Abort the request (now, or as soon as undici starts it); `exchange` rejects with `reason` at once. */
  abort(reason: TrawlError): void {
    if (this.#settled) return;
    this.reason = reason;
    this.#fail(reason);
    this.#controller?.abort(reason);
  }

  #succeed(): void {
    this.#settled = true;
    this.#stopTimer();
    this.#response!.bytes = this.#wireBytes;
    this.#resolve(this.#response!);
  }

  #fail(error: unknown): void {
    this.#settled = true;
    this.#stopTimer();
    this.#decoder?.destroy();
    this.#chunks = [];
    this.#reject(error);
  }

  /** The response is complete without the rest of its body: drop the connection. */
  #dropBody(controller: Dispatcher.DispatchController): void {
    this.#succeed();
    controller.abort(new TrawlError("ABORTED", `${this.href}: rest of the body not wanted`));
  }

  #stopTimer(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.sentAt = performance.now();
    if (this.#settled) {
      controller.abort(this.reason ?? new TrawlError("ABORTED", `${this.href}: attempt ended`));
      return;
    }
    this.#timer = this.#limits.headers.add(this);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    rawHeaders: Record<string, string | string[]>,
  ): void {
    if (this.#settled || statusCode < 200) return; // 1xx: the real response follows
    this.#stopTimer();
    const setCookie = rawHeaders["set-cookie"];
    const headers = flattenHeaders(rawHeaders);
    const response: Exchange = {
      status: statusCode,
      headers,
      body: EMPTY,
      bytes: 0,
      ttfbMs: performance.now() - this.#started,
      location: null,
      skipped: false,
      retryAfterMs: null,
      error: null,
      setCookies: setCookie === undefined
        ? null
        : typeof setCookie === "string"
        ? [setCookie]
        : setCookie,
    };
    this.#response = response;
    const limits = this.#limits;
    const allowType = limits.allowContentType;
    if (REDIRECTS.has(statusCode) && headers.location) {
      response.location = latin1AsUtf8(headers.location);
      this.#body = Body.Discard;
    } else if (RETRY_STATUSES.has(statusCode)) {
      this.#body = Body.Discard;
    } else if (
      allowType !== undefined && !allowType(parseContentType(headers["content-type"]).type)
    ) {
      response.skipped = true;
      this.#body = Body.Discard;
    } else if (isDecodable(headers["content-encoding"])) {
      this.#body = Body.Decode;
      this.#decoder = new BodyDecoder({
        encoding: headers["content-encoding"],
        maxBytes: limits.maxBytes,
        truncate: limits.truncate,
        url: this.href,
      }, this);
    }
    if (this.#body === Body.Discard && Number(headers["content-length"]) > DISCARD_LIMIT) {
      return this.#dropBody(controller);
    }
    this.#timer = limits.idle.add(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Uint8Array): void {
    if (this.#settled || this.#body === Body.Cut) return;
    this.#wireBytes += chunk.length;
    const { maxBytes } = this.#limits;
    if (this.#wireBytes > maxBytes && this.#body !== Body.Discard) {
      if (this.#limits.truncate) return this.#truncate(controller, chunk);
      this.abort(
        new TrawlError(
          "TOO_LARGE",
          `${this.href}: body over maxBytes ${maxBytes} on the wire; raise maxBytes to accept it`,
          { url: this.href },
        ),
      );
      return;
    }
    this.#timer?.restart();
    if (this.#body === Body.Keep) this.#chunks.push(chunk);
    else if (this.#body === Body.Decode) this.#decoder!.write(chunk);
    else if (this.#wireBytes > DISCARD_LIMIT) this.#dropBody(controller);
  }

  /** Past `maxBytes` with `truncate`: keep what fits, end here, drop the connection. */
  #truncate(controller: Dispatcher.DispatchController, chunk: Uint8Array): void {
    const maxBytes = this.#limits.maxBytes;
    const fits = maxBytes - (this.#wireBytes - chunk.length);
    this.#wireBytes = maxBytes;
    if (this.#body === Body.Decode) {
      // No more input: the decoder decodes what it got, cuts at maxBytes and reports
      // through decoded(), which drops the connection.
      if (fits > 0) this.#decoder!.write(chunk.subarray(0, fits));
      this.#stopTimer();
      this.#body = Body.Cut;
      this.#decoder!.cut();
      return;
    }
    if (fits > 0) this.#chunks.push(chunk.subarray(0, fits));
    this.#response!.body = concatBytes(this.#chunks, maxBytes);
    this.#chunks = [];
    this.#dropBody(controller);
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#settled || this.#body === Body.Cut) return;
    const response = this.#response!;
    if (this.#body === Body.Decode) {
      this.#stopTimer();
      this.#decoder!.end(); // decoded() or failed() follows
      return;
    }
    if (this.#body === Body.Keep && this.#wireBytes > 0) {
      // Copied out: undici's chunks are views into the socket's read buffers.
      response.body = concatBytes(this.#chunks, this.#wireBytes);
      this.#chunks = [];
    }
    this.#succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (!this.#settled) this.#fail(error); // an abort of ours settled before undici reports it
  }

  /** The decoder's outcome: the body, decompressed (cut at `maxBytes` with `truncate`). */
  decoded(body: Uint8Array): void {
    if (this.#settled) return;
    this.#response!.body = body;
    if (this.#ended) this.#succeed();
    else this.#dropBody(this.#controller!); // truncated before the end
  }

  /** The decoder's outcome: too large, or not decodable. */
  failed(error: TrawlError): void {
    this.abort(error);
  }

  /** The decoder's input is full: stop the socket's reads. */
  pause(): void {
    this.#controller?.pause();
  }

  /** The decoder drained. */
  resume(): void {
    if (!this.#settled) this.#controller?.resume();
  }
}
