import assert from "node:assert/strict";
import {
  createMemoryHostPolicy,
  type MemoryHostPolicyOptions,
} from "../../src/policy/memory_host_policy.ts";
import type { HostPermit } from "../../src/policy/host_policy.ts";
import type { BackoffEvent, PolitenessEvent } from "../../src/crawl_events.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { runHostPolicyContract } from "./_host_policy_contract.ts";

runHostPolicyContract("memory", (config) => createMemoryHostPolicy(config));

const OK = { status: 200 } as const;
const TOLERANCE_MS = 2;

function clock(start = 1000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A policy on an injected clock, with its events recorded. */
function withClock(options: MemoryHostPolicyOptions = {}) {
  const c = clock();
  const events: (BackoffEvent | PolitenessEvent)[] = [];
  const policy = createMemoryHostPolicy({ ...options, now: c.now, onEvent: (e) => events.push(e) });
  return { c, events, policy };
}

Deno.test("memory policy: the gap on an injected clock, and nextReadyMs to the ms", async () => {
  const { c, policy } = withClock({ delayMs: 100 });
  const a = await policy.tryAcquire("a.test");
  assert.ok(a);
  c.t += 10;
  await policy.release(a, OK);
  assert.equal(policy.nextReadyMs(), 90);
  c.t += 89;
  assert.equal(await policy.tryAcquire("a.test", { kind: "retry" }), null);
  assert.equal(policy.nextReadyMs(), 1);
  c.t += 1;
  const b = await policy.tryAcquire("a.test", { kind: "retry" });
  assert.ok(b, "granted exactly delayMs after the previous grant");
  assert.equal(policy.nextReadyMs(), 100, "the next gap starts at this grant");
  await policy.release(b, OK);
  await policy.close();
});

Deno.test("memory policy: the gap counts from when the request went out (sentBeforeMs), not from a grant made earlier", async () => {
  const { c, policy } = withClock({ delayMs: 100 });
  const a = await policy.tryAcquire("a.test");
  c.t += 30; // released 30 ms after the grant; the request went out 10 ms before that
  await policy.release(a!, { status: 200, sentBeforeMs: 10 });
  assert.equal(policy.nextReadyMs(), 90, "100 ms from the send at +20");
  c.t += 89;
  assert.equal(await policy.tryAcquire("a.test"), null);
  c.t += 1;
  assert.ok(await policy.tryAcquire("a.test"));
  await policy.close();
});

Deno.test("memory policy: real-time gaps between grants are at least delayMs", async () => {
  const policy = createMemoryHostPolicy({ delayMs: 15, maxPerHost: 8 });
  const start = performance.now();
  const times: number[] = [];
  await Promise.all(Array.from({ length: 8 }, async () => {
    const permit = await policy.acquire("a.test");
    times.push(performance.now() - start);
    await policy.release(permit, OK);
  }));
  // Grant k is at least (k-1) gaps after the start; read after it, never before.
  for (let k = 1; k < times.length; k++) {
    assert.ok(times[k] >= k * 15 - TOLERANCE_MS, `grant ${k + 1} at ${times[k]} ms`);
  }
  await policy.close();
});

Deno.test("memory policy: the gap in force is the largest of delay, rate, minTimeMs, Crawl-delay", async () => {
  const cases: [MemoryHostPolicyOptions, number][] = [
    [{ delayMs: 100 }, 100],
    [{ rate: { requests: 4, perMs: 1000 } }, 250],
    [{ delayMs: 300, rate: { requests: 4, perMs: 1000 } }, 300],
    [{ rateLimit: { minTimeMs: 400 }, rate: { requests: 5, perMs: 1000 } }, 400],
  ];
  for (const [options, gapMs] of cases) {
    const { c, events, policy } = withClock(options);
    const p = (await policy.tryAcquire("a.test"))!;
    assert.deepEqual(events, [{ type: "politeness", host: "a.test", gapMs, maxInFlight: 8 }]);
    assert.equal(policy.hostState("a.test")?.gapMs, gapMs);
    await policy.release(p, OK);
    c.t += gapMs - 1;
    assert.equal(await policy.tryAcquire("a.test"), null, `${JSON.stringify(options)}`);
    c.t += 1;
    const q = await policy.tryAcquire("a.test");
    assert.ok(q);
    await policy.robotsKnown("a.test", gapMs * 2);
    assert.equal(policy.hostState("a.test")?.gapMs, gapMs * 2, "Crawl-delay above wins");
    await policy.release(q, OK);
    await policy.close();
  }
});

Deno.test("memory policy: Crawl-delay counts from the last grant, and events say when it changes", async () => {
  const { c, events, policy } = withClock({ delayMs: 100 });
  const p = (await policy.tryAcquire("a.test"))!;
  c.t += 50;
  await policy.robotsKnown("a.test", 2000);
  await policy.robotsKnown("a.test", 2000); // unchanged: no event
  await policy.release(p, OK);
  assert.deepEqual(events, [
    { type: "politeness", host: "a.test", gapMs: 100, maxInFlight: 8 },
    { type: "politeness", host: "a.test", gapMs: 2000, maxInFlight: 8 },
  ]);
  c.t += 1949;
  assert.ok((await policy.blockedHosts()).has("a.test"));
  assert.equal(policy.nextReadyMs(), 1);
  c.t += 1;
  const q = await policy.tryAcquire("a.test");
  assert.ok(q);
  await policy.release(q, OK);
  await policy.robotsKnown("b.test", 500); // before any permit of b
  await policy.blockedHosts();
  assert.equal(policy.hostState("b.test")?.gapMs, 500, "kept for the grant about to follow");
  const b = (await policy.tryAcquire("b.test"))!;
  await policy.release(b, OK);
  c.t += 499;
  assert.equal(await policy.tryAcquire("b.test"), null);
  await assert.rejects(policy.robotsKnown("a.test", -1), RangeError);
  await assert.rejects(policy.robotsKnown("a.test", NaN), /crawlDelayMs must be null or a finite/);
  await policy.close();
});

Deno.test("memory policy: the robots cap shows in events, hostState and blockedHosts", async () => {
  const { events, policy } = withClock({ awaitRobots: true, maxPerHost: 4 });
  const p = (await policy.tryAcquire("a.test"))!;
  assert.deepEqual(policy.hostState("a.test"), {
    inFlight: 1,
    gapMs: 0,
    backoffUntilMs: null,
    robotsPending: true,
  });
  assert.ok((await policy.blockedHosts()).has("a.test"));
  assert.equal(policy.nextReadyMs(), null, "held by the cap, not by time");
  await policy.robotsKnown("a.test", null);
  assert.ok(!(await policy.blockedHosts()).has("a.test"));
  assert.deepEqual(events.map((e) => e.type === "politeness" && e.maxInFlight), [1, 4]);
  assert.equal(policy.hostState("a.test")?.robotsPending, false);
  await policy.release(p, OK);
  await policy.close();
});

Deno.test("memory policy: 8 concurrent 503s raise the backoff once; a later failure doubles it; success resets", async () => {
  const { c, events, policy } = withClock({ backoffBaseMs: 1000, maxBackoffMs: 3000 });
  const permits: HostPermit[] = [];
  for (let i = 0; i < 8; i++) permits.push((await policy.tryAcquire("a.test"))!);
  for (const p of permits) await policy.release(p, { status: 503 });
  const backoffs = () => events.filter((e) => e.type === "backoff");
  assert.deepEqual(backoffs(), [{
    type: "backoff",
    host: "a.test",
    delayMs: 1000,
    reason: "HTTP 503",
  }]);
  assert.equal(policy.hostState("a.test")?.backoffUntilMs, c.t + 1000);
  c.t += 1000;
  const after = [(await policy.tryAcquire("a.test"))!, (await policy.tryAcquire("a.test"))!];
  for (const p of after) await policy.release(p, { status: 429 });
  assert.deepEqual(backoffs().map((e) => (e as BackoffEvent).delayMs), [1000, 2000]);
  c.t += 2000;
  const third = (await policy.tryAcquire("a.test"))!;
  await policy.release(third, { status: 503 });
  const fourth = await policy.tryAcquire("a.test");
  assert.equal(fourth, null);
  c.t += 3000;
  const fifth = (await policy.tryAcquire("a.test"))!;
  await policy.release(fifth, { status: 503 });
  assert.deepEqual(
    backoffs().map((e) => (e as BackoffEvent).delayMs),
    [1000, 2000, 3000, 3000],
    "capped at maxBackoffMs",
  );
  c.t += 3000;
  const ok = (await policy.tryAcquire("a.test"))!;
  await policy.release(ok, OK);
  const again = (await policy.tryAcquire("a.test"))!;
  await policy.release(again, { status: 503 });
  assert.equal((backoffs().at(-1) as BackoffEvent).delayMs, 1000, "the success reset the level");
  await policy.close();
});

Deno.test("memory policy: backoffBaseMs 0 turns backoff off; a long outage stays at the cap", async () => {
  const off = withClock({ backoffBaseMs: 0 });
  const a = (await off.policy.tryAcquire("a.test"))!;
  await off.policy.release(a, { status: 503 });
  assert.ok(await off.policy.tryAcquire("a.test"), "not held");
  assert.equal(off.events.filter((e) => e.type === "backoff").length, 0);
  await off.policy.close();

  const { c, events, policy } = withClock({ backoffBaseMs: 1, maxBackoffMs: 50 });
  for (let i = 0; i < 2000; i++) {
    c.t += 50;
    const p = (await policy.tryAcquire("a.test"))!;
    await policy.release(p, { status: 503 });
  }
  const last = events.at(-1) as BackoffEvent;
  assert.equal(last.delayMs, 50);
  assert.equal(policy.hostState("a.test")?.backoffUntilMs, c.t + 50);
  await policy.close();
});

Deno.test("memory policy: 500 and no response neither raise nor reset the backoff level", async () => {
  const { c, events, policy } = withClock({ backoffBaseMs: 100 });
  const a = (await policy.tryAcquire("a.test"))!;
  await policy.release(a, { status: 503 });
  c.t += 100;
  for (const status of [500, null, 502]) {
    const p = (await policy.tryAcquire("a.test"))!;
    await policy.release(p, { status });
  }
  const b = (await policy.tryAcquire("a.test"))!;
  await policy.release(b, { status: 503 });
  assert.deepEqual(events.filter((e) => e.type === "backoff").map((e) => e.delayMs), [100, 200]);
  await policy.close();
});

Deno.test("memory policy: a success granted before the backoff ends it at once", async () => {
  const { policy } = withClock({ backoffBaseMs: 60_000 });
  const a = (await policy.tryAcquire("a.test"))!;
  const b = (await policy.tryAcquire("a.test"))!;
  await policy.release(a, { status: 503 });
  assert.notEqual(policy.hostState("a.test")?.backoffUntilMs, null);
  await policy.release(b, { status: 301 });
  assert.equal(policy.hostState("a.test")?.backoffUntilMs, null);
  await policy.close();
});

Deno.test("memory policy: Retry-After holds (capped, reason says so) and outlasts a success", async () => {
  const { c, events, policy } = withClock({ maxRetryAfterMs: 600_000 });
  const a = (await policy.tryAcquire("a.test"))!;
  const b = (await policy.tryAcquire("a.test"))!;
  await policy.release(a, { status: 429, retryAfterMs: 120_000 });
  assert.deepEqual(events.at(-1), {
    type: "backoff",
    host: "a.test",
    delayMs: 120_000,
    reason: "HTTP 429, Retry-After: 120 s",
  });
  await policy.release(b, OK);
  assert.equal(policy.hostState("a.test")?.backoffUntilMs, c.t + 120_000, "the server asked");
  assert.equal(await policy.tryAcquire("a.test"), null);
  const x = (await policy.tryAcquire("x.test"))!;
  await policy.release(x, { status: 503, retryAfterMs: 900_000 });
  assert.deepEqual(events.at(-1), {
    type: "backoff",
    host: "x.test",
    delayMs: 600_000,
    reason: "HTTP 503, Retry-After: 900 s (capped at 600 s)",
  });
  c.t += 120_000;
  const again = await policy.tryAcquire("a.test");
  assert.ok(again);
  await policy.release(again, OK);
  await policy.close();
});

Deno.test("memory policy: an unused release refunds the gap only if no grant followed", async () => {
  const { c, policy } = withClock({ delayMs: 100, maxPerHost: 2 });
  const a = (await policy.tryAcquire("a.test"))!;
  c.t += 100;
  const b = (await policy.tryAcquire("a.test"))!;
  await policy.release(a, { status: null, unused: true });
  assert.equal(await policy.tryAcquire("a.test"), null, "b's grant still counts from its time");
  await policy.release(b, { status: null, unused: true });
  const d = await policy.tryAcquire("a.test");
  assert.ok(d, "b refunded: back to a's grant, 100 ms ago");
  await policy.release(d, { status: null, unused: true });
  await policy.close();
});

Deno.test("memory policy: idle host state is dropped, so memory follows active hosts", async () => {
  const { c, policy } = withClock({ delayMs: 50, idleMs: 1000 });
  const p = (await policy.tryAcquire("a.test"))!;
  await policy.release(p, OK);
  c.t += 999;
  await policy.blockedHosts();
  assert.notEqual(policy.hostState("a.test"), null, "kept for idleMs");
  c.t += 1;
  await policy.blockedHosts();
  assert.equal(policy.hostState("a.test"), null);
  assert.equal(policy.activeHosts, 0);

  // 5,000 hosts, one request each, 10 ms apart, and nobody calling blockedHosts: the
  // amortized sweep on new hosts keeps the count near the hosts of the last idleMs (100).
  let most = 0;
  for (let i = 0; i < 5000; i++) {
    const q = (await policy.tryAcquire(`h${i}.test`))!;
    await policy.release(q, OK);
    c.t += 10;
    most = Math.max(most, policy.activeHosts);
  }
  assert.ok(most <= 300, `at most ${most} host states at once`);
  await policy.close();
});

Deno.test("memory policy: idleMs 0 drops a host at its last release; pending robots keep it", async () => {
  const { policy } = withClock({ idleMs: 0, awaitRobots: true });
  const p = (await policy.tryAcquire("a.test"))!;
  await policy.release(p, OK);
  await policy.blockedHosts();
  assert.notEqual(policy.hostState("a.test"), null, "robots.txt still awaited");
  await policy.robotsKnown("a.test", null);
  assert.equal(policy.hostState("a.test"), null);
  await policy.close();
});

Deno.test("memory policy: the unlimited hot path settles without a timer tick (no Bottleneck)", async () => {
  const policy = createMemoryHostPolicy();
  let done = false;
  policy.tryAcquire("a.test").then(async (p) => {
    await policy.release(p!, OK);
    done = true;
  });
  for (let i = 0; i < 5 && !done; i++) await Promise.resolve();
  assert.ok(done, "granted and released within microtasks");
  await policy.close();
});

Deno.test("memory policy: many waiters on one host share one timer and are served in order", async () => {
  const policy = createMemoryHostPolicy({ delayMs: 3, maxPerHost: 1 });
  const real = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<unknown>();
  let most = 0;
  // A counting wrapper around the real timers (they still run).
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const id = real(
      (...a: unknown[]) => {
        live.delete(id);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(id);
    most = Math.max(most, live.size);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id: number) => {
    live.delete(id);
    realClear(id);
  }) as typeof clearTimeout;
  try {
    const order: number[] = [];
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const p = await policy.acquire("a.test");
      order.push(i);
      await policy.release(p, OK);
    }));
    assert.deepEqual(order, Array.from({ length: 30 }, (_, i) => i));
    assert.equal(most, 1, "one timer for the host, not one per waiter");
  } finally {
    globalThis.setTimeout = real;
    globalThis.clearTimeout = realClear;
    await policy.close();
  }
});

