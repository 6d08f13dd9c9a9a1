#!/bin/sh
# rts-store.sh: the counter store: counting, windows (sliding ones on a
# fixed clock: libfaketime), compaction, locking, concurrency (200
# simultaneous attempts at limit 50 give exactly 50).
#
#   make tests && sh tests/rts-store.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-20}

echo "# rts-store: $ROOT (uid $(id -u))"

# -------------------------------------------------- counting basics
setup plain ':3'
seqx plain.limit "112 112 112 113 113 113" ipc 1.2.3.4
check plain.file "1.2.3.4" "$(ollist)"
olsane plain.olsane
outside plain.outside
# refused attempts do not use up quota: raise the limit to 5, 2 more pass
limits ':5'
seqx plain.refused_free "112 112 113" ipc 1.2.3.4
# RELAYCLIENT's value does not matter, its presence does
setup relayvalue ':1'
seqx relayvalue "112 113" ipc 1.2.3.5 RELAYCLIENT=@relay.example
# a zero-length counter file is a new client
setup emptyfile ':2'
: > "$OL/1.2.3.4"
seqx emptyfile "112 112 113" ipc 1.2.3.4
# a classic counter (only X bytes) is read as total = size (DESIGN, migration)
if filestore classic; then
setup classic ':3'
printf 'XX' > "$OL/1.2.3.4"
seqx classic "112 113" ipc 1.2.3.4

fi
# -------------------------------------------------- windows
setup window.one '1.2.3.4:3/1h'
seqx window.one "112 112 112 113 113" ipc 1.2.3.4
limits '1.2.3.4:5/1h'
seqx window.refused_free "112 112 113" ipc 1.2.3.4

setup window.several ':2/1h,5/1d'
seqx window.several.a "112 112 113" ipc 1.2.3.4
limits ':5/1h,2/1d'
seqx window.several.b "112 112 113" ipc 1.2.3.5
limits ':5/1h,2'
seqx window.mixed.a "112 112 113" ipc 1.2.3.6
limits ':2/1h,5'
seqx window.mixed.b "112 112 113" ipc 1.2.3.7
limits ':0/1h,2'
seqx window.zero.a "112 112 113" ipc 1.2.3.8
limits ':2/1h,0'
seqx window.zero.b "112 112 113" ipc 1.2.3.9
limits ':0/1h'
seqx window.zero.c "$(rep 10 112)" ipc 1.2.3.10

setup window.units 'a@x.com:2/90m' 'b@x.com:2/7d' 'c@x.com:2/1w' 'd@x.com:2/30s' 'e@x.com:2/1m'
for u in a b c d e; do
    seqx "window.units.$u" "112 112 113" auc "$u@x.com"
done

# a window that really slides: 2 per 5 seconds, filled at a fixed time T0,
# then tried again at T0 + 6 (libfaketime: no sleep, and how long the runs
# take changes nothing)
if [ -n "$FAKELIB" ]; then
    setup window.slide ':2/5s'
    T0=$(date +%s)
    at "$T0"
    seqx window.slide.fill "112 112 113" ipc 1.2.3.4
    at $((T0 + 6))
    seqx window.slide.after "112 112 113" ipc 1.2.3.4
    at
else
    skip window.slide "$NOFAKE"
fi

# compaction: 300 records that all left the window are dropped, by the
# helper (DESIGN: >= 256 dead and at least half the file) or by the cleanup;
# filled at a fixed time T0, looked at at T0 + 3 (libfaketime)
if ! filestore compact; then
    :
elif [ -n "${RTS_LIGHT:-}" ]; then
    skip compact "RTS_LIGHT is set (the valgrind run: hundreds of helpers at once under memcheck); the gcc and ASan+UBSan runs have it"
elif [ -z "$FAKELIB" ]; then
    skip compact "$NOFAKE"
