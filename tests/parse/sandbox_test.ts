// The extractor sandbox against hostile extractors: every escape route is refused
// before any worker starts, and the secret never reaches a result.
import assert from "node:assert/strict";
import type { PageInput } from "../../src/types.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { checkExtractor } from "../../src/parse/check_extractor_graph.ts";
import { createParsePool } from "../../src/parse/parse_pool.ts";

const SECRET = `secret-${crypto.randomUUID()}`;
const LOCK = new URL("../../deno.lock", import.meta.url);
const page: () => PageInput = () => ({
  url: "https://a.test/",
  finalUrl: "https://a.test/",
  status: 200,
  headers: { "content-type": "text/html" },
  body: new TextEncoder().encode("<title>t</title><h1>Hi</h1>"),
  depth: 0,
});
const isRefusal = (...names: string[]) => (e: unknown) => {
  assert.ok(e instanceof TrawlError, String(e));
  assert.equal(e.code, "INVALID_OPTION", e.message);
  for (const name of names) assert.ok(e.message.includes(name), `${name} in: ${e.message}`);
  assert.ok(!e.message.includes(SECRET), "the secret is not in the message");
  return true;
};

/** A temp tree: root/secret.txt, root/other.ts, root/ext/ (the extractors' directory). */
async function tree() {
  const root = await Deno.realPath(await Deno.makeTempDir());
  const ext = `${root}/ext`;
  await Deno.mkdir(`${ext}/lib`, { recursive: true });
  await Deno.writeTextFile(`${root}/secret.txt`, SECRET);
  await Deno.writeTextFile(`${root}/other.ts`, `export const x = ${JSON.stringify(SECRET)};\n`);
  await Deno.writeTextFile(`${ext}/.env`, SECRET);
  await Deno.writeTextFile(`${ext}/words.txt`, "alpha beta");
  await Deno.writeTextFile(`${ext}/prices.json`, `{"kettle": 25}`);
  await Deno.symlink(`${root}/secret.txt`, `${ext}/link.txt`);
  await Deno.symlink(root, `${ext}/up`);
  await Deno.symlink(`${root}/other.ts`, `${ext}/linked_extractor.ts`);
  const write = async (name: string, src: string) => {
    await Deno.writeTextFile(`${ext}/${name}`, src);
    return `${ext}/${name}`;
  };
  return { root, ext, write, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("sandbox: every escape route is refused before any worker starts; nothing is fetched, nothing written", async () => {
  await using t = await tree();
  let hits = 0;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits++;
    return new Response(`export default ${JSON.stringify(SECRET)};`, {
      headers: { "content-type": "application/javascript" },
    });
  });
  const remote = `http://127.0.0.1:${server.addr.port}/evil.ts`;
  const secret = `${t.root}/secret.txt`;
  const dataModule = `data:application/javascript,${
    encodeURIComponent(`import s from "file://${secret}" with { type: "text" }; export default s;`)
  }`;
  const routes: [string, string, string][] = [
    [
      "static text import, absolute path",
      `import s from "${secret}" with { type: "text" };`,
      secret,
    ],
    [
      "literal dynamic import in extract()",
      `export async function extract() { return { s: (await import("${secret}", { with: { type: "text" } })).default }; }`,
      secret,
    ],
    [
      "relative path out of the directory",
      `import s from "../secret.txt" with { type: "text" };`,
      "../secret.txt",
    ],
    ["symlinked file", `import s from "./link.txt" with { type: "text" };`, "./link.txt"],
    [
      "symlinked directory",
      `import s from "./up/secret.txt" with { type: "text" };`,
      "./up/secret.txt",
    ],
    ["code import from outside", `import { x } from "../other.ts";`, "../other.ts"],
    ["literal remote import", `export const r = () => import("${remote}");`, remote],
    ["data: import", `export const d = () => import(${JSON.stringify(dataModule)});`, "data:"],
    ["npm package not in the lock file", `import "npm:left-pad@1.3.0";`, "left-pad"],
    [
      "npm subpath climbing out",
      `export const n = () => import("npm:cheerio@1.2.0/../../../../../../../..${secret}");`,
      "npm:cheerio",
    ],
    [
      "npm file with an attribute",
      `import p from "npm:cheerio@1.2.0/package.json" with { type: "json" };`,
      "package.json",
    ],
    ["hidden file in the directory", `import e from "./.env" with { type: "text" };`, "./.env"],
    ["through a module of its own", `import "./lib/helper.ts";`, secret],
    ["jsr import", `import "jsr:@std/path";`, "jsr:@std/path"],
  ];
  await Deno.writeTextFile(
    `${t.ext}/lib/helper.ts`,
    `import s from "${secret}" with { type: "text" };\nexport default s;\n`,
  );
  const lockBefore = await Deno.readFile(LOCK);
  for (const [i, [route, src, named]] of routes.entries()) {
    const path = await t.write(
      `x${i}.ts`,
      `${src}\nexport function extract() { return { ok: 1 }; }\n`,
    );
    await assert.rejects(checkExtractor(path), isRefusal(named, `x${i}.ts`), route);
    await using pool = createParsePool({ workers: 1, extractModule: path });
    await assert.rejects(pool.parse(page()), isRefusal(named), route);
  }
  // The extractor file itself a link to a file outside its directory.
  await assert.rejects(checkExtractor(`${t.ext}/linked_extractor.ts`), isRefusal("outside"));
  assert.equal(hits, 0, "the remote module was never fetched");
  assert.deepEqual(await Deno.readFile(LOCK), lockBefore, "deno.lock is unchanged");
  // The message names the importing module, the line and the import.
  const named = await t.write(
    "named.ts",
    `// a comment\nimport s from "${secret}" with { type: "text" };\n`,
  );
  await assert.rejects(checkExtractor(named), isRefusal(`named.ts line 2 imports "${secret}"`));
});

