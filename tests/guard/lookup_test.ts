import assert from "node:assert/strict";
import type { LookupAddress, LookupOptions } from "node:dns";
import { type AddressGuard, createAddressGuard } from "../../src/guard/address_guard.ts";
import { TrawlError } from "../../src/trawl_error.ts";

/** What `lookup` called back with, and whether it did so synchronously. */
interface Answer {
  error: unknown;
  address?: string | LookupAddress[];
  family?: number;
  sync: boolean;
  calls: number;
}

/** Call `guard.lookup` as `net.connect` would and collect the callback's arguments. */
function lookup(guard: AddressGuard, host: string, options: LookupOptions): Promise<Answer> {
  return new Promise((resolve) => {
    let returned = false;
    let calls = 0;
    const answer: Answer = { error: null, sync: false, calls: 0 };
    guard.lookup(host, options, (error, address, family) => {
      calls++;
      Object.assign(answer, { error, address, family, sync: !returned });
      // a second call would show up here: wait a turn before settling
      setTimeout(() => resolve({ ...answer, calls }), 0);
    });
    returned = true;
  });
}

/** A resolver over a fixed table; unknown names fail like the system resolver. Counts calls. */
function table(entries: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = (host: string) => {
    calls.push(host);
    const found = entries[host];
    if (found) return Promise.resolve(found);
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return Promise.reject(error);
  };
  return { resolve, calls };
}

function assertBlocked(answer: Answer, host: string, address: string): void {
  assert.equal(answer.calls, 1);
  assert.equal(answer.sync, false);
  assert.equal(answer.address, undefined);
  const e = answer.error;
  assert.ok(e instanceof TrawlError, `expected a TrawlError, got ${e}`);
  assert.equal(e.code, "BLOCKED_ADDRESS");
  assert.ok(e.message.includes(host), e.message);
  assert.ok(e.message.includes(address), e.message);
  assert.match(e.message, /--allow-private/);
}

const DNS = {
  "public.test": ["93.184.216.34", "2606:2800:220:1::1"],
  "v4only.test": ["93.184.216.34"],
  "loop.test": ["127.0.0.1"],
  "meta.test": ["169.254.169.254"],
  "mixed.test": ["93.184.216.34", "10.0.0.7"],
  "mapped.test": ["::ffff:192.168.0.1"],
  "junk.test": ["not-an-ip", "93.184.216.34"],
  "empty.test": [],
};

Deno.test("lookup answers in both Node shapes: all -> list, otherwise (address, family)", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  const all = await lookup(guard, "public.test", { all: true, hints: 64 });
  assert.equal(all.error, null);
  assert.equal(all.sync, false);
  assert.equal(all.calls, 1);
  assert.deepEqual(all.address, [
    { address: "93.184.216.34", family: 4 },
    { address: "2606:2800:220:1::1", family: 6 },
  ]);
  const one = await lookup(guard, "public.test", {});
  assert.deepEqual([one.error, one.address, one.family], [null, "93.184.216.34", 4]);
});

Deno.test("lookup honours family (number or name) and fails DNS_ERROR when none fits", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  const v6 = await lookup(guard, "public.test", { family: 6 });
  assert.deepEqual([v6.error, v6.address, v6.family], [null, "2606:2800:220:1::1", 6]);
  const v4 = await lookup(guard, "public.test", { family: "IPv4", all: true });
  assert.deepEqual(v4.address, [{ address: "93.184.216.34", family: 4 }]);
  const none = await lookup(guard, "v4only.test", { family: 6 });
  assert.ok(none.error instanceof TrawlError);
  assert.equal(none.error.code, "DNS_ERROR");
  assert.match(none.error.message, /v4only\.test has no IPv6 address/);
});

Deno.test("lookup refuses blocked addresses with BLOCKED_ADDRESS, naming host and address", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  assertBlocked(await lookup(guard, "loop.test", { all: true }), "loop.test", "127.0.0.1");
  const meta = await lookup(guard, "meta.test", {});
  assertBlocked(meta, "meta.test", "169.254.169.254");
  assert.match((meta.error as Error).message, /cloud metadata/);
  assertBlocked(await lookup(guard, "mapped.test", {}), "mapped.test", "::ffff:192.168.0.1");
});

Deno.test("a name with one public and one private address: lookup refuses it, as check does", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  await assert.rejects(
    guard.check("http://mixed.test/"),
    (e) => e instanceof TrawlError && e.code === "BLOCKED_ADDRESS",
  );
  // Not "drop 10.0.0.7 and connect to the public one": the whole name is refused,
  // even when the requested family would only have returned the public address.
  assertBlocked(await lookup(guard, "mixed.test", { all: true }), "mixed.test", "10.0.0.7");
  assertBlocked(await lookup(guard, "mixed.test", { family: 4 }), "mixed.test", "10.0.0.7");
});

