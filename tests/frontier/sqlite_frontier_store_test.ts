import assert from "node:assert/strict";
import {
  createSqliteFrontierStore,
  type SqliteFrontierStore,
} from "../../src/frontier/sqlite_frontier_store.ts";
import { entry, runStoreContract } from "./_store_contract.ts";

const paths = new WeakMap<SqliteFrontierStore, string>();

function open(path: string, manualCommit = false): SqliteFrontierStore {
  const store = createSqliteFrontierStore(path, { manualCommit });
  paths.set(store, path);
  return store;
}

runStoreContract("sqlite", async () => open(await Deno.makeTempFile({ suffix: ".db" })), {
  reopen: (closed) => Promise.resolve(open(paths.get(closed as SqliteFrontierStore)!)),
});

Deno.test("sqlite store: with manualCommit, only checkpoints reach the file; meta commits with them", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  const a = open(path, true);
  await a.add([entry("http://a/1"), entry("http://a/2")]);
  const [lease] = await a.take(1);
  await a.done(lease!);
  await a.checkpoint({ offset: "10" });
  await a.add([entry("http://a/3")]); // never checkpointed
  await a.close(); // as a crash: the open transaction is dropped
  const b = open(path, true);
  const c = await b.counts();
  assert.deepEqual([c.seen, c.done, c.queued], [2, 1, 1]);
  assert.equal(b.getMeta("offset"), "10");
  await b.close();
});

Deno.test("sqlite store: kill -9 at random moments leaves the file at a checkpoint (meta n = done rows)", async () => {
  const path = await Deno.makeTempFile({ suffix: ".db" });
  const script = `
    import { createSqliteFrontierStore } from "${
    new URL("../../src/frontier/sqlite_frontier_store.ts", import.meta.url).href
  }";
    const store = createSqliteFrontierStore(${JSON.stringify(path)}, { manualCommit: true });
    let n = Number(store.getMeta("n") ?? "0");
    for (let i = 0; ; i++) {
      await store.add(Array.from({ length: 50 }, (_, j) => ({ url: "http://h/" + n + "-" + i + "-" + j, depth: 1, host: "h" })));
      for (const lease of await store.take(20)) { await store.done(lease); n++; }
      if (i % 3 === 0) await store.checkpoint({ n: String(n) });
    }
  `;
  for (let round = 0; round < 4; round++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 400));
    child.kill("SIGKILL");
    await child.status;
    const store = open(path);
    const counts = await store.counts();
    assert.equal(String(counts.done), store.getMeta("n") ?? "0", `round ${round}`);
    assert.equal(counts.leased, 0);
    await store.close();
  }
});
