import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("deno task demo writes demo-report.html beside its records", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trawl-demo-report-" });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", `${ROOT}deno.json`, `${ROOT}examples/demo.ts`],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const log = new TextDecoder().decode(stderr);
    assert.equal(code, 0, log);
    assert.match(log, /the HTML report .*: demo-report\.html/);
    const html = await Deno.readTextFile(`${dir}/demo-report.html`);
    const records = (await Deno.readTextFile(`${dir}/demo-output.jsonl`)).trim().split("\n");
    const json = /<script type="application\/json" id="trawl-report-data">(.*?)<\/script>/s
      .exec(html)![1]!;
    const data = JSON.parse(json);
    assert.equal(data.stats.pages, records.length);
    assert.equal(data.stats.robotsDisallowed, 1);
    assert.ok(html.includes("https://github.com/leeoniya/uPlot (v1.6.32)"), "uPlot inlined");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
