import assert from "node:assert/strict";
import { createMemoryFrontierStore } from "../../src/frontier/memory_frontier_store.ts";
import { entry, runStoreContract } from "./_store_contract.ts";

runStoreContract("memory", () => createMemoryFrontierStore());

Deno.test("memory store: release delays follow the injected clock", async () => {
  let t = 1000;
  const store = createMemoryFrontierStore({ now: () => t });
  await store.add([entry("http://a/1")]);
  const [lease] = await store.take(1);
  await store.release(lease!, { delayMs: 5000 });
  t += 4999;
  assert.deepEqual(await store.take(1), []);
  t += 1;
  assert.equal((await store.take(1))[0]?.entry.url, "http://a/1");
});

Deno.test("memory store: leases are held until done or released (no expiry to refetch a slow page)", async () => {
  let t = 0;
  const store = createMemoryFrontierStore({ now: () => t, owner: "me" });
  await store.add([entry("http://a/1")]);
  const [lease] = await store.take(1);
  t += 24 * 3_600_000;
  assert.deepEqual(await store.take(1), []);
  assert.equal(lease!.owner, "me");
  assert.equal(await store.done(lease!), true);
});
