// Typed extraction (an extractor's Standard Schema, typed --select fields, per-field
// rates), and the parse pool against hostile extractors.
import assert from "node:assert/strict";
import type { PageInput } from "../../src/types.ts";
import { TrawlError } from "../../src/trawl_error.ts";
import { createParsePool } from "../../src/parse/parse_pool.ts";
import { FieldTally } from "../../src/field_tally.ts";
import { checkSelectFields, parseSelectSpec } from "../../src/parse/select_spec.ts";
import { encodeFrame, FrameReader } from "../../src/parse/_frame_codec.ts";
import { validateResult } from "../../src/parse/_standard_schema.ts";
import { z } from "zod";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const page = (html: string, url = "https://shop.test/p/1"): PageInput => ({
  url,
  finalUrl: url,
  status: 200,
  headers: { "content-type": "text/html" },
  body: new TextEncoder().encode(html),
  depth: 1,
});
const product = (name: string, price: string) =>
  `<div class="product">${name ? `<span class="name">${name}</span>` : ""}${
    price ? `<span class="price">${price}</span>` : ""
  }</div>`;

Deno.test("typed select: the grammar takes :type and !, and leaves CSS pseudo-classes alone", () => {
  const price = parseSelectSpec("price=.price:number!");
  assert.deepEqual([price.selector, price.type, price.required], [".price", "number", true]);
  const links = parseSelectSpec("links=a@href[]:url");
  assert.deepEqual([links.selector, links.attr, links.many, links.type], [
    "a",
    "href",
    true,
    "url",
  ]);
  const first = parseSelectSpec("first=li:first-child");
  assert.deepEqual([first.selector, first.type, first.required], ["li:first-child", null, false]);
  assert.equal(parseSelectSpec("h=h1!").required, true);
});

Deno.test("typed select: values are converted; what does not convert is reported, raw value kept", () => {
  const fields = [
    "a=x:number",
    "b=x:number",
    "c=x:number",
    "d=x:integer",
    "e=x:boolean",
    "f=x:url",
    "g=x:url",
    "h=x[]:number",
    "i=x!",
    "j=x",
  ].map(parseSelectSpec);
  const out = checkSelectFields(
    {
      a: "$1,299.00",
      b: "4,99 €",
      c: "n/a",
      d: "12.5",
      e: "Yes",
      f: "/cart?x=1",
      g: "javascript:alert(1)",
      h: ["1", "two"],
      i: null,
      j: "",
    },
    fields,
    "https://shop.test/p/1",
  );
  assert.deepEqual(out.data, {
    a: 1299,
    b: "4,99 €",
    c: "n/a",
    d: "12.5",
    e: true,
    f: "https://shop.test/cart?x=1",
    g: "javascript:alert(1)",
    h: ["1", "two"],
    i: null,
    j: "",
  });
  assert.deepEqual(out.invalid.map((i) => i.path), ["b", "c", "d", "g", "h[1]", "i"]);
  assert.match(out.invalid[0].message, /expected a number, got "4,99 €"/);
  assert.deepEqual(out.fields, {
    a: "ok",
    b: "invalid",
    c: "invalid",
    d: "invalid",
    e: "ok",
    f: "ok",
    g: "invalid",
    h: "invalid",
    i: "missing",
    j: "missing",
  });
});

Deno.test("typed extraction: a Zod schema validates in the worker; invalid keeps data and adds invalid entries", async () => {
  await using pool = createParsePool({
    workers: 1,
    extractModule: fixture("extractor_typed.ts"),
    select: ["heading=h1!", "stock=.stock:integer"],
  });
  const valid = await pool.parse(
    page(`<h1>Kettle</h1><span class="stock">12 left</span>${product("Kettle", "25")}`),
  );
  assert.equal(valid.error, null);
  assert.deepEqual(valid.data, { heading: "Kettle", stock: 12, name: "Kettle", price: 25 });
  assert.equal(valid.invalid, undefined);
  assert.deepEqual(valid.fields, { heading: "ok", stock: "ok", name: "ok", price: "ok" });

  const invalid = await pool.parse(page(`<title>x</title>${product("", "-3")}`));
  assert.equal(invalid.error, null);
  assert.deepEqual(invalid.data, { heading: null, stock: null, price: "-3" }); // kept as extracted
  assert.deepEqual(invalid.invalid?.map((i) => i.path).sort(), ["heading", "name", "price"]);
  assert.equal(invalid.fields?.name, "missing");
  assert.equal(invalid.fields?.price, "invalid");
  assert.equal(invalid.fields?.heading, "missing");

  const none = await pool.parse(page(`<title>none</title><h1>N</h1>`));
  assert.deepEqual([none.invalid, none.data], [undefined, { heading: "N", stock: null }]);
});

