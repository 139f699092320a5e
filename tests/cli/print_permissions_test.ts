// --print-permissions: the narrowest `deno run` flags for a crawl. The printed command runs as
// it is; without one of its flags it fails with one line naming the flag.
import assert from "node:assert/strict";
import { type CliRun, runCli, runCommand } from "./_run.ts";

function sh(command: string, cwd: string): Promise<CliRun> {
  return runCommand(["bash", "-c", command], { cwd });
}

Deno.test("--print-permissions: the printed command crawls; each flag removed fails with one line naming it", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) =>
      new URL(request.url).pathname === "/robots.txt"
        ? new Response("", { status: 404 })
        : new Response(`<title>t</title><a href="/b">b</a>`, {
          headers: { "content-type": "text/html" },
        }),
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.txt`, `http://127.0.0.1:${server.addr.port}/\n`);
    const args = [
      "crawl",
      "seeds.txt",
      "--depth",
      "1",
      "-q",
      "-o",
      "out.jsonl",
      "--stats",
      "stats.json",
    ];
    const printed = await runCli([...args, "--print-permissions"], { cwd: dir });
    assert.equal(printed.code, 0, printed.stderr);
    const command = printed.stdout.trim();
    assert.match(command, new RegExp(`--allow-net=127\\.0\\.0\\.1:${server.addr.port} `));
    assert.match(command, /--allow-write=\S*out\.jsonl,\S*stats\.json /);
    assert.doesNotMatch(command, / -A |--print-permissions/);

    const run = await sh(command, dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await Deno.readTextFile(`${dir}/out.jsonl`)).trim().split("\n").length, 2);

    for (const flag of ["--allow-net", "--allow-read", "--allow-write", "--allow-env"]) {
      await Deno.remove(`${dir}/out.jsonl`).catch(() => {});
      const without = command.replace(new RegExp(` ${flag}(=\\S+)?`), "");
      const failed = await sh(without, dir);
      const lines = failed.stderr.trim().split("\n");
      assert.equal(failed.code, 1, `${flag} removed: ${failed.stderr}`);
      assert.equal(lines.length, 1, `${flag} removed: one line, got ${failed.stderr}`);
      assert.match(lines[0], new RegExp(`^trawl: .*${flag}`), `${flag} removed`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
