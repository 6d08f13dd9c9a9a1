# rts-lib.sh: the harness of every black-box runner (tests/runners),
# sourced, not run. The runner sets ROOT (the top of the source tree) and
# sources it; then:
#
#   reporting    check NAME EXPECTED ACTUAL, pass NAME, fail NAME WHY,
#                skip NAME REASON (the true cause), finish: "# N skipped"
#                and "N passed, M failed", exit 1 when M > 0
#   temp dirs    TMPBASE (removed on exit, also on a signal), IO inside it
#   programs     rts_programs: the built programs (HELPER, HELPER_DYN,
#                CDBMAKE, CLEANUP, OLCTL from $RTS_BUILD, default build/, or
#                RTS_HELPER... : e.g. valgrind wrappers) and test programs
#                (RCPTSIM, CONCURRENT, WAITALL); ASNOBODY/RUNAS to run them
#                as an unprivileged user where root would bypass
#                permissions (from copies in TMPBASE/bin: the build tree
#                may be where that user cannot go, e.g. a clone in /root)
#   test dirs    setup NAME [CONTROL-LINE...], limits, snap, outside,
#                olsane, ollist, olcount, tally
#   running      rc, ipc, auc (the helper run as qmail-smtpd runs it, and
#                waited for with every notification program it started),
#                seqx, rep, cnv (N sessions at once), cleanup, ctl,
#                notifyprog and notes (a notification program that records
#                its environment), at SECONDS (a fixed clock: libfaketime)
#   the log      logkv, lognk, logsum, logok, errsum, errcase
#   cdbmake      cm, mentions, pad
#
# Black-box tests in the style of ucspi-tcp's rts tests: the programs are
# run as qmail-smtpd runs the helper (tests/rcptsim: env -i, fd 4 a pipe),
# each test in a fresh directory. A runner prints "ok NAME" / "FAIL NAME:
# ..." / "skip NAME: why" per check and ends with "# N skipped" and "N
# passed, M failed"; exits 1 when M > 0, 2 when it cannot start.
# Environment: RTS_STORE=redis (the whole run against the Redis store:
# tests/redis-lib.sh), RTS_BUILD (default build/: where make put the programs),
# RTS_HELPER, RTS_HELPER_DYN, RTS_CDBMAKE, RTS_CLEANUP, RTS_CTL (other
# programs, e.g. valgrind wrappers), RTS_LIGHT=1 (valgrind: none of the
# tests that start hundreds of helpers at once), RTS_CONC_REPEAT
# (repetitions of the concurrency tests), CC (builds a missing test
# program into the temporary directory).
set -u
LC_ALL=C
export LC_ALL
unset CDPATH
cd "$ROOT" || { echo "rts: cannot cd to $ROOT" >&2; exit 2; }

PASS=0
FAIL=0
SKIP=0
W=

# ---------------------------------------------------------------- reporting

# show TEXT: one line, at most 200 bytes, control bytes made visible
show() {
    printf '%s' "$1" | tr '\n\r\t' '|||' | tr -c '\040-\176' '?' | cut -c1-200
}

check() { # NAME EXPECTED ACTUAL
    if [ "x$2" = "x$3" ]; then
        PASS=$((PASS + 1))
        echo "ok $1"
    else
        FAIL=$((FAIL + 1))
        echo "FAIL $1: expected '$(show "$2")', got '$(show "$3")'"
    fi
}

pass() { # NAME
    PASS=$((PASS + 1))
    echo "ok $1"
}

fail() { # NAME WHY
    FAIL=$((FAIL + 1))
    echo "FAIL $1: $(show "$2")"
}

skip() { # NAME REASON
    SKIP=$((SKIP + 1))
    echo "skip $1: $2"
}

finish() {
    teardown
    echo "# $SKIP skipped"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}

# ---------------------------------------------------------------- set-up

