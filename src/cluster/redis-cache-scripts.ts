/**
 * The Lua scripts a Redis-backed cache runs, each one atomic on the Redis server, so every node
 * sees one order of operations.
 *
 * Layout of one cache in Redis (prefix `uwsgi-node:cache:{NAME}:`; the `{NAME}` hash tag keeps a
 * cache in one Redis Cluster slot):
 * - `<prefix>i:<key bytes>`: the item's value, binary, with `EXPIREAT` at its expiry second;
 * - `<prefix>index`: a sorted set of the live keys scored by their expiry second (`inf` = never),
 *   which counts the items against `items`, lists them for `cache_keys` and bounds `cache_clear`
 *   to this cache.
 *
 * Time is the Redis server's (`TIME`), so every node agrees on when an item expires: an item set
 * with `expires=N` at second S expires at S+N, and is gone for every reader from that second on
 * (uWSGI: expired when `expires <= now`). Counters are 8 little-endian bytes, uWSGI's int64 in
 * the cache's binary format; the arithmetic is done on bytes so it is exact over the whole int64
 * range (Lua numbers are doubles), wrapping as uWSGI's does, division truncating toward zero and
 * division by zero giving 0.
 * @module
 */

/**
 * Shared prelude: helpers. The server time is read, and the expired part of the index dropped,
 * only by the paths that need them (a new key, keys, clear), so math on an existing counter is
 * one GET and one SET.
 */
const PRELUDE = `
local now
local function prune()
  if not now then
    now = tonumber(redis.call('TIME')[1])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  end
end
local function clear_all()
  local members = redis.call('ZRANGE', KEYS[2], 0, -1)
  local batch = {}
  for i = 1, #members do
    batch[#batch + 1] = ARGV[1] .. members[i]
    if #batch == 500 then redis.call('DEL', unpack(batch)); batch = {} end
  end
  if #batch > 0 then redis.call('DEL', unpack(batch)) end
  redis.call('DEL', KEYS[2])
end
-- room for one more key: 1, or -1 when full (after clear_on_full cleared the cache: 1)
local function room(max, clear_on_full)
  prune()
  if redis.call('ZCARD', KEYS[2]) < max then return 1 end
  if clear_on_full == '1' and max > 0 then clear_all(); return 1 end
  return -1
end
local function store(value, member, expires)
  if expires > 0 then
    prune()
    redis.call('SET', KEYS[1], value, 'EXAT', now + expires)
    redis.call('ZADD', KEYS[2], now + expires, member)
  else
    redis.call('SET', KEYS[1], value)
    redis.call('ZADD', KEYS[2], 'inf', member)
  end
end
`;

/**
 * set/update. KEYS: item, index. ARGV: prefix, member (key bytes), value, expires (relative s),
 * update ('1'/'0'), max items, clear_on_full ('1'/'0').
 * Returns 1 stored, 0 exists (set), -1 full.
 */
export const STORE_SCRIPT = `${PRELUDE}
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists and ARGV[5] == '0' then return 0 end
if not exists and room(tonumber(ARGV[6]), ARGV[7]) < 0 then return -1 end
store(ARGV[3], ARGV[2], tonumber(ARGV[4]))
return 1
`;

/** get with the remaining time to live in ms (-1 never, -2 absent), for the near cache. KEYS: item. */
export const GET_TTL_SCRIPT = `
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`;

/** del. KEYS: item, index. ARGV: prefix, member. Returns 1 deleted, 0 absent. */
export const DEL_SCRIPT = `${PRELUDE}
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
`;

/** clear. KEYS: item (unused), index. ARGV: prefix. Returns 1. */
export const CLEAR_SCRIPT = `${PRELUDE}
prune()
clear_all()
return 1
`;

/** keys. KEYS: item (unused), index. ARGV: prefix. Returns the live keys. */
export const KEYS_SCRIPT = `${PRELUDE}
prune()
return redis.call('ZRANGE', KEYS[2], 0, -1)
`;

/**
 * inc/dec/mul/div. KEYS: item, index. ARGV: prefix, member, op, operand (8 bytes LE), expires
 * (relative s, only for a new key), max items, clear_on_full, initial (8 bytes LE).
 * Returns 1 done, -1 full.
 */
export const MATH_SCRIPT = `${PRELUDE}
local function bytes(s)
  local t = {}
  for i = 1, 8 do t[i] = string.byte(s, i) or 0 end
  return t
end
local function str(t) return string.char(t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]) end
local function add(a, b)
  local r, c = {}, 0
  for i = 1, 8 do local s = a[i] + b[i] + c; r[i] = s % 256; c = math.floor(s / 256) end
  return r
end
local ONE = {1, 0, 0, 0, 0, 0, 0, 0}
local function neg(a)
  local r = {}
  for i = 1, 8 do r[i] = 255 - a[i] end
  return add(r, ONE)
end
local function mul(a, b)
  local r = {0, 0, 0, 0, 0, 0, 0, 0}
  for i = 1, 8 do
    local c = 0
    for j = 1, 9 - i do
      local s = r[i + j - 1] + a[i] * b[j] + c
      r[i + j - 1] = s % 256; c = math.floor(s / 256)
    end
  end
  return r
end
local function zero(a) for i = 1, 8 do if a[i] ~= 0 then return false end end return true end
local function ge(a, b)
  for i = 8, 1, -1 do if a[i] ~= b[i] then return a[i] > b[i] end end
  return true
end
local function udiv(n, d)
  local q, r = {0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0}
  for bit = 63, 0, -1 do
    local byte, shift = math.floor(bit / 8) + 1, 2 ^ (bit % 8)
    local c = math.floor(n[byte] / shift) % 2
    for i = 1, 8 do local v = r[i] * 2 + c; r[i] = v % 256; c = math.floor(v / 256) end
    if ge(r, d) then r = add(r, neg(d)); q[byte] = q[byte] + shift end
  end
  return q
end
local function div(a, b)
  if zero(b) then return {0, 0, 0, 0, 0, 0, 0, 0} end
  local na, nb = a[8] >= 128, b[8] >= 128
  local q = udiv(na and neg(a) or a, nb and neg(b) or b)
  if na ~= nb then return neg(q) end
  return q
end

local current = redis.call('GET', KEYS[1])
local value, fresh
if current then
  value = bytes(current)
else
  if room(tonumber(ARGV[6]), ARGV[7]) < 0 then return -1 end
  value = bytes(ARGV[8])
  fresh = true
end
local operand, op = bytes(ARGV[4]), ARGV[3]
if op == 'inc' then value = add(value, operand)
elseif op == 'dec' then value = add(value, neg(operand))
elseif op == 'mul' then value = mul(value, operand)
else value = div(value, operand) end
if fresh then
  store(str(value), ARGV[2], tonumber(ARGV[5]))
else
  redis.call('SET', KEYS[1], str(value), 'KEEPTTL')
end
return 1
`;