Deno.test("memory policy: an aborted waiter is removed and its timer cleared", async () => {
  const { policy } = withClock({ delayMs: 60_000 });
  const p = (await policy.tryAcquire("a.test"))!;
  await policy.release(p, OK);
  const controller = new AbortController();
  const waiting = policy.acquire("a.test", { signal: controller.signal });
  controller.abort(new Error("enough"));
  await assert.rejects(waiting, /enough/);
  // The test sanitizer fails here if the 60 s wake-up timer were left running.
  await policy.close();
});

Deno.test("memory policy: close rejects waiters with ABORTED and clears their timers", async () => {
  const { policy } = withClock({ delayMs: 60_000 });
  const p = (await policy.tryAcquire("a.test"))!;
  await policy.release(p, OK);
  const waiting = policy.acquire("a.test");
  await policy.close();
  await assert.rejects(waiting, (e) => e instanceof TrawlError && e.code === "ABORTED");
  await policy.close(); // twice is fine
});

Deno.test("memory policy: globalRate through Bottleneck (5 per 200 ms)", async () => {
  const start = performance.now();
  const policy = createMemoryHostPolicy({ globalRate: { requests: 5, perMs: 200 } });
  try {
    const times: number[] = [];
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const p = await policy.acquire(`h${i}.test`);
      times.push(performance.now() - start);
      await policy.release(p, OK);
    }));
    times.sort((a, b) => a - b);
    assert.ok(times[5] >= 200 - TOLERANCE_MS, `the 6th waited for a refill: ${times[5]} ms`);
    // 5 + 3 taken: two tokens left in this window; tryAcquire takes them, then refuses.
    const got: (HostPermit | null)[] = [];
    for (let i = 0; i < 4; i++) got.push(await policy.tryAcquire(`t${i}.test`));
    assert.equal(got.filter((p) => p !== null).length, 2);
    for (const p of got) if (p) await policy.release(p, OK);
    const t = policy.hostState("t3.test");
    assert.equal(t?.inFlight, 0, "the refused grant was undone");
  } finally {
    await policy.close();
  }
});

