#!/bin/sh
# rts-cleanup.sh: overlimit-cleanup, the daily job: the reset of plain
# limits (-k), windows kept, stale and planted files, the signal files (side
# files NAME#x, crafted and real, orphans; pools, the server cap, IPv6
# counters), and the job racing 200 helpers.
#
#   make tests && sh tests/rts-cleanup.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-5}

echo "# rts-cleanup: $ROOT (uid $(id -u))"

# le64 N: N as 8 bytes, little-endian
le64() {
    le_n=$1
    le_i=0
    while [ "$le_i" -lt 8 ]; do
        # shellcheck disable=SC2059 # the format is the byte
        printf "\\$(printf %03o $((le_n & 255)))"
        le_n=$((le_n >> 8))
        le_i=$((le_i + 1))
    done
}
zeros() { head -c "$1" /dev/zero; }

# sidefile NAME NETTIME MASSTIME: write the side file NAME into the
# overlimit dir, in the format of src/track.c (magic "RCPTOLX2", u32
# nnets, u32 nmass, u32 ppid, u32 count, u32 all, u32 reserved, 33 x
# {16-byte network, i64 last seen}, 32 x i64 mass times, little-endian:
# 1080 bytes): one network (::ffff:10.9.9.0) last seen at NETTIME and one
# mass message at MASSTIME; 0: none of that kind
sidefile() {
    {
        printf 'RCPTOLX2'
        if [ "$2" -gt 0 ]; then printf '\001\000\000\000'; else zeros 4; fi
        if [ "$3" -gt 0 ]; then printf '\001\000\000\000'; else zeros 4; fi
        zeros 16
        if [ "$2" -gt 0 ]; then
            zeros 10
            printf '\377\377\012\011\011\000'
            le64 "$2"
        else
            zeros 24
        fi
        zeros $((24 * 32))
        if [ "$3" -gt 0 ]; then le64 "$3"; else zeros 8; fi
        zeros $((8 * 31))
    } > "$OL/$1"
}


# -------------------------------------------------- overlimit-cleanup

setup cleanup.reset ':3'
seqx cleanup.reset.fill "112 112 112 113 113" ipc 1.2.3.4
cleanup
check cleanup.reset.exit 0 "$CU"
seqx cleanup.reset.again "112 112 112 113" ipc 1.2.3.4
olsane cleanup.reset.olsane
outside cleanup.reset.outside

setup cleanup.keep ':3'
seqx cleanup.keep.fill "112 112 112 113" ipc 1.2.3.4
seqx cleanup.keep.under "112" ipc 1.2.3.5
cleanup -k
check cleanup.keep.exit 0 "$CU"
seqx cleanup.keep.blocked "113 113" ipc 1.2.3.4
seqx cleanup.keep.under_reset "112 112 112 113" ipc 1.2.3.5
cleanup
seqx cleanup.keep.then_plain "112 112 112 113" ipc 1.2.3.4

setup cleanup.window ':2/1h'
seqx cleanup.window.fill "112 112 113" ipc 1.2.3.4
cleanup
check cleanup.window.exit 0 "$CU"
seqx cleanup.window.kept "113" ipc 1.2.3.4
cleanup -k
seqx cleanup.window.kept_k "113" ipc 1.2.3.4
limits ':2/1h,3'
seqx cleanup.window.mixed "113" ipc 1.2.3.4

if filestore cleanup.stale; then
setup cleanup.stale ':3'
ipc 1.2.3.4
: > "$OL/.cmp.999999999"
touch -t 200001010000 "$OL/.cmp.999999999"
cleanup
check cleanup.stale.exit 0 "$CU"
check cleanup.stale.removed "" "$(ls -A "$OL" | grep '^\.')"

fi
setup cleanup.symlink ':3'
printf 'XX' > "$W/victim"
sum=$(cksum < "$W/victim")
ln -s "$W/victim" "$OL/5.6.7.8"
snap
seqx cleanup.symlink.fill "112 112 112 113" ipc 1.2.3.4
cleanup
check cleanup.symlink.victim "$sum" "$(cksum < "$W/victim")"
# one bad entry does not stop the reset of the others
seqx cleanup.symlink.others_reset "112" ipc 1.2.3.4
outside cleanup.symlink.outside

if filestore cleanup.nodir; then
setup cleanup.nodir ':3'
rm -rf "$OL"
snap
cleanup
check cleanup.nodir 111 "$CU"
outside cleanup.nodir.outside

fi
############################################################################
# the cleanup and the new files
############################################################################

