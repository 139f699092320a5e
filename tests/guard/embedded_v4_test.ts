import assert from "node:assert/strict";
import { type AddressGuard, createAddressGuard } from "../../src/guard/address_guard.ts";
import { TrawlError } from "../../src/trawl_error.ts";

const never = () => Promise.reject(new Error("no DNS in tests"));

async function refused(promise: Promise<void>, re: RegExp): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof TrawlError, String(e));
    assert.equal(e.code, "BLOCKED_ADDRESS");
    assert.match(e.message, re);
    return true;
  });
}

/** What `guard.lookup` calls back with for `host` (all addresses). */
function lookupAll(guard: AddressGuard, host: string): Promise<unknown> {
  return new Promise((resolve) => {
    guard.lookup(host, { all: true }, (error, address) => resolve(error ?? address));
  });
}

Deno.test("IPv4-compatible IPv6 (::/96) is judged by the IPv4 inside", async () => {
  const guard = createAddressGuard({ resolve: never });
  // new URL() writes them in hex: [::169.254.169.254] is [::a9fe:a9fe].
  assert.equal(new URL("http://[::169.254.169.254]/").hostname, "[::a9fe:a9fe]");
  await refused(
    guard.check("http://[::a9fe:a9fe]/latest/meta-data/"),
    /::a9fe:a9fe is cloud metadata endpoint \(IPv4-compatible IPv6\)/,
  );
  await refused(guard.check("http://[::127.0.0.1]/"), /loopback \(IPv4-compatible IPv6\)/);
  await refused(guard.check("http://[::10.0.0.1]:8080/"), /private network/);
  await refused(guard.check("http://[::192.168.1.1]/"), /--allow-private/);
  await guard.check("http://[::8.8.8.8]/"); // public inside: public
  await guard.check("http://[::ffff:8.8.8.8]/");
});

Deno.test("::1 and :: keep their own IPv6 meaning, not that of 0.0.0.1 and 0.0.0.0", async () => {
  const guard = createAddressGuard({ resolve: never });
  await refused(guard.check("http://[::1]/"), /::1 is loopback, not crawled by default/);
  await refused(guard.check("http://[::]/"), /:: is unspecified/);
  const open = createAddressGuard({ resolve: never, allowPrivate: true });
  await open.check("http://[::1]:8000/"); // loopback is what --allow-private allows
});

Deno.test("0.0.0.0/8 and :: are refused even with allowPrivate, in every disguise", async () => {
  const guard = createAddressGuard({ allowPrivate: true, resolve: never });
  for (
    const url of [
      "http://0.0.0.0/",
      "http://0.0.31.144//127.0.0.1/",
      "http://0.255.255.255:8080/",
      "http://[::]/",
      "http://[::ffff:0.0.0.0]/",
      "http://[::ffff:0.1.2.3]/",
      "http://[::0.0.0.2]/",
    ]
  ) {
    await refused(guard.check(url), /never crawled \(--allow-private does not allow it\)/);
  }
  // Everything else stays allowed.
  await guard.check("http://127.0.0.1/");
  await guard.check("http://[::a9fe:a9fe]/");
  await guard.check("http://10.0.0.1/");
});

Deno.test("a seed on 0.0.0.0 does not exempt it", async () => {
  const guard = createAddressGuard({ resolve: never });
  await guard.allowAddressesOf("http://0.0.0.0:8000/");
  await refused(guard.check("http://0.0.0.0:8000/x"), /this network/);
});

Deno.test("lookup refuses a name resolving to 0.0.0.0 even with allowPrivate", async () => {
  const dns = { "sinkhole.test": ["0.0.0.0"], "loop.test": ["127.0.0.1"], "v6.test": ["::"] };
  const resolve = (host: string) => Promise.resolve(dns[host as keyof typeof dns] ?? []);
  const guard = createAddressGuard({ allowPrivate: true, resolve });
  const sinkhole = await lookupAll(guard, "sinkhole.test");
  assert.ok(
    sinkhole instanceof TrawlError && sinkhole.code === "BLOCKED_ADDRESS",
    String(sinkhole),
  );
  assert.match(sinkhole.message, /sinkhole\.test resolves to it/);
  const v6 = await lookupAll(guard, "v6.test");
  assert.ok(v6 instanceof TrawlError && v6.code === "BLOCKED_ADDRESS", String(v6));
  assert.deepEqual(await lookupAll(guard, "loop.test"), [{ address: "127.0.0.1", family: 4 }]);
  // check() does not resolve with allowPrivate: the name passes there, lookup is the gate.
  await guard.check("http://sinkhole.test/");
});
