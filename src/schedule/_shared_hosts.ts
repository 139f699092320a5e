/**
 * The layer of a shared host policy that jobs hold in common: per host, the
 * permits in flight over every job and the time of the last grant, with the cap
 * and gap of the strictest job on that host (the smallest `maxPerHost`, the
 * largest of each job's delay/rate gap and `Crawl-delay`). A job counts on a host
 * from its first request there until its crawl ends. Public face:
 * `shared_host_policy.ts`.
 *
 * @module
 */

import { whenAborted } from "../_abortable.ts";
import { TrawlError } from "../trawl_error.ts";
import type { RequestOutcome } from "../policy/host_policy.ts";
import { GrantStamp } from "../policy/_grant_stamp.ts";

/** One job's settings on a host. */
export interface JobHostSettings {
  /** Permits of one host at once. */
  readonly maxPerHost: number;
  /** The job's gap between grants (delay, rate), ms. */
  readonly gapMs: number;
}

interface Entry extends JobHostSettings {
  /** The host's `Crawl-delay` as this job's robots.txt check saw it, ms. */
  crawlDelayMs: number;
}

interface Waiter {
  readonly job: number;
  resolve(grant: SharedGrant): void;
  reject(reason: unknown): void;
  forget: (() => void) | null;
}

/** One grant of the shared layer, released once. */
export class SharedGrant {
  #host: Host | null;
  readonly #stamp: GrantStamp;

  constructor(host: Host, stamp: GrantStamp) {
    this.#host = host;
    this.#stamp = stamp;
  }

  /** Its request is about to be written at `now`: {@linkcode GrantStamp.confirm} (0 once released). */
  confirm(now: number, maxLagMs: number): number {
    const host = this.#host;
    return host === null ? 0 : this.#stamp.confirm(host, now, maxLagMs);
  }

  /** Give the grant back; a second call does nothing. */
  release(outcome: RequestOutcome, now: number): Host | null {
    const host = this.#host;
    if (host === null) return null;
    this.#host = null;
    host.inFlight--;
    this.#stamp.released(host, outcome, now);
    return host;
  }
}

/** One host as the jobs share it. */
export class Host {
  readonly name: string;
  readonly jobs = new Map<number, Entry>();
  inFlight = 0;
  lastGrantAt = -Infinity;
  grants = 0;
  waiters: Waiter[] = [];
  timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** The smallest cap of the jobs on the host. */
  get cap(): number {
    let cap = Infinity;
    for (const e of this.jobs.values()) cap = Math.min(cap, e.maxPerHost);
    return cap;
  }

  /** The largest gap of the jobs on the host, `Crawl-delay` included. */
  get gapMs(): number {
    let gap = 0;
    for (const e of this.jobs.values()) gap = Math.max(gap, e.gapMs, e.crawlDelayMs);
    return gap;
  }

  get readyAt(): number {
    return this.lastGrantAt + this.gapMs;
  }

  admits(now: number): boolean {
    return this.inFlight < this.cap && now >= this.readyAt;
  }

  grant(now: number): SharedGrant {
    this.inFlight++;
    return new SharedGrant(this, GrantStamp.grant(this, now));
  }
}

/** The error of a wait that a closing view (or its job's end) cut short. */
export function closedError(): TrawlError {
  return new TrawlError("ABORTED", "the shared host policy is closed for this crawl");
}

/** The hosts every job of a scheduler shares. */
export class SharedHosts {
  readonly #hosts = new Map<string, Host>();
  /** Hosts each job counts on. */
  readonly #byJob = new Map<number, Set<string>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Hosts held in memory (some job counts on each). */
  get size(): number {
    return this.#hosts.size;
  }

  /** Add `job` with its settings (no hosts yet). */
  addJob(job: number): void {
    this.#byJob.set(job, new Set());
  }

  /** `job`'s crawl ended: it no longer counts on any host; its waiters are rejected. */
  removeJob(job: number): void {
    const hosts = this.#byJob.get(job);
    if (hosts === undefined) return;
    this.#byJob.delete(job);
    for (const name of hosts) {
      const host = this.#hosts.get(name);
      if (host === undefined) continue;
      host.jobs.delete(job);
      const mine = host.waiters.filter((w) => w.job === job);
      host.waiters = host.waiters.filter((w) => w.job !== job);
      for (const w of mine) {
        w.forget?.();
        w.reject(closedError());
      }
      this.#pump(host);
      this.#dropIfUnused(host);
    }
  }

