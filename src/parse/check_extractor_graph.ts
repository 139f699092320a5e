/**
 * The sandbox's guard: an extractor's whole module graph is resolved and checked
 * before any worker loads it.
 *
 * Why a check is needed at all: a worker (or process) started with no
 * permissions still loads every module its graph names statically, and that
 * includes literal `import("...")` calls and import attributes
 * (`import t from "/etc/passwd" with { type: "text" }`): Deno's module loader
 * reads those with the main process's rights, not the worker's. Only imports
 * computed at run time are checked against the worker's (absent) permissions.
 *
 * The promise, exactly. An extractor module at `DIR/x.ts` may load:
 * - files under `DIR` (real paths, so a symlink pointing out of `DIR` is
 *   refused), as code or with `type: "text" | "bytes" | "json"` attributes,
 *   except files under a hidden (dot) directory or named with a leading dot;
 * - trawl's own modules (`mod.ts` and `src/` of this package), as code only;
 * - npm packages listed in the lock file in force, as code only, with no `.`/`..`
 *   segment in the subpath;
 * - `node:` built-ins (they run with the worker's permissions: none);
 * - remote (`http:`, `https:`, `jsr:`) and `data:` modules only when the full
 *   specifier starts with an `allowImports` prefix; their own imports are
 *   checked by the same rules.
 * Anything else, an import that cannot be resolved, or a module that cannot be
 * loaded is refused before the crawl starts (`INVALID_OPTION` naming the
 * importing module, the line, and the import). Imports computed at run time
 * (`import(name)`, `new Worker(url)`, `fetch(import.meta.url)`, `Deno.cwd()`-based
 * paths) are refused by the workers' permissions. Not covered: whatever the
 * user placed in `DIR` (a hard link there to a secret is readable; keep an
 * extractor you did not write in a directory of its own, not in `$HOME`).
 *
 * @module
 */

import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { TrawlError } from "../trawl_error.ts";
import { findDenoConfig, importHosts } from "./_deno_config.ts";
import { resolveModuleUrl } from "./_module_url.ts";

/** Options for {@linkcode checkExtractor}. */
export interface CheckExtractorOptions {
  /**
   * URL prefixes remote (`http:`, `https:`, `jsr:`) and `data:` imports may start
   * with (the CLI's `--allow-extractor-import`). Remote hosts named here are
   * fetched by the check itself (and cached), no others.
   * @default {[]}
   */
  allowImports?: readonly string[];
}

/** What {@linkcode checkExtractor} found. */
export interface ExtractorCheck {
  /** The extractor module's URL. */
  url: string;
  /** The directory (real path, or URL for a remote extractor) its files may come from. */
  directory: string;
  /** Every module its workers will load (code and attribute imports), in graph order. */
  modules: string[];
}

interface InfoDependency {
  specifier: string;
  code?: { specifier?: string; error?: string; span?: { start: { line: number } } };
  assertionType?: string;
}

interface InfoModule {
  specifier: string;
  kind?: string;
  error?: string;
  dependencies?: InfoDependency[];
}

interface Info {
  roots: string[];
  modules: InfoModule[];
  redirects: Record<string, string>;
}

type Place =
  | { kind: "directory"; follow: string; real: string }
  | { kind: "trawl" | "remote"; follow: string }
  | { kind: "npm" | "node" }
  | { kind: "refused"; reason: string };

const checks = new Map<string, Promise<ExtractorCheck>>();

/**
 * Resolve and check an extractor's whole module graph (see the module doc for
 * the rules). Runs `deno info` once (a subprocess: no network unless
 * `allowImports` names hosts, no lock file written); the result is memoized per
 * module and prefixes for the life of the process. Throws `TrawlError`
 * `INVALID_OPTION` listing every refused import.
 *
 * @example Refuse an extractor that reads a file outside its directory
 * ```ts
 * import { checkExtractor } from "./check_extractor_graph.ts";
 *
 * try {
 *   await checkExtractor("./extractors/shop.ts");
 * } catch (e) {
 *   console.error((e as Error).message); // ... imports "/etc/passwd" ... outside ...
 * }
 * ```
 */
