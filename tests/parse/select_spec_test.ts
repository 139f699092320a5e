import assert from "node:assert/strict";
import { load } from "cheerio/slim";
import { TrawlError } from "../../src/trawl_error.ts";
import {
  applySelectFields,
  checkSelectSpecs,
  parseSelectSpec,
} from "../../src/parse/select_spec.ts";

Deno.test("parseSelectSpec: the grammar", () => {
  const p = (s: string) => {
    const { name, selector, kind, attr, many } = parseSelectSpec(s);
    return { name, selector, kind, attr, many };
  };
  assert.deepEqual(p("title=h1"), {
    name: "title",
    selector: "h1",
    kind: "text",
    attr: null,
    many: false,
  });
  assert.deepEqual(p("links = nav a@href[]"), {
    name: "links",
    selector: "nav a",
    kind: "attr",
    attr: "href",
    many: true,
  });
  assert.deepEqual(p("body=article@html"), {
    name: "body",
    selector: "article",
    kind: "html",
    attr: null,
    many: false,
  });
  assert.deepEqual(p("items=li@text[]"), {
    name: "items",
    selector: "li",
    kind: "text",
    attr: null,
    many: true,
  });
  assert.deepEqual(p('mail=a[href="mailto:x@y.z"]@data-id'), {
    name: "mail",
    selector: 'a[href="mailto:x@y.z"]',
    kind: "attr",
    attr: "data-id",
    many: false,
  });
  assert.equal(p("eq=a[href=x]").selector, "a[href=x]"); // only the first "=" splits
});

Deno.test("parseSelectSpec: bad grammar is BAD_SELECTOR naming the spec", () => {
  for (const spec of ["no-equals", "=h1", "1abc=h1", "name=", "name=@href", "name=[]", "a b=h1"]) {
    assert.throws(() => parseSelectSpec(spec), (e: unknown) => {
      assert.ok(e instanceof TrawlError);
      assert.equal(e.code, "BAD_SELECTOR");
      assert.ok(e.message.includes(JSON.stringify(spec)), e.message);
      return true;
    });
  }
});

Deno.test("checkSelectSpecs: invalid CSS and duplicate names are rejected up front", async () => {
  assert.equal((await checkSelectSpecs(["a=h1", "b=ul > li:first-child@html[]"])).length, 2);
  for (const specs of [["a=h1", "bad=div[["], ["x=p:no-such-pseudo"], ["a=h1", "a=h2"]]) {
    await assert.rejects(checkSelectSpecs(specs), (e: unknown) => {
      assert.ok(e instanceof TrawlError);
      assert.equal(e.code, "BAD_SELECTOR");
      assert.ok(e.message.includes(JSON.stringify(specs.at(-1))), e.message);
      return true;
    });
  }
});

Deno.test("applySelectFields: text, attribute, html, arrays, missing matches", async () => {
  const $ = load(`<h1>  Hello
    <i>world</i> </h1><ul><li><a href="/1">one</a></li><li><a>two</a></li><li><a href="/3">3</a></li></ul>
    <div id="d"><b>bold</b> text</div>`);
  const fields = await checkSelectSpecs([
    "h=h1",
    "first=li a@href",
    "hrefs=li a@href[]",
    "texts=li[]",
    "inner=#d@html",
    "none=table",
    "nones=table@href[]",
    "noattr=h1@data-x",
  ]);
  assert.deepEqual(applySelectFields($, fields), {
    h: "Hello world",
    first: "/1",
    hrefs: ["/1", "/3"],
    texts: ["one", "two", "3"],
    inner: "<b>bold</b> text",
    none: null,
    nones: [],
    noattr: null,
  });
});
