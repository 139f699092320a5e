// Failures blamed correctly and noticed at once, in threads and in processes;
// memory exhaustion stays in its process.
import assert from "node:assert/strict";
import { TrawlError } from "../../src/trawl_error.ts";
import { createWorkerPool, type LateError } from "../../src/parse/worker_pool.ts";

type Input = { mode: string; value?: unknown; ms?: number };
type Tagged = { value: unknown; worker: string };
const JOBS = new URL("./fixtures/jobs.ts", import.meta.url);
const isCode = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof TrawlError, String(e));
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

Deno.test("isolation process: runs jobs sandboxed; bytes cross as bytes; console output does not garble replies", async () => {
  let hits = 0;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits++;
    return new Response("secret");
  });
  await using pool = createWorkerPool(JOBS, {
    exportName: "probe",
    workers: 1,
    isolation: "process",
  });
  assert.deepEqual(
    await pool.run({
      file: new URL(import.meta.url).pathname,
      url: `http://127.0.0.1:${server.addr.port}/`,
    }),
    { read: "NotCapable", fetch: "NotCapable", connect: "NotCapable", env: "NotCapable" },
  );
  assert.equal(hits, 0);
  await using bytes = createWorkerPool(JOBS, { exportName: "bodyLength", isolation: "process" });
  assert.deepEqual(await bytes.run({ body: new Uint8Array(300_000) }), {
    length: 300_000,
    typed: true,
  });
  await using chaos = createWorkerPool<Input, unknown>(JOBS, {
    exportName: "chaos",
    workers: 1,
    isolation: "process",
  });
  assert.deepEqual(
    await Promise.all([
      chaos.run({ mode: "log", value: 1 }),
      chaos.run({ mode: "ok", value: { a: [1, "x"] } }),
    ]),
    [1, { a: [1, "x"] }],
  );
  await assert.rejects(
    chaos.run({ mode: "throw" }),
    isCode("EXTRACT_ERROR", /RangeError: bad input/),
  );
});

Deno.test("isolation process: a heap hog and a buffer hog fail only their own jobs (EXTRACT_MEMORY); 100 others succeed", async () => {
  await using pool = createWorkerPool<Input, unknown>(JOBS, {
    exportName: "chaos",
    workers: 2,
    isolation: "process",
    maxMemoryMb: 64,
    maxQueued: 200,
  });
  const ok = Array.from({ length: 100 }, (_, i) => pool.run({ mode: "ok", value: i }));
  const heap = pool.run({ mode: "hog" });
  const buffers = pool.run({ mode: "bufferHog" });
  await assert.rejects(heap, isCode("EXTRACT_MEMORY", /V8 heap over 64 MB/));
  await assert.rejects(buffers, isCode("EXTRACT_MEMORY", /resident size/));
  assert.deepEqual(await Promise.all(ok), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(await pool.run({ mode: "ok", value: "after" }), "after");
});

for (const isolation of ["thread", "process"] as const) {
  Deno.test(`isolation ${isolation}: a job that ends its worker fails at once (not by the timer); jobs behind it are re-sent`, async () => {
    await using pool = createWorkerPool<Input, unknown>(JOBS, {
      exportName: "chaos",
      workers: 1,
      isolation,
      timeoutMs: 10_000,
      maxJobsPerWorker: 4,
    });
    for (const mode of ["exit", "close", "processExit"]) {
      await pool.run({ mode: "ok" }); // the worker is up
      const started = performance.now();
      const [ended, ...rest] = await Promise.allSettled([
        pool.run({ mode }),
        pool.run({ mode: "ok", value: 1 }),
        pool.run({ mode: "ok", value: 2 }),
      ]);
      assert.equal(ended.status, "rejected", mode);
      isCode("WORKER_CRASHED", /worker ended by this job/)(ended.reason);
      // Far below the 10 s timer (typically a few ms; the re-sent jobs wait for a new worker).
      assert.ok(performance.now() - started < 5_000, `${mode}: ${performance.now() - started} ms`);
      assert.deepEqual(rest.map((r) => r.status === "fulfilled" && r.value), [1, 2], mode);
    }
  });

  Deno.test(`isolation ${isolation}: what job A leaves behind (a late throw, a late exit) never fails job B`, async () => {
    const late: LateError[] = [];
    await using pool = createWorkerPool<Input, Tagged>(JOBS, {
      exportName: "tagged",
      workers: 1,
      isolation,
      onLateError: (e) => late.push(e),
    });
    for (const mode of ["late", "lateExit"]) {
      const [a, b] = await Promise.allSettled([
        pool.run({ mode }, { label: `A-${mode}` }),
        pool.run({ mode: "ok", value: "B", ms: 300 }, { label: "B" }), // running when A's timer fires
      ]);
      assert.equal(a.status, "fulfilled", mode);
      assert.equal(b.status === "fulfilled" && b.value.value, "B", mode);
    }
    assert.deepEqual(late.map((l) => [l.label, l.error.code]), [
      ["A-late", "EXTRACT_ERROR"],
      ["A-lateExit", "WORKER_CRASHED"],
    ]);
    assert.match(late[0].error.message, /late throw/);
    // A rejection a job leaves unhandled is charged to that job, not to the next.
    const [left, next] = await Promise.allSettled([
      pool.run({ mode: "reject" }),
      pool.run({ mode: "ok", value: "next" }),
    ]);
    assert.equal(left.status, "rejected");
    isCode("EXTRACT_ERROR", /left unhandled/)(left.reason);
    assert.equal(next.status === "fulfilled" && next.value.value, "next");
  });
}

Deno.test("isolation process: job A's late memory hog kills the worker while B runs; B is re-run on a fresh worker and succeeds", async () => {
  await using pool = createWorkerPool<Input, Tagged>(JOBS, {
    exportName: "tagged",
    workers: 1,
    isolation: "process",
    maxMemoryMb: 64,
  });
  const [a, b] = await Promise.all([
    pool.run({ mode: "lateHog" }),
    pool.run({ mode: "ok", value: "B", ms: 2_000 }),
  ]);
  assert.equal(b.value, "B");
  assert.notEqual(b.worker, a.worker, "B ran again on a fresh worker");
});

Deno.test("isolation process: a stuck job times out and its process is replaced", async () => {
  await using pool = createWorkerPool<Input, unknown>(JOBS, {
    exportName: "chaos",
    workers: 1,
    isolation: "process",
    timeoutMs: 400,
  });
  const [stuck, after] = await Promise.allSettled([
    pool.run({ mode: "loop" }),
    pool.run({ mode: "ok", value: "after" }),
  ]);
  assert.equal(stuck.status, "rejected");
  isCode("EXTRACT_TIMEOUT")(stuck.reason);
  assert.deepEqual(after, { status: "fulfilled", value: "after" });
});

Deno.test("isolation options: maxMemoryMb needs process isolation; bad values are INVALID_OPTION", () => {
  for (
    const options of [
      { maxMemoryMb: 256 },
      { isolation: "process" as const, maxMemoryMb: 8 },
      { isolation: "fork" as "process" },
      { allowImports: ["file:///"] },
    ]
  ) {
    assert.throws(() => createWorkerPool(JOBS, options), isCode("INVALID_OPTION"));
  }
});