Deno.test("sandbox: what the graph does not show (computed imports, workers, fetch, cwd) is refused by the workers' permissions", async () => {
  await using t = await tree();
  const secret = `${t.root}/secret.txt`;
  const path = await t.write(
    "runtime.ts",
    `const attempt = async (f: () => Promise<unknown>) => {
  try { return "allowed: " + JSON.stringify(await f()); } catch (e) { return (e as Error).name; }
};
export async function extract({ url }: { url: string }) {
  const file = [${JSON.stringify(secret)}][0] + (url === "" ? "x" : "");
  const worker = (src: string) => new Promise((resolve, reject) => {
    const w = new Worker("data:application/javascript," + encodeURIComponent(src), { type: "module" });
    w.onmessage = (e) => { w.terminate(); resolve(e.data); };
    w.onerror = (e) => { e.preventDefault(); w.terminate(); reject(new Error(e.message)); };
  });
  return {
    computedImport: await attempt(() => import(file, { with: { type: "text" } })),
    resolvedImport: await attempt(() => import(import.meta.resolve("../secret.txt"), { with: { type: "text" } })),
    cwdRead: await attempt(() => Deno.readTextFile(Deno.cwd() + "/deno.json")),
    fetchFile: await attempt(async () => (await fetch("file://" + file)).text()),
    worker: await attempt(() => worker('import s from "file://' + file + '" with { type: "text" }; postMessage(s);')),
    env: await attempt(async () => Deno.env.get("HOME")),
  };
}
`,
  );
  const check = await checkExtractor(path);
  assert.deepEqual(check.modules, [`file://${path}`]);
  for (const isolation of ["process", "thread"] as const) {
    await using pool = createParsePool({ workers: 1, extractModule: path, isolation });
    const result = await pool.parse(page());
    assert.equal(result.error, null, JSON.stringify(result.error));
    const data = result.data as Record<string, string>;
    assert.ok(!JSON.stringify(data).includes(SECRET), `${isolation}: ${JSON.stringify(data)}`);
    for (const [key, outcome] of Object.entries(data)) {
      assert.ok(!outcome.startsWith("allowed"), `${isolation}: ${key} ${outcome}`);
    }
  }
});

Deno.test("sandbox: attribute imports inside the directory load; a remote import loads when a prefix allows it", async () => {
  await using t = await tree();
  const local = await t.write(
    "local.ts",
    `import words from "./words.txt" with { type: "text" };
import prices from "./prices.json" with { type: "json" };
export function extract() { return { words, prices }; }
`,
  );
  await using pool = createParsePool({ workers: 1, extractModule: local });
  assert.deepEqual((await pool.parse(page())).data, {
    words: "alpha beta",
    prices: { kettle: 25 },
  });

  // An allowed remote import, run in a child whose config and lock file are its own
  // (the lock file gains the module's hash; the project's must not).
  let hits = 0;
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    hits++;
    return new Response(`export const greeting = "hello from afar";`, {
      headers: { "content-type": "application/javascript" },
    });
  });
  // A path of its own: Deno caches remote modules by URL, and a port used by an earlier run
  // would otherwise be served from that cache without reaching this server.
  const prefix = `http://127.0.0.1:${server.addr.port}/lib-${crypto.randomUUID()}/`;
  const remote = await t.write(
    "remote.ts",
    `import { greeting } from "${prefix}greet.ts";\nexport function extract() { return { greeting }; }\n`,
  );
  await assert.rejects(checkExtractor(remote), isRefusal(`${prefix}greet.ts`));
  await assert.rejects(checkExtractor(remote, { allowImports: [`${prefix}other/`] }), isRefusal());
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  await Deno.writeTextFile(`${t.root}/deno.json`, JSON.stringify({ imports: config.imports }));
  await Deno.copyFile(LOCK, `${t.root}/deno.lock`);
  const parsePool = new URL("../../src/parse/parse_pool.ts", import.meta.url).href;
  await Deno.writeTextFile(
    `${t.root}/run.ts`,
    `import { createParsePool } from ${JSON.stringify(parsePool)};
await using pool = createParsePool({ workers: 1, extractModule: ${JSON.stringify(remote)},
  allowExtractorImports: [${JSON.stringify(prefix)}] });
const body = new TextEncoder().encode("<title>t</title>");
const r = await pool.parse({ url: "https://a.test/", finalUrl: "https://a.test/", status: 200,
  headers: {}, body, depth: 0 });
console.log(JSON.stringify(r.data));
`,
  );
  const lockBefore = await Deno.readFile(LOCK);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${t.root}/run.ts`],
    cwd: t.root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    greeting: "hello from afar",
  });
  assert.ok(hits >= 1);
  assert.deepEqual(await Deno.readFile(LOCK), lockBefore, "the project's deno.lock is unchanged");
});

Deno.test("sandbox: allowImports must be http:, https:, jsr: or data: prefixes", async () => {
  for (const prefix of ["file:///", "/etc/", "nope"]) {
    await assert.rejects(checkExtractor("./x.ts", { allowImports: [prefix] }), isRefusal(prefix));
    assert.throws(
      () => createParsePool({ extractModule: "./x.ts", allowExtractorImports: [prefix] }),
      isRefusal(prefix),
    );
  }
});
