#!/bin/sh
# rts-admin.sh: operating it: the admin command overlimitctl (list, show,
# explain, raise, reset, metrics, check; every output format, hostile names,
# errors; the * server cap, @domain pools, IPv6 network counters and side
# files), and root running it on the helper's store.
#
#   make tests && sh tests/rts-admin.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs

echo "# rts-admin: $ROOT (uid $(id -u))"

# one store for the commands below: T holds it (and nothing else, so that
# a temporary file left behind would show)
setup admin
T=$W
OL=$T/ol
CDB=$T/limits.cdb
mkdir "$OL"
printf '%s\n' ':100/1h' '@example.org:3/1h' 'vip@example.com:5' \
    '10.0.0.0/8:2/1h' > "$T/limits"
"$CDBMAKE" "$CDB" "$CDB.tmp" < "$T/limits" || exit 2

# send CLIENT: one relay recipient as qmail-smtpd sends it (rc); R = exit
send() {
    case $1 in
    *[!0-9.:]*) set -- SMTPAUTHUSER="$1" TCPREMOTEIP=192.0.2.9 ;;
    *) set -- TCPREMOTEIP="$1" ;;
    esac
    rc RELAYCLIENT= RECIPIENT=r@remote.example "$@"
}
sendn() { # N CLIENT: N recipients, R = the exits
    sn_i=0 sn_r=
    while [ "$sn_i" -lt "$1" ]; do
        send "$2"; sn_r="${sn_r:+$sn_r }$R"; sn_i=$((sn_i + 1))
    done
    R=$sn_r
}

# ------------------------------------------------------------ list
ctl list
check list.empty.rc 0 "$RC"
check list.empty.lines 1 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"
ctl -o json list
check list.empty.json "[]" "$OUT"

sendn 4 a@example.org
check setup.a "112 112 112 113" "$R"
sendn 2 vip@example.com
sendn 1 10.1.2.3
sendn 1 B@Example.NET

ctl list
check list.rc 0 "$RC"
check list.order "a@example.org 10.1.2.3 vip@example.com b@example.net" \
    "$(printf '%s\n' "$OUT" | sed 1d | awk '{ printf "%s%s", s, $1; s = " " }')"
check list.state.over "over" "$(printf '%s\n' "$OUT" | awk '$1 == "a@example.org" { print $2 }')"
check list.state.ok "ok" "$(printf '%s\n' "$OUT" | awk '$1 == "vip@example.com" { print $2 }')"

ctl -o tsv list
check tsv.header "client state rule line total refused last_accept last_refuse windows" \
    "$(printf '%s\n' "$OUT" | sed -n 1p | tr '\t' ' ')"
check tsv.fields "9 9 9 9 9" "$(printf '%s\n' "$OUT" | awk -F '\t' '{ printf "%s%d", s, NF; s = " " }')"
check tsv.a "a@example.org over @example.org 2 3 1 1h=3/3" \
    "$(printf '%s\n' "$OUT" | awk -F '\t' '$1 == "a@example.org" { print $1, $2, $3, $4, $5, $6, $9 }')"
check tsv.vip "vip@example.com ok vip@example.com 3 2 0 total=2/5" \
    "$(printf '%s\n' "$OUT" | awk -F '\t' '$1 == "vip@example.com" { print $1, $2, $3, $4, $5, $6, $9 }')"
check tsv.default "b@example.net default 1 1h=1/100" \
    "$(printf '%s\n' "$OUT" | awk -F '\t' '$1 == "b@example.net" { print $1, $3, $4, $9 }')"

ctl list over
check list.over "a@example.org" "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $1 }')"
ctl -o json list
if command -v python3 >/dev/null 2>&1; then
    check json.valid "4 a@example.org 3 3" "$(printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
a = [c for c in d if c["client"] == "a@example.org"][0]
print(len(d), a["client"], a["windows"][0]["count"], a["windows"][0]["limit"])')"
else
    skip json.valid "python3 missing"
fi
ctl list bogus
check list.usage 100 "$RC"