TMPBASE=$(mktemp -d "${TMPDIR:-/tmp}/rts.XXXXXX") || exit 2
LOCKPID=
REDISPIDS=
rts_cleanup() {
    # shellcheck disable=SC2317 # run by the trap
    [ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
    # shellcheck disable=SC2317
    for rp in $REDISPIDS; do kill "$rp" 2>/dev/null; done
    # shellcheck disable=SC2317
    chmod -R u+rwx "$TMPBASE" 2>/dev/null
    # shellcheck disable=SC2317
    rm -rf "$TMPBASE"
}
trap rts_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
IO=$TMPBASE/io          # outputs of the programs: never inside a test dir
mkdir "$IO" || exit 2

case ${RTS_BUILD:-build} in
/*) BUILD=$RTS_BUILD ;;
*) BUILD=$ROOT/${RTS_BUILD:-build} ;;
esac
HELPER=${RTS_HELPER:-$BUILD/rcptcheck-overlimit}
HELPER_DYN=${RTS_HELPER_DYN:-$BUILD/tests/rcptcheck-overlimit.dyn}
CDBMAKE=${RTS_CDBMAKE:-$BUILD/cdbmake-limits}
CLEANUP=${RTS_CLEANUP:-$BUILD/overlimit-cleanup}
OLCTL=${RTS_CTL:-$BUILD/overlimitctl}
# bounds against a hang, never timing assertions: rcptsim's wait for the
# helper (RTS_SIMTIMEOUT, default 10 s; test.sh raises it under valgrind),
# and RTS_HELPER_TIMEOUT, when set, the helper's own watchdog
# (OVERLIMIT_TIMEOUT, default 10 s) in every rc unless a test sets it
SIMTIMEOUT=${RTS_SIMTIMEOUT:-10}

nl='
'
cr=$(printf '\r')
BIG=$(head -c 102400 /dev/zero | tr '\0' 'a')   # 100 KB name

# tool NAME: $BUILD/tests/NAME when it is up to date (make tests builds
# it), else a build of tests/NAME.c in the temporary directory: nothing is
# written into the work tree
tool() {
    tl_src=$ROOT/tests/$1.c
    tl_bin=$BUILD/tests/$1
    if [ -x "$tl_bin" ] && ! [ "$tl_src" -nt "$tl_bin" ]; then
        echo "$tl_bin"
        return 0
    fi
    ${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall \
        -Wextra -Werror -O2 -o "$TMPBASE/$1" "$tl_src" >&2 || return 1
    echo "$TMPBASE/$1"
}

# rts_programs: the programs under test and the test programs; a missing
# one is a failure (run make tests first), not a skip
rts_programs() {
    for p in "$HELPER" "$HELPER_DYN" "$CDBMAKE" "$CLEANUP" "$OLCTL"; do
        if [ ! -x "$p" ]; then
            echo "rts: $p is missing: run make tests first" >&2
            fail setup "$p missing"
            finish
        fi
    done
    RCPTSIM=$(tool rcptsim) || { echo "rts: cannot build tests/rcptsim" >&2; exit 2; }
    CONCURRENT=$(tool concurrent) || { echo "rts: cannot build tests/concurrent" >&2; exit 2; }
    WAITALL=$(tool waitall) || { echo "rts: cannot build tests/waitall" >&2; exit 2; }
    WAIT="$WAITALL -t $((SIMTIMEOUT + 60))"
    cat > "$IO/logfmt.awk" <<'EOF'
# Split one key=value log line into "key<TAB>value" lines. A value is either
# bare (up to the next blank) or double-quoted with backslash escapes (kept
# as they are). A word without '=' gives "<TAB>word". An unterminated quote
# gives "!parse<TAB>error".
{
    s = $0
    while (length(s) > 0) {
        if (match(s, /^[ \t]+/)) { s = substr(s, RLENGTH + 1); continue }
        match(s, /^[^ \t=]*/)
        key = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
        if (substr(s, 1, 1) != "=") { print "\t" key; continue }
        s = substr(s, 2)
        if (substr(s, 1, 1) == "\"") {
            s = substr(s, 2)
            if (!match(s, /^([^"\\]|\\.)*"/)) { print "!parse\terror"; break }
            print key "\t" substr(s, 1, RLENGTH - 1)
            s = substr(s, RLENGTH + 1)
        } else {
            match(s, /^[^ \t]*/)
            print key "\t" substr(s, 1, RLENGTH)
            s = substr(s, RLENGTH + 1)
        }
    }
}
EOF
    rts_nobody
}

