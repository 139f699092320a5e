/**
 * A real `redis-server` for tests and benches: started on a free loopback port
 * in its own temp directory, waited for until it answers PING, stopped at the
 * end. `restart()` stops it (SIGTERM: with `appendonly` it writes its AOF) and
 * starts it again on the same port and directory, for the fault tests.
 *
 * @module
 */

import { Socket } from "node:net";

/** Options for {@linkcode startRedisServer}. */
export interface RedisServerOptions {
  /** `appendonly yes` with `appendfsync always` (persistence a restart keeps). @default {false} */
  appendOnly?: boolean;
  /** How long to wait for the server to answer, ms. @default {10000} */
  startTimeoutMs?: number;
}

/** A running redis-server. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT/0` */
  readonly url: string;
  /** The TCP port. */
  readonly port: number;
  /** Its working directory (AOF/RDB files). */
  readonly dir: string;
  /** Stop it (SIGTERM, then SIGKILL after 5 s) and wait for its exit. */
  stop(): Promise<void>;
  /** Stop it, then start it again on the same port and directory. `downMs` = pause between. */
  restart(downMs?: number): Promise<void>;
  /** Stop it and remove its directory. */
  close(): Promise<void>;
}

/** A free loopback TCP port (bound then released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Whether something on `port` answers `PING` with `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(String(data).startsWith("+PONG")));
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
  });
}

/**
 * Start a redis-server on a free loopback port in a fresh temp directory.
 *
 * @example In a test
 * ```ts ignore
 * const server = await startRedisServer();
 * try {
 *   // ... new Redis(server.url) ...
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "trawl-redis-" });
  const port = freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendOnly ? "yes" : "no",
    "--appendfsync",
    "always",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    "--logfile",
    `${dir}/redis.log`,
  ];
  let child: Deno.ChildProcess | null = null;
  const start = async () => {
    child = new Deno.Command("redis-server", { args, stdout: "null", stderr: "null" }).spawn();
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    while (!(await ping(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    const running = child as Deno.ChildProcess | null;
    if (running === null) return;
    child = null;
    try {
      running.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        running.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    await running.status;
    clearTimeout(timer);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    dir,
    stop,
    async restart(downMs = 0) {
      await stop();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async close() {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
