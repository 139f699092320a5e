/**
 * Declarative extraction with CSS fields (what `--select` does on the command line):
 * `name=selector` (text), `name=selector@attr`, `name=selector@html`, `name=selector[]`.
 *
 * Run: `deno run -A examples/css_fields.ts [url]`
 *
 * @module
 */

import { crawl } from "../mod.ts";

const seed = Deno.args[0] ?? "https://example.com/";

for await (
  const record of crawl([seed], {
    select: ["heading=h1", "firstLink=a@href", "paragraphs=p[]", "price=.price"],
  })
) {
  console.log(JSON.stringify({ url: record.url, error: record.error, data: record.data }, null, 2));
}
