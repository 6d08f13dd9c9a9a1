#!/bin/sh
# rts-signals.sh: the compromise signals and aggregate limits (DESIGN.md
# "Compromise signals and aggregate limits"): nets= (!nets4=, !nets6=),
# msg=, mass=, dormant=, pool= on @domain lines, the * server line, IPv6 IP
# clients counted per network (!count6=), the side file NAME#x, their
# control-file syntax and failure paths; every window of seconds and
# dormant= on a fixed clock (libfaketime).
#
#   make tests && sh tests/rts-signals.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-1}



# dupkeys: the keys the last log line carries more than once
dupkeys() {
    logparse
    awk -F '\t' '$1 != "" { n[$1]++ } END { for (k in n) if (n[k] > 1) print k }' \
        "$IO/kv" | sort | tr '\n' ' ' | sed 's/ $//'
}

# refused NAME TEXT LO HI: the last run was refused (113) with the fd-4
# reply "TEXT, retry after <time> UTC", and the log's retry= time (the same
# minute) is from LO to HI (epoch seconds)
refused() {
    rf_t=$(logkv retry)
    rf_s=$(date -u -d "$rf_t" +%s 2>/dev/null || echo 0)
    check "$1.exit" 113 "$R"
    # -1: time(3) may read the coarse clock, a tick behind date(1)
    check "$1.retry" yes "$([ "$rf_s" -ge $(($3 - 1)) ] && [ "$rf_s" -le "$4" ] && echo yes || echo "no: $rf_t")"
    check "$1.fd4" "$2, retry after $(hm "$rf_s") UTC" "$FD4"
}

# badctl NAME LINE...: cdbmake-limits refuses the control file (exit 100)
# naming its last line, and leaves the CDB in force alone
badctl() {
    bc_n=$1
    shift
    printf '%s\n' "$@" > "$W/bad"
    bc_sum=$(cksum < "$CDB")
    CMIN=$W/bad
    cm "$CDB" "$CDB.tmp"
    check "syntax.bad.$bc_n" "100 yes" "$CM $(grep -q "line $#:" "$IO/cerr" && echo yes || echo "no: $(cat "$IO/cerr")")"
    check "syntax.bad.$bc_n.cdb" "$bc_sum" "$(cksum < "$CDB")"
}

echo "# rts-signals: $ROOT (uid $(id -u))"
############################################################################
# Syntax (cdbmake-limits)
############################################################################

setup syntax ':5'
# the DESIGN.md examples compile
CMIN=$W/good
printf '%s\n' ':1000/1d:nets=3/1h:dormant=30d,20/1d:msg=100:mass=3x50/1h' \
    '@example.com:500/1d:pool=5000/1d' '!count6=64' \
    '!nets4=24' '!nets6=64' '*:5/1h,100/1d:warn=80%:dryrun:reply=451:text="busy"' \
    'u@x.com:0:nets=32/1h:mass=32x1/1d' '@y.com:0:pool=1/1s,2/1h' > "$W/good"
cm "$W/good.cdb" "$W/good.tmp"
check syntax.good "0" "$CM$(cat "$IO/cerr")"
badctl nets.ip4 '1.2.3.4:5:nets=2/1h'
badctl nets.cidr '10.0.0.0/8:5:nets=2/1h'
badctl nets.prefix '192.168.1.:5:nets=2/1h'
badctl nets.ip6 '[2001:db8::1]:5:nets=2/1h'
badctl nets.zero ':5:nets=0/1h'
badctl nets.33 ':5:nets=33/1h'
badctl nets.noperiod ':5:nets=3'
badctl msg.zero ':5:msg=0'
badctl msg.empty ':5:msg='
badctl mass.33 ':5:mass=33x5/1h'
badctl mass.zero ':5:mass=0x5/1h'
badctl mass.nox ':5:mass=3/1h'
badctl dormant.nolimit ':5:dormant=30d'
badctl dormant.noperiod ':5:dormant=30d,20'
badctl pool.user 'u@ex.com:5:pool=4/1h'
badctl pool.default ':5:pool=4/1h'
badctl pool.ip '1.2.3.4:5:pool=4/1h'
badctl pool.noperiod '@ex.com:5:pool=4'
badctl pool.mixed '@ex.com:5:pool=4/1h,10'
badctl server.noperiod '*:6'
badctl server.mixed '*:6/1h,100'
badctl server.ban '*:6/1h:ban'
badctl server.nets '*:6/1h:nets=2/1h'
badctl server.pool '*:6/1h:pool=2/1h'
badctl server.msg '*:6/1h:msg=5'
badctl count6.low '!count6=16'
badctl count6.high '!count6=129'
badctl nets4.high '!nets4=33'
badctl nets6.low '!nets6=8'
badctl setting.unknown '!bogus=1'
badctl setting.novalue '!count6'
# a bad line among good ones is named
badctl nets.line3 ':5' 'u@x.com:3' '5.6.7.8:1:nets=1/1h'
# the CDB in force still works
seqx syntax.still "112 112 112 112 112 113" ipc 1.2.3.4

############################################################################
# nets=: an auth user seen from more than M networks within T
############################################################################