if filestore cleanup.files; then
setup cleanup '@ex.com:100/1d:nets=1/1h:pool=3/1h' '*:100/1h'
auc u@ex.com TCPREMOTEIP=10.0.0.1
auc u@ex.com TCPREMOTEIP=10.0.0.2
auc v@ex.com TCPREMOTEIP=10.0.0.3
ipc 2001:db8:1:2::5
culist=$(ollist)
cleanup
check cleanup.exit 0 "$CU"
# they are the store's own files, not "other files" to warn about
check cleanup.nowarning "" "$(cat "$IO/cuerr")"
check cleanup.summary "overlimit-cleanup: 7 files, 5 reset, 1 removed, 0 kept over limit, 0 other, 0 errors" "$(cat "$IO/cuout")"
# every window still holds records: only the IPv6 client's counter goes
# (no line matches it: no window to keep a record in)
check cleanup.kept "$(printf '%s\n' "$culist" | grep -v '^2001:')" "$(ollist)"
check cleanup.kept.names "yes yes yes no" "$(fileof '*') $(fileof @ex.com) $(fileof 'u@ex.com#x') $(fileof '2001:db8:1:2::%2f64')"
# side file, pool and server state survive it
auc u@ex.com TCPREMOTEIP=10.0.1.1
check cleanup.nets "113 2/1" "$R $(logkv nets)"
auc w@ex.com TCPREMOTEIP=10.0.0.4
check cleanup.pool "113 3/3" "$R $(logkv pool_1h)"
check cleanup.server "5/100" "$(ipc 192.0.2.1; logkv server_1h)"
olsane cleanup.olsane
# an IPv6 client's /64 counter keeps its window through the cleanup, as
# an IPv4 client's does (the cleanup must find the client's rule, not the
# default's, from the file name 2001:db8:1:2::%2f64)
setup cleanup.v6 ':5' '[2001:db8::]/32:3/1d' '192.0.2.0/24:3/1d'
seqx cleanup.v6.fill "112 112 112 113" ipc 2001:db8:1:2::5
seqx cleanup.v4.fill "112 112 112 113" ipc 192.0.2.5
cleanup
check cleanup.v6.exit 0 "$CU"
ipc 192.0.2.5
check cleanup.v4.window "113 3/3" "$R $(logkv 1d)"
ipc 2001:db8:1:2::5
check cleanup.v6.window "113 3/3" "$R $(logkv 1d)"
check cleanup.v6.files "192.0.2.5 2001:db8:1:2::%2f64" "$(ollist | sort | tr '\n' ' ' | sed 's/ $//')"

# side files NAME#x, crafted: removed when nothing in them lies within the
# rule's nets= and mass= periods (also when NAME is gone: an orphan, whose
# counter file the cleanup must not leave behind), kept as they are else
setup cleanup.side '@x.com:1000/1d:nets=1/1h:mass=2x5/1h' ':1000/1d'
now=$(date +%s)
for u in u v w z@y.com; do
    case $u in *@*) ;; *) u=$u@x.com ;; esac
    seqx "cleanup.side.traffic.$u" 112 auc "$u" TCPREMOTEIP=10.0.0.1
done
sidefile 'u@x.com#x' $((now - 7200)) $((now - 7200))    # all past 1h
sidefile 'v@x.com#x' $((now - 100)) 0                   # a network seen
sidefile 'w@x.com#x' $((now - 7200)) $((now - 60))      # a mass message
sidefile 'o@x.com#x' $((now - 7200)) $((now - 3601))    # orphan, dead
sidefile 'p@x.com#x' $((now - 100)) 0                   # orphan, live
sidefile 'z@y.com#x' $((now - 100)) $((now - 100))      # rule: neither
check cleanup.side.crafted 1080 "$(size 'u@x.com#x')"
vsum=$(cksum < "$OL/v@x.com#x")
wsum=$(cksum < "$OL/w@x.com#x")
snap
cleanup
check cleanup.side.exit "0 " "$CU $(cat "$IO/cuerr")"
check cleanup.side.files "p@x.com#x u@x.com v@x.com v@x.com#x w@x.com w@x.com#x z@y.com" \
    "$(ollist | sort | tr '\n' ' ' | sed 's/ $//')"
