/**
 * Turn a module path or URL into an absolute URL string, on the main thread.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** A URL stays as is; a path (relative ones against the cwd) becomes a `file:` URL. */
export function resolveModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return new URL(module).href; // scheme, not "C:"
  return pathToFileURL(resolve(module)).href;
}
