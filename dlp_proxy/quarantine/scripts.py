"""Lua scripts for the item state machine.

Each state change is one script so two reviewers (or two gateway workers) acting
on one item at once get exactly one outcome: Redis runs a script atomically, the
loser sees the state the winner left and gets ``conflict``.
"""

from __future__ import annotations

# KEYS: stream, item hash, open zset, all zset, cred key, hist list
# ARGV: item id, created_at, expires_at, cred blob ('' = none), cred ttl ms, hist entry,
#       then field/value pairs for the item hash
HOLD = """
local sid = redis.call('XADD', KEYS[1], '*', 'item', ARGV[1])
redis.call('HSET', KEYS[2], 'sid', sid)
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+1]) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
if ARGV[4] ~= '' then redis.call('SET', KEYS[5], ARGV[4], 'PX', ARGV[5]) end
redis.call('RPUSH', KEYS[6], ARGV[6])
return sid
"""

# KEYS: item; ARGV: comma list of allowed states, new state, field/value pairs
TRANSITION = """
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return {'missing', ''} end
for st in string.gmatch(ARGV[1], '[^,]+') do
  if st == s then
    redis.call('HSET', KEYS[1], 'state', ARGV[2])
    for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
    return {'ok', s}
  end
end
return {'conflict', s}
"""

# Undo a transition whose archive record could not be written.
# KEYS: item; ARGV: expected current state, state to restore, fields to delete...
REVERT = """
local s = redis.call('HGET', KEYS[1], 'state')
if s ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for i = 3, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return 1
"""

# One person, one approval: the self-approval and four-eyes checks compare
# *principals* (the Mattermost user id of the person behind a session, a
# break-glass account or an API token), never names: one person holding two
# accounts is still one person.  The caller refuses an actor without a principal.
# A bot counts as its owner: the caller passes principals already resolved
# (quarantine/principals.py), the actor's and the sender's.
# KEYS: item, retry zset; ARGV: actor name, actor principal (never ''), approvals
# required, now, time after which a release not started yet is picked up by
# expire_due, item id, the principals that count as the sender, comma-separated
# (besides the sender id and the item's ``controllers``, recorded at hold time:
# whoever controlled the sending identity, a bot's or a webhook's owner), '1' when
# the actor's principal is only claimed (a CLI ``--principal`` without proof: it
# never counts as one of two approvals)
# An item at or past its ``expires_at`` is not approved, first or second approval
# alike (``expired``): the deadline is for the decision, and the sweep may not have
# run yet (the caller then expires it as the sweep would, quarantine/expiry.py).
APPROVE = """
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return {'missing', ''} end
if s ~= 'held' and s ~= 'awaiting_second' then return {'conflict', s} end
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_at') or '')
if exp and tonumber(ARGV[4]) >= exp then return {'expired', s} end
if ARGV[2] == '' then return {'noprincipal', s} end
local sender = redis.call('HGET', KEYS[1], 'sender_id')
if sender == ARGV[2] then return {'self', s} end
for p in string.gmatch(ARGV[7] or '', '[^,]+') do
  if p == ARGV[2] then return {'self', s} end
end
local held_by = redis.call('HGET', KEYS[1], 'controllers') or ''
for p in string.gmatch(held_by, '[^,]+') do
  if p == ARGV[2] then return {'self', s} end
end
-- the number of approvals was fixed when the item was held (older items: ARGV[3])
local need = redis.call('HGET', KEYS[1], 'approvals_required') or ARGV[3]
if need == '2' and ARGV[8] == '1' then return {'unproven', s} end
if s == 'held' and need == '2' then
  redis.call('HSET', KEYS[1], 'state', 'awaiting_second', 'approver1', ARGV[1],
             'approver1_uid', ARGV[2], 'approver1_at', ARGV[4])
  return {'first', s}
end
if s == 'awaiting_second' then
  -- a first approval with no principal on record (made before principals were
  -- required) cannot be shown to be another person's: no second approval is
  -- accepted on it (the item can still be rejected, or expire)
  local a1u = redis.call('HGET', KEYS[1], 'approver1_uid')
  if (not a1u) or a1u == '' or a1u == ARGV[2] then return {'same', s} end
end
redis.call('HSET', KEYS[1], 'state', 'approved', 'approved_by', ARGV[1], 'decided_by', ARGV[1],
           'decided_at', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
return {'ok', s}
"""

# The exactly-once gate for a release: the idempotency marker is set (only if
# absent) in the same atomic step that moves the item to 'releasing' and puts it in
# the releasing zset (so a release begun by a process that then loses Redis or dies
# is always found by the stale-release sweep).
# An item whose last approval came at or after its deadline (``decided_at`` >=
# ``expires_at``: approved by a version that did not check it) is never sent
# (``late``; the caller expires it).  One approved in time is sent whenever the
# release happens (docs/quarantine.md, "Review deadline").
# KEYS: item, idem key, releasing zset; ARGV: item id, now, force ('1' or '0'),
# marker ttl seconds, release token (random, names this attempt)
BEGIN_RELEASE = """
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return {'missing', ''} end
local force = ARGV[3] == '1'
if not (s == 'approved' or s == 'release_failed' or s == 'release_refused' or (force and s == 'release_unknown')) then
  return {'conflict', s}
end
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires_at') or '')
local decided = tonumber(redis.call('HGET', KEYS[1], 'decided_at') or '')
if exp and decided and decided >= exp then return {'late', s} end
local m = redis.call('GET', KEYS[2])
if m then
  local mine = 'sending:' .. ARGV[1] .. ':'
  if not (force and string.sub(m, 1, string.len(mine)) == mine) then return {'marked', m} end
end
redis.call('SET', KEYS[2], 'sending:' .. ARGV[1] .. ':' .. ARGV[5], 'EX', ARGV[4])
redis.call('HSET', KEYS[1], 'state', 'releasing', 'release_started_at', ARGV[2], 'release_token', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'release_attempts', 1)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return {'ok', s}
"""

# Compare-and-set of the wrapped key (rotation must not resurrect a shredded key).
# KEYS: item; ARGV: expected wrapped key, new wrapped key, new key id
REWRAP = """
local cur = redis.call('HGET', KEYS[1], 'wk')
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'wk', ARGV[2], 'key_id', ARGV[3])
return 1
"""

# A release that never left this process (Redis dropped the connection after, or
# while, the release was begun, before anything was sent): put it back.  If the
# begin never ran, a plain release is only made sure to have a retry entry.  From a
# plain release it goes to 'release_failed' and is retried; from a forced retry of
# 'release_unknown' it goes back to 'release_unknown' (the earlier send is still
# unaccounted for) and keeps the marker, which names this item.
# KEYS: item, idem key, retry zset, releasing zset
# ARGV: release token we wrote, marker we wrote, retry at, id, state to restore, error
ABORT_RELEASE = """
local s = redis.call('HGET', KEYS[1], 'state')
if s ~= 'releasing' or redis.call('HGET', KEYS[1], 'release_token') ~= ARGV[1] then
  -- not begun by us: make sure a plain release that never started is retried
  if ARGV[5] == 'release_failed' and (s == 'approved' or s == 'release_failed') then
    redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[4])
  end
  return 0
end
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'release_error', ARGV[6])
redis.call('ZREM', KEYS[4], ARGV[4])
if ARGV[5] == 'release_failed' then
  if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
end
return 1
"""
