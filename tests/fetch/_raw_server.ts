/**
 * Raw HTTP/1.1 servers on loopback (node:net), for what `Deno.serve` cannot send
 * (raw header bytes) or report (open connections at the server side).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import net from "node:net";

/** What a raw server answers to one request: the whole response, bytes or latin1 text. */
export type RawResponder = (requestLine: string) => Uint8Array | string;

/** Raw keep-alive servers, one per port, sharing their counters. */
export interface RawServers extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` of each server. */
  origins: string[];
  /** Request lines received, in order (`GET /x HTTP/1.1`). */
  requests: string[];
  /** Connections open at the server side now. */
  readonly open: number;
}

/** A response with a body and extra header lines (latin1 text; the bytes as given). */
export function rawResponse(
  status: string,
  headers: string[],
  body: Uint8Array | string = "",
): Uint8Array {
  const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : body;
  const head = [`HTTP/1.1 ${status}`, ...headers, `content-length: ${bytes.length}`, "", ""]
    .join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), bytes]);
}

/** Start `count` raw servers on 127.0.0.1 (port 0 each), answering with `respond`. */
export async function startRawServers(count: number, respond: RawResponder): Promise<RawServers> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const origins: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      let pending = Buffer.alloc(0);
      socket.on("data", (data: Buffer) => {
        pending = Buffer.concat([pending, data]);
        for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
          const line = pending.subarray(0, pending.indexOf("\r\n")).toString("latin1");
          pending = pending.subarray(end + 4);
          requests.push(line);
          const out = respond(line);
          socket.write(typeof out === "string" ? Buffer.from(out, "latin1") : out);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    origins.push(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  }
  return {
    origins,
    requests,
    get open() {
      return sockets.size;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
