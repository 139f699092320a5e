/**
 * The {@linkcode HostPolicy} contract as tests: every implementation (memory,
 * Redis) registers this suite with a factory and must pass it. Real time only
 * (a shared implementation has no injected clock): delays are small, gaps are
 * asserted from below with a 2 ms tolerance, never from above.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { HostPermit, HostPolicy } from "../../src/policy/host_policy.ts";

/** The settings a contract test asks of the policy under test. */
export interface ContractConfig {
  /** Permits of one host at once. */
  maxPerHost: number;
  /** Minimum gap between grants on a host, ms. */
  delayMs: number;
  /** Cap new hosts at one non-robots permit until `robotsKnown`. */
  awaitRobots: boolean;
  /** First exponential backoff, ms. */
  backoffBaseMs: number;
  /** Longest exponential backoff, ms. */
  maxBackoffMs: number;
  /** Longest Retry-After hold, ms. */
  maxRetryAfterMs: number;
}

/** Makes a fresh policy (its own namespace, for a shared one) with the given settings. */
export type HostPolicyFactory = (config: ContractConfig) => HostPolicy | Promise<HostPolicy>;

const BASE: ContractConfig = {
  maxPerHost: 8,
  delayMs: 0,
  awaitRobots: false,
  backoffBaseMs: 1000,
  maxBackoffMs: 60_000,
  maxRetryAfterMs: 600_000,
};

/** Gap assertions allow this much timer and clock slack. */
const TOLERANCE_MS = 2;