# The unprivileged user (nobody, 65534) for the checks where root would
# bypass permissions. As root: setpriv, and copies of the programs in
# NBIN=$TMPBASE/bin (the build tree may be where nobody cannot go: a clone
# in /root, mode 0700); RUNAS=$ASNOBODY makes rc and cm run those copies
# as nobody. NOBODY_WHY says why there is none. CAN_UNWRITABLE: "yes" when
# unwritable files are unwritable to the program (not root, or nobody).
rts_nobody() {
    ASNOBODY=
    NBIN=$TMPBASE/bin
    NOBODY_WHY=
    CAN_UNWRITABLE=yes
    [ "$(id -u)" = 0 ] || return 0
    CAN_UNWRITABLE=
    SETPRIV=$(command -v setpriv 2>/dev/null || true)
    if [ -z "$SETPRIV" ]; then
        NOBODY_WHY="root without setpriv (util-linux) to run the programs as nobody: root bypasses permissions"
        return 0
    fi
    mkdir "$NBIN" || exit 2
    cp "$RCPTSIM" "$NBIN/rcptsim" && cp "$HELPER" "$NBIN/rcptcheck-overlimit" &&
        cp "$CDBMAKE" "$NBIN/cdbmake-limits" && chmod 755 "$NBIN" "$NBIN"/* ||
        exit 2
    chmod 755 "$TMPBASE"
    if $SETPRIV --reuid=65534 --regid=65534 --clear-groups -- /bin/sh -c \
        'test -x "$1/rcptsim" && test -x "$1/rcptcheck-overlimit" && test -x "$1/cdbmake-limits"' \
        sh "$NBIN" 2>/dev/null; then
        ASNOBODY="$SETPRIV --reuid=65534 --regid=65534 --clear-groups --"
        CAN_UNWRITABLE=yes
    else
        NOBODY_WHY="nobody (65534) cannot run the programs copied into $NBIN (a noexec ${TMPDIR:-/tmp}, or a path nobody cannot reach): root bypasses permissions"
    fi
    chmod 700 "$TMPBASE"
}

# asnobody / asroot: run rc and cm as nobody (TMPBASE opened up for it
# meanwhile), and back
asnobody() {
    if [ "$(id -u)" = 0 ]; then
        chmod 755 "$TMPBASE"
        chmod -R go+rX "$W"
        RUNAS=$ASNOBODY
    fi
}
asroot() {
    RUNAS=
    chmod 700 "$TMPBASE"
}

# setup NAME [CONTROL-LINE...]: a fresh test directory W, the overlimit dir
# OL nested five levels deep (so that "../.." escapes stay inside W and show
# up), and, when lines are given, the control file compiled into CDB.
setup() {
    [ -n "$W" ] && teardown
    T=$1
    shift
    W=$(mktemp -d "$TMPBASE/t.XXXXXX") || { echo "rts: mktemp failed" >&2; exit 2; }
    OL=$W/a/b/c/d/ol
    mkdir -p "$OL"
    CDB=$W/limits.cdb
    CTL=$W/limits
    redis_flush
    if [ $# -gt 0 ]; then
        limits "$@"
    fi
    snap
}

teardown() {
    if [ -n "$W" ]; then
        chmod -R u+rwx "$W" 2>/dev/null
        rm -rf "$W"
    fi
    W=
}

# limits LINE...: (re)write the control file and compile it
limits() {
    printf '%s\n' "$@" > "$CTL"
    "$CDBMAKE" "$CDB" "$CDB.tmp" < "$CTL" > "$IO/cerr" 2>&1
    lm_rc=$?
    if [ "$lm_rc" != 0 ]; then
        check "$T.compile" 0 "$lm_rc: $(cat "$IO/cerr")"
    fi
}

# snap: remember everything in W outside the overlimit dir
snap() { listw > "$IO/snap"; }
listw() { find "$W" -print | awk -v p="$OL/" 'index($0, p) != 1' | sort; }

# outside NAME: nothing created or removed in W outside the overlimit dir
outside() {
    listw > "$IO/snap2"
    check "$1" "" "$(comm -3 "$IO/snap" "$IO/snap2")"
}

# olsane NAME: the overlimit dir holds only regular files, one level deep,
# none hidden
olsane() {
    check "$1" "" "$(find "$OL" ! -path "$OL" \( -path "$OL/*/*" -o ! -type f -o -name '.*' \) ! -name .errors-accept ! -name .errors-defer ! -name .no-rcptcount -print)"
}

# the files of the overlimit dir, but for the helper's tallies of errors
# (tally.h: a recipient accepted or deferred because of one), which
# errcase checks
ollist() { (cd "$OL" && ls -A | grep -v '^\.errors-accept$\|^\.errors-defer$\|^\.no-rcptcount$'); }
# tally NAME: the count of one of them
tally() { if [ -f "$OL/$1" ]; then wc -c < "$OL/$1" | tr -d ' '; else echo 0; fi; }

