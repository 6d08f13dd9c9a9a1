# rts-lib.sh: the harness shared by tests/rts.sh and tests/rts-faults.sh
# (sourced, not run): reporting (check, skip, finish), one temporary tree
# per run, test directories (setup, limits, olsane, outside), running the
# helper the way qmail-smtpd does (rc, ipc, auc, seqx) and reading its log
# line (logkv, logsum, errcase), running cdbmake-limits (cm, mentions, pad).
# The sourcing script sets ROOT, HELPER, CDBMAKE, CLEANUP and SIMTIMEOUT
# first.
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

skip() { # NAME REASON
    SKIP=$((SKIP + 1))
    echo "skip $1: $2"
}

finish() {
    echo "# $SKIP skipped"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit $?
}

# ---------------------------------------------------------------- set-up

TMPBASE=$(mktemp -d "${TMPDIR:-/tmp}/rts.XXXXXX") || exit 2
LOCKPID=
rts_cleanup() {
    [ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
    chmod -R u+rwx "$TMPBASE" 2>/dev/null
    rm -rf "$TMPBASE"
}
trap rts_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# tool NAME: tests/NAME when it is up to date (make check builds it), else
# a build of tests/NAME.c in the temporary directory: nothing is written
# into the work tree
tool() {
    tl_src=$ROOT/tests/$1.c
    tl_bin=$BUILD/tests/$1
    if [ -x "$tl_bin" ] && ! [ "$tl_src" -nt "$tl_bin" ]; then
        echo "$tl_bin"
        return 0
    fi
    ${CC:-cc} -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 \
        -o "$TMPBASE/$1" "$tl_src" >&2 || return 1
    echo "$TMPBASE/$1"
}

RCPTSIM=$(tool rcptsim) || { echo "rts: cannot build tests/rcptsim" >&2; exit 2; }
CONCURRENT=$(tool concurrent) || { echo "rts: cannot build tests/concurrent" >&2; exit 2; }
for p in "$HELPER" "$CDBMAKE" "$CLEANUP"; do
    if [ ! -x "$p" ]; then
        echo "rts: $p is missing: run make first" >&2
        FAIL=$((FAIL + 1))
        echo "FAIL setup: $p missing"
        finish
    fi
done

IO=$TMPBASE/io          # outputs of the programs: never inside a test dir
mkdir "$IO" || exit 2

nl='
'
cr=$(printf '\r')
BIG=$(head -c 102400 /dev/zero | tr '\0' 'a')   # 100 KB name

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

# Run as an unprivileged user where root would bypass permissions.
SETPRIV=$(command -v setpriv 2>/dev/null || true)
ASNOBODY=
if [ "$(id -u)" = 0 ]; then
    if [ -n "$SETPRIV" ]; then
        ASNOBODY="$SETPRIV --reuid=65534 --regid=65534 --clear-groups --"
        # nobody must be able to run the programs where they are (the
        # tests that use it open TMPBASE up for the time being)
        chmod 755 "$TMPBASE"
        if ! $ASNOBODY /bin/sh -c 'test -x "$1" && test -x "$2" && test -x "$3"' \
             sh "$RCPTSIM" "$HELPER" "$CDBMAKE" 2>/dev/null; then
            ASNOBODY=
        fi
        chmod 700 "$TMPBASE"
    fi
    CAN_UNWRITABLE=${ASNOBODY:+yes}
else
    CAN_UNWRITABLE=yes
fi

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
    check "$1" "" "$(find "$OL" ! -path "$OL" \( -path "$OL/*/*" -o ! -type f -o -name '.*' \) -print)"
}

ollist() { (cd "$OL" && ls -A); }
olcount() { ollist | wc -l | tr -d ' '; }

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
    return 0
}
rc_run() {
    env -i USE_FD4=1 SENDER=sender@example.org RECIPIENT=rcpt@remote.example \
        HELO=mail.client.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" RCPTSIM_TIMEOUT="$SIMTIMEOUT" \
        "$@" $RUNAS "$RCPTSIM" "$HELPER" > "$IO/out" 2> "$IO/err"
}
RUNAS=
STDIN=/dev/null

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

# ---------------------------------------------------------------- the log

lines() { printf '%s/%s' "$(wc -l < "$IO/err" | tr -d ' ')" "$(awk 'END { print NR }' "$IO/err")"; }
logparse() { awk -f "$IO/logfmt.awk" "$IO/err" > "$IO/kv"; }
logkv() { logparse; awk -F '\t' -v k="$1" '$1 == k { print $2; exit }' "$IO/kv"; }
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

# errcase NAME COMMAND...: the failure policy: 112 by default, 111 with
# OVERLIMIT_ONERROR=defer, one log line with error= each time, fd 4 silent
errcase() {
    ec_n=$1
    shift
    "$@"
    check "$ec_n" 112 "$R"
    check "$ec_n.log" "$ERRLOG" "$(errsum)"
    "$@" OVERLIMIT_ONERROR=defer
    check "$ec_n.defer" 111 "$R"
    check "$ec_n.defer.log" "$ERRLOG" "$(errsum)"
}

# ---------------------------------------------------------------- cdbmake

# cm ARG...: run cdbmake-limits; stdin from $CMIN. Sets CM (exit code).
CMIN=/dev/null
cm() {
    $RUNAS "$CDBMAKE" "$@" < "$CMIN" > "$IO/cout" 2> "$IO/cerr"
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
