/**
 * Streams seed URLs from a file or stdin, one per line, with line numbers.
 *
 * @module
 */

import type { Seed } from "../crawl.ts";

/**
 * Options for {@linkcode readSeeds}.
 *
 * @example Warn about skipped lines
 * ```ts
 * import type { ReadSeedsOptions } from "./read_seeds.ts";
 *
 * const options: ReadSeedsOptions = { onSkip: (message) => console.error(message) };
 * ```
 */
export interface ReadSeedsOptions {
  /**
   * Longest line read, in characters: a longer one is skipped (and told to `onSkip`)
   * without being held in memory. @default {65536}
   */
  maxLineLength?: number;
  /** Told of each line skipped, with its number. @default {undefined} */
  onSkip?: (message: string) => void;
}

/**
 * Read seeds from `path` (`"-"` for stdin) as a stream: the file is never loaded
 * whole, and reading pauses while the consumer (the crawler's frontier) is full.
 * Lines end with LF, CRLF or a lone CR; blank lines and lines starting with `#`
 * are skipped, and so is a line longer than `maxLineLength` (memory stays bounded
 * whatever the file holds).
 *
 * @example Read a seed file
 * ```ts ignore
 * import { readSeeds } from "./read_seeds.ts";
 *
 * for await (const seed of readSeeds("urls.txt")) console.log(seed.line, seed.url);
 * ```
 */
export async function* readSeeds(
  path: string,
  options: ReadSeedsOptions = {},
): AsyncGenerator<Seed> {
  const max = options.maxLineLength ?? 65_536;
  const file = path === "-" ? null : await Deno.open(path, { read: true });
  const readable = file ? file.readable : Deno.stdin.readable;
  const chunks = readable.pipeThrough(new TextDecoderStream());
  let line = 0;
  let partial = "";
  let tooLong = false;
  let pendingCR = false;
  /** Finish the current line: the seed it holds, or `null`. */
  const finish = (): Seed | null => {
    line++;
    const text = partial;
    partial = "";
    if (tooLong) {
      tooLong = false;
      options.onSkip?.(`line ${line}: longer than ${max} characters; skipped`);
      return null;
    }
    const url = text.trim();
    return url === "" || url.startsWith("#") ? null : { url, line };
  };
  /** Add text to the current line, dropping it once the line is too long. */
  const add = (text: string) => {
    if (tooLong || text === "") return;
    if (partial.length + text.length > max) {
      tooLong = true;
      partial = "";
    } else partial += text;
  };
  try {
    for await (const chunk of chunks) {
      let start = 0;
      if (pendingCR) {
        pendingCR = false;
        if (chunk.charCodeAt(0) === 10) start = 1; // the LF of a CRLF split across chunks
      }
      const done: Seed[] = [];
      for (let i = start; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        add(chunk.slice(start, i));
        const seed = finish();
        if (seed) done.push(seed);
        if (c === 13) {
          if (i + 1 === chunk.length) pendingCR = true;
          else if (chunk.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      add(chunk.slice(start));
      yield* done;
    }
    if (partial !== "" || tooLong) {
      const seed = finish();
      if (seed) yield seed;
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