# fileof NAME: "yes" when the overlimit dir has NAME, else "no"
fileof() { if [ -e "$OL/$1" ] || [ -L "$OL/$1" ]; then echo yes; else echo no; fi; }
# size NAME: the size of a file in the overlimit dir
size() { wc -c < "$OL/$1" | tr -d ' '; }
# hm SECONDS: the reply's retry time: to the minute, rounded up
hm() { date -u -d "@$(( ($1 + 59) / 60 * 60 ))" '+%Y-%m-%d %H:%M'; }
olcount() { ollist | wc -l | tr -d ' '; }

# RTS_STORE=redis: one redis-server for the run (its clock is at's),
# ollist/olsane/fileof/size see its keys (tests/redis-lib.sh)
. "$ROOT/tests/redis-lib.sh"
redis_store "$TMPBASE/redis" || exit 2

# ---------------------------------------------------------------- running

# rc [VAR=VALUE...]: run the helper under rcptsim with what qmail-smtpd sets
# plus the given variables. Sets R: the exit ("112", "timeout", "signal=11"),
# followed by " fd4=TEXT" when the helper wrote on fd 4 other than a valid
# refusal reply with exit 113 (that one is in FD4).
rc() {
    if [ -n "$STDIN" ]; then
        rc_run "$@" < "$STDIN"
    else
        rc_run "$@"
    fi
    R=$(sed -n '1p' "$IO/out" | sed 's/^exit=//')
    rc_fd4=$(sed -n '2s/^fd4=//p' "$IO/out")
    FD4=$rc_fd4
    # a refusal (113) carries one reply line for the client on fd 4: checked
    # here (code, one line, length) and kept in FD4; on any other exit fd 4
    # must stay silent, so its text is appended to R
    if [ "$R" = 113 ] && [ -n "$rc_fd4" ]; then
        case $rc_fd4 in
        4[0-9][0-9]\ *|5[0-9][0-9]\ *)
            case $rc_fd4 in
            *\\n*|*\\r*) R="$R fd4-not-one-line=$rc_fd4" ;;
            esac
            [ "$(printf '%s' "$rc_fd4" | wc -c)" -le 1021 ] ||
                R="$R fd4-too-long" ;;
        *) R="$R fd4-bad-code=$rc_fd4" ;;
        esac
    elif [ -n "$rc_fd4" ]; then
        R="$R fd4=$rc_fd4"
    fi
    [ -n "$R" ] || R="rcptsim-failed"
    # a process the helper left behind that did not end by itself
    if grep -q '^waitall: ' "$IO/err"; then R="$R left-running"; fi
    return 0
}
rc_run() {
    if [ -n "$RUNAS" ]; then
        rr_sim=$NBIN/rcptsim rr_h=$NBIN/rcptcheck-overlimit
    else
        rr_sim=$RCPTSIM rr_h=$(rc_helper)
    fi
    # shellcheck disable=SC2086 # $FAKEENV, $WAIT, $RUNAS: words
    env -i USE_FD4=1 SENDER=sender@example.org RECIPIENT=rcpt@remote.example \
        HELO=mail.client.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV RCPTSIM_TIMEOUT="$SIMTIMEOUT" \
        ${RTS_HELPER_TIMEOUT:+OVERLIMIT_TIMEOUT=$RTS_HELPER_TIMEOUT} \
        $FAKEENV "$@" $WAIT $RUNAS "$rr_sim" "$rr_h" > "$IO/out" 2> "$IO/err"
}
rc_helper() { if [ -n "$FAKEENV" ]; then echo "$HELPER_DYN"; else echo "$HELPER"; fi; }
RUNAS=
STDIN=/dev/null
FAKEENV=
WAIT=

# ipc IP [VAR=VALUE...]: a relay client by IP
ipc() {
    ipc_ip=$1
    shift
    rc RELAYCLIENT= TCPREMOTEIP="$ipc_ip" TCPREMOTEPORT=40000 TCPLOCALIP=192.0.2.1 "$@"
}

# auc USER [VAR=VALUE...]: an authenticated client (relay after AUTH)
auc() {
    auc_u=$1
    shift
    rc RELAYCLIENT= SMTPAUTHUSER="$auc_u" SMTP_AUTH_USER="$auc_u" \
        SMTPAUTHMETHOD=login TCPREMOTEIP=198.51.100.77 TCPLOCALIP=192.0.2.1 "$@"
}