setup nets ':1000/1d:nets=2/1h'
t0=$(date +%s)
auc u@x.com TCPREMOTEIP=198.51.100.1
check nets.first "112 1/2" "$R $(logkv nets)"
# the same /24 is the same network
auc u@x.com TCPREMOTEIP=198.51.100.200
check nets.same24 "112 1/2" "$R $(logkv nets)"
auc u@x.com TCPREMOTEIP=203.0.113.5
check nets.second "112 2/2 3/1000" "$R $(logkv nets) $(logkv 1d)"
auc u@x.com TCPREMOTEIP=192.0.2.9
t1=$(date +%s)
refused nets.third "421 4.7.0 network limit 2 per 1h reached for u@x.com" \
    $((t0 + 3600)) $((t1 + 3600))
check nets.third.log "3/2 nets:2/1h refuse 3/1000" "$(logkv nets) $(logkv over) $(logkv verdict) $(logkv 1d)"
check nets.third.noban 0 "$(has ban)"
# back on a known network: still more than 2 within the hour
auc u@x.com TCPREMOTEIP=198.51.100.1
check nets.back "113 3/2 nets:2/1h" "$R $(logkv nets) $(logkv over)"
# an IPv4-mapped address is its IPv4 network
auc u@x.com TCPREMOTEIP=::ffff:203.0.113.77
check nets.mapped "113 3/2" "$R $(logkv nets)"
check nets.files "u@x.com${nl}u@x.com#x" "$(ollist)"
fcheck nets.sidefile.size 1080 "$(size 'u@x.com#x')"
olsane nets.olsane
outside nets.outside
# the networks are the user's: another user starts from nothing
auc v@x.com TCPREMOTEIP=192.0.2.9
check nets.peruser "112 1/2" "$R $(logkv nets)"
# no remote IP: nothing to count, accepted
auc w@x.com TCPREMOTEIP=
check nets.noip "112 0 no" "$R $(has nets) $(fileof 'w@x.com#x')"
# an IP client under a rule with nets=: not counted (nets= is for users)
ipc 192.0.2.33
check nets.ipclient "112 0 no" "$R $(has nets) $(fileof '192.0.2.33#x')"
# a rule without nets= keeps no side file
limits ':1000/1d'
auc z@x.com TCPREMOTEIP=192.0.2.10
auc z@x.com TCPREMOTEIP=192.0.3.10
check nets.off "112 0 no" "$R $(has nets) $(fileof 'z@x.com#x')"

# :ban (1x): the first refusal bans; later attempts: ban=yes
setup nets.ban ':1000/1d:nets=2/1h:ban'
auc b@x.com TCPREMOTEIP=10.0.1.1
auc b@x.com TCPREMOTEIP=10.0.2.1
auc b@x.com TCPREMOTEIP=10.0.3.1
check nets.ban.new "113 3/2 nets:2/1h new" "$R $(logkv nets) $(logkv over) $(logkv ban)"
check nets.ban.fd4 "421 4.7.0 sending blocked for b@x.com after too many recipients; contact your postmaster" "$FD4"
auc b@x.com TCPREMOTEIP=10.0.1.1
check nets.ban.yes "113 yes refuse" "$R $(logkv ban) $(logkv verdict)"
olsane nets.ban.olsane
# ban=2x: banned once the count passes 2 x 2
setup nets.ban2 ':1000/1d:nets=2/1h:ban=2x'
g=
for n in 1 2 3 4 5 6; do
    auc k@x.com TCPREMOTEIP=10.0.$n.1
    g="$g $R:$(logkv ban)"
done
check nets.ban2x " 112: 112: 113: 113: 113:new 113:yes" "$g"

# what a network is: !nets4=, !nets6= (default /24, /64)
setup nets.v4def ':1000/1d:nets=1/1h'
auc u@x.com TCPREMOTEIP=10.1.2.3
auc u@x.com TCPREMOTEIP=10.1.200.3
check nets.v4def.other24 "113 2/1" "$R $(logkv nets)"
setup nets.v4_16 '!nets4=16' ':1000/1d:nets=1/1h'
auc u@x.com TCPREMOTEIP=10.1.2.3
auc u@x.com TCPREMOTEIP=10.1.200.3
check nets.v4_16.same "112 1/1" "$R $(logkv nets)"
auc u@x.com TCPREMOTEIP=10.2.0.1
check nets.v4_16.other "113 2/1" "$R $(logkv nets)"
setup nets.v6def ':1000/1d:nets=1/1h'
auc u@x.com TCPREMOTEIP=2001:db8:1:2::5
auc u@x.com TCPREMOTEIP=2001:db8:1:2:ffff::1
check nets.v6def.same64 "112 1/1" "$R $(logkv nets)"
auc u@x.com TCPREMOTEIP=2001:db8:1:3::5
check nets.v6def.other64 "113 2/1" "$R $(logkv nets)"
setup nets.v6_48 '!nets6=48' ':1000/1d:nets=1/1h'
auc u@x.com TCPREMOTEIP=2001:db8:1:2::5
auc u@x.com TCPREMOTEIP=2001:db8:1:3::5
check nets.v6_48.same "112 1/1" "$R $(logkv nets)"
auc u@x.com TCPREMOTEIP=2001:db8:2::1
check nets.v6_48.other "113 2/1" "$R $(logkv nets)"
# IPv4 and IPv6 are different networks; the !nets4 setting leaves v6 alone
setup nets.mixed '!nets4=8' ':1000/1d:nets=1/1h'
auc u@x.com TCPREMOTEIP=10.1.2.3
auc u@x.com TCPREMOTEIP=10.200.2.3
check nets.mixed.v4 "112 1/1" "$R $(logkv nets)"
auc u@x.com TCPREMOTEIP=2001:db8::1
check nets.mixed.v6 "113 2/1" "$R $(logkv nets)"

