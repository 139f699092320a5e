import assert from "node:assert/strict";
import { load } from "cheerio";
import { createReportRecorder } from "../../src/report/report_recorder.ts";
import { renderReport } from "../../src/report/render_report.ts";
import type { ReportData } from "../../src/report/report_data.ts";
import { HOSTILE_TITLE } from "./_report_site.ts";

/** Report data with hostile text in every place crawled text can reach. */
function hostileData(): ReportData {
  const recorder = createReportRecorder();
  const evil = HOSTILE_TITLE;
  const host = "a.test";
  recorder.handle({
    type: "robots",
    origin: `http://${host}`,
    outcome: "fetched",
    status: 200,
    crawlDelayMs: null,
  });
  recorder.handle({ type: "request", url: `http://${host}/`, host, kind: "page" });
  recorder.handle({
    type: "record",
    host,
    attempts: 1,
    record: {
      id: "1",
      url: `http://${host}/?q=${encodeURIComponent(evil)}`,
      finalUrl: `http://${host}/`,
      status: 200,
      depth: 0,
      title: evil,
      fetchedAt: new Date().toISOString(),
      ms: 12,
      bytes: 300,
      error: null,
      data: null,
    },
  });
  recorder.handle({
    type: "record",
    host,
    attempts: 0,
    record: {
      id: "2",
      url: `javascript:alert(1)//${evil}`,
      finalUrl: null,
      status: null,
      depth: 1,
      title: null,
      fetchedAt: new Date().toISOString(),
      ms: 0,
      bytes: 0,
      error: { code: "ROBOTS_DISALLOWED", message: evil },
      data: null,
    },
  });
  return recorder.data();
}

Deno.test("crawled text is escaped: hostile titles, URLs and messages stay text", () => {
  const data = hostileData();
  const html = renderReport(data, { title: HOSTILE_TITLE, subtitle: HOSTILE_TITLE });
  const $ = load(html);
  // Exactly the report's three scripts (data, uPlot, the page's own), no image, no iframe.
  assert.equal($("script").length, 3);
  assert.deepEqual($("script").map((_, el) => $(el).attr("type") ?? "").get(), [
    "application/json",
    "",
    "",
  ]);
  assert.equal($("img, iframe, object, embed, link").length, 0);
  assert.equal($("title").text(), HOSTILE_TITLE);
  assert.equal($("h1").text(), HOSTILE_TITLE);
  assert.equal($("td").filter((_, el) => $(el).text() === HOSTILE_TITLE).length, 3); // 2 titles, 1 why
  // The embedded data parses back to exactly what was rendered.
  assert.deepEqual(JSON.parse($("#trawl-report-data").text()), data);
  // Only http(s) URLs become links.
  const hrefs = $("a").map((_, el) => $(el).attr("href")).get();
  assert.ok(hrefs.length > 0);
  for (const href of hrefs) assert.match(href, /^http:\/\/a\.test\//);
  // A policy that forbids every request, whatever slipped in.
  assert.match(
    $('meta[http-equiv="Content-Security-Policy"]').attr("content")!,
    /^default-src 'none';/,
  );
});

Deno.test("an empty crawl renders, and says there is no data", () => {
  const html = renderReport(createReportRecorder().data());
  const $ = load(html);
  assert.equal($("[data-chart]").length, 4);
  assert.equal($("table").length, 0);
  assert.ok($("p.none").length >= 4);
});

Deno.test("renderReport refuses a bad option by name", () => {
  const data = createReportRecorder().data();
  assert.throws(() => renderReport(data, { title: 5 as never }), {
    name: "TypeError",
    message: "title must be a string: received 5",
  });
  assert.throws(() => renderReport(data, { titel: "x" } as never), /did you mean title\?/);
});