# list --top N [over|banned]: the first N lines of list, in every format
ctl list
top_all=$OUT
ctl list --top 2
check top.order "$(printf '%s\n' "$top_all" | sed -n 1,3p)" "$OUT"
check top.rc 0 "$RC"
ctl list --top 1
check top.one "$(printf '%s\n' "$top_all" | sed -n 1,2p)" "$OUT"
ctl list --top 100
check top.more "$top_all" "$OUT"
ctl list --top 4
check top.all "$top_all" "$OUT"
ctl list --top 1 over
check top.over "a@example.org" "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $1 }')"
ctl list banned
top_banned=$OUT
ctl list --top 3 banned
check top.banned "$top_banned" "$OUT"
ctl -o tsv list
top_all=$OUT
ctl -o tsv list --top 3
check top.tsv "$(printf '%s\n' "$top_all" | sed -n 1,4p)" "$OUT"
ctl -o json list --top 2
if command -v python3 >/dev/null 2>&1; then
    check top.json "a@example.org 10.1.2.3" "$(printf '%s' "$OUT" | python3 -c '
import json, sys
print(" ".join(c["client"] for c in json.load(sys.stdin)))')"
    ctl -o json list
    full=$OUT
    ctl -o json list --top 3
    check top.json.same yes "$(printf '%s\n%s' "$full" "$OUT" | python3 -c '
import json, sys
a, b = sys.stdin.read().split("\n]\n", 1)
print("yes" if json.loads(a + "]")[:3] == json.loads(b) else "no")')"
else
    skip top.json "python3 missing"
fi
ctl -o json list --top 5 banned
check top.json.empty "[]" "$OUT"
for bad in 0 -1 x 1x '' 100000001; do
    ctl list --top "$bad"
    check "top.usage.'$bad'" 100 "$RC"
done
ctl list --top
check top.usage.missing 100 "$RC"
ctl list over --top 2
check top.usage.after 100 "$RC"
ctl list --top 2 over banned
check top.usage.two 100 "$RC"

# ------------------------------------------------------------ show
ctl show A%Example.ORG
check show.rc 0 "$RC"
check show.rule "rule         @example.org (line 2)" "$(printf '%s\n' "$OUT" | grep '^rule')"
check show.windows "windows      1h 3/3" "$(printf '%s\n' "$OUT" | grep '^windows')"
check show.refused "refused      1 since the last reset" "$(printf '%s\n' "$OUT" | grep '^refused')"
ctl show nobody@example.org
check show.missing 1 "$RC"
ctl -o tsv show 10.1.2.3
check show.tsv "10.1.2.3 ok 10.0.0.0/8 4 1h=1/2" "$(printf '%s\n' "$OUT" | awk -F '\t' 'NR == 2 { print $1, $2, $3, $4, $9 }')"
ctl show
check show.usage 100 "$RC"

# ------------------------------------------------------------ explain
ctl explain x@Example.ORG
check explain.domain "result: line 2: 3 in any 1h" "$(printf '%s\n' "$OUT" | grep '^result')"
check explain.domain.steps "user no|domain applies" "$(printf '%s\n' "$OUT" | awk '$1 == "user" || $1 == "domain" { print $1, ($NF == "applies" ? "applies" : "no") }' | paste -sd '|' -)"
ctl explain 10.9.9.9
check explain.prefix "result: line 4: 2 in any 1h" "$(printf '%s\n' "$OUT" | grep '^result')"
ctl explain 192.0.2.1
check explain.default "result: line 1: 100 in any 1h" "$(printf '%s\n' "$OUT" | grep '^result')"
ctl explain vip@example.com
check explain.plain "result: line 3: 5 until the next reset" "$(printf '%s\n' "$OUT" | grep '^result')"
printf 'x@y.z:1\n' | "$CDBMAKE" "$T/nodef.cdb" "$T/nodef.tmp"
OVERLIMIT_CDB_SAVE=$CDB; CDB=$T/nodef.cdb
ctl explain other@y.z
check explain.none "result: no line matches: unlimited (counted, never refused)" "$(printf '%s\n' "$OUT" | grep '^result')"
CDB=$OVERLIMIT_CDB_SAVE