############################################################################
# msg=: at most N recipients in one message (SMTPRCPTCOUNT)
############################################################################

setup msg ':1000/1d:msg=3' 'd@x.com:1000/1d:msg=3:dryrun' \
    'r@x.com:1000/1d:msg=2:reply=554' '1.2.3.4:5:msg=2'
auc u@x.com SMTPRCPTCOUNT=2
check msg.below "112 1/1000" "$R $(logkv 1d)"
msum=$(cksum < "$OL/u@x.com")
auc u@x.com SMTPRCPTCOUNT=3
check msg.at "113 msg:3 refuse" "$R $(logkv over) $(logkv verdict)"
check msg.at.fd4 "452 4.5.3 too many recipients for one message (at most 3)" "$FD4"
check msg.at.notcounted "$msum" "$(cksum < "$OL/u@x.com")"
auc u@x.com SMTPRCPTCOUNT=1000
check msg.far "113 452 4.5.3 too many recipients for one message (at most 3)" "$R $FD4"
check msg.far.notcounted "$msum" "$(cksum < "$OL/u@x.com")"
# the session goes on: the next message starts from 0
auc u@x.com SMTPRCPTCOUNT=0
check msg.next "112 2/1000" "$R $(logkv 1d)"
# a client refused at its first recipient has no counter file
auc v@x.com SMTPRCPTCOUNT=5
check msg.nofile "113 no" "$R $(fileof v@x.com)"
# reply= does not change the per-message reply: 452, the session goes on
auc r@x.com SMTPRCPTCOUNT=2
check msg.reply "113 452 4.5.3 too many recipients for one message (at most 2)" "$R $FD4"
# IP clients too
ipc 1.2.3.4 SMTPRCPTCOUNT=2
check msg.ip "113 msg:2 no" "$R $(logkv over) $(fileof 1.2.3.4)"
# SMTPRCPTCOUNT missing or bad: unknown, the cap is not applied
for c in abc -1 3x '' 1e3; do
    auc q@x.com SMTPRCPTCOUNT="$c"
    check "msg.bad.[$c]" "112 0 accept" "$R $(has over) $(logkv verdict)"
done
# unset: rcptsim run directly, without the harness's SMTPRCPTCOUNT=0
env -i USE_FD4=1 RELAYCLIENT= SMTPAUTHUSER=q@x.com TCPREMOTEIP=192.0.2.5 \
    OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV RCPTSIM_TIMEOUT="$SIMTIMEOUT" \
    "$RCPTSIM" "$HELPER" > "$IO/out" 2> "$IO/err"
check msg.unset "exit=112 0" "$(sed -n 1p "$IO/out") $(has over)"
# dry run (option, or OVERLIMIT_DRYRUN=1): let through, logged, counted
auc d@x.com SMTPRCPTCOUNT=5
check msg.dryrun "112 msg:3 would-refuse accept 1/1000" "$R $(logkv over) $(logkv dryrun) $(logkv verdict) $(logkv 1d)"
auc u@x.com SMTPRCPTCOUNT=5 OVERLIMIT_DRYRUN=1
check msg.dryrun.env "112 msg:3 would-refuse 3/1000" "$R $(logkv over) $(logkv dryrun) $(logkv 1d)"
auc u@x.com SMTPRCPTCOUNT=5
check msg.dryrun.off 113 "$R"
# a dry run over both the message cap and the limit: each key once
setup msg.dup 'd@x.com:1/1d:msg=3:dryrun'
auc d@x.com SMTPRCPTCOUNT=5
auc d@x.com SMTPRCPTCOUNT=5
check msg.dup.exit "112 accept" "$R $(logkv verdict)"
check msg.dup.keys "" "$(dupkeys)"

############################################################################
# mass=: the M-th message reaching R recipients within T bans
############################################################################

ms() { # COUNT,ALL[,l|e]... : one shell (one session) runs the helper for
    # each recipient; l: to our own domains (RCPTHOSTS=1), e: to the exempt
    # destination help@desk.example; the client is $MSUSER (s@x.com)
    ms_cmd=
    for ms_p in "$@"; do
        ms_c=${ms_p%%,*} ms_r=${ms_p#*,}
        ms_a=${ms_r%%,*} ms_x=
        case $ms_r in
        *,l) ms_x=RCPTHOSTS=1 ;;
        *,e) ms_x=RECIPIENT=help@desk.example ;;
        esac
        ms_cmd="$ms_cmd env $ms_x SMTPRCPTCOUNT=$ms_c SMTPRCPTCOUNTALL=$ms_a \"\$H\" 4>/dev/null; echo \$?;"
    done
    env -i H="$HELPER" OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV RELAYCLIENT= \
        SMTPAUTHUSER="${MSUSER:-s@x.com}" TCPREMOTEIP=192.0.2.9 \
        RECIPIENT=r@remote.example /bin/sh -c "$ms_cmd :" \
        2> "$IO/err" | tr '\n' ' ' | sed 's/ $//'
}
setup mass ':1000/1d:mass=2x3/1h'
g=
for c in 0 1 2 0 1 2; do
    auc u@x.com SMTPRCPTCOUNT=$c
    g="$g $R"