check cleanup.side.live.same "$vsum $wsum" "$(cksum < "$OL/v@x.com#x") $(cksum < "$OL/w@x.com#x")"
check cleanup.side.summary "3 removed, 0 kept over limit, 0 other, 0 errors" "$(sed -n 's/.* reset, //p' "$IO/cuout")"
olsane cleanup.side.olsane
outside cleanup.side.outside
# what was kept still counts: v's network of 100 s ago, w's mass message
auc v@x.com TCPREMOTEIP=10.0.5.1
check cleanup.side.live.nets "113 2/1" "$R $(logkv nets)"
auc w@x.com SMTPRCPTCOUNT=4
check cleanup.side.live.mass "113 mass:2x5/1h new" "$R $(logkv over) $(logkv ban)"
auc u@x.com TCPREMOTEIP=10.0.5.1
check cleanup.side.dead.nets "112 1/1" "$R $(logkv nets)"
# a planted symlink as a side file: not followed, not removed; 111 and
# the file named on stderr; the others are still handled
echo secret > "$W/victim"
vsum=$(cksum < "$W/victim")
ln -s "$W/victim" "$OL/x@y.com#x"
ln -s "$W/notthere" "$OL/q@y.com#x"
sidefile 'o@x.com#x' $((now - 7200)) 0
snap
cleanup
check cleanup.side.symlink.exit 111 "$CU"
check cleanup.side.symlink.msg "yes yes" "$(grep -c "^overlimit-cleanup: warning: $OL/x@y.com#x: side file: is a symlink\$" "$IO/cuerr" | sed 's/^1$/yes/') $(grep -c "^overlimit-cleanup: warning: $OL/q@y.com#x: side file: is a symlink\$" "$IO/cuerr" | sed 's/^1$/yes/')"
check cleanup.side.symlink.lines 2 "$(wc -l < "$IO/cuerr" | tr -d ' ')"
check cleanup.side.symlink.summary "2 errors" "$(sed -n 's/.*, \([0-9]* errors\)$/\1/p' "$IO/cuout")"
check cleanup.side.symlink.victim "$vsum" "$(cksum < "$W/victim")"
check cleanup.side.symlink.links "yes yes" "$([ -L "$OL/x@y.com#x" ] && echo yes) $([ -L "$OL/q@y.com#x" ] && echo yes)"
check cleanup.side.symlink.nomain "no no" "$(fileof x@y.com) $(fileof q@y.com)"
check cleanup.side.symlink.others "no" "$(fileof 'o@x.com#x')"
outside cleanup.side.symlink.outside
rm "$OL/x@y.com#x" "$OL/q@y.com#x"

# an IPv6 network's side file (mass= of an IP client) is judged by the
# rule of the network's first address, not the default's
setup cleanup.v6side '[2001:db8::]/32:100/1d:mass=2x2/1h' ':100/1d'
seqx cleanup.v6side.mass 112 ipc 2001:db8:1:2::5 SMTPRCPTCOUNT=1
check cleanup.v6side.file yes "$(fileof '2001:db8:1:2::%2f64#x')"
cleanup
check cleanup.v6side.exit "0 " "$CU $(cat "$IO/cuerr")"
check cleanup.v6side.kept yes "$(fileof '2001:db8:1:2::%2f64#x')"
ipc 2001:db8:1:2::6 SMTPRCPTCOUNT=1
check cleanup.v6side.second "113 mass:2x2/1h new" "$R $(logkv over) $(logkv ban)"

fi

# -------------------------------------------------- helpers racing the cleanup job
# 200 simultaneous attempts at 50 per hour while overlimit-cleanup runs in
# a loop (lock, reset, tidy, compaction of the same files): exactly 50
# accepted, every time. A window's records are never dropped by the
# cleanup, so it cannot open the door.
if [ -z "${RTS_LIGHT:-}" ]; then
    cc_i=1
    while [ "$cc_i" -le "${RTS_CONC_REPEAT:-5}" ]; do
        setup conc.cleanup ':50/1h'
        : > "$W/run"
        (
            while [ -e "$W/run" ]; do
                env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$CLEANUP" \
                    > /dev/null 2>> "$IO/clerr"
                echo $? >> "$IO/clrc"
            done
        ) &
        cl_pid=$!
        : > "$IO/clrc"
        : > "$IO/clerr"
        cc_out=$(env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
            HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
            TCPREMOTEIP=10.9.8.7 OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV \
            "$CONCURRENT" 200 "$HELPER")
        rm -f "$W/run"
        wait "$cl_pid"
        echo "# conc.cleanup.$cc_i: $(wc -l < "$IO/clrc" | tr -d ' ') cleanup runs during the helpers"
        check "conc.cleanup.$cc_i" "112=50 113=150 other=0" "$cc_out"
        check "conc.cleanup.$cc_i.jobs" "0" "$(grep -cv '^0$' "$IO/clrc")"
        ipc 10.9.8.7
        check "conc.cleanup.$cc_i.after" "113 50/50" "$R $(logkv 1h)"
        olsane "conc.cleanup.$cc_i.olsane"
        cc_i=$((cc_i + 1))
    done
else
    skip conc.cleanup "RTS_LIGHT is set (the valgrind run: hundreds of helpers at once under memcheck); the gcc and ASan+UBSan runs have it"
fi

finish