# ------------------------------------------------------------ raise and reset
ctl raise a@example.org 2 +1h
check raise.rc 0 "$RC"
sendn 4 a@example.org
check raise.effect "112 112 112 113" "$R"
check raise.log "raised=x2" "$(tr ' ' '\n' < "$IO/err" | grep '^raised=')"
ctl show a@example.org
check raise.show "yes" "$(printf '%s\n' "$OUT" | grep -q '^raised       x2 until' && echo yes)"
ctl raise a@example.org 1 +1h
check raise.badfactor 100 "$RC"
ctl raise a@example.org 2 2001-01-01
check raise.past 100 "$RC"
ctl raise a@example.org 2 2030-02-30
check raise.baddate 100 "$RC"
ctl raise a@example.org 2 +5y
check raise.badunit 100 "$RC"
ctl reset a@example.org
check reset.rc 0 "$RC"
sendn 7 a@example.org
check reset.effect "112 112 112 112 112 112 113" "$R"   # raise x2 kept
ctl reset vip@example.com
check reset.plain.rc 0 "$RC"
check reset.plain.file "gone" "$(olhas "vip@example.com" || echo gone)"
ctl reset vip@example.com
check reset.missing 1 "$RC"
ctl raise new@example.org 3 +1d
check raise.new.rc 0 "$RC"
sendn 10 new@example.org
check raise.new.effect "112 112 112 112 112 112 112 112 112 113" "$R"

# ------------------------------------------------------------ metrics
ctl metrics
check metrics.rc 0 "$RC"
check metrics.clients "rcptcheck_overlimit_clients 4" "$(printf '%s\n' "$OUT" | grep '^rcptcheck_overlimit_clients ')"
check metrics.over "rcptcheck_overlimit_clients_over_limit 2" "$(printf '%s\n' "$OUT" | grep '^rcptcheck_overlimit_clients_over_limit ')"
# a: 6 since its reset, 10.1.2.3: 1, b: 1, new: 9
check metrics.accepted "17" "$(printf '%s\n' "$OUT" | sed -n 's/^rcptcheck_overlimit_recipients{verdict="accepted"} //p')"
check metrics.format "0" "$(printf '%s\n' "$OUT" | grep -v '^# \(HELP\|TYPE\) ' | grep -cv '^[a-z_]*\({verdict="[a-z]*"}\)\? [0-9]*$')"
mkdir "$T/prom"
ctl metrics "$T/prom/ol.prom"
check metrics.file.rc 0 "$RC"
check metrics.file.same "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" metrics | grep -v scrape_time)" "$(grep -v scrape_time "$T/prom/ol.prom")"
check metrics.file.notmp "ol.prom" "$(ls -A "$T/prom")"
ctl metrics "$T/nodir/ol.prom"
check metrics.file.err 111 "$RC"
check metrics.stdout.nofile "" "$(ls "$T" | grep 'tmp\.' )"

# the self-check on this store, as this user (its cases: rts-install.sh;
# here it runs under valgrind too)
ctl check -u "$(id -un)" -s /dev/null
check check.self.rc 0 "$RC"
check check.self.last yes "$(printf '%s\n' "$OUT" | tail -n 1 | grep -q '^the helper would work as ' && echo yes)"
env -i OVERLIMIT_DIR="$T/none" OVERLIMIT_CDB="$T/none.cdb" OVERLIMIT_NOTIFY=/none "$OLCTL" check -u "$(id -un)" -s /none > "$IO/ctlout" 2>&1
check check.self.bad "1 3" "$? $(grep -c '^FAIL' "$IO/ctlout")"

# a hostile name in the store stays one escaped TSV line
rc RELAYCLIENT= SMTPAUTHUSER="$(printf 'ev\til\nx@example.net')"
ctl -o tsv list
check hostile.tsv.lines 6 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"
check hostile.tsv.name 'ev\til\nx@example.net' "$(printf '%s\n' "$OUT" | awk -F '\t' '/^ev/ { print $1 }')"

