/**
 * The `--help` text of the trawl command. Every default it shows is read from
 * {@linkcode CRAWL_DEFAULTS}, so the text cannot drift from what a crawl does.
 *
 * @module
 */

import { CRAWL_DEFAULTS, type CrawlOptions } from "../crawl_options.ts";
import { DEFAULT_FORMAT } from "./parse_flags.ts";
import { REDIS_FLAG_DEFAULTS } from "./_redis_flags.ts";

/**
 * How `--help` shows an option's default: a number or string as is, `Infinity`
 * as "no limit", and no value, an empty list or object as "none".
 *
 * @example Show two defaults
 * ```ts
 * import { formatDefault } from "./help.ts";
 *
 * console.log(formatDefault(128), formatDefault(Infinity)); // "128" "no limit"
 * ```
 */
export function formatDefault(value: unknown): string {
  if (value === Infinity) return "no limit";
  if (value === undefined || value === null) return "none";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  if (typeof value === "object") return Object.keys(value).length === 0 ? "none" : "set";
  return String(value);
}

/** One line of the flag list: flags, what they do, and the default (`null` for none shown). */
type Row = [flags: string, text: string, shown: string | null];

const FLAGS_WIDTH = 28;
const TEXT_WIDTH = 51;

/** `[default]` of an option, from {@linkcode CRAWL_DEFAULTS}. */
function byDefault(option: keyof CrawlOptions, note = ""): string {
  return `${formatDefault(CRAWL_DEFAULTS[option])}${note}`;
}

function table(rows: Row[]): string {
  return rows.map(([flags, text, shown]) => {
    const head = `  ${flags.padEnd(FLAGS_WIDTH)}${text}`;
    if (shown === null) return head;
    const line = `${head.padEnd(2 + FLAGS_WIDTH + TEXT_WIDTH)} [${shown}]`;
    return line.length <= 100 ? line : `${head}\n${" ".repeat(2 + FLAGS_WIDTH)}[${shown}]`;
  }).join("\n");
}

const FETCHING: Row[] = [
  ["-c, --concurrency N", "requests in flight across all hosts", byDefault("maxInFlight")],
  ["    --per-host N", "requests in flight per host", byDefault("maxPerHost")],
  ["    --delay MS", "minimum gap between requests to one host, ms", byDefault("delayMs")],
  ["    --rate N/s|N/m|N/h", "per-host rate cap, e.g. 5/s or 30/m", byDefault("rate")],
  ["    --global-rate N/s", "rate cap over all hosts (at most 200/s)", byDefault("globalRate")],
  ["    --retries N", "retries after a failure (network, 408, 429, 5xx)", byDefault("maxRetries")],
  [
    "    --max-retry-after MS",
    "longest Retry-After waited; a longer one fails",
    byDefault("maxRetryAfterMs"),
  ],
  ["    --user-agent S", "the User-Agent header sent", byDefault("userAgent")],
  [
    "    --robots-agent TOKEN",
    "product token that picks the robots.txt group",
    byDefault("robotsAgent"),
  ],
  ['-H, --header "K: V"', "extra request header (repeatable)", null],
  ["    --proxy URL", "send requests through an HTTP(S) proxy", byDefault("proxy")],
  ["    --no-env-proxy", "ignore HTTP_PROXY, HTTPS_PROXY and NO_PROXY", "used without --proxy"],
  ["    --cookies FILE", "load cookies from FILE (Netscape cookies.txt, as curl", null],
  ["", "and wget write it) and save the jar there at the end", null],
  ["    --no-cookies", "keep no cookies (by default a jar per crawl)", "kept"],
  ["    --sitemaps", "also crawl the pages of each seed site's sitemaps", "off"],
  ["    --sitemap URL", "read this sitemap and crawl its pages (repeatable)", null],
  ["    --ignore-nofollow", "follow rel=nofollow links, extract noindex pages", "honoured"],
  [
    "    --no-robots",
    "do not fetch or obey robots.txt",
    CRAWL_DEFAULTS.robots ? "robots.txt obeyed" : "robots.txt ignored",
  ],
  [
    "    --allow-private",
    "let links and redirects reach private addresses",
    CRAWL_DEFAULTS.allowPrivate ? "allowed" : "blocked",
  ],
];

const LIMITS: Row[] = [
  [
    "    --timeout MS",
    "deadline of one attempt (retries get a new one), ms",
    byDefault("timeoutMs"),
  ],
  [
    "    --connect-timeout MS",
    "time to open a connection (TCP and TLS), ms",
    byDefault("connectTimeoutMs"),
  ],
  [
    "    --headers-timeout MS",
    "time from request sent to response headers, ms",
    byDefault("headersTimeoutMs"),
  ],
  [
    "    --body-timeout MS",
    "longest pause between two body chunks, ms",
    byDefault("bodyIdleTimeoutMs"),
  ],
  ["    --max-bytes N", "largest body in bytes; 500KB or 10MiB also work", byDefault("maxBytes")],
  [
    "    --max-redirects N",
    "redirects followed per URL; 0 follows none",
    byDefault("maxRedirects"),
  ],
  ["    --max-url-length N", "longest URL accepted, characters", byDefault("maxUrlLength")],
  [
    "    --max-idle-sockets N",
    "idle keep-alive connections kept open",
    CRAWL_DEFAULTS.maxIdleSockets === undefined ? "2 x --concurrency" : byDefault("maxIdleSockets"),
  ],
  ["    --max-queued N", "URLs waiting; new links beyond are dropped", byDefault("maxQueued")],
  ["    --max-queued-per-host N", "the same, per host", byDefault("maxQueuedPerHost")],
];