Deno.test("memory policy: rateLimit.maxPerInterval is a per-host reservoir", async () => {
  const start = performance.now();
  const policy = createMemoryHostPolicy({ rateLimit: { maxPerInterval: 2, intervalMs: 150 } });
  try {
    for (let i = 0; i < 2; i++) {
      const p = await policy.tryAcquire("a.test");
      assert.ok(p);
      await policy.release(p, OK);
    }
    assert.equal(await policy.tryAcquire("a.test"), null, "a's reservoir is empty");
    const b = await policy.tryAcquire("b.test");
    assert.ok(b, "b has its own");
    await policy.release(b, OK);
    const third = await policy.acquire("a.test");
    assert.ok(performance.now() - start >= 150 - TOLERANCE_MS);
    await policy.release(third, OK);
  } finally {
    await policy.close();
  }
});

Deno.test("memory policy: an empty reservoir shows in blockedHosts and nextReadyMs", async () => {
  const perHost = createMemoryHostPolicy({ rateLimit: { maxPerInterval: 1, intervalMs: 10_000 } });
  const global = createMemoryHostPolicy({ globalRate: { requests: 1, perMs: 10_000 } });
  try {
    const a = (await perHost.tryAcquire("a.test"))!;
    await perHost.release(a, OK);
    assert.equal(await perHost.tryAcquire("a.test"), null);
    assert.ok((await perHost.blockedHosts()).has("a.test"), "a waits for a refill");
    const ready = perHost.nextReadyMs();
    assert.ok(ready !== null && ready <= 250, `asks again after Bottleneck's heartbeat: ${ready}`);

    const b = (await global.tryAcquire("b.test"))!;
    await global.release(b, OK);
    assert.equal(await global.tryAcquire("c.test"), null);
    assert.ok(global.nextReadyMs() !== null, "the crawl loop knows when to ask again");
    let done = false;
    global.tryAcquire("d.test").then(() => done = true);
    for (let i = 0; i < 5 && !done; i++) await Promise.resolve();
    assert.ok(done, "refused at once, without asking Bottleneck again");
  } finally {
    await Promise.all([perHost.close(), global.close()]);
  }
});

