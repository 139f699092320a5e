/**
 * The process-pool pattern: run your own exported function off the main thread in
 * sandboxed workers, with a bounded queue (`run()` waits when it is full) and a
 * per-job time limit.
 *
 * Run: `deno run -A examples/cpu_pool.ts`
 *
 * @module
 */

import { createWorkerPool } from "../pool.ts";

type Input = { text: string; top: number };
type Output = [string, number][];

await using pool = createWorkerPool<Input, Output>(
  new URL("./word_count_job.ts", import.meta.url),
  {
    exportName: "topWords",
    workers: 2,
    timeoutMs: 5_000,
  },
);

const texts = Array.from(
  { length: 8 },
  (_, i) => `lorem ipsum ${"dolor sit amet ".repeat(1000 * (i + 1))} end`,
);
const results = await Promise.all(texts.map((text) => pool.run({ text, top: 3 })));
results.forEach((top, i) => console.log(`text ${i}:`, top));
