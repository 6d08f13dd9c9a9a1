#!/bin/sh
# rts-redis.sh: black-box tests of the Redis store that the other runners
# (run with RTS_STORE=redis) cannot make: several hosts sharing one limit
# at once over a unix socket and TCP loopback, and the faults -- Redis
# killed, frozen, its script cache flushed, out of memory, a read-only
# replica, a Sentinel failover, ACL users, bad settings -- each with its
# documented outcome (rcptcheck-overlimit(8), "Redis"), TTLs, bounded
# memory under a strict flood, overlimitctl migrate. Each case starts its
# own redis-server (a unix socket in its test directory; TCP only on
# 127.0.0.1) and stops it by its pid.
#
#   make && sh tests/rts-redis.sh
#
# Environment: RTS_REDIS_ROUNDS (default 5) rounds of each concurrency
# case; RTS_HELPER and the rest as for every runner (tests/rts-lib.sh);
# RTS_LIGHT=1 skips the concurrency and the Sentinel cases (valgrind).
set -u
LC_ALL=C
export LC_ALL
unset CDPATH

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
RTS_STORE=file          # the servers are this runner's own
. "$ROOT/tests/rts-lib.sh"
rts_programs
ROUNDS=${RTS_REDIS_ROUNDS:-5}

echo "# rts-redis: $ROOT (uid $(id -u))"
for p in redis-server redis-cli redis-sentinel; do
    if ! command -v "$p" > /dev/null; then
        skip redis "$p is missing (apt-get install redis-server redis-sentinel)"
        finish
    fi
done

