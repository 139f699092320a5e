// The report page's own script, inlined into the HTML after uPlot (the global `uPlot`).
// It reads the data from the <script type="application/json" id="trawl-report-data">
// element and draws one uPlot chart into each element with a `data-chart` attribute.
// Crawled text never reaches innerHTML here: charts take numbers and fixed labels only
// (status codes are numbers).
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("trawl-report-data").textContent);
  const uPlot = globalThis.uPlot;
  const COLORS = {
    pages: "#2f6fde",
    failures: "#d9480f",
    inFlight: "#2b8a3e",
    queued: "#9c36b5",
    throttled: "#e8590c",
    latency: "#1971c2",
  };
  const CLASS_COLORS = ["#868e96", "#0ca678", "#1c7ed6", "#f59f00", "#e03131"];
  const HEIGHT = 240;
  const charts = [];

  /** A time since the start, short: `1.5 s`, `12m05s`, `15m`, `2h10m`. */
  function elapsed(s) {
    if (s == null) return "-";
    if (s < 120) return `${+s.toFixed(2)} s`;
    const pad = (n) => String(Math.floor(n)).padStart(2, "0");
    const [big, small, unit] = s < 7200 ? [s / 60, s % 60, "m"] : [s / 3600, (s % 3600) / 60, "h"];
    const rest = Math.floor(small) === 0 ? "" : `${pad(small)}${unit === "m" ? "s" : "m"}`;
    return `${Math.floor(big)}${unit}${rest}`;
  }
  const seconds = (_u, values) => values.map(elapsed);
  /** Steps of the time axis, s: round seconds, minutes and hours. */
  const TIME_STEPS = [
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
  ];

  /** A scale from 0 to a little above the largest value. */
  const fromZero = (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1];

  function line(label, color, extra = {}) {
    return { label, stroke: color, width: 2, points: { show: false }, ...extra };
  }

  const builders = {
    throughput(width) {
      const s = data.series;
      return [{
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [{ values: seconds, incrs: TIME_STEPS }, { label: "per second" }],
        series: [
          { label: "time", value: (_u, v) => elapsed(v) },
          line("pages/s", COLORS.pages, { fill: "rgba(47,111,222,0.12)" }),
          line("failures/s", COLORS.failures),
          line("429/503/s", COLORS.throttled, { dash: [4, 4] }),
        ],
      }, [s.t, s.pagesPerSecond, s.failuresPerSecond, s.throttledPerSecond]];
    },
    concurrency(width) {
      const s = data.series;
      return [{
        width,
        height: HEIGHT,
        scales: { x: { time: false }, y: { range: fromZero }, queued: { range: fromZero } },
        axes: [
          { values: seconds, incrs: TIME_STEPS },
          { label: "requests in flight" },
          { scale: "queued", side: 1, label: "URLs queued", size: 70, grid: { show: false } },
        ],
        series: [
          { label: "time", value: (_u, v) => elapsed(v) },
          line("requests in flight (peak)", COLORS.inFlight, {
            fill: "rgba(43,138,62,0.12)",
            paths: uPlot.paths.stepped({ align: 1 }),
          }),
          line("URLs queued", COLORS.queued, { scale: "queued" }),
        ],
      }, [s.t, s.requestsInFlight, s.queued]];
    },
    latency(width) {
      const c = data.latencyCurve;
      return [{
        width,
        height: HEIGHT,
        scales: { x: { time: false, range: [0, 100] } },
        axes: [
          { values: (_u, v) => v.map((p) => `p${p}`) },
          { label: "ms" },
        ],
        series: [
          { label: "percentile", value: (_u, v) => v == null ? "-" : `p${v}` },
          line("latency (ms)", COLORS.latency, { fill: "rgba(25,113,194,0.12)" }),
        ],
      }, [c.percentiles, c.ms]];
    },
    statuses(width) {
      const entries = Object.entries(data.stats.statuses)
        .map(([status, count]) => [Number(status), count])
        .sort((a, b) => a[0] - b[0]);
      const xs = entries.map((_e, i) => i);
      const labels = entries.map(([status]) => String(status));
      const bars = uPlot.paths.bars({ size: [0.6, 80] });
      const classes = ["other", "2xx", "3xx", "4xx", "5xx"];
      const classOf = (status) => status >= 200 && status < 600 ? Math.floor(status / 100) - 1 : 0;
      const series = classes.map((label, k) => ({
        label,
        fill: CLASS_COLORS[k],
        stroke: CLASS_COLORS[k],
        paths: bars,
        points: { show: false },
      }));
      const columns = classes.map((_l, k) =>
        entries.map(([status, count]) => classOf(status) === k ? count : null)
      );
      return [{
        width,
        height: HEIGHT,
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, entries.length - 0.5)] } },
        axes: [
          {
            splits: () => xs,
            values: (_u, v) => v.map((i) => labels[i] ?? ""),
            grid: { show: false },
          },
          { label: "records" },
        ],
        series: [{ label: "status", value: (_u, i) => labels[i] ?? "-" }, ...series],
      }, [xs, ...columns]];
    },
  };

  for (const el of document.querySelectorAll("[data-chart]")) {
    const build = builders[el.dataset.chart];
    const [options, series] = build(el.clientWidth);
    if (series[0].length === 0) {
      el.textContent = "no data";
      el.classList.add("empty");
      continue;
    }
    charts.push([el, new uPlot(options, series, el)]);
  }
  addEventListener("resize", () => {
    for (const [el, chart] of charts) chart.setSize({ width: el.clientWidth, height: HEIGHT });
  });
  document.body.dataset.charts = String(charts.length);
})();
