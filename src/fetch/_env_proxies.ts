/**
 * The proxies the environment names (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`),
 * read once when a fetcher's options are resolved.
 *
 * @module
 */

import { show } from "../_option_checks.ts";

/**
 * The proxy variables of the environment, as `EnvHttpProxyAgent` takes them.
 *
 * @example A proxy for https only
 * ```ts
 * import type { EnvProxies } from "./_env_proxies.ts";
 *
 * const proxies: EnvProxies = {
 *   httpProxy: undefined,
 *   httpsProxy: "http://127.0.0.1:3128",
 *   noProxy: "localhost",
 * };
 * ```
 */
export interface EnvProxies {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string;
}

/**
 * `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (lowercase first, as curl reads them);
 * `undefined` when neither proxy is set or the environment may not be read. Throws
 * a `TypeError` naming the variable when a proxy is not a URL.
 *
 * @example The environment's proxies, if any
 * ```ts
 * import { envProxies } from "./_env_proxies.ts";
 *
 * const proxies = envProxies();
 * console.log(proxies === undefined ? "direct" : proxies.httpsProxy ?? proxies.httpProxy);
 * ```
 */
export function envProxies(): EnvProxies | undefined {
  const read = (name: string) => {
    try {
      return Deno.env.get(name.toLowerCase()) || Deno.env.get(name) || undefined;
    } catch {
      return undefined; // no --allow-env: no proxy from the environment
    }
  };
  const httpProxy = read("HTTP_PROXY");
  const httpsProxy = read("HTTPS_PROXY");
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  for (const [name, value] of [["HTTP_PROXY", httpProxy], ["HTTPS_PROXY", httpsProxy]]) {
    if (value !== undefined && !URL.canParse(value)) {
      throw new TypeError(
        `the ${name} environment variable must be a URL: received ${show(value)}`,
      );
    }
  }
  return { httpProxy, httpsProxy, noProxy: read("NO_PROXY") ?? "" };
}
