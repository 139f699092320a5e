import assert from "node:assert/strict";
import { createSharedHostPolicy } from "../../src/schedule/shared_host_policy.ts";
import { runHostPolicyContract } from "../policy/_host_policy_contract.ts";

// A view alone behaves as a host policy with its job's settings.
runHostPolicyContract("shared view", (config) => createSharedHostPolicy().forJob(config));

const OK = { status: 200 } as const;

Deno.test("shared host policy: two views hold the strictest cap of the jobs on a host", async () => {
  const shared = createSharedHostPolicy();
  const a = shared.forJob({ maxPerHost: 1 });
  const b = shared.forJob({ maxPerHost: 4 });
  try {
    const held = await a.tryAcquire("h.test");
    assert.ok(held);
    assert.equal(await b.tryAcquire("h.test"), null, "b waits for a's one permit on h.test");
    assert.deepEqual(shared.hostState("h.test"), { inFlight: 1, maxPerHost: 1, gapMs: 0 });
    const other = await b.tryAcquire("other.test");
    assert.ok(other, "a host only b crawls has b's own cap");
    const waiting = b.acquire("h.test");
    await a.release(held, OK);
    const got = await waiting;
    assert.equal(got.host, "h.test");
    await b.release(got, OK);
    await b.release(other, OK);
    await a.close();
    // a's crawl ended: b alone on h.test, its own cap of 4 holds.
    const permits = await Promise.all([1, 2, 3, 4].map(() => b.tryAcquire("h.test")));
    assert.ok(permits.every((p) => p !== null));
    for (const p of permits) await b.release(p!, OK);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("shared host policy: the largest gap of the jobs (delay, Crawl-delay) holds across views", async () => {
  const shared = createSharedHostPolicy();
  const a = shared.forJob({ maxPerHost: 2, delayMs: 80 });
  const b = shared.forJob({ maxPerHost: 2 });
  try {
    const grants: number[] = [];
    const take = async (view: typeof a) => {
      const p = await view.acquire("h.test");
      grants.push(performance.now());
      await view.release(p, OK);
    };
    await take(a);
    await Promise.all([take(b), take(a), take(b)]);
    for (let i = 1; i < grants.length; i++) {
      assert.ok(grants[i] - grants[i - 1] >= 78, `gap ${grants[i] - grants[i - 1]} ms`);
    }
    await b.robotsKnown("h.test", 150);
    assert.equal(shared.hostState("h.test")?.gapMs, 150, "b's Crawl-delay is the larger gap");
    const before = performance.now();
    await take(a);
    assert.ok(performance.now() - before >= 0);
    const t0 = grants.at(-1)!;
    await take(a);
    assert.ok(grants.at(-1)! - t0 >= 148, `Crawl-delay gap ${grants.at(-1)! - t0} ms`);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("shared host policy: closing a view rejects its waiters, not the others'", async () => {
  const shared = createSharedHostPolicy();
  const a = shared.forJob({ maxPerHost: 1 });
  const b = shared.forJob({ maxPerHost: 1 });
  const held = await a.acquire("h.test");
  const bWaits = b.acquire("h.test");
  const aWaits = a.acquire("g.test").then((p) => a.release(p, OK));
  await aWaits;
  await b.close();
  await assert.rejects(bWaits, (e: Error & { code?: string }) => e.code === "ABORTED");
  await a.release(held, OK);
  assert.equal(shared.hostState("h.test")?.inFlight ?? 0, 0);
  await a.close();
  assert.equal(shared.activeHosts, 0, "nothing kept once every job ended");
});

Deno.test("shared host policy: a view confirms a late send with its job's own policy and the shared layer (the gaps count from the send)", async () => {
  const clock = { t: 1000 };
  const shared = createSharedHostPolicy({ now: () => clock.t });
  const view = shared.forJob({ maxPerHost: 2, delayMs: 100 });
  try {
    const permit = (await view.tryAcquire("h.test"))!;
    assert.ok(permit);
    clock.t += 50; // written 50 ms after its grant
    assert.equal(view.confirm!(permit), null);
    clock.t += 60;
    assert.equal(
      await view.tryAcquire("h.test"),
      null,
      "110 ms after the grant, 60 after the send",
    );
    clock.t += 40;
    const next = await view.tryAcquire("h.test");
    assert.ok(next !== null);
    await view.release(next, OK);
    await view.release(permit, OK);
    // The layer all jobs share counts from the send too: another job's view waits.
    const other = shared.forJob({ maxPerHost: 2, delayMs: 100 });
    clock.t += 1000;
    const late = (await view.tryAcquire("h.test"))!;
    clock.t += 50;
    assert.equal(view.confirm!(late), null);
    clock.t += 60;
    assert.equal(await other.tryAcquire("h.test"), null, "the shared gap counts from the send");
    clock.t += 40;
    const theirs = (await other.tryAcquire("h.test"))!;
    assert.ok(theirs);
    await other.release(theirs, OK);
    await view.release(late, OK);
    await other.close();
  } finally {
    await view.close();
  }
});