# errors
if filestore error.files; then
env -i OVERLIMIT_DIR="$T/none" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" list > /dev/null 2>&1
check error.nodir 111 "$?"
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$T/none.cdb" "$OLCTL" list > /dev/null 2>&1
check error.nocdb 111 "$?"
ln -s /etc/passwd "$OL/evil@example.com"
ctl list
check error.symlink.rc 111 "$RC"
check error.symlink.msg "yes" "$(printf '%s' "$ERR" | grep -q symlink && echo yes)"
check error.symlink.others 6 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"
rm -f "$OL/evil@example.com"
fi
ctl
check usage.none 100 "$RC"
ctl frobnicate
check usage.bad 100 "$RC"

# ------------------------------------------------------------ signals and aggregates
# the * server cap, @domain pools, IPv6 network counters and the side files
# NAME#x (DESIGN.md "Compromise signals and aggregate limits"), in a store
# of their own; the warm-up on a clock set 3 s ahead (libfaketime)
OL_SAVE=$OL CDB_SAVE=$CDB
OL=$T/sig
CDB=$T/sig.cdb
mkdir "$OL"
redis_flush
printf '%s\n' '*:14/1h' '@ex.com:100/1d:pool=4/1h' \
    'm@y.com:1000/1d:nets=3/1h:dormant=30d,20/1d:msg=100:mass=3x50/1h' \
    'u@x.com:1000/1d:nets=1/1h' 'w@x.com:1000/1d:dormant=2s,1/1h' \
    ':100/1d' > "$T/sig.limits"
"$CDBMAKE" "$CDB" "$CDB.tmp" < "$T/sig.limits" || exit 2

# sendenv VAR=VALUE...: one relay recipient; R = exit
sendenv() { rc RELAYCLIENT= RECIPIENT=r@remote.example "$@"; }
# sendfrom USER IP: an SMTP-auth user from IP
sendfrom() { sendenv SMTPAUTHUSER="$1" TCPREMOTEIP="$2"; }
# field CLIENT: the TSV line of OUT of this client
field() { printf '%s\n' "$OUT" | awk -v k="$1" -F '\t' '$1 == k'; }

sendfrom w@x.com 10.0.0.1                       # server 1
check sig.w "112" "$R"
sendn 2 a@ex.com                                # server 3, pool 2
sendn 1 b@ex.com                                # server 4, pool 3
sendenv TCPREMOTEIP=2001:db8:1:2::5             # server 5
check sig.traffic "112" "$R"
check sig.v6.file yes "$(olhas "2001:db8:1:2::%2f64" && echo yes)"

# list: the * and @domain rows, with their windows
ctl -o tsv list
check sig.list.rc 0 "$RC"
check sig.list.server "*|ok|*|1|5|0|1h=5/14" "$(field '*' | awk -F '\t' '{ print $1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $9 }')"
check sig.list.pool "@ex.com|ok|@ex.com|2|3|0|1h=3/4" "$(field @ex.com | awk -F '\t' '{ print $1 "|" $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $9 }')"
check sig.list.v6 "2001:db8:1:2::/64|default|1d=1/100" "$(field 2001:db8:1:2::/64 | awk -F '\t' '{ print $1 "|" $3 "|" $9 }')"
ctl list
check sig.list.table "ok 1h 5/14|ok 1h 3/4" "$(printf '%s\n' "$OUT" | awk '$1 == "*" || $1 == "@ex.com" { print $2, $(NF - 1), $NF }' | sort -r | paste -sd '|' -)"

# show: the server cap, a pool (spelled in any case), an IPv6 address (its
# /64 counter) and the /64 itself
ctl show '*'
check sig.show.server.rc 0 "$RC"
check sig.show.server "client       *|$(where "*")|rule         * (line 1)|state        ok|windows      1h 5/14" \
    "$(printf '%s\n' "$OUT" | sed -n '1,5p' | paste -sd '|' -)"
ctl show @ex.com
check sig.show.pool "client       @ex.com|$(where "@ex.com")|rule         @ex.com (line 2)|state        ok|windows      1h 3/4" \
    "$(printf '%s\n' "$OUT" | sed -n '1,5p' | paste -sd '|' -)"
