/**
 * Internal: the machinery the built-in sinks share. Writes are chained (so
 * records stay in order even if a caller does not await), each record's text
 * is written to the stream at once, and `close()` writes the format's ending.
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import type { Sink, SinkOptions, TextFormat } from "./sink.ts";

/** A {@linkcode Sink} writing `format`'s text to `writable` as UTF-8. */
export function createTextSink(
  writable: WritableStream<Uint8Array>,
  format: TextFormat,
  options: SinkOptions = {},
): Sink {
  const encoder = new TextEncoder();
  const closeWritable = options.closeWritable ?? true;
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  let failure: TrawlError | undefined;

  async function put(text: string): Promise<void> {
    if (failure) throw failure;
    if (text === "") return;
    try {
      writer ??= writable.getWriter();
      await writer.write(encoder.encode(text));
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      failure = new TrawlError("SINK_ERROR", `Writing ${format.name} output failed: ${why}`, {
        cause,
      });
      throw failure;
    }
  }

  async function finish(): Promise<void> {
    const reported = failure !== undefined; // a failed write already told its caller
    try {
      await put(format.end());
    } catch {
      // Handled below.
    }
    try {
      writer ??= writable.getWriter();
      if (failure === undefined) {
        if (closeWritable) await writer.close();
        else writer.releaseLock();
        return;
      }
      if (closeWritable) await writer.abort(failure).catch(() => {});
      else writer.releaseLock();
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new TrawlError("SINK_ERROR", `Closing ${format.name} output failed: ${why}`, { cause });
    }
    if (!reported) throw failure;
  }

  return {
    write(record) {
      if (closing) {
        return Promise.reject(
          new TrawlError(
            "SINK_CLOSED",
            `Cannot write the record of ${record.url}: the ${format.name} sink is closed.`,
            { url: record.url },
          ),
        );
      }
      const done = chain.then(() => put(format.record(record)));
      chain = done.catch(() => {});
      return done;
    },
    close() {
      closing ??= chain.then(finish);
      return closing;
    },
  };
}