const OK = { status: 200 } as const;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` has settled after the pending microtasks and `ms` (one timer tick). */
async function settled(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await sleep(ms);
  return done;
}

/** Options of {@linkcode runHostPolicyContract}. */
export interface HostPolicyContractOptions {
  /**
   * How long "settled at once" may take, ms: a shared policy grants through a round
   * trip, which a loaded machine delays past one timer tick. @default {5}
   */
  settleMs?: number;
}

/**
 * Register the contract's `Deno.test` cases for one implementation.
 *
 * @example Run the contract against the memory policy (in a test module)
 * ```ts ignore
 * import { createMemoryHostPolicy } from "../../src/policy/memory_host_policy.ts";
 * import { runHostPolicyContract } from "./_host_policy_contract.ts";
 *
 * runHostPolicyContract("memory", (config) => createMemoryHostPolicy(config));
 * ```
 */
export function runHostPolicyContract(
  name: string,
  factory: HostPolicyFactory,
  options: HostPolicyContractOptions = {},
): void {
  const settleMs = options.settleMs ?? 5;
  const test = (
    title: string,
    config: Partial<ContractConfig>,
    body: (policy: HostPolicy) => Promise<void>,
  ) =>
    Deno.test(`host policy contract (${name}): ${title}`, async () => {
      const policy = await factory({ ...BASE, ...config });
      try {
        await body(policy);
      } finally {
        await policy.close();
      }
    });

  test(
    "cap: at most maxPerHost permits of one host, others unaffected",
    { maxPerHost: 2 },
    async (p) => {
      const a1 = await p.tryAcquire("a.test");
      const a2 = await p.tryAcquire("a.test", { kind: "retry" });
      assert.ok(a1 && a2);
      assert.equal(await p.tryAcquire("a.test"), null);
      assert.equal(await p.tryAcquire("a.test", { kind: "robots" }), null, "robots counts too");
      const b = await p.tryAcquire("b.test");
      assert.ok(b, "another host is not held by a's cap");
      assert.ok((await p.blockedHosts()).has("a.test"));
      assert.ok(!(await p.blockedHosts()).has("b.test"));
      await p.release(a1, OK);
      const a3 = await p.tryAcquire("a.test");
      assert.ok(a3, "a release frees a place");
      for (const permit of [a2, a3, b]) await p.release(permit, OK);
    },
  );

  test(
    "cap: a waiting acquire gets the place a release frees, in arrival order",
    { maxPerHost: 1 },
    async (p) => {
      const first = await p.acquire("a.test");
      const order: string[] = [];
      const w1 = p.acquire("a.test").then((x) => (order.push("w1"), x));
      const w2 = p.acquire("a.test", { kind: "retry" }).then((x) => (order.push("w2"), x));
      assert.equal(await settled(w1, settleMs), false);
      await p.release(first, OK);
      const second = await w1;
      assert.equal(await settled(w2, settleMs), false, "w2 waits while w1 holds the only place");
      await p.release(second, OK);
      const third = await w2;
      assert.equal(third.kind, "retry");
      assert.deepEqual(order, ["w1", "w2"]);
      await p.release(third, OK);
    },
  );

  test(
    "gap: grants on one host are delayMs apart, whatever their kind",
    { delayMs: 40 },
    async (p) => {
      // Grant k happens after `start` + (k-1) gaps; the time read once it resolved is
      // later still, so this holds however late the test's own code runs.
      const kinds = ["page", "retry", "redirect", "robots", "page"] as const;
      const start = performance.now();
      const times: number[] = [];
      await Promise.all(kinds.map(async (kind) => {
        const permit = await p.acquire("a.test", { kind });
        times.push(performance.now() - start);
        await p.release(permit, OK);
      }));
      times.sort((x, y) => x - y);
      for (let k = 1; k < times.length; k++) {
        assert.ok(times[k] >= k * 40 - TOLERANCE_MS, `grant ${k + 1} at ${times[k]} ms`);
      }
      // tryAcquire: the grant happens within the call, so [before, after] brackets it.
      let before = 0;
      for (let k = 0; k < 3; k++) {
        let permit: HostPermit | null = null;
        let t = 0;
        while (permit === null) {
          await sleep(1);
          t = performance.now();
          permit = await p.tryAcquire("a.test", { kind: kinds[k] });
        }
        const after = performance.now();
        if (k > 0) {
          assert.ok(after - before >= 40 - TOLERANCE_MS, `tryAcquire gap ${after - before}`);
        }
        before = t;
        await p.release(permit, OK);
      }
      const other = await p.tryAcquire("b.test");
      assert.ok(other, "the gap is per host");
      await p.release(other, OK);
    },
  );

  test("gap: tryAcquire refuses inside the gap and blockedHosts/nextReadyMs say so", {
    delayMs: 10_000,
  }, async (p) => {
    const permit = await p.acquire("a.test");
    await p.release(permit, OK);
    assert.equal(await p.tryAcquire("a.test"), null);
    assert.ok((await p.blockedHosts()).has("a.test"));
    const ready = p.nextReadyMs();
    assert.ok(ready !== null && ready > 0 && ready <= 10_000, `nextReadyMs ${ready}`);
  });

  test("Crawl-delay: robotsKnown sets the gap, counted from the last grant", {}, async (p) => {
    const t0 = performance.now();
    const first = await p.acquire("a.test");
    await p.robotsKnown("a.test", 80);
    await p.release(first, OK);
    const second = await p.acquire("a.test");
    assert.ok(performance.now() - t0 >= 80 - TOLERANCE_MS);
    await p.release(second, OK);
    const b = await p.acquire("b.test");
    await p.robotsKnown("b.test", 10_000);
    await p.release(b, OK);
    assert.equal(await p.tryAcquire("b.test"), null, "inside b's Crawl-delay");
    assert.ok((await p.blockedHosts()).has("b.test"));
  });

  test(
    "robots cap: one non-robots permit until robotsKnown, lifted at once",
    { awaitRobots: true },
    async (p) => {
      const early = await p.tryAcquire("a.test", { kind: "robots" });
      assert.ok(early);
      const first = await p.tryAcquire("a.test");
      assert.ok(first, "a robots permit does not use up the one other permit");
      await p.release(early, OK);
      assert.equal(await p.tryAcquire("a.test"), null, "a second page waits for robots.txt");
      assert.equal(await p.tryAcquire("a.test", { kind: "retry" }), null);
      const waiting = p.acquire("a.test");
      assert.equal(await settled(waiting, settleMs), false);
      const robots = await p.tryAcquire("a.test", { kind: "robots" });
      assert.ok(robots, "a robots.txt request is not held back by the robots cap");
      await p.release(robots, OK);
      await p.robotsKnown("a.test", null);
      assert.equal(await settled(waiting, settleMs), true, "robotsKnown wakes the waiter at once");
      const second = await waiting;
      const third = await p.tryAcquire("a.test");
      assert.ok(third, "the cap is maxPerHost now");
      for (const permit of [first, second, third]) await p.release(permit, OK);
    },
  );

  test("robots cap: a waiting robots request passes pages held by the cap", {
    awaitRobots: true,
    maxPerHost: 2,
  }, async (p) => {
    const page = await p.acquire("a.test");
    const page2 = p.acquire("a.test");
    const robots = p.acquire("a.test", { kind: "robots" });
    assert.equal(await settled(robots, settleMs), true, "not queued behind the capped page");
    assert.equal(await settled(page2, settleMs), false);
    await p.release(await robots, OK);
    await p.robotsKnown("a.test", null);
    await p.release(await page2, OK);
    await p.release(page, OK);
  });

  test("backoff: a 503 holds the host back backoffBaseMs, once per outage", {
    backoffBaseMs: 40,
    maxPerHost: 8,
  }, async (p) => {
    const permits: HostPermit[] = [];
    for (let i = 0; i < 8; i++) permits.push((await p.tryAcquire("a.test"))!);
    const t0 = performance.now();
    for (const permit of permits) await p.release(permit, { status: 503 });
    const ready = p.nextReadyMs();
    assert.ok(ready !== null && ready <= 40, `8 failures of one outage back off once: ${ready} ms`);
    const next = await p.acquire("a.test");
    assert.ok(performance.now() - t0 >= 40 - TOLERANCE_MS, "held backoffBaseMs");
    const t1 = performance.now();
    await p.release(next, { status: 503 });
    const again = p.nextReadyMs();
    assert.ok(again !== null && again <= 80, `a new outage: ${again} ms`);
    const last = await p.acquire("a.test");
    assert.ok(performance.now() - t1 >= 80 - TOLERANCE_MS, "a new outage doubles the backoff");
    await p.release(last, OK);
  });

  test(
    "backoff: the first success ends it and resets the level",
    { backoffBaseMs: 5000 },
    async (p) => {
      const a = (await p.tryAcquire("a.test"))!;
      const b = (await p.tryAcquire("a.test"))!;
      await p.release(a, { status: 429 });
      assert.equal(await p.tryAcquire("a.test"), null);
      await p.release(b, { status: 404 }); // the host answers
      const c = await p.tryAcquire("a.test");
      assert.ok(c, "backoff over");
      await p.release(c, { status: 503 });
      const ready = p.nextReadyMs();
      assert.ok(ready !== null && ready <= 5000, `level back to the base: ${ready}`);
    },
  );

  test(
    "backoff: 500 and no response do not back off",
    { backoffBaseMs: 5000 },
    async (p) => {
      const a = (await p.tryAcquire("a.test"))!;
      await p.release(a, { status: 500 });
      const b = await p.tryAcquire("a.test");
      assert.ok(b);
      await p.release(b, { status: null });
      const c = await p.tryAcquire("a.test");
      assert.ok(c);
      await p.release(c, OK);
    },
  );

  test(
    "Retry-After: honoured, and capped at maxRetryAfterMs",
    { maxRetryAfterMs: 50 },
    async (p) => {
      const a = (await p.tryAcquire("a.test"))!;
      const t0 = performance.now();
      await p.release(a, { status: 429, retryAfterMs: 30 });
      const ready = p.nextReadyMs();
      assert.ok(ready !== null && ready <= 30, `held ${ready} ms`);
      const b = await p.acquire("a.test");
      assert.ok(performance.now() - t0 >= 30 - TOLERANCE_MS, "held for Retry-After");
      const t1 = performance.now();
      await p.release(b, { status: 503, retryAfterMs: 3_600_000 });
      const capped = p.nextReadyMs();
      assert.ok(capped !== null && capped <= 50, `capped: ${capped} ms`);
      const c = await p.acquire("a.test");
      assert.ok(performance.now() - t1 >= 50 - TOLERANCE_MS, "held for maxRetryAfterMs");
      await p.release(c, OK);
    },
  );

  test(
    "waiting: an aborted acquire rejects with the reason and takes nothing",
    { maxPerHost: 1 },
    async (p) => {
      const held = await p.acquire("a.test");
      const controller = new AbortController();
      const waiting = p.acquire("a.test", { signal: controller.signal });
      const later = p.acquire("a.test");
      const reason = new Error("stop");
      controller.abort(reason);
      await assert.rejects(waiting, (e) => e === reason);
      await p.release(held, OK);
      const next = await later;
      assert.equal(next.host, "a.test", "the waiter behind the aborted one got the place");
      await p.release(next, OK);
      await assert.rejects(
        p.acquire("a.test", { signal: AbortSignal.abort(reason) }),
        (e) => e === reason,
        "an aborted signal rejects at once",
      );
    },
  );

  test(
    "release: twice, or a permit not granted here, does nothing",
    { maxPerHost: 1 },
    async (p) => {
      const permit = await p.acquire("a.test");
      await p.release(permit, OK);
      const again = await p.tryAcquire("a.test");
      assert.ok(again);
      await p.release(permit, OK); // the first permit, a second time
      assert.equal(await p.tryAcquire("a.test"), null, "a double release frees no place");
      await p.release({ host: "a.test", kind: "page" }, OK);
      assert.equal(await p.tryAcquire("a.test"), null, "a forged permit frees no place");
      await p.release(again, OK);
    },
  );

  test("release: an unused permit owes no gap", { delayMs: 10_000 }, async (p) => {
    const unused = await p.acquire("a.test");
    await p.release(unused, { status: null, unused: true });
    const used = await p.tryAcquire("a.test");
    assert.ok(used, "the unused permit did not start a gap");
    await p.release(used, OK);
    assert.equal(await p.tryAcquire("a.test"), null, "a used one does");
  });

  test("close: no permit after it, and waiters are rejected", { maxPerHost: 1 }, async (p) => {
    const held = await p.acquire("a.test");
    const waiting = p.acquire("a.test");
    await p.close();
    await assert.rejects(waiting);
    assert.equal(await p.tryAcquire("b.test"), null);
    await assert.rejects(p.acquire("b.test"));
    await p.release(held, OK); // harmless
  });
}