ctl show @Ex.COM
check sig.show.pool.case "0 $(where "@ex.com")|windows      1h 3/4" "$RC $(printf '%s\n' "$OUT" | grep '^file\|^key\|^windows' | paste -sd '|' -)"
ctl show @nowhere.example
check sig.show.pool.missing 1 "$RC"
ctl show 2001:db8:1:2::5
check sig.show.v6 "0 $(where "2001:db8:1:2::%2f64")|rule         default (line 6)|windows      1d 1/100" \
    "$RC $(printf '%s\n' "$OUT" | grep '^file\|^key\|^rule\|^windows' | paste -sd '|' -)"
ctl show 2001:db8:1:2::/64
check sig.show.v6net "0 $(where "2001:db8:1:2::%2f64")|windows      1d 1/100" \
    "$RC $(printf '%s\n' "$OUT" | grep '^file\|^key\|^windows' | paste -sd '|' -)"
ctl show 2001:db8:1:3::5
check sig.show.v6.other 1 "$RC"
ctl -o tsv show '*'
check sig.show.server.tsv "*|ok|*|1h=5/14" "$(printf '%s\n' "$OUT" | awk -F '\t' 'NR == 2 { print $1 "|" $2 "|" $3 "|" $9 }')"
ctl show w@x.com
check sig.show.nowarmup "" "$(printf '%s\n' "$OUT" | grep '^warm-up')"

# explain: the signal lines of a rule, the pool line of a domain's user,
# the * and @domain counters, an IPv6 client's counter file
ctl explain m@y.com
check sig.explain.rc 0 "$RC"
check sig.explain.result "result: line 3: 1000 in any 1d" "$(printf '%s\n' "$OUT" | grep '^result')"
check sig.explain.signals "per message: at most 100 recipients (452)|networks: refused when seen from more than 3 in any 1h|mass mail: banned at the 3rd message of 50 or more recipients in any 1h|dormant: after 30d without a recipient, at most 20 in the first 1d back" \
    "$(printf '%s\n' "$OUT" | sed '1,/^result/d' | paste -sd '|' -)"
ctl explain a@ex.com
check sig.explain.pool "result: line 2: 100 in any 1d|domain pool: 4 in any 1h for all its users together" \
    "$(printf '%s\n' "$OUT" | sed '1,/^result/{/^result/!d}' | paste -sd '|' -)"
ctl explain x@other.example
check sig.explain.nosignals "result: line 6: 100 in any 1d" "$(printf '%s\n' "$OUT" | sed '1,/^result/{/^result/!d}' | paste -sd '|' -)"
ctl explain '*'
check sig.explain.server "0 client *: the server-wide cap (the * line), counter file *|result: line 1: 14 in any 1h" \
    "$RC $(printf '%s\n' "$OUT" | grep '^client\|^result' | paste -sd '|' -)"
ctl explain @ex.com
check sig.explain.pooldom "0 client @ex.com: a domain pool (pool= of its @domain line), counter file @ex.com|result: line 2: 4 in any 1h" \
    "$RC $(printf '%s\n' "$OUT" | grep '^client\|^result' | paste -sd '|' -)"
ctl explain 2001:db8:1:2::5
check sig.explain.v6 "client 2001:db8:1:2::5: an IP client (no SMTP auth), counter file 2001:db8:1:2::%2f64|result: line 6: 100 in any 1d" \
    "$(printf '%s\n' "$OUT" | grep '^client\|^result' | paste -sd '|' -)"

# reset USER also removes USER#x: refused by nets= before, accepted from a
# new network after
sendfrom u@x.com 10.0.0.1                       # server 6
sendfrom u@x.com 10.0.1.1
check sig.nets.refused "113 yes" "$R $(olhas "u@x.com#x" && echo yes)"
ctl reset u@x.com
check sig.reset.nets "0 u@x.com: counters reset" "$RC $OUT"
check sig.reset.nets.files "gone gone" "$(olhas "u@x.com" || echo gone) $(olhas "u@x.com#x" || echo gone)"
sendfrom u@x.com 10.0.2.1                       # server 7
check sig.reset.nets.after 112 "$R"
sendfrom u@x.com 10.0.3.1
check sig.reset.nets.again 113 "$R"

