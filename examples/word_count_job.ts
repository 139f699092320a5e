/**
 * A CPU-heavy function for examples/cpu_pool.ts. Pool modules run in sandboxed
 * workers: they get their input by message and may not read files or the network.
 *
 * @module
 */

/**
 * Count the words of a text and return the most frequent ones.
 *
 * @example Call it directly
 * ```ts
 * import { topWords } from "./word_count_job.ts";
 *
 * console.log(topWords({ text: "a b a", top: 1 })); // [["a", 2]]
 * ```
 */
export function topWords(input: { text: string; top: number }): [string, number][] {
  const counts = new Map<string, number>();
  for (const word of input.text.toLowerCase().match(/\p{L}+/gu) ?? []) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, input.top);
}