done
check mass.seq " 112 112 112 112 112 113" "$g"
check mass.log "mass:2x3/1h new refuse" "$(logkv over) $(logkv ban) $(logkv verdict)"
check mass.fd4 "421 4.7.0 sending blocked for u@x.com after too many recipients; contact your postmaster" "$FD4"
auc u@x.com SMTPRCPTCOUNT=0
check mass.after "113 yes 0" "$R $(logkv ban) $(has over)"
check mass.files "u@x.com${nl}u@x.com#x" "$(ollist)"
olsane mass.olsane
outside mass.outside
# messages below R recipients are not mass messages
g=
for c in 0 1 0 1 0 1 0 1; do
    auc s@x.com SMTPRCPTCOUNT=$c
    g="$g $R"
done
check mass.small " $(rep 8 112)" "$g"
# a recipient past R does not count again: one message of 6 (one session)
check mass.long "$(rep 6 112)" "$(MSUSER=l@x.com ms 0,1 1,2 2,3 3,4 4,5 5,6)"
auc l@x.com SMTPRCPTCOUNT=2
check mass.long.second "113 new" "$R $(logkv ban)"
# unknown SMTPRCPTCOUNT: not a mass message
g=
for c in x 2 abc 2; do
    auc n@x.com SMTPRCPTCOUNT=$c
    g="$g $R"
done
check mass.unknown " 112 112 112 113" "$g"
# mass=1xR: the first message reaching R is banned at its R-th recipient
setup mass.one ':1000/1d:mass=1x2/1h'
seqx mass.one.seq "112" auc u@x.com SMTPRCPTCOUNT=0
auc u@x.com SMTPRCPTCOUNT=1
check mass.one "113 mass:1x2/1h new" "$R $(logkv over) $(logkv ban)"
# IP clients too
ipc 192.0.2.8 SMTPRCPTCOUNT=0
ipc 192.0.2.8 SMTPRCPTCOUNT=1
check mass.ip "113 new" "$R $(logkv ban)"
# a refused recipient is not a mass message: over its limit at the R-th
setup mass.refused 'u@x.com:2/1h:mass=2x3/1h' ':100'
auc u@x.com SMTPRCPTCOUNT=0
auc u@x.com SMTPRCPTCOUNT=1
auc u@x.com SMTPRCPTCOUNT=2
check mass.refused.limit "113 2/1h 0" "$R $(logkv over) $(has ban)"
limits 'u@x.com:100/1h:mass=2x3/1h' ':100'
g=
for c in 0 1 2; do
    auc u@x.com SMTPRCPTCOUNT=$c
    g="$g $R"
done
check mass.refused.notmass " 112 112 112" "$g"
auc u@x.com SMTPRCPTCOUNT=2
check mass.refused.then "113 new" "$R $(logkv ban)"
# one session (one qmail-smtpd: the helpers' parent) asking again for the
# R-th recipient after a later check refused it: still one message; its
# next message reaching R is the second
setup mass.session ':1000/1d:mass=2x2/1h'
check mass.session.retry "112 112 112 112" "$(ms 0,1 1,2 1,3 1,4)"
setup mass.session2 ':1000/1d:mass=2x2/1h'
check mass.session.next "112 112 112 112 113" "$(ms 0,1 1,2 1,3 0,1 1,2)"
check mass.session.banned "ban=new" "$(grep -o 'ban=new' "$IO/err")"
# the R-th recipient is one to our own domains, or an exempt destination:
# still the message's R-th (a local one was never seen: mass= dodged)
setup mass.local ':1000/1d:mass=1x3/1h' '>help@desk.example'
check mass.local "112 112 112 113" "$(ms 0,1 1,2 2,3,l 3,4)"
check mass.local.log "over=mass:1x3/1h ban=new verdict=local" "$(grep -o 'over=.*' "$IO/err" | head -n 1)"
setup mass.exempt ':1000/1d:mass=1x3/1h' '>help@desk.example'
check mass.exempt "112 112 112 113 112" "$(ms 0,1 1,2 2,3,e 3,4 4,5,e)"
check mass.exempt.log "over=mass:1x3/1h ban=new verdict=exempt" "$(grep -o 'over=.*' "$IO/err" | head -n 1)"
# a message that starts with local recipients: the second mass message
setup mass.localstart ':1000/1d:mass=2x3/1h'
check mass.localstart "112 112 112 112 112 112 113" "$(ms 0,1 1,2 2,3 0,1,l 1,2,l 2,3,l 3,4)"
# local recipients past R of the mass message count it once
setup mass.localpast ':1000/1d:mass=2x3/1h'
check mass.localpast "$(rep 7 112)" "$(ms 0,1 1,2 2,3 3,4,l 4,5,l 5,6 6,7,l)"
# without mass= anywhere, a recipient to our own domains costs nothing: no
# file, no log line (the directory is not even looked at)
setup mass.nomass ':1/1h:nets=3/1h' '>help@desk.example'
rm -rf "$OL"
check mass.nomass "112 112 112" "$(ms 0,1,l 1,2,l 2,3,l)"
check mass.nomass.quiet "" "$(cat "$IO/err")"
# separate sessions are separate messages
setup mass.sessions ':1000/1d:mass=2x2/1h'
check mass.sessions.two "112 113" "$(ms 1,2) $(ms 1,2)"
olsane mass.refused.olsane

