/**
 * The Lua scripts of the Redis frontier store: each store operation is one
 * script, so it is atomic and one round trip. `KEYS[1]` is the crawl's counter
 * hash (it carries the hash tag, so a cluster routes the script to the crawl's
 * slot); `ARGV[1]` is the key prefix `trawl:{name}:` from which the script
 * names the crawl's other keys (all in the same slot).
 *
 * Keys under the prefix:
 * - `n` hash: seen, admitted, queued, leased, done, failed, reclaimed
 * - `seen` set: every URL ever added (the dedupe set)
 * - `admitted` hash: host -> entries ever admitted (the per-host budget)
 * - `hosts` zset: hosts with ready entries, scored by when last served (round-robin)
 * - `q:HOST` zset: the host's ready entries, scored depth * 2^40 + arrival
 * - `delayed` zset: released entries, scored by when they are due (ms)
 * - `leases` hash: lease id -> entry; `ldl` zset: lease id -> deadline (ms)
 * - `owners` zset: owner -> last seen (ms); `hdone` hash: host -> URLs done
 * - `scope` set; `records` stream (the output); `seq`, `rr`, `lseq` counters
 *
 * An entry is the JSON array `[url, depth, host, retries, referrer, validators]`.
 *
 * @module
 */

const COMMON = `
local P = ARGV[1]
local N = KEYS[1]
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function enqueue(json, host, depth)
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('ZADD', P .. 'q:' .. host, depth * 1099511627776 + seq, json)
  if redis.call('ZSCORE', P .. 'hosts', host) == false then
    redis.call('ZADD', P .. 'hosts', redis.call('INCR', P .. 'rr'), host)
  end
end
`;

/** ARGV: P, maxPages (-1 none), maxPerHost (-1 none), done (0/1), then url, host, depth, json per entry. Returns [overLimit, admitted, ...indexes added]. */
export const ADD = COMMON + `
local maxPages = tonumber(ARGV[2])
local maxHost = tonumber(ARGV[3])
local asDone = ARGV[4] == '1'
local admitted = tonumber(redis.call('HGET', N, 'admitted') or '0')
local perHost = {}
local out = {0, 0}
local seen, queued = 0, 0
for i = 5, #ARGV, 4 do
  local url, host = ARGV[i], ARGV[i + 1]
  if redis.call('SISMEMBER', P .. 'seen', url) == 0 then
    if asDone then
      redis.call('SADD', P .. 'seen', url)
      seen = seen + 1
      out[#out + 1] = (i - 5) / 4
    else
      local onHost = perHost[host]
      if onHost == nil then onHost = tonumber(redis.call('HGET', P .. 'admitted', host) or '0') end
      if (maxPages >= 0 and admitted >= maxPages) or (maxHost >= 0 and onHost >= maxHost) then
        out[1] = out[1] + 1
      else
        redis.call('SADD', P .. 'seen', url)
        admitted = admitted + 1
        perHost[host] = onHost + 1
        seen = seen + 1
        queued = queued + 1
        enqueue(ARGV[i + 3], host, tonumber(ARGV[i + 2]))
        out[#out + 1] = (i - 5) / 4
      end
    end
  end
end
for host, n in pairs(perHost) do redis.call('HSET', P .. 'admitted', host, n) end
if seen > 0 then redis.call('HINCRBY', N, 'seen', seen) end
if queued > 0 then
  redis.call('HINCRBY', N, 'queued', queued)
  redis.call('HSET', N, 'admitted', admitted)
end
if asDone and seen > 0 then redis.call('HINCRBY', N, 'done', seen) end
out[2] = admitted
return out
`;

/**
 * ARGV: P, max, maxPerHost (-1 none), owner, leaseMs, then the excluded hosts.
 * Recovers expired leases and due delayed entries first. Returns id, entry, id, entry...
 */
