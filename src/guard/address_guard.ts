/**
 * The private-address guard: followed links and redirects may not reach
 * loopback, private, link-local, unique-local, unspecified, CGNAT,
 * multicast/reserved or cloud metadata addresses, checked after DNS
 * resolution, unless a seed itself is on that address or `allowPrivate` is set.
 *
 * @module
 */

import { abortable } from "../_abortable.ts";
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { TrawlError } from "../trawl_error.ts";

/** Options for {@linkcode createAddressGuard}. */
export interface AddressGuardOptions {
  /** Allow every address (`--allow-private`): `check()` then never blocks and never resolves. @default {false} */
  allowPrivate?: boolean;
  /** How long resolved addresses are cached per hostname. @default {60000} */
  dnsCacheMs?: number;
  /** Most hostnames kept in the DNS cache (oldest dropped first). @default {10000} */
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
   * and not exempted by {@linkcode AddressGuard.allowAddressesOf}; a name with
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
}

const RANGE_LABELS: Record<string, string> = {
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT (100.64.0.0/10)",
  private: "private network (RFC 1918)",
  reserved: "reserved",
  uniqueLocal: "unique-local (fc00::/7)",
  deprecatedSiteLocal: "site-local (fec0::/10)",
  discard: "discard-only (100::/64)",
  teredo: "Teredo tunnel",
  benchmarking: "benchmarking",
  deprecatedOrchid: "ORCHID",
  orchid2: "ORCHIDv2",
  segmentRouting: "segment routing",
};

const METADATA = new Set(["169.254.169.254", "fd00:ec2::254"]);

/** Normal text form of an address; IPv4 inside IPv6 (mapped) comes out as IPv4. */
function canonical(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  }
  return address.toString();
}

/** The IPv4 address carried in the 16-bit parts `hi` and `lo`. */
function embedded(v6: ipaddr.IPv6, hi: number, lo: number): ipaddr.IPv4 {
  const p = v6.parts;
  return new ipaddr.IPv4([p[hi] >> 8, p[hi] & 0xff, p[lo] >> 8, p[lo] & 0xff]);
}

/** Why an address is blocked (a label), or `null` for a public address. */
function blockedRange(text: string): string | null {
  const address = ipaddr.parse(text);
  if (METADATA.has(canonical(address))) return "cloud metadata endpoint";
  if (address.kind() === "ipv4") {
    const range = address.range();
    return range === "unicast" || range === "as112" || range === "amt"
      ? null
      : RANGE_LABELS[range] ?? range;
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  switch (range) {
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052": {
      const inner = blockedRange(embedded(v6, 6, 7).toString());
      return inner === null ? null : `${inner} (IPv4 inside IPv6)`;
    }
    case "6to4": {
      const inner = blockedRange(embedded(v6, 1, 2).toString());
      return inner === null ? null : `${inner} (IPv4 inside 6to4)`;
    }
    case "unicast":
    case "amt":
    case "as112v6":
    case "droneRemoteIdProtocolEntityTags":
      return null;
    default:
      return RANGE_LABELS[range] ?? range;
  }
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
  const inflight = new Map<string, Promise<string[] | null>>();
  /** Exempted addresses, canonical form. */
  const exempt = new Set<string>();

  /** Addresses of a host; `null` when DNS failed (not cached). */
  function addressesOf(host: string): Promise<string[] | null> {
    if (ipaddr.isValid(host)) return Promise.resolve([host]);
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
      () => null,
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

  return {
    async check(input, checkOptions = {}) {
      if (allowPrivate) return;
      const url = toUrl(input);
      const addresses = await abortable(
        addressesOf(bareHost(url)),
        checkOptions.signal,
        () => aborted(checkOptions.signal!, url),
      );
      for (const address of addresses ?? []) {
        if (!ipaddr.isValid(address)) continue;
        const range = blockedRange(address);
        if (range === null || isExempt(address)) continue;
        const via = bareHost(url) === address ? "" : ` (${url.hostname} resolves to it)`;
        throw new TrawlError(
          "BLOCKED_ADDRESS",
          `Blocked ${url.href}: address ${address}${via} is ${range}, not crawled by default ` +
            `to protect internal services. Pass --allow-private (allowPrivate: true) to allow it.`,
          { url: url.href },
        );
      }
    },
    async allowAddressesOf(input, allowOptions = {}) {
      const url = toUrl(input);
      const addresses = await abortable(
        addressesOf(bareHost(url)),
        allowOptions.signal,
        () => aborted(allowOptions.signal!, url),
      );
      for (const address of addresses ?? []) {
        if (ipaddr.isValid(address)) exempt.add(canonical(ipaddr.parse(address)));
      }
    },
  };
}
