/**
 * The undici dispatcher of a fetcher: an `Agent` (one pool per origin), or a
 * `ProxyAgent` with `proxy`, every connection opened through the fetcher's
 * connector wrapper.
 *
 * @module
 */

import { Agent, buildConnector, Client, Pool, ProxyAgent } from "undici";
import type { Connections } from "./_connections.ts";
import type { ResolvedFetcherOptions } from "./fetcher_options.ts";

/** The agent for options `o`, its sockets opened through `connections`. */
export function makeAgent(o: ResolvedFetcherOptions, connections: Connections): Agent | ProxyAgent {
  const common = {
    connections: o.maxPerHost,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 4000),
  };
  if (o.proxy === undefined) {
    const base = buildConnector({ timeout: 0, lookup: o.lookup } as buildConnector.BuildOptions);
    return new Agent({ ...common, connect: connections.wrap(base, "") });
  }
  const via = ` through the proxy ${o.proxy}`;
  return new ProxyAgent({
    uri: o.proxy,
    ...common,
    // undici's own timer (about 1 s resolution), behind ours.
    connectTimeout: o.connectTimeoutMs,
    // The client that asks the proxy for CONNECT tunnels: a proxy that never answers
    // is given up after connectTimeoutMs (undici's default would wait 300 s).
    clientFactory: (origin, opts) =>
      new Pool(origin, { ...opts, headersTimeout: o.connectTimeoutMs }),
    // Every pool the proxy agent makes (to the proxy for http targets, through a
    // CONNECT tunnel for https ones) gets the connector it built, wrapped in ours.
    factory: (origin, options) => {
      const opts = options as Pool.Options; // undici types this argument as Object
      const base = opts.connect;
      const connect = typeof base === "function" ? connections.wrap(base, via) : base;
      return opts.connections === 1
        ? new Client(origin, { ...opts, connect })
        : new Pool(origin, { ...opts, connect });
    },
  });
}
