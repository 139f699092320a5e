// A tiny forward proxy on loopback: it answers CONNECT by tunnelling to the target, and
// absolute-form requests by forwarding them, recording each request line it saw.

export function startProxy() {
  const seen: string[] = [];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const done = (async () => {
    for await (const client of listener) {
      conns.add(client);
      (async () => {
        const buffer = new Uint8Array(16 * 1024);
        const n = await client.read(buffer);
        if (n === null) return client.close();
        const head = new TextDecoder().decode(buffer.subarray(0, n));
        const [method, target] = head.split(" ");
        seen.push(`${method} ${target}`);
        const { hostname, port } = method === "CONNECT"
          ? new URL(`http://${target}`)
          : new URL(target!);
        // Loopback only: a test must never reach off the machine through this proxy.
        if (!["127.0.0.1", "localhost", "[::1]"].includes(hostname)) {
          await client.write(new TextEncoder().encode("HTTP/1.1 403 Forbidden\r\n\r\n"));
          return client.close();
        }
        const upstream = await Deno.connect({ hostname, port: Number(port || 80) });
        conns.add(upstream);
        if (method === "CONNECT") {
          await client.write(
            new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"),
          );
        } else {
          await upstream.write(buffer.subarray(0, n));
        }
        await Promise.allSettled([
          client.readable.pipeTo(upstream.writable),
          upstream.readable.pipeTo(client.writable),
        ]);
      })().catch(() => {});
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    seen,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      await done.catch(() => {});
    },
  };
}