# reset @domain lifts a full pool
sendn 1 c@ex.com                                # server 8, pool 4
sendn 1 d@ex.com
check sig.pool.full 113 "$R"
ctl reset @ex.com
check sig.reset.pool "0 @ex.com: counters reset" "$RC $OUT"
sendn 1 d@ex.com                                # server 9, pool 1
check sig.reset.pool.after 112 "$R"

# reset * lifts a full server cap
for i in 1 2 3 4 5; do sendenv TCPREMOTEIP=192.0.2.$i; done   # server 14
sendenv TCPREMOTEIP=192.0.2.6
check sig.server.full 113 "$R"
ctl list over
check sig.list.over.server "*" "$(printf '%s\n' "$OUT" | awk '$1 == "*" { print $1 }')"
ctl show '*'
check sig.show.server.full "state        over|windows      1h 14/14|refused      1 since the last reset" \
    "$(printf '%s\n' "$OUT" | grep '^state\|^windows\|^refused' | paste -sd '|' -)"
ctl reset '*'
check sig.reset.server "0 *: counters reset" "$RC $OUT"
sendenv TCPREMOTEIP=192.0.2.6
check sig.reset.server.after 112 "$R"
ctl show '*'
check sig.reset.server.show "windows      1h 1/14" "$(printf '%s\n' "$OUT" | grep '^windows')"
ctl reset 2001:db8:1:2::5
check sig.reset.v6 "0 gone" "$RC $(olhas "2001:db8:1:2::%2f64" || echo gone)"

# metrics count clients, not the aggregates: * and @ex.com repeat
# recipients their clients already count
ctl -o tsv list
nclients=$(ollist | awk '$0 != "*" && $0 !~ /^@/ && $0 !~ /#x$/ { n++ } END { print n + 0 }')
naccepted=$(printf '%s\n' "$OUT" | awk -F '\t' 'NR > 1 && $1 != "*" && $1 !~ /^@/ { s += $5 } END { print s + 0 }')
ctl metrics
check sig.metrics.clients "rcptcheck_overlimit_clients $nclients" "$(printf '%s\n' "$OUT" | grep '^rcptcheck_overlimit_clients ')"
check sig.metrics.accepted "$naccepted" "$(printf '%s\n' "$OUT" | sed -n 's/^rcptcheck_overlimit_recipients{verdict="accepted"} //p')"

# !count6=128: an IPv6 client's own counter file
printf '!count6=128\n' >> "$T/sig.limits"
"$CDBMAKE" "$CDB" "$CDB.tmp" < "$T/sig.limits" || exit 2
sendenv TCPREMOTEIP=2001:db8:1:2::5
sendenv TCPREMOTEIP=2001:db8:1:2::5
check sig.count6.file yes "$(olhas "2001:db8:1:2::5" && echo yes)"
ctl show 2001:db8:1:2::5
check sig.count6.show "0 $(where "2001:db8:1:2::5")|windows      1d 2/100" \
    "$RC $(printf '%s\n' "$OUT" | grep '^file\|^key\|^windows' | paste -sd '|' -)"
ctl explain 2001:db8:1:2::5
check sig.count6.explain "client 2001:db8:1:2::5: an IP client (no SMTP auth), counter file 2001:db8:1:2::5" "$(printf '%s\n' "$OUT" | grep '^client')"

# show: the warm-up of a client that wakes after dormant=2s: its last
# recipient was sent on the real clock above, these run at a fixed time
# 3 s later than now (no sleep)
if [ -n "$FAKELIB" ]; then
    at $(($(date +%s) + 3))
    sendfrom w@x.com 10.0.0.1
    check sig.warmup.wake 112 "$R"
    ctl show w@x.com
    check sig.warmup.show "yes" "$(printf '%s\n' "$OUT" | grep -q '^warm-up      1/1 until [0-9-]*T[0-9:]*Z (it had been dormant)$' && echo yes || echo "no: $OUT")"
    sendfrom w@x.com 10.0.0.1
    check sig.warmup.refused 113 "$R"
    at
