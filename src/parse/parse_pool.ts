/**
 * The parse pool: the general worker pool running trawl's page extraction.
 *
 * @module
 */

import type { PageInput } from "../types.ts";
import { serializeError, TrawlError } from "../trawl_error.ts";
import { resolveModuleUrl } from "./_module_url.ts";
import type { PageResult as ParsedPage } from "../types.ts";
import { parseSelectSpec } from "./select_spec.ts";
import { createWorkerPool, type LateError } from "./worker_pool.ts";

/** Options for {@linkcode createParsePool}. */
export interface ParsePoolOptions {
  /** Number of workers, started when needed (see `lazy`). @default {Math.max(1, navigator.hardwareConcurrency - 1)} */
  workers?: number;
  /** Pages that may wait for a free worker; `parse()` waits beyond that. @default {2 * workers} */
  maxQueued?: number;
  /**
   * Per-page time limit, from when a worker starts the page; past it the page
   * fails with `EXTRACT_TIMEOUT` (the CLI's `--extract-timeout`).
   * @default {10000}
   */
  extractTimeoutMs?: number;
  /**
   * Where pages are parsed: `"thread"` (Web Workers in this process) or
   * `"process"` (one `deno run` subprocess per worker, with no permissions and a
   * memory limit; see `WorkerPoolOptions.isolation`). An extractor someone else
   * wrote can exhaust a thread's memory and take the crawl down with it, so
   * `"process"` is the default when `extractModule` is set.
   * @default {extractModule ? "process" : "thread"}
   */
  isolation?: "thread" | "process";
  /**
   * Memory limit of one extraction process, MB (the CLI's `--extract-max-memory`):
   * a page whose extraction exceeds it fails with `EXTRACT_MEMORY` and the crawl
   * goes on. Only with isolation `"process"`.
   * @default {512}
   */
  extractMaxMemoryMb?: number;
  /**
   * URL prefixes the extractor's remote and `data:` imports may start with (the
   * CLI's `--allow-extractor-import`); see `checkExtractor`.
   * @default {[]}
   */
  allowExtractorImports?: readonly string[];
  /**
   * Called with an error an extractor raised after its page's result was
   * returned (a timer that throws, an exit), labelled with that page's URL when
   * known. Such an error never fails another page.
   * @default {undefined}
   */
  onLateError?: (late: LateError) => void;
  /**
   * Pages posted to one worker at once (the one it parses plus the next ones), so
   * it never idles waiting for a busy main thread. 1 turns pipelining off.
   * @default {16}
   */
  maxJobsPerWorker?: number;
  /**
   * Body bytes posted to one worker at once: big pages are posted ahead fewer at a
   * time (each one ahead is held twice until it starts). A worker with nothing to
   * do always takes the next page.
   * @default {Infinity}
   */
  maxBytesPerWorker?: number;
  /**
   * Start workers only when pages wait for them; `false` starts them at once, so the
   * first page does not wait for a worker to load.
   * @default {true}
   */
  lazy?: boolean;
  /**
   * CSS fields, `name=selector[@text|@html|@attr][[]]` (see `parseSelectSpec`).
   * The grammar is checked here; check the CSS too with `checkSelectSpecs` first.
   * @default {[]}
   */
  select?: readonly string[];
  /**
   * A module (path relative to the cwd, or URL) exporting `extract(ctx)` and/or
   * `links(ctx)`, and optionally a Standard Schema `schema`; loaded once per
   * worker, sandboxed like the workers. Its whole import graph is checked first
   * (`checkExtractor`): a refused import makes `parse()` reject with `INVALID_OPTION`.
   * @default {undefined}
   */
  extractModule?: string | URL;
  /**
   * Transfer the body's buffer to the worker instead of copying it when the page
   * goes to an idle worker; the caller's `page.body` may then be detached (empty)
   * after `parse()`. A page posted behind another on a busy worker is copied (the
   * pool keeps it to re-send should that worker die first).
   * @default {true}
   */
  transferBody?: boolean;
}

/** Options for {@linkcode ParsePool.parse}. */
export interface ParseOptions {
  /** Stop waiting for this page (rejects with `ABORTED`). @default {undefined} */
  signal?: AbortSignal;
}

