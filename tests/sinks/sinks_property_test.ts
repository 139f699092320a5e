import assert from "node:assert/strict";
import fc from "fast-check";
import { parseCsv } from "../../src/_std.ts";
import { createSink } from "../../src/sinks/create_sink.ts";
import type { CrawlRecord } from "../../src/types.ts";

/** Collects what a sink writes. */
function memory() {
  let text = "";
  const decoder = new TextDecoder();
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      text += decoder.decode(chunk, { stream: true });
    },
  });
  return { writable, text: () => text };
}

const awkwardChar = fc.oneof(
  fc.constantFrom(",", '"', "\n", "\r", "\r\n", "\t", " ", "é", "🚀", "\u2028", "\0"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const awkwardString = fc.string({ unit: awkwardChar, maxLength: 30 }).map((s) =>
  // Lone surrogates cannot survive UTF-8 at all; keep to well-formed text.
  s.toWellFormed()
);

const recordArb: fc.Arbitrary<CrawlRecord> = fc.record({
  id: fc.stringMatching(/^[0-9a-f]{16}$/),
  url: awkwardString.map((s) => `https://example.com/${encodeURIComponent(s)}`),
  finalUrl: fc.option(awkwardString),
  status: fc.option(fc.integer({ min: 100, max: 599 })),
  depth: fc.nat(50),
  title: fc.option(awkwardString),
  fetchedAt: fc.constant("2025-01-02T03:04:05.678Z"),
  ms: fc.double({ min: 0, max: 1e6, noNaN: true }),
  bytes: fc.nat(),
  error: fc.option(
    fc.record({ code: fc.constant("DEADLINE"), message: awkwardString }, { noNullPrototype: true }),
  ),
  data: fc.option(
    fc.dictionary(fc.constantFrom("a", "b", "c,d", 'q"'), awkwardString, { noNullPrototype: true }),
  ),
}, { noNullPrototype: true });

Deno.test("property: JSON and JSONL give back exactly the records written", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(recordArb, { maxLength: 8 }), async (records) => {
      const json = memory();
      const jsonl = memory();
      const a = createSink("json", json.writable);
      const b = createSink("jsonl", jsonl.writable);
      for (const r of records) {
        await a.write(r);
        await b.write(r);
      }
      await a.close();
      await b.close();
      assert.deepEqual(JSON.parse(json.text()), records);
      const lines = jsonl.text().split("\n").slice(0, -1).map((l) => JSON.parse(l));
      assert.deepEqual(lines, records);
    }),
    { numRuns: 150 },
  );
});

Deno.test("property: CSV cells parse back (CR and CRLF inside a cell read as LF)", async () => {
  // CRLF inside a quoted cell reads back as LF; a lone CR is written as LF.
  const crlf = (s: string | null | undefined) =>
    (s ?? "").replaceAll("\r\n", "\n").replaceAll("\r", "\n");
  await fc.assert(
    fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 8 }), async (records) => {
      const out = memory();
      const sink = createSink("csv", out.writable, { columns: ["a", "b", "c,d", 'q"'] });
      for (const r of records) await sink.write(r);
      await sink.close();
      const rows = parseCsv(out.text(), { skipFirstRow: true }) as Record<string, string>[];
      assert.equal(rows.length, records.length);
      records.forEach((r, i) => {
        const row = rows[i];
        assert.equal(row.id, r.id);
        assert.equal(row.url, r.url);
        assert.equal(row.title, crlf(r.title));
        assert.equal(row.finalUrl, crlf(r.finalUrl));
        assert.equal(row.error_message, crlf(r.error?.message));
        for (const [key, value] of Object.entries((r.data ?? {}) as Record<string, string>)) {
          assert.equal(row[key], crlf(value), key);
        }
        assert.equal(row.data_extra, "");
      });
    }),
    { numRuns: 150 },
  );
});
