import assert from "node:assert/strict";
import { parseCsv } from "../../src/_std.ts";
import { createCsvSink, csvFormat } from "../../src/sinks/csv_sink.ts";
import { createJsonSink } from "../../src/sinks/json_sink.ts";
import { createJsonlSink } from "../../src/sinks/jsonl_sink.ts";
import { createSink, type SinkFormat } from "../../src/sinks/create_sink.ts";
import type { Sink } from "../../src/sinks/sink.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import type { CrawlRecord } from "../../src/types.ts";

const FIXED = [
  "id",
  "url",
  "finalUrl",
  "status",
  "depth",
  "title",
  "fetchedAt",
  "ms",
  "bytes",
  "error_code",
  "error_message",
];

function record(n: number, data: unknown = null, extra: Partial<CrawlRecord> = {}): CrawlRecord {
  return {
    id: `id${n}`,
    url: `https://example.com/p/${n}`,
    finalUrl: `https://example.com/p/${n}`,
    status: 200,
    depth: 1,
    title: `Page ${n}`,
    fetchedAt: "2025-01-02T03:04:05.678Z",
    ms: 12.5,
    bytes: 1024,
    error: null,
    data,
    ...extra,
  };
}

const AWKWARD: CrawlRecord = {
  id: 'a,"w"',
  url: 'https://example.com/a,b?q="x"&y=1',
  finalUrl: null,
  status: null,
  depth: 2,
  title: 'Say "hi",\nthen leave — ünïcödé 🚀',
  fetchedAt: "2025-01-02T03:04:05.678Z",
  ms: 1.5,
  bytes: 0,
  error: { code: "DEADLINE", message: 'took, "too"\r\nlong' },
  data: {
    price: "1,99 €",
    tags: ["a", "b,c"],
    nested: { x: null, y: [1, { z: 'q"q' }] },
    none: null,
    text: "line1\r\nline2\nline3",
  },
};

/** An in-memory byte stream that remembers whether it was closed. */
function memory() {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      chunks.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  return {
    writable,
    text: () => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
    get closed() {
      return closed;
    },
  };
}

type Row = Record<string, string>;
const csvRows = (text: string) => parseCsv(text, { skipFirstRow: true }) as Row[];
const csvHeader = (text: string) => (parseCsv(text) as string[][])[0];

Deno.test("JSONL: awkward values round-trip, one object per line", async () => {
  const out = memory();
  const sink = createJsonlSink(out.writable);
  await sink.write(AWKWARD);
  await sink.write(record(1));
  await sink.close();
  const lines = out.text().split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((l) => JSON.parse(l)), [AWKWARD, record(1)]);
  assert.equal(out.closed, true);
});

Deno.test("JSON: awkward values round-trip as one array", async () => {
  const out = memory();
  const sink = createJsonSink(out.writable);
  await sink.write(AWKWARD);
  await sink.write(record(1, [{ a: 1 }, { a: 2 }]));
  await sink.close();
  assert.deepEqual(JSON.parse(out.text()), [AWKWARD, record(1, [{ a: 1 }, { a: 2 }])]);
});

Deno.test("JSON: no records gives [], an interrupted file (close early) still parses", async () => {
  const empty = memory();
  await createJsonSink(empty.writable).close();
  assert.deepEqual(JSON.parse(empty.text()), []);

  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const file = await Deno.open(path, { write: true, truncate: true });
    const sink = createJsonSink(file.writable);
    for (let i = 0; i < 3; i++) await sink.write(record(i));
    await sink.close(); // what the crawler does on Ctrl-C; closes the file too
    await sink.close(); // idempotent
    const parsed = JSON.parse(await Deno.readTextFile(path));
    assert.deepEqual(parsed.map((r: CrawlRecord) => r.url), [0, 1, 2].map((i) => record(i).url));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("records reach the stream as they are written, not at close()", async () => {
  for (const format of ["jsonl", "json"] as SinkFormat[]) {
    const out = memory();
    const sink = createSink(format, out.writable);
    await sink.write(record(1));
    assert.match(out.text(), /p\/1/, format);
    await sink.write(record(2));
    assert.match(out.text(), /p\/2/, format);
    await sink.close();
  }
});

Deno.test("CSV: awkward values round-trip through std's parser", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable, {
    columns: ["price", "tags", "nested", "none", "text"],
  });
  await sink.write(AWKWARD);
  await sink.close();
  const text = out.text();
  assert.deepEqual(csvHeader(text), [
    ...FIXED,
    "price",
    "tags",
    "nested",
    "none",
    "text",
    "data_extra",
  ]);
  const [row] = csvRows(text);
  assert.equal(row.url, AWKWARD.url);
  assert.equal(row.finalUrl, "");
  assert.equal(row.status, "");
  assert.equal(row.depth, "2");
  assert.equal(row.title, AWKWARD.title);
  assert.equal(row.ms, "1.5");
  assert.equal(row.error_code, "DEADLINE");
  // std's parser (like Go's) reads CRLF inside a quoted field as LF.
  assert.equal(row.error_message, 'took, "too"\nlong');
  assert.equal(row.price, "1,99 €");
  assert.deepEqual(JSON.parse(row.tags), ["a", "b,c"]);
  assert.deepEqual(JSON.parse(row.nested), { x: null, y: [1, { z: 'q"q' }] });
  assert.equal(row.none, "");
  assert.equal(row.text, "line1\nline2\nline3");
  assert.match(text, /"line1\r\nline2\nline3"/); // written as given, quoted
  assert.equal(row.data_extra, "");
});

