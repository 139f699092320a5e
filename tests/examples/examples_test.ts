// The scripts in examples/ are what users copy: each one runs here against the local demo site.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { serveDemoSite } from "../../examples/demo_site.ts";
import { createParsePool } from "../../src/parse/parse_pool.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url);

async function run(script: string, args: string[], cwd?: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, EXAMPLES).pathname, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("examples: basic_crawl, gather, css_fields and custom_sink run against a site", async () => {
  const site = serveDemoSite({ pages: 30, slowEvery: 0 });
  const dir = await Deno.makeTempDir();
  try {
    const seeds = `${dir}/urls.txt`;
    await Deno.writeTextFile(seeds, `${site.url}\n${site.url}p/1\n`);

    const basic = await run("basic_crawl.ts", [seeds, "1"]);
    assert.equal(basic.code, 0, basic.stderr);
    assert.match(basic.stdout, /^200\t0\t.*\ttrawl demo$/m);
    assert.match(basic.stdout, /^200\t1\t.*\/p\/0\tPage 0$/m);

    const gather = await run("gather.ts", [seeds]);
    assert.equal(gather.code, 0, gather.stderr);
    assert.equal(gather.stdout.trim().split("\n").length, 2);
    assert.match(gather.stdout, /^200 \d+ bytes/m);

    const fields = await run("css_fields.ts", [`${site.url}p/4`]);
    assert.equal(fields.code, 0, fields.stderr);
    const printed = JSON.parse(fields.stdout);
    assert.equal(printed.data.heading, "Page 4");
    assert.equal(printed.data.price, "$4.99");

    const sink = await run("custom_sink.ts", [`${site.url}p/0`, `${dir}/pages.db`]);
    assert.equal(sink.code, 0, sink.stderr);
    const db = new DatabaseSync(`${dir}/pages.db`);
    const rows = db.prepare("SELECT url, status, title FROM pages ORDER BY url").all() as {
      url: string;
      title: string;
    }[];
    db.close();
    assert.ok(rows.length >= 11, `page 0 and its links: ${rows.length}`);
    assert.ok(rows.some((r) => r.title === "Page 0"));
  } finally {
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: cpu_pool runs a user function in the worker pool", async () => {
  const pool = await run("cpu_pool.ts", []);
  assert.equal(pool.code, 0, pool.stderr);
  assert.match(
    pool.stdout,
    /text 0: \[ \[ "amet", 1000 \], \[ "dolor", 1000 \], \[ "sit", 1000 \] \]/,
  );
  assert.match(pool.stdout, /text 7: \[ \[ "amet", 8000 \]/);
});

Deno.test("examples: the extractor module returns data and links through the CLI", async () => {
  const site = serveDemoSite({ pages: 10, slowEvery: 0 });
  try {
    const cli = new URL("../../cli.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        cli,
        "crawl",
        "-",
        "--quiet",
        "--extract",
        new URL("extractor.ts", EXAMPLES).pathname,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`${site.url}p/2\n`));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const record = JSON.parse(new TextDecoder().decode(stdout));
    assert.equal(record.data.h1, "Page 2");
    assert.ok(record.data.words > 10);
    assert.deepEqual(record.data.images, []);
  } finally {
    await site.shutdown();
  }
});

Deno.test("examples: the typed extractor's Zod schema turns prices into numbers and reports pages without one", async () => {
  const site = serveDemoSite({ pages: 10, slowEvery: 0 });
  try {
    await using pool = createParsePool({
      workers: 1,
      extractModule: new URL("typed_extractor.ts", EXAMPLES),
    });
    const parse = async (path: string) => {
      const response = await fetch(new URL(path, site.url));
      const url = response.url;
      const body = new Uint8Array(await response.arrayBuffer());
      return await pool.parse({ url, finalUrl: url, status: 200, headers: {}, body, depth: 0 });
    };
    const product = await parse("p/4");
    assert.deepEqual(product.data, { name: "Page 4", price: 4.99 });
    assert.equal(product.invalid, undefined);
    const home = await parse("");
    assert.equal(home.error, null);
    assert.deepEqual(home.invalid?.map((i) => i.path), ["price"]);
    assert.equal(home.fields?.price, "missing");
  } finally {
    await site.shutdown();
  }
});
