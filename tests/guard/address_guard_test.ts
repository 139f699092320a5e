import assert from "node:assert/strict";
import { createAddressGuard } from "../../src/guard/address_guard.ts";
import { TrawlError } from "../../src/trawl_error.ts";

/** A resolver over a fixed table; unknown names fail like NXDOMAIN. Counts calls. */
function table(entries: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = (host: string) => {
    calls.push(host);
    const found = entries[host];
    return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${host}`));
  };
  return { resolve, calls };
}

async function blocked(promise: Promise<void>, re?: RegExp): Promise<void> {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof TrawlError);
    assert.equal(e.code, "BLOCKED_ADDRESS");
    assert.match(e.message, /--allow-private/);
    if (re) assert.match(e.message, re);
    return true;
  });
}

const never = () => Promise.reject(new Error("no DNS in tests"));

const BLOCKED_LITERALS = [
  "http://127.0.0.1/",
  "http://127.1.2.3:8080/",
  "http://10.0.0.1/",
  "http://172.16.5.4/",
  "http://192.168.1.1/",
  "http://169.254.1.1/",
  "http://169.254.169.254/latest/meta-data/",
  "http://100.64.0.1/",
  "http://0.0.0.0/",
  "http://224.0.0.1/",
  "http://239.255.255.250/",
  "http://255.255.255.255/",
  "http://240.0.0.1/",
  "http://192.0.2.1/",
  "http://198.18.0.1/",
  "http://[::1]/",
  "http://[::]/",
  "http://[fe80::1]/",
  "http://[fc00::1]/",
  "http://[fd12:3456::1]/",
  "http://[fd00:ec2::254]/",
  "http://[ff02::1]/",
  "http://[fec0::1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:10.0.0.1]/",
  "http://[::ffff:169.254.169.254]/",
  "http://[64:ff9b::a00:1]/",
  "http://[2002:c0a8:101::1]/",
  "http://2130706433/",
  "http://0x7f.1/",
  "http://0177.0.0.1/",
  "http://0xa9fea9fe/",
];

for (const url of BLOCKED_LITERALS) {
  Deno.test(`blocks ${url}`, async () => {
    await blocked(createAddressGuard({ resolve: never }).check(url));
  });
}

Deno.test("the message names the URL, the address and its range", async () => {
  const guard = createAddressGuard({ resolve: never });
  await blocked(guard.check("http://169.254.169.254/x"), /169\.254\.169\.254\/x.*cloud metadata/);
  await blocked(guard.check("http://10.1.2.3/"), /10\.1\.2\.3 .*private network/);
  await blocked(guard.check("http://[::ffff:127.0.0.1]/"), /loopback \(IPv4 inside IPv6\)/);
});

Deno.test("public addresses pass", async () => {
  const guard = createAddressGuard({ resolve: never });
  for (
    const url of [
      "http://8.8.8.8/",
      "https://1.1.1.1:8443/",
      "http://93.184.216.34/",
      "http://[2606:4700:4700::1111]/",
      "http://[::ffff:8.8.8.8]/",
      "http://[64:ff9b::808:808]/",
      "http://172.32.0.1/",
      "http://100.128.0.1/",
    ]
  ) await guard.check(url);
});

Deno.test("names are checked after resolution; any private address blocks", async () => {
  const dns = table({
    "public.test": ["93.184.216.34"],
    "internal.test": ["10.0.0.7"],
    "mixed.test": ["93.184.216.34", "127.0.0.1"],
    "rebind.test": ["::ffff:192.168.0.1"],
  });
  const guard = createAddressGuard({ resolve: dns.resolve });
  await guard.check("http://public.test/");
  await blocked(guard.check("http://internal.test/"), /internal\.test resolves to it/);
  await blocked(guard.check("http://mixed.test/"), /127\.0\.0\.1/);
  await blocked(guard.check("http://rebind.test/"));
});

Deno.test("DNS failure lets the URL pass (the fetch reports the DNS error)", async () => {
  const guard = createAddressGuard({ resolve: table({}).resolve });
  await guard.check("http://nxdomain.test/");
});

Deno.test("a seed's addresses are exempted, others stay blocked", async () => {
  const dns = table({ localhost: ["127.0.0.1"], "intra.test": ["10.0.0.1"] });
  const guard = createAddressGuard({ resolve: dns.resolve });
  await guard.allowAddressesOf("http://127.0.0.1:8000/");
  await guard.check("http://127.0.0.1:9999/other");
  await guard.check("http://localhost:3000/");
  await guard.check("http://[::ffff:127.0.0.1]/");
  await guard.check("http://[::1]/"); // the same machine
  await guard.check("http://2130706433/");
  await blocked(guard.check("http://127.0.0.2/"));
  await blocked(guard.check("http://intra.test/"));
  await blocked(guard.check("http://10.0.0.1/"));
});

Deno.test("verdicts are remembered, and forgotten when an exemption is added", async () => {
  const guard = createAddressGuard({ resolve: table({}).resolve });
  for (let i = 0; i < 3; i++) {
    await blocked(guard.check("http://10.0.0.9/a"));
    await guard.check("http://93.184.216.34/a");
  }
  await guard.allowAddressesOf("http://10.0.0.9/"); // a seed on that address, added later
  await guard.check("http://10.0.0.9/b");
  await blocked(guard.check("http://10.0.0.10/"));
  await guard.check("http://93.184.216.34/b");
});

Deno.test("a seed by name exempts what the name resolves to", async () => {
  const dns = table({ "dev.test": ["192.168.5.5"] });
  const guard = createAddressGuard({ resolve: dns.resolve });
  await guard.allowAddressesOf("http://dev.test/");
  await guard.check("http://192.168.5.5:81/");
  await blocked(guard.check("http://192.168.5.6/"));
});

Deno.test("allowPrivate allows everything without resolving", async () => {
  const dns = table({ "internal.test": ["10.0.0.7"] });
  const guard = createAddressGuard({ allowPrivate: true, resolve: dns.resolve });
  await guard.check("http://127.0.0.1/");
  await guard.check("http://169.254.169.254/");
  await guard.check("http://internal.test/");
  assert.deepEqual(dns.calls, []);
});

Deno.test("DNS answers are cached for dnsCacheMs and bounded by maxCachedHosts", async () => {
  let t = 0;
  const dns = table({ "a.test": ["8.8.8.8"], "b.test": ["8.8.4.4"] });
  const guard = createAddressGuard({
    resolve: dns.resolve,
    dnsCacheMs: 1000,
    maxCachedHosts: 1,
    now: () => t,
  });
  await guard.check("http://a.test/1");
  await guard.check("http://a.test/2");
  assert.deepEqual(dns.calls, ["a.test"]);
  t = 1000;
  await guard.check("http://a.test/3");
  assert.deepEqual(dns.calls, ["a.test", "a.test"]);
  await guard.check("http://b.test/"); // evicts a.test
  await guard.check("http://a.test/4");
  assert.deepEqual(dns.calls, ["a.test", "a.test", "b.test", "a.test"]);
});

Deno.test("concurrent checks of one host resolve it once", async () => {
  const dns = table({ "a.test": ["8.8.8.8"] });
  const guard = createAddressGuard({ resolve: dns.resolve });
  await Promise.all([guard.check("http://a.test/1"), guard.check("http://a.test/2")]);
  assert.deepEqual(dns.calls, ["a.test"]);
});

Deno.test("an aborted signal rejects with ABORTED; a bad URL with INVALID_URL", async () => {
  const guard = createAddressGuard({ resolve: () => new Promise(() => {}) });
  const controller = new AbortController();
  const pending = guard.check("http://slow.test/", { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, (e) => e instanceof TrawlError && e.code === "ABORTED");
  await assert.rejects(
    guard.check("nope"),
    (e) => e instanceof TrawlError && e.code === "INVALID_URL",
  );
});
