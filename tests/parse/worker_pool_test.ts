import assert from "node:assert/strict";
import { TrawlError } from "../../src/trawl_error.ts";
import { createWorkerPool } from "../../src/parse/worker_pool.ts";

/** What the `tagged` fixture returns. */
type Tagged = { value: unknown; worker: string };
const JOBS = new URL("./fixtures/jobs.ts", import.meta.url);
const isCode = (code: string) => (e: unknown) => {
  assert.ok(e instanceof TrawlError, String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

Deno.test("worker pool: runs an exported function, lazily, reusing workers; await using closes it", async () => {
  await using pool = createWorkerPool<number, number>(JOBS, { exportName: "square", workers: 2 });
  assert.equal(pool.size, 0);
  assert.equal(pool.capacity, 6); // 2 workers + default maxQueued 2 x 2
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(i)));
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i * i));
  assert.equal(pool.size, 0);
});

Deno.test("worker pool: a relative module path resolves against the cwd", async () => {
  const path = new URL(JOBS).pathname.replace(`${Deno.cwd()}/`, "./");
  assert.ok(path.startsWith("./"), path);
  await using pool = createWorkerPool<number, number>(path, { exportName: "square", workers: 1 });
  assert.equal(await pool.run(9), 81);
});

Deno.test("worker pool: workers are sandboxed (no files, no network, no env)", async () => {
  let hits = 0;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits++;
    return new Response("secret");
  });
  await using pool = createWorkerPool(JOBS, { exportName: "probe", workers: 1 });
  const report = await pool.run({
    file: new URL(import.meta.url).pathname,
    url: `http://127.0.0.1:${server.addr.port}/`,
  });
  assert.deepEqual(report, {
    read: "NotCapable",
    fetch: "NotCapable",
    connect: "NotCapable",
    env: "NotCapable",
  });
  assert.equal(hits, 0);
});

Deno.test("worker pool: backpressure keeps pages held within capacity", async () => {
  await using pool = createWorkerPool<{ ms: number; value: number }, number>(JOBS, {
    exportName: "slow",
    workers: 2,
    maxQueued: 3,
  });
  assert.equal(pool.capacity, 5);
  let maxSize = 0;
  let submittedWhileFull = 0;
  const runs: Promise<number>[] = [];
  for (let i = 0; i < 15; i++) {
    if (pool.size >= pool.capacity) submittedWhileFull++;
    runs.push(pool.run({ ms: 20, value: i }));
    maxSize = Math.max(maxSize, pool.size);
  }
  const watcher = setInterval(() => maxSize = Math.max(maxSize, pool.size), 1);
  try {
    assert.deepEqual(await Promise.all(runs), Array.from({ length: 15 }, (_, i) => i));
  } finally {
    clearInterval(watcher);
  }
  assert.equal(maxSize, 5);
  assert.ok(submittedWhileFull > 0);
  // The scheduler's way: await ready() before submitting.
  for (let i = 0; i < 12; i++) {
    await pool.ready();
    assert.ok(pool.size < pool.capacity);
    runs.push(pool.run({ ms: 5, value: i }));
    assert.ok(pool.size <= pool.capacity);
  }
  await Promise.all(runs);
});

Deno.test("worker pool: a throwing function fails only its own job", async () => {
  await using pool = createWorkerPool(JOBS, { exportName: "chaos", workers: 1 });
  const [bad, good] = await Promise.allSettled([
    pool.run({ mode: "throw" }),
    pool.run({ mode: "ok", value: 42 }),
  ]);
  assert.equal(bad.status, "rejected");
  isCode("EXTRACT_ERROR")(bad.reason);
  assert.match(bad.reason.message, /RangeError: bad input/);
  assert.deepEqual(good, { status: "fulfilled", value: 42 });
  await assert.rejects(pool.run({ mode: "unclonable" }), isCode("EXTRACT_ERROR"));
  assert.equal(await pool.run({ mode: "ok", value: "still fine" }), "still fine");
});

