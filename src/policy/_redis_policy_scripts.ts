/**
 * Lua scripts of the Redis host policy: the per-host state every process of a
 * crawl shares, read and changed atomically on Redis's clock. `KEYS[1]` is the
 * host's state hash `trawl:{crawl}:ph:HOST`, `KEYS[2]` its permits zset
 * `trawl:{crawl}:pin:HOST` (permit id -> expiry, so the permits of a process
 * that died lapse after `permitTtlMs`). Both carry the crawl's hash tag.
 *
 * Hash fields: `next` (earliest next grant, ms), `cd` (Crawl-delay, ms), `lg`
 * (last grant, ms), `lid` / `pnext` (last permit id and `next` before it, to
 * undo an unused permit's gap), `boff` (backoff until, ms), `lvl` (backoff
 * level), `bstart` (when the current backoff began, ms). The hash expires
 * `idleMs` after its last change (the host is new again).
 *
 * @module
 */

const COMMON = `
local S, PIN = KEYS[1], KEYS[2]
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(field) return tonumber(redis.call('HGET', S, field) or '0') end
-- The gap after a grant: the larger of the base gap and the Crawl-delay, plus the
-- send slack when there is one.
local function gapOf(base, slack)
  local gap = math.max(tonumber(base), num('cd'))
  if gap > 0 then gap = gap + tonumber(slack) end
  return gap
end
`;

/**
 * ARGV: maxPerHost, baseGapMs, permitTtlMs, idleMs, permit id, slackMs. The gap is
 * the larger of baseGapMs and the Crawl-delay, plus slackMs when not 0. Returns
 * {1, grantMs, gapMs} when granted, {0, waitMs} when not (-1: wait for a release).
 */
export const GRANT = COMMON + `
local t = now()
redis.call('ZREMRANGEBYSCORE', PIN, '-inf', t)
if redis.call('ZCARD', PIN) >= tonumber(ARGV[1]) then return {0, -1} end
local boff = num('boff')
if t < boff then return {0, boff - t} end
local nxt = num('next')
if t < nxt then return {0, nxt - t} end
local gap = gapOf(ARGV[2], ARGV[6])
redis.call('ZADD', PIN, t + tonumber(ARGV[3]), ARGV[5])
redis.call('HSET', S, 'next', t + gap, 'pnext', nxt, 'lg', t, 'lid', ARGV[5])
redis.call('PEXPIRE', S, tonumber(ARGV[4]) + gap)
redis.call('PEXPIRE', PIN, tonumber(ARGV[3]))
return {1, t, gap}
`;

/**
 * ARGV: permit id, grantMs, status (-1 none), retryAfterMs (-1 none), unused (0/1),
 * sentBeforeMs (-1 none), baseGapMs, backoffBaseMs, maxBackoffMs, maxRetryAfterMs, idleMs,
 * slackMs. A request sent `sentBeforeMs` ago moves the gap (as GRANT computes it) to then.
 * Returns {0} for a permit not held, {1, backoffMs} otherwise (0: no new backoff).
 */
export const RELEASE = COMMON + `
if redis.call('ZREM', PIN, ARGV[1]) == 0 then return {0, 0} end
local t = now()
local grant = tonumber(ARGV[2])
local status = tonumber(ARGV[3])
local retryAfter = tonumber(ARGV[4])
local gap = gapOf(ARGV[7], ARGV[12])
if ARGV[5] == '1' then
  if redis.call('HGET', S, 'lid') == ARGV[1] then redis.call('HSET', S, 'next', num('pnext')) end
  return {1, 0}
end
local sentBefore = tonumber(ARGV[6])
if sentBefore >= 0 then
  local from = t - sentBefore
  if from + gap > num('next') then redis.call('HSET', S, 'next', from + gap) end
end
local held = 0
if status == 429 or status == 503 then
  if retryAfter >= 0 then
    held = math.min(retryAfter, tonumber(ARGV[10]))
    if t + held > num('boff') then redis.call('HSET', S, 'boff', t + held, 'bstart', t) end
  elseif grant > num('bstart') then
    local lvl = num('lvl') + 1
    held = math.min(tonumber(ARGV[8]) * 2 ^ (lvl - 1), tonumber(ARGV[9]))
    redis.call('HSET', S, 'lvl', lvl, 'boff', t + held, 'bstart', t)
  end
elseif status >= 0 and status < 500 then
  redis.call('HSET', S, 'lvl', 0, 'boff', 0)
end
redis.call('PEXPIRE', S, tonumber(ARGV[11]) + math.max(gap, num('boff') - t))
return {1, held}
`;

/** ARGV: crawlDelayMs (-1 none), idleMs. Sets the host's Crawl-delay, counted from its last grant. */
export const ROBOTS = COMMON + `
local cd = tonumber(ARGV[1])
if cd < 0 then cd = 0 end
redis.call('HSET', S, 'cd', cd)
local lg = num('lg')
if lg > 0 and lg + cd > num('next') then redis.call('HSET', S, 'next', lg + cd) end
redis.call('PEXPIRE', S, tonumber(ARGV[2]) + cd)
return 1
`;

/**
 * ARGV: old permit id, new permit id, baseGapMs, permitTtlMs, idleMs, slackMs. Grants
 * again a permit whose request was not sent soon enough after its grant (see
 * `confirm`): the gap counts from now, and the permit keeps its place under the
 * cap. When the host's last grant is this permit's own, nobody was granted since and
 * the gap simply moves to now. Returns {1, grantMs, gapMs}, {0, waitMs}, or {-1, 0}
 * when the old permit is not held.
 */
export const REGRANT = COMMON + `
local t = now()
if redis.call('ZSCORE', PIN, ARGV[1]) == false then return {-1, 0} end
local boff = num('boff')
if t < boff then return {0, boff - t} end
local nxt = num('next')
local own = redis.call('HGET', S, 'lid') == ARGV[1]
if own then nxt = num('pnext') end
if t < nxt then return {0, nxt - t} end
local gap = gapOf(ARGV[3], ARGV[6])
redis.call('ZREM', PIN, ARGV[1])
redis.call('ZADD', PIN, t + tonumber(ARGV[4]), ARGV[2])
redis.call('HSET', S, 'next', t + gap, 'pnext', nxt, 'lg', t, 'lid', ARGV[2])
redis.call('PEXPIRE', S, tonumber(ARGV[5]) + gap)
return {1, t, gap}
`;
