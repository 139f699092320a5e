import assert from "node:assert/strict";
import { CRAWL_DEFAULTS, type CrawlOptions, resolveCrawlOptions } from "../../src/crawl_options.ts";
import { formatDefault, HELP } from "../../src/cli/help.ts";
import { OPTION_FLAGS } from "../../src/cli/parse_flags.ts";
import type { FrontierStore } from "../../src/frontier/frontier_store.ts";
import type { HostPolicy } from "../../src/policy/host_policy.ts";

type Bad = [value: unknown, error: typeof RangeError | typeof TypeError, message: RegExp];

/**
 * Bad values of every option, each with the error it must raise at once and what its
 * message must say (the option, the rule, the value). Typed as a full record, so an
 * option added to CrawlOptions without a row here does not compile.
 */
const BAD: Record<keyof CrawlOptions, Bad[]> = {
  maxInFlight: [
    [0, RangeError, /^maxInFlight must be an integer >= 1: received 0$/],
    [2.5, RangeError, /^maxInFlight must be an integer >= 1: received 2\.5$/],
    ["64", TypeError, /^maxInFlight must be a number: received "64"$/],
  ],
  maxPerHost: [
    [0, RangeError, /^maxPerHost must be an integer >= 1: received 0$/],
    [Infinity, RangeError, /^maxPerHost must be an integer >= 1: received Infinity$/],
  ],
  delayMs: [
    [NaN, RangeError, /^delayMs must be a number of ms >= 0 and <= 2147483647: received NaN$/],
    [-1, RangeError, /^delayMs must be .*received -1$/],
    [2 ** 31, RangeError, /^delayMs must be .*<= 2147483647: received 2147483648$/],
  ],
  rate: [
    [
      { requests: 0, perMs: 1000 },
      RangeError,
      /^rate\.requests must be a finite number > 0: received 0$/,
    ],
    [
      { requests: Infinity, perMs: 1000 },
      RangeError,
      /^rate\.requests must be .*received Infinity$/,
    ],
    [
      { requests: 5, perMs: 0 },
      RangeError,
      /^rate\.perMs must be a number of ms > 0 .*received 0$/,
    ],
    [
      { requests: 5, per: 1000 },
      TypeError,
      /^rate\.per is not a known option: did you mean rate\.perMs\?$/,
    ],
    [{ requests: 1e-10, perMs: 1000 }, RangeError, /^rate must leave a gap perMs \/ requests/],
    ["5/s", TypeError, /^rate must be an object \{requests, perMs\}: received "5\/s"$/],
  ],
  globalRate: [
    [
      { requests: 201, perMs: 1000 },
      RangeError,
      /^globalRate must be at most 200 requests per second.*received 201 per 1000 ms$/,
    ],
    [{ requests: NaN, perMs: 1000 }, RangeError, /^globalRate\.requests must be .*received NaN$/],
  ],
  timeoutMs: [
    [0, RangeError, /^timeoutMs must be a number of ms > 0 and <= 2147483647: received 0$/],
    [Infinity, RangeError, /^timeoutMs must be .*received Infinity$/],
  ],
  connectTimeoutMs: [[0, RangeError, /^connectTimeoutMs must be a number of ms > 0.*received 0$/]],
  headersTimeoutMs: [[
    -5,
    RangeError,
    /^headersTimeoutMs must be a number of ms > 0.*received -5$/,
  ]],
  bodyIdleTimeoutMs: [[
    NaN,
    RangeError,
    /^bodyIdleTimeoutMs must be a number of ms > 0.*received NaN$/,
  ]],
  maxRetries: [[-1, RangeError, /^maxRetries must be an integer >= 0: received -1$/]],
  maxRetryAfterMs: [[-1, RangeError, /^maxRetryAfterMs must be a number of ms >= 0.*received -1$/]],
  maxRedirects: [[1.5, RangeError, /^maxRedirects must be an integer >= 0: received 1\.5$/]],
  maxUrlLength: [[0, RangeError, /^maxUrlLength must be an integer >= 1: received 0$/]],
  maxBytes: [
    [Infinity, RangeError, /^maxBytes must be an integer >= 1: received Infinity$/],
    [0, RangeError, /^maxBytes must be an integer >= 1: received 0$/],
  ],
  maxIdleSockets: [[-1, RangeError, /^maxIdleSockets must be an integer >= 0: received -1$/]],
  maxDepth: [[NaN, RangeError, /^maxDepth must be an integer >= 0: received NaN$/]],
  maxPages: [[0, RangeError, /^maxPages must be an integer >= 1 or Infinity: received 0$/]],
  maxPagesPerHost: [[-Infinity, RangeError, /^maxPagesPerHost must be .*received -Infinity$/]],
  maxQueued: [[0, RangeError, /^maxQueued must be an integer >= 1 or Infinity: received 0$/]],
  maxQueuedPerHost: [
    [1.5, RangeError, /^maxQueuedPerHost must be an integer >= 1 or Infinity: received 1.5$/],
  ],
  scope: [
    ["planet", RangeError, /^scope must be one of host, domain, origin, all: received "planet"$/],
    [1, TypeError, /^scope must be a string: received 1$/],
  ],
  include: [
    [["/(/"], RangeError, /^include must be globs or \/regex\/ patterns that compile: .*"\/\(\/"/],
    ["*/blog/*", TypeError, /^include must be an array of strings: received "\*\/blog\/\*"$/],
  ],
  exclude: [
    [[""], RangeError, /^exclude must be globs or \/regex\/ patterns that compile: .*empty glob/],
    [[1], TypeError, /^exclude\[0\] must be a string: received 1$/],
  ],
  select: [
    [["broken"], RangeError, /^select must be specs name=selector.*"broken": missing "="/],
    [["a=h1", "a=h2"], RangeError, /^select must name each field once: received "a" twice/],
  ],
  extractTimeoutMs: [[0, RangeError, /^extractTimeoutMs must be a number of ms > 0/]],
  extractMaxMemoryMb: [[
    8,
    RangeError,
    /^extractMaxMemoryMb must be an integer >= 16: received 8$/,
  ]],
  allowExtractorImports: [[
    "https://x/",
    TypeError,
    /^allowExtractorImports must be an array of strings/,
  ]],
  extractModule: [
    ["", RangeError, /^extractModule must be a path or URL: received ""$/],
    [42, TypeError, /^extractModule must be a string or a URL: received 42$/],
  ],
  workers: [[0, RangeError, /^workers must be an integer >= 1: received 0$/]],
  userAgent: [
    ["", RangeError, /^userAgent must be a non-empty string: received ""$/],
    ["bot\r\nX-Evil: 1", RangeError, /^userAgent must be a header value without CR, LF or NUL/],
  ],
  robotsAgent: [
    [
      "Mozilla/5.0",
      RangeError,
      /^robotsAgent must be a product token \(letters, digits, _ and -\): received "Mozilla\/5.0"$/,
    ],
    [7, TypeError, /^robotsAgent must be a string: received 7$/],
  ],
  headers: [
    [{ "bad name": "x" }, RangeError, /^headers must have HTTP token names: received "bad name"$/],
    [{ "x-a": 1 }, TypeError, /^headers\["x-a"\] must be a string: received 1$/],
    [["x-a: 1"], TypeError, /^headers must be an object of name: value: received an array of 1$/],
  ],
  proxy: [
    ["socks5://127.0.0.1:1080", RangeError, /^proxy must be an http: or https: URL.*"socks5:/],
    ["not a url", RangeError, /^proxy must be an http: or https: URL.*"not a url"$/],
  ],
  envProxy: [["yes", TypeError, /^envProxy must be a boolean: received "yes"$/]],
  cookies: [[0, TypeError, /^cookies must be a boolean: received 0$/]],
  ignoreNofollow: [[1, TypeError, /^ignoreNofollow must be a boolean: received 1$/]],
  sitemaps: [["yes", TypeError, /^sitemaps must be a boolean: received "yes"$/]],
  sitemapUrls: [[
    ["ftp://x/s.xml"],
    RangeError,
    /^sitemapUrls must be http\(s\) URLs: received "ftp:\/\/x\/s\.xml"$/,
  ]],
  cookieJar: [[{ store() {} }, TypeError, /^cookieJar must be a CookieJar .*without cookieHeader/]],
  robots: [["no", TypeError, /^robots must be a boolean: received "no"$/]],
  allowPrivate: [[1, TypeError, /^allowPrivate must be a boolean: received 1$/]],
  store: [
    [
      { take() {} },
      TypeError,
      /^store must be a FrontierStore \(methods .*\): received an object without add, done/,
    ],
    [null, TypeError, /^store must be a FrontierStore .*received null/],
  ],
  hostPolicy: [
    [{ acquire() {} }, TypeError, /^hostPolicy must be a HostPolicy .*without tryAcquire, release/],
  ],
  history: [
    [{ reach() {} }, TypeError, /^history must be a PageHistory .*without startRun, remember/],
  ],
  minAgeMs: [
    [-1, RangeError, /^minAgeMs must be a finite number >= 0: received -1$/],
    [Infinity, RangeError, /^minAgeMs must be a finite number >= 0: received Infinity$/],
  ],
  signal: [[
    new AbortController(),
    TypeError,
    /^signal must be an AbortSignal: received an AbortController$/,
  ]],
  onWarning: [["log", TypeError, /^onWarning must be a function: received "log"$/]],
  onEvent: [[{}, TypeError, /^onEvent must be a function: received an object$/]],
};

Deno.test("crawl options: a bad value of every option throws at once, naming the option, the rule and the value", () => {
  assert.deepEqual(
    Object.keys(BAD).sort(),
    Object.keys(CRAWL_DEFAULTS).sort(),
    "every option has bad values",
  );
  for (const [option, cases] of Object.entries(BAD)) {
    for (const [value, type, message] of cases) {
      assert.throws(
        () => resolveCrawlOptions({ [option]: value }),
        (error: unknown) => {
          assert.ok(error instanceof type, `${option}: ${error} is a ${type.name}`);
          assert.match((error as Error).message, message);
          return true;
        },
        `${option}: ${String(value)}`,
      );
    }
  }
});

Deno.test("crawl options: an unknown key is a TypeError suggesting the closest option", () => {
  const suggestions: [string, string][] = [
    ["maxInflight", "maxInFlight"],
    ["perHost", "maxPerHost"],
    ["timeout", "timeoutMs"],
    ["concurrency", "maxInFlight"],
    ["max-pages", "maxPages"],
    ["extract", "extractModule"],
  ];
  for (const [key, closest] of suggestions) {
    assert.throws(
      () => resolveCrawlOptions({ [key]: 1 } as CrawlOptions),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message === `${key} is not a known option: did you mean ${closest}?`,
    );
  }
  assert.throws(() => resolveCrawlOptions(null as unknown as CrawlOptions), TypeError);
});

Deno.test("crawl options: defaults come from CRAWL_DEFAULTS and match the documented values", () => {
  assert.ok(Object.isFrozen(CRAWL_DEFAULTS));
  const resolved = resolveCrawlOptions({});
  assert.ok(Object.isFrozen(resolved));
  assert.deepEqual(resolved, CRAWL_DEFAULTS);
  // `undefined` is "not given".
  assert.deepEqual(resolveCrawlOptions({ maxPerHost: undefined, rate: undefined }), CRAWL_DEFAULTS);
  assert.deepEqual(
    { ...CRAWL_DEFAULTS, include: [...CRAWL_DEFAULTS.include] },
    {
      maxInFlight: 128,
      maxPerHost: 8,
      delayMs: 0,
      rate: undefined,
      globalRate: undefined,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      headersTimeoutMs: 20_000,
      bodyIdleTimeoutMs: 20_000,
      maxRetries: 3,
      maxRetryAfterMs: 600_000,
      maxRedirects: 10,
      maxUrlLength: 2083,
      maxBytes: 10_485_760,
      maxIdleSockets: undefined,
      maxDepth: 0,
      maxPages: Infinity,
      maxPagesPerHost: Infinity,
      maxQueued: 1_000_000,
      maxQueuedPerHost: 100_000,
      scope: "host",
      include: [],
      exclude: [],
      select: [],
      extractModule: undefined,
      extractTimeoutMs: 10_000,
      extractMaxMemoryMb: undefined,
      allowExtractorImports: [],
      workers: Math.max(1, navigator.hardwareConcurrency - 1),
      userAgent: "trawl/0.1 (+https://github.com/trawl)",
      robotsAgent: "trawl",
      headers: {},
      proxy: undefined,
      envProxy: true,
      cookies: true,
      cookieJar: undefined,
      ignoreNofollow: false,
      sitemaps: false,
      sitemapUrls: [],
      robots: true,
      allowPrivate: false,
      store: undefined,
      hostPolicy: undefined,
      history: undefined,
      minAgeMs: 0,
      signal: undefined,
      onWarning: undefined,
      onEvent: undefined,
    },
  );
});

Deno.test("crawl options: good values are kept, and lists are copies the caller cannot change later", () => {
  const store = {
    owner: "test",
    add: () => Promise.resolve({ added: [], overLimit: 0, admitted: 0 }),
    take: () => Promise.resolve([]),
    done: () => Promise.resolve(true),
    release: () => Promise.resolve(true),
    renew: () => Promise.resolve(true),
    counts: () => Promise.resolve({ seen: 0, admitted: 0, queued: 0, leased: 0, done: 0 }),
    addScopeKeys: () => Promise.resolve(),
    scopeKeys: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  } satisfies FrontierStore;
  const hostPolicy = {
    tryAcquire: () => Promise.resolve(null),
    acquire: (host: string) => Promise.resolve({ host, kind: "page" as const }),
    release: () => Promise.resolve(),
    robotsKnown: () => Promise.resolve(),
    blockedHosts: () => Promise.resolve(new Set<string>()),
    nextReadyMs: () => null,
    close: () => Promise.resolve(),
  } satisfies HostPolicy;
  const include = ["https://a.test/*", "/\\/docs\\//i"];
  const signal = new AbortController().signal;
  const extract = new URL("file:///tmp/extract.ts");
  const resolved = resolveCrawlOptions({
    maxPages: Infinity,
    rate: { requests: 0.5, perMs: 1000 },
    globalRate: { requests: 200, perMs: 1000 },
    delayMs: 12.5,
    maxRetries: 0,
    maxRedirects: 0,
    maxRetryAfterMs: 0,
    maxIdleSockets: 0,
    include,
    select: ["title=title", "links=a@href[]"],
    extractModule: extract,
    headers: { "X-Token": "abc" },
    proxy: "https://127.0.0.1:3128",
    store,
    hostPolicy,
    signal,
    onEvent: () => {},
  });
  include.push("https://b.test/*");
  assert.deepEqual(resolved.include, ["https://a.test/*", "/\\/docs\\//i"]);
  assert.equal(resolved.maxPages, Infinity);
  assert.deepEqual(resolved.rate, { requests: 0.5, perMs: 1000 });
  assert.equal(resolved.delayMs, 12.5);
  assert.equal(resolved.maxRedirects, 0);
  assert.equal(resolved.maxIdleSockets, 0);
  assert.equal(resolved.extractModule, extract);
  assert.deepEqual(resolved.headers, { "X-Token": "abc" });
  assert.equal(resolved.store, store);
  assert.equal(resolved.hostPolicy, hostPolicy);
  assert.equal(resolved.signal, signal);
});

Deno.test("help: shows every flag and each default read from CRAWL_DEFAULTS", () => {
  const lines = HELP.split("\n");
  /** The help entry of a flag: its line and, when the default wrapped, the next one. */
  const entry = (flag: string) => {
    const i = lines.findIndex((line) => new RegExp(`^ +(-\\w, )?${flag}( |$)`).test(line));
    assert.ok(i >= 0, `--help lists ${flag}`);
    return `${lines[i]} ${lines[i + 1]?.startsWith(" ".repeat(20)) ? lines[i + 1].trim() : ""}`;
  };
  // Lists and headers add to an empty default; there is nothing to show for them.
  const noDefaultShown = new Set([
    "include",
    "exclude",
    "select",
    "headers",
    "extractModule",
    "allowExtractorImports",
    "cookieJar",
    "sitemapUrls",
  ]);
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    if (flag === null) continue;
    const text = entry(flag);
    if (noDefaultShown.has(option)) continue;
    const value = CRAWL_DEFAULTS[option as keyof CrawlOptions];
    if (option === "robots") assert.match(text, /\[robots\.txt obeyed\]/);
    else if (option === "allowPrivate") assert.match(text, /\[blocked\]/);
    else if (option === "envProxy") assert.match(text, /\[used without --proxy\]/);
    else if (option === "cookies") assert.match(text, /\[kept\]/);
    else if (option === "ignoreNofollow") assert.match(text, /\[honoured\]/);
    else if (option === "sitemaps") assert.match(text, /\[off\]/);
    else if (option === "maxIdleSockets") assert.match(text, /\[2 x --concurrency\]/);
    // The parse pool's own default (only with --extract, in extraction processes).
    else if (option === "extractMaxMemoryMb") assert.match(text, /\[512\]/);
    else assert.ok(text.includes(`[${formatDefault(value)}`), `${flag} shows its default: ${text}`);
  }
  // The values themselves, as a reader sees them.
  assert.match(entry("--concurrency"), /\[128\]/);
  assert.match(entry("--timeout"), /\[30000\]/);
  assert.match(entry("--max-bytes"), /\[10485760\]/);
  assert.match(entry("--connect-timeout"), /\[10000\]/);
  assert.match(entry("--max-retry-after"), /\[600000\]/);
  assert.match(entry("--max-pages"), /\[no limit\]/);
  assert.match(entry("--user-agent"), /\[trawl\/0\.1 \(\+https:\/\/github\.com\/trawl\)\]/);
  assert.match(entry("--workers"), new RegExp(`\\[${CRAWL_DEFAULTS.workers}: CPU cores - 1`));
});
