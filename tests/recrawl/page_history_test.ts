import assert from "node:assert/strict";
import { createMemoryPageHistory } from "../../src/recrawl/memory_page_history.ts";
import { createSqliteFrontierStore } from "../../src/frontier/sqlite_frontier_store.ts";
import { runPageHistoryContract } from "./_page_history_contract.ts";

runPageHistoryContract("memory", () => {
  const history = createMemoryPageHistory();
  return Promise.resolve({ history, close: () => Promise.resolve() });
});

runPageHistoryContract("sqlite state file", async () => {
  const dir = await Deno.makeTempDir();
  const store = createSqliteFrontierStore(`${dir}/state.db`);
  return {
    history: store.history,
    close: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("sqlite page history: committed with the store's checkpoint, lost without one; startRecrawl empties the frontier only", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state.db`;
  try {
    let store = createSqliteFrontierStore(path, { manualCommit: true });
    await store.add([{ url: "https://a.test/", depth: 0, host: "a.test" }]);
    await store.history.remember("https://a.test/", {
      depth: 0,
      status: 200,
      fetchedAt: 1,
      title: "A",
      outlinks: ["https://a.test/x"],
    });
    await store.checkpoint();
    await store.history.remember("https://a.test/lost", {
      depth: 1,
      status: 200,
      fetchedAt: 1,
      title: "lost",
      outlinks: [],
    });
    await store.close(); // not checkpointed: dropped, as by a crash
    store = createSqliteFrontierStore(path, { manualCommit: true });
    assert.equal((await store.history.reach("https://a.test/"))?.title, "A");
    assert.equal(await store.history.reach("https://a.test/lost"), null);
    await store.addScopeKeys(["a.test"]);
    assert.equal(await store.startRecrawl(), 2);
    assert.deepEqual(await store.counts(), { seen: 0, admitted: 0, queued: 0, leased: 0, done: 0 });
    assert.deepEqual(await store.scopeKeys(), ["a.test"]);
    // The URL can be queued again, and the history is still there.
    const { added } = await store.add([{ url: "https://a.test/", depth: 0, host: "a.test" }]);
    assert.equal(added.length, 1);
    // Run 2 has not reached "/" yet; once reached, it is not unreached.
    assert.deepEqual((await store.history.unreached(10, "")).map((p) => p.url), [
      "https://a.test/",
    ]);
    await store.history.reach("https://a.test/");
    await store.checkpoint();
    await store.close();
    store = createSqliteFrontierStore(path, { manualCommit: true });
    // Run 2 was committed: a new history handle is in it, and "/" (reached in run 2) is not unreached.
    assert.deepEqual(await store.history.unreached(10, ""), []);
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
