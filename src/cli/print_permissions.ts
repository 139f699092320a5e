/**
 * `crawl ... --print-permissions`: the `deno run` command with the narrowest
 * permission flags for that crawl, instead of `-A`.
 *
 * - `--allow-net`: the seed hosts (and a proxy's) when the scope keeps the crawl
 *   on them (`host`, `origin`); any host for `domain` and `all`, or past 100
 *   seed hosts.
 * - `--allow-read`: trawl's own directory (its workers load from there), the seed
 *   file, the extractor, the cookie file, and the directories of the outputs
 *   (they are checked before the crawl).
 * - `--allow-write`: exactly the output, stats, report, state (with SQLite's
 *   `-wal`, `-shm` and `-journal` files) and cookie files.
 * - `--allow-env`: undici reads the environment as it loads; so do the proxy
 *   variables.
 * - `--allow-run`: the `deno` binary, for `--extract` (extractors run in
 *   subprocesses).
 *
 * @module
 */

import type { CrawlCommand } from "./crawl_command.ts";

/** Seed hosts past which `--allow-net` is given whole. */
const MAX_NET_HOSTS = 100;

/**
 * The narrowest `deno run` command line for `command` (`args`: the command line
 * as given, `--print-permissions` dropped).
 *
 * @example Print it
 * ```ts ignore
 * import { parseFlags } from "./parse_flags.ts";
 * import { permissionsCommand } from "./print_permissions.ts";
 *
 * const args = ["crawl", "urls.txt", "-o", "out.jsonl"];
 * const command = parseFlags(args);
 * if (command.kind === "crawl") console.log(await permissionsCommand(command, args));
 * ```
 */
export async function permissionsCommand(command: CrawlCommand, args: string[]): Promise<string> {
  const cli = new URL("../../cli.ts", import.meta.url).pathname;
  const home = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
  const o = command.options;
  const flags: string[] = [];

  const hosts = o.scope === "domain" || o.scope === "all" ? null : await seedHosts(command.input);
  for (const proxy of [o.proxy, ...envProxies()]) {
    if (proxy !== undefined && hosts !== null) hosts.add(hostPort(new URL(proxy)));
  }
  flags.push(
    hosts === null || hosts.size === 0 ? "--allow-net" : `--allow-net=${[...hosts].join(",")}`,
  );

  const outputs = [
    command.out,
    command.statsFile,
    command.reportFile,
    command.state,
    command.cookiesFile,
  ]
    .filter((p): p is string => p !== null).map(absolute);
  const read = new Set([home]);
  if (command.input !== "-") read.add(absolute(command.input));
  if (o.extractModule !== undefined && !String(o.extractModule).includes(":")) {
    read.add(absolute(String(o.extractModule)));
  }
  for (const path of outputs) read.add(dirOf(path));
  if (command.cookiesFile !== null) read.add(absolute(command.cookiesFile));
  flags.push(`--allow-read=${[...read].join(",")}`);

  const write = new Set<string>();
  for (const path of [command.out, command.statsFile, command.reportFile]) {
    if (path !== null) write.add(absolute(path));
  }
  if (command.state !== null) {
    const state = absolute(command.state);
    for (const suffix of ["", "-wal", "-shm", "-journal"]) write.add(state + suffix);
  }
  if (command.cookiesFile !== null) {
    const cookies = absolute(command.cookiesFile);
    write.add(cookies);
    write.add(`${cookies}.tmp`);
  }
  if (write.size > 0) flags.push(`--allow-write=${[...write].join(",")}`);
  flags.push("--allow-env");
  if (o.extractModule !== undefined) flags.push(`--allow-run=${Deno.execPath()}`);
  const rest = args.filter((arg) => arg !== "--print-permissions");
  return ["deno", "run", ...flags, cli, ...rest].map(quote).join(" ");
}

/** The `host:port` of each http(s) seed (up to the limit); `null` past it or for stdin. */
async function seedHosts(input: string): Promise<Set<string> | null> {
  if (input === "-") return null;
  const hosts = new Set<string>();
  const text = await Deno.readTextFile(input);
  for (const line of text.split(/\r\n|\n|\r/)) {
    const url = URL.parse(line.trim());
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
    hosts.add(hostPort(url));
    if (hosts.size > MAX_NET_HOSTS) return null;
  }
  return hosts;
}

function hostPort(url: URL): string {
  return url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
}

function envProxies(): (string | undefined)[] {
  try {
    return ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"].map((name) =>
      Deno.env.get(name) || undefined
    );
  } catch {
    return [];
  }
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** Quote an argument for a POSIX shell when it needs it. */
function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
