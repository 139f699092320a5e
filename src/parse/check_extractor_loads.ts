/**
 * The extractor module, loaded once in a sandboxed worker before a crawl
 * starts, with a time limit: a module that cannot load, throws or never
 * finishes loading, or has no `extract` function is an `INVALID_OPTION` error
 * naming it and the fix, before anything is fetched (otherwise every page
 * would fail the same way, or the crawl would hang).
 *
 * @module
 */

import { TrawlError } from "../trawl_error.ts";
import { createWorkerPool } from "./worker_pool.ts";
import { resolveModuleUrl } from "./_module_url.ts";

/** What the module exports that the crawl uses. */
interface ExtractorExports {
  extract: boolean;
}

/**
 * Load `module` once; throws `INVALID_OPTION` when it cannot be used.
 *
 * @example Refuse a broken extractor up front
 * ```ts ignore
 * import { checkExtractorLoads } from "./check_extractor_loads.ts";
 *
 * await checkExtractorLoads("./examples/extractor.ts", { timeoutMs: 10_000 });
 * ```
 */
export async function checkExtractorLoads(
  module: string | URL,
  options: { timeoutMs: number; allowImports?: readonly string[] },
): Promise<void> {
  const url = resolveModuleUrl(module);
  // The probe imports the extractor statically: a sandboxed worker may load its module
  // graph, not import files at run time. It runs in an extraction process, as the crawl's
  // extractor does: the same sandbox, and a throw at load comes back as a message.
  const probe = "data:application/javascript," + encodeURIComponent(
    `import * as m from ${JSON.stringify(url)};\n` +
      `export function probe() { return { extract: typeof m.extract === "function" }; }\n`,
  );
  const pool = createWorkerPool<null, ExtractorExports>(probe, {
    exportName: "probe",
    workers: 1,
    name: "extractor check",
    isolation: "process",
    allowImports: options.allowImports,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let exports: ExtractorExports;
  try {
    exports = await Promise.race([
      pool.run(null),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TrawlError("EXTRACT_TIMEOUT", "load timed out")),
          options.timeoutMs,
        );
      }),
    ]);
  } catch (cause) {
    const e = cause as TrawlError;
    const why = e.code === "EXTRACT_TIMEOUT"
      ? `it did not finish loading within ${options.timeoutMs} ms (a loop or a wait at the top ` +
        `level?); raise --extract-timeout if it is only slow`
      : `it fails to load: ${e.message}`;
    throw new TrawlError("INVALID_OPTION", `--extract ${module}: ${why}`, { cause });
  } finally {
    clearTimeout(timer);
    await pool.close();
  }
  if (!exports.extract) {
    throw new TrawlError(
      "INVALID_OPTION",
      `--extract ${module}: the module has no extract function; export one: ` +
        `export function extract(ctx) { return { title: ctx.$("h1").text() }; }`,
    );
  }
}