Deno.test("CSV: a lone CR is written as a quoted LF, so no reader splits the row", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable, { columns: ["note"] });
  await sink.write(record(1, { note: "x\ry" }, { title: "a\rb" }));
  await sink.close();
  const text = out.text();
  assert.equal(text.includes("\r") && /\r(?!\n)/.test(text), false);
  assert.match(text, /"a\nb"/);
  assert.deepEqual(csvRows(text).map((r) => [r.title, r.note]), [["a\nb", "x\ny"]]);
});

Deno.test("CSV: without columns the header is written with the first row and data is one JSON column", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable);
  await sink.write(record(1, { a: "1" }));
  assert.deepEqual(csvHeader(out.text()), [...FIXED, "data"]); // nothing held back
  await sink.write(record(2, { b: "2", c: { deep: [1] } }));
  await sink.close();
  const rows = csvRows(out.text());
  assert.deepEqual(rows.map((r) => JSON.parse(r.data)), [{ a: "1" }, { b: "2", c: { deep: [1] } }]);
});

Deno.test("CSV: resuming an output writes no second header", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable, { columns: ["n"], resume: true });
  await sink.write(record(7, { n: 7 }));
  await sink.close();
  const rows = parseCsv(out.text()) as string[][];
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0]![0], rows[0]![1], rows[0]!.at(-2)], ["id7", record(7).url, "7"]);
});

Deno.test("CSV: known columns stream at once; unknown keys go to data_extra", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable, { columns: ["price", "title"] });
  await sink.write(record(1, { price: "9", title: "H1 text", sku: "X" }));
  assert.deepEqual(csvHeader(out.text()), [...FIXED, "price", "data.title", "data_extra"]);
  await sink.close();
  const [row] = csvRows(out.text());
  assert.equal(row.title, "Page 1");
  assert.equal(row["data.title"], "H1 text");
  assert.deepEqual(JSON.parse(row.data_extra), { sku: "X" });
});

Deno.test("CSV: array data gives one row per item; primitives go to a data column", async () => {
  const out = memory();
  const sink = createCsvSink(out.writable, { columns: ["name"] });
  await sink.write(record(1, [{ name: "a" }, { name: "b" }]));
  await sink.write(record(2, []));
  await sink.write(record(3, "plain"));
  await sink.write(record(4, null));
  await sink.close();
  const text = out.text();
  assert.deepEqual(csvHeader(text), [...FIXED, "name", "data_extra"]);
  const rows = csvRows(text);
  assert.deepEqual(rows.map((r) => [r.url.slice(-1), r.name, r.data_extra]), [
    ["1", "a", ""],
    ["1", "b", ""],
    ["2", "", ""],
    ["3", "", '{"data":"plain"}'],
    ["4", "", ""],
  ]);
});

Deno.test("CSV: no records still gives a header", async () => {
  const out = memory();
  await createCsvSink(out.writable, { columns: ["x"] }).close();
  assert.deepEqual(csvHeader(out.text()), [...FIXED, "x", "data_extra"]);
  assert.deepEqual(csvRows(out.text()), []);
});