# server NAME [ARG...]: a redis-server in W/NAME on W/NAME/redis.sock;
# S its socket, SP its pid
server() {
    sv_d=$W/$1
    shift
    redis_start "$sv_d" "$@" || { check server.start ok failed; return 1; }
    S=$sv_d/redis.sock
    SP=$RPID
}
# tcpserver NAME [ARG...]: the same with a TCP port on 127.0.0.1 (P)
tcpserver() {
    ts_n=$1
    shift
    ts_try=0
    while [ "$ts_try" -lt 20 ]; do
        P=$((20000 + ($$ * 7 + ts_try * 131 + $(date +%N | sed 's/^0*//;s/^$/0/') % 997) % 40000))
        if redis_start "$W/$ts_n" --port "$P" --bind 127.0.0.1 --repl-diskless-sync-delay 0 "$@" 2> /dev/null; then
            S=$W/$ts_n/redis.sock
            SP=$RPID
            return 0
        fi
        ts_try=$((ts_try + 1))
    done
    check tcpserver.start ok failed
    return 1
}
r() { redis-cli -s "$S" "$@"; }
# calls CMD: how many times Redis ran CMD, and how many of them failed;
# refused CMD: how many it refused before running (ACL, READONLY, OOM)
calls() { r info commandstats | tr -d '\r' | awk -F'[:,=]' -v c="cmdstat_$1" '$1 == c { print $3, $11; f = 1 } END { if (!f) print 0, 0 }'; }
refused() { r info commandstats | tr -d '\r' | awk -F'[:,=]' -v c="cmdstat_$1" '$1 == c { print $9; f = 1 } END { if (!f) print 0 }'; }
# ld: overlimitctl load, as host $OL with its settings; LD its exit
ld() { env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" load > "$IO/ld" 2>&1; LD=$?; }
# on HOST [VAR=VALUE...]: the settings of host HOST (its own counter dir)
onhost() {
    OL=$W/host-$1
    mkdir -p "$OL"
    REDISENV="OVERLIMIT_HOST=$1"
}
use() { REDISENV="$REDISENV OVERLIMIT_REDIS=$1"; }
# N [VAR=VALUE...]: N helpers at once, as host $OL. A failure defers (exit
# 111, counted as other), never accepts: what passes was admitted by Redis;
# the timeouts are long, so that a loaded machine (sanitizers, valgrind,
# other jobs) slows the round down instead of failing it
cnvh() {
    cn_k=$1
    shift
    env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
        HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV \
        OVERLIMIT_ONERROR=defer OVERLIMIT_TIMEOUT=120 \
        OVERLIMIT_REDIS_CONNECT_TIMEOUT=30000 OVERLIMIT_REDIS_TIMEOUT=60000 \
        CONCURRENT_TIMEOUT=300 "$@" "$CONCURRENT" "$cn_k" "$HELPER"
}
sum112() {
    cat "$@" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
        END { printf "112=%d 113=%d other=%d", s["112"], s["113"], s["other"] }'
}
errkv() { logkv error; }
insync() { # SOCKET: wait (bounded) until a replica's link to its master is up
    is_i=0
    until redis-cli -s "$1" info replication | grep -q '^master_link_status:up' ||
        [ "$is_i" -ge 500 ]; do
        is_i=$((is_i + 1)); sleep 0.02
    done
}

# ------------------------------------------------- two hosts, one limit
# 200 recipients at the same moment, 100 from each host, one over the unix
# socket, the other over TCP loopback: exactly 50 pass, every round
twohosts() { # NAME CLIENTVARS_A CLIENTVARS_B LIMITS...
    th_n=$1 th_a=$2 th_b=$3
    shift 3
    setup "$th_n" "$@"
    tcpserver redis || return
    th_i=1
    while [ "$th_i" -le "$ROUNDS" ]; do
        r flushall > /dev/null
        onhost a; use "unix:$S"
        # shellcheck disable=SC2086
        cnvh 100 $th_a > "$IO/h1" &
        th_p1=$!
        onhost b; use "127.0.0.1:$P"
        # shellcheck disable=SC2086
        cnvh 100 $th_b > "$IO/h2" &
        th_p2=$!
        wait "$th_p1"
        wait "$th_p2"
        check "$th_n.$th_i" "112=50 113=150 other=0" "$(sum112 "$IO/h1" "$IO/h2")"
        th_i=$((th_i + 1))
    done
    onhost a; use "127.0.0.1:$P"
    # shellcheck disable=SC2086
    rc RELAYCLIENT= $th_a
    check "$th_n.after" 113 "$R"
    check "$th_n.nofiles" "" "$(ls -A "$W/host-a" "$W/host-b" | grep -v '^/\|^$')"
    redis_stop "$SP"
}
if [ -z "${RTS_LIGHT:-}" ]; then
    twohosts conc.client "TCPREMOTEIP=10.9.8.7" "TCPREMOTEIP=10.9.8.7" ':50/1h'
    twohosts conc.pool "SMTPAUTHUSER=a@ex.com TCPREMOTEIP=10.0.0.1" \
        "SMTPAUTHUSER=b@ex.com TCPREMOTEIP=10.0.0.2" '@ex.com:1000/1d:pool=50/1h'
    twohosts conc.server "TCPREMOTEIP=10.0.0.3" "SMTPAUTHUSER=c@x.com TCPREMOTEIP=10.0.0.4" \
        '*:50/1h' ':1000/1d'
    # a strict flood: memory bounded by the seconds it lasted, not by the
    # attempts (one member a second)
    setup flood ':5/1h:strict'
    server redis
    onhost a; use "unix:$S"
    fl_t0=$(date +%s)
    cnvh 300 TCPREMOTEIP=10.1.1.1 > "$IO/fl"
    cnvh 300 TCPREMOTEIP=10.1.1.1 >> "$IO/fl"
    fl_t1=$(date +%s)
    check flood.decided "112=5 113=595 other=0" "$(sum112 "$IO/fl")"
    check flood.bounded yes "$(n=$(r zcard rol:r:10.1.1.1); [ "$n" -le $((fl_t1 - fl_t0 + 2)) ] && echo yes || echo "no: $n members in $((fl_t1 - fl_t0 + 1)) s")"
    redis_stop "$SP"
else
    skip conc "RTS_LIGHT is set (valgrind run)"
fi

# ------------------------------------------------- the same log line
setup same ':2/1h'
server redis
onhost a
seqx same.file "112 112 113" ipc 1.2.3.4
fline=$(sed 's/retry=[^ ]*//' "$IO/err")
onhost b; use "unix:$S"
seqx same.redis "112 112 113" ipc 1.2.3.4
check same.line "$fline" "$(sed 's/retry=[^ ]*//' "$IO/err")"
check same.fd4 "yes" "$(case $FD4 in '421 4.7.0 recipient limit 2 per 1h reached for 1.2.3.4, retry after '*) echo yes;; *) echo "no: $FD4";; esac)"
check same.nofile "" "$(ls -A "$OL")"

# ------------------------------------------------- keys, TTLs, a ban
setup ttl 'u@x.com:2/1h:nets=5/1d:mass=2x50/1d:ban' ':3/1h'
server redis
onhost a; use "unix:$S"
auc u@x.com
check ttl.keys "rol:h:u@x.com rol:r:u@x.com rol:x:u@x.com" "$(r --scan --pattern 'rol:*' | sort | paste -sd ' ' -)"
check ttl.hash yes "$(t=$(r ttl rol:h:u@x.com); [ "$t" -gt 86400 ] && [ "$t" -le $((86400 + 2 * 86400)) ] && echo yes || echo "no: $t")"
check ttl.records yes "$(t=$(r ttl rol:r:u@x.com); [ "$t" -gt 3600 ] && [ "$t" -le 3660 ] && echo yes || echo "no: $t")"
check ttl.side yes "$(t=$(r ttl rol:x:u@x.com); [ "$t" -gt 86400 ] && echo yes || echo "no: $t")"
check ttl.session "yes" "$(case $(r get rol:x:u@x.com) in '1 a:'*) echo yes;; *) echo "no: $(r get rol:x:u@x.com)";; esac)"
seqx ttl.fill "112 113 113 113 113" auc u@x.com
check ttl.banned "ban" "$(logkv ban | sed 's/yes/ban/')"
check ttl.ban.persists -1 "$(r ttl rol:h:u@x.com)"
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" reset u@x.com > "$IO/ctl" 2>&1
check ttl.reset "u@x.com: counters reset, ban lifted" "$(cat "$IO/ctl")"
check ttl.reset.keys "" "$(r --scan --pattern 'rol:*u@x.com')"

# ------------------------------------------------- Redis stopped
setup down ':5/1h'
server redis
onhost a; use "unix:$S"
seqx down.before "112" ipc 1.2.3.4
redis_stop "$SP"
REDISENV="$REDISENV OVERLIMIT_REDIS_RETRY=60"
errcase down.refused ipc 1.2.3.4
check down.refused.text yes "$(case $(errkv) in *'not tried: it could not be reached'*|*'connect: Connection refused'*|*'No such file'*) echo yes;; *) echo "no: $(errkv)";; esac)"
check down.remembered yes "$([ -s "$OL/.redis-down" ] && echo yes)"
# remembered: not tried again for a while (no connect at all)
ipc 1.2.3.4
check down.nottried yes "$(case $(errkv) in 'redis: not tried:'*) echo yes;; *) echo "no: $(errkv)";; esac)"
# OVERLIMIT_ONERROR=local: this host's file store decides
ipc 1.2.3.4 OVERLIMIT_ONERROR=local
check down.local "112 local 1/5 0" "$R $(logkv store) $(logkv 1h) $(lognk error)"
check down.local.file "yes" "$([ -f "$OL/1.2.3.4" ] && echo yes)"
# back: after OVERLIMIT_REDIS_RETRY, tried again, the memory gone
server redis
REDISENV="OVERLIMIT_HOST=a OVERLIMIT_REDIS=unix:$S OVERLIMIT_REDIS_RETRY=0"
ipc 1.2.3.4
check down.back "112 0" "$R $(lognk error)"
check down.forgotten no "$([ -e "$OL/.redis-down" ] && echo yes || echo no)"
# a socket that is not there, a port nobody listens on
rm -f "$OL/.redis-down"
errcase down.nosocket ipc 1.2.3.4 OVERLIMIT_REDIS="unix:$W/nothere.sock"
errcase down.noport ipc 1.2.3.4 OVERLIMIT_REDIS=127.0.0.1:1
redis_stop "$SP"

# ------------------------------------------------- Redis frozen
# a request sent, no reply: "outcome unknown", the failure policy, within
# the command timeout; it ran once the server went on (with the function
# library loaded, as INSTALL has it: else the request sent is an FCALL
# that finds no function then, and the script is never sent)
setup frozen ':5/1h'
server redis
onhost a; use "unix:$S"
ld
seqx frozen.before "112" ipc 1.2.3.4
kill -STOP "$SP"
fz_t0=$(date +%s)
errcase frozen ipc 1.2.3.4 OVERLIMIT_REDIS_TIMEOUT=300
fz_t1=$(date +%s)
check frozen.text yes "$(case $(errkv) in *'no reply within 300 ms: outcome unknown') echo yes;; *) echo "no: $(errkv)";; esac)"
# two calls: bounded by the 300 ms timeout, far from the 10 s watchdog
# (8 s leaves room for valgrind's start-up)
check frozen.bounded yes "$([ $((fz_t1 - fz_t0)) -le 8 ] && echo yes || echo "no: $((fz_t1 - fz_t0)) s")"
kill -CONT "$SP"
ipc 1.2.3.4
check frozen.after "112 4/5" "$R $(logkv 1h)"
redis_stop "$SP"

# ------------------------------------------------- script cache flushed
setup flush ':3/1h'
server redis
onhost a; use "unix:$S"
seqx flush.before "112" ipc 1.2.3.4
r script flush > /dev/null
seqx flush.after "112 112 113" ipc 1.2.3.4
check flush.cached 1 "$(r script exists "$(sed -n 's/^#define DECIDE_LUA_SHA1 "\(.*\)"$/\1/p' "$BUILD/gen/decide.lua.h")")"
redis_stop "$SP"

# ------------------------------------------------- the function library
# without it the script (EVALSHA), after overlimitctl load FCALL alone;
# another version's library is never called; FUNCTION FLUSH: the script
# again, nothing lost
setup func ':3/1h'
server redis
onhost a; use "unix:$S"
seqx func.without "112" ipc 1.2.3.4
check func.without.script "1 1 1" "$(calls fcall) $(calls evalsha | cut -d' ' -f1)"
ld
check func.load "0 function library $(sed -n 's/^#define DECIDE_LIB_NAME "\(.*\)"$/\1/p' "$BUILD/gen/decide.lua.h") loaded" "$LD $(cat "$IO/ld")"
ld
check func.load.again "0 yes" "$LD $(grep -q 'was loaded already$' "$IO/ld" && echo yes)"
r config resetstat > /dev/null
seqx func.with "112 112 113" ipc 1.2.3.4
check func.with.fcall "3 0 0 0 0 0" "$(calls fcall) $(calls evalsha) $(calls eval)"
check func.with.count "3/3" "$(logkv 1h)"
r function flush > /dev/null
r function load "#!lua name=rol_0000000000000000000000000000000000000000
redis.register_function('rol_0000000000000000000000000000000000000000', function() return redis.error_reply('ROL not this one') end)" > /dev/null
r config resetstat > /dev/null
seqx func.other "113" ipc 1.2.3.4
check func.other.script "1 1 1" "$(calls fcall) $(calls evalsha | cut -d' ' -f1)"
check func.other.count "3/3" "$(logkv 1h)"
redis_stop "$SP"

# ------------------------------------------------- out of memory
setup oom ':3/1h'
server redis --maxmemory-policy noeviction
onhost a; use "unix:$S"
seqx oom.before "112" ipc 1.2.3.4
seqx oom.before.same "112" ipc 1.2.3.4    # likely the same second: a ZREM
r config set maxmemory 1 > /dev/null
errcase oom ipc 1.2.3.4
check oom.text yes "$(case $(errkv) in *OOM*) echo yes;; *) echo "no: $(errkv)";; esac)"
r config set maxmemory 0 > /dev/null
ipc 1.2.3.4
check oom.nothing.written "112 3/3" "$R $(logkv 1h)"
# the same with the function library: FCALL refused whole
ld
r config set maxmemory 1 > /dev/null
errcase oom.fcall ipc 1.2.3.4
check oom.fcall.text yes "$(case $(errkv) in *OOM*) echo yes;; *) echo "no: $(errkv)";; esac)"
r config set maxmemory 0 > /dev/null
ipc 1.2.3.4
check oom.fcall.nothing.written "113 3/3" "$R $(logkv 1h)"
redis_stop "$SP"

# ------------------------------------------------- Redis busy
# another script runs too long: BUSY, nothing ran, the failure policy
setup busy ':3/1h'
server redis --busy-reply-threshold 50
onhost a; use "unix:$S"
redis-cli -s "$S" eval 'while true do end' 0 > /dev/null 2>&1 &
bz_pid=$!
bz_i=0
until [ "$(redis-cli -s "$S" ping 2>&1 | cut -d' ' -f1)" = BUSY ] || [ "$bz_i" -ge 300 ]; do
    bz_i=$((bz_i + 1)); sleep 0.01
done
errcase busy ipc 1.2.3.4
check busy.text yes "$(case $(errkv) in *BUSY*) echo yes;; *) echo "no: $(errkv)";; esac)"
redis-cli -s "$S" script kill > /dev/null 2>&1
wait "$bz_pid" 2> /dev/null
ipc 1.2.3.4
check busy.nothing.written "112 1/3" "$R $(logkv 1h)"
redis_stop "$SP"

# ------------------------------------------------- a read-only replica
setup replica ':3/1h'
tcpserver primary
PS=$S PP=$P PSP=$SP
server replica --replicaof 127.0.0.1 "$PP"
insync "$S"
onhost a; use "unix:$S"
errcase replica ipc 1.2.3.4
check replica.text yes "$(case $(errkv) in *READONLY*) echo yes;; *) echo "no: $(errkv)";; esac)"
check replica.nothing.written 0 "$(redis-cli -s "$PS" dbsize)"
# the library loaded on the primary is replicated: FCALL, READONLY
ld0() { env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" OVERLIMIT_REDIS="unix:$1" "$OLCTL" load > "$IO/ld" 2>&1; LD=$?; }
ld0 "$PS"
check replica.load 0 "$LD"
rpi=0
until [ "$(redis-cli -s "$S" function list | grep -c '^rol_')" = 1 ] || [ "$rpi" -ge 250 ]; do
    rpi=$((rpi + 1)); sleep 0.02
done
r config resetstat > /dev/null
errcase replica.fcall ipc 1.2.3.4
check replica.fcall.text yes "$(case $(errkv) in *READONLY*) echo yes;; *) echo "no: $(errkv)";; esac)"
check replica.fcall.refused "0 0 yes 0 0" "$(calls fcall) $([ "$(refused fcall)" -ge 1 ] && echo yes) $(calls evalsha)"
check replica.fcall.nothing.written 0 "$(redis-cli -s "$PS" dbsize)"
redis_stop "$SP"
redis_stop "$PSP"

# ------------------------------------------------- ACL users
# the two ACL lines of INSTALL: the helper's user may run the script and
# what it calls on the prefix, nothing else; the admin tools' user also
# SCAN and the commands of the admin operations, and loads the library
HELPERACL='on >helper-secret resetkeys ~rol:* resetchannels -@all +fcall +evalsha +eval +time +get +set +zrange +zadd +zrem +zremrangebyscore +zcard +expire'
ADMINACL='on >admin-secret resetkeys ~rol:* resetchannels -@all +fcall +function|load +evalsha +eval +time +get +set +zrange +zadd +zrem +zremrangebyscore +zcard +expire +del +ttl +hexists +hset +scan'
setup acl ':3/1h'
server redis
onhost a; use "unix:$S"
# shellcheck disable=SC2086
r acl setuser rolhelper $HELPERACL > /dev/null
# shellcheck disable=SC2086
r acl setuser roladmin $ADMINACL > /dev/null
r acl setuser root on '>root-secret' '~*' '&*' +@all > /dev/null
r acl setuser default off > /dev/null
r() { redis-cli -s "$S" --user root --pass root-secret --no-auth-warning "$@"; }
printf 'rolhelper helper-secret\n' > "$W/pass"
printf 'roladmin admin-secret\n' > "$W/adminpass"
chmod 600 "$W/pass" "$W/adminpass"
REDISENV="$REDISENV OVERLIMIT_REDIS_PASSFILE=$W/pass"
seqx acl.helper "112 112 112 113" ipc 1.2.3.4
check acl.helper.noscan yes "$(case $(redis-cli -s "$S" --user rolhelper --pass helper-secret --no-auth-warning scan 0 2>&1) in *NOPERM*) echo yes;; *) echo no;; esac)"
check acl.helper.noprefix yes "$(case $(redis-cli -s "$S" --user rolhelper --pass helper-secret --no-auth-warning get other:key 2>&1) in *NOPERM*) echo yes;; *) echo no;; esac)"
ac() { env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" OVERLIMIT_REDIS="unix:$S" OVERLIMIT_REDIS_PASSFILE="$1" "$OLCTL" "$2" > "$IO/ac" 2>&1; AC=$?; }
ac "$W/adminpass" list
check acl.admin.list "0 yes" "$AC $(grep -q '^1\.2\.3\.4 ' "$IO/ac" && echo yes)"
ac "$W/pass" list
check acl.admin.helperuser "111 yes" "$AC $(grep -q NOPERM "$IO/ac" && echo yes)"
# the library: the helper's user may not load it, the admin's may; then
# the helper calls it; a helper user of the line before +fcall: the script
ac "$W/pass" load
check acl.load.helperuser "111 yes" "$AC $(grep -q NOPERM "$IO/ac" && echo yes)"
ac "$W/adminpass" load
check acl.load.admin "0 yes" "$AC $(grep -q 'loaded$' "$IO/ac" && echo yes)"
r config resetstat > /dev/null
seqx acl.helper.fcall "113" ipc 1.2.3.4
check acl.helper.fcall.called "1 0 0 0" "$(calls fcall) $(calls evalsha)"
r acl setuser rolhelper -fcall > /dev/null
r config resetstat > /dev/null
seqx acl.helper.nofcall "113" ipc 1.2.3.4
check acl.helper.nofcall.script "0 0 1" "$(calls fcall) $(calls evalsha | cut -d' ' -f1)"
r acl setuser rolhelper +fcall > /dev/null
chmod 640 "$W/pass"
errcase acl.passfile.mode ipc 1.2.3.5
check acl.passfile.text yes "$(case $(errkv) in *'readable by group or others'*) echo yes;; *) echo "no: $(errkv)";; esac)"
chmod 600 "$W/pass"
printf 'rolhelper wrong\n' > "$W/pass"
errcase acl.wrongpass ipc 1.2.3.5
check acl.wrongpass.text yes "$(case $(errkv) in *WRONGPASS*) echo yes;; *) echo "no: $(errkv)";; esac)"
printf 'rolhelper helper-secret\n' > "$W/pass"
# a user without a command the script needs: refused at run time (NOPERM)
r acl setuser rolhelper -zadd > /dev/null
errcase acl.noperm ipc 1.2.3.6
check acl.noperm.text yes "$(case $(errkv) in *NOPERM*|*"can't run this command"*) echo yes;; *) echo "no: $(errkv)";; esac)"
r() { redis-cli -s "$S" "$@"; }
redis_stop "$SP"

# ------------------------------------------------- settings
setup conf ':3/1h'
onhost a
errcase conf.name ipc 1.2.3.4 OVERLIMIT_REDIS=localhost:6379
check conf.name.text yes "$(case $(errkv) in *'not a numeric address'*) echo yes;; *) echo "no: $(errkv)";; esac)"
errcase conf.relative ipc 1.2.3.4 OVERLIMIT_REDIS=unix:redis.sock
errcase conf.noport ipc 1.2.3.4 OVERLIMIT_REDIS=127.0.0.1
errcase conf.v6 ipc 1.2.3.4 OVERLIMIT_REDIS=::1:6379
errcase conf.timeout ipc 1.2.3.4 OVERLIMIT_REDIS=unix:/x OVERLIMIT_REDIS_TIMEOUT=0
errcase conf.sentinel ipc 1.2.3.4 OVERLIMIT_REDIS=sentinel:@127.0.0.1:1
errcase conf.prefix ipc 1.2.3.4 OVERLIMIT_REDIS=unix:/x "OVERLIMIT_REDIS_PREFIX=a b"
ipc 1.2.3.4 OVERLIMIT_REDIS=localhost:6379 OVERLIMIT_ONERROR=local
check conf.local "112 local" "$R $(logkv store)"
check conf.onerror.bad 112 "$(ipc 1.2.3.4 OVERLIMIT_ONERROR=never; echo "$R")"

# ------------------------------------------------- Sentinel
# a primary, a replica and a sentinel on 127.0.0.1: the helper caches the
# master's address, asks the sentinel when it cannot reach it or it
# answers READONLY, tries once more; counts replicated before the failover
# are kept (the docs promise only what reached the replica)
if [ -n "${RTS_LIGHT:-}" ]; then
    skip sentinel "RTS_LIGHT is set (valgrind run)"
else
    setup sentinel ':5/1h'
    # a password of this run: no other server on 127.0.0.1 can replicate
    # from these or be taken for them; the helper's file holds it alone
    PW=pw$$$(date +%N)
    printf '%s\n' "$PW" > "$W/pw"
    chmod 600 "$W/pw"
    tcpserver primary --requirepass "$PW" --masterauth "$PW"
    PS=$S PP=$P PSP=$SP
    tcpserver replica --requirepass "$PW" --masterauth "$PW" --replicaof 127.0.0.1 "$PP"
    RS=$S RP=$P RSP=$SP
    rp() { redis-cli --no-auth-warning -a "$PW" "$@"; }
    is_i=0
    until rp -s "$RS" info replication | grep -q '^master_link_status:up' ||
        [ "$is_i" -ge 500 ]; do
        is_i=$((is_i + 1)); sleep 0.02
    done
    mkdir -p "$W/sent"
    printf 'port 0\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 %s 1\nsentinel down-after-milliseconds m 2000\nsentinel failover-timeout m 3000\nsentinel auth-pass m %s\n' "$PP" "$PW" > "$W/sent/s.conf"
    st_try=0
    while :; do
        SEP=$((20000 + (P + 101 + st_try * 37) % 40000))
        sed -i "s/^port .*/port $SEP/" "$W/sent/s.conf"
        redis-sentinel "$W/sent/s.conf" > "$W/sent/log" 2>&1 &
        SSP=$!
        REDISPIDS="$REDISPIDS $SSP"
        st_i=0
        while [ "$(redis-cli -p "$SEP" -h 127.0.0.1 ping 2>/dev/null)" != PONG ] &&
            kill -0 "$SSP" 2>/dev/null && [ "$st_i" -lt 500 ]; do
            st_i=$((st_i + 1)); sleep 0.01
        done
        kill -0 "$SSP" 2>/dev/null && break
        st_try=$((st_try + 1))
        [ "$st_try" -lt 10 ] || break
    done
    onhost a; use "sentinel:m@127.0.0.1:1,127.0.0.1:$SEP"
    REDISENV="$REDISENV OVERLIMIT_REDIS_PASSFILE=$W/pw"
    ld
    check sentinel.load 0 "$LD"
    seqx sentinel.before "112 112 112" ipc 1.2.3.4
    check sentinel.cached "127.0.0.1:$PP" "$(cat "$OL/.redis-master" 2>/dev/null)"
    check sentinel.replicated 1 "$(rp -s "$PS" wait 1 5000)"
    # a cache that names the replica: READONLY, the sentinel asked, retried
    printf '127.0.0.1:%s' "$RP" > "$OL/.redis-master"
    seqx sentinel.readonly "112" ipc 1.2.3.4
    check sentinel.recached "127.0.0.1:$PP" "$(cat "$OL/.redis-master")"
    check sentinel.replicated2 1 "$(rp -s "$PS" wait 1 5000)"
    check sentinel.replica.count 4 "$(rp -s "$RS" get rol:h:1.2.3.4 | cut -d' ' -f2)"
    check sentinel.topology "port=$RP" "$(rp -s "$PS" info replication | grep '^slave0:' | grep -o "port=$RP")"
    # the primary dies: the replica is promoted, the helper follows
    kill -9 "$PSP"
    sf_i=0
    while [ "$(redis-cli -p "$SEP" -h 127.0.0.1 sentinel get-master-addr-by-name m 2>/dev/null | tail -n 1)" != "$RP" ] &&
        [ "$sf_i" -lt 300 ]; do
        sf_i=$((sf_i + 1)); sleep 0.1
    done
    check sentinel.failover "$RP" "$(redis-cli -p "$SEP" -h 127.0.0.1 sentinel get-master-addr-by-name m | tail -n 1)"
    sf_i=0
    while [ "$(rp -s "$RS" role | head -n 1)" != master ] && [ "$sf_i" -lt 100 ]; do
        sf_i=$((sf_i + 1)); sleep 0.1
    done
    rp -s "$RS" config resetstat > /dev/null
    seqx sentinel.after "112 113" ipc 1.2.3.4
    check sentinel.after.count "5/5" "$(logkv 1h)"
    # the library came with the replication: FCALL on the new master
    check sentinel.after.fcall "2 0" "$(rp -s "$RS" info commandstats | tr -d '\r' | awk -F'[:,=]' '$1 == "cmdstat_fcall" { print $3, $11; f = 1 } END { if (!f) print 0, 0 }')"
    check sentinel.followed "127.0.0.1:$RP" "$(cat "$OL/.redis-master")"
    redis_stop "$SSP"
    redis_stop "$RSP"
fi

# ------------------------------------------------- migrate
# two hosts' counter files into Redis (each once), and back
setup migrate ':10/1h' 'v@x.com:3' '@ex.com:100/1d:pool=20/1h'
onhost a
seqx migrate.a "112 112 112" ipc 1.2.3.4
seqx migrate.a.user "112 112" auc u@ex.com
onhost b
seqx migrate.b "112 112" ipc 1.2.3.4
seqx migrate.b.plain "112" auc v@x.com
server redis
mg() { env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" "$@" > "$IO/mg" 2>&1; MG=$?; }
onhost a; use "unix:$S"; mg migrate
check migrate.run.a "0 yes" "$MG $(grep -q 'added to redis as host a' "$IO/mg" && echo yes)"
onhost b; use "unix:$S"; mg migrate
mg migrate
check migrate.again "0 yes" "$MG $(grep -q ', 0 added to redis' "$IO/mg" && echo yes)"
ipc 1.2.3.4
check migrate.merged "112 6/10" "$R $(logkv 1h)"
auc u@ex.com
check migrate.pool "112 3/100 3/20" "$R $(logkv 1d) $(logkv pool_1h)"
auc v@x.com
check migrate.plain "112 2/3" "$R $(logkv total)"
onhost c; use "unix:$S"; mg migrate back
check migrate.back "0" "$MG"
REDISENV="OVERLIMIT_HOST=c"
ipc 1.2.3.4
check migrate.back.file "112 7/10" "$R $(logkv 1h)"
redis_stop "$SP"

teardown
finish
