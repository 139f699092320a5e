/**
 * Internal: which range an IP address falls in, for the address guard.
 * IPv4 inside IPv6 (mapped, IPv4-compatible `::/96`, NAT64, 6to4) is judged by
 * the IPv4 address inside; 0.0.0.0/8 and `::` are "refused always".
 *
 * @module
 */

import ipaddr from "ipaddr.js";

const RANGE_LABELS: Record<string, string> = {
  unspecified: 'unspecified ("this network")',
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
export function canonical(address: ipaddr.IPv4 | ipaddr.IPv6): string {
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

/** Why an address is blocked, and whether always. */
export interface Blocked {
  /** The range, for humans. */
  range: string;
  /** Refused even with `allowPrivate` or a seed on it (0.0.0.0/8, `::`). */
  always: boolean;
}

function inside(inner: Blocked | null, how: string): Blocked | null {
  return inner === null ? null : { range: `${inner.range} (${how})`, always: inner.always };
}

/** Why an address (a valid IP address) is blocked, or `null` for a public address. */
export function classify(text: string): Blocked | null {
  const address = ipaddr.parse(text);
  if (METADATA.has(canonical(address))) return { range: "cloud metadata endpoint", always: false };
  if (address.kind() === "ipv4") {
    const range = address.range();
    if (range === "unicast" || range === "as112" || range === "amt") return null;
    return { range: RANGE_LABELS[range] ?? range, always: range === "unspecified" };
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  switch (range) {
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052":
      return inside(classify(embedded(v6, 6, 7).toString()), "IPv4 inside IPv6");
    case "6to4":
      return inside(classify(embedded(v6, 1, 2).toString()), "IPv4 inside 6to4");
    case "unspecified":
      return { range: RANGE_LABELS.unspecified, always: true };
    case "unicast":
      // IPv4-compatible (::/96, deprecated but still routed by some stacks): `::` and
      // `::1` are ranges of their own, caught above.
      if (v6.parts.slice(0, 6).every((p) => p === 0)) {
        return inside(classify(embedded(v6, 6, 7).toString()), "IPv4-compatible IPv6");
      }
      return null;
    case "amt":
    case "as112v6":
    case "droneRemoteIdProtocolEntityTags":
      return null;
    default:
      return { range: RANGE_LABELS[range] ?? range, always: false };
  }
}
