// `schedule` and `jobs` as a user runs them: --once, the jobs table, invalid job files, SIGTERM.
import assert from "node:assert/strict";
import { CLI, runCli } from "../cli/_run.ts";
import { loadJobFile } from "../../src/schedule/job_file.ts";
import type { TrawlError } from "../../src/trawl_error.ts";
import { jsonl, startSite, until } from "./_site.ts";

async function jobFile(dir: string, content: unknown): Promise<string> {
  const path = `${dir}/jobs.json`;
  await Deno.writeTextFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

Deno.test("schedule --once runs every job now; a failing job fails the exit status, not the others", async () => {
  const site = await startSite({ delayMs: 10, pages: 3 });
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/urls.txt`, `# the shop\n${site.origin}/shop/\n`);
  const file = await jobFile(
    dir,
    `{ "jobs": [
      // a seed file beside the job file
      { "name": "shop", "cron": "0 */6 * * *", "timezone": "Europe/Berlin", "seeds": "urls.txt",
        "args": ["--depth", "1"], "out": "out/{job}/{start}-{run}.jsonl" },
      { "name": "broken", "cron": "0 3 * * *", "seeds": "missing.txt", "out": "out/{job}.jsonl" }
    ] }`,
  );
  const once = await runCli(["schedule", file, "--once"]);
  await site.close();
  assert.equal(once.code, 1, once.stderr);
  assert.match(
    once.stderr,
    /shop run 1 ok in [\d.]+ s: 4 pages, 0 failed, new 4, changed 0, gone 0 -> .*out\/shop\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-1\.jsonl/,
  );
  assert.match(once.stderr, /broken run 1 failed .*cannot read seed file/);
  const [out] = [...Deno.readDirSync(`${dir}/out/shop`)];
  assert.equal(jsonl(await Deno.readTextFile(`${dir}/out/shop/${out.name}`)).length, 4);

  const table = await runCli(["jobs", file]);
  assert.equal(table.code, 0, table.stderr);
  const [header, shop, broken] = table.stdout.trim().split("\n");
  assert.match(
    header,
    /^JOB\s+LAST START\s+DURATION\s+STATUS\s+PAGES\s+NEW\s+CHANGED\s+GONE\s+FAILED\s+NEXT RUN$/,
  );
  assert.match(shop, /^shop\s+\d{4}-\d\d-\d\dT\S+Z\s+[\d.]+ s\s+ok\s+4\s+4\s+0\s+0\s+0\s+\d{4}-/);
  assert.match(broken, /^broken\s+\S+\s+[\d.]+ s\s+failed\s+-/);
  const json = await runCli(["jobs", file, "--json"]);
  const statuses = JSON.parse(json.stdout);
  assert.equal(statuses[0].job, "shop");
  assert.equal(statuses[0].lastRun.pages, 4);
  assert.equal(statuses[0].lastRun.new, 4, "a first run: every page is new");
  // 0 */6 in Berlin: the next run is at 23:00, 05:00, 11:00 or 17:00 UTC (winter).
  const next = new Date(statuses[0].nextRun);
  assert.ok(next > new Date());
  assert.equal(statuses[1].lastRun.status, "failed");
  assert.match(statuses[1].lastRun.message, /cannot read seed file/);
});

Deno.test("schedule: an invalid job file fails at start with the job, the field and what is allowed", async () => {
  const dir = await Deno.makeTempDir();
  const base = { name: "shop", cron: "0 3 * * *", seeds: ["http://127.0.0.1:1/"], out: "o.jsonl" };
  const cases: [unknown, RegExp][] = [
    [{ jobs: [{ ...base, cron: "0 3 * *" }] }, /job "shop": cron must have 5 fields, or 6/],
    [{ jobs: [{ ...base, cron: "0 99 * * *" }] }, /job "shop": cron "0 99 \* \* \*"/],
    [{ jobs: [{ ...base, name: "Shop!" }] }, /jobs\[0\]: name must match \[a-z0-9-\]\+/],
    [{ jobs: [base, base] }, /job "shop": name is used by another job/],
    [
      { jobs: [{ ...base, overlap: "queue" }] },
      /job "shop": overlap must be forbid, allow or replace/,
    ],
    [{ jobs: [{ ...base, timezone: "Mars/Base" }] }, /job "shop": .*Mars\/Base/],
    [{ jobs: [{ ...base, every: "6h" }] }, /job "shop": unknown field "every"/],
    [{ jobs: [{ ...base, args: ["--per-host", "0"] }] }, /job "shop": args: --per-host must be/],
    [{ jobs: [{ ...base, args: ["--state", "x.db"] }] }, /job "shop": args may not hold --state/],
    [
      { jobs: [{ ...base, startingDeadline: "soon" }] },
      /job "shop": startingDeadline must be a duration/,
    ],
    ["{ jobs: [", /is not valid JSON/],
  ];
  for (const [content, message] of cases) {
    const file = await jobFile(dir, content);
    await assert.rejects(loadJobFile(file), (e: TrawlError) => {
      assert.equal(e.code, "INVALID_OPTION");
      assert.match(e.message, message);
      return true;
    });
  }
  // Through the CLI: exit 2, one line, for both commands.
  for (const [content, message] of [cases[7], cases[10]]) {
    const file = await jobFile(dir, content);
    for (const command of ["schedule", "jobs"]) {
      const result = await runCli([command, file]);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, "one line");
    }
  }
  const help = await runCli(["schedule", "--help"]);
  assert.match(help.stdout, /startingDeadline/);
  assert.match((await runCli(["jobs", "--help"])).stdout, /NEW|new\/changed\/gone/);
});

