import assert from "node:assert/strict";
import { runCli } from "../cli/_run.ts";
import { visitPage } from "./_chromium.ts";
import { HOSTILE_TITLE, serveReportSite } from "./_report_site.ts";
import type { ReportData } from "../../src/report/report_data.ts";

function assertGreater(actual: number, floor: number, message?: string): void {
  assert.ok(actual > floor, message ?? `expected more than ${floor}, got ${actual}`);
}

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;

/** The series colour each chart must show somewhere on its canvas (see _report_client.js). */
const CHART_COLORS: Record<string, [number, number, number][]> = {
  throughput: [[0x2f, 0x6f, 0xde]],
  concurrency: [[0x2b, 0x8a, 0x3e]],
  latency: [[0x19, 0x71, 0xc2]],
  statuses: [[0x0c, 0xa6, 0x78], [0xf5, 0x9f, 0x00], [0xe0, 0x31, 0x31]],
};

/**
 * Run in the page after load: per chart, its canvases and how many pixels of each
 * series colour they hold; plus what a broken escape would have left behind.
 */
const PROBE = `(async () => {
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const colors = ${JSON.stringify(CHART_COLORS)};
  const charts = {};
  for (const el of document.querySelectorAll("[data-chart]")) {
    const canvas = el.querySelector("canvas");
    const counts = (colors[el.dataset.chart] ?? []).map(() => 0);
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < px.length; i += 4) {
        colors[el.dataset.chart].forEach(([r, g, b], k) => {
          if (px[i + 3] > 200 && Math.abs(px[i] - r) < 12 && Math.abs(px[i + 1] - g) < 12 &&
            Math.abs(px[i + 2] - b) < 12) counts[k]++;
        });
      }
    }
    charts[el.dataset.chart] = { canvas: !!canvas, width: canvas?.width ?? 0, counts };
  }
  const data = JSON.parse(document.getElementById("trawl-report-data").textContent);
  return {
    charts,
    drawn: document.body.dataset.charts,
    pwned: window.__pwned ?? null,
    scripts: document.scripts.length,
    images: document.images.length,
    titleCells: [...document.querySelectorAll("td")].filter((td) => td.textContent === ${
  JSON.stringify(HOSTILE_TITLE)
}).length,
    dataTitles: [...data.slowest, ...data.largest].filter((p) => p.title === ${
  JSON.stringify(HOSTILE_TITLE)
}).length,
  };
})()`;

