/**
 * The guard's `lookup` plugged into undici for real (Deno's node:net and
 * node:tls), against local servers, with made-up names and injected resolvers:
 * no real DNS and no network beyond 127.0.0.1.
 *
 * TLS fixtures (tests/guard/fixtures/) are a test-only CA and a leaf for
 * `rebind.test` (Deno's rustls rejects a one-step self-signed certificate), made with:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
 *     -keyout ca.key -out ca.pem -days 36500 -subj "/CN=trawl test CA" \
 *     -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
 *   openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
 *     -keyout leaf.key -out leaf.csr -subj "/CN=rebind.test"
 *   openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem \
 *     -days 36500 -extfile leaf.ext   # subjectAltName=DNS:rebind.test, extendedKeyUsage=serverAuth
 */

import assert from "node:assert/strict";
import { connect, type LookupFunction } from "node:net";
import { Agent, buildConnector, request } from "undici";
import { createAddressGuard } from "../../src/guard/address_guard.ts";
import { TrawlError } from "../../src/trawl_error.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`fixtures/${name}`, import.meta.url));
const CA = fixture("ca.pem");
const CERT = fixture("leaf.pem");
const KEY = fixture("leaf.key");

type Scheme = "http" | "https";

/** A local server on 127.0.0.1 that answers with the Host it was asked for; counts requests. */
function serve(scheme: Scheme) {
  const seen: string[] = [];
  const server = Deno.serve(
    {
      port: 0,
      hostname: "127.0.0.1",
      onListen() {},
      ...(scheme === "https" ? { cert: CERT, key: KEY } : {}),
    },
    (req) => {
      seen.push(req.url);
      return new Response(`hello ${new URL(req.url).host}`);
    },
  );
  return { port: server.addr.port, seen, shutdown: () => server.shutdown() };
}

/** The rebinding attacker's DNS: a public address first, loopback from then on. */
function rebinder() {
  const calls: string[] = [];
  const resolve = (host: string) => {
    calls.push(host);
    return Promise.resolve(calls.length === 1 ? ["93.184.216.34"] : ["127.0.0.1"]);
  };
  return { resolve, calls };
}

/** Wrap a lookup to record the errors it calls back with (to compare identities). */
function recording(lookup: LookupFunction) {
  const answers: { error: unknown; address: unknown }[] = [];
  const wrapped: LookupFunction = (hostname, options, callback) =>
    lookup(hostname, options, (error, address, family) => {
      answers.push({ error, address });
      callback(error, address, family);
    });
  return { lookup: wrapped, answers };
}

for (const scheme of ["http", "https"] as const) {
  Deno.test(`${scheme}: undici connects to the address guard.lookup returned`, async () => {
    const server = serve(scheme);
    const dns = { calls: [] as string[] };
    const guard = createAddressGuard({
      resolve: (host) => {
        dns.calls.push(host);
        return Promise.resolve(["127.0.0.1"]);
      },
    });
    const agent = new Agent({ connect: { lookup: guard.lookup, ca: CA } });
    try {
      await guard.allowAddressesOf(`${scheme}://127.0.0.1:${server.port}/`); // the seed
      const url = `${scheme}://rebind.test:${server.port}/page`;
      await guard.check(url);
      const res = await request(url, { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), `hello rebind.test:${server.port}`);
      assert.equal(server.seen.length, 1);
      assert.deepEqual(dns.calls, ["rebind.test"]); // check and connect used one answer
    } finally {
      await agent.close();
      await server.shutdown();
    }
  });
}

Deno.test("the gap: check passes on the first answer, a second resolution connects to loopback", async () => {
  // What happens without the guard's lookup: the connection resolves the name
  // again (here through the same rebinding DNS) and reaches 127.0.0.1.
  const server = serve("http");
  const dns = rebinder();
  const guard = createAddressGuard({ resolve: dns.resolve });
  const unpinned: LookupFunction = (hostname, _options, callback) => {
    dns.resolve(hostname).then((a) => callback(null, [{ address: a[0], family: 4 }]));
  };
  const agent = new Agent({ connect: { lookup: unpinned } });
  try {
    const url = `http://rebind.test:${server.port}/`;
    await guard.check(url); // passes: 93.184.216.34
    const res = await request(url, { dispatcher: agent });
    assert.equal(await res.body.text(), `hello rebind.test:${server.port}`);
    assert.equal(server.seen.length, 1); // the attack worked
  } finally {
    await agent.close();
    await server.shutdown();
  }
});