const FOLLOWING: Row[] = [
  [
    "    --depth N",
    "link depth followed from the seeds; 0 = seeds only",
    byDefault("maxDepth"),
  ],
  ["    --max-pages N", "stop admitting URLs after N (seeds included)", byDefault("maxPages")],
  ["    --max-pages-per-host N", "the same, per host", byDefault("maxPagesPerHost")],
  ["    --scope S", "host | domain | origin | all, for followed links", byDefault("scope")],
  ["    --include P", "follow only links matching P (glob or /regex/; repeatable)", null],
  ["    --exclude P", "never follow links matching P (repeatable)", null],
];

const EXTRACTING: Row[] = [
  ["    --select name=css", "a field: text of the first match; name=css@attr an", null],
  ["", "attribute, name=css@html inner HTML, name=css[] every match;", null],
  ["", "name=css:number! a typed, required field (string, number,", null],
  ["", "integer, boolean, url; ! required) (repeatable)", null],
  ["    --extract ./mod.ts", "a module exporting extract(ctx) (and optionally links(ctx)),", null],
  ["", "checked before the crawl: it may import only its own directory", null],
  ["", "and below, locked npm packages and trawl; runs in processes", null],
  ["", "with no permissions and a memory cap", null],
  [
    "    --extract-timeout MS",
    "time one page's extraction may take",
    byDefault("extractTimeoutMs"),
  ],
  ["    --extract-max-memory MB", "memory of one extraction process", "512"],
  ["    --allow-extractor-import P", "let the extractor import URLs under P (repeatable)", null],
  ["    --workers N", "parse workers", byDefault("workers", ": CPU cores - 1, at least 1")],
];

const OUTPUT: Row[] = [
  ["    --format F", "jsonl | json | csv", DEFAULT_FORMAT],
  ["-o, --out FILE", "write records to FILE instead of stdout", null],
  ["    --stats FILE", "write the final stats (and a per-host table) as JSON", null],
  ["    --report FILE", "write an HTML report (charts over time, hosts, slowest", null],
  ["", "pages, robots.txt refusals): one file, opens offline", null],
  ["    --state FILE", "keep the crawl in FILE (SQLite): kill it at any moment,", null],
  ["", "run the same command again, and it resumes; needs -o", null],
  ["    --fresh", "discard the --state file and start over", null],
  ["    --recrawl", "run the finished crawl in --state again, fetching", null],
  ["", "with If-None-Match/If-Modified-Since; each record gets", null],
  ["", "change: new, changed, unchanged or gone", null],
  ["    --changed-only", "write only new, changed and gone records", null],
  ["    --min-age DURATION", "with --state: do not refetch pages fetched less than", null],
  ["", "DURATION ago (500ms, 10s, 30m, 6h, 2d)", byDefault("minAgeMs")],
  ["-q, --quiet", "no progress line and no summary", null],
  ["-h, --help", "show this help", null],
];

const DISTRIBUTED: Row[] = [
  ["    --redis URL", "be one worker of a crawl kept in Redis", null],
  ["", "(redis://HOST:PORT/DB); the seed file may be left out", null],
  ["    --crawl NAME", "the crawl's name; every worker gives the same flags", null],
  [
    "    --lease-ms MS",
    "a worker silent this long loses its URLs to others",
    String(REDIS_FLAG_DEFAULTS.leaseMs),
  ],
  [
    "    --redis-timeout S",
    "give up after Redis is unreachable this long, s",
    String(REDIS_FLAG_DEFAULTS.timeoutMs / 1000),
  ],
  ["    --trim-records", "collect (or -o): drop records from Redis once every", null],
  ["", "collector of the crawl has them on disk", null],
  ["    --json", "status: print JSON", null],
];

/**
 * What `trawl --help` prints.
 *
 * @example Print it
 * ```ts
 * import { HELP } from "./help.ts";
 *
 * console.log(HELP.split("\n")[0]);
 * ```
 */