############################################################################
# pool= on @domain lines: all users of the domain together
############################################################################

setup pool '@ex.com:100/1d:pool=4/1h' 'x@ex.com:0' 'y@ex.com:2/1d' ':1000/1d'
t0=$(date +%s)
auc a@ex.com
check pool.first "112 1/4 1/100" "$R $(logkv pool_1h) $(logkv 1d)"
auc a@ex.com
auc b@ex.com
check pool.b "112 3/4" "$R $(logkv pool_1h)"
# a user with its own line (unlimited) still counts in the pool
auc x@ex.com
check pool.exact "112 4/4 x@ex.com" "$R $(logkv pool_1h) $(logkv rule)"
asize=$(size a@ex.com)
auc a@ex.com
t1=$(date +%s)
refused pool.full "421 4.7.0 domain recipient limit 4 per 1h reached for ex.com" \
    $((t0 + 3600)) $((t1 + 3600))
check pool.full.log "pool:4/1h 4/4 2/100 refuse" "$(logkv over) $(logkv pool_1h) $(logkv 1d) $(logkv verdict)"
# refused by the pool: not counted for the user
check pool.full.notcounted "$asize" "$(size a@ex.com)"
auc x@ex.com
check pool.exact.refused "113 pool:4/1h" "$R $(logkv over)"
auc c@ex.com
check pool.new.refused "113 pool:4/1h 0/100" "$R $(logkv over) $(logkv 1d)"
# the pool's file; other domains are not in it
check pool.file yes "$(fileof @ex.com)"
auc a@other.example
check pool.other "112 0" "$R $(has pool_1h)"
check pool.subdomain "112 0" "$(auc a@sub.ex.com; echo "$R") $(has pool_1h)"
# an IP client is not in any pool
ipc 192.0.2.1
check pool.ip "112 0" "$R $(has pool_1h)"
# the limit is raised: the pool counted only what it let through
limits '@ex.com:100/1d:pool=6/1h' 'x@ex.com:0' 'y@ex.com:2/1d' ':1000/1d'
auc a@ex.com
check pool.raised "112 5/6 3/100" "$R $(logkv pool_1h) $(logkv 1d)"
# a user refused by its own limit: the pool does not count it
limits '@ex.com:100/1d:pool=10/1h' 'x@ex.com:0' 'y@ex.com:2/1d' ':1000/1d'
seqx pool.userlimit.fill "112 112" auc y@ex.com
check pool.userlimit.fill.pool "7/10" "$(logkv pool_1h)"
auc y@ex.com
check pool.userlimit "113 2/1d 0" "$R $(logkv over) $(has pool_1h)"
auc b@ex.com
check pool.userlimit.notcounted "112 8/10" "$R $(logkv pool_1h)"
olsane pool.olsane
outside pool.outside
# a pool in dry run lets through, logs the would-be refusal
setup pool.dry '@ex.com:100/1d:pool=1/1h:dryrun'
seqx pool.dry.seq "112 112" auc a@ex.com
check pool.dry.log "would-refuse accept" "$(logkv dryrun) $(logkv verdict)"

############################################################################
# the * line: all relayed recipients of the server
############################################################################

setup server '*:6/1h' ':1000/1d' '1.2.3.9:1'
t0=$(date +%s)
ipc 1.2.3.4
check server.first "112 1/6" "$R $(logkv server_1h)"
auc u@x.com
auc v@x.com
ipc 2001:db8::1
# not counted: inbound mail, local recipients (RCPTHOSTS)
rc TCPREMOTEIP=5.6.7.8
rc TCPREMOTEIP=5.6.7.8 RCPTHOSTS=1
ipc 1.2.3.5 RCPTHOSTS=1
check server.local "112 0" "$R $(has server_1h)"
# refused by its own limit: not counted by the server
ipc 1.2.3.9
check server.five "112 5/6" "$R $(logkv server_1h)"
ipc 1.2.3.9
check server.ownlimit "113 1 0" "$R $(logkv over) $(has server_1h)"
ipc 1.2.3.4
check server.sixth "112 6/6 2/1000" "$R $(logkv server_1h) $(logkv 1d)"
auc u@x.com
t1=$(date +%s)
refused server.full "421 4.7.0 server recipient limit 6 per 1h reached for this server" \
    $((t0 + 3600)) $((t1 + 3600))