/**
 * The same attack with `guard.lookup` as the connection's lookup. The guard
 * caches answers for `dnsCacheMs` (60 s by default); with a warm cache `lookup`
 * would simply return the answer `check` approved (and connect to a real public
 * address, which a test must not do). `dnsCacheMs: 0` makes every call resolve
 * afresh, which is exactly the case of a cache that expired between check and
 * connect. The gap stays closed then too, because the address the socket gets
 * comes out of the same `lookup` call that checked it: there is no resolution
 * between the decision and the connection any more, whatever the cache holds.
 */
const connectors = {
  "http (all: true path)": { scheme: "http", connect: (lookup: LookupFunction) => ({ lookup }) },
  "http, family 4 (all: false path)": {
    scheme: "http",
    connect: (lookup: LookupFunction) => ({ lookup, family: 4 }),
  },
  "https": { scheme: "https", connect: (lookup: LookupFunction) => ({ lookup, ca: CA }) },
  "buildConnector (as the fetcher builds it)": {
    scheme: "http",
    connect: (lookup: LookupFunction) => buildConnector({ lookup, timeout: 0 }),
  },
} as const;

for (const [name, { scheme, connect: connectWith }] of Object.entries(connectors)) {
  Deno.test(`rebinding is refused at connect time: ${name}`, async () => {
    const server = serve(scheme);
    const dns = rebinder();
    const guard = createAddressGuard({ resolve: dns.resolve, dnsCacheMs: 0 });
    const rec = recording(guard.lookup);
    const agent = new Agent({ connect: connectWith(rec.lookup) });
    try {
      const url = `${scheme}://rebind.test:${server.port}/`;
      await guard.check(url); // passes: the first answer is public
      const error = await request(url, { dispatcher: agent }).then(
        () => assert.fail("the request reached the server"),
        (e: unknown) => e,
      );
      // undici hands the lookup's error to request()'s caller as it is:
      // the same TrawlError object, not wrapped, no cause.
      assert.equal(rec.answers.length, 1);
      assert.equal(error, rec.answers[0].error);
      assert.ok(error instanceof TrawlError);
      assert.equal(error.code, "BLOCKED_ADDRESS");
      assert.equal(error.cause, undefined);
      assert.match(error.message, /rebind\.test.*127\.0\.0\.1.*--allow-private/);
      assert.deepEqual(dns.calls, ["rebind.test", "rebind.test"]);
      assert.equal(server.seen.length, 0);
    } finally {
      await agent.close();
      await server.shutdown();
    }
  });
}

Deno.test("a name resolving to 169.254.169.254 is refused at connect time, nothing sent", async () => {
  const guard = createAddressGuard({ resolve: () => Promise.resolve(["169.254.169.254"]) });
  const rec = recording(guard.lookup);
  const agent = new Agent({ connect: { lookup: rec.lookup } });
  try {
    const error = await request("http://meta.test/latest/meta-data/", { dispatcher: agent })
      .then(() => assert.fail("request went through"), (e: unknown) => e);
    assert.ok(error instanceof TrawlError);
    assert.equal(error.code, "BLOCKED_ADDRESS");
    assert.match(error.message, /meta\.test.*169\.254\.169\.254.*cloud metadata/);
    // the socket never got an address: the lookup answered with the error alone
    assert.deepEqual(rec.answers, [{ error, address: undefined }]);
  } finally {
    await agent.close();
  }

  // The same at the socket level: a write queued before connecting dies with the
  // socket, which never connects. (Node's `bytesWritten` counts queued bytes too,
  // so it proves nothing here.)
  const socket = connect({ host: "meta.test", port: 80, lookup: guard.lookup });
  let connected = false;
  socket.on("connect", () => connected = true);
  socket.write("GET /latest/meta-data/ HTTP/1.1\r\nHost: meta.test\r\n\r\n");
  const failure = await new Promise<unknown>((resolve) => socket.on("error", resolve));
  await new Promise((resolve) => socket.on("close", resolve));
  assert.ok(failure instanceof TrawlError);
  assert.equal(failure.code, "BLOCKED_ADDRESS");
  assert.equal(connected, false);
  assert.equal(socket.remoteAddress, undefined);
});
