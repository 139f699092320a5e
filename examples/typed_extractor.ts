/**
 * A typed extractor: `schema` (here Zod; any Standard Schema v1 object works:
 * Valibot, ArkType...) validates what `extract` returns, inside the sandboxed
 * worker. A valid result becomes the record's `data` as the schema outputs it
 * (here the price text becomes a number); an invalid one keeps its data and the
 * record gets `invalid: [{path, message}]`; the summary reports per-field rates
 * ("price: missing on 9% of 11 pages").
 *
 * Use it: `deno run -A cli.ts crawl examples/urls.txt --extract ./examples/typed_extractor.ts`
 *
 * @module
 */

import { z } from "zod";
import type { ExtractContext } from "../mod.ts";

/** What a product page must give: a name, and a positive price parsed from "$4.99". */
export const schema = z.object({
  name: z.string().min(1),
  price: z.string().transform((text) => Number(text.replace(/[^\d.]/g, ""))).pipe(
    z.number().positive(),
  ),
});

/**
 * Read the page; fields it lacks are left out (the schema reports them missing).
 *
 * @example A product page's data after validation
 * ```ts ignore
 * // { "name": "Page 4", "price": 4.99 }
 * ```
 */
export function extract({ $ }: ExtractContext): Record<string, unknown> {
  const out: Record<string, unknown> = { name: $("h1").first().text().trim() };
  const price = $(".price").first().text().trim();
  if (price) out.price = price;
  return out;
}