check server.full.log "server:6/1h 6/6 1/1000" "$(logkv over) $(logkv server_1h) $(logkv 1d)"
ipc 1.2.3.4
check server.full.ip "113 server:6/1h 2/1000" "$R $(logkv over) $(logkv 1d)"
ipc 198.51.100.200
check server.full.new "113 server:6/1h" "$R $(logkv over)"
check server.file yes "$(fileof '*')"
olsane server.olsane
# a * line alone (no rule for the client): still the server's cap
setup server.alone '*:2/1h'
seqx server.alone "112 112 113" ipc 1.2.3.4
check server.alone.log "server:2/1h none" "$(logkv over) $(logkv rule)"
# dry run
setup server.dry '*:1/1h:dryrun' ':100'
seqx server.dry "112 112" ipc 1.2.3.4
check server.dry.log "would-refuse" "$(logkv dryrun)"

############################################################################
# IPv6 IP clients: one counter per /64 (!count6=)
############################################################################

setup v6 ':3'
ipc 2001:db8:1:2::5
check v6.counter "112 2001:db8:1:2::/64" "$R $(logkv counter)"
ipc 2001:db8:1:2::6
ipc 2001:db8:1:2:ffff:ffff:ffff:ffff
check v6.shared "112 3/3" "$R $(logkv total)"
ipc 2001:db8:1:2::5
check v6.full 113 "$R"
ipc 2001:db8:1:3::5
check v6.other64 "112 1/3" "$R $(logkv total)"
check v6.files "2001:db8:1:2::%2f64${nl}2001:db8:1:3::%2f64" "$(ollist)"
# IPv4 clients: per address, no counter= key
ipc 192.0.2.1
check v6.v4 "112 0" "$R $(has counter)"
olsane v6.olsane
setup v6.128 '!count6=128' ':1'
ipc 2001:db8:1:2::5
ipc 2001:db8:1:2::6
check v6.128 "112 0" "$R $(has counter)"
check v6.128.files "2001:db8:1:2::5${nl}2001:db8:1:2::6" "$(ollist)"
setup v6.48 '!count6=48' ':2'
ipc 2001:db8:1:2::5
ipc 2001:db8:1:3::5
check v6.48 "112 2001:db8:1::/48" "$R $(logkv counter)"
ipc 2001:db8:1:ffff::5
check v6.48.full 113 "$R"
ipc 2001:db8:2::5
check v6.48.other 112 "$R"
check v6.48.files "2001:db8:1::%2f48${nl}2001:db8:2::%2f48" "$(ollist)"
# the rule is looked up by the address; under its exact line (or a prefix
# longer than the counting one) it is counted per address
setup v6.rule '[2001:db8:1:2::5]:1' ':100'
ipc 2001:db8:1:2::6
check v6.rule.other "112 default" "$R $(logkv rule)"
ipc 2001:db8:1:2::5
check v6.rule.own "112 2001:db8:1:2::5 1/1" "$R $(logkv rule) $(logkv total)"
ipc 2001:db8:1:2::5
check v6.rule.own.full 113 "$R"
check v6.rule.files "2001:db8:1:2::%2f64${nl}2001:db8:1:2::5" "$(ollist)"

############################################################################
# dormant=, and every other window of seconds, on a fixed clock
# (libfaketime): the first part at T0, the second at T0 + 3, no sleep; how
# long the runs take (valgrind, a loaded machine) changes nothing
############################################################################

if [ -n "$FAKELIB" ]; then

setup time ':1000/1d:dormant=2s,1/1h' 'n@x.com:1000/1d:nets=1/2s' \
    'm@x.com:1000/1d:mass=2x2/2s' '@p.com:100/1d:pool=1/2s' \
    'c@x.com:1000/1d:dormant=2s,1/1h' 'h@x.com:5:dormant=2s,1/1h' 'j@x.com:5' \
    'g@x.com:5/1s:dormant=2s,1/1h' 'k@x.com:5/1s' \
    'o@x.com:1000/1d:nets=2/1s:mass=2x2/2s' 'keep@x.com:1000/1d:nets=1/1h'
