/**
 * The files of a `crawl` command, opened and checked before anything is
 * fetched: the output (stdout or a file, cut back on resume), the settings a
 * state file is bound to, the output paths, the seed file's fingerprint and
 * hosts, and the cookie jar file.
 *
 * @module
 */

import { createCookieJar, type MemoryCookieJar } from "../cookies/cookie_jar.ts";
import { formatCookiesTxt, parseCookiesTxt } from "../cookies/cookies_txt.ts";
import { createSink, textFormat } from "../sinks/create_sink.ts";
import { createFileSink, type FileSink } from "../sinks/file_sink.ts";
import type { Sink } from "../sinks/sink.ts";
import { TrawlError } from "../trawl_error.ts";
import type { CrawlState, StateConfig } from "./_crawl_state.ts";
import type { CrawlCommand } from "./crawl_command.ts";

/**
 * The sink: stdout, or a file written by the sink itself (flushed at least every
 * second and at every stop, so a crash loses at most the last second). A resumed
 * durable crawl cuts the file back to its committed offset and appends.
 *
 * @example The output of a command without a state file
 * ```ts ignore
 * const sink = await openOutput(command, null);
 * ```
 */
export async function openOutput(
  command: CrawlCommand,
  state: CrawlState | null,
): Promise<Sink | FileSink> {
  const columns = command.options.select?.map((spec) => spec.slice(0, spec.indexOf("=")));
  if (command.out === null) {
    return createSink(command.format, Deno.stdout.writable, { closeWritable: false, columns });
  }
  const offset = state?.outputOffset ?? 0;
  const file = await Deno.open(command.out, {
    write: true,
    create: true,
    truncate: state === null,
  });
  if (state !== null) {
    const size = (await file.stat()).size;
    if (size < offset) {
      file.close();
      throw new TrawlError(
        "INVALID_OPTION",
        `--out ${command.out} holds ${size} bytes, fewer than the ${offset} the state file ` +
          `committed: it was changed since; restore it, or use --fresh to start over`,
      );
    }
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
  }
  return createFileSink(
    file,
    textFormat(command.format, { columns, resume: offset > 0, change: state !== null }),
    {
      offset,
    },
  );
}

/**
 * The settings a state file is bound to: what decides which URLs and which output,
 * the seed file included (its path, size and a hash of its first MiB; stdin cannot
 * be checked).
 *
 * @example Open the state file bound to the command's settings
 * ```ts ignore
 * const state = openCrawlState(command.state!, await stateConfig(command));
 * ```
 */
export async function stateConfig(command: CrawlCommand): Promise<StateConfig> {
  return {
    seeds: command.input === "-" ? "-" : absolute(command.input),
    "seed file": command.input === "-" ? null : await fingerprint(command.input),
    "--out": absolute(command.out!),
    "--format": command.format,
    ...crawlSettings(command.options),
  };
}

/**
 * The flags that decide which URLs a crawl visits and what its records hold: a
 * resumed crawl (`--state`) and every worker of a Redis crawl must give the same.
 *
 * @example Two workers compare their settings
 * ```ts ignore
 * const same = JSON.stringify(crawlSettings(a.options)) === JSON.stringify(crawlSettings(b.options));
 * ```
 */
export function crawlSettings(o: CrawlCommand["options"]): Record<string, unknown> {
  return {
    "--depth": o.maxDepth ?? null,
    "--scope": o.scope ?? null,
    "--include": o.include ?? [],
    "--exclude": o.exclude ?? [],
    "--select": o.select ?? [],
    "--extract": o.extractModule === undefined ? null : String(o.extractModule),
    "--max-pages": o.maxPages ?? null,
    "--max-pages-per-host": o.maxPagesPerHost ?? null,
    "--no-robots": o.robots === false,
    "--robots-agent": o.robotsAgent ?? null,
    // Seeds of their own: a resume or another worker must expand the same sitemaps.
    "--sitemaps": o.sitemaps === true ? true : null,
    "--sitemap": o.sitemapUrls ?? null,
  };
}

/**
 * What is wrong with the output, stats and state paths, checked before anything is
 * fetched (a crawl must not run for an hour to fail at its end): a missing
 * directory, a directory, the seed file itself, two outputs on one file. `null`
 * when they are fine.
 *
 * @example Refuse bad paths up front
 * ```ts ignore
 * const problem = await checkOutputs(command);
 * if (problem !== null) throw new TrawlError("INVALID_OPTION", problem);
 * ```
 */
