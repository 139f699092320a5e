import assert from "node:assert/strict";
import { decodeHtml, sniffEncoding } from "../../src/parse/decode_html.ts";

const fixture = (name: string) => Deno.readFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("decodeHtml: legacy encodings from real bytes, by header, meta charset and http-equiv", async () => {
  const cases: [string, string | null, string, string][] = [
    ["cp1251_header.html.bin", "text/html; charset=windows-1251", "windows-1251", "Привет, мир"],
    ["sjis_meta.html.bin", "text/html", "shift_jis", "こんにちは世界"],
    ["euckr_http_equiv.html.bin", null, "euc-kr", "안녕하세요"],
    ["gbk_meta.html.bin", "text/html", "gbk", "你好世界"],
    ["latin2_meta.html.bin", "text/html", "iso-8859-2", "Żółć łąka"],
    ["utf16le_bom.html.bin", "text/html; charset=iso-8859-1", "utf-16le", "Grüße BOM"],
    ["utf8_bom.html.bin", "text/html; charset=windows-1251", "utf-8", "Żółć"],
    ["utf8_plain.html.bin", null, "utf-8", "Café ünïcode"],
  ];
  for (const [file, contentType, encoding, title] of cases) {
    const decoded = decodeHtml(await fixture(file), contentType);
    assert.equal(decoded.encoding, encoding, file);
    assert.ok(decoded.html.includes(`<title>${title}</title>`), `${file}: ${decoded.html}`);
    assert.ok(!decoded.html.startsWith("\uFEFF"), `${file}: BOM removed`);
  }
});

Deno.test("decodeHtml: the header beats the meta prescan; a BOM beats both", async () => {
  const sjis = await fixture("sjis_meta.html.bin");
  assert.equal(sniffEncoding(sjis, "text/html; charset=EUC-JP"), "euc-jp");
  assert.equal(sniffEncoding(sjis, 'text/html; charset="shift_jis"'), "shift_jis");
  assert.equal(
    sniffEncoding(await fixture("utf8_bom.html.bin"), "text/html; charset=gbk"),
    "utf-8",
  );
});

Deno.test("decodeHtml: bogus labels fall back instead of failing", async () => {
  const cp1251 = await fixture("cp1251_header.html.bin");
  for (
    const contentType of [
      "text/html; charset=uft-8",
      "text/html; charset=none",
      "text/html; charset=",
    ]
  ) {
    const { encoding } = decodeHtml(cp1251, contentType);
    assert.equal(encoding, "utf-8", contentType); // no meta either: the UTF-8 default
  }
  // A bogus header label falls through to the meta prescan.
  assert.equal(
    sniffEncoding(await fixture("gbk_meta.html.bin"), "text/html; charset=bogus"),
    "gbk",
  );
  const bogusMeta = new TextEncoder().encode('<meta charset="uft-8"><meta charset="koi8-r">');
  assert.equal(sniffEncoding(bogusMeta), "koi8-r");
  // "replacement" labels (iso-2022-kr) never decode to garbage: they are skipped.
  assert.equal(sniffEncoding(new Uint8Array(), "text/html; charset=iso-2022-kr"), "utf-8");
});

Deno.test("decodeHtml: prescan rules (comments, pragma needed, 1024-byte window, UTF-16 in meta)", () => {
  const sniff = (html: string) => sniffEncoding(new TextEncoder().encode(html));
  assert.equal(sniff('<!-- <meta charset="gbk"> --><meta charset="big5">'), "big5");
  assert.equal(sniff('<meta content="text/html; charset=gbk">'), "utf-8"); // no http-equiv
  assert.equal(
    sniff('<meta http-equiv="content-type" content="text/html;charset=\'koi8-r\'">'),
    "koi8-r",
  );
  assert.equal(sniff('<meta charset="utf-16le">'), "utf-8");
  assert.equal(sniff('<meta charset="x-user-defined">'), "windows-1252");
  assert.equal(sniff(`<p title="<meta charset=gbk>">`), "utf-8"); // inside an attribute value
  assert.equal(sniff(`${" ".repeat(1100)}<meta charset="gbk">`), "utf-8"); // past 1024 bytes
  assert.equal(sniff("<META CHARSET=GBK>"), "gbk");
});