Deno.test("worker pool: a stuck job times out, its worker is replaced, others succeed", async () => {
  await using pool = createWorkerPool(JOBS, { exportName: "chaos", workers: 2, timeoutMs: 500 });
  const jobs = [
    pool.run({ mode: "loop" }),
    ...Array.from({ length: 6 }, (_, i) => pool.run({ mode: "ok", value: i })),
  ];
  const [stuck, ...rest] = await Promise.allSettled(jobs);
  assert.equal(stuck.status, "rejected");
  isCode("EXTRACT_TIMEOUT")(stuck.reason);
  assert.deepEqual(rest.map((r) => r.status === "fulfilled" && r.value), [0, 1, 2, 3, 4, 5]);
  // With one worker, jobs queued behind the stuck one still run on its replacement.
  await using single = createWorkerPool(JOBS, { exportName: "chaos", workers: 1, timeoutMs: 300 });
  const [a, b] = await Promise.allSettled([
    single.run({ mode: "loop" }),
    single.run({ mode: "ok", value: 7 }),
  ]);
  assert.equal(a.status, "rejected");
  isCode("EXTRACT_TIMEOUT")(a.reason);
  assert.deepEqual(b, { status: "fulfilled", value: 7 });
});

Deno.test("worker pool: an error a job's timer throws fails that job; the worker lives on", async () => {
  await using pool = createWorkerPool<{ mode: string; value?: unknown }, Tagged>(JOBS, {
    exportName: "tagged",
    workers: 1,
    timeoutMs: 3000,
  });
  const first = await pool.run({ mode: "ok", value: 0 });
  const [crashed, after] = await Promise.allSettled([
    pool.run({ mode: "crash" }),
    pool.run({ mode: "ok", value: "next" }),
  ]);
  assert.equal(crashed.status, "rejected");
  isCode("EXTRACT_ERROR")(crashed.reason);
  assert.match(crashed.reason.message, /uncaught asynchronous error: Error: uncaught in worker/);
  assert.equal(after.status === "fulfilled" && after.value.value, "next");
  assert.equal(after.status === "fulfilled" && after.value.worker, first.worker); // not replaced
});

Deno.test("worker pool: a module that cannot load makes the pool refuse work (INVALID_OPTION)", async () => {
  for (const isolation of ["thread", "process"] as const) {
    await using pool = createWorkerPool(new URL("./fixtures/broken_module.ts", import.meta.url), {
      workers: 1,
      isolation,
    });
    const results = await Promise.allSettled([pool.run(1), pool.run(2), pool.run(3)]);
    for (const r of results) {
      assert.equal(r.status, "rejected");
      isCode("INVALID_OPTION")(r.reason);
      assert.match(r.reason.message, /cannot start: .*refuses to load/);
      // A process reports the throw (not Deno's "Uncaught" on the terminal, then its death).
      if (isolation === "process") assert.match(r.reason.message, /its module throws: Error:/);
    }
    await assert.rejects(pool.run(4), isCode("INVALID_OPTION"));
    await assert.rejects(pool.ready(), isCode("INVALID_OPTION"));
  }
  await using missing = createWorkerPool(JOBS, { exportName: "nope", workers: 1 });
  await assert.rejects(missing.run(1), isCode("INVALID_OPTION"));
});