/** Parses pages in sandboxed workers. Close it (or `await using` it) when done. */
export interface ParsePool {
  /**
   * Parse one page; waits while the pool is full. Page-level failures resolve
   * with `error` set (`EXTRACT_TIMEOUT`, `EXTRACT_MEMORY`, `WORKER_CRASHED`,
   * `EXTRACT_ERROR`, `BAD_SELECTOR`); failed typed checks with `invalid` set.
   * Rejects only with `POOL_CLOSED`, `ABORTED`, or `INVALID_OPTION` when workers
   * cannot start (the extractor imports something the sandbox refuses, is
   * missing, or throws while loading).
   */
  parse(page: PageInput, options?: ParseOptions): Promise<ParsedPage>;
  /** Pages held: queued plus being parsed. */
  readonly size: number;
  /** The most pages held at once: `workers + maxQueued`. */
  readonly capacity: number;
  /** Resolves when `size < capacity`: for a caller that would rather wait than hold pages itself. */
  ready(signal?: AbortSignal): Promise<void>;
  /** Reject pending pages with `POOL_CLOSED` and terminate the workers. */
  close(): Promise<void>;
  /** Same as {@linkcode ParsePool.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const PAGE_JOB = new URL("./_page_job.ts", import.meta.url).href;

/**
 * Start a parse pool (workers start on the first page).
 *
 * @example Parse a page off the main thread
 * ```ts
 * import { createParsePool } from "./parse_pool.ts";
 *
 * await using pool = createParsePool({ workers: 1, select: ["h=h1"] });
 * const result = await pool.parse({
 *   url: "https://a.test/", finalUrl: "https://a.test/", status: 200, depth: 0,
 *   headers: { "content-type": "text/html" },
 *   body: new TextEncoder().encode("<title>Hi</title><h1>Head</h1><a href=/x>x</a>"),
 * });
 * console.log(result.title, result.data, result.links.length); // "Hi" { h: "Head" } 1
 * ```
 */
export function createParsePool(options: ParsePoolOptions = {}): ParsePool {
  const select = [...(options.select ?? [])];
  select.forEach(parseSelectSpec); // bad grammar fails here, not on every page
  const extractUrl = options.extractModule === undefined
    ? null
    : resolveModuleUrl(options.extractModule);
  const src = `import { makePageJob } from ${JSON.stringify(PAGE_JOB)};\n` +
    (extractUrl ? `import * as extractor from ${JSON.stringify(extractUrl)};\n` : "") +
    `export const run = makePageJob(${JSON.stringify(select)}${
      extractUrl ? ", extractor" : ""
    });\n`;
  const isolation = options.isolation ?? (extractUrl ? "process" : "thread");
  if (options.extractMaxMemoryMb !== undefined && isolation !== "process") {
    throw new TrawlError(
      "INVALID_OPTION",
      `extractMaxMemoryMb needs isolation "process": received isolation ${
        JSON.stringify(isolation)
      }`,
    );
  }
  const pool = createWorkerPool<PageInput, ParsedPage>(
    `data:application/javascript,${encodeURIComponent(src)}`,
    {
      exportName: "run",
      workers: options.workers,
      maxQueued: options.maxQueued,
      timeoutMs: options.extractTimeoutMs,
      maxJobsPerWorker: options.maxJobsPerWorker,
      maxBytesPerWorker: options.maxBytesPerWorker,
      lazy: options.lazy,
      name: extractUrl ? `the page extractor with ${extractUrl}` : "the page extractor",
      isolation,
      maxMemoryMb: isolation === "process" ? options.extractMaxMemoryMb : undefined,
      allowImports: options.allowExtractorImports,
      checkModule: extractUrl,
      onLateError: options.onLateError,
    },
  );
  const transferBody = options.transferBody ?? true;

  return {
    async parse(page, { signal } = {}) {
      // Measured here (100 KB body): postMessage copies in ~93 us of main-thread
      // time, a transfer costs ~21 us (1 MB: 302 vs 33 us; 5 MB: 921 vs 38 us).
      // Transfer always wins, so the body's buffer is transferred whenever it is
      // the body's alone; a view into a larger (or shared) buffer is copied.
      const body = page.body;
      const whole = body.buffer instanceof ArrayBuffer && body.byteOffset === 0 &&
        body.byteLength === body.buffer.byteLength;
      const transfer = transferBody && whole ? [body.buffer as ArrayBuffer] : [];
      try {
        return await pool.run(page, {
          signal,
          transfer,
          bytes: body.byteLength,
          label: page.url,
        });
      } catch (e) {
        const code = e instanceof TrawlError ? e.code : null;
        if (code === "POOL_CLOSED" || code === "ABORTED" || code === "INVALID_OPTION") throw e;
        return failedPage(e);
      }
    },
    get size() {
      return pool.size;
    },
    get capacity() {
      return pool.capacity;
    },
    ready: (signal) => pool.ready(signal),
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}

function failedPage(error: unknown): ParsedPage {
  return {
    title: null,
    description: null,
    canonical: null,
    lang: null,
    encoding: "",
    links: [],
    data: null,
    error: serializeError(error, "EXTRACT_ERROR"),
  };
}