export function checkExtractor(
  module: string | URL,
  options: CheckExtractorOptions = {},
): Promise<ExtractorCheck> {
  let prefixes: string[];
  let url: string;
  try {
    prefixes = validateImportPrefixes(options.allowImports ?? []);
    url = resolveModuleUrl(module);
  } catch (e) {
    return Promise.reject(e);
  }
  const key = JSON.stringify([url, prefixes]);
  let check = checks.get(key);
  if (!check) {
    check = runCheck(url, prefixes);
    checks.set(key, check);
    check.catch(() => checks.delete(key)); // a fixed extractor is checked again
  }
  return check;
}

/**
 * Check `allowImports` prefixes (sync), returning them sorted. Throws `TrawlError`
 * `INVALID_OPTION` naming the first bad one.
 *
 * @example Validate --allow-extractor-import values
 * ```ts
 * import { validateImportPrefixes } from "./check_extractor_graph.ts";
 *
 * validateImportPrefixes(["https://esm.sh/zod@4"]); // ok
 * ```
 */
export function validateImportPrefixes(prefixes: readonly string[]): string[] {
  for (const prefix of prefixes) {
    let scheme = "";
    try {
      scheme = new URL(prefix).protocol;
    } catch { /* reported below */ }
    if (!["http:", "https:", "jsr:", "data:"].includes(scheme)) {
      throw new TrawlError(
        "INVALID_OPTION",
        `allowImports entries must be http:, https:, jsr: or data: URL prefixes: received ${
          JSON.stringify(prefix)
        }`,
      );
    }
  }
  return [...prefixes].sort();
}

async function runCheck(url: string, prefixes: string[]): Promise<ExtractorCheck> {
  const refuse = (why: string) =>
    new TrawlError("INVALID_OPTION", `extractor ${url} cannot be sandboxed: ${why}`);
  const allowed = (specifier: string) => prefixes.some((p) => specifier.startsWith(p));
  let directory: string;
  let remoteRoot = false;
  if (url.startsWith("file:")) {
    const path = fileURLToPath(url);
    try {
      directory = await Deno.realPath(dirname(path));
      if (!inside(await Deno.realPath(path), directory)) {
        throw refuse(`the module is a link to a file outside its directory ${directory}`);
      }
    } catch (e) {
      if (e instanceof TrawlError) throw e;
      throw refuse(`cannot read it: ${e instanceof Error ? e.message : e}`);
    }
    if (dirname(directory) === directory) {
      throw refuse(`its directory is the filesystem root; put it in a directory of its own`);
    }
  } else if (allowed(url)) {
    directory = url.slice(0, url.lastIndexOf("/") + 1);
    remoteRoot = true;
  } else {
    throw refuse("a remote extractor needs allowImports (--allow-extractor-import) to name it");
  }

  const { config, lock } = await findDenoConfig();
  const info = await denoInfo(url, prefixes, config);
  const locked = lock ? await lockedPackages(lock) : new Set<string>();
  const trawl = await trawlRoot();
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const resolve = (specifier: string) => {
    for (let i = 0; i < 10 && info.redirects[specifier]; i++) specifier = info.redirects[specifier];
    return specifier;
  };

  const place = async (specifier: string): Promise<Place> => {
    if (specifier.startsWith("file:")) {
      let real: string;
      try {
        real = await Deno.realPath(fileURLToPath(specifier));
      } catch {
        return { kind: "refused", reason: "no such file" };
      }
      if (!remoteRoot && inside(real, directory)) {
        return { kind: "directory", follow: specifier, real };
      }
      if (trawl && (real === join(trawl, "mod.ts") || inside(real, join(trawl, "src")))) {
        return { kind: "trawl", follow: specifier };
      }
      return {
        kind: "refused",
        reason: remoteRoot
          ? "a remote extractor may not import files"
          : `${real} is outside the extractor's directory ${directory}`,
      };
    }
    if (specifier.startsWith("node:")) return { kind: "node" };
    if (specifier.startsWith("npm:")) {
      const why = npmRefusal(specifier, locked, lock);
      return why ? { kind: "refused", reason: why } : { kind: "npm" };
    }
    if (allowed(specifier)) return { kind: "remote", follow: specifier };
    return {
      kind: "refused",
      reason: "remote and data: imports are refused unless allowImports " +
        "(--allow-extractor-import) names a prefix of them",
    };
  };

  const problems: string[] = [];
  const order: string[] = [];
  const seen = new Set<string>();
  const queue = [resolve(info.roots[0] ?? url)];
  seen.add(queue[0]);
  while (queue.length > 0) {
    const specifier = queue.shift()!;
    order.push(specifier);
    const module = modules.get(specifier);
    if (!module) {
      problems.push(`${specifier} is missing from the module graph`);
      continue;
    }
    if (module.error) {
      problems.push(`${specifier} cannot be loaded: ${module.error}`);
      continue;
    }
    for (const dep of module.dependencies ?? []) {
      if (!dep.code) continue; // type-only: erased, never loaded
      const line = dep.code.span ? ` line ${dep.code.span.start.line + 1}` : "";
      const where = `${specifier}${line} imports ${JSON.stringify(dep.specifier)}`;
      if (dep.code.error || !dep.code.specifier) {
        problems.push(`${where}, which cannot be resolved: ${dep.code.error ?? "no target"}`);
        continue;
      }
      const target = resolve(dep.code.specifier);
      const found = await place(target);
      if (found.kind === "refused") {
        problems.push(`${where} (${target}): ${found.reason}`);
        continue;
      }
      if (dep.assertionType) {
        const inDirectory = found.kind === "directory" ||
          (remoteRoot && found.kind === "remote" && target.startsWith(directory));
        if (!inDirectory) {
          problems.push(
            `${where} (${target}) with type "${dep.assertionType}": import attributes are ` +
              `allowed only for files in the extractor's directory ${directory}`,
          );
          continue;
        }
        if (found.kind === "directory" && hidden(found.real, directory)) {
          problems.push(
            `${where} (${target}) with type "${dep.assertionType}": hidden files are never ` +
              `imported with attributes`,
          );
          continue;
        }
      }
      if ("follow" in found && !seen.has(found.follow)) {
        seen.add(found.follow);
        queue.push(found.follow);
      }
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).map((p) => `\n  - ${p}`).join("");
    const more = problems.length > 10 ? `\n  (and ${problems.length - 10} more)` : "";
    throw refuse(`${problems.length} import(s) refused:${shown}${more}`);
  }
  return { url, directory, modules: order };
}