Deno.test("worker pool: abort and close reject with ABORTED and POOL_CLOSED", async () => {
  const pool = createWorkerPool(JOBS, { exportName: "slow", workers: 1, maxQueued: 1 });
  const running = pool.run({ ms: 100, value: "r" });
  const controller = new AbortController();
  const queued = pool.run({ ms: 1, value: "q" }, { signal: controller.signal });
  const blocked = pool.run({ ms: 1, value: "b" });
  assert.equal(pool.size, 2);
  controller.abort();
  await assert.rejects(queued, isCode("ABORTED"));
  assert.equal(pool.size, 2); // the blocked job moved up into the freed place
  await assert.rejects(pool.run(1, { signal: AbortSignal.abort() }), isCode("ABORTED"));
  const readyAbort = new AbortController();
  const waiting = pool.ready(readyAbort.signal);
  readyAbort.abort();
  await assert.rejects(waiting, isCode("ABORTED"));
  const stillWaiting = pool.ready();
  await pool.close();
  await assert.rejects(running, isCode("POOL_CLOSED"));
  await assert.rejects(blocked, isCode("POOL_CLOSED"));
  await assert.rejects(stillWaiting, isCode("POOL_CLOSED"));
  await assert.rejects(pool.run(1), isCode("POOL_CLOSED"));
  await pool.close(); // idempotent
});

Deno.test("worker pool: pipelined: a stuck head job times out; the jobs posted behind it run on the replacement", async () => {
  await using pool = createWorkerPool<{ mode: string; value?: unknown }, Tagged>(
    JOBS,
    { exportName: "tagged", workers: 1, maxQueued: 8, maxJobsPerWorker: 4, timeoutMs: 400 },
  );
  const first = await pool.run({ mode: "ok", value: 0 }); // the worker is up: the next 4 go at once
  const jobs = [
    pool.run({ mode: "loop" }),
    ...Array.from({ length: 5 }, (_, i) => pool.run({ mode: "ok", value: i + 1 })),
  ];
  const [stuck, ...rest] = await Promise.allSettled(jobs);
  assert.equal(stuck.status, "rejected");
  isCode("EXTRACT_TIMEOUT")(stuck.reason);
  const values = rest.map((r) => {
    assert.equal(r.status, "fulfilled");
    return r.value;
  });
  assert.deepEqual(values.map((v) => v.value), [1, 2, 3, 4, 5]);
  for (const v of values) assert.notEqual(v.worker, first.worker); // re-sent to the new worker
  assert.equal(pool.size, 0);
});

Deno.test("worker pool: pipelined: a worker that exits fails only its job; those behind it are re-sent", async () => {
  await using pool = createWorkerPool<{ mode: string; value?: unknown }, Tagged>(
    JOBS,
    { exportName: "tagged", workers: 1, maxQueued: 8, maxJobsPerWorker: 4, timeoutMs: 3000 },
  );
  const first = await pool.run({ mode: "ok", value: 0 });
  const [crashed, ...rest] = await Promise.allSettled([
    pool.run({ mode: "exit" }),
    ...Array.from({ length: 5 }, (_, i) => pool.run({ mode: "ok", value: i + 1 })),
  ]);
  assert.equal(crashed.status, "rejected");
  isCode("WORKER_CRASHED")(crashed.reason);
  const values = rest.map((r) => {
    assert.equal(r.status, "fulfilled");
    return r.value;
  });
  assert.deepEqual(values.map((v) => v.value), [1, 2, 3, 4, 5]);
  for (const v of values) assert.notEqual(v.worker, first.worker);
});

Deno.test("worker pool: pipelined: the time limit counts from a job's start, not from when it was posted", async () => {
  // Three 400 ms jobs posted at once to one worker: the last ends ~1200 ms after
  // posting, past the 1000 ms limit, yet each one runs well within it.
  await using pool = createWorkerPool<{ ms: number; value: number }, number>(JOBS, {
    exportName: "slow",
    workers: 1,
    maxQueued: 4,
    maxJobsPerWorker: 4,
    timeoutMs: 1000,
  });
  await pool.run({ ms: 1, value: -1 });
  const results = await Promise.all([0, 1, 2].map((value) => pool.run({ ms: 400, value })));
  assert.deepEqual(results, [0, 1, 2]);
});