else
    skip sig.warmup "$NOFAKE"
fi
# list --top N on this store's dozen counters (ties broken by name): the
# first N lines of list, whatever N
ctl list
top_all=$OUT
check sig.top.many yes "$([ "$(printf '%s\n' "$top_all" | wc -l)" -gt 10 ] && echo yes)"
for n in 1 3 6 9; do
    ctl list --top $n
    check sig.top.$n "$(printf '%s\n' "$top_all" | sed -n "1,$((n + 1))p")" "$OUT"
done
ctl list over
top_all=$OUT
ctl list --top 1 over
check sig.top.over "$(printf '%s\n' "$top_all" | sed -n 1,2p)" "$OUT"
OL=$OL_SAVE CDB=$CDB_SAVE

# ------------------------------------------------------------ root's admin commands
# (INSTALL: "as root or vpopmail"): the files they create or touch belong
# to the counter directory's owner, so that the helper, running as that
# user, still opens them (a root-owned file sent every recipient of that
# client to the failure policy)
if [ "$(id -u)" != 0 ]; then
    skip rootops "not root: these are root's commands on another user's store"
elif [ -z "$ASNOBODY" ]; then
    skip rootops "$NOBODY_WHY"
else
    RO=$TMPBASE/rootops
    mkdir -p "$RO/ol" && chmod 755 "$TMPBASE" "$RO"
    cp "$CDB" "$RO/" && chmod 644 "$RO/limits.cdb"
    chown 65534:65534 "$RO/ol" && chmod 700 "$RO/ol"
    asnobody_send() { # [VAR=VALUE...]: one recipient as the helper's user (nobody)
        env -i USE_FD4=1 RELAYCLIENT= OVERLIMIT_DIR="$RO/ol" OVERLIMIT_CDB="$RO/limits.cdb" \
            RECIPIENT=r@remote.example TCPREMOTEIP=10.1.2.3 "$@" \
            $ASNOBODY "$NBIN/rcptsim" "$NBIN/rcptcheck-overlimit" 2> "$IO/err" | sed -n 's/^exit=//p'
    }
    rctl() { env -i OVERLIMIT_DIR="$RO/ol" OVERLIMIT_CDB="$RO/limits.cdb" "$OLCTL" "$@" > "$IO/ctlout" 2> "$IO/ctlerr"; }
    owners() { (cd "$RO/ol" && stat -c '%n:%u:%g' -- * | sort | tr '\n' ' ' | sed 's/ $//'); }
    rctl raise 10.1.2.3 2 +1d
    check rootops.raise.owner "10.1.2.3:65534:65534" "$(owners)"
    check rootops.raise.helper "112 112 112 112 113" "$(echo $(asnobody_send; asnobody_send; asnobody_send; asnobody_send; asnobody_send))"
    check rootops.raise.noerror "" "$(grep -o 'error=.*' "$IO/err")"
    rctl reset 10.1.2.3
    check rootops.reset.helper "112" "$(asnobody_send)"
    check rootops.reset.owner "10.1.2.3:65534:65534" "$(owners)"
    # a file root's tools created before (an older version): given back
    chown 0:0 "$RO/ol/10.1.2.3"
    rctl show 10.1.2.3
    check rootops.repair.owner "10.1.2.3:65534:65534" "$(owners)"
    check rootops.repair.helper "112" "$(asnobody_send)"
    # an orphan side file: the cleanup creates the client's file to lock it
    printf 'x' > "$RO/ol/u@example.org#x" && chown 65534:65534 "$RO/ol/u@example.org#x"
    env -i OVERLIMIT_DIR="$RO/ol" OVERLIMIT_CDB="$RO/limits.cdb" "$CLEANUP" > /dev/null 2>&1
    check rootops.cleanup.owner "65534" "$(cd "$RO/ol" && stat -c '%u' -- * | sort -u | tr '\n' ' ' | sed 's/ $//')"
    check rootops.cleanup.helper "112" "$(asnobody_send SMTPAUTHUSER=u@example.org)"
    chmod 700 "$TMPBASE"
fi

finish
