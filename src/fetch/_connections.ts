/**
 * The connector wrapper: every socket the fetcher opens goes through it, for our
 * own connect timer (undici's has about 1 s resolution), the socket count held
 * against the open-file budget, and the bound on idle keep-alive sockets over
 * all origins.
 *
 * Idle is undici's own verdict: a client `unref()`s its socket when it has no
 * request left (so an idle pool does not keep the process alive) and `ref()`s it
 * again before the next one. The wrapper watches those two calls per socket and
 * keeps the idle ones in least-recently-used order; past `maxIdleSockets` the
 * oldest is destroyed, undici reconnects on demand, and the Agent drops an
 * origin's pool once its last connection is gone. So memory follows the hosts
 * in flight, not every host crawled in the last `keepAliveTimeoutMs`.
 *
 * @module
 */

import { Socket } from "node:net";
import type { buildConnector } from "undici";
import { TrawlError } from "../trawl_error.ts";
import { TimerQueue } from "./_timer_queue.ts";

/** Options for {@linkcode Connections}. */
export interface ConnectionsOptions {
  /** Time allowed to open a connection. */
  connectTimeoutMs: number;
  /** Sockets open at once at most (the open-file budget). */
  maxSockets: number;
  /** Idle keep-alive sockets kept over all origins. */
  maxIdleSockets: number;
}

type Track = (socket: Socket) => void;

/** The sockets of one fetcher. */
export class Connections {
  /** Sockets open now. */
  open = 0;
  #timers: TimerQueue;
  #timeoutMs: number;
  #maxSockets: number;
  #maxIdle: number;
  /** Idle sockets, least recently used first (a Set keeps insertion order). */
  #idle = new Set<Socket>();
  #trimming = false;
  #trim = () => {
    this.#trimming = false;
    this.#evict(this.#maxIdle);
  };
  #markIdle: Track = (socket) => {
    this.#idle.add(socket);
    // Not from inside undici's own call: once, after it returns.
    if (this.#idle.size > this.#maxIdle && !this.#trimming) {
      this.#trimming = true;
      queueMicrotask(this.#trim);
    }
  };
  #markBusy: Track = (socket) => this.#idle.delete(socket);

  constructor(options: ConnectionsOptions) {
    this.#timeoutMs = options.connectTimeoutMs;
    this.#maxSockets = options.maxSockets;
    this.#maxIdle = options.maxIdleSockets;
    this.#timers = new TimerQueue(options.connectTimeoutMs);
  }

  /** Idle keep-alive sockets now. */
  get idle(): number {
    return this.#idle.size;
  }

  /** Stop the connect timers (after the agent is destroyed: nothing connects any more). */
  stop(): void {
    this.#timers.stop();
  }

  /** Destroy idle sockets, least recently used first, until at most `keep` are left. */
  #evict(keep: number): void {
    for (const socket of this.#idle) {
      if (this.#idle.size <= keep) return;
      this.#idle.delete(socket);
      socket.destroy();
    }
  }

  /** Close the least recently used idle socket to make room; `false` if none is idle. */
  #closeOldestIdle(): boolean {
    for (const socket of this.#idle) {
      this.#idle.delete(socket);
      socket.destroy(); // its "close" counts it out
      return true;
    }
    return false;
  }

  /**
   * Wrap an undici connector: our connect timer, the socket budget (an idle
   * socket is closed to make room before `FD_LIMIT` is refused), the idle
   * tracking. `via` ends messages (" through the proxy ...").
   */
  wrap(base: buildConnector.connector, via: string): buildConnector.connector {
    return (opts, callback) => {
      if (this.open >= this.#maxSockets && !this.#closeOldestIdle()) {
        callback(
          new TrawlError(
            "FD_LIMIT",
            `${this.open} sockets open: at the open-file budget ${this.#maxSockets}; lower maxInFlight or keepAliveTimeoutMs`,
          ),
          null,
        );
        return;
      }
      let settled = false;
      // A plain connector returns the socket it is opening; a proxy tunnel's returns a promise.
      let opening: unknown = null;
      const timer = this.#timers.add(() => {
        settled = true;
        if (opening instanceof Socket) opening.destroy();
        callback(
          new TrawlError(
            "CONNECT_TIMEOUT",
            `${opts.protocol}//${opts.host}: no connection within ${this.#timeoutMs} ms${via} (connectTimeoutMs)`,
          ),
          null,
        );
      });
      opening = base(opts, (error, socket) => {
        if (settled) {
          socket?.destroy();
          return;
        }
        settled = true;
        timer.cancel();
        if (error || !socket) return callback(error ?? new Error("no socket"), null);
        this.#track(socket as Socket);
        callback(null, socket);
      });
    };
  }

  #track(socket: Socket): void {
    this.open++;
    const { ref, unref } = socket;
    const markIdle = this.#markIdle;
    const markBusy = this.#markBusy;
    socket.unref = function (this: Socket) {
      markIdle(socket);
      return unref.call(this);
    };
    socket.ref = function (this: Socket) {
      markBusy(socket);
      return ref.call(this);
    };
    socket.once("close", () => {
      this.open--;
      this.#idle.delete(socket);
    });
  }
}