Deno.test("--report writes one offline HTML file whose charts render in Chromium", async () => {
  const site = serveReportSite();
  const dir = await Deno.makeTempDir({ prefix: "trawl-report-" });
  try {
    const seeds = `${dir}/urls.txt`;
    const report = `${dir}/report.html`;
    await Deno.writeTextFile(seeds, `${site.url}\n`);
    const run = await runCli([
      "crawl",
      seeds,
      "--depth",
      "2",
      "--retries",
      "1",
      "-q",
      "-o",
      `${dir}/out.jsonl`,
      "--report",
      report,
    ]);
    assert.deepEqual(run.code, 0, run.stderr);
    const html = await Deno.readTextFile(report);

    // What the report says, from the data it carries.
    const json = /<script type="application\/json" id="trawl-report-data">(.*?)<\/script>/s
      .exec(html)![1]!;
    const data: ReportData = JSON.parse(json);
    const records = (await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n").length;
    assert.deepEqual(data.stats.pages, records);
    assert.deepEqual(data.stats.statuses["404"], 2);
    assert.deepEqual(data.stats.statuses["503"], 1);
    assert.deepEqual(data.stats.failuresByCode.ROBOTS_DISALLOWED, 1);
    assert.deepEqual(data.refusals.map((r) => new URL(r.url).pathname), ["/private/secret"]);
    assert.deepEqual(data.robots.map((r) => [r.outcome, r.refused]), [["fetched", 1]]);
    // The 700 ms page is among the slowest (on a loaded machine "/" can be slower still).
    const slow = data.slowest.find((p) => new URL(p.url).pathname === "/slow");
    assert.ok(data.slowest.slice(0, 3).includes(slow!), JSON.stringify(data.slowest));
    assertGreater(slow!.ms, 600);
    assert.deepEqual(new URL(data.largest[0]!.url).pathname, "/big");
    const host = data.hosts.find((h) => site.url.includes(h.host))!;
    assert.deepEqual(host.done, records);
    assert.deepEqual(host.status503, 2); // the first attempt and its one retry
    assertGreater(host.requests, records); // robots.txt and the retry too
    assert.deepEqual(data.series.records.reduce((a, b) => a + b, 0), records);
    assertGreater(Math.max(...data.series.requestsInFlight), 0);
    assert.deepEqual(data.latencyCurve.ms.length, data.latencyCurve.percentiles.length);
    assertGreater(data.latencyMs.p99!, 600);

    // Nothing loaded from anywhere: no element with a src, no stylesheet link, no CSS url();
    // the only href attributes are crawled pages' links (Chromium's request log checks it too).
    assert.doesNotMatch(html, /<[a-z]+\b[^>]*\ssrc=/i);
    assert.doesNotMatch(html, /<link\b|url\(|@import/i);
    for (const [, href] of html.matchAll(/<a href="([^"]*)"/g)) {
      assert.ok(href!.startsWith(site.url));
    }

    const visit = await visitPage(`file://${report}`, { evaluate: PROBE, timeoutMs: 15_000 });
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await Deno.writeFile(`${ARTIFACTS}report.png`, visit.screenshot);
    await Deno.copyFile(report, `${ARTIFACTS}report.html`);

    assert.deepEqual(visit.errors, []);
    assert.deepEqual(visit.requests, [`file://${report}`]);
    const v = visit.value as {
      charts: Record<string, { canvas: boolean; width: number; counts: number[] }>;
      drawn: string;
      pwned: number | null;
      scripts: number;
      images: number;
      titleCells: number;
      dataTitles: number;
    };
    assert.deepEqual(Object.keys(v.charts).sort(), Object.keys(CHART_COLORS).sort());
    for (const [name, chart] of Object.entries(v.charts)) {
      assert(chart.canvas, `${name}: no canvas`);
      assertGreater(chart.width, 300, `${name}: canvas too narrow`);
      chart.counts.forEach((count, k) =>
        assertGreater(count, 20, `${name}: series colour ${k} not drawn (${count} pixels)`)
      );
    }
    assert.deepEqual(v.drawn, "4");
    // The hostile title is text in the tables and the data, never markup.
    assert.deepEqual(v.pwned, null);
    assert.deepEqual(v.scripts, 3);
    assert.deepEqual(v.images, 0);
    assert.deepEqual(v.titleCells, 2); // slowest and largest lists
    assert.deepEqual(v.dataTitles, 2);
    assertGreater(visit.screenshot.length, 10_000);
    console.log(`screenshot: ${ARTIFACTS}report.png`);
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--report to a missing directory is a usage error before anything is fetched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trawl-report-" });
  try {
    await Deno.writeTextFile(`${dir}/urls.txt`, "http://127.0.0.1:9/\n");
    const run = await runCli(["crawl", `${dir}/urls.txt`, "--report", `${dir}/no/report.html`]);
    assert.deepEqual(run.code, 2);
    assert.ok(run.stderr.includes(`--report ${dir}/no/report.html: the directory`), run.stderr);
    assert.deepEqual(run.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Chromium probe sees console errors, exceptions and requests (so their absence means something)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trawl-report-" });
  try {
    const page = `${dir}/bad.html`;
    await Deno.writeTextFile(
      page,
      `<!doctype html><title>bad</title><img src="missing.png">` +
        `<script>console.error("broken chart"); null.x;</script>`,
    );
    const visit = await visitPage(`file://${page}`, { evaluate: "document.title" });
    assert.equal(visit.value, "bad");
    assert.ok(
      visit.errors.some((e) => e.includes("console.error: broken chart")),
      `${visit.errors}`,
    );
    assert.ok(visit.errors.some((e) => e.startsWith("exception: TypeError")), `${visit.errors}`);
    assert.deepEqual(visit.requests, [`file://${page}`, `file://${dir}/missing.png`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
