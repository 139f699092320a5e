/**
 * Defaults and up-front validation of the memory host policy's options.
 *
 * @module
 */

import type { BackoffEvent, PolitenessEvent } from "../crawl_events.ts";
import type { MemoryHostPolicyOptions, RateLimit, RequestRate } from "./memory_host_policy.ts";
import { finiteAtLeastZero, finitePositive, integerAtLeast, show } from "../_option_checks.ts";

/** Bottleneck's safe ceiling in Deno, requests/s (it admits about 230 jobs/s). */
export const MAX_BOTTLENECK_RATE = 200;

/** Every default of {@linkcode MemoryHostPolicyOptions}, in one place. */
export const POLICY_DEFAULTS = {
  maxPerHost: 8,
  delayMs: 0,
  awaitRobots: false,
  backoffBaseMs: 1_000,
  maxBackoffMs: 60_000,
  maxRetryAfterMs: 600_000,
  idleMs: 1_000,
  intervalMs: 1_000,
  minTimeMs: 0,
} as const;

/** The options after validation, defaults applied. */
export interface ResolvedOptions {
  maxPerHost: number;
  /** The largest of `delayMs`, the rate's gap and `rateLimit.minTimeMs`. */
  baseGapMs: number;
  awaitRobots: boolean;
  backoffBaseMs: number;
  maxBackoffMs: number;
  maxRetryAfterMs: number;
  idleMs: number;
  /** Per-host reservoir (`rateLimit.maxPerInterval`), or `null`. */
  perHostReservoir: { amount: number; intervalMs: number } | null;
  /** Global reservoir (`globalRate`), or `null`. */
  globalReservoir: { amount: number; intervalMs: number } | null;
  onEvent: ((e: BackoffEvent | PolitenessEvent) => void) | null;
  now: () => number;
  /** Extra Bottleneck options for the limiters (Redis clustering, from the Redis policy). */
  limiterOptions?: Readonly<Record<string, unknown>>;
}

function object<T>(name: string, value: unknown): T {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object: received ${show(value)}`);
  }
  return value as T;
}

function fn<T>(name: string, value: unknown): T {
  if (typeof value !== "function") {
    throw new TypeError(`${name} must be a function: received ${show(value)}`);
  }
  return value as T;
}

function underCeiling(name: string, amount: number, intervalMs: number): void {
  const perSecond = amount * 1000 / intervalMs;
  if (perSecond > MAX_BOTTLENECK_RATE) {
    throw new RangeError(
      `${name} must be at most ${MAX_BOTTLENECK_RATE} requests/s, because Bottleneck, which ` +
        `enforces it, admits only about 230 jobs/s in Deno: received ${amount} per ${intervalMs} ms ` +
        `(${Number(perSecond.toFixed(1))}/s)`,
    );
  }
}

/** Validate `options` once, up front, and apply the defaults. */
export function resolveOptions(options: MemoryHostPolicyOptions | undefined): ResolvedOptions {
  const o = options === undefined ? {} : object<MemoryHostPolicyOptions>("options", options);
  const d = POLICY_DEFAULTS;
  const maxPerHost = integerAtLeast("maxPerHost", o.maxPerHost ?? d.maxPerHost, 1);
  const delayMs = finiteAtLeastZero("delayMs", o.delayMs ?? d.delayMs);
  let rateGapMs = 0;
  if (o.rate !== undefined) {
    const rate = object<RequestRate>("rate", o.rate);
    const requests = finitePositive("rate.requests", rate.requests);
    rateGapMs = finitePositive("rate.perMs", rate.perMs) / requests;
  }
  let minTimeMs = 0;
  let perHostReservoir: ResolvedOptions["perHostReservoir"] = null;
  if (o.rateLimit !== undefined) {
    const limit = object<RateLimit>("rateLimit", o.rateLimit);
    minTimeMs = finiteAtLeastZero("rateLimit.minTimeMs", limit.minTimeMs ?? d.minTimeMs);
    const intervalMs = finitePositive("rateLimit.intervalMs", limit.intervalMs ?? d.intervalMs);
    if (limit.maxPerInterval !== undefined) {
      const amount = integerAtLeast("rateLimit.maxPerInterval", limit.maxPerInterval, 1);
      underCeiling("rateLimit (maxPerInterval per intervalMs)", amount, intervalMs);
      perHostReservoir = { amount, intervalMs };
    }
  }
  let globalReservoir: ResolvedOptions["globalReservoir"] = null;
  if (o.globalRate !== undefined) {
    const rate = object<RequestRate>("globalRate", o.globalRate);
    const amount = integerAtLeast("globalRate.requests", rate.requests, 1);
    const intervalMs = finitePositive("globalRate.perMs", rate.perMs);
    underCeiling("globalRate", amount, intervalMs);
    globalReservoir = { amount, intervalMs };
  }
  const awaitRobots = o.awaitRobots ?? d.awaitRobots;
  if (typeof awaitRobots !== "boolean") {
    throw new TypeError(`awaitRobots must be a boolean: received ${show(awaitRobots)}`);
  }
  return {
    maxPerHost,
    baseGapMs: Math.max(delayMs, rateGapMs, minTimeMs),
    awaitRobots,
    backoffBaseMs: finiteAtLeastZero("backoffBaseMs", o.backoffBaseMs ?? d.backoffBaseMs),
    maxBackoffMs: finiteAtLeastZero("maxBackoffMs", o.maxBackoffMs ?? d.maxBackoffMs),
    maxRetryAfterMs: finiteAtLeastZero(
      "maxRetryAfterMs",
      o.maxRetryAfterMs ?? d.maxRetryAfterMs,
    ),
    idleMs: finiteAtLeastZero("idleMs", o.idleMs ?? d.idleMs),
    perHostReservoir,
    globalReservoir,
    onEvent: o.onEvent === undefined ? null : fn("onEvent", o.onEvent),
    now: o.now === undefined ? () => performance.now() : fn("now", o.now),
  };
}

/**
 * A permit whose request goes out later than this after its grant is confirmed
 * again (`HostPolicy.confirm`), ms: the gap then counts from the send, not from the grant.
 */
export const MAX_SEND_LAG_MS = 10;
