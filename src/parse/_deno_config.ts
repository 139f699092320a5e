/**
 * Which Deno config (import map) and lock file this process resolves modules
 * with, so the import check and the extraction processes resolve an extractor's
 * imports exactly as the main process does. Deno discovers the config from the
 * main module's directory upwards (measured: a `deno.json` in the cwd is not
 * used when the main module lives elsewhere); a main module that is no file
 * falls back to the cwd, then to trawl's own `deno.json`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The config and lock file in force (absolute paths), each `null` when none. */
export interface DenoConfig {
  config: string | null;
  lock: string | null;
}

let cached: Promise<DenoConfig> | null = null;

/** Find the config and lock file once per process. */
export function findDenoConfig(): Promise<DenoConfig> {
  cached ??= discover();
  return cached;
}

async function discover(): Promise<DenoConfig> {
  const starts: string[] = [];
  if (Deno.mainModule.startsWith("file:")) starts.push(dirname(fileURLToPath(Deno.mainModule)));
  try {
    starts.push(Deno.cwd());
  } catch { /* no read permission: skip */ }
  const own = new URL("../../", import.meta.url);
  if (own.protocol === "file:") starts.push(fileURLToPath(own));
  for (const start of starts) {
    for (let dir = start;; dir = dirname(dir)) {
      for (const name of ["deno.json", "deno.jsonc"]) {
        const config = join(dir, name);
        if (await isFile(config)) return { config, lock: await lockOf(config) };
      }
      if (dirname(dir) === dir) break;
    }
  }
  return { config: null, lock: null };
}

async function lockOf(config: string): Promise<string | null> {
  let setting: unknown;
  try {
    setting = JSON.parse(await Deno.readTextFile(config)).lock;
  } catch { /* deno.jsonc with comments, or unreadable: the default */ }
  if (setting === false) return null;
  const path = typeof setting === "string"
    ? setting
    : typeof (setting as { path?: unknown })?.path === "string"
    ? (setting as { path: string }).path
    : "deno.lock";
  const lock = join(dirname(config), path);
  return await isFile(lock) ? lock : null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The `host:port`s of the http(s) prefixes, for `--allow-import`. */
export function importHosts(prefixes: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const prefix of prefixes) {
    const u = new URL(prefix);
    if (u.protocol === "http:" || u.protocol === "https:") {
      hosts.add(`${u.hostname}:${u.port || (u.protocol === "https:" ? "443" : "80")}`);
    }
  }
  return [...hosts];
}
