// Install and import, as a user outside the checkout does: the CLI installed globally (versions
// pinned by the lock file) runs from another directory; another Deno project imports the library
// through a local link. Both in temp dirs, with the npm cache only (no JSR, no registry).
import assert from "node:assert/strict";
import { runCommand } from "./_run.ts";

const HOME = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

async function run(cmd: string[], cwd: string): Promise<{ code: number; out: string }> {
  const result = await runCommand(cmd, { cwd });
  return { code: result.code, out: result.stdout + result.stderr };
}

function serve(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/robots.txt"
        ? new Response("", { status: 404 })
        : new Response("<title>installed</title>", { headers: { "content-type": "text/html" } }),
  );
}

Deno.test("install: deno task install-cli's command puts a trawl that crawls from any directory", async () => {
  const server = serve();
  const dir = await Deno.makeTempDir();
  try {
    // The install-cli task's command, with --root and a lock copy in the temp dir.
    await Deno.copyFile(`${HOME}/deno.lock`, `${dir}/install.lock`);
    const installed = await run([
      Deno.execPath(),
      "install",
      "-g",
      "-A",
      "-f",
      "-n",
      "trawl",
      "--root",
      `${dir}/root`,
      "--config",
      `${HOME}/deno.json`,
      "--lock",
      `${dir}/install.lock`,
      `${HOME}/cli.ts`,
    ], dir);
    assert.equal(installed.code, 0, installed.out);
    // Every version the checkout pins is the one installed.
    const pinned = JSON.parse(await Deno.readTextFile(`${HOME}/deno.lock`)).npm;
    const used = JSON.parse(await Deno.readTextFile(`${dir}/install.lock`)).npm;
    assert.deepEqual(Object.keys(used).sort(), Object.keys(pinned).sort());
    await Deno.mkdir(`${dir}/elsewhere`);
    await Deno.writeTextFile(
      `${dir}/elsewhere/urls.txt`,
      `http://127.0.0.1:${server.addr.port}/\n`,
    );
    const crawled = await run(
      [`${dir}/root/bin/trawl`, "crawl", "urls.txt", "-q"],
      `${dir}/elsewhere`,
    );
    assert.equal(crawled.code, 0, crawled.out);
    assert.match(crawled.out, /"title":"installed"/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import: another project imports @trawl/trawl (and a subpath) through a link to the checkout", async () => {
  const server = serve();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        links: [HOME],
        imports: { "@trawl/trawl": "jsr:@trawl/trawl@^0.1.0" },
        // The parse workers run with permissions "none", an unstable Worker option.
        unstable: ["worker-options"],
      }),
    );
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { crawl } from "@trawl/trawl";\n` +
        `import { createFetcher } from "@trawl/trawl/fetch";\n` +
        `const titles = [];\n` +
        `for await (const r of crawl(["http://127.0.0.1:${server.addr.port}/"], { allowPrivate: true })) titles.push(r.title);\n` +
        `console.log(JSON.stringify(titles), typeof createFetcher);\n`,
    );
    const result = await run([Deno.execPath(), "run", "-A", "main.ts"], dir);
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /\["installed"\] function/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