else
setup compact ':400/2s'
T0=$(date +%s)
at "$T0"
check compact.fill "112=300 113=0 other=0" "$(cnv 300 TCPREMOTEIP=1.2.3.4)"
check compact.cleanupfill "112=300 113=0 other=0" "$(cnv 300 TCPREMOTEIP=1.2.3.5)"
# one record a second holds every recipient of that second: 300 at once
# are a few records, not 300
check compact.size.before "small small" \
    "$(for f in 1.2.3.4 1.2.3.5; do sz=$(wc -c < "$OL/$f"); [ "$sz" -le $((256 + 16 * 16)) ] && printf 'small ' || printf '%s ' "$sz"; done | sed 's/ $//')"
at $((T0 + 3))
seqx compact.helper "112" ipc 1.2.3.4
check compact.helper.size "small" "$(sz=$(wc -c < "$OL/1.2.3.4"); [ "$sz" -le $((256 + 16 * 16)) ] && echo small || echo "$sz")"
limits ':2/2s'
seqx compact.helper.counts "112 113" ipc 1.2.3.4
cleanup
check compact.cleanup.exit 0 "$CU"
check compact.cleanup.size "small" "$(if [ ! -e "$OL/1.2.3.5" ]; then echo small; else sz=$(wc -c < "$OL/1.2.3.5"); [ "$sz" -le 256 ] && echo small || echo "$sz"; fi)"
seqx compact.cleanup.counts "112 112 113" ipc 1.2.3.5
olsane compact.olsane
at
fi

# the watchdog bounds a lock wait (another process holds the client's lock)
if ! filestore lock; then
    :
elif command -v python3 > /dev/null 2>&1; then
    setup lock ':5'
    seqx lock.create "112" ipc 1.2.3.4
    holdlock "$OL/1.2.3.4"
    check lock.holder locked "$(cat "$IO/lockready")"
    errcase lock.timeout ipc 1.2.3.4 OVERLIMIT_TIMEOUT=1
    # bounded by the watchdog (its own error line), not by rcptsim's
    # timeout (errcase would have seen "timeout" as the exit)
    check lock.timeout.bounded "timeout after 1s" "$(logkv error)"
    unlock
    seqx lock.released "112" ipc 1.2.3.4
    olsane lock.olsane
else
    skip lock "$HOLDLOCK_WHY"
fi
# -------------------------------------------------- concurrency
conc() { # NAME RULE
    cc_i=1
    while [ "$cc_i" -le "$REPEAT" ]; do
        setup "conc.$1" "$2"
        cc_out=$(env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
            HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
            TCPREMOTEIP=10.9.8.7 OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV \
            "$CONCURRENT" 200 "$HELPER")
        check "conc.$1.$cc_i" "112=50 113=150 other=0" "$cc_out"
        cc_i=$((cc_i + 1))
    done
    ipc 10.9.8.7
    check "conc.$1.after" 113 "$R"
    olsane "conc.$1.olsane"
}
if [ -z "${RTS_LIGHT:-}" ]; then
conc plain ':50'
conc window ':50/1h'

# two sessions of one auth user, spelled differently, at the same time
sp_i=1
while [ "$sp_i" -le "$REPEAT" ]; do
    setup conc.spelling ':50'
    cnv 100 SMTPAUTHUSER=User@Example.COM TCPREMOTEIP=10.9.8.7 > "$IO/sp1" &
    sp_p1=$!
    cnv 100 SMTPAUTHUSER=user%example.com TCPREMOTEIP=10.9.8.8 > "$IO/sp2" &
    sp_p2=$!
    wait "$sp_p1"
    wait "$sp_p2"
    check "conc.spelling.$sp_i" "112=50 113=150 other=0" "$(cat "$IO/sp1" "$IO/sp2" |
        sed -n 's/^112=\([0-9]*\) 113=\([0-9]*\) other=\([0-9]*\)$/\1 \2 \3/p' |
        awk '{ a += $1; b += $2; c += $3; n++ } END { if (n == 2) printf "112=%d 113=%d other=%d", a, b, c }')"
    sp_i=$((sp_i + 1))
done
check conc.spelling.file "user@example.com" "$(ollist)"
else skip conc "RTS_LIGHT is set (the valgrind run: hundreds of helpers at once under memcheck); the gcc and ASan+UBSan runs have it"; fi

finish
