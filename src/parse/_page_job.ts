/**
 * The function the parse pool's workers run: one page in, one `PageResult` out.
 * The parse pool's generated worker module calls {@linkcode makePageJob} once
 * with the select specs and the (statically imported) extractor module.
 *
 * @module
 */

import type { PageInput } from "../types.ts";
import { serializeError, TrawlError } from "../trawl_error.ts";
import { type Extractor, extractPage } from "./extract_page.ts";
import type { PageResult as ParsedPage } from "../types.ts";
import { parseSelectSpec, type SelectField } from "./select_spec.ts";
import { isStandardSchema } from "./_standard_schema.ts";

/**
 * Build the per-worker page function: select specs are parsed once here. An
 * extractor whose `schema` export is no Standard Schema v1 object throws here,
 * so the worker does not start (the pool then refuses work with `INVALID_OPTION`).
 */
export function makePageJob(
  select: readonly string[],
  extractor?: Extractor,
): (page: PageInput) => Promise<ParsedPage> {
  if (extractor && "schema" in extractor && !isStandardSchema(extractor.schema)) {
    throw new TrawlError(
      "INVALID_OPTION",
      "the extractor's schema export is not a Standard Schema v1 object " +
        "(Zod, Valibot, ArkType... objects with a ~standard.validate function)",
    );
  }
  let fields: SelectField[] = [];
  let badSpec: unknown = null;
  try {
    fields = select.map(parseSelectSpec);
  } catch (e) {
    badSpec = e;
  }
  return async (page) => {
    if (badSpec !== null) {
      const result = await extractPage(page);
      return { ...result, error: serializeError(badSpec, "BAD_SELECTOR") };
    }
    return await extractPage(page, { select: fields, extractor });
  };
}
