import assert from "node:assert/strict";
import { readSeeds } from "../../src/cli/read_seeds.ts";

async function seedsOf(text: string | Uint8Array, maxLineLength?: number) {
  const path = await Deno.makeTempFile();
  try {
    if (typeof text === "string") await Deno.writeTextFile(path, text);
    else await Deno.writeFile(path, text);
    const skipped: string[] = [];
    const seeds = [];
    for await (const seed of readSeeds(path, { maxLineLength, onSkip: (m) => skipped.push(m) })) {
      seeds.push(`${seed.line}:${seed.url}`);
    }
    return { seeds, skipped };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readSeeds: LF, CRLF and lone CR all end lines; blanks and comments are skipped", async () => {
  const { seeds } = await seedsOf("http://a/\r\nhttp://b/\rhttp://c/\n\n# note\r  http://d/  ");
  assert.deepEqual(seeds, ["1:http://a/", "2:http://b/", "3:http://c/", "6:http://d/"]);
});

Deno.test("readSeeds: a line over the limit is skipped and told; later lines still read", async () => {
  const long = "http://x/" + "a".repeat(200_000);
  const { seeds, skipped } = await seedsOf(`http://a/\n${long}\nhttp://b/\n`, 1000);
  assert.deepEqual(seeds, ["1:http://a/", "3:http://b/"]);
  assert.deepEqual(skipped, ["line 2: longer than 1000 characters; skipped"]);
});

Deno.test("readSeeds: a CRLF split across stream chunks is one line end", async () => {
  // 65,536 bytes is the read size: put the CR last in the first chunk.
  const first = "#".repeat(65_535 - "http://a/\n".length);
  const text = new TextEncoder().encode(`http://a/\n${first}\r\nhttp://b/\n`);
  assert.equal(text[65_535], 13);
  const { seeds } = await seedsOf(text);
  assert.deepEqual(seeds, ["1:http://a/", "3:http://b/"]);
});
