/**
 * Output to a file, written by the sink itself (not through a stream that holds
 * 64 KiB until it is closed): records are buffered briefly and written at least
 * every `flushMs`, at `sync()` and at `close()`, so a crash loses at most the last
 * second, and a durable crawl can sync the file up to a known byte offset before
 * it commits that offset (see `--state`).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { CrawlRecord } from "../types.ts";
import type { Sink, TextFormat } from "./sink.ts";

/**
 * Options for {@linkcode createFileSink}.
 *
 * @example Flush twice a second
 * ```ts
 * import type { FileSinkOptions } from "./file_sink.ts";
 *
 * const options: FileSinkOptions = { flushMs: 500 };
 * ```
 */
export interface FileSinkOptions {
  /** Longest time a written record waits in memory before it reaches the file, ms. @default {1000} */
  flushMs?: number;
  /** Bytes buffered before a write to the file, whatever the time. @default {65536} */
  maxBufferedBytes?: number;
  /** The file's size when the sink starts (it appends from there). @default {0} */
  offset?: number;
}

/**
 * A {@linkcode Sink} into a file, with its byte offset and a `sync()`.
 *
 * @example Append and know where the records end
 * ```ts ignore
 * import type { FileSink } from "./file_sink.ts";
 *
 * declare const sink: FileSink;
 * await sink.sync();
 * console.log(`durable up to byte ${sink.offset}`);
 * ```
 */
export interface FileSink extends Sink {
  /** Bytes of output so far (written or buffered), counted from the start of the file. */
  readonly offset: number;
  /** Write what is buffered and `fsync` the file: the bytes before `offset` are durable. */
  sync(): Promise<void>;
}

const encoder = new TextEncoder();

/**
 * A sink appending `format`'s text to `file` (open for writing, positioned at
 * `options.offset`). `close()` writes the format's end, syncs and closes the file.
 *
 * @example JSON lines into a file
 * ```ts
 * import { createFileSink } from "./file_sink.ts";
 * import { jsonlFormat } from "./jsonl_sink.ts";
 *
 * const path = await Deno.makeTempFile();
 * const sink = createFileSink(await Deno.open(path, { write: true }), jsonlFormat());
 * await sink.close();
 * ```
 */
export function createFileSink(
  file: Deno.FsFile,
  format: TextFormat,
  options: FileSinkOptions = {},
): FileSink {
  return new FileOutput(file, format, options);
}

class FileOutput implements FileSink {
  #file: Deno.FsFile;
  #format: TextFormat;
  #flushMs: number;
  #maxBuffered: number;
  #offset: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Writes to the file run one after another. */
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;
  #failure: TrawlError | undefined;

  constructor(file: Deno.FsFile, format: TextFormat, options: FileSinkOptions) {
    this.#file = file;
    this.#format = format;
    this.#flushMs = options.flushMs ?? 1000;
    this.#maxBuffered = options.maxBufferedBytes ?? 65536;
    this.#offset = options.offset ?? 0;
  }

  get offset(): number {
    return this.#offset;
  }

  write(record: CrawlRecord): Promise<void> {
    if (this.#closing) {
      return Promise.reject(
        new TrawlError(
          "SINK_CLOSED",
          `Cannot write the record of ${record.url}: the ${this.#format.name} file is closed.`,
          { url: record.url },
        ),
      );
    }
    if (this.#failure) return Promise.reject(this.#failure);
    this.#put(this.#format.record(record));
    if (this.#buffered >= this.#maxBuffered) return this.#flush();
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush().catch(() => {}); // kept in #failure, thrown by the next write
    }, this.#flushMs);
    return Promise.resolve();
  }

  async sync(): Promise<void> {
    await this.#flush();
    await this.#run(() => this.#file.sync());
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#put(this.#format.end());
        await this.sync();
      } finally {
        clearTimeout(this.#timer);
        this.#file.close();
      }
    })();
    return this.#closing;
  }

  #put(text: string): void {
    if (text === "") return;
    const bytes = encoder.encode(text);
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
    this.#offset += bytes.length;
  }

  #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffered === 0) return this.#run(() => Promise.resolve());
    const chunks = this.#chunks;
    const size = this.#buffered;
    this.#chunks = [];
    this.#buffered = 0;
    return this.#run(async () => {
      const bytes = chunks.length === 1 ? chunks[0]! : new Uint8Array(size);
      if (chunks.length > 1) {
        let at = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, at);
          at += chunk.length;
        }
      }
      for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
    });
  }

  /** Run `step` after every earlier write; a failure sticks and is thrown from then on. */
  #run(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await step();
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        this.#failure = new TrawlError(
          "SINK_ERROR",
          `Writing ${this.#format.name} output failed: ${why}`,
          { cause },
        );
        throw this.#failure;
      }
    });
    this.#chain = next.catch(() => {});
    return next;
  }
}
