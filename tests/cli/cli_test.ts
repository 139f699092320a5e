import assert from "node:assert/strict";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { parseCsv } from "../../src/_std.ts";
import { flagMessage, OPTION_FLAGS, parseFlags } from "../../src/cli/parse_flags.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { CLI, parseJsonl, runCli } from "./_run.ts";

const EXTRACTOR = new URL("../crawl/fixtures/title_extractor.ts", import.meta.url).pathname;

async function seedFile(lines: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".txt" });
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

Deno.test("cli: list mode writes one record per seed; invalid lines are reported with their line number", async () => {
  const site = serveDemoSite({ pages: 20, slowEvery: 0 });
  try {
    const seeds = await seedFile([
      "# seeds for the list test",
      `${site.url}p/1`,
      "",
      `${site.url}p/2`,
      "not a url",
      `${site.url}missing`,
      "ftp://example.com/file",
      `${site.url}p/1`,
    ]);
    const { code, stdout, stderr } = await runCli(["crawl", seeds, "--quiet"]);
    assert.equal(code, 0, stderr);
    const records = parseJsonl(stdout);
    const byUrl = new Map(records.map((r) => [r.url as string, r]));
    assert.equal(
      records.length,
      5,
      "two pages, one 404 and two invalid lines; the repeated seed once",
    );
    assert.equal((byUrl.get(`${site.url}p/1`)!).title, "Page 1");
    assert.equal((byUrl.get(`${site.url}p/2`)!).status, 200);
    const missing = byUrl.get(`${site.url}missing`)!;
    assert.equal(missing.status, 404);
    assert.equal((missing.error as { code: string }).code, "HTTP_ERROR");
    assert.equal((byUrl.get("not a url")!.error as { code: string }).code, "INVALID_URL");
    assert.equal(
      (byUrl.get("ftp://example.com/file")!.error as { code: string }).code,
      "UNSUPPORTED_SCHEME",
    );
    assert.match(stderr, /line 5: .*not a url/);
    assert.match(stderr, /line 7: .*ftp:/);
    assert.equal(site.hits.get("/p/1"), 1, "the repeated seed is fetched once");
    for (const r of records) {
      for (
        const key of [
          "url",
          "finalUrl",
          "status",
          "depth",
          "title",
          "fetchedAt",
          "ms",
          "bytes",
          "error",
          "data",
        ]
      ) {
        assert.ok(key in r, `record has ${key}`);
      }
    }
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: depth crawl reaches every page exactly once, obeys robots.txt, skips other sites", async () => {
  const site = serveDemoSite({ pages: 120, slowEvery: 0 });
  try {
    const seeds = await seedFile([site.url]);
    const statsFile = await Deno.makeTempFile({ suffix: ".json" });
    const { code, stdout, stderr } = await runCli([
      "crawl",
      seeds,
      "--depth",
      "5",
      "--stats",
      statsFile,
    ]);
    assert.equal(code, 0, stderr);
    const records = parseJsonl(stdout);
    const urls = records.map((r) => new URL(r.url as string).pathname);
    assert.equal(new Set(urls).size, urls.length, "no URL recorded twice");
    // /landing is only reached as the redirect target of /moved: it is that record's finalUrl.
    const expected = new Set([...site.reachable].filter((path) => path !== "/landing"));
    assert.deepEqual(new Set(urls), expected, "every reachable page has a record");
    for (const [path, count] of site.hits) {
      if (path !== "/robots.txt") assert.equal(count, 1, `${path} fetched once`);
    }
    assert.equal(site.hits.get("/robots.txt"), 1, "robots.txt fetched once for the origin");
    assert.equal(site.hits.has("/private/secret"), false, "a disallowed page is never fetched");
    const refused = records.find((r) => (r.url as string).endsWith("/private/secret"))!;
    assert.equal((refused.error as { code: string }).code, "ROBOTS_DISALLOWED");
    const moved = records.find((r) => (r.url as string).endsWith("/moved"))!;
    assert.equal(moved.finalUrl, `${site.url}landing`);
    const stats = JSON.parse(await Deno.readTextFile(statsFile));
    assert.equal(stats.pages, records.length);
    assert.ok(stats.links.outOfScope >= 1, "the link to example.com was counted as out of scope");
    assert.equal(stats.robotsDisallowed, 1);
    assert.match(stderr, /trawl: done: \d+ pages/);
    assert.match(stderr, /ROBOTS_DISALLOWED x1/);
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: --depth 0 tells how to follow the links it found", async () => {
  const site = serveDemoSite({ pages: 5, slowEvery: 0 });
  try {
    const { code, stderr, stdout } = await runCli(["crawl", "-", "--no-robots"], {
      stdin: `${site.url}\n`,
    });
    assert.equal(code, 0, stderr);
    assert.equal(parseJsonl(stdout).length, 1);
    assert.match(stderr, /found and not followed: add --depth 1/);
    assert.equal(site.hits.has("/robots.txt"), false, "--no-robots fetches no robots.txt");
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: a seed redirecting to another site is followed with --scope all (final URL kept), refused otherwise", async () => {
  const target = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("<title>Over there</title>", { headers: { "content-type": "text/html" } }),
  );
  const origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.redirect(`http://localhost:${target.addr.port}/there`, 302),
  );
  try {
    const seed = `http://127.0.0.1:${origin.addr.port}/go`;
    const { code, stdout, stderr } = await runCli(
      ["crawl", "-", "--quiet", "--no-robots", "--scope", "all"],
      { stdin: seed },
    );
    assert.equal(code, 0, stderr);
    const [record] = parseJsonl(stdout);
    assert.equal(record!.url, seed);
    assert.equal(record!.finalUrl, `http://localhost:${target.addr.port}/there`);
    assert.equal(record!.title, "Over there");
    // Under the default scope (host), another hostname is out of the seeds' scope.
    const scoped = await runCli(["crawl", "-", "--quiet", "--no-robots"], { stdin: seed });
    const [refused] = parseJsonl(scoped.stdout) as { error: { code: string } }[];
    assert.equal(refused!.error.code, "OUT_OF_SCOPE");
  } finally {
    await Promise.all([origin.shutdown(), target.shutdown()]);
  }
});

Deno.test("cli: --select fields and --extract modules fill data", async () => {
  const site = serveDemoSite({ pages: 5, slowEvery: 0 });
  try {
    const seeds = await seedFile([`${site.url}p/3`]);
    const selected = await runCli([
      "crawl",
      seeds,
      "--quiet",
      "--select",
      "price=.price",
      "--select",
      "links=ul.links a@href[]",
    ]);
    assert.equal(selected.code, 0, selected.stderr);
    const [record] = parseJsonl(selected.stdout);
    const data = record!.data as { price: string; links: string[] };
    assert.equal(data.price, "$3.99");
    assert.equal(data.links.length, 10);

    const extracted = await runCli(["crawl", seeds, "--quiet", "--extract", EXTRACTOR]);
    assert.equal(extracted.code, 0, extracted.stderr);
    const [item] = parseJsonl(extracted.stdout);
    assert.deepEqual(item!.data, { heading: "Page 3", status: 200, depth: 0 });
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: json and csv output parse back, with data fields in csv columns", async () => {
  const site = serveDemoSite({ pages: 10, slowEvery: 0 });
  try {
    const seeds = await seedFile([`${site.url}p/1`, `${site.url}p/2`, `${site.url}missing`]);
    const out = await Deno.makeTempFile({ suffix: ".json" });
    const json = await runCli(["crawl", seeds, "--quiet", "--format", "json", "-o", out]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stdout, "", "records go to --out, not stdout");
    const array = JSON.parse(await Deno.readTextFile(out));
    assert.equal(array.length, 3);

    const csvOut = await Deno.makeTempFile({ suffix: ".csv" });
    const csv = await runCli([
      "crawl",
      seeds,
      "--quiet",
      "--format",
      "csv",
      "-o",
      csvOut,
      "--select",
      "h1=h1",
    ]);
    assert.equal(csv.code, 0, csv.stderr);
    const rows = parseCsv(await Deno.readTextFile(csvOut), { skipFirstRow: true }) as Record<
      string,
      string
    >[];
    assert.equal(rows.length, 3);
    const page = rows.find((r) => r.url === `${site.url}p/2`)!;
    assert.equal(page.h1, "Page 2");
    assert.equal(page.status, "200");
    const missing = rows.find((r) => r.url === `${site.url}missing`)!;
    assert.equal(missing.error_code, "HTTP_ERROR");
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: usage errors exit 2 naming the flag; a missing seed file exits 1", async () => {
  const unknown = await runCli(["crawl", "x.txt", "--bogus"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--bogus/);
  const bad = await runCli(["crawl", "x.txt", "--concurrency", "many"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--concurrency takes a whole number/);
  const scope = await runCli(["crawl", "x.txt", "--scope", "planet"]);
  assert.equal(scope.code, 2);
  assert.match(scope.stderr, /--scope must be one of host, domain, origin, all: received "planet"/);
  const select = await runCli(["crawl", "-", "--select", "broken"], { stdin: "" });
  assert.equal(select.code, 2);
  assert.match(select.stderr, /^trawl: --select .*broken/);
  // Bad CSS is found as the crawl starts (it needs the parser): still one usage line.
  const css = await runCli(["crawl", "-", "--select", "x=div[["], { stdin: "" });
  assert.equal(css.code, 2);
  assert.match(css.stderr, /div\[\[/);
  assert.equal(css.stderr.trim().split("\n").length, 1, css.stderr);
  const missing = await runCli(["crawl", "/nonexistent/urls.txt"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read seed file '\/nonexistent\/urls.txt'/);
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--concurrency N/);
});

Deno.test("cli: Ctrl-C stops admitting work, flushes valid JSON and prints the summary", async () => {
  const site = serveDemoSite({ pages: 400, latencyMs: 50, slowEvery: 0 });
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const seeds = await seedFile([site.url]);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "crawl",
        seeds,
        "--depth",
        "9",
        "-c",
        "4",
        "--format",
        "json",
        "-o",
        out,
      ],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    // Wait until some pages are served (a crawl that serves none fails here), then interrupt.
    const deadline = Date.now() + 20_000;
    while ([...site.hits.keys()].filter((k) => k.startsWith("/p/")).length < 10) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.output();
        assert.fail("the crawl served fewer than 10 pages in 20 s");
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGINT");
    const { code, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 0, text);
    const records = JSON.parse(await Deno.readTextFile(out));
    assert.ok(
      records.length >= 10 && records.length < 400,
      `stopped early with ${records.length} records`,
    );
    assert.match(text, /stopped early/);
    // Nothing in flight was lost: every page the site served has its record.
    const served = [...site.hits.keys()].filter((k) => k !== "/robots.txt" && k !== "/landing");
    const recorded = records
      .filter((r: { status: number | null }) => r.status !== null)
      .map((r: { url: string }) => new URL(r.url).pathname);
    assert.deepEqual(new Set(recorded), new Set(served));
  } finally {
    await site.shutdown();
  }
});

Deno.test("cli: crawls over HTTPS (certificate checked against a CA given by DENO_CERT)", async () => {
  // A test-only CA and a leaf for localhost / 127.0.0.1 (tests/cli/fixtures), made with openssl
  // as the CA in tests/guard/rebinding_test.ts, plus subjectAltName=DNS:localhost,IP:127.0.0.1.
  const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    cert: await Deno.readTextFile(fixture("tls_localhost.pem")),
    key: await Deno.readTextFile(fixture("tls_localhost.key")),
    onListen() {},
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("User-agent: *\nDisallow: /secret\n");
    const body = path === "/"
      ? `<title>secure home</title><a href="/a">a</a><a href="/secret">s</a>`
      : `<title>secure ${path}</title>`;
    return new Response(body, { headers: { "content-type": "text/html" } });
  });
  const seed = `https://127.0.0.1:${server.addr.port}/`;
  try {
    const trusted = await runCli(["crawl", "-", "--depth", "1", "--quiet"], {
      stdin: `${seed}\n`,
      env: { DENO_CERT: fixture("tls_ca.pem") },
    });
    assert.equal(trusted.code, 0, trusted.stderr);
    const byUrl = new Map(parseJsonl(trusted.stdout).map((r) => [r.url as string, r]));
    assert.equal(byUrl.get(seed)?.title, "secure home");
    assert.equal(byUrl.get(`${seed}a`)?.title, "secure /a");
    assert.equal((byUrl.get(`${seed}secret`)?.error as { code: string }).code, "ROBOTS_DISALLOWED");
    // Without the CA the certificate is refused: a TLS_ERROR record, not a crash.
    const untrusted = await runCli(["crawl", "-", "--quiet", "--retries", "0"], {
      stdin: `${seed}\n`,
    });
    assert.equal(untrusted.code, 0, untrusted.stderr);
    const [record] = parseJsonl(untrusted.stdout);
    assert.equal((record?.error as { code: string }).code, "TLS_ERROR");
  } finally {
    await server.shutdown();
  }
});

Deno.test("cli flags: the new limits map to their options; sizes take units", () => {
  const command = parseFlags([
    "crawl",
    "urls.txt",
    "--connect-timeout",
    "1500",
    "--headers-timeout",
    "2500",
    "--body-timeout",
    "3500",
    "--max-bytes",
    "10MiB",
    "--max-redirects",
    "0",
    "--max-url-length",
    "4096",
    "--global-rate",
    "50/s",
    "--max-retry-after",
    "60000",
    "--max-idle-sockets",
    "16",
    "--max-queued",
    "500",
  ]);
  assert.equal(command.kind, "crawl");
  if (command.kind !== "crawl") return;
  assert.deepEqual(command.options, {
    connectTimeoutMs: 1500,
    headersTimeoutMs: 2500,
    bodyIdleTimeoutMs: 3500,
    maxBytes: 10 * 2 ** 20,
    maxRedirects: 0,
    maxUrlLength: 4096,
    globalRate: { requests: 50, perMs: 1000 },
    maxRetryAfterMs: 60_000,
    maxIdleSockets: 16,
    maxQueued: 500,
    robots: true,
    allowPrivate: false,
  });
  const maxBytes = (value: string) => {
    const parsed = parseFlags(["crawl", "u", "--max-bytes", value]);
    return parsed.kind === "crawl" ? parsed.options.maxBytes : undefined;
  };
  assert.equal(maxBytes("2048"), 2048);
  assert.equal(maxBytes("500KB"), 500_000);
  assert.equal(maxBytes("500kb"), 500_000);
  assert.equal(maxBytes("1.5KiB"), 1536);
  assert.equal(maxBytes("2 MB"), 2_000_000);
  assert.equal(maxBytes("1GiB"), 2 ** 30);
  for (const bad of ["lots", "10 parsecs", "1.5", "-1"]) {
    assert.throws(
      () => parseFlags(["crawl", "u", `--max-bytes=${bad}`]),
      /^TrawlError: --max-bytes takes a whole number of bytes/,
    );
  }
  assert.throws(
    () => parseFlags(["crawl", "u", "--global-rate", "fast"]),
    /--global-rate takes N\/s, N\/m or N\/h/,
  );
  assert.throws(
    () => parseFlags(["crawl", "u", "--max-redirects", "ten"]),
    /--max-redirects takes a whole number, not 'ten'/,
  );
});

Deno.test("cli flags: a rule broken is a usage error naming the flag, not the option", () => {
  const cases: [string[], string][] = [
    [["--per-host", "0"], "--per-host must be an integer >= 1: received 0"],
    [["--timeout", "0"], "--timeout must be a number of ms > 0 and <= 2147483647: received 0"],
    [["--connect-timeout", "0"], "--connect-timeout must be a number of ms > 0"],
    [["--max-queued", "0"], "--max-queued must be an integer >= 1 or Infinity: received 0"],
    [["--max-url-length", "0"], "--max-url-length must be an integer >= 1: received 0"],
    [["--max-bytes", "0KB"], "--max-bytes must be an integer >= 1: received 0"],
    [["--global-rate", "500/s"], "--global-rate must be at most 200 requests per second"],
    [["--scope", "planet"], '--scope must be one of host, domain, origin, all: received "planet"'],
    [["--proxy", "ftp://127.0.0.1"], "--proxy must be an http: or https: URL"],
    [["--include", "/(/"], "--include must be globs or /regex/ patterns that compile"],
    [["--user-agent", " "], '--user-agent must be a non-empty string: received " "'],
    [["--delay", "99999999999"], "--delay must be a number of ms >= 0 and <= 2147483647"],
  ];
  for (const [flags, message] of cases) {
    assert.throws(
      () => parseFlags(["crawl", "u", ...flags]),
      (error: unknown) => {
        assert.ok(error instanceof TrawlError && error.code === "INVALID_OPTION", String(error));
        assert.ok(error.message.startsWith(message), `${flags.join(" ")}: ${error.message}`);
        return true;
      },
    );
  }
});

Deno.test("cli flags: every option with a flag is accepted by the parser; messages name flags", () => {
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    if (flag === null) continue;
    // A flag the parser does not know fails as an unknown option; any other error is
    // about the (missing) value, which proves the flag exists.
    try {
      parseFlags(["crawl", "u", flag, "x"]);
    } catch (error) {
      assert.doesNotMatch((error as Error).message, /Unknown option/, `${option}: ${flag}`);
    }
  }
  assert.equal(
    flagMessage(new RangeError("rate.requests must be a finite number > 0: received 0")),
    "--rate requests must be a finite number > 0: received 0",
  );
  assert.equal(
    flagMessage(new TypeError("signal must be an AbortSignal: received 1")),
    "signal must be an AbortSignal: received 1",
    "an option without a flag keeps its name",
  );
});

Deno.test("cli: a bad flag value exits 2 with one line naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--per-host", "0"], /^trawl: --per-host must be an integer >= 1: received 0$/],
    [["--timeout", "0"], /^trawl: --timeout must be a number of ms > 0 .*received 0$/],
    [["--max-bytes", "lots"], /^trawl: --max-bytes takes a whole number of bytes/],
    [["--global-rate", "500/s"], /^trawl: --global-rate must be at most 200 requests per second/],
    [["--max-redirects=-1"], /^trawl: --max-redirects takes a whole number, not '-1'$/],
    [
      ["--max-redirects", "-1"],
      /^trawl: --max-redirects needs a value; .* --max-redirects=-VALUE$/,
    ],
  ];
  const out = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(out, "kept\n");
  const runs = await Promise.all(
    cases.map(([flags]) => runCli(["crawl", "-", "-o", out, ...flags], { stdin: "" })),
  );
  runs.forEach((run, i) => {
    const [flags, message] = cases[i];
    assert.equal(run.code, 2, `${flags.join(" ")}: ${run.stderr}`);
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], message);
  });
  assert.equal(await Deno.readTextFile(out), "kept\n", "a usage error leaves --out alone");
});