# seqx NAME "EXIT EXIT ..." COMMAND...: run COMMAND once per expected exit
seqx() {
    sx_n=$1
    sx_e=$2
    shift 2
    sx_g=
    for sx_i in $sx_e; do
        "$@"
        sx_g="${sx_g:+$sx_g }$R"
    done
    check "$sx_n" "$sx_e" "$sx_g"
}

# rep N EXIT: "EXIT EXIT ..." N times
rep() {
    tm_s=
    tm_i=0
    while [ "$tm_i" -lt "$1" ]; do
        tm_s="${tm_s:+$tm_s }$2"
        tm_i=$((tm_i + 1))
    done
    printf '%s' "$tm_s"
}

# cnv N [VAR=VALUE...]: N helpers at once (tests/concurrent) for a relay
# client, waited for with their notification programs; prints
# "112=A 113=B other=C"
cnv() {
    cn_k=$1
    shift
    # shellcheck disable=SC2086
    env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
        HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV CONCURRENT_TIMEOUT=120 \
        $FAKEENV "$@" $WAIT "$CONCURRENT" "$cn_k" "$(rc_helper)"
}

# cleanup [ARG...]: overlimit-cleanup on the test directory; CU = its
# exit, its output in $IO/cuout and $IO/cuerr
cleanup() {
    # shellcheck disable=SC2086
    env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV $FAKEENV "$CLEANUP" "$@" \
        > "$IO/cuout" 2> "$IO/cuerr"
    CU=$?
}

# ctl ARG...: overlimitctl on the test directory; RC, OUT, ERR
ctl() {
    # shellcheck disable=SC2086
    env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV $FAKEENV "$OLCTL" "$@" \
        > "$IO/ctlout" 2> "$IO/ctlerr"
    RC=$?
    OUT=$(cat "$IO/ctlout")
    ERR=$(cat "$IO/ctlerr")
}

# holdlock FILE: another process (python3) holds a POSIX write lock on
# FILE until LOCKPID is killed (rts_cleanup does it at the latest); returns
# once it holds it, 1 when it could not (python3 missing: HOLDLOCK_WHY)
HOLDLOCK_WHY="python3 (to hold a POSIX lock) is not installed"
holdlock() {
    command -v python3 > /dev/null 2>&1 || return 1
    python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' "$1" > "$IO/lockready" 2>&1 &
    LOCKPID=$!
    hl_i=0
    while ! grep -q locked "$IO/lockready" && [ "$hl_i" -lt 200 ] &&
        kill -0 "$LOCKPID" 2>/dev/null; do
        sleep 0.1
        hl_i=$((hl_i + 1))
    done
}
# unlock: end the holder of holdlock
unlock() {
    kill "$LOCKPID" 2>/dev/null
    wait "$LOCKPID" 2>/dev/null
    LOCKPID=
}