Deno.test("schedule: SIGTERM stops gracefully; the next start resumes the interrupted run", async () => {
  const site = await startSite({ delayMs: 300, pages: 10 });
  const dir = await Deno.makeTempDir();
  const file = await jobFile(dir, {
    jobs: [{
      name: "slow",
      cron: "* * * * * *",
      seeds: [`${site.origin}/s/`],
      args: ["--depth", "1", "--per-host", "1", "--no-robots"],
      out: "out/{job}-{run}.jsonl",
    }],
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "schedule", file],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += chunk) }),
  );
  try {
    await until(() => site.hits.length >= 3, 15_000, "the crawl to be under way");
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  child.kill("SIGTERM");
  const sentAt = performance.now();
  const { code } = await child.status;
  await reading;
  assert.equal(code, 0, stderr);
  assert.match(stderr, /stopping: 1 running job\(s\) finish their requests in flight/);
  assert.match(stderr, /slow run 1 stopped in/);
  // Graceful: the request in flight finished (no ABORTED record), nothing new was started.
  // (1 s of slack: on a loaded machine the signal is handled late.)
  assert.ok(site.hits.every((h) => h.start <= sentAt + 1000), "no request started after SIGTERM");
  const partial = jsonl(await Deno.readTextFile(`${dir}/out/slow-1.jsonl`));
  assert.ok(partial.length < 11 && partial.every((r) => r.error === null), JSON.stringify(partial));

  const again = await runCli(["schedule", file, "--once"]);
  await site.close();
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /slow run 2 starts \(resumes run 1\)/);
  const urls = jsonl(await Deno.readTextFile(`${dir}/out/slow-1.jsonl`)).map((r) => r.url);
  assert.equal(urls.length, 11);
  assert.equal(new Set(urls).size, 11, "every URL once over the two processes");
  const jobs = JSON.parse((await runCli(["jobs", file, "--json"])).stdout);
  assert.equal(jobs[0].lastRun.run, 2);
  assert.equal(jobs[0].lastRun.status, "ok");
});

Deno.test("schedule: the example job file in examples/jobs is valid", async () => {
  const jobs = await loadJobFile(
    new URL("../../examples/jobs/jobs.json", import.meta.url).pathname,
  );
  assert.deepEqual(jobs.map((job) => [job.name, job.overlap]), [
    ["docs", "forbid"],
    ["prices", "replace"],
  ]);
  const listed = await runCli([
    "jobs",
    new URL("../../examples/jobs/jobs.json", import.meta.url).pathname,
  ]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^docs\s+never\s+/m);
});