  /** `job` counts on `host` with `settings` from now on. */
  #enter(job: number, name: string, settings: JobHostSettings): Host {
    let host = this.#hosts.get(name);
    if (host === undefined) {
      host = new Host(name);
      this.#hosts.set(name, host);
    }
    if (!host.jobs.has(job)) {
      host.jobs.set(job, { ...settings, crawlDelayMs: 0 });
      this.#byJob.get(job)?.add(name);
    }
    return host;
  }

  /** A grant now, or `null` (never waits; refuses while others wait, to keep their order). */
  tryGrant(job: number, name: string, settings: JobHostSettings): SharedGrant | null {
    const host = this.#enter(job, name, settings);
    const now = this.#now();
    if (host.waiters.length > 0 || !host.admits(now)) return null;
    return host.grant(now);
  }

  /** Wait for a grant, in arrival order; rejects with `signal`'s reason when it aborts. */
  grant(
    job: number,
    name: string,
    settings: JobHostSettings,
    signal: AbortSignal | undefined,
  ): Promise<SharedGrant> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const host = this.#enter(job, name, settings);
    const now = this.#now();
    if (host.waiters.length === 0 && host.admits(now)) return Promise.resolve(host.grant(now));
    return new Promise<SharedGrant>((resolve, reject) => {
      const waiter: Waiter = { job, resolve, reject, forget: null };
      host.waiters.push(waiter);
      if (signal !== undefined) {
        waiter.forget = whenAborted(signal, () => {
          const i = host.waiters.indexOf(waiter);
          if (i < 0) return;
          host.waiters.splice(i, 1);
          reject(signal.reason);
          this.#pump(host);
        });
      }
      this.#pump(host);
    });
  }

  /** Give `grant` back. */
  release(grant: SharedGrant, outcome: RequestOutcome): void {
    const host = grant.release(outcome, this.#now());
    if (host === null) return;
    this.#pump(host);
    this.#dropIfUnused(host);
  }

  /** `job` saw `host`'s robots.txt: its `Crawl-delay` joins the host's gap. */
  crawlDelay(job: number, name: string, settings: JobHostSettings, delayMs: number): void {
    const host = this.#enter(job, name, settings);
    const entry = host.jobs.get(job)!;
    if (entry.crawlDelayMs === delayMs) return;
    entry.crawlDelayMs = delayMs;
    this.#pump(host);
  }

  /** Hosts of `job` that would refuse a grant by time now. */
  timeBlocked(job: number, into: Set<string>): void {
    const now = this.#now();
    for (const name of this.#byJob.get(job) ?? []) {
      const host = this.#hosts.get(name);
      if (host !== undefined && now < host.readyAt) into.add(name);
    }
  }

  /** Ms until the soonest time-blocked host of `job` is ready, or `null`. */
  nextReadyMs(job: number): number | null {
    const now = this.#now();
    let soonest = Infinity;
    for (const name of this.#byJob.get(job) ?? []) {
      const host = this.#hosts.get(name);
      if (host !== undefined && now < host.readyAt) soonest = Math.min(soonest, host.readyAt);
    }
    return soonest === Infinity ? null : Math.max(1, Math.ceil(soonest - now));
  }

  /** The cap and gap in force on `host` now (for tests and stats), or `null`. */
  view(name: string): { inFlight: number; maxPerHost: number; gapMs: number } | null {
    const host = this.#hosts.get(name);
    if (host === undefined) return null;
    return { inFlight: host.inFlight, maxPerHost: host.cap, gapMs: host.gapMs };
  }

  /** Grant to waiters in order while the host admits; arm the timer when time holds them. */
  #pump(host: Host): void {
    if (host.timer !== undefined) {
      clearTimeout(host.timer);
      host.timer = undefined;
    }
    while (host.waiters.length > 0) {
      const now = this.#now();
      if (host.inFlight >= host.cap) return;
      if (now < host.readyAt) {
        host.timer = setTimeout(() => {
          host.timer = undefined;
          this.#pump(host);
        }, Math.max(1, Math.ceil(host.readyAt - now)));
        return;
      }
      const w = host.waiters.shift()!;
      w.forget?.();
      w.resolve(host.grant(now));
    }
  }

  /** Drop a host no job counts on and nothing holds. */
  #dropIfUnused(host: Host): void {
    if (host.jobs.size > 0 || host.inFlight > 0 || host.waiters.length > 0) return;
    if (host.timer !== undefined) clearTimeout(host.timer);
    this.#hosts.delete(host.name);
  }
}
