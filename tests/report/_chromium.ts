/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on
 * loopback, for the report tests: open a file:// page, collect console errors,
 * uncaught exceptions and every request the page made, evaluate an expression,
 * take a full-page screenshot. Chromium is kept off the network: a proxy on a
 * closed loopback port, every host name unresolvable, no background services.
 *
 * @module
 */

/** What the page did while it loaded and ran. */
export interface PageVisit {
  /** Console errors, uncaught exceptions and browser log errors (CSP violations, failed loads). */
  errors: string[];
  /** Every URL the page requested, the page itself included. */
  requests: string[];
  /** The value of the expression given to {@linkcode visitPage}. */
  value: unknown;
  /** A PNG of the whole page. */
  screenshot: Uint8Array;
}

/** Options of {@linkcode visitPage}. */
export interface VisitOptions {
  /** A JavaScript expression evaluated once the page loaded (awaited if it is a promise). */
  evaluate: string;
  /** Viewport width, px. @default {1280} */
  width?: number;
  /** Give up after this long, ms. @default {15000} */
  timeoutMs?: number;
}

const OFFLINE_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-sync",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--metrics-recording-only",
  "--no-pings",
  // Belt and braces: whatever still tried to go out finds no proxy and no DNS.
  "--proxy-server=http://127.0.0.1:9",
  "--proxy-bypass-list=<-loopback>",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/** Open `url` in a fresh headless Chromium, run `evaluate`, screenshot, close. */
export async function visitPage(url: string, options: VisitOptions): Promise<PageVisit> {
  const width = options.width ?? 1280;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const profile = await Deno.makeTempDir({ prefix: "trawl-chromium-" });
  const child = new Deno.Command("chromium", {
    args: [
      ...OFFLINE_FLAGS,
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--window-size=${width},900`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const browserWs = await devtoolsUrl(child.stderr, signal);
    const port = new URL(browserWs).port;
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`, { signal })).json();
    const page = targets.find((t: { type: string }) => t.type === "page");
    const cdp = await Cdp.connect(page.webSocketDebuggerUrl, signal);
    try {
      return await visit(cdp, url, options.evaluate, width);
    } finally {
      cdp.close();
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function visit(cdp: Cdp, url: string, expression: string, width: number): Promise<PageVisit> {
  const errors: string[] = [];
  const requests: string[] = [];
  cdp.on("Runtime.consoleAPICalled", (p) => {
    if (p.type === "error" || p.type === "assert") {
      errors.push(
        `console.${p.type}: ${p.args.map((a: { value?: unknown }) => String(a.value)).join(" ")}`,
      );
    }
  });
  cdp.on("Runtime.exceptionThrown", (p) => {
    errors.push(
      `exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`,
    );
  });
  cdp.on("Log.entryAdded", (p) => {
    if (p.entry.level === "error") errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`);
  });
  cdp.on("Network.requestWillBeSent", (p) => requests.push(p.request.url));
  await cdp.send("Runtime.enable");
  await cdp.send("Log.enable");
  await cdp.send("Network.enable");
  await cdp.send("Page.enable");
  const loaded = cdp.once("Page.loadEventFired");
  await cdp.send("Page.navigate", { url });
  await loaded;
  const result = await cdp.send("Runtime.evaluate", {
    expression,
    awaitPromise: true,
    returnByValue: true,
  });
  if (result.exceptionDetails) errors.push(`evaluate: ${result.exceptionDetails.text}`);
  const metrics = await cdp.send("Page.getLayoutMetrics");
  const height = Math.ceil(metrics.cssContentSize.height);
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width,
    height,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const shot = await cdp.send("Page.captureScreenshot", { format: "png" });
  const screenshot = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
  return { errors, requests, value: result.result.value, screenshot };
}

/** The `ws://` URL Chromium prints on stderr; the rest of stderr is drained. */
async function devtoolsUrl(
  stderr: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const onAbort = () => reader.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium exited before listening: ${text.slice(-500)}`);
      text += value;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        // Keep reading so Chromium never blocks on a full stderr pipe.
        (async () => {
          while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
        })();
        return match[1]!;
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

// deno-lint-ignore no-explicit-any
type Params = any;

/** A minimal DevTools protocol client: commands with ids, events by name. */
class Cdp {
  #ws: WebSocket;
  #signal: AbortSignal;
  #id = 0;
  #pending = new Map<number, { resolve: (v: Params) => void; reject: (e: Error) => void }>();
  #listeners = new Map<string, ((p: Params) => void)[]>();

  private constructor(ws: WebSocket, signal: AbortSignal) {
    this.#ws = ws;
    this.#signal = signal;
    ws.onmessage = (e) => {
      const message = JSON.parse(e.data);
      if (message.id !== undefined) {
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(`CDP: ${message.error.message}`));
        else waiter?.resolve(message.result);
      } else for (const fn of this.#listeners.get(message.method) ?? []) fn(message.params);
    };
  }

  static connect(url: string, signal: AbortSignal): Promise<Cdp> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws, signal));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Params = {}): Promise<Params> {
    const id = ++this.#id;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return this.#within(
      new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject })),
      method,
    );
  }

  on(method: string, fn: (p: Params) => void): void {
    this.#listeners.set(method, [...(this.#listeners.get(method) ?? []), fn]);
  }

  once(method: string): Promise<Params> {
    return this.#within(new Promise((resolve) => this.on(method, resolve)), method);
  }

  #within<T>(promise: Promise<T>, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new Error(`chromium: timed out waiting for ${what}`));
      if (this.#signal.aborted) return onAbort();
      this.#signal.addEventListener("abort", onAbort, { once: true });
      promise.then(resolve, reject).finally(() =>
        this.#signal.removeEventListener("abort", onAbort)
      );
    });
  }

  close(): void {
    this.#ws.close();
  }
}
