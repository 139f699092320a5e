import assert from "node:assert/strict";
import { HostSlot } from "../../src/scheduler/host_slot.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";

function clock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

Deno.test("scheduler: per-host cap blocks only that host", () => {
  const c = clock();
  const s = new Scheduler({ maxInFlight: 10, maxPerHost: 2, now: c.now });
  s.start("a");
  assert.equal(s.isReady("a"), true);
  s.start("a");
  assert.equal(s.isReady("a"), false);
  assert.equal(s.isReady("b"), true);
  assert.deepEqual([...s.blockedHosts()], ["a"]);
  s.finish("a", { status: 200 });
  assert.equal(s.isReady("a"), true);
  assert.deepEqual([...s.blockedHosts()], []);
});

Deno.test("scheduler: global cap blocks every host and frees on finish", () => {
  const s = new Scheduler({ maxInFlight: 2, maxPerHost: 8 });
  s.start("a");
  s.start("b");
  assert.equal(s.free, 0);
  assert.equal(s.isReady("c"), false);
  s.finish("b", { status: 500 });
  assert.equal(s.free, 1);
  assert.equal(s.isReady("c"), true);
});

Deno.test("scheduler: delay is a gap between starts, and nextWakeMs says when", () => {
  const c = clock(1000);
  const s = new Scheduler({ delayMs: 300, now: c.now });
  s.start("a");
  s.finish("a", { status: 200 });
  assert.equal(s.isReady("a"), false);
  assert.equal(s.nextWakeMs(), 300);
  c.t = 1299;
  assert.equal(s.blockedHosts().has("a"), true);
  c.t = 1300;
  assert.equal(s.blockedHosts().has("a"), false);
  assert.equal(s.nextWakeMs(), null);
});

Deno.test("scheduler: crawl-delay raises the gap for one host only", () => {
  const c = clock(0);
  const s = new Scheduler({ delayMs: 100, now: c.now });
  s.start("a");
  c.t = 50;
  s.setCrawlDelay("a", 2000);
  s.finish("a", { status: 200 });
  s.start("b");
  s.finish("b", { status: 200 });
  c.t = 150;
  const blocked = s.blockedHosts();
  assert.equal(blocked.has("a"), true);
  assert.equal(blocked.has("b"), false);
  c.t = 2049;
  assert.equal(s.isReady("a"), false, "the gap counts from when the delay became known");
  c.t = 2050;
  assert.equal(s.isReady("a"), true);
});

Deno.test("scheduler: a host's cap can be lowered (robots.txt probe) and restored", () => {
  const s = new Scheduler({ maxPerHost: 4 });
  s.setMaxInFlight("a", 1);
  s.start("a");
  assert.equal(s.isReady("a"), false);
  s.setMaxInFlight("a", undefined);
  assert.equal(s.isReady("a"), true);
  assert.equal(s.slot("a").maxInFlight, 4);
});

Deno.test("host slot: 429 backs off (Retry-After first, else doubling), success resets", () => {
  const slot = new HostSlot("a", { backoffBaseMs: 100, maxBackoffMs: 1000 });
  slot.start(0);
  slot.finish(0, { status: 429, retryAfterMs: 700 });
  assert.equal(slot.readyAt, 700);
  slot.start(700);
  slot.finish(700, { status: 503 });
  assert.equal(slot.readyAt, 700 + 200, "second backoff doubles from the base");
  slot.start(900);
  slot.finish(900, { status: 429, retryAfterMs: 60_000 });
  assert.equal(slot.readyAt, 900 + 1000, "capped at maxBackoffMs");
  slot.start(1900);
  slot.finish(1900, { status: 200 });
  slot.start(1900);
  slot.finish(1900, { status: 429 });
  assert.equal(slot.readyAt, 1900 + 100, "a success reset the doubling");
});

Deno.test("scheduler: blockedHosts forgets idle hosts (active set stays small)", () => {
  const c = clock();
  const s = new Scheduler({ maxPerHost: 1, now: c.now });
  for (let i = 0; i < 1000; i++) {
    s.start(`h${i}`);
    s.finish(`h${i}`, { status: 200 });
  }
  s.start("busy");
  assert.deepEqual([...s.blockedHosts()], ["busy"]);
  assert.equal(s.hosts, 1001);
});
