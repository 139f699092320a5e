/**
 * The undici dispatcher of a fetcher: an `Agent` (one pool per origin); a
 * `ProxyAgent` with `proxy`; or, when the environment names proxies
 * (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`), undici's `EnvHttpProxyAgent`, which
 * picks per target between a direct agent and a proxy agent. Every connection is
 * opened through the fetcher's connector wrapper (connect timer, socket count).
 *
 * @module
 */

import {
  Agent,
  buildConnector,
  Client,
  type Dispatcher,
  EnvHttpProxyAgent,
  Pool,
  ProxyAgent,
} from "undici";
import type { Connections } from "./_connections.ts";
import type { ResolvedFetcherOptions } from "./fetcher_options.ts";

/** The agent for options `o`, its sockets opened through `connections`. */
export function makeAgent(o: ResolvedFetcherOptions, connections: Connections): Dispatcher {
  const common = {
    connections: o.maxPerHost,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 4000),
  };
  const base = buildConnector({ timeout: 0, lookup: o.lookup } as buildConnector.BuildOptions);
  const direct = connections.wrap(base, "");
  if (o.proxy === undefined && o.envProxy === undefined) {
    return new Agent({ ...common, connect: direct });
  }
  const proxied = (via: string) => ({
    // undici's own timer (about 1 s resolution), behind ours.
    connectTimeout: o.connectTimeoutMs,
    // The client that asks the proxy for CONNECT tunnels: a proxy that never answers
    // is given up after connectTimeoutMs (undici's default would wait 300 s).
    clientFactory: (origin: URL, opts: object) =>
      new Pool(origin, { ...opts, headersTimeout: o.connectTimeoutMs }),
    // Every pool a proxy agent makes (to the proxy for http targets, through a CONNECT
    // tunnel for https ones) gets the connector it built, wrapped in ours. The direct
    // agent of EnvHttpProxyAgent passes our own connector, already wrapped.
    factory: (origin: URL | string, options: object) => {
      const opts = options as Pool.Options; // undici types this argument as Object
      const connect = typeof opts.connect === "function" && opts.connect !== direct
        ? connections.wrap(opts.connect, via)
        : opts.connect;
      return opts.connections === 1
        ? new Client(origin, { ...opts, connect })
        : new Pool(origin, { ...opts, connect });
    },
  });
  if (o.proxy !== undefined) {
    return new ProxyAgent({ uri: o.proxy, ...common, ...proxied(` through the proxy ${o.proxy}`) });
  }
  const env = o.envProxy!;
  return new EnvHttpProxyAgent({
    ...common,
    ...proxied(" through the proxy of HTTP_PROXY/HTTPS_PROXY"),
    connect: direct,
    httpProxy: env.httpProxy,
    httpsProxy: env.httpsProxy,
    noProxy: env.noProxy,
  });
}