async function denoInfo(url: string, prefixes: string[], config: string | null): Promise<Info> {
  const hosts = importHosts(prefixes);
  const args = [
    "info",
    "--json",
    "--no-lock", // never write the lock file
    "--no-npm", // npm packages are judged against the lock file, never fetched
    config ? `--config=${config}` : "--no-config",
    hosts.length > 0 ? `--allow-import=${hosts.join(",")}` : "--no-remote",
    url,
  ];
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new TrawlError(
      "INVALID_OPTION",
      `extractor ${url} cannot be loaded: ${
        new TextDecoder().decode(stderr).trim() || `deno info exited with ${code}`
      }`,
    );
  }
  return JSON.parse(text) as Info;
}

/** `npm:` specifiers and `name@version`s the lock file lists. */
async function lockedPackages(lock: string): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    const json = JSON.parse(await Deno.readTextFile(lock));
    for (const key of Object.keys(json.specifiers ?? {})) names.add(key);
    for (const key of Object.keys(json.npm ?? {})) names.add(`npm:${key.split("_")[0]}`);
  } catch { /* unreadable: nothing is locked */ }
  return names;
}

function npmRefusal(specifier: string, locked: Set<string>, lock: string | null): string | null {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(specifier);
  if (!m) return "not an npm specifier trawl understands";
  const [, name, version, subpath = ""] = m;
  let decoded = subpath;
  try {
    decoded = decodeURIComponent(subpath);
  } catch { /* keep it raw */ }
  if (decoded.split(/[/\\]/).some((s) => s === ".." || s === ".")) {
    return "an npm subpath may not contain . or .. segments";
  }
  const id = version ? `npm:${name}@${version}` : `npm:${name}`;
  if (locked.has(id)) return null;
  return lock
    ? `npm package ${id.slice(4)} is not in the lock file ${lock}`
    : "npm packages need a lock file listing them, and none was found";
}

let trawlReal: Promise<string | null> | null = null;

function trawlRoot(): Promise<string | null> {
  trawlReal ??= (async () => {
    const root = new URL("../../", import.meta.url);
    if (root.protocol !== "file:") return null;
    try {
      return await Deno.realPath(fileURLToPath(root));
    } catch {
      return null;
    }
  })();
  return trawlReal;
}

function inside(path: string, directory: string): boolean {
  return path.startsWith(directory.endsWith(sep) ? directory : directory + sep);
}

function hidden(path: string, directory: string): boolean {
  return path.slice(directory.length).split(/[/\\]/).some((s) => s.startsWith("."));
}
