/**
 * The permit of the Redis host policy and the policy's own settings
 * (`redis_host_policy.ts`).
 *
 * @module
 */

import type { HostPermit } from "./host_policy.ts";

/**
 * A permit of the Redis policy: the local one plus its id in Redis.
 *
 * @example Wrap a local permit granted at Redis time 1000
 * ```ts
 * import { RedisPermit } from "./_redis_permit.ts";
 *
 * const local = { host: "a.test", kind: "page" } as const;
 * const permit = new RedisPermit("a.test", "page", local, "owner/1", 1000, 120, 20);
 * ```
 */
export class RedisPermit implements HostPermit {
  released = false;
  /** When the grant's reply arrived, `performance.now()` ms. */
  receivedAt = performance.now();
  constructor(
    readonly host: string,
    readonly kind: HostPermit["kind"],
    readonly local: HostPermit,
    /** Its id in the host's permit set. */
    public id: string,
    /** The grant's time on Redis's clock, ms. */
    public grantMs: number,
    /** The gap its grant set (0: none, no send-time check needed), ms. */
    public gapMs: number,
    /** The send slack included in that gap, ms. */
    public slackMs: number,
  ) {}

  /** It was granted again (`confirm`) under a new id. */
  regranted(id: string, grantMs: number, gapMs: number, slackMs: number): void {
    this.id = id;
    this.grantMs = grantMs;
    this.gapMs = gapMs;
    this.slackMs = slackMs;
    this.receivedAt = performance.now();
  }
}

/**
 * The validated settings beyond the memory policy's.
 *
 * @example The defaults
 * ```ts
 * import type { Settings } from "./_redis_permit.ts";
 *
 * const s: Settings = { permitTtlMs: 120_000, pollMs: 100, idleMs: 60_000, sendSlackMs: 20, firstSendSlackMs: 100 };
 * ```
 */
export interface Settings {
  permitTtlMs: number;
  pollMs: number;
  idleMs: number;
  sendSlackMs: number;
  firstSendSlackMs: number;
}
