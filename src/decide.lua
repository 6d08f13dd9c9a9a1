-- decide.lua: the decision of rcptcheck-overlimit in Redis, in one call
-- (DESIGN.md "The Redis store"). A port of src/policy.c, the side checks
-- of src/side.c and the order of src/decide.c: keep them in step.
-- Compiled into the programs as a C string (build/gen/decide.lua.h).
--
-- KEYS: 1 the client's state (a string of 16 numbers, F below), 2 its records (sorted set: one member
-- per second that saw recipients, score the second, member the cumulative
-- count at its end), 3 its side state (string: networks, mass messages),
-- 4/5 the pool's state and records, 6/7 the server cap's.
-- ARGV: 1 the operation, 2 the format ("1"), then by operation:
--   decide: 3 client rule, 4 pool rule or "", 5 server rule or "",
--     6 kind (0 relayed, 1 local or exempt), 7 SMTPRCPTCOUNT, 8
--     SMTPRCPTCOUNTALL (-1 unknown), 9 session (host:pid), 10 network
--     (32 hex digits) or "", 11 strict (0/1), 12 keep (seconds)
--   show: 3 rule; raise: 3 factor, 4 until, 5 keep; reset: none;
--   tidy: 3 rule, 4 reset (0/1), 5 keep, 6 keep a plain limit reached;
--   merge: 3 tag, 4 keep, 5 state (16 numbers), 6 records "t n t n ...",
--     7 side or ""
-- A rule: "nwin p1 l1 ... flags ban warn nets netsper massn massr massper
-- dormant warmn warmper". Every input is validated before the first
-- write: an error it can foresee leaves nothing half written.
-- Clock: redis.call('TIME'), the one clock of the farm.
--
-- Two forms from this one file (scripts/lua2c.sh): the script EVALSHA and
-- EVAL run, as it is here, and the function library rol_SHA1 (SHA1 the
-- script's) that FUNCTION LOAD keeps in Redis: there the body between this
-- first line and the last ("return run()") runs once, at the first FCALL,
-- and every FCALL then only run(), with KEYS and ARGV set from its
-- arguments: nothing here may keep a call's state for the next but the
-- cache of parsed rules.
local KEYS, ARGV = KEYS, ARGV

local band, bor, bnot, lshift = bit.band, bit.bor, bit.bnot, bit.lshift
local floor = math.floor
local MAXLIMIT, MAXPERIOD, MAXWIN, SIGMAX = 1000000000, 366 * 86400, 8, 32
local NETS, MASS = SIGMAX + 1, SIGMAX
local FUTURE = 300
local BANNED, SIGS = 0x1, 0xfc
local DRYRUN, STRICT, QUIET = 0x01, 0x02, 0x10
local EV_NONE, EV_WARN, EV_OVER, EV_BAN, EV_DORMANT = 0, 1, 2, 3, 4
local W_NONE, W_LIMIT, W_WARMUP, W_NETS, W_MASS, W_POOL, W_SERVER =
    0, 1, 2, 3, 4, 5, 6
local F = { 'fl', 'tot', 'ref', 'lim', 'la', 'rs', 'lr', 'ru', 'rf', 'bs',
    'no', 'wu', 'wc', 'kp', 'sk', 'hf' }
local MAXNUM = 2 ^ 53
-- the state as commit writes it
local STATEPAT = '^' .. string.rep('(%d+) ', #F - 1) .. '(%d+)$'
local STATEFMT = string.rep('%d ', #F - 1) .. '%d'

local function fail(msg)
	error({ err = 'ROL ' .. msg })
end

-- a whole number in [lo, hi] from a string (tonumber's syntax; anything
-- else, a fraction, NaN: nil). "0", the most common, without tonumber
-- (strtod): a string compared with a constant is a pointer compared.
local function num(s, lo, hi)
	local n = 0
	if s ~= '0' then
		n = tonumber(s)
		if n == nil or n % 1 ~= 0 then return nil end
	end
	if n < lo or n > hi then return nil end
	return n
end

local function arg(i, lo, hi, what)
	local n = num(ARGV[i], lo, hi)
	if n == nil then fail('bad argument: ' .. what) end
	return n
end

local function fmt(n) return string.format('%d', n) end

-- "nwin p1 l1 ... flags ban warn nets netsper massn massr massper
-- dormant warmn warmper"
local function parserule1(s)
	local w, r = {}, { win = {} }
	if type(s) ~= 'string' or #s > 400 then fail('bad rule') end
	for x in string.gmatch(s, '%S+') do
		local n = num(x, 0, MAXNUM)
		if n == nil then fail('bad rule') end
		w[#w + 1] = n
	end
	r.nwin = w[1]
	if r.nwin == nil or r.nwin > MAXWIN or #w ~= 1 + 2 * r.nwin + 11 then
		fail('bad rule')
	end
	for i = 1, r.nwin do
		r.win[i] = { period = w[2 * i], limit = w[2 * i + 1] }
		if r.win[i].period > MAXPERIOD or r.win[i].limit < 1 or
		    r.win[i].limit > MAXLIMIT then fail('bad rule window') end
	end
	local k = 2 + 2 * r.nwin
	r.flags, r.ban, r.warn = w[k], w[k + 1], w[k + 2]
	r.nets, r.netsper, r.massn, r.massr, r.massper =
	    w[k + 3], w[k + 4], w[k + 5], w[k + 6], w[k + 7]
	r.dormant, r.warmn, r.warmper = w[k + 8], w[k + 9], w[k + 10]
	if r.flags > 0xff or r.ban > 100 or r.warn > 99 or
	    r.nets > SIGMAX or r.massn > SIGMAX or r.massr > MAXLIMIT or
	    r.netsper > MAXPERIOD or r.massper > MAXPERIOD or
	    r.dormant > MAXPERIOD or r.warmper > MAXPERIOD or
	    r.warmn > MAXLIMIT then fail('bad rule option') end
	return r
end

-- the same, from the rules already parsed (in the function library they
-- outlive the call: a farm has a few rules, not thousands): a parsed rule
-- is never written to (aggcount writes a copy)
local rules, nrules = {}, 0
local function parserule(s)
	local r = rules[s]
	if r == nil then
		r = parserule1(s)
		if nrules >= 256 then rules, nrules = {}, 0 end
		rules[s], nrules = r, nrules + 1
	end
	return r
end

-- ---------------------------------------------------------------- state

local function load(hk, rk)
	local v = redis.call('GET', hk)
	local s = { hk = hk, rk = rk, cum = 0, lt = 0, have = false,
	    exists = v ~= false }
	local i = 0
	if v then
		if #v > 400 then return nil end
		-- as written (16 numbers, one space apart): one match
		local w = { string.match(v, STATEPAT) }
		if #w == #F then
			for j = 1, #F do
				local n = 0
				if w[j] ~= '0' then
					n = tonumber(w[j])
					if n > MAXNUM then return nil end
				end
				s[F[j]] = n
			end
			i = #F
		else
			for x in string.gmatch(v, '%S+') do
				i = i + 1
				if i > #F then return nil end
				s[F[i]] = num(x, 0, MAXNUM)
				if s[F[i]] == nil then return nil end
			end
		end
		if i ~= #F then return nil end
	else
		for _, f in ipairs(F) do s[f] = 0 end
	end
	local last = redis.call('ZRANGE', rk, -1, -1, 'WITHSCORES')
	if #last == 2 then
		s.cum, s.lt = num(last[1], 1, MAXNUM), num(last[2], 0, MAXNUM)
		if s.cum == nil or s.lt == nil then return nil end
		s.have = true
	end
	return s
end

-- the cumulative count of the last second stamped at most t (the
-- longest window's second kept in s.trim: what commit may drop before it)
local function before(s, t)
	if not s.have then return 0 end
	local e = redis.call('ZRANGE', s.rk, t, '-inf', 'BYSCORE', 'REV',
	    'LIMIT', 0, 1, 'WITHSCORES')
	if #e == 0 then return 0 end
	if s.kp > 0 and t == s.now - s.kp then s.trim, s.trimkp = e[2], s.kp end
	return tonumber(e[1]) or 0
end

-- recipients in the window of period ending at now (0: the total)
local function window(s, period, now)
	if period == 0 then return s.tot end
	s.now = now
	return s.cum - before(s, now - period)
end

-- the second's member carries the cumulative count: the new one is added
-- before the old one of the same second goes (a decision's first write
-- is one Redis may refuse when out of memory, so that it refuses the
-- whole decision, never its middle)
local function record(s, now)
	local t, old = now, nil
	if s.lt > t then t = s.lt end
	if s.have and s.lt == t then old = fmt(s.cum) end
	s.cum, s.lt, s.have = s.cum + 1, t, true
	redis.call('ZADD', s.rk, t, fmt(s.cum))
	if old then redis.call('ZREM', s.rk, old) end
end

-- the first moment from now at which the window of period holds fewer
-- than lim: the second of the record after which fewer remain, + period
local function winretry(s, period, lim, now)
	if window(s, period, now) < lim then return now end
	local target = s.cum - lim + 1
	local lo, hi = 0, redis.call('ZCARD', s.rk) - 1
	while lo < hi do
		local mid = floor((lo + hi) / 2)
		local e = redis.call('ZRANGE', s.rk, mid, mid)
		if (tonumber(e[1]) or 0) >= target then hi = mid else lo = mid + 1 end
	end
	local e = redis.call('ZRANGE', s.rk, lo, lo, 'WITHSCORES')
	return (tonumber(e[2]) or now) + period
end

-- write the state; every key lives as long as it matters, and keep
-- seconds more, but a banned client's state
local function commit(s, now, keep)
	local kv = string.format(STATEFMT, s.fl, s.tot, s.ref, s.lim, s.la,
	    s.rs, s.lr, s.ru, s.rf, s.bs, s.no, s.wu, s.wc, s.kp, s.sk, s.hf)
	if band(s.fl, BANNED) ~= 0 then
		redis.call('SET', s.hk, kv)		-- no TTL
	else
		local ttl = s.kp
		if s.sk > ttl then ttl = s.sk end
		-- a dormant= client's silence is measured: its rule's D and
		-- warm-up when known (s.dd), else the longest there is
		if band(s.hf, 1) ~= 0 then
			local d = s.dd or MAXPERIOD
			if d > ttl then ttl = d end
		end
		if s.rf > 1 and s.ru - now > ttl then ttl = s.ru - now end
		redis.call('SET', s.hk, kv, 'EX', ttl + keep)
	end
	s.exists = true
	if s.have then
		-- what every window is done with goes: before the last
		-- second the longest window does not count
		if s.trim and s.trimkp == s.kp then
			redis.call('ZREMRANGEBYSCORE', s.rk, '-inf', '(' .. s.trim)
		end
		redis.call('EXPIRE', s.rk, s.kp + 60)
	end
end

-- ---------------------------------------------------------------- policy

local function raised(s, now)
	if s.rf > 1 and s.ru > now then return s.rf end
	return 0
end

local function limit(s, r, w, now)
	local n, f = r.win[w].limit, raised(s, now)
	if f > 0 then n = n * f end
	if n > MAXLIMIT then n = MAXLIMIT end
	return n
end

local function warmfull(s, r, now)
	return r.dormant > 0 and s.wu > now and s.wc >= r.warmn
end

local function settle(s, r, now)
	local ahead = now + FUTURE
	if s.la > ahead then s.la = now end
	if s.lr > ahead then s.lr = now end
	if s.rs > ahead then s.rs = now end
	if s.bs > ahead then s.bs = now end
	if r.dormant > 0 and s.wu > ahead + r.warmper then
		s.wu = now + r.warmper
	end
end

local function remember(s, r)
	local keep = 0
	for i = 1, r.nwin do
		if r.win[i].period > keep then keep = r.win[i].period end
	end
	s.kp = keep
	s.sk = r.netsper > r.massper and r.netsper or r.massper
	s.hf = r.dormant > 0 and 1 or 0
end

local function crossbit(v)
	if v.why == W_LIMIT and v.over >= 0 and v.over < MAXWIN then
		return lshift(0x100, v.over)
	end
	return lshift(0x2, v.why)
end

local function why(s, r, other, v)
	if v.over >= 0 then
		v.why = W_LIMIT
		v.ocount = v.count[v.over + 1]
		v.olimit = v.limit[v.over + 1]
		v.operiod = r.win[v.over + 1].period
	elseif v.warm == 1 and s.wc >= r.warmn then
		v.why, v.ocount, v.olimit, v.operiod =
		    W_WARMUP, s.wc, r.warmn, r.warmper
	elseif other ~= nil and other.why ~= W_NONE then
		v.why, v.ocount, v.olimit, v.operiod =
		    other.why, other.count, other.limit, other.period
	elseif v.event == EV_DORMANT then
		v.ocount, v.olimit, v.operiod = 0, r.warmn, r.warmper
	end
end

local function attempts(s, r, i, v)
	if band(r.flags, STRICT) ~= 0 and r.win[i].period ~= 0 then
		return v.count[i] + 1
	end
	return v.count[i] + s.lim
end

local function refuse(s, r, now, other, v, windows)
	s.ref = s.ref + 1
	s.lr = now
	v.banned = band(s.fl, BANNED) ~= 0 and 1 or 0
	if v.banned == 1 then
		v.event, v.why = EV_NONE, W_NONE
		return false
	end
	if v.why == W_LIMIT then
		s.lim = s.lim + 1
		for i = 1, r.nwin do
			if r.ban > 0 and v.count[i] >= v.limit[i] and
			    attempts(s, r, i, v) > r.ban * v.limit[i] then
				v.newban = 1
			end
		end
	elseif v.why ~= W_WARMUP and other ~= nil then
		v.newban = other.ban
	end
	if v.newban == 1 then
		s.fl = bor(s.fl, BANNED)
		s.bs = now
		v.banned, v.event = 1, EV_BAN
	elseif band(s.fl, crossbit(v)) == 0 then
		s.fl = bor(s.fl, crossbit(v))
		v.event = EV_OVER
	end
	if v.event ~= EV_NONE then s.no = s.no + 1 end
	return band(r.flags, STRICT) ~= 0 and windows > 0 and v.why == W_LIMIT
end

local function accept(s, r, now, v)
	s.tot = s.tot + 1
	s.la = now
	if v.warm == 1 then s.wc = s.wc + 1 end
	if v.dryrun == 0 then s.fl = band(s.fl, bnot(SIGS)) end
	for i = 1, r.nwin do
		local ob, wb = lshift(0x100, i - 1), lshift(0x10000, i - 1)
		v.count[i] = v.count[i] + 1
		if v.count[i] <= v.limit[i] and v.dryrun == 0 then
			s.fl = band(s.fl, bnot(ob))
		end
		if r.warn ~= 0 then
			local th = floor((v.limit[i] * r.warn + 99) / 100)
			if v.count[i] < th then
				s.fl = band(s.fl, bnot(wb))
			elseif band(s.fl, wb) == 0 then
				s.fl = bor(s.fl, wb)
				if v.event == EV_NONE then
					v.event, v.ocount, v.olimit, v.operiod =
					    EV_WARN, v.count[i], v.limit[i],
					    r.win[i].period
				end
			end
		end
	end
	if v.event ~= EV_NONE then s.no = s.no + 1 end
	v.accepted = 1
end

local function verdict()
	return { accepted = 0, over = -1, banned = 0, newban = 0, dryrun = 0,
	    event = 0, retry = 0, raised = 0, why = 0, ocount = 0, olimit = 0,
	    operiod = 0, warm = 0, woke = 0, count = {}, limit = {} }
end

-- policy_decide: returns whether to record, and the verdict
local function policy(s, r, now, count, other)
	local v, windows = verdict(), 0
	for i = 1, r.nwin do
		if r.win[i].period ~= 0 then windows = windows + 1 end
		v.count[i] = count[i]
		v.limit[i] = limit(s, r, i, now)
		if count[i] >= v.limit[i] and v.over < 0 then v.over = i - 1 end
	end
	v.raised = raised(s, now)
	if s.rs == 0 then s.rs = now end
	remember(s, r)
	if r.dormant > 0 and s.la > 0 and s.wu <= now and
	    now - s.la >= r.dormant then
		s.wu, s.wc = now + r.warmper, 0
		v.event, v.woke = EV_DORMANT, 1
	end
	v.warm = (r.dormant > 0 and s.wu > now) and 1 or 0
	why(s, r, other, v)
	if band(s.fl, BANNED) ~= 0 or
	    (v.why ~= W_NONE and band(r.flags, DRYRUN) == 0) then
		return refuse(s, r, now, other, v, windows), v
	end
	if v.why ~= W_NONE then
		v.dryrun = 1
		if band(r.flags, QUIET) == 0 and band(s.fl, crossbit(v)) == 0 then
			s.fl = bor(s.fl, crossbit(v))
			v.event = EV_OVER
		end
	end
	accept(s, r, now, v)
	return windows > 0, v
end

-- policy_retry
local function retry(s, r, now, v, other)
	local after = other ~= nil and other.retry or 0
	local untl = raised(s, now) > 0 and s.ru or 0
	if v ~= nil and v.why ~= W_LIMIT and v.why ~= W_WARMUP and
	    after == 0 then return 0 end
	local at = after > now and after or now
	if warmfull(s, r, now) and s.wu > at then at = s.wu end
	local base = at
	for pass = 0, 1 do
		if pass == 1 then at = base > untl and base or untl end
		for i = 1, r.nwin do
			local lim = pass == 0 and limit(s, r, i, now) or
			    r.win[i].limit
			if r.win[i].period == 0 then
				if s.tot >= lim then return 0 end
			else
				local t = winretry(s, r.win[i].period, lim, now)
				if t > at then at = t end
			end
		end
		if untl == 0 or at < untl then return at end
	end
	return at
end

local function counts(s, r, now)
	local n = {}
	for i = 1, r.nwin do n[i] = window(s, r.win[i].period, now) end
	return n
end

-- decide_count: the policy decides, the records and the state are written
local function count(s, r, now, other, keep)
	local n = counts(s, r, now)
	settle(s, r, now)
	s.dd = r.dormant + r.warmper
	local rec, v = policy(s, r, now, n, other)
	if rec then record(s, now) end
	if v.accepted == 0 and v.banned == 0 then
		v.retry = retry(s, r, now, v, other)
	end
	commit(s, now, keep)
	return v
end

-- decide_peek: would it refuse one more?
local function peek(s, r, now, why)
	for i = 1, r.nwin do
		local n, l = window(s, r.win[i].period, now), limit(s, r, i, now)
		if n >= l then
			return { why = why, ban = 0, count = n, limit = l,
			    period = r.win[i].period,
			    retry = retry(s, r, now, nil, nil) }
		end
	end
	return { why = W_NONE, ban = 0, count = 0, limit = 0, period = 0,
	    retry = 0 }
end

-- ---------------------------------------------------------------- side

-- "1 session lastcount lastall flags nnets (hex last)... nmass last..."
local function sideload(k)
	local v = redis.call('GET', k)
	local sd = { s = '', lc = 0, la = 0, fl = 0, nets = {}, mass = {},
	    dirty = false, healed = false }
	if not v then return sd end
	local w = {}
	for x in string.gmatch(v, '%S+') do w[#w + 1] = x end
	local function heal()
		return { s = '', lc = 0, la = 0, fl = 0, nets = {}, mass = {},
		    dirty = true, healed = true }
	end
	if w[1] ~= '1' or #w < 7 then return heal() end
	sd.s = w[2]
	sd.lc, sd.la, sd.fl = num(w[3], 0, MAXNUM), num(w[4], 0, MAXNUM),
	    num(w[5], 0, 1)
	local nn = num(w[6], 0, NETS)
	if sd.lc == nil or sd.la == nil or sd.fl == nil or nn == nil or
	    #w < 7 + 2 * nn then return heal() end
	for i = 1, nn do
		local a, t = w[5 + 2 * i], num(w[6 + 2 * i], 0, MAXNUM)
		if t == nil or not string.match(a, '^%x+$') or #a ~= 32 then
			return heal()
		end
		for j = 1, #sd.nets do
			if sd.nets[j].a == a then return heal() end
		end
		sd.nets[i] = { a = a, t = t }
	end
	local nm = num(w[7 + 2 * nn], 0, MASS)
	if nm == nil or #w ~= 7 + 2 * nn + nm then return heal() end
	for i = 1, nm do
		sd.mass[i] = num(w[7 + 2 * nn + i], 0, MAXNUM)
		if sd.mass[i] == nil then return heal() end
	end
	return sd
end

local function sidesave(k, sd, ttl)
	if not sd.dirty then return end
	local w = { '1', sd.s == '' and '-' or sd.s, fmt(sd.lc), fmt(sd.la),
	    fmt(sd.fl), fmt(#sd.nets) }
	for i = 1, #sd.nets do
		w[#w + 1] = sd.nets[i].a
		w[#w + 1] = fmt(sd.nets[i].t)
	end
	w[#w + 1] = fmt(#sd.mass)
	for i = 1, #sd.mass do w[#w + 1] = fmt(sd.mass[i]) end
	redis.call('SET', k, table.concat(w, ' '), 'EX', ttl)
end

local function sidesettle(sd, now)
	local ahead = now + FUTURE
	if (#sd.nets == 0 or sd.nets[1].t <= ahead) and
	    (#sd.mass == 0 or sd.mass[1] <= ahead) then return end
	for i = 1, #sd.nets do
		if sd.nets[i].t > now then sd.nets[i].t = now end
	end
	for i = 1, #sd.mass do
		if sd.mass[i] > now then sd.mass[i] = now end
	end
	sd.dirty = true
end

local function seen(sd, a, now, period, max)
	local i, last = 1, -1
	while i <= #sd.nets and sd.nets[i].a ~= a do i = i + 1 end
	if i <= #sd.nets then
		last = sd.nets[i].t
	elseif #sd.nets >= NETS then
		i = #sd.nets			-- the oldest goes
	end
	if i ~= 1 or last ~= now then
		if i <= #sd.nets then table.remove(sd.nets, i) end
		table.insert(sd.nets, 1, { a = a, t = last > now and last or now })
		sd.dirty = true
	end
	local n, cutoff = 0, now - period
	while n < #sd.nets and sd.nets[n + 1].t > cutoff do n = n + 1 end
	local rt = 0
	if max > 0 and n > max and max < #sd.nets then
		rt = sd.nets[max + 1].t + period
	end
	return n, rt
end

local function note(sd, session, c, all, flags)
	local a = all < 0 and 0 or all
	if sd.s == session and sd.lc == c and sd.la == a and sd.fl == flags then
		return
	end
	sd.s, sd.lc, sd.la, sd.fl, sd.dirty = session, c, a, flags, true
end

local function massdone(sd, session, c, all)
	return sd.fl == 1 and c > 0 and sd.s == session and c >= sd.lc and
	    (all < 0 or all > sd.la)
end

local function massn(sd, now, period)
	local n = 0
	while n < #sd.mass and sd.mass[n + 1] > now - period do n = n + 1 end
	return n
end

local function masscount(sd, now, session, c, all)
	table.insert(sd.mass, 1, now)
	if #sd.mass > MASS then table.remove(sd.mass) end
	sd.dirty = true
	note(sd, session, c, all, 1)
end

-- ---------------------------------------------------------------- decide

local out_err = {}
local function auxerr(key, text)
	if #out_err < 8 then
		out_err[#out_err + 1] = key
		out_err[#out_err + 1] = text
	end
end

-- a verdict's fields at o[n + 1] on (in rstore.c's order: accepted, over,
-- banned, newban, dryrun, event, retry, raised, why, ocount, olimit,
-- operiod, warm, woke, then nwin, its counts and limits); the new n
local function pushv(o, n, v, nwin)
	o[n + 1], o[n + 2], o[n + 3], o[n + 4], o[n + 5], o[n + 6], o[n + 7] =
	    v.accepted, v.over, v.banned, v.newban, v.dryrun, v.event, v.retry
	o[n + 8], o[n + 9], o[n + 10], o[n + 11], o[n + 12], o[n + 13],
	    o[n + 14], o[n + 15] = v.raised, v.why, v.ocount, v.olimit,
	    v.operiod, v.warm, v.woke, nwin
	n = n + 15
	local cnt, lim = v.count, v.limit
	for i = 1, nwin do
		o[n + i], o[n + nwin + i] = cnt[i] or 0, lim[i] or 0
	end
	return n + 2 * nwin
end

-- the reply: "rol1", the result, the client's verdict, its total and
-- warm-up count, the networks, per aggregate 1 and its verdict if it
-- counted, else 0 alone; the auxiliary errors
local function reply(result, v, nwin, c, nets, pool, srv)
	local o = { 'rol1', result }
	local n = pushv(o, 2, v, nwin)
	o[n + 1], o[n + 2], o[n + 3] = c and c.tot or 0, c and c.wc or 0, nets
	n = n + 3
	for _, g in ipairs({ pool, srv }) do
		if g.counted then
			o[n + 1] = 1
			n = pushv(o, n + 1, g.v, g.r.nwin)
		else
			o[n + 1] = 0
			n = n + 1
		end
	end
	o[n + 1] = #out_err / 2
	for i = 1, #out_err do o[n + 1 + i] = out_err[i] end
	return o
end

-- an aggregate: its rule, its state, whether it is full
local function aggload(ri, hk, rk, why, errkey, strict)
	local g = { counted = false, why = why }
	if ARGV[ri] == '' then return g end
	g.r = parserule(ARGV[ri])
	if g.r.nwin == 0 then g.r = nil return g end
	g.s = load(hk, rk)
	if g.s == nil then
		if strict then fail('corrupt state ' .. hk) end
		auxerr(errkey, 'corrupt state ' .. hk .. ': left out')
		g.r = nil
	end
	return g
end

local function aggcount(g, v, now, keep)
	if g.r == nil or not (v.accepted == 1 or v.why == g.why) then return end
	local r = g.r
	if v.accepted == 1 and g.full.why ~= W_NONE and
	    band(r.flags, DRYRUN) == 0 then
		r = {}
		for k, x in pairs(g.r) do r[k] = x end
		r.flags = bor(r.flags, DRYRUN + QUIET)
	end
	g.counted = true
	g.v = count(g.s, r, now, nil, keep)
end

-- a recipient the client does not count (local, exempt): under mass= one
-- of its message's recipients; the one that makes a mass message may ban
local function freercpt(r, now, msgn, all, session, keep)
	local v = verdict()
	v.accepted = 1
	if r.massn == 0 or msgn < 0 or (msgn ~= 0 and msgn + 1 < r.massr) then
		return reply(3, v, 0, nil, 0, {}, {})
	end
	local c = load(KEYS[1], KEYS[2])
	if c == nil then fail('corrupt state ' .. KEYS[1]) end
	local sd = sideload(KEYS[3])
	sidesettle(sd, now)
	local ban = nil
	if msgn == 0 then note(sd, session, 0, all, 0) end
	if msgn + 1 >= r.massr and not massdone(sd, session, msgn, all) then
		masscount(sd, now, session, msgn, all)
		local n = massn(sd, now, r.massper)
		if n >= r.massn then
			ban = { why = W_MASS, count = n, limit = r.massn,
			    period = r.massper }
		end
	end
	sidesave(KEYS[3], sd, r.massper + keep)
	if ban ~= nil then
		v.why, v.ocount, v.olimit, v.operiod, v.banned =
		    ban.why, ban.count, ban.limit, ban.period, 1
		if band(c.fl, BANNED) == 0 then
			if c.rs == 0 then c.rs = now end
			c.fl = bor(c.fl, BANNED)
			c.bs = now
			c.no = c.no + 1
			v.newban, v.event = 1, EV_BAN
			commit(c, now, keep)
		end
	end
	return reply(3, v, 0, nil, 0, {}, {})
end

local function sidechecks(r, now, msgn, all, session, net, rf, strict)
	local havenet = net ~= '' and r.nets > 0
	local start = r.massn > 0 and msgn == 0
	local mass = r.massn > 0 and msgn >= 0 and msgn + 1 >= r.massr
	if not havenet and not mass and not start then return false, 0, 0 end
	local sd = sideload(KEYS[3])
	if sd.healed then
		if strict then fail('corrupt side state ' .. KEYS[3]) end
		auxerr('side_error', 'side state: corrupt, started afresh')
	else
		sidesettle(sd, now)
	end
	if start then note(sd, session, 0, all, 0) end
	if mass and massdone(sd, session, msgn, all) then mass = false end
	if mass then
		local n = massn(sd, now, r.massper) + 1
		if n >= r.massn then
			rf.why, rf.ban, rf.count, rf.limit, rf.period =
			    W_MASS, 1, n, r.massn, r.massper
		end
	end
	local nets, netretry = 0, 0
	if havenet then
		nets, netretry = seen(sd, net, now, r.netsper, r.nets)
		if nets > r.nets and rf.why == W_NONE then
			local cap = r.ban * r.nets
			if cap >= NETS then cap = NETS - 1 end
			rf.why, rf.count, rf.limit, rf.period =
			    W_NETS, nets, r.nets, r.netsper
			rf.ban = (r.ban > 0 and nets > cap) and 1 or 0
		end
	end
	return mass, netretry, nets, sd
end

local function decide(now)
	local r = parserule(ARGV[3])
	local kind = arg(6, 0, 1, 'kind')
	local msgn = arg(7, -1, MAXLIMIT, 'count')
	local all = arg(8, -1, MAXLIMIT, 'all')
	local session, net = ARGV[9], ARGV[10]
	local strict = arg(11, 0, 1, 'strict') == 1
	local keep = arg(12, 0, MAXPERIOD, 'keep')
	if type(session) ~= 'string' or #session > 300 or
	    not string.match(session, '^[%w%.%-_:]+$') then
		fail('bad argument: session')
	end
	if net ~= '' and (#net ~= 32 or not string.match(net, '^%x+$')) then
		fail('bad argument: network')
	end
	if kind == 1 then return freercpt(r, now, msgn, all, session, keep) end
	local c = load(KEYS[1], KEYS[2])
	if c == nil then fail('corrupt state ' .. KEYS[1]) end
	local pool = aggload(4, KEYS[4], KEYS[5], W_POOL, 'pool_error', strict)
	local srv = aggload(5, KEYS[6], KEYS[7], W_SERVER, 'server_error',
	    strict)
	-- every input read and checked: the writes begin
	local rf = { why = W_NONE, ban = 0, count = 0, limit = 0, period = 0,
	    retry = 0 }
	local mass, netretry, nets, sd = sidechecks(r, now, msgn, all, session,
	    net, rf, strict)
	for _, g in ipairs({ pool, srv }) do
		g.full = { why = W_NONE }
		if g.r ~= nil then g.full = peek(g.s, g.r, now, g.why) end
	end
	for _, g in ipairs({ pool, srv }) do
		if rf.why == W_NONE and g.full.why ~= W_NONE and
		    band(g.r.flags, DRYRUN) == 0 then
			for k, x in pairs(g.full) do rf[k] = x end
		end
	end
	local t = 0
	if net ~= '' and r.nets > 0 and nets > r.nets then t = netretry end
	for _, g in ipairs({ pool, srv }) do
		if g.full.why ~= W_NONE and band(g.r.flags, DRYRUN) == 0 and
		    g.full.retry > t then t = g.full.retry end
	end
	rf.retry = t
	local v = count(c, r, now, rf, keep)
	if sd ~= nil then
		if v.accepted == 1 and mass then
			masscount(sd, now, session, msgn, all)
		end
		sidesave(KEYS[3], sd, c.sk + keep)
	end
	aggcount(pool, v, now, keep)
	aggcount(srv, v, now, keep)
	return reply(v.accepted == 1 and 0 or 1, v, r.nwin, c, nets, pool, srv)
end

-- ---------------------------------------------------------------- admin

-- show: the state, the windows' counts, the networks and mass messages
local function show(now)
	local r = parserule(ARGV[3])
	local s = load(KEYS[1], KEYS[2])
	if s == nil then fail('corrupt state ' .. KEYS[1]) end
	local o = { 'rol1', now, s.exists and 1 or 0 }
	for _, f in ipairs(F) do o[#o + 1] = s[f] end
	local n = counts(s, r, now)
	o[#o + 1] = r.nwin
	for i = 1, r.nwin do o[#o + 1] = n[i] end
	local sd = sideload(KEYS[3])
	o[#o + 1] = #sd.nets
	o[#o + 1] = #sd.nets > 0 and sd.nets[1].t or 0
	o[#o + 1] = #sd.mass
	o[#o + 1] = #sd.mass > 0 and sd.mass[1] or 0
	o[#o + 1] = redis.call('TTL', KEYS[1])
	return o
end

local function raise(now)
	local f = arg(3, 0, MAXLIMIT, 'factor')
	local u = arg(4, 0, MAXNUM, 'until')
	local keep = arg(5, 0, MAXPERIOD, 'keep')
	local s = load(KEYS[1], KEYS[2])
	if s == nil then fail('corrupt state ' .. KEYS[1]) end
	s.rf, s.ru = f, u
	if s.rs == 0 then s.rs = now end
	commit(s, now, keep)
	return { 'rol1', now }
end

-- reset: every count gone; a raise in force stays
local function reset(now)
	local s = load(KEYS[1], KEYS[2])
	local n = redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
	if s ~= nil and s.rf > 1 and s.ru > now then
		local t = { rs = now, rf = s.rf, ru = s.ru }
		local kv = {}
		for i, f in ipairs(F) do kv[i] = fmt(t[f] or 0) end
		redis.call('SET', KEYS[1], table.concat(kv, ' '), 'EX',
		    s.ru - now + 60)
	end
	return { 'rol1', now, n }
end

-- tidy: the cleanup's classic reset (a ban outlives it; with keepplain a
-- client at its plain limit keeps its count), an expired raise dropped;
-- the state goes when it holds nothing. Answers 0 absent, 1 kept, 2
-- removed, and whether it was reset.
local function tidy(now)
	local r = parserule(ARGV[3])
	local rs = arg(4, 0, 1, 'reset') == 1
	local keep = arg(5, 0, MAXPERIOD, 'keep')
	local keepplain = arg(6, 0, 1, 'keepplain') == 1
	local s = load(KEYS[1], KEYS[2])
	if s == nil then fail('corrupt state ' .. KEYS[1]) end
	if not s.exists then return { 'rol1', now, 0, 0 } end
	local dormant = s.la > 0 and (r.dormant > 0 or
	    (band(s.hf, 1) ~= 0 and now - s.la <= MAXPERIOD))
	if keepplain then
		for i = 1, r.nwin do
			if r.win[i].period == 0 and s.tot >= r.win[i].limit then
				rs = false
			end
		end
	end
	if rs then
		s.tot, s.ref, s.lim, s.rs, s.no = 0, 0, 0, now, 0
		s.fl = band(s.fl, BANNED)
	end
	if s.ru <= now then s.ru, s.rf = 0, 0 end
	if s.tot ~= 0 or s.ref ~= 0 or s.fl ~= 0 or s.rf ~= 0 or dormant or
	    s.have then
		if r.dormant > 0 then s.dd = r.dormant + r.warmper end
		commit(s, now, keep)
		return { 'rol1', now, 1, rs and 1 or 0 }
	end
	redis.call('DEL', KEYS[1])
	return { 'rol1', now, 2, rs and 1 or 0 }
end

-- merge: a host's file store counter added in (overlimitctl migrate),
-- once per tag
local function merge(now)
	local tag = ARGV[3]
	local keep = arg(4, 0, MAXPERIOD, 'keep')
	if type(tag) ~= 'string' or not string.match(tag, '^[%w%.%-_:]+$') then
		fail('bad argument: tag')
	end
	local w = {}
	for x in string.gmatch(ARGV[5], '%S+') do
		w[#w + 1] = num(x, 0, MAXNUM)
		if w[#w] == nil then fail('bad argument: state') end
	end
	if #w ~= #F then fail('bad argument: state') end
	local recs = {}
	for x in string.gmatch(ARGV[6], '%S+') do
		recs[#recs + 1] = num(x, 0, MAXNUM)
		if recs[#recs] == nil then fail('bad argument: records') end
	end
	if #recs % 2 ~= 0 then fail('bad argument: records') end
	local s = load(KEYS[1], KEYS[2])
	if s == nil then fail('corrupt state ' .. KEYS[1]) end
	local tags = KEYS[1] .. '#m'	-- the hosts merged in (# is in no name)
	if redis.call('HEXISTS', tags, tag) == 1 then
		return { 'rol1', now, 0 }
	end
	local m = {}
	for i, f in ipairs(F) do m[f] = w[i] end
	for _, f in ipairs({ 'tot', 'ref', 'lim', 'no' }) do s[f] = s[f] + m[f] end
	for _, f in ipairs({ 'la', 'lr', 'ru', 'rf', 'wu', 'wc', 'kp', 'sk',
	    'hf', 'bs' }) do
		if m[f] > s[f] then s[f] = m[f] end
	end
	if s.rs == 0 or (m.rs > 0 and m.rs < s.rs) then s.rs = m.rs end
	s.fl = bor(s.fl, m.fl)
	-- the records: per second, added to what is there
	local per = {}
	local e = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
	local prev = 0
	for i = 1, #e, 2 do
		local t, c = tonumber(e[i + 1]), tonumber(e[i])
		per[t] = (per[t] or 0) + c - prev
		prev = c
	end
	for i = 1, #recs, 2 do
		if recs[i] > now - s.kp then
			per[recs[i]] = (per[recs[i]] or 0) + recs[i + 1]
		end
	end
	local ts = {}
	for t in pairs(per) do ts[#ts + 1] = t end
	table.sort(ts)
	redis.call('DEL', KEYS[2])
	local cum = 0
	for _, t in ipairs(ts) do
		cum = cum + per[t]
		redis.call('ZADD', KEYS[2], t, fmt(cum))
	end
	s.have = #ts > 0
	commit(s, now, keep)
	redis.call('HSET', tags, tag, fmt(now))
	redis.call('EXPIRE', tags, s.kp + keep + 86400)
	if ARGV[7] ~= '' and redis.call('EXISTS', KEYS[3]) == 0 then
		local sd = sideload(KEYS[3])
		redis.call('SET', KEYS[3], ARGV[7], 'EX', s.sk + keep)
		if sideload(KEYS[3]).healed then redis.call('DEL', KEYS[3]) end
		sd = nil
	end
	return { 'rol1', now, 1 }
end

local ops = { decide = decide, show = show, raise = raise, reset = reset,
    tidy = tidy, merge = merge }
local function main()
	if ARGV[2] ~= '1' then fail('script format ' .. tostring(ARGV[2])) end
	if #KEYS ~= 7 then fail('wrong number of keys') end
	local op = ops[ARGV[1]]
	if op == nil then fail('unknown operation') end
	local t = redis.call('TIME')
	return op(tonumber(t[1]))
end

-- an error of Redis's own (READONLY, OOM, NOPERM, ...) goes back as it
-- is, so that the caller can tell it; a bug of this script as "ROL script"
local function run()
	out_err = {}
	local ok, res = pcall(main)
	if ok then return res end
	if type(res) == 'table' and res.err then
		return redis.error_reply(res.err)
	end
	if type(res) == 'string' and string.match(res, '^%u+ ') then
		return redis.error_reply(res)
	end
	return redis.error_reply('ROL script: ' .. tostring(res))
end
return run()
