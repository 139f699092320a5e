/**
 * The private-address guard: followed links and redirects may not reach
 * loopback, private, link-local, unique-local, unspecified, CGNAT,
 * multicast/reserved or cloud metadata addresses, checked after DNS
 * resolution, unless a seed itself is on that address or `allowPrivate` is set.
 * IPv4 addresses carried in IPv6 (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible
 * `::/96` such as `[::a9fe:a9fe]`, NAT64, 6to4) are judged by the IPv4 inside.
 *
 * "This network" (0.0.0.0/8) and the IPv6 unspecified address `::` (or either
 * inside IPv6) are refused always, `allowPrivate` and seeds notwithstanding: no
 * server lives there, and a connection to them reaches this machine.
 *
 * Two gates share one resolver and cache: `check(url)` gives an early, clear
 * error before any connection, and `lookup` is handed to the HTTP client as its
 * connect-time DNS lookup so the socket can only connect to an address the guard
 * has just approved (closing DNS rebinding: "public" for the check, "127.0.0.1"
 * for the connection).
 *
 * @module
 */

import { abortable } from "../_abortable.ts";
import { lookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { type Blocked, canonical, classify } from "./_ip_ranges.ts";
import { TrawlError } from "../trawl_error.ts";

/** Options for {@linkcode createAddressGuard}. */
export interface AddressGuardOptions {
  /**
   * Allow every address (`--allow-private`) except 0.0.0.0/8 and `::`, which are
   * refused always: `check()` then never resolves, and refuses only IP literals
   * in those ranges (names resolving to them are refused by `lookup`).
   * @default {false}
   */
  allowPrivate?: boolean;
  /** How long resolved addresses are cached per hostname. @default {60000} */
  dnsCacheMs?: number;
  /**
   * Most hostnames kept in the DNS cache (oldest dropped first), and most addresses
   * whose verdict is remembered. @default {10000}
   */
  maxCachedHosts?: number;
  /**
   * Resolve a hostname to IP addresses (tests inject one). A rejection counts as
   * a DNS failure: see {@linkcode AddressGuard.check}.
   * @default {all addresses from `node:dns/promises` `lookup(host, { all: true })`}
   */
  resolve?: (host: string) => Promise<string[]>;
  /** The clock for the DNS cache, in milliseconds. @default {performance.now} */
  now?: () => number;
}

/**
 * Checks URLs against private and internal addresses. Create one per crawl.
 *
 * @example Guard a crawl seeded on localhost
 * ```ts
 * import { createAddressGuard } from "./address_guard.ts";
 *
 * const guard = createAddressGuard();
 * await guard.allowAddressesOf("http://127.0.0.1:8000/"); // the seed's own address
 * await guard.check("http://localhost:9000/"); // passes: resolves to 127.0.0.1
 * await guard.check("http://169.254.169.254/latest/meta-data/").catch((e) => console.log(e.code));
 * // "BLOCKED_ADDRESS"
 * ```
 */
export interface AddressGuard {
  /**
   * Resolve the URL's host (IP literals need no lookup) and reject with
   * `TrawlError` `BLOCKED_ADDRESS` if ANY of its addresses is in a blocked range
   * and not exempted by {@linkcode AddressGuard.allowAddressesOf} (0.0.0.0/8 and
   * `::` are never exempted, nor allowed by `allowPrivate`); a name with
   * one public and one private address is blocked, since the connection may
   * use either. When DNS fails the URL passes: the fetch then fails with its
   * own DNS error, which is the more useful message. Rejects with `INVALID_URL`
   * for an unparsable URL and `ABORTED` when `signal` aborts first.
   */
  check(url: URL | string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Exempt the addresses the URL's host resolves to (call it for each seed):
   * a seed on 127.0.0.1 lets the crawl reach 127.0.0.1 on any port or by any
   * name resolving to it (`::1` and `127.0.0.1` count as one: both are "this
   * machine" and `localhost` resolves to either), but not 127.0.0.2 or 10.0.0.1.
   */
  allowAddressesOf(url: URL | string, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * A DNS lookup for `net.connect` / `tls.connect` (and so undici's `connect`
   * options), with Node's signature `(hostname, options, callback)`: it calls
   * back `(null, address, family)`, or `(null, [{ address, family }])` when
   * `options.all` is true, with only addresses that passed the guard. Pass it
   * detached (`guard.lookup`): it does not use `this`.
   *
   * It resolves through the same `resolve` and cache as {@linkcode AddressGuard.check}
   * and decides exactly as `check` does: if ANY address of the name is blocked
   * and not exempted, the whole name is refused (never "drop the bad one and
   * connect to the rest"), so a name `check` refuses never gets a connection and
   * a name `check` passed connects only to checked addresses. A refusal calls
   * back with `TrawlError` `BLOCKED_ADDRESS` naming the host, the address and
   * `--allow-private`. With `allowPrivate` every address passes but those in
   * 0.0.0.0/8 or `::` (refused always), and names are still resolved here. IP
   * literals are checked as they are, without DNS.
   *
   * Other failures: a resolver error is passed on as it is (its `code`, e.g.
   * `ENOTFOUND`, kept); an answer with no IP address, or none of the requested
   * `options.family` (4, 6, `"IPv4"`, `"IPv6"`; 0 means any), calls back with
   * `TrawlError` `DNS_ERROR`. `options.hints` is ignored (the resolver decides).
   * The callback is always called asynchronously, once. In undici the error
   * object given to the callback reaches `request()`'s caller unchanged (the
   * same object, no wrapper), and the socket never connects.
   *
   * @example Pin undici's connections to checked addresses
   * ```ts ignore
   * import { Agent, request } from "undici";
   * import { createAddressGuard } from "./address_guard.ts";
   *
   * const guard = createAddressGuard();
   * const agent = new Agent({ connect: { lookup: guard.lookup } });
   * await guard.check("http://example.com/"); // early, clear error
   * const res = await request("http://example.com/", { dispatcher: agent });
   * // a rebinding answer at connect time rejects with the guard's
   * // TrawlError: (error as TrawlError).code === "BLOCKED_ADDRESS"
   * ```
   */
  lookup: LookupFunction;
}

function toUrl(url: URL | string): URL {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch (cause) {
    throw new TrawlError("INVALID_URL", `Invalid URL ${JSON.stringify(url)}`, { cause, url });
  }
}

/** The hostname without IPv6 brackets. */
function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith("[") ? h.slice(1, -1) : h;
}

function aborted(signal: AbortSignal, url: URL): TrawlError {
  return new TrawlError("ABORTED", `Address check of ${url.href} aborted`, {
    cause: signal.reason,
    url: url.href,
  });
}

/** An address in the form `net.connect` takes, or `null` for a non-IP string. */
function connectable(text: string): { address: string; family: number } | null {
  if (!ipaddr.isValid(text)) return null;
  const family = isIP(text); // 0 for forms only ipaddr.js reads, e.g. "0x7f.1"
  if (family !== 0) return { address: text, family };
  const address = ipaddr.parse(text);
  return { address: address.toString(), family: address.kind() === "ipv6" ? 6 : 4 };
}

/** The family `lookup` was asked for: 4, 6, or 0 for any. */
function wantedFamily(family: unknown): number {
  if (family === 4 || family === "IPv4") return 4;
  if (family === 6 || family === "IPv6") return 6;
  return 0;
}

function blockedError(
  what: string,
  host: string,
  hit: { address: string; range: string; always: boolean },
  url?: string,
): TrawlError {
  const via = host === hit.address ? "" : ` (${host} resolves to it)`;
  const tail = hit.always
    ? "no server can be reached there, so it is never crawled (--allow-private does not " +
      "allow it)."
    : "not crawled by default to protect internal services. Pass --allow-private " +
      "(allowPrivate: true) to allow it.";
  return new TrawlError(
    "BLOCKED_ADDRESS",
    `Blocked ${what}: address ${hit.address}${via} is ${hit.range}, ${tail}`,
    { url },
  );
}

async function systemResolve(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true });
  return found.map((a) => a.address);
}

/**
 * Create an address guard.
 *
 * @example Allow everything (`--allow-private`)
 * ```ts
 * import { createAddressGuard } from "./address_guard.ts";
 *
 * const guard = createAddressGuard({ allowPrivate: true });
 * await guard.check("http://10.0.0.1/"); // passes
 * ```
 */
export function createAddressGuard(options: AddressGuardOptions = {}): AddressGuard {
  const allowPrivate = options.allowPrivate ?? false;
  const dnsCacheMs = options.dnsCacheMs ?? 60_000;
  const maxCachedHosts = options.maxCachedHosts ?? 10_000;
  const resolve = options.resolve ?? systemResolve;
  const now = options.now ?? (() => performance.now());
  if (!(dnsCacheMs >= 0) || !(maxCachedHosts >= 0)) {
    throw new TrawlError(
      "INVALID_OPTION",
      `dnsCacheMs and maxCachedHosts must be >= 0, got ${dnsCacheMs} and ${maxCachedHosts}`,
    );
  }
  const cache = new Map<string, { addresses: string[]; expiresAt: number }>();
  const inflight = new Map<string, Promise<string[]>>();
  /** Exempted addresses, canonical form. */
  const exempt = new Set<string>();
  /**
   * Valid IP addresses (as given) already judged: why each is blocked (exemptions
   * applied, except to ranges refused always), or `null`.
   * A crawl asks about the same few addresses for every URL, and judging one
   * takes several ipaddr.js parses. Cleared when the exemptions change, and when
   * `maxCachedHosts` are held.
   */
  const verdicts = new Map<string, Blocked | null>();

  /** Addresses of a host; rejects with the resolver's error (not cached). */
  function addressesOf(host: string): Promise<string[]> {
    if (verdicts.has(host) || ipaddr.isValid(host)) return Promise.resolve([host]);
    const hit = cache.get(host);
    if (hit !== undefined && hit.expiresAt > now()) return Promise.resolve(hit.addresses);
    const pending = inflight.get(host);
    if (pending !== undefined) return pending;
    const job = resolve(host).then(
      (addresses) => {
        cache.delete(host);
        if (maxCachedHosts > 0 && dnsCacheMs > 0) {
          while (cache.size >= maxCachedHosts) cache.delete(cache.keys().next().value!);
          cache.set(host, { addresses, expiresAt: now() + dnsCacheMs });
        }
        return addresses;
      },
    ).finally(() => inflight.delete(host));
    inflight.set(host, job);
    return job;
  }

  function isExempt(address: string): boolean {
    const c = canonical(ipaddr.parse(address));
    if (exempt.has(c)) return true;
    if (c === "::1") return exempt.has("127.0.0.1");
    if (c === "127.0.0.1") return exempt.has("::1");
    return false;
  }

  /**
   * The first blocked, non-exempted address, or `null` when all pass. With
   * `onlyAlways`, only addresses refused always count.
   */
  function firstBlocked(
    addresses: string[],
    onlyAlways: boolean,
  ): { address: string; range: string; always: boolean } | null {
    for (const address of addresses) {
      let blocked = verdicts.get(address);
      if (blocked === undefined) {
        if (!ipaddr.isValid(address)) continue;
        blocked = classify(address);
        if (blocked !== null && !blocked.always && isExempt(address)) blocked = null;
        if (verdicts.size >= maxCachedHosts) verdicts.clear();
        if (maxCachedHosts > 0) verdicts.set(address, blocked);
      }
      if (blocked !== null && (blocked.always || !onlyAlways)) return { address, ...blocked };
    }
    return null;
  }

  /** Decide what `lookup` answers: the usable addresses, or the error to call back with. */
  function pin(host: string, addresses: string[], family: number) {
    const hit = firstBlocked(addresses, allowPrivate);
    if (hit !== null) return blockedError(`the connection to ${host}`, host, hit);
    const usable = addresses.map(connectable).filter((a) => a !== null)
      .filter((a) => family === 0 || a.family === family);
    if (usable.length > 0) return usable;
    return new TrawlError(
      "DNS_ERROR",
      `${host} has no ${family === 0 ? "IP" : `IPv${family}`} address to connect to ` +
        `(resolver answered ${JSON.stringify(addresses).slice(0, 200)})`,
    );
  }

  return {
    async check(input, checkOptions = {}) {
      const url = toUrl(input);
      const host = bareHost(url);
      if (allowPrivate) {
        const hit = ipaddr.isValid(host) ? firstBlocked([host], true) : null;
        if (hit !== null) throw blockedError(url.href, host, hit, url.href);
        return;
      }
      const addresses = await abortable(
        addressesOf(host).catch(() => []),
        checkOptions.signal,
        () => aborted(checkOptions.signal!, url),
      );
      const hit = firstBlocked(addresses, false);
      if (hit !== null) throw blockedError(url.href, host, hit, url.href);
    },
    async allowAddressesOf(input, allowOptions = {}) {
      const url = toUrl(input);
      const addresses = await abortable(
        addressesOf(bareHost(url)).catch(() => []),
        allowOptions.signal,
        () => aborted(allowOptions.signal!, url),
      );
      for (const address of addresses) {
        if (ipaddr.isValid(address)) exempt.add(canonical(ipaddr.parse(address)));
      }
      verdicts.clear();
    },
    lookup(hostname, options, callback) {
      const host = hostname.startsWith("[") && hostname.endsWith("]")
        ? hostname.slice(1, -1)
        : hostname;
      const all = options?.all === true;
      const family = wantedFamily(options?.family);
      // Node calls back `(err)` alone on failure; its type wants an address too.
      const fail = callback as (error: Error) => void;
      addressesOf(host).then((addresses) => {
        const answer = pin(host, addresses, family);
        if (answer instanceof Error) fail(answer);
        else if (all) callback(null, answer);
        else callback(null, answer[0].address, answer[0].family);
      }, fail);
    },
  };
}