export const TAKE = COMMON + `
local max = tonumber(ARGV[2])
local maxPerHost = tonumber(ARGV[3])
local owner = ARGV[4]
local leaseMs = tonumber(ARGV[5])
local t = now()
redis.call('ZADD', P .. 'owners', t, owner)
local expired = redis.call('ZRANGEBYSCORE', P .. 'ldl', '-inf', t, 'LIMIT', 0, 256)
for _, id in ipairs(expired) do
  local json = redis.call('HGET', P .. 'leases', id)
  redis.call('ZREM', P .. 'ldl', id)
  if json then
    redis.call('HDEL', P .. 'leases', id)
    local e = cjson.decode(json)
    enqueue(json, e[3], e[2])
    redis.call('HINCRBY', N, 'leased', -1)
    redis.call('HINCRBY', N, 'queued', 1)
    redis.call('HINCRBY', N, 'reclaimed', 1)
  end
end
local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', t, 'LIMIT', 0, 1024)
for _, json in ipairs(due) do
  redis.call('ZREM', P .. 'delayed', json)
  local e = cjson.decode(json)
  enqueue(json, e[3], e[2])
end
local excluded = {}
local nExcluded = #ARGV - 5
for i = 6, #ARGV do excluded[ARGV[i]] = true end
local out = {}
if max < 1 then return out end
local hosts = redis.call('ZRANGE', P .. 'hosts', 0, max + nExcluded - 1)
local turn = {}
for _, h in ipairs(hosts) do
  if #turn >= max then break end
  if not excluded[h] then turn[#turn + 1] = h end
end
local taken, round = 0, 0
while #turn > 0 and taken < max and (maxPerHost < 0 or round < maxPerHost) do
  local nextTurn = {}
  for _, h in ipairs(turn) do
    if taken >= max then break end
    local q = P .. 'q:' .. h
    local popped = redis.call('ZPOPMIN', q)
    if #popped == 0 then
      redis.call('ZREM', P .. 'hosts', h)
    else
      local id = owner .. '/' .. redis.call('INCR', P .. 'lseq')
      redis.call('HSET', P .. 'leases', id, popped[1])
      redis.call('ZADD', P .. 'ldl', t + leaseMs, id)
      out[#out + 1] = id
      out[#out + 1] = popped[1]
      taken = taken + 1
      if redis.call('EXISTS', q) == 1 then
        redis.call('ZADD', P .. 'hosts', redis.call('INCR', P .. 'rr'), h)
        nextTurn[#nextTurn + 1] = h
      else
        redis.call('ZREM', P .. 'hosts', h)
      end
    end
  end
  turn = nextTurn
  round = round + 1
end
if taken > 0 then
  redis.call('HINCRBY', N, 'queued', -taken)
  redis.call('HINCRBY', N, 'leased', taken)
end
return out
`;

/**
 * ARGV: P, lease id, host, failed (0/1), record ('' for none). The ack and the
 * record are one step, only while the lease is held. Returns 1 held, 0 not.
 */
export const DONE = COMMON + `
local id = ARGV[2]
if redis.call('HDEL', P .. 'leases', id) == 0 then return 0 end
redis.call('ZREM', P .. 'ldl', id)
redis.call('HINCRBY', N, 'leased', -1)
redis.call('HINCRBY', N, 'done', 1)
if ARGV[4] == '1' then redis.call('HINCRBY', N, 'failed', 1) end
redis.call('HINCRBY', P .. 'hdone', ARGV[3], 1)
if ARGV[5] ~= '' then redis.call('XADD', P .. 'records', '*', 'r', ARGV[5]) end
return 1
`;

/** ARGV: P, lease id, delayMs, entry with retries raised, host, depth. Returns 1 held, 0 not. */
export const RELEASE = COMMON + `
local id = ARGV[2]
if redis.call('HDEL', P .. 'leases', id) == 0 then return 0 end
redis.call('ZREM', P .. 'ldl', id)
local delay = tonumber(ARGV[3])
if delay > 0 then
  redis.call('ZADD', P .. 'delayed', now() + delay, ARGV[4])
else
  enqueue(ARGV[4], ARGV[5], tonumber(ARGV[6]))
end
redis.call('HINCRBY', N, 'leased', -1)
redis.call('HINCRBY', N, 'queued', 1)
return 1
`;

/** ARGV: P, leaseMs, owner, then lease ids. Extends the held ones; returns 1/0 per id. */
export const RENEW = COMMON + `
local t = now()
local leaseMs = tonumber(ARGV[2])
redis.call('ZADD', P .. 'owners', t, ARGV[3])
local out = {}
for i = 4, #ARGV do
  if redis.call('ZSCORE', P .. 'ldl', ARGV[i]) then
    redis.call('ZADD', P .. 'ldl', t + leaseMs, ARGV[i])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;