Deno.test("worker pool: pipelined: aborting a posted job rejects it; its reply is dropped; size counts it no more", async () => {
  await using pool = createWorkerPool<{ ms: number; value: string }, string>(JOBS, {
    exportName: "slow",
    workers: 1,
    maxQueued: 3,
    maxJobsPerWorker: 4,
  });
  await pool.run({ ms: 1, value: "warm" });
  const controller = new AbortController();
  const head = pool.run({ ms: 100, value: "head" });
  const posted = pool.run({ ms: 1, value: "posted" }, { signal: controller.signal });
  const after = pool.run({ ms: 1, value: "after" });
  assert.equal(pool.size, 3);
  controller.abort();
  await assert.rejects(posted, isCode("ABORTED"));
  assert.equal(pool.size, 2);
  assert.deepEqual(await Promise.all([head, after]), ["head", "after"]);
  assert.equal(pool.size, 0);
});

Deno.test("worker pool: pipelined: jobs keep their order; a second worker starts while jobs wait behind the first", async () => {
  await using pool = createWorkerPool<{ mode: string; value?: unknown; ms?: number }, Tagged>(
    JOBS,
    { exportName: "tagged", workers: 2, maxQueued: 4, maxJobsPerWorker: 8 },
  );
  const first = await pool.run({ mode: "ok", value: -1 }); // one worker up; all 6 places fit its pipeline
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) => pool.run({ mode: "ok", value: i, ms: 20 })),
  );
  assert.deepEqual(results.map((r) => r.value), Array.from({ length: 24 }, (_, i) => i));
  const workers = new Set(results.map((r) => r.worker));
  assert.equal(workers.size, 2);
  assert.ok(workers.has(first.worker));
});

Deno.test("worker pool: maxBytesPerWorker: a big input waits for the worker instead of being posted ahead", async () => {
  // How an input was posted shows on its transferred buffer: detached when it went to an
  // idle worker (transferred), intact when it was posted ahead (copied, kept to re-send).
  type Input = { ms: number; value: string; buf: ArrayBuffer };
  await using pool = createWorkerPool<Input, string>(JOBS, {
    exportName: "slow",
    workers: 1,
    maxQueued: 4,
    maxJobsPerWorker: 4,
    maxBytesPerWorker: 10,
  });
  await pool.run({ ms: 1, value: "warm", buf: new ArrayBuffer(1) });
  const run = (value: string, bytes: number) => {
    const buf = new ArrayBuffer(bytes);
    return { buf, done: pool.run({ ms: 100, value, buf }, { transfer: [buf], bytes }) };
  };
  const a = run("a", 6); // idle worker: transferred
  const c = run("c", 3); // 6 + 3 <= 10: posted ahead, copied
  const b = run("b", 8); // 6 + 3 + 8 > 10, and 3 + 8 > 10: held here until the worker is idle
  assert.equal(a.buf.byteLength, 0);
  assert.equal(c.buf.byteLength, 3);
  assert.equal(b.buf.byteLength, 8);
  assert.equal(pool.size, 3);
  assert.deepEqual(await Promise.all([a.done, c.done]), ["a", "c"]);
  assert.equal(await b.done, "b");
  assert.equal(c.buf.byteLength, 3);
  assert.equal(b.buf.byteLength, 0, "b went to the idle worker, transferred");
});

Deno.test("worker pool: lazy: false loads the workers before the first job", async () => {
  for (const lazy of [true, false]) {
    await using pool = createWorkerPool<null, number>(JOBS, { exportName: "loadedAt", lazy });
    // Time to load a worker even when parallel test files keep both cores busy (it took
    // over 300 ms then).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const asked = Date.now();
    const loaded = await pool.run(null);
    assert.equal(loaded < asked, !lazy, `lazy: ${lazy}, loaded ${loaded - asked} ms after the job`);
  }
});

Deno.test("worker pool: bad options are INVALID_OPTION", () => {
  for (
    const options of [{ workers: 0 }, { maxQueued: -1 }, { timeoutMs: 1.5 }, {
      maxJobsPerWorker: 0,
    }, { maxBytesPerWorker: 0 }]
  ) {
    assert.throws(() => createWorkerPool(JOBS, options), isCode("INVALID_OPTION"));
  }
});
