#!/bin/sh
# rts-faults.sh: black-box fault and hostile-input tests of rcptcheck-overlimit,
# cdbmake-limits and overlimit-cleanup that tests/rts.sh does not have:
# hostile control files, hostile identities not tried there, a read-only
# filesystem, the CDB truncated and rewritten in place under running
# helpers. Same style as rts.sh, with its harness (tests/rts-lib.sh):
#
#   make && sh tests/rts-faults.sh
#
# Prints "ok NAME" / "FAIL NAME: ..." / "skip NAME: ..." and ends with
# "N passed, M failed"; exits 1 when M > 0, 2 when it cannot start.
# Environment: RTS_HELPER, RTS_CDBMAKE, RTS_CLEANUP as for rts.sh;
# RTS_FAULT_SECONDS (default 6): how long the in-place CDB rewriter runs;
# RTS_CONC_REPEAT (default 5) repetitions of the concurrency test;
# RTS_LIGHT=1 skips it (valgrind).
set -u
LC_ALL=C
export LC_ALL
unset CDPATH

cd "$(dirname "$0")/.." || { echo "rts: cannot cd to the repo root" >&2; exit 2; }
ROOT=$(pwd -P)
case ${RTS_BUILD:-build} in /*) BUILD=${RTS_BUILD} ;; *) BUILD=$ROOT/${RTS_BUILD:-build} ;; esac
HELPER=${RTS_HELPER:-$BUILD/rcptcheck-overlimit}
CDBMAKE=${RTS_CDBMAKE:-$BUILD/cdbmake-limits}
CLEANUP=${RTS_CLEANUP:-$BUILD/overlimit-cleanup}
SIMTIMEOUT=10

. "$ROOT/tests/rts-lib.sh"

# ================================================================ Tests

# -------------------------------------------------- hostile control files
# A key given three times, with more keys after it: every repetition is a
# warning naming its line, the last line wins, the other keys are intact.
# (cdbmake-limits read a freed key in this case: an ASan build aborted.)
setup ctl.dup3
printf '%s\n' 'a@b.c:1' 'A@B.C:2' 'a%b.c:3' 'z@z.z:1' '1.2.3.4:1' \
    '1.2.3.4/32:2' ':5' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check ctl.dup3 "0 3 yes yes yes" "$CM $(grep -c warning "$IO/cerr") $(mentions 2) $(mentions 3) $(mentions 6)"
seqx ctl.dup3.last "112 112 112 113" auc a@b.c
seqx ctl.dup3.other "112 113" auc z@z.z
seqx ctl.dup3.ip "112 112 113" ipc 1.2.3.4
seqx ctl.dup3.default "112 112 112 112 112 113" ipc 5.6.7.8

# badfile NAME: the control file $W/bad is refused (exit 100) naming line
# $2, the CDB in force is unchanged, nothing is left behind, the
# messages carry no raw control byte
badfile() {
    bf_sum=$(cksum < "$CDB")
    CMIN=$W/bad
    cm "$CDB" "$CDB.tmp"
    check "ctl.$1" "100 yes" "$CM $(mentions "$2")"
    check "ctl.$1.cdb" "$bf_sum" "$(cksum < "$CDB")"
    check "ctl.$1.stderr_clean" 0 "$(tr -d '\n' < "$IO/cerr" | tr -cd '\000-\037\177' | wc -c | tr -d ' ')"
    check "ctl.$1.notmp" "" "$(ls "$CDB.tmp" 2>/dev/null)"
}
setup ctl.hostile ':7'
{ echo ':5'; head -c 102400 /dev/zero | tr '\0' 'a'; echo ':5'; } > "$W/bad"
badfile longline 2
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%c", (i * 7 + 1) % 256 }' > "$W/bad"
badfile binary 1
printf 'ok@x.com:1\nbad\n' > "$W/bad"
badfile nocolon_at_eof 2
printf ':5\nu@x.com:1/0h\n' > "$W/bad"
badfile zeroperiod 2
printf ':5\nu@x.com:4294967296\n' > "$W/bad"
badfile limit2p32 2
printf ':5\n[1.2.3.4]:1\n' > "$W/bad"
badfile v4_in_brackets 2
# the old CDB still works after all these
seqx ctl.hostile.still "112 112 112 112 112 112 112 113" ipc 1.2.3.4

# accepted oddities: each with its meaning
setup ctl.odd
printf '\303x@x.com:2\n[::ffff:1.2.3.4]:1\nnoeol@x.com:1' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check ctl.odd.compile 0 "$CM"
seqx ctl.odd.utf8 "112 112 113" auc "$(printf '\303x@x.com')"
# an IPv4-mapped IPv6 in brackets is that IPv4, as for the client
seqx ctl.odd.mapped "112 113" ipc 1.2.3.4
seqx ctl.odd.noeol "112 113" auc noeol@x.com
: > "$CTL"
cm "$CDB" "$CDB.tmp"
check ctl.empty.compile 0 "$CM"
ipc 5.6.7.8
check ctl.empty.unlimited "112 none 1" "$R $(logkv rule) $(logkv total)"

# -------------------------------------------------- hostile identities
# (rts.sh "names" has path tricks, 100 KB and newline names): auth names
# are counted as themselves, 112 then 113 at ':1', one clean log line
setup ident.hostile ':1'
snap
i=0
for name in "$(printf '\303\050')" "$(printf '\377\376\375')" "$(printf 'a\rb')" \
    "$(printf 'a\tb')" "$(printf '\033[2J')" "$(printf 'x\177')" ' ' \
    "$(printf 'u@x\nverdict=accept')" '%00' '%2f' 'CON' "$(printf 'caf\303\251@x.com')"; do
    i=$((i + 1))
    auc "$name"
    r1="$R $(logsum)"
    auc "$name"
    check "ident.auth.$i" "112 $(logok accept) 113 $(logok refuse)" "$r1 $R $(logsum)"
done
olsane ident.auth.olsane
check ident.auth.count "$i" "$(olcount)"
outside ident.auth.outside
setup ident.hostileip ':1'
snap
# an IP that is not an IP is an error (failure policy), never a name
i=0
for ip in "1.2.3.4$nl" "1.2.3.4${cr}" ' 1.2.3.4' '1.2.3.4 ' . .. / 1.2.3.4/32 \
    ../../x "$BIG" "$(printf '\303\050')" 01.2.3.4 '::ffff:1.2.3.4/..' \
    '[::1]' 'fe80::1%eth0'; do
    i=$((i + 1))
    errcase "ident.ip.$i" ipc "$ip"
done
check ident.ip.nofile 0 "$(olcount)"
outside ident.ip.outside

# -------------------------------------------------- a tampered store
setup store.tampered ':5' '1.2.3.9:100/1h'
PY=$(command -v python3 2>/dev/null || true)
if [ -n "$PY" ]; then
    "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$OL/1.2.3.4"
    errcase store.socket ipc 1.2.3.4
    check store.socket.kept yes "$([ -S "$OL/1.2.3.4" ] && echo yes)"
else
    skip store.socket "python3 (to bind a unix socket) is not available"
fi
# a huge sparse file of zeros reads as an interrupted creation (a new
# client): counted at once, nothing read beyond the header
truncate -s 2G "$OL/1.2.3.5"
t0=$(date +%s)
seqx store.hugezero "112 112" ipc 1.2.3.5
check store.hugezero.total "2/5" "$(logkv total)"
check store.hugezero.fast yes "$([ $(($(date +%s) - t0)) -le 10 ] && echo yes || echo no)"
# a huge file that is neither: corrupt, left as it is, at once
{ printf 'XXXX'; } > "$OL/1.2.3.6"
truncate -s 2G "$OL/1.2.3.6"
errcase store.hugegarbage ipc 1.2.3.6
check store.hugegarbage.kept 2147483648 "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
# a file the store wrote, truncated in the middle of a record
seqx store.trunc.fill "112 112 112 112 112 112" ipc 1.2.3.9
check store.trunc.size 352 "$(wc -c < "$OL/1.2.3.9" | tr -d ' ')"
truncate -s 330 "$OL/1.2.3.9"
sum=$(cksum < "$OL/1.2.3.9")
errcase store.trunc ipc 1.2.3.9
check store.trunc.kept "$sum" "$(cksum < "$OL/1.2.3.9")"
# ... and to nothing: a new client again (a reset, as the cleanup job does)
: > "$OL/1.2.3.9"
ipc 1.2.3.9
check store.trunc.empty "112 1/100" "$R $(logkv 1h)"
# a counter file with no permissions, or another user's (as nobody)
if [ -n "$ASNOBODY" ]; then
    setup store.perm ':5'
    chmod 755 "$TMPBASE"
    chmod -R go+rX "$W"
    chown 65534 "$OL"
    printf 'XX' > "$OL/1.2.3.4"
    chmod 600 "$OL/1.2.3.4"                 # root's, 0600
    RUNAS=$ASNOBODY
    errcase store.perm.otheruser ipc 1.2.3.4
    check store.perm.otheruser.kept XX "$(cat "$OL/1.2.3.4")"
    chown 65534 "$OL/1.2.3.4"
    chmod 000 "$OL/1.2.3.4"                 # nobody's, mode 000
    errcase store.perm.mode000 ipc 1.2.3.4
    chmod 600 "$OL/1.2.3.4"
    chmod 000 "$OL"                         # the directory, mode 000
    errcase store.perm.dir000 ipc 1.2.3.4
    chmod 755 "$OL"
    seqx store.perm.restored "112" ipc 1.2.3.4
    RUNAS=
    chmod 700 "$TMPBASE"
else
    skip store.perm "needs an unprivileged user (root with setpriv, or not root)"
fi

# -------------------------------------------------- a read-only filesystem
# (root only: a small tmpfs remounted read-only under the test dir)
# Outcome: every count is an error line and the failure policy; nothing
# changes; the cleanup job exits 111; after remounting rw all is as before.
if [ "$(id -u)" = 0 ] && command -v mount >/dev/null 2>&1; then
    setup rofs ':5' '1.2.3.6:5/1h'
    mkdir "$W/fs"
    if mount -t tmpfs -o size=256k,mode=755 tmpfs "$W/fs" 2>/dev/null; then
        OLSAVE=$OL
        OL=$W/fs/ol
        mkdir "$OL"
        seqx rofs.before "112 112" ipc 1.2.3.4
        seqx rofs.before.window "112" ipc 1.2.3.6
        sums=$(cat "$OL"/* | cksum)
        if mount -o remount,ro "$W/fs" 2>/dev/null; then
            errcase rofs.known ipc 1.2.3.4
            check rofs.known.reason yes "$(case "$(logkv error)" in *Read-only*) echo yes;; *) logkv error;; esac)"
            errcase rofs.known.window ipc 1.2.3.6
            errcase rofs.new ipc 1.2.3.5
            cl_t0=$(date +%s)
            env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" > "$IO/clout" 2> "$IO/clerr"
            check rofs.cleanup 111 "$?"
            check rofs.unchanged "$sums" "$(cat "$OL"/* | cksum)"
            check rofs.nonew "1.2.3.4 1.2.3.6" "$(ollist | tr '\n' ' ' | sed 's/ $//')"
            mount -o remount,rw "$W/fs"
            ipc 1.2.3.4
            check rofs.after "112 3/5" "$R $(logkv total)"
            ipc 1.2.3.6
            check rofs.after.window "112 2/5" "$R $(logkv 1h)"
            olsane rofs.olsane
        else
            skip rofs "cannot remount a tmpfs read-only here"
        fi
        umount "$W/fs"
        OL=$OLSAVE
    else
        skip rofs "cannot mount a tmpfs here"
    fi
else
    skip rofs "needs root to mount a small tmpfs"
fi

# -------------------------------------------------- the CDB truncated and rewritten in place
# Not what cdbmake-limits does (it renames), but what a careless admin's
# "cat new > relaylimits.cdb" or a disk fault does. The helper reads the
# CDB with read(2), not a mapping: no SIGBUS. Outcome per run: the rule
# (112 with line=2) or an error line and the failure policy; never a
# signal, a timeout or another exit. The same for the cleanup job
# (0 or 111).
setup cdbtrunc ':1000000'
{ i=0; while [ "$i" -lt 500 ]; do echo "user$i@example.com:$i"; i=$((i + 1)); done; } > "$W/pad"
{ echo '# line 1'; echo ':1000000'; cat "$W/pad"; } > "$CTL"
"$CDBMAKE" "$W/good.cdb" "$W/good.tmp" < "$CTL"
cp "$W/good.cdb" "$CDB"
size=$(wc -c < "$W/good.cdb" | tr -d ' ')
SECS=${RTS_FAULT_SECONDS:-6}
(
    end=$(($(date +%s) + SECS))
    k=1
    while [ "$(date +%s)" -lt "$end" ]; do
        : > "$CDB"                                          # truncated to nothing
        head -c $((size * k / 7)) "$W/good.cdb" > "$CDB"    # in place, in part
        cat "$W/good.cdb" > "$CDB"                          # whole again
        head -c 2048 /dev/zero > "$CDB"                     # zeroed
        cat "$W/good.cdb" > "$CDB"
        k=$((k % 6 + 1))
    done
) &
tr_pid=$!
tr_ok=0 tr_err=0 tr_bad=0 tr_n=0 tr_bads=
for pol in accept defer; do
    while kill -0 "$tr_pid" 2>/dev/null && [ "$tr_n" -lt 3000 ]; do
        ipc 10.1.1.1 OVERLIMIT_ONERROR=$pol
        tr_n=$((tr_n + 1))
        case "$pol:$R:$(logkv line):$(lognk error)" in
        *:112:2:0) tr_ok=$((tr_ok + 1)) ;;
        accept:112::1|defer:111::1) tr_err=$((tr_err + 1)) ;;
        *) tr_bad=$((tr_bad + 1)); tr_bads="$tr_bads $R" ;;
        esac
        [ "$pol" = accept ] && [ "$tr_n" -ge 150 ] && break
    done
done
cl_bad=0
while kill -0 "$tr_pid" 2>/dev/null; do
    env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" > /dev/null 2>&1
    case $? in 0|111) ;; *) cl_bad=$((cl_bad + 1)) ;; esac
done
wait "$tr_pid"
echo "# cdbtrunc: $tr_n runs, $tr_ok with the rule, $tr_err error+policy, $tr_bad other"
check cdbtrunc.never_else "0" "$tr_bad${tr_bads:+:$(show "$tr_bads")}"
check cdbtrunc.both_seen yes "$([ "$tr_ok" -gt 0 ] && [ "$tr_err" -gt 0 ] && echo yes || echo "ok=$tr_ok err=$tr_err")"
check cdbtrunc.cleanup "0" "$cl_bad"
ipc 10.1.1.1
check cdbtrunc.after "112 2" "$R $(logkv line)"
olsane cdbtrunc.olsane

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
                env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" \
                    > /dev/null 2>> "$IO/clerr"
                echo $? >> "$IO/clrc"
            done
        ) &
        cl_pid=$!
        : > "$IO/clrc"
        : > "$IO/clerr"
        cc_out=$(env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
            HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
            TCPREMOTEIP=10.9.8.7 OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" \
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
    skip conc.cleanup "RTS_LIGHT is set (valgrind run)"
fi

# ------------------------------------------------ descriptors 0-2 closed
# (the first file a program opens would take 0, 1 or 2, and a log line
# written to 2 land in it: a counter file's header was destroyed)
setup closedfds ':3/1h' '@x.com:3/1h:mass=1x5/1h'
cf_env() {
    env -i RELAYCLIENT= TCPREMOTEIP=1.2.3.4 SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$@"
}
cf_env "$HELPER" <&- >&- 2>&-
check closedfds.helper.exit 112 "$?"
cf_env SMTPAUTHUSER=u@x.com "$HELPER" <&- >&- 2>&-
cf_env SMTPAUTHUSER=u@x.com RCPTHOSTS=1 "$HELPER" <&- >&- 2>&-
ipc 1.2.3.4
check closedfds.helper.next "112 2/3" "$R $(logkv 1h)"
check closedfds.helper.noerror "" "$(logkv error)"
auc u@x.com
check closedfds.user.next "112 2/3" "$R $(logkv 1h)"
check closedfds.user.noerror "" "$(logkv error)"
olsane closedfds.olsane
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" <&- >&- 2>&-
check closedfds.cleanup.exit 0 "$?"
ipc 1.2.3.4
check closedfds.cleanup.next "112 3/3 " "$R $(logkv 1h) $(logkv error)"
# the watchdog fires while the client's file is open (another process holds
# the server cap's lock): its line must not land in the counter file
PY=$(command -v python3 2>/dev/null || true)
if [ -n "$PY" ]; then
    setup closedfds.watchdog ':5/1h' '*:100/1h'
    ipc 1.2.3.4
    "$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)' "$OL/*" > "$IO/lockready" 2>&1 &
    LOCKPID=$!
    cf_i=0
    while ! grep -q locked "$IO/lockready" && [ "$cf_i" -lt 100 ]; do
        sleep 0.1
        cf_i=$((cf_i + 1))
    done
    cf_env OVERLIMIT_TIMEOUT=1 "$HELPER" <&- >&- 2>&-
    check closedfds.watchdog.exit 112 "$?"
    kill "$LOCKPID" 2>/dev/null
    wait "$LOCKPID" 2>/dev/null
    LOCKPID=
    ipc 1.2.3.4
    check closedfds.watchdog.next "112 2/5 " "$R $(logkv 1h) $(logkv error)"
    olsane closedfds.watchdog.olsane
else
    skip closedfds.watchdog "python3 (to hold a POSIX lock) is not installed"
fi
printf ':1/1h\n' | "$CDBMAKE" "$W/c2.cdb" "$W/c2.tmp" >&- 2>&-
check closedfds.cdbmake.exit 0 "$?"
check closedfds.cdbmake.cdb yes "$(cdb -q "$W/c2.cdb" /format 2>/dev/null | grep -qx 1 && echo yes)"

teardown
finish
