/**
 * Streams seed URLs from a file or stdin, one per line, with line numbers.
 *
 * @module
 */

import { TextLineStream } from "../_std.ts";
import type { Seed } from "../crawl.ts";

/**
 * Read seeds from `path` (`"-"` for stdin) as a stream: the file is never loaded
 * whole, and reading pauses while the consumer (the crawler's frontier) is full.
 * Blank lines and lines starting with `#` are skipped.
 *
 * @example Read a seed file
 * ```ts ignore
 * import { readSeeds } from "./read_seeds.ts";
 *
 * for await (const seed of readSeeds("urls.txt")) console.log(seed.line, seed.url);
 * ```
 */
export async function* readSeeds(path: string): AsyncGenerator<Seed> {
  const file = path === "-" ? null : await Deno.open(path, { read: true });
  const readable = file ? file.readable : Deno.stdin.readable;
  const lines = readable.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream());
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const url = text.trim();
      if (url === "" || url.startsWith("#")) continue;
      yield { url, line };
    }
  } finally {
    // Breaking out of the loop above cancels the stream, which closes the file.
    if (file) {
      try {
        file.close();
      } catch { /* already closed by the stream */ }
    }
  }
}