Deno.test("typed extraction: an array result's issues have indexed paths; fields name them with []", async () => {
  const schema = z.array(z.object({ name: z.string(), price: z.number() }));
  const out = await validateResult(schema, [{ name: "A", price: 1 }, { name: "B", price: "x" }, {
    price: 2,
  }]);
  assert.deepEqual(out.invalid.map((i) => i.path), ["[1].price", "[2].name"]);
  assert.deepEqual(out.fields, { "[].name": "missing", "[].price": "invalid" });
  const ok = await validateResult(schema, [{ name: "A", price: 1 }]);
  assert.deepEqual([ok.invalid, ok.fields], [[], { "[].name": "ok", "[].price": "ok" }]);
});

Deno.test("typed extraction: a schema export that is no Standard Schema stops the workers from starting", async () => {
  await using pool = createParsePool({
    workers: 1,
    extractModule: fixture("extractor_bad_schema.ts"),
  });
  await assert.rejects(pool.parse(page("<h1>x</h1>")), (e: unknown) => {
    assert.ok(e instanceof TrawlError && e.code === "INVALID_OPTION", String(e));
    assert.match(e.message, /not a Standard Schema v1 object/);
    return true;
  });
});

Deno.test("FieldTally: per-field failure rates over pages", () => {
  const tally = new FieldTally();
  for (let i = 0; i < 4210; i++) {
    tally.add({
      fields: {
        name: "ok",
        price: i < 505 ? "missing" : i < 547 ? "invalid" : "ok",
        sku: i === 0 ? "missing" : "ok",
      },
    });
  }
  tally.add({}); // no typed checks on that page: not counted
  assert.equal(tally.pages, 4210);
  assert.deepEqual(tally.summary(), [
    "price: missing on 12%, invalid on 1.0% of 4,210 pages",
    "sku: missing on 0.0% of 4,210 pages",
  ]);
  assert.deepEqual(tally.rates()[0], { field: "price", missing: 505, invalid: 42, pages: 4210 });
});

Deno.test("frames: values with bytes survive any chunking; garbage is refused", () => {
  const value = {
    url: "https://a.test/é",
    body: new Uint8Array([1, 2, 3, 250]),
    nested: [{ buf: new Uint8Array([9]).buffer }],
    n: null,
  };
  const one = encodeFrame(value);
  const stream = new Uint8Array([...one, ...encodeFrame(42), ...encodeFrame("x")]);
  for (const size of [1, 7, stream.length]) {
    const reader = new FrameReader();
    const got: unknown[] = [];
    for (let at = 0; at < stream.length; at += size) {
      got.push(...reader.push(stream.subarray(at, at + size)));
    }
    assert.equal(got.length, 3, `chunks of ${size}`);
    const [first, second, third] = got as [typeof value, number, string];
    assert.deepEqual(first.body, value.body);
    assert.deepEqual(new Uint8Array(first.nested[0].buf), new Uint8Array([9]));
    assert.deepEqual([first.url, first.n, second, third], [value.url, null, 42, "x"]);
  }
  assert.throws(
    () => new FrameReader().push(new TextEncoder().encode("hello world!")),
    SyntaxError,
  );
  assert.throws(() => encodeFrame({ big: 1n }), TypeError);
});

Deno.test("parse pool: a memory hog's page fails (EXTRACT_MEMORY) while 100 other pages succeed; a late throw or an exit fails no other page", async () => {
  const late: string[] = [];
  await using pool = createParsePool({
    workers: 2,
    maxQueued: 200,
    extractModule: fixture("extractor_hostile.ts"),
    extractMaxMemoryMb: 64,
    onLateError: ({ label, error }) => late.push(`${label}: ${error.message}`),
  });
  const titles = Array.from({ length: 100 }, (_, i) => `p${i}`);
  titles.splice(40, 0, "hog");
  titles.splice(70, 0, "exit");
  titles.splice(20, 0, "late", "slow");
  const results = await Promise.all(
    titles.map((t) => pool.parse(page(`<title>${t}</title>`, `https://shop.test/${t}`))),
  );
  const byTitle = new Map(results.map((r, i) => [titles[i], r]));
  assert.equal(byTitle.get("hog")?.error?.code, "EXTRACT_MEMORY");
  assert.equal(byTitle.get("exit")?.error?.code, "WORKER_CRASHED");
  for (const t of ["late", "slow", ...titles.filter((t) => t.startsWith("p"))]) {
    assert.equal(byTitle.get(t)?.error, null, `${t}: ${JSON.stringify(byTitle.get(t)?.error)}`);
    assert.deepEqual(byTitle.get(t)?.data, { ok: t });
  }
  assert.deepEqual(late, ["https://shop.test/late: Error: thrown after the page was done"]);
});
