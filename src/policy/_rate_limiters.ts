/**
 * The reservoir limits of the memory host policy, through Bottleneck: one
 * limiter per host (a `Bottleneck.Group`) for `rateLimit.maxPerInterval`, and
 * one limiter for `globalRate`. Only made when one of them is configured:
 * Bottleneck yields a timer tick per operation (about 230 jobs/s in Deno), so the
 * unlimited hot path never touches it.
 *
 * @module
 */

import Bottleneck from "bottleneck";
import { whenAborted } from "../_abortable.ts";

/** A reservoir: `amount` tokens, refilled to `amount` every `intervalMs`. */
export interface Reservoir {
  /** Tokens per window. */
  amount: number;
  /** The window, ms. */
  intervalMs: number;
}

/** A wait for a token, as the limiters track it until it settles. */
interface TokenWait {
  settled: boolean;
  reject(reason: unknown): void;
  forget: (() => void) | null;
}

/**
 * How often Bottleneck checks for a refill, ms. Its default, 250 ms, would make a
 * 200 ms window last 250; checking ten times a window keeps it close.
 */
function heartbeatMs(r: Reservoir): number {
  return Math.max(5, Math.min(250, Math.floor(r.intervalMs / 10)));
}

function limiterOptions(r: Reservoir): Bottleneck.ConstructorOptions {
  return {
    reservoir: r.amount,
    reservoirRefreshAmount: r.amount,
    reservoirRefreshInterval: r.intervalMs,
    heartbeatInterval: heartbeatMs(r),
  } as Bottleneck.ConstructorOptions;
}

/** What {@linkcode RateLimiters.tryTake} got: tokens, or which reservoir was empty. */
export type TakeResult = "taken" | "hostEmpty" | "globalEmpty";

const NOOP = (): Promise<void> => Promise.resolve();

/** The Bottleneck limiters of one policy. */
export class RateLimiters {
  #group: Bottleneck.Group | null;
  #global: Bottleneck | null;
  #waits = new Set<TokenWait>();
  #deleting = new Set<Promise<unknown>>();
  #closed = false;
  #closedError: () => unknown;
  /** After a per-host reservoir was found empty, how long until a refill may be seen, ms. */
  readonly hostRetryMs: number;
  /** After the global reservoir was found empty, how long until a refill may be seen, ms. */
  readonly globalRetryMs: number;

  /**
   * Limiters for the given reservoirs (`null` for none); `closedError` rejects waits on
   * close; `extra` joins the global limiter's options (Redis clustering: one reservoir
   * shared by every process).
   */
  constructor(
    perHost: Reservoir | null,
    global: Reservoir | null,
    closedError: () => unknown,
    extra: Readonly<Record<string, unknown>> = {},
  ) {
    // The group's own clean-up judges a limiter idle by its last `schedule`, which
    // `tryTake` does not use: the policy deletes a host's limiter itself (`forget`).
    this.#group = perHost
      ? new Bottleneck.Group({ ...limiterOptions(perHost), timeout: 2 ** 30 })
      : null;
    this.#global = global ? new Bottleneck({ ...limiterOptions(global), ...extra }) : null;
    this.#closedError = closedError;
    this.hostRetryMs = perHost ? heartbeatMs(perHost) : 0;
    this.globalRetryMs = global ? heartbeatMs(global) : 0;
  }

  /** Whether a per-host reservoir is in force (the host's state is kept for its window). */
  get perHost(): boolean {
    return this.#group !== null;
  }

  /** Take a token of `host` and a global one if both are there now, else none. Never waits. */
  async tryTake(host: string): Promise<TakeResult> {
    const perHost = this.#group?.key(host) ?? null;
    if (perHost !== null && !(await tryToken(perHost))) return "hostEmpty";
    if (this.#global !== null && !(await tryToken(this.#global))) {
      if (perHost !== null) refund(perHost);
      return "globalEmpty";
    }
    return "taken";
  }

  /** Wait for a token of `host`, then a global one. Rejects with `signal.reason`, or on close. */
  async take(host: string, signal: AbortSignal | undefined): Promise<void> {
    const perHost = this.#group?.key(host) ?? null;
    if (perHost !== null) await this.#wait(perHost, signal);
    if (this.#global !== null) {
      try {
        await this.#wait(this.#global, signal);
      } catch (error) {
        if (perHost !== null) refund(perHost);
        throw error;
      }
    }
  }

  /** Drop the per-host limiter of `host` (its state is gone). */
  forget(host: string): void {
    if (this.#group === null || this.#closed) return;
    const deleting = this.#group.deleteKey(host).catch(() => false);
    this.#deleting.add(deleting);
    deleting.finally(() => this.#deleting.delete(deleting));
  }

  /** Reject every wait and stop the limiters' timers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waits) {
      w.settled = true;
      w.forget?.();
      w.reject(this.#closedError());
    }
    this.#waits.clear();
    await Promise.all(this.#deleting);
    if (this.#group !== null) {
      const group = this.#group;
      await Promise.all(group.keys().map((key) => group.deleteKey(key)));
      clearInterval((group as unknown as { interval: number }).interval);
    }
    await this.#global?.disconnect();
  }

  #wait(limiter: Bottleneck, signal: AbortSignal | undefined): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const w: TokenWait = { settled: false, reject, forget: null };
      const settle = () => {
        w.settled = true;
        this.#waits.delete(w);
        w.forget?.();
      };
      this.#waits.add(w);
      if (signal !== undefined) {
        w.forget = whenAborted(signal, () => {
          if (w.settled) return;
          settle();
          reject(signal.reason);
        });
      }
      limiter.schedule(() => {
        // Bottleneck cannot cancel a queued job: a wait given up meanwhile hands its token back.
        if (w.settled) refund(limiter);
        else {
          settle();
          resolve();
        }
        return NOOP();
      }).catch((error: unknown) => {
        if (w.settled) return;
        settle();
        reject(error);
      });
    });
  }
}

/** Take one token if there is one now (a check, then an atomic decrement; undone when raced). */
async function tryToken(limiter: Bottleneck): Promise<boolean> {
  if (!(await limiter.check())) return false;
  const left = await limiter.incrementReservoir(-1);
  if (typeof left === "number" && left < 0) {
    refund(limiter);
    return false;
  }
  return true;
}

function refund(limiter: Bottleneck): void {
  limiter.incrementReservoir(1).catch(() => {});
}
