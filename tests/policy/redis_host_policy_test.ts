import assert from "node:assert/strict";
import { createRedisHostPolicy } from "../../src/policy/redis_host_policy.ts";
import type { HostPermit } from "../../src/policy/host_policy.ts";
import { startRedisServer } from "../_redis_server.ts";
import { runHostPolicyContract } from "./_host_policy_contract.ts";

const server = await startRedisServer();
let crawls = 0;

runHostPolicyContract(
  "redis",
  (config) => createRedisHostPolicy({ ...config, url: server.url, crawl: `p${++crawls}` }),
  { settleMs: 100 },
);

Deno.test("redis host policy: two policies of one crawl share the cap and the gap", async () => {
  const crawl = `p${++crawls}`;
  const [a, b] = [1, 2].map(() =>
    createRedisHostPolicy({ url: server.url, crawl, maxPerHost: 2, delayMs: 30 })
  );
  try {
    const grants: number[] = [];
    let inFlight = 0, maxInFlight = 0;
    await Promise.all([a, b, a, b, a, b, a, b].map(async (p) => {
      const permit: HostPermit = await p.acquire("x.test");
      grants.push(performance.now());
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 50));
      inFlight--;
      await p.release(permit, { status: 200 });
    }));
    assert.ok(maxInFlight <= 2, `in flight ${maxInFlight}`);
    grants.sort((x, y) => x - y);
    for (let i = 1; i < grants.length; i++) {
      // On Redis's clock grants are >= 50 ms apart (30 + the 20 ms send slack); here they
      // are seen when the reply is handled, which a busy event loop delays by a few ms.
      assert.ok(grants[i] - grants[i - 1] >= 25, `gap ${grants[i] - grants[i - 1]} ms`);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test("redis host policy: a permit whose request was held up is granted again at send time, after the gap of what was granted meanwhile", async () => {
  const crawl = `p${++crawls}`;
  const slack = { sendSlackMs: 20, firstSendSlackMs: 20 };
  const [a, b] = [1, 2].map(() =>
    createRedisHostPolicy({ url: server.url, crawl, maxPerHost: 2, delayMs: 100, ...slack })
  );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    // Sent at once: nothing to check.
    const fresh = await a.acquire("z.test");
    assert.equal(a.confirm!(fresh, undefined), null);
    await a.release(fresh, { status: 200 });
    // Held up past the gap (a global slot, say): meanwhile the other process is granted.
    const late = await a.acquire("z.test");
    await sleep(150);
    const other = await b.acquire("z.test");
    const otherAt = performance.now();
    const confirmed = a.confirm!(late, undefined);
    assert.ok(confirmed !== null, "a stale permit must be confirmed again");
    await confirmed;
    const sentAt = performance.now();
    // On Redis's clock 120 ms (gap + slack) after the other grant; seen here a little later.
    assert.ok(
      sentAt - otherAt >= 100,
      `sent ${Math.round(sentAt - otherAt)} ms after the other grant`,
    );
    // Held up with nothing granted since: it is confirmed at once (the gap moves to now).
    await sleep(150);
    const t0 = performance.now();
    await b.confirm!(other, undefined);
    assert.ok(performance.now() - t0 < 100, "no wait when nothing was granted since");
    await Promise.all([a.release(late, { status: 200 }), b.release(other, { status: 200 })]);
    // Waiting to be confirmed ends when the signal aborts.
    const held = await a.acquire("z.test");
    await sleep(30);
    const rival = await b.acquire("z.test");
    const abort = new AbortController();
    const wait = a.confirm!(held, abort.signal);
    assert.ok(wait !== null);
    abort.abort(new Error("stop"));
    await assert.rejects(wait, /stop/);
    await b.release(rival, { status: 200 });
    await a.release(held, { status: 200 });
    // No gap, no check.
    const open = createRedisHostPolicy({ url: server.url, crawl: `p${++crawls}` });
    const permit = await open.acquire("z.test");
    await sleep(30);
    assert.equal(open.confirm!(permit, undefined), null);
    await open.release(permit, { status: 200 });
    await open.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test("redis host policy: a 503 seen by one process holds the host for the other", async () => {
  const crawl = `p${++crawls}`;
  const [a, b] = [1, 2].map(() =>
    createRedisHostPolicy({ url: server.url, crawl, backoffBaseMs: 5000 })
  );
  try {
    const permit = (await a.tryAcquire("y.test"))!;
    await a.release(permit, { status: 503 });
    assert.equal(await b.tryAcquire("y.test"), null);
    assert.ok((await b.blockedHosts()).has("y.test"));
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test("redis host policy: globalRate is one Bottleneck reservoir clustered over Redis", async () => {
  const crawl = `p${++crawls}`;
  const [a, b] = [1, 2].map(() =>
    createRedisHostPolicy({ url: server.url, crawl, globalRate: { requests: 3, perMs: 60_000 } })
  );
  try {
    let granted = 0;
    for (let i = 0; i < 4; i++) {
      for (const p of [a, b]) {
        const permit = await p.tryAcquire(`h${i}.test`);
        if (permit !== null) (granted++, await p.release(permit, { status: 200 }));
      }
    }
    assert.equal(granted, 3, "3 tokens per minute across both processes");
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

Deno.test({
  name: "redis host policy: stop the server",
  fn: () => server.close(),
  sanitizeOps: false,
  sanitizeResources: false,
});
