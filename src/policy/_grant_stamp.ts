/**
 * One grant's place on its host's clock of grants, and the gap bookkeeping done
 * with it at send time and at release. The memory policy's host states and the
 * scheduler's shared hosts keep the same clock, so both use this.
 *
 * @module
 */

import type { RequestOutcome } from "./host_policy.ts";

/**
 * The clock of one host's grants: the gap in force, the time the next grant may
 * happen, how many grants were made and when the last one was.
 *
 * @example A host whose last grant was at 1000 with a 100 ms gap
 * ```ts
 * import type { GrantClock } from "./_grant_stamp.ts";
 *
 * const clock: GrantClock = { gapMs: 100, readyAt: 1100, grants: 1, lastGrantAt: 1000 };
 * ```
 */
export interface GrantClock {
  readonly gapMs: number;
  readonly readyAt: number;
  grants: number;
  lastGrantAt: number;
}

/**
 * One grant's stamp: its number on the host's clock, the host's last grant time
 * before it, and when it was made (or confirmed again).
 *
 * @example Stamp a grant, then confirm its send 50 ms later
 * ```ts
 * import { GrantStamp } from "./_grant_stamp.ts";
 *
 * const clock = { gapMs: 100, get readyAt() { return this.lastGrantAt + this.gapMs; }, grants: 0, lastGrantAt: -Infinity };
 * const stamp = GrantStamp.grant(clock, 1000);
 * stamp.confirm(clock, 1050, 10); // 0: nothing granted since, the gap counts from 1050
 * ```
 */
export class GrantStamp {
  private constructor(public seq: number, public prev: number, public at: number) {}

  /** Grant on `clock` at `now`: the gap counts from now. */
  static grant(clock: GrantClock, now: number): GrantStamp {
    const prev = clock.lastGrantAt;
    clock.lastGrantAt = now;
    return new GrantStamp(++clock.grants, prev, now);
  }

  /**
   * The grant's request is about to be written at `now`. Returns 0 to go ahead: it
   * was granted at most `maxLagMs` ago, or the host has no gap, or nothing was
   * granted on the host since (the gap then counts from now). Else the ms until the
   * gap of what was granted since has passed; asked again then, it is granted anew
   * (keeping its place under the cap) and 0 is returned.
   */
  confirm(clock: GrantClock, now: number, maxLagMs: number): number {
    if (clock.gapMs === 0 || now - this.at <= maxLagMs) return 0;
    if (clock.grants !== this.seq) {
      if (now < clock.readyAt) return clock.readyAt - now;
      this.prev = clock.lastGrantAt;
      this.seq = ++clock.grants;
    }
    clock.lastGrantAt = now;
    this.at = now;
    return 0;
  }

  /**
   * The gap bookkeeping of the grant's release at `now`: an unused grant owes no gap
   * (unless a later grant already counted from it); a request written `sentBeforeMs`
   * ago moves the gap to when it went out (after a connection's set-up, say).
   */
  released(clock: GrantClock, outcome: RequestOutcome, now: number): void {
    if (clock.grants !== this.seq) return;
    if (outcome.unused === true) clock.lastGrantAt = this.prev;
    else if (outcome.sentBeforeMs !== undefined && outcome.sentBeforeMs >= 0) {
      clock.lastGrantAt = Math.max(clock.lastGrantAt, now - outcome.sentBeforeMs);
    }
  }
}