Deno.test("memory policy: a wait for a token aborts, and close rejects token waits", async () => {
  const policy = createMemoryHostPolicy({ globalRate: { requests: 1, perMs: 10_000 } });
  const p = (await policy.acquire("a.test"))!;
  await policy.release(p, OK);
  const controller = new AbortController();
  const aborted = policy.acquire("b.test", { signal: controller.signal });
  const closed = policy.acquire("c.test");
  await sleep(20);
  controller.abort(new Error("no more"));
  await assert.rejects(aborted, /no more/);
  assert.equal(policy.hostState("b.test")?.inFlight, 0, "the aborted grant was undone");
  const rejected = assert.rejects(closed, (e) => e instanceof TrawlError && e.code === "ABORTED");
  await policy.close();
  await rejected;
});

Deno.test("memory policy: every option is validated up front, naming the option, rule and value", () => {
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [{ maxPerHost: 0 }, RangeError, /^maxPerHost must be an integer >= 1: received 0$/],
    [{ maxPerHost: 1.5 }, RangeError, /maxPerHost must be an integer >= 1: received 1.5/],
    [{ maxPerHost: "8" }, TypeError, /maxPerHost must be a number: received "8"/],
    [{ delayMs: -1 }, RangeError, /delayMs must be a finite number >= 0: received -1/],
    [{ delayMs: Infinity }, RangeError, /delayMs must be a finite number >= 0: received Infinity/],
    [{ rate: 5 }, TypeError, /rate must be an object: received 5/],
    [
      { rate: { requests: 0, perMs: 1000 } },
      RangeError,
      /rate.requests must be a finite number > 0: received 0/,
    ],
    [
      { rate: { requests: 5, perMs: -1 } },
      RangeError,
      /rate.perMs must be a finite number > 0: received -1/,
    ],
    [{ rateLimit: null }, TypeError, /rateLimit must be an object: received null/],
    [
      { rateLimit: { minTimeMs: -5 } },
      RangeError,
      /rateLimit.minTimeMs must be a finite number >= 0: received -5/,
    ],
    [
      { rateLimit: { maxPerInterval: 0 } },
      RangeError,
      /rateLimit.maxPerInterval must be an integer >= 1: received 0/,
    ],
    [
      { rateLimit: { maxPerInterval: 2, intervalMs: 0 } },
      RangeError,
      /rateLimit.intervalMs must be a finite number > 0: received 0/,
    ],
    [
      { rateLimit: { maxPerInterval: 500 } },
      RangeError,
      /rateLimit .* at most 200 requests\/s, because Bottleneck.*230 jobs\/s.*500 per 1000 ms/,
    ],
    [
      { globalRate: { requests: 2.5, perMs: 1000 } },
      RangeError,
      /globalRate.requests must be an integer >= 1: received 2.5/,
    ],
    [
      { globalRate: { requests: 5, perMs: 0 } },
      RangeError,
      /globalRate.perMs must be a finite number > 0: received 0/,
    ],
    [
      { globalRate: { requests: 1000, perMs: 1000 } },
      RangeError,
      /globalRate must be at most 200 requests\/s, because Bottleneck.*received 1000 per 1000 ms \(1000\/s\)/,
    ],
    [{ awaitRobots: "yes" }, TypeError, /awaitRobots must be a boolean: received "yes"/],
    [{ backoffBaseMs: -1 }, RangeError, /backoffBaseMs must be a finite number >= 0: received -1/],
    [{ maxBackoffMs: NaN }, RangeError, /maxBackoffMs must be a finite number >= 0: received NaN/],
    [
      { maxRetryAfterMs: -1 },
      RangeError,
      /maxRetryAfterMs must be a finite number >= 0: received -1/,
    ],
    [{ idleMs: -1 }, RangeError, /idleMs must be a finite number >= 0: received -1/],
    [{ onEvent: "log" }, TypeError, /onEvent must be a function: received "log"/],
    [{ now: 5 }, TypeError, /now must be a function: received 5/],
    ["fast", TypeError, /options must be an object: received "fast"/],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(
      () => createMemoryHostPolicy(options as MemoryHostPolicyOptions),
      (e: unknown) => e instanceof type && message.test((e as Error).message),
      `${JSON.stringify(options)}`,
    );
  }
  // At the ceiling is fine.
  const ok = createMemoryHostPolicy({ globalRate: { requests: 200, perMs: 1000 } });
  return ok.close();
});

