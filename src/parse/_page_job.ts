/**
 * The function the parse pool's workers run: one page in, one `PageResult` out.
 * The parse pool's generated worker module calls {@linkcode makePageJob} once
 * with the select specs and the (statically imported) extractor module.
 *
 * @module
 */

import type { PageInput, PageResult } from "../types.ts";
import { serializeError } from "../trawl_error.ts";
import { type Extractor, extractPage } from "./extract_page.ts";
import { parseSelectSpec, type SelectField } from "./select_spec.ts";

/** Build the per-worker page function: select specs are parsed once here. */
export function makePageJob(
  select: readonly string[],
  extractor?: Extractor,
): (page: PageInput) => Promise<PageResult> {
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