Deno.test("lookup applies allowAddressesOf exemptions (::1 and 127.0.0.1 count as one)", async () => {
  const guard = createAddressGuard({
    resolve: table({ ...DNS, "six.test": ["::1"], "two.test": ["127.0.0.2"] }).resolve,
  });
  await guard.allowAddressesOf("http://127.0.0.1:8000/");
  const loop = await lookup(guard, "loop.test", { all: true });
  assert.deepEqual(loop.address, [{ address: "127.0.0.1", family: 4 }]);
  const six = await lookup(guard, "six.test", {});
  assert.deepEqual([six.error, six.address, six.family], [null, "::1", 6]);
  assertBlocked(await lookup(guard, "two.test", {}), "two.test", "127.0.0.2");
  assertBlocked(await lookup(guard, "meta.test", {}), "meta.test", "169.254.169.254");
});

Deno.test("allowPrivate: lookup still resolves, and passes every address", async () => {
  const dns = table(DNS);
  const guard = createAddressGuard({ allowPrivate: true, resolve: dns.resolve });
  const meta = await lookup(guard, "meta.test", { all: true });
  assert.deepEqual(meta.address, [{ address: "169.254.169.254", family: 4 }]);
  const mixed = await lookup(guard, "mixed.test", {});
  assert.deepEqual([mixed.error, mixed.address], [null, "93.184.216.34"]);
  assert.deepEqual(dns.calls, ["meta.test", "mixed.test"]);
});

Deno.test("a DNS failure calls back with the resolver's own error (code kept)", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  const answer = await lookup(guard, "nxdomain.test", { all: true });
  assert.equal(answer.calls, 1);
  assert.ok(answer.error instanceof Error);
  assert.ok(!(answer.error instanceof TrawlError));
  assert.equal((answer.error as { code?: string }).code, "ENOTFOUND");
  assert.equal(answer.address, undefined);
  // check still lets it pass: the fetch reports the DNS error
  await guard.check("http://nxdomain.test/");
});

Deno.test("an answer with no IP address fails DNS_ERROR; non-IP strings are dropped", async () => {
  const guard = createAddressGuard({ resolve: table(DNS).resolve });
  const empty = await lookup(guard, "empty.test", { all: true });
  assert.ok(empty.error instanceof TrawlError);
  assert.equal(empty.error.code, "DNS_ERROR");
  const junk = await lookup(guard, "junk.test", { all: true });
  assert.deepEqual(junk.address, [{ address: "93.184.216.34", family: 4 }]);
});

Deno.test("IP literals are checked as they are, without DNS", async () => {
  const dns = table(DNS);
  const guard = createAddressGuard({ resolve: dns.resolve });
  assertBlocked(await lookup(guard, "127.0.0.1", {}), "127.0.0.1", "127.0.0.1");
  assertBlocked(await lookup(guard, "[::1]", { all: true }), "::1", "::1");
  assertBlocked(await lookup(guard, "0xa9fea9fe", {}), "0xa9fea9fe", "0xa9fea9fe");
  const pub = await lookup(guard, "8.8.8.8", { all: true });
  assert.deepEqual(pub.address, [{ address: "8.8.8.8", family: 4 }]);
  // a form only ipaddr.js reads comes back in the form net.connect takes
  const odd = await lookup(guard, "0x8.8.8.8", {});
  assert.deepEqual([odd.address, odd.family], ["8.8.8.8", 4]);
  assert.deepEqual(dns.calls, []);
});

Deno.test("check and lookup share one resolver and cache", async () => {
  const dns = table(DNS);
  const guard = createAddressGuard({ resolve: dns.resolve });
  await guard.check("http://public.test/");
  await lookup(guard, "public.test", { all: true });
  await lookup(guard, "public.test", {});
  assert.deepEqual(dns.calls, ["public.test"]);
  // concurrent lookups of one host resolve it once
  await Promise.all([lookup(guard, "v4only.test", {}), lookup(guard, "v4only.test", {})]);
  assert.deepEqual(dns.calls, ["public.test", "v4only.test"]);

  const uncached = table(DNS);
  const noCache = createAddressGuard({ resolve: uncached.resolve, dnsCacheMs: 0 });
  await noCache.check("http://public.test/");
  await lookup(noCache, "public.test", {});
  assert.deepEqual(uncached.calls, ["public.test", "public.test"]);
});

Deno.test("lookup re-checks a changed answer after the cache expires", async () => {
  let t = 0;
  let answer = ["93.184.216.34"];
  const guard = createAddressGuard({
    resolve: () => Promise.resolve(answer),
    dnsCacheMs: 1000,
    now: () => t,
  });
  await guard.check("http://flip.test/");
  answer = ["127.0.0.1"]; // the name is rebound while the cache still holds the old answer
  const cached = await lookup(guard, "flip.test", {});
  assert.equal(cached.address, "93.184.216.34"); // the very answer check approved
  t = 1000; // cache expired between check and connect
  assertBlocked(await lookup(guard, "flip.test", {}), "flip.test", "127.0.0.1");
});