notifyprog
T0=$(date +%s)
at "$T0"
# for the cleanup: plain limits (reset by it), windows of 1 s, a side file
# of nets= and mass= periods of 1 s and 2 s (first, so that the windows of
# 2 s below still hold their records at the first cleanup)
seqx time.plain "112 112" auc h@x.com
seqx time.plain.nodormant "112 112" auc j@x.com
seqx time.1s "112" auc g@x.com
seqx time.1s.nodormant "112" auc k@x.com
seqx time.side "112" auc o@x.com TCPREMOTEIP=10.0.0.1 SMTPRCPTCOUNT=1
check time.side.file yes "$(fileof 'o@x.com#x')"
auc d@x.com "$NOTE"
check dormant.new "112 0 0" "$R $(has warmup) $(has notify)"
auc d@x.com "$NOTE"
check dormant.recent "112 0 0" "$R $(has warmup) $(has notify)"
auc c@x.com
auc n@x.com TCPREMOTEIP=10.0.0.1
auc n@x.com TCPREMOTEIP=10.0.1.1
check time.nets.before "113 nets:1/2s" "$R $(logkv over)"
seqx time.mass.before "112" auc m@x.com SMTPRCPTCOUNT=1
auc a@p.com
auc b@p.com
check time.pool.before "113 pool:1/2s" "$R $(logkv over)"
# the cleanup keeps a dormant= client's header (its last accepted
# recipient), and a side file inside its period (1h: a slow run, valgrind,
# must not make it old)
auc keep@x.com TCPREMOTEIP=10.0.0.1
cleanup
check time.cleanup "0 yes yes" "$CU $(fileof c@x.com) $(fileof 'keep@x.com#x')"
check time.cleanup.quiet "" "$(cat "$IO/cuerr")"
# a plain limit is reset: with dormant= the 256-byte header stays (when it
# last sent), without it the file goes
fcheck time.cleanup.dormant.header "256 no" "$(size h@x.com) $(fileof j@x.com)"
T3=$((T0 + 3))
at "$T3"
# a client never seen before is not dormant
auc e@x.com "$NOTE"
check dormant.never "112 0 0" "$R $(has warmup) $(has notify)"
# waking after 2 s: at most 1 in the first hour back
t0=$T3
auc d@x.com "$NOTE"
check dormant.wake "112 1/1 dormant" "$R $(logkv warmup) $(logkv notify)"
auc d@x.com "$NOTE"
t1=$T3
refused dormant.over "421 4.7.0 warm-up limit 1 per 1h reached for d@x.com" \
    $((t0 + 3600)) $((t1 + 3600))
check dormant.over.log "warmup:1/1h refuse 3/1000" "$(logkv over) $(logkv verdict) $(logkv 1d)"
auc d@x.com
check dormant.over.again "113 warmup:1/1h" "$R $(logkv over)"
# the event: once, when it wakes
check dormant.events "dormant:warmup over:warmup" "$(noteevents)"
# after the cleanup, still known: dormant
auc c@x.com
check dormant.aftercleanup "112 1/1" "$R $(logkv warmup)"
# the windows of seconds slid
auc n@x.com TCPREMOTEIP=10.0.1.1
check time.nets.after "112 1/1" "$R $(logkv nets)"
auc n@x.com TCPREMOTEIP=10.0.2.1
check time.nets.again "113 2/1" "$R $(logkv nets)"
seqx time.mass.after "112" auc m@x.com SMTPRCPTCOUNT=1
auc m@x.com SMTPRCPTCOUNT=1
check time.mass.again "113 mass:2x2/2s new" "$R $(logkv over) $(logkv ban)"
auc b@p.com
check time.pool.after "112 1/1" "$R $(logkv pool_2s)"
# the cleanup, 3 s later: the records of g (5/1s) and k have left their
# windows; g's rule has dormant=: its 256-byte header stays, k's file goes;
# o's side file holds nothing within 2 s: removed, its counter (1d) stays
cleanup
check time.cleanup2 "0 " "$CU $(cat "$IO/cuerr")"
fcheck time.cleanup2.dormant.header "yes 256 no" "$(fileof g@x.com) $(size g@x.com) $(fileof k@x.com)"
fcheck time.cleanup2.side.dead "no yes" "$(fileof 'o@x.com#x') $(fileof o@x.com)"
# the dormancy is still measured: both wake into their warm-up
auc g@x.com
check time.cleanup2.dormant.wake "112 1/1" "$R $(logkv warmup)"
auc h@x.com
check time.cleanup.dormant.wake "112 1/1" "$R $(logkv warmup)"
auc h@x.com
check time.cleanup.dormant.warmup "113 warmup:1/1h" "$R $(logkv over)"
olsane time.olsane
outside time.outside
at
else
    skip time "$NOFAKE"
fi

############################################################################
# failure paths
############################################################################

# degcase NAME KEY COMMAND...: an auxiliary file (side file, pool, server)
# that cannot be used: by default that signal is left out and logged under
# KEY on the one decision line, the client's own limits still apply (exit
# 112 here, no error=); with OVERLIMIT_ONERROR=defer the failure policy
# (111, error=)
degcase() {
    dg_n=$1
    dg_k=$2
    shift 2
    "$@"
    check "$dg_n" "112 1 0 1" "$R $(has "$dg_k") $(has error) $(lines | cut -d/ -f1)"
    "$@" OVERLIMIT_ONERROR=defer
    check "$dg_n.defer" 111 "$R"
    check "$dg_n.defer.log" "$ERRLOG" "$(errsum)"
}