Deno.test("order is preserved under many writes, even when not awaited one by one", async () => {
  for (const format of ["jsonl", "json", "csv"] as SinkFormat[]) {
    const out = memory();
    const sink = createSink(format, out.writable, { columns: ["i"] });
    await Promise.all(Array.from({ length: 500 }, (_, i) => sink.write(record(i, { i }))));
    await sink.close();
    const text = out.text();
    const urls = format === "json"
      ? JSON.parse(text).map((r: CrawlRecord) => r.url)
      : format === "jsonl"
      ? text.trim().split("\n").map((l) => JSON.parse(l).url)
      : csvRows(text).map((r) => r.url);
    assert.deepEqual(urls, Array.from({ length: 500 }, (_, i) => record(i).url), format);
  }
});

Deno.test("a custom Sink works through the same interface", async () => {
  const got: string[] = [];
  let closes = 0;
  const custom: Sink = {
    write(r) {
      got.push(r.url);
      return Promise.resolve();
    },
    close() {
      closes++;
      return Promise.resolve();
    },
  };
  // What the crawler does with any sink.
  const drive = async (sink: Sink, records: CrawlRecord[]) => {
    try {
      for (const r of records) await sink.write(r);
    } finally {
      await sink.close();
    }
  };
  await drive(custom, [record(1), record(2)]);
  assert.deepEqual(got, [record(1).url, record(2).url]);
  assert.equal(closes, 1);
  const out = memory();
  await drive(createJsonlSink(out.writable), [record(1), record(2)]);
  assert.equal(out.text().split("\n").filter(Boolean).length, 2);
});

Deno.test("closeWritable: false leaves the stream open and unlocked", async () => {
  const out = memory();
  const sink = createJsonSink(out.writable, { closeWritable: false });
  await sink.write(record(1));
  await sink.close();
  assert.equal(out.closed, false);
  assert.equal(out.writable.locked, false);
  assert.equal(JSON.parse(out.text()).length, 1);
  await out.writable.close();
});

Deno.test("write after close is SINK_CLOSED; a failing stream is SINK_ERROR", async () => {
  const out = memory();
  const sink = createJsonlSink(out.writable);
  await sink.close();
  await assert.rejects(
    sink.write(record(1)),
    (e) => e instanceof TrawlError && e.code === "SINK_CLOSED" && e.message.includes("/p/1"),
  );

  const broken = new WritableStream<Uint8Array>({
    write() {
      throw new Error("disk full");
    },
  });
  const failing = createJsonSink(broken);
  await assert.rejects(
    failing.write(record(1)),
    (e) => e instanceof TrawlError && e.code === "SINK_ERROR" && e.message.includes("disk full"),
  );
  await assert.rejects(
    failing.write(record(2)),
    (e) => e instanceof TrawlError && e.code === "SINK_ERROR",
  );
  await failing.close(); // already reported: close does not throw again
});

Deno.test("data JSON cannot hold: bigint as text, a cycle replaced by null with SINK_ERROR", async () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const out = memory();
  const sink = createJsonlSink(out.writable);
  await sink.write(record(1, { big: 12345678901234567890n, set: new Set([1, 2]) }));
  await sink.write(record(2, cyclic));
  await sink.close();
  const [first, second] = out.text().trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(first.data, { big: "12345678901234567890", set: [1, 2] });
  assert.equal(second.url, record(2).url);
  assert.equal(second.data, null);
  assert.equal(second.error.code, "SINK_ERROR");
});

Deno.test("createSink rejects an unknown format", () => {
  const out = memory();
  assert.throws(
    () => createSink("xml" as SinkFormat, out.writable),
    (e) => e instanceof TrawlError && e.code === "INVALID_OPTION",
  );
});

Deno.test("CSV: a recrawl's change column comes after the fixed ones", () => {
  const format = csvFormat({ change: true });
  const record: CrawlRecord = {
    id: "0123456789abcdef",
    url: "https://a.test/",
    finalUrl: "https://a.test/",
    status: 304,
    depth: 0,
    title: "A",
    fetchedAt: "2026-12-05T00:00:00.000Z",
    ms: 3,
    bytes: 0,
    error: null,
    data: null,
    change: "unchanged",
  };
  const rows = parseCsv(format.record(record) + format.end()) as string[][];
  assert.deepEqual(rows[0].slice(-3), ["error_message", "change", "data"]);
  assert.deepEqual(rows[1].slice(-3), ["", "unchanged", ""]);
});