export const HELP = `trawl: a polite, fast web crawler.

Usage:
  deno run -A cli.ts crawl <urls.txt | -> [options]
  deno run -A cli.ts crawl [urls.txt] --redis URL --crawl NAME [options]   (one worker)
  deno run -A cli.ts collect --redis URL --crawl NAME -o FILE [--format F]
  deno run -A cli.ts status --redis URL --crawl NAME [--json]
  deno run -A cli.ts schedule <jobs.json> [--once]   (see schedule --help)
  deno run -A cli.ts jobs <jobs.json> [--json]

Reads seed URLs (one per line; blank lines and # comments skipped; "-" reads stdin),
fetches them, parses each page in a sandboxed worker, and writes exactly one record
per attempted URL to stdout or --out. Progress, warnings and the summary go to stderr.
Defaults are in [brackets].

Fetching:
${table(FETCHING)}

Timeouts and limits:
${table(LIMITS)}

Following links:
${table(FOLLOWING)}

Extracting:
${table(EXTRACTING)}

Output:
${table(OUTPUT)}

Distributed crawls (one Redis, any number of workers on any machines):
${table(DISTRIBUTED)}
A worker stores each URL's record in Redis with its ack (exactly once, whatever workers
die); "collect" writes them to FILE, resumes after a kill without loss or repeats, and
exits once the crawl is complete; a worker given -o collects itself. "status" shows
queued / leased / done / failed, live workers, the rate and the busiest hosts.

Each record: id (stable per URL), url, finalUrl, status, depth, title, fetchedAt, ms,
bytes, error ({code, message} or null) and data (the --select fields or the
extractor's result); with --state also change (against the previous run: a 304 or the
same body hash is unchanged; a 404/410, or a page no link reaches any more, is gone).

Exit status: 0 the crawl completed (failed pages are in the output), 1 a fatal error,
2 a usage error. Ctrl-C (or SIGTERM, SIGHUP) stops admitting work, finishes what is in
flight, flushes the output and prints the summary; a second one abandons requests in
flight. With --state, every URL ends with exactly one record in the output, whatever
kills the crawl and however often it is resumed.

Examples:
  deno run -A cli.ts crawl urls.txt -o pages.jsonl
  deno run -A cli.ts crawl urls.txt --depth 2 --scope domain --format csv -o site.csv \\
      --select price=.price --select h1=h1
  echo https://example.com/ | deno run -A cli.ts crawl - --extract ./examples/extractor.ts
`;

/**
 * The `--help` text of `trawl schedule`, with the job file's fields.
 *
 * @example Print it
 * ```ts
 * import { SCHEDULE_HELP } from "./help.ts";
 *
 * console.log(SCHEDULE_HELP.split("\n")[0]);
 * ```
 */
export const SCHEDULE_HELP = `trawl schedule: crawl command lines on timetables.

Usage:
  deno run -A cli.ts schedule <jobs.json>          run until SIGTERM/Ctrl-C
  deno run -A cli.ts schedule <jobs.json> --once   run every job once now, then exit
  deno run -A cli.ts jobs <jobs.json> [--json]     each job's last and next run

The job file (JSON, comments allowed; paths relative to it):
  { "jobs": [ {
      "name": "shop",                  [a-z0-9-]+, unique
      "cron": "0 */6 * * *",           5 fields, or 6 with seconds first (croner)
      "timezone": "Europe/Berlin",     IANA name [UTC]
      "overlap": "forbid",             forbid (skip a tick while a run runs) | allow
                                       (run beside it, with its own state) | replace
                                       (abort the running crawl, then run) [forbid]
      "seeds": "urls.txt",             a file, or an array of URLs
      "args": ["--depth", "2"],        crawl flags, as on the command line (crawl --help)
      "out": "out/{job}/{start}.jsonl", {job}, {start} (UTC, filename-safe), {run}
      "state": "state/shop.db",        [state/{job}.db]
      "startingDeadline": "10m",       a run missed by more than this while the scheduler
                                       was down is skipped [none: one catch-up run]
      "history": 50                    runs kept in the state file [50]
  } ] }

A job's first run crawls from its seeds; each later run recrawls its state
(--recrawl); a run that did not finish (stopped, replaced, scheduler killed) is
resumed first, into its own output. Jobs running together share one politeness per
host: the smallest --per-host and the largest --delay/--rate/Crawl-delay of the jobs
on that host hold for all of them. Each run's outcome goes to the job's state file
(see 'jobs') and one line to stderr; a failing job does not stop the others.
SIGTERM/SIGINT stop gracefully (requests in flight finish, state committed); a
second one abandons them. Exit status: 0; with --once, 1 if a run failed; 2 for an
invalid job file (the message names the job, the field and what is allowed).
`;

/**
 * The `--help` text of `trawl jobs`.
 *
 * @example Print it
 * ```ts
 * import { JOBS_HELP } from "./help.ts";
 *
 * console.log(JOBS_HELP.split("\n")[0]);
 * ```
 */
export const JOBS_HELP = `trawl jobs: each job's last run and next run.

Usage:
  deno run -A cli.ts jobs <jobs.json> [--json]

Columns: job, last start (UTC), duration, status (running, ok, failed, stopped,
aborted, interrupted), pages, new/changed/gone (incremental recrawls; - when not
reported), failed pages, next run (UTC). --json prints every field of the last run.
See 'schedule --help' for the job file.
`;
