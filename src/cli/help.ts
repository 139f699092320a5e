/**
 * The `--help` text of the trawl command.
 *
 * @module
 */

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

Reads seed URLs (one per line; blank lines and # comments skipped; "-" reads stdin),
fetches them, parses each page in a sandboxed worker, and writes exactly one record
per attempted URL to stdout or --out. Progress, warnings and the summary go to stderr.

Fetching:
  -c, --concurrency N     requests in flight across all hosts            [128]
      --per-host N        requests in flight per host                    [8]
      --delay MS          minimum gap between requests to one host, ms   [0]
      --rate N/s|N/m      per-host rate cap, e.g. 5/s or 30/m            [none]
      --timeout MS        total time per request, retries included, ms   [30000]
      --retries N         retries after a failure (network, 408, 429, 5xx) [3]
      --user-agent S      User-Agent; its first word picks the robots.txt group
  -H, --header "K: V"     extra request header (repeatable)
      --proxy URL         send requests through an HTTP(S) proxy
      --no-robots         do not fetch or obey robots.txt
      --allow-private     let links and redirects reach private/loopback addresses

Following links:
      --depth N           link depth to follow from the seeds; 0 = only the seeds [0]
      --max-pages N       stop admitting URLs after N (seeds included)   [no limit]
      --max-pages-per-host N   the same, per host                     [no limit]
      --scope S           host | domain | origin | all, for followed links [host]
      --include P         follow only links matching P (glob or /regex/; repeatable)
      --exclude P         never follow links matching P (repeatable)

Extracting:
      --select name=css   a field: text of the first match; name=css@attr an attribute,
                          name=css@html inner HTML, name=css[] every match (repeatable)
      --extract ./mod.ts  a module exporting extract(ctx) (and optionally links(ctx))
      --workers N         parse workers            [CPU cores - 1, at least 1]

Output:
      --format F          jsonl | json | csv                               [jsonl]
  -o, --out FILE          write records to FILE instead of stdout
      --stats FILE        write the final stats as JSON to FILE
      --quiet             no progress line and no summary
  -h, --help              show this help

Each record: url, finalUrl, status, depth, title, fetchedAt, ms, bytes, error
({code, message} or null) and data (the --select fields or the extractor's result).

Exit status: 0 the crawl completed (failed pages are in the output), 1 a fatal error,
2 a usage error. Ctrl-C stops admitting work, finishes what is in flight, flushes the
output and prints the summary; a second Ctrl-C abandons requests in flight.

Examples:
  deno run -A cli.ts crawl urls.txt -o pages.jsonl
  deno run -A cli.ts crawl urls.txt --depth 2 --scope domain --format csv -o site.csv \\
      --select price=.price --select h1=h1
  echo https://example.com/ | deno run -A cli.ts crawl - --extract ./examples/extractor.ts
`;