Deno.test("cli: typed --select fields report invalid values and per-field rates; a hostile --extract is refused before any request", async () => {
  const site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/robots.txt") return new Response("", { status: 404 });
    const price = path === "/a"
      ? "<p class=price>$12.50</p>"
      : path === "/b"
      ? "<p class=price>call us</p>"
      : "";
    return new Response(`<title>${path}</title>${price}`, {
      headers: { "content-type": "text/html" },
    });
  });
  const dir = await Deno.makeTempDir();
  try {
    const base = `http://127.0.0.1:${site.addr.port}`;
    const seeds = `${dir}/urls.txt`;
    await Deno.writeTextFile(seeds, `${base}/a\n${base}/b\n${base}/c\n`);
    const typed = await runCli(["crawl", seeds, "--select", "price=.price:number!"]);
    assert.equal(typed.code, 0, typed.stderr);
    const records = parseJsonl(typed.stdout) as {
      url: string;
      data: { price: unknown };
      invalid?: { path: string }[];
    }[];
    const byPath = new Map(records.map((r) => [new URL(r.url).pathname, r]));
    assert.equal(byPath.get("/a")!.data.price, 12.5);
    assert.equal(byPath.get("/a")!.invalid, undefined);
    assert.deepEqual(byPath.get("/b")!.invalid?.map((i) => i.path), ["price"]);
    assert.deepEqual(byPath.get("/c")!.invalid?.map((i) => i.path), ["price"]);
    assert.match(typed.stderr, /field: +price: missing on 33%, invalid on 33% of 3 pages/);

    const secret = `${dir}/secret.txt`;
    await Deno.writeTextFile(secret, "s3cret");
    const hostile = `${dir}/ext/hostile.ts`;
    await Deno.mkdir(`${dir}/ext`);
    await Deno.writeTextFile(
      hostile,
      `import s from "${secret}" with { type: "text" };\nexport function extract() { return { s }; }\n`,
    );
    let hits = 0;
    const counting = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
      hits++;
      return new Response("x");
    });
    await Deno.writeTextFile(seeds, `http://127.0.0.1:${counting.addr.port}/\n`);
    const refused = await runCli(["crawl", seeds, "--extract", hostile]);
    await counting.shutdown();
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.match(refused.stderr, /secret\.txt/);
    assert.ok(!refused.stdout.includes("s3cret") && !refused.stderr.includes("s3cret"));
    assert.equal(hits, 0, "nothing was fetched");
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