# at SECONDS: every following rc, cnv, cleanup and ctl sees the clock fixed
# at SECONDS (epoch) through libfaketime (the helper: its dynamic build,
# HELPER_DYN; a static binary ignores LD_PRELOAD); "at" alone: the real
# clock again. FAKELIB is empty when libfaketime is not installed: the
# runner skips those checks, saying so (NOFAKE).
at() {
    redis_at "$@"
    if [ $# -eq 0 ]; then
        FAKEENV=
        return 0
    fi
    FAKEENV="LD_PRELOAD=$FAKELIB FAKETIME_FMT=%s FAKETIME=$1 DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=verify_asan_link_order=0"
}
FAKELIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
    [ -f "$f" ] && FAKELIB=$f && break
done
NOFAKE="libfaketime is not installed (Debian: apt-get install libfaketime)"

# notifyprog: $W/notify, a notification program that writes its sorted
# environment into one new file of $NT (outside W) per call; NOTE names it
notifyprog() {
    NT=$IO/notes
    rm -rf "$NT"
    mkdir "$NT" && chmod 777 "$NT"
    cat > "$W/notify" <<EOF
#!/bin/sh
env | LC_ALL=C sort > "$NT/n.\$\$.\$(date +%s%N)"
EOF
    chmod 755 "$W/notify"
    NOTE="OVERLIMIT_NOTIFY=$W/notify"
    snap
}
# nnotes: how many notifications were recorded (rc and cnv return once
# every notification program they started has ended: nothing to wait for)
nnotes() { find "$NT" -type f | wc -l | tr -d ' '; }
# noteevents: the EVENT:REASON of each, sorted, on one line
noteevents() {
    for nt_f in "$NT"/n.*; do
        [ -f "$nt_f" ] || continue
        printf '%s:%s\n' "$(sed -n 's/^OVERLIMIT_EVENT=//p' "$nt_f")" \
            "$(sed -n 's/^OVERLIMIT_REASON=//p' "$nt_f")"
    done | sort | tr '\n' ' ' | sed 's/ $//'
}

# ---------------------------------------------------------------- the log

lines() { printf '%s/%s' "$(wc -l < "$IO/err" | tr -d ' ')" "$(awk 'END { print NR }' "$IO/err")"; }
logparse() { awk -f "$IO/logfmt.awk" "$IO/err" > "$IO/kv"; }
logkv() { logparse; awk -F '\t' -v k="$1" '$1 == k { print $2; exit }' "$IO/kv"; }
# has KEY: how many times KEY is in the last run's log line
has() { logparse; lognk "$1"; }
lognk() { awk -F '\t' -v k="$1" '$1 == k { n++ } END { print n + 0 }' "$IO/kv"; }
# raw control bytes in the log other than the line ends
logcntrl() { tr -d '\n' < "$IO/err" | tr -cd '\000-\037\177' | wc -c | tr -d ' '; }

# logsum: the shape of the last run's log: one line (newline-terminated),
# one client, one verdict, a rule, no raw control byte
logsum() {
    logparse
    printf 'lines=%s parse=%s client=%s rule=%s verdict=%s:%s cntrl=%s' \
        "$(lines)" "$(lognk '!parse')" "$(lognk client)" "$(lognk rule)" \
        "$(lognk verdict)" "$(logkv verdict)" "$(logcntrl)"
}
logok() { printf 'lines=1/1 parse=0 client=1 rule=1 verdict=1:%s cntrl=0' "$1"; }

# errsum: one log line carrying error=
errsum() {
    logparse
    printf 'lines=%s error=%s' "$(lines)" "$(lognk error)"
}
ERRLOG='lines=1/1 error=1'

# ec_why EXIT: when R is not EXIT, what the run wrote on stderr (to see why)
ec_why() { [ "$R" = "$1" ] || printf ' stderr: %s' "$(head -c 300 "$IO/err")"; }

# errcase NAME COMMAND...: the failure policy: 112 by default, 111 with
# OVERLIMIT_ONERROR=defer, one log line with error= each time, fd 4 silent
errcase() {
    ec_n=$1
    shift
    ec_a=$(tally .errors-accept) ec_d=$(tally .errors-defer)
    "$@"
    check "$ec_n" 112 "$R$(ec_why 112)"
    check "$ec_n.log" "$ERRLOG" "$(errsum)"
    "$@" OVERLIMIT_ONERROR=defer
    check "$ec_n.defer" 111 "$R$(ec_why 111)"
    check "$ec_n.defer.log" "$ERRLOG" "$(errsum)"
    # counted for monitoring too, where the helper can write (ERRTALLY=no:
    # a full file system, where the byte cannot be added either)
    if [ "${ERRTALLY:-yes}" = yes ] && [ -z "$RUNAS" ] && [ -O "$OL" ] &&
        [ -w "$OL" ]; then
        check "$ec_n.tally" "$((ec_a + 1)) $((ec_d + 1))" "$(tally .errors-accept) $(tally .errors-defer)"
    fi
}

# ---------------------------------------------------------------- cdbmake

# cm ARG...: run cdbmake-limits; stdin from $CMIN. Sets CM (exit code).
CMIN=/dev/null
cm() {
    if [ -n "$RUNAS" ]; then cm_p=$NBIN/cdbmake-limits; else cm_p=$CDBMAKE; fi
    $RUNAS "$cm_p" "$@" < "$CMIN" > "$IO/cout" 2> "$IO/cerr"
    CM=$?
}

# mentions N: does cdbmake's stderr name the number N (as a whole number)?
mentions() {
    if grep -Eq "(^|[^0-9])$1([^0-9]|\$)" "$IO/cerr"; then echo yes; else echo no; fi
}

# pad N: N comment lines
pad() {
    pd_i=1
    while [ "$pd_i" -le "$1" ]; do
        echo "# padding line $pd_i"
        pd_i=$((pd_i + 1))
    done
}
