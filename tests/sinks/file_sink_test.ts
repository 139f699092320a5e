import assert from "node:assert/strict";
import { createFileSink } from "../../src/sinks/file_sink.ts";
import { jsonFormat } from "../../src/sinks/json_sink.ts";
import { jsonlFormat } from "../../src/sinks/jsonl_sink.ts";
import type { CrawlRecord } from "../../src/types.ts";

function record(n: number): CrawlRecord {
  return {
    id: `id${n}`,
    url: `https://example.com/${n}`,
    finalUrl: `https://example.com/${n}`,
    status: 200,
    depth: 0,
    title: `ü ${n}`,
    fetchedAt: "2026-01-01T00:00:00.000Z",
    ms: 1,
    bytes: 2,
    error: null,
    data: null,
  };
}

Deno.test("file sink: records reach the file within flushMs, without close; offset counts bytes", async () => {
  const path = await Deno.makeTempFile();
  try {
    const sink = createFileSink(await Deno.open(path, { write: true }), jsonlFormat(), {
      flushMs: 50,
    });
    await sink.write(record(1));
    await sink.write(record(2));
    assert.equal(await Deno.readTextFile(path), "", "buffered at first");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const text = await Deno.readTextFile(path);
    assert.equal(text.trim().split("\n").length, 2, "flushed by the timer");
    assert.equal(sink.offset, new TextEncoder().encode(text).length);
    await sink.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("file sink: sync makes everything before offset durable; a resumed JSON array stays valid", async () => {
  const path = await Deno.makeTempFile();
  try {
    const first = createFileSink(await Deno.open(path, { write: true }), jsonFormat());
    await first.write(record(1));
    await first.sync();
    const cut = first.offset;
    await first.write(record(2)); // written, then "lost" by the crash below
    await first.sync();
    // A crash: the file is cut back to the committed offset and the crawl resumes.
    await Deno.truncate(path, cut);
    const file = await Deno.open(path, { write: true });
    await file.seek(cut, Deno.SeekMode.Start);
    const resumed = createFileSink(file, jsonFormat({ resume: true }), { offset: cut });
    await resumed.write(record(3));
    await resumed.close();
    const parsed = JSON.parse(await Deno.readTextFile(path)) as CrawlRecord[];
    assert.deepEqual(parsed.map((r) => r.id), ["id1", "id3"]);
  } finally {
    await Deno.remove(path);
  }
});