export async function checkOutputs(command: CrawlCommand): Promise<string | null> {
  const paths: [flag: string, path: string | null][] = [
    ["--out", command.out],
    ["--stats", command.statsFile],
    ["--report", command.reportFile],
    ["--state", command.state],
    ["--cookies", command.cookiesFile],
  ];
  const input = command.input === "-" ? null : await realPath(command.input);
  const seen = new Map<string, string>();
  for (const [flag, path] of paths) {
    if (path === null) continue;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
    let dirInfo: Deno.FileInfo;
    try {
      dirInfo = await Deno.stat(dir);
    } catch (error) {
      // A missing permission is not a missing file: cli.ts names the flag to add.
      if (error instanceof Deno.errors.NotCapable) throw error;
      return `${flag} ${path}: the directory ${dir} does not exist; create it first`;
    }
    if (!dirInfo.isDirectory) return `${flag} ${path}: ${dir} is not a directory`;
    let real: string | null = null;
    try {
      const info = await Deno.stat(path);
      if (info.isDirectory) return `${flag} ${path} is a directory: give a file name`;
      real = await realPath(path);
    } catch {
      real = `${await realPath(dir)}/${path.slice(path.lastIndexOf("/") + 1)}`;
    }
    if (real !== null && real === input) {
      return `${flag} ${path} is the seed file: it would be overwritten before it is read`;
    }
    const other = real === null ? undefined : seen.get(real);
    if (other !== undefined) return `${flag} ${path} is also ${other}: give each its own file`;
    if (real !== null) seen.set(real, `${flag} ${path}`);
  }
  return null;
}

async function realPath(path: string): Promise<string | null> {
  try {
    return await Deno.realPath(path);
  } catch {
    return null;
  }
}

/**
 * `"<bytes> bytes, sha256 <hex of the first MiB>"`: enough to see a seed file that changed.
 *
 * @example Compare two seed files
 * ```ts ignore
 * const same = (await fingerprint("a.txt")) === (await fingerprint("b.txt"));
 * ```
 */
export async function fingerprint(path: string): Promise<string> {
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(2 ** 20);
    let n = 0;
    while (n < head.length) {
      const read = await file.read(head.subarray(n));
      if (read === null) break;
      n += read;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", head.subarray(0, n)));
    const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
    return `${(await file.stat()).size} bytes, sha256 ${hex}...`;
  } finally {
    file.close();
  }
}

/**
 * The first host among the seed file's first lines that this process may not
 * connect to (no `--allow-net` for it), or `null`: without the permission every
 * page would fail, so the crawl does not start.
 *
 * @example Name the missing permission
 * ```ts ignore
 * const host = await deniedSeedHost("urls.txt");
 * if (host !== null) console.error(`add --allow-net=${host}`);
 * ```
 */
export async function deniedSeedHost(input: string): Promise<string | null> {
  let head: string;
  try {
    const file = await Deno.open(input);
    try {
      const buffer = new Uint8Array(64 * 1024);
      const n = await file.read(buffer) ?? 0;
      head = new TextDecoder().decode(buffer.subarray(0, n));
    } finally {
      file.close();
    }
  } catch {
    return null; // read later, with its own message
  }
  for (const line of head.split(/\r\n|\n|\r/).slice(0, 100)) {
    const url = URL.parse(line.trim());
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
    const host = url.port === "" ? url.hostname : `${url.hostname}:${url.port}`;
    const { state } = await Deno.permissions.query({ name: "net", host });
    if (state !== "granted") return host;
  }
  return null;
}

/**
 * The jar of a cookies.txt file; an empty one when the file does not exist yet.
 *
 * @example Load, crawl, save
 * ```ts ignore
 * const jar = await loadCookies("cookies.txt");
 * await saveCookies("cookies.txt", jar);
 * ```
 */
export async function loadCookies(path: string): Promise<MemoryCookieJar> {
  const jar = createCookieJar();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return jar;
    throw new TrawlError(
      "INVALID_OPTION",
      `--cookies ${path}: cannot read it: ${(error as Error).message}`,
    );
  }
  await jar.load(parseCookiesTxt(text, path));
  return jar;
}

/**
 * Write the jar to `path` whole or not at all: a temporary file beside it, then a rename.
 *
 * @example Save the jar after a crawl
 * ```ts ignore
 * await saveCookies("cookies.txt", jar);
 * ```
 */
export async function saveCookies(path: string, jar: MemoryCookieJar): Promise<void> {
  const temp = `${path}.tmp`;
  await Deno.writeTextFile(temp, formatCookiesTxt(await jar.list()), { mode: 0o600 });
  await Deno.rename(temp, path);
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}