Deno.test("memory host policy: a permit whose request goes out late is confirmed at the send: its gap moves there, or it waits for the gap of what was granted since", async () => {
  const { c, policy } = withClock({ maxPerHost: 3, delayMs: 100 });
  try {
    const a = await policy.acquire("h.test");
    assert.equal(policy.confirm!(a), null, "sent at once: nothing to do");
    c.t += 50; // held up 50 ms, nothing granted since: the gap counts from now
    assert.equal(policy.confirm!(a), null);
    c.t += 60; // 110 ms after the grant, 60 after the send
    assert.equal(await policy.tryAcquire("h.test"), null, "the gap counts from the send");
    c.t += 40;
    const b = await policy.tryAcquire("h.test");
    assert.ok(b !== null);
    // b is held up past the gap, and c is granted meanwhile: b waits for c's gap.
    c.t += 100;
    const d = await policy.tryAcquire("h.test");
    assert.ok(d !== null);
    const late = policy.confirm!(b);
    assert.ok(late !== null, "granted since: b must wait");
    let confirmed = false;
    late.then(() => confirmed = true);
    await sleep(20);
    assert.equal(confirmed, false);
    c.t += 100;
    await late;
    assert.equal(await policy.tryAcquire("h.test"), null, "b's send starts a new gap");
    // Waiting ends when the signal aborts.
    await policy.release(a, OK);
    c.t += 100;
    const e = (await policy.tryAcquire("h.test"))!;
    c.t += 100;
    await policy.release(d, OK);
    const f = (await policy.tryAcquire("h.test"))!;
    const abort = new AbortController();
    const waiting = policy.confirm!(e, abort.signal);
    assert.ok(waiting !== null);
    abort.abort(new Error("stop"));
    await assert.rejects(waiting, /stop/);
    for (const p of [b, e, f]) await policy.release(p, OK);
  } finally {
    await policy.close();
  }
});
