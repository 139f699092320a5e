import assert from "node:assert/strict";
import { TimerQueue } from "../../src/fetch/_timer_queue.ts";

Deno.test("TimerQueue: fires in order, not before ms; cancelled entries never fire", async () => {
  const queue = new TimerQueue(30);
  const fired: string[] = [];
  const t0 = performance.now();
  const at: number[] = [];
  queue.add(() => (fired.push("a"), at.push(performance.now() - t0)));
  const b = queue.add(() => fired.push("b"));
  queue.add(() => (fired.push("c"), at.push(performance.now() - t0)));
  b.cancel();
  b.cancel(); // twice is harmless
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(fired, ["a", "c"]);
  assert.ok(at.every((ms) => ms >= 29), `fired at ${at}`);
});

Deno.test("TimerQueue: an entry added while firing is timed from then; stop() clears the timer", async () => {
  const queue = new TimerQueue(20);
  const fired: string[] = [];
  queue.add(() => {
    fired.push("first");
    queue.add(() => fired.push("second"));
  });
  await new Promise((r) => setTimeout(r, 70));
  assert.deepEqual(fired, ["first", "second"]);
  // Cancelled entries never fire; stop() clears the timer (the test sanitizer fails on a
  // leaked one).
  const pending = [queue.add(() => fired.push("never")), queue.add(() => fired.push("never"))];
  for (const p of pending) p.cancel();
  queue.stop();
  assert.deepEqual(fired, ["first", "second"]);
});

Deno.test("TimerQueue: an emptied queue's timer fires once and is not re-armed", async () => {
  const queue = new TimerQueue(20);
  const fired: string[] = [];
  queue.add(() => fired.push("cancelled")).cancel(); // the timer stays armed, firing on nothing
  await new Promise((r) => setTimeout(r, 40));
  // By now it fired and did not re-arm: the test sanitizer would report a pending timer.
  queue.add(() => fired.push("later")); // arms again
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(fired, ["later"]);
});

Deno.test("TimerQueue: restart moves an entry behind the others and times it from now", async () => {
  const queue = new TimerQueue(40);
  const fired: string[] = [];
  const t0 = performance.now();
  let restartedAt = 0;
  let aFiredAt = 0;
  const a = queue.add(() => {
    fired.push("a");
    aFiredAt = performance.now();
  });
  queue.add(() => fired.push("b"));
  await new Promise((r) => setTimeout(r, 25));
  restartedAt = performance.now();
  a.restart(); // now due 40 ms from here, after b
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(fired, ["b", "a"]);
  assert.ok(aFiredAt - restartedAt >= 39, `a fired ${aFiredAt - restartedAt} ms after restart`);
  assert.ok(aFiredAt - t0 >= 64);
  a.restart(); // fired already: no effect
  const c = queue.add(() => fired.push("c"));
  c.cancel();
  c.restart(); // cancelled: no effect
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired, ["b", "a"]);
});

Deno.test("TimerQueue: a target object is called back with timedOut()", async () => {
  const queue = new TimerQueue(10);
  const calls: string[] = [];
  queue.add({ timedOut: () => calls.push("target") });
  queue.add(() => calls.push("function"));
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(calls, ["target", "function"]);
});
