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