if filestore fail.files; then
# a symlink planted as the side file: never followed, never written; the
# client's own limit (2) still counts
setup fail.side ':2:nets=2/1h'
echo secret > "$W/victim"
ln -s "$W/victim" "$OL/u@y.com#x"
ln -s "$W/notthere" "$OL/w@y.com#x"
snap
vsum=$(cksum < "$W/victim")
degcase fail.side.symlink side_error auc u@y.com
check fail.side.symlink.victim "$vsum" "$(cksum < "$W/victim")"
check fail.side.symlink.link yes "$([ -L "$OL/u@y.com#x" ] && echo yes)"
seqx fail.side.symlink.limit "112 113" auc u@y.com
degcase fail.side.dangling side_error auc w@y.com
check fail.side.dangling.target no "$([ -e "$W/notthere" ] && echo yes || echo no)"
outside fail.side.outside
# bad contents (a crash, tampering): started afresh, logged, whatever the
# policy; the signal works again at once
printf 'abc' > "$OL/v@y.com#x"
auc v@y.com OVERLIMIT_ONERROR=defer
check fail.side.size "112 1 0" "$R $(has side_error) $(has error)"
check fail.side.size.rewritten "1080 RCPTOLX2" "$(wc -c < "$OL/v@y.com#x" | tr -d ' ') $(head -c 8 "$OL/v@y.com#x")"
auc v@y.com
check fail.side.size.healed "112 0 1/2" "$R $(has side_error) $(logkv nets)"
head -c 1080 /dev/zero | tr '\0' 'x' > "$OL/z@y.com#x"
auc z@y.com
check fail.side.magic "112 1 0" "$R $(has side_error) $(has error)"
check fail.side.magic.rewritten RCPTOLX2 "$(head -c 8 "$OL/z@y.com#x")"
mkdir "$OL/q@y.com#x"
degcase fail.side.dir side_error auc q@y.com
check fail.side.dir.kept yes "$([ -d "$OL/q@y.com#x" ] && echo yes)"
# the same for mass= (side file opened at the R-th recipient)
setup fail.mass ':5:mass=1x2/1h'
ln -s "$W/victim" "$OL/u@y.com#x"
: > "$W/victim"
degcase fail.mass.symlink side_error auc u@y.com SMTPRCPTCOUNT=1
check fail.mass.symlink.victim 0 "$(wc -c < "$W/victim" | tr -d ' ')"

# a planted symlink as the server's file (*) or a domain pool (@ex.com):
# never followed; that aggregate is left out, the client's own limit stays
setup fail.agg '*:100/1h' '@ex.com:5/1d:pool=10/1h' ':2'
echo secret > "$W/victim"
vsum=$(cksum < "$W/victim")
ln -s "$W/victim" "$OL/*"
snap
degcase fail.server.symlink server_error ipc 1.2.3.4
degcase fail.server.symlink.user server_error auc a@ex.com
check fail.server.symlink.victim "$vsum" "$(cksum < "$W/victim")"
outside fail.server.outside
seqx fail.server.limit "112 113" ipc 1.2.3.4
rm "$OL/*"
rm -f "$OL/@ex.com"      # a regular file since a@ex.com's recipients
ln -s "$W/victim" "$OL/@ex.com"
degcase fail.pool.symlink pool_error auc b@ex.com
check fail.pool.symlink.victim "$vsum" "$(cksum < "$W/victim")"
# other domains and IP clients do not touch the pool file
auc a@other.example
check fail.pool.others "112 0 0" "$R $(has error) $(has pool_error)"
rm "$OL/@ex.com"
ln -s "$W/notthere" "$OL/@ex.com"
degcase fail.pool.dangling pool_error auc c@ex.com
check fail.pool.dangling.target no "$([ -e "$W/notthere" ] && echo yes || echo no)"
rm "$OL/@ex.com"
rm -f "$OL/*"
mkdir "$OL/*"
degcase fail.server.dir server_error ipc 1.2.3.5
rmdir "$OL/*"
# all usable again: d@ex.com's own limit 5/1d, the server 100/1h
seqx fail.agg.again "112 112 112 112 112" auc d@ex.com
check fail.agg.again.pool "5/10 5/100" "$(logkv pool_1h) $(logkv server_1h)"
auc d@ex.com
check fail.agg.again.full 113 "$R"
olsane fail.agg.olsane

fi
############################################################################
# concurrency: a pool and the server cap shared by many sessions at once
############################################################################

sum112() { # FILE...: the summed "112=A 113=B other=C" lines
    cat "$@" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); s[kv[1]] += kv[2] } }
        END { printf "112=%d 113=%d other=%d", s["112"], s["113"], s["other"] }'
}
if [ -z "${RTS_LIGHT:-}" ]; then
    setup conc.pool '@ex.com:100/1d:pool=30/1h' '*:50/1h' ':100/1d'
    cnv 40 SMTPAUTHUSER=a@ex.com TCPREMOTEIP=10.0.0.1 > "$IO/c1" &
    cp1=$!
    cnv 40 SMTPAUTHUSER=b@ex.com TCPREMOTEIP=10.0.0.2 > "$IO/c2" &
    cp2=$!
    cnv 40 TCPREMOTEIP=10.0.0.3 > "$IO/c3" &
    cp3=$!
    wait "$cp1"
    wait "$cp2"
    wait "$cp3"
    # 120 attempts, the server admits exactly 50, the pool at most 30
    check conc.total "112=50 113=70 other=0" "$(sum112 "$IO/c1" "$IO/c2" "$IO/c3")"
    check conc.pool "yes" "$(a=$(sum112 "$IO/c1" "$IO/c2" | sed 's/^112=\([0-9]*\).*/\1/'); [ "$a" -le 30 ] && echo yes || echo "no: $a")"
    ipc 10.0.0.9
    check conc.server.after "113 50/50" "$R $(logkv server_1h)"
    olsane conc.olsane
else
    skip conc "RTS_LIGHT is set (the valgrind run: hundreds of helpers at once under memcheck); the gcc and ASan+UBSan runs have it"
fi

teardown
finish

