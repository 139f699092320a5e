// An extractor that cannot work is refused before the first request: loaded once in a sandboxed
// worker at start, with a time limit.
import assert from "node:assert/strict";
import { runCli } from "./_run.ts";

Deno.test("extractor checks: no extract export, a loop at load, a throw at load: exit 2 before any request", async () => {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    hits++;
    return new Response("<title>x</title>", { headers: { "content-type": "text/html" } });
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `http://127.0.0.1:${server.addr.port}/\n`);
    const modules: [string, string, RegExp][] = [
      ["noex.ts", "export const x = 1;\n", /the module has no extract function; export one/],
      [
        "loop.ts",
        "while (true) {}\nexport function extract() {}\n",
        /it did not finish loading within 1500 ms/,
      ],
      ["throws.ts", 'throw new Error("boom at load");\n', /it fails to load: .*boom at load/],
    ];
    for (const [name, code, message] of modules) {
      await Deno.writeTextFile(`${dir}/${name}`, code);
      const run = await runCli([
        "crawl",
        `${dir}/seeds.txt`,
        "--extract",
        `${dir}/${name}`,
        "--extract-timeout",
        "1500",
        "-q",
      ]);
      assert.equal(run.code, 2, `${name}: ${run.stderr}`);
      // One line: no "Uncaught (in worker)" and stack from Deno above it.
      assert.match(
        run.stderr,
        new RegExp(`^trawl: --extract .*${name}: ${message.source}[^\n]*\n$`),
      );
    }
    assert.equal(hits, 0, "nothing was fetched");
    // A working extractor still crawls.
    await Deno.writeTextFile(
      `${dir}/ok.ts`,
      "export function extract(ctx) { return { t: ctx.$('title').text() }; }\n",
    );
    const ok = await runCli(["crawl", `${dir}/seeds.txt`, "--extract", `${dir}/ok.ts`, "-q"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /"data":\{"t":"x"\}/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
