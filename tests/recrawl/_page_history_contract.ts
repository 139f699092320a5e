// The contract every PageHistory implementation passes (see src/recrawl/page_history.ts).
import assert from "node:assert/strict";
import type { PageHistory, PageMemo } from "../../src/recrawl/page_history.ts";

const memo = (title: string, extra: Partial<PageMemo> = {}): PageMemo => ({
  depth: 1,
  status: 200,
  fetchedAt: 1_700_000_000_000,
  title,
  outlinks: [],
  ...extra,
});

export function runPageHistoryContract(
  name: string,
  open: () => Promise<{ history: PageHistory; close(): Promise<void> }>,
): void {
  const test = (what: string, body: (history: PageHistory) => Promise<void>) =>
    Deno.test(`page history contract (${name}): ${what}`, async () => {
      const { history, close } = await open();
      try {
        await body(history);
      } finally {
        await close();
      }
    });

  test("a page never remembered is null; a remembered one comes back whole", async (h) => {
    assert.equal(await h.reach("https://a.test/"), null);
    const stored = memo("A", {
      etag: '"x"',
      lastModified: "Sun, 01 Nov 2026 00:00:00 GMT",
      contentHash: "00ff",
      outlinks: ["https://a.test/1", "https://a.test/2"],
    });
    await h.remember("https://a.test/", stored);
    assert.deepEqual(await h.reach("https://a.test/"), stored);
    // A memo without validators has none afterwards.
    await h.remember("https://a.test/", memo("A2"));
    const back = await h.reach("https://a.test/");
    assert.equal(back?.etag, undefined);
    assert.equal(back?.contentHash, undefined);
    assert.deepEqual(back?.outlinks, []);
  });

  test("runs: the first is 1; pages not reached in the next run are unreached, in URL order", async (h) => {
    assert.equal(await h.startRun(), 1);
    for (const path of ["c", "a", "b", "d"]) await h.remember(`https://a.test/${path}`, memo(path));
    assert.deepEqual(await h.unreached(10, ""), [], "nothing is unreached within its own run");
    assert.equal(await h.startRun(), 2);
    await h.reach("https://a.test/b");
    await h.remember("https://a.test/e", memo("e"));
    const all = await h.unreached(10, "");
    assert.deepEqual(all.map((p) => p.url), [
      "https://a.test/a",
      "https://a.test/c",
      "https://a.test/d",
    ]);
    assert.equal(all[0].memo.title, "a");
    // Pages: max and after.
    assert.deepEqual((await h.unreached(1, "")).map((p) => p.url), ["https://a.test/a"]);
    assert.deepEqual(
      (await h.unreached(10, "https://a.test/a")).map((p) => p.url),
      ["https://a.test/c", "https://a.test/d"],
    );
    // Forgotten pages are gone for good.
    await h.forget("https://a.test/c");
    assert.equal(await h.reach("https://a.test/c"), null);
    assert.deepEqual((await h.unreached(10, "")).map((p) => p.url), [
      "https://a.test/a",
      "https://a.test/d",
    ]);
    // Reaching twice is harmless; reached pages are not unreached.
    await h.reach("https://a.test/a");
    await h.reach("https://a.test/a");
    assert.deepEqual((await h.unreached(10, "")).map((p) => p.url), ["https://a.test/d"]);
    assert.equal(await h.startRun(), 3);
    assert.deepEqual((await h.unreached(10, "")).map((p) => p.url), [
      "https://a.test/a",
      "https://a.test/b",
      "https://a.test/d",
      "https://a.test/e",
    ]);
  });
}
