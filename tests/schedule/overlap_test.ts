// The scheduler on a seconds-level timetable against a slow loopback site: forbid skips,
// allow overlaps, replace cancels (and the cancelled run's state resumes to a whole output).
import assert from "node:assert/strict";
import { parseJobs } from "../../src/schedule/job_file.ts";
import { createScheduler } from "../../src/schedule/scheduler.ts";
import { readRuns } from "../../src/schedule/run_history.ts";
import { jsonl, startSite, until } from "./_site.ts";

function setup(overlap: string, cron: string, origin: string, dir: string, out: string) {
  return parseJobs({
    jobs: [{
      name: "slow",
      cron,
      overlap,
      seeds: [`${origin}/s/`],
      args: ["--depth", "1", "--per-host", "1", "--no-robots"],
      out,
    }],
  }, `${dir}/jobs.json`);
}

Deno.test("schedule: overlap forbid skips the ticks while a run runs", async () => {
  const site = await startSite({ delayMs: 300, pages: 6 }); // a run: 7 requests, about 2.1 s
  const dir = await Deno.makeTempDir();
  const log: string[] = [];
  const scheduler = createScheduler(
    setup("forbid", "* * * * * *", site.origin, dir, "out/{job}-{run}.jsonl"),
    { say: (t) => log.push(t) },
  );
  try {
    scheduler.start();
    await until(() => log.some((l) => l.includes("slow run 1 ok")), 10_000, "run 1 to end");
    await scheduler.stop();
    const text = log.join("");
    const skips = text.match(/skipped the run of .*: run 1 still runs \(overlap forbid\)/g) ?? [];
    assert.ok(skips.length >= 1, `ticks during run 1 are skipped:\n${text}`);
    const end1 = text.indexOf("slow run 1 ok");
    assert.ok(!text.slice(0, end1).includes("slow run 2 starts"), "no run 2 while run 1 ran");
    assert.equal(site.maxInFlight, 1);
    assert.equal(jsonl(await Deno.readTextFile(`${dir}/out/slow-1.jsonl`)).length, 7);
  } finally {
    await scheduler.stop();
    await site.close();
  }
});

Deno.test("schedule: overlap allow runs beside the running one, on a state of its own", async () => {
  const site = await startSite({ delayMs: 250, pages: 6 });
  const dir = await Deno.makeTempDir();
  const log: string[] = [];
  const scheduler = createScheduler(
    setup("allow", "* * * * * *", site.origin, dir, "out/{job}-{run}.jsonl"),
    { say: (t) => log.push(t) },
  );
  try {
    scheduler.start();
    await until(() => log.some((l) => l.includes("slow run 2 starts (overlap)")), 5_000, "run 2");
    assert.ok(scheduler.running >= 2, "two runs of one job at once");
    await until(() => log.some((l) => l.includes("slow run 1 ok")), 10_000, "run 1 to end");
    await scheduler.stop();
    const text = log.join("");
    assert.ok(text.indexOf("slow run 2 starts") < text.indexOf("slow run 1 ok"), text);
    // The overlapping run crawled from the seeds into its own output; its own state is gone.
    const run2 = jsonl(await Deno.readTextFile(`${dir}/out/slow-2.jsonl`));
    assert.ok(run2.length >= 1 && run2.every((r) => typeof r.url === "string"));
    const leftovers = [...Deno.readDirSync(`${dir}/state`)].map((e) => e.name);
    assert.ok(
      !leftovers.some((n) => n.includes(".run-")),
      `temporary states removed: ${leftovers}`,
    );
    // Both runs are in the job's history (the overlapping one written once the file was free).
    const runs = readRuns(`${dir}/state/slow.db`);
    assert.deepEqual(runs.filter((r) => r.run <= 2).map((r) => [r.run, r.mode]).sort(), [
      [1, "full"],
      [2, "overlap"],
    ]);
    assert.equal(runs.find((r) => r.run === 1)?.status, "ok");
  } finally {
    await scheduler.stop();
    await site.close();
  }
});

Deno.test("schedule: overlap replace aborts the running crawl; its state resumes to a whole output", async () => {
  const site = await startSite({ delayMs: 400, pages: 12 }); // 13 requests one at a time: 5.2 s
  const dir = await Deno.makeTempDir();
  const log: string[] = [];
  const jobs = setup("replace", "*/2 * * * * *", site.origin, dir, "out/{job}-{run}.jsonl");
  const scheduler = createScheduler(jobs, { say: (t) => log.push(t) });
  try {
    scheduler.start();
    await until(() => log.some((l) => l.includes("slow run 2 starts")), 8_000, "run 2");
    await scheduler.stop();
  } finally {
    await scheduler.stop();
  }
  const text = log.join("");
  assert.match(text, /replacing run 1 \(overlap replace\)/);
  assert.match(text, /slow run 1 aborted .*replaced by a newer run/);
  assert.match(text, /slow run 2 starts \(resumes run 1\) -> .*slow-1\.jsonl/);
  const runs = readRuns(`${dir}/state/slow.db`);
  assert.equal(runs.find((r) => r.run === 1)?.status, "aborted");
  // The cancelled run's output is valid JSON lines, its request in flight ended ABORTED.
  const partial = jsonl(await Deno.readTextFile(`${dir}/out/slow-1.jsonl`));
  assert.ok(partial.length < 13, `cancelled before the end: ${partial.length} records`);
  assert.ok(
    partial.some((r) => (r.error as { code?: string } | null)?.code === "ABORTED"),
    "the request in flight ended ABORTED",
  );
  // Its state opens and resumes: --once finishes it into the same file, every URL once.
  const again = createScheduler(jobs, { say: (t) => log.push(t) });
  const [resumed] = await again.runOnce();
  await site.close();
  assert.equal(resumed.status, "ok", log.join(""));
  assert.equal(resumed.resumes, 2);
  const whole = jsonl(await Deno.readTextFile(`${dir}/out/slow-1.jsonl`));
  const urls = whole.map((r) => r.url as string);
  assert.equal(urls.length, 13);
  assert.equal(new Set(urls).size, 13, "no URL twice");
});
