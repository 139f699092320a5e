/**
 * Benchmark server: answers every request after 100 ms with a small body.
 * Prints its port on stdout, then serves until killed.
 *
 * @module
 */

const delayMs = Number(Deno.args[0] ?? 100);
const body = "<html><title>bench</title><a href='/p/1'>x</a></html>";
Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen({ port }) {
    console.log(port);
  },
}, async () => {
  await new Promise((r) => setTimeout(r, delayMs));
  return new Response(body, { headers: { "content-type": "text/html" } });
});
