// Helpers of the distributed-crawl CLI tests.
import assert from "node:assert/strict";

/** Every URL the demo site can reach from `/` (`/landing` is only reached by a redirect). */
export function reachableUrls(site: { url: string; reachable: ReadonlySet<string> }): string[] {
  return [...site.reachable].filter((path) => path !== "/landing")
    .map((path) => new URL(path, site.url).href).sort();
}

/** Every expected URL exactly once in a JSONL output, no duplicate id, no torn line. */
export function assertExactlyOnce(text: string, expected: string[]) {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", "the file ends with a whole line");
  const records = lines.map((line) => JSON.parse(line)); // no torn line
  assert.equal(new Set(records.map((r) => r.id)).size, records.length, "no duplicate id");
  const got = records.map((r) => String(r.url)).sort();
  assert.deepEqual(
    got,
    expected,
    `every URL exactly once: missing ${expected.filter((u) => !got.includes(u))}, extra ${
      got.filter((u) => !expected.includes(u))
    }`,
  );
}
