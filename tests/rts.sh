#!/bin/sh
# rts.sh: black-box tests of rcptcheck-overlimit, cdbmake-limits and
# overlimit-cleanup, in the style of ucspi-tcp's rts tests.
#
#   make && sh tests/rts.sh
#
# The programs are run exactly as qmail-smtpd runs the helper (tests/rcptsim:
# env -i, fd 4 a pipe, stdout on stderr, SIGPIPE ignored), each test in a
# fresh directory under one mktemp -d that is removed on exit.
# Prints "ok NAME" / "FAIL NAME: ..." / "skip NAME: ..." per check and ends
# with the line "N passed, M failed"; exits 1 when M > 0, 2 when it cannot
# start at all.
#
# Environment: RTS_CONC_REPEAT (default 20) repetitions of each concurrency
# test; RTS_HELPER, RTS_CDBMAKE, RTS_CLEANUP other programs to test (e.g.
# valgrind wrappers); RTS_LIGHT=1 skips the tests that start hundreds of
# helpers at once (for valgrind); CC (default cc) builds tests/rcptsim and tests/concurrent into the
# temporary directory when they are missing or older than their source.

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
REPEAT=${RTS_CONC_REPEAT:-20}
SIMTIMEOUT=10

. "$ROOT/tests/rts-lib.sh"

############################################################################
# Tests
############################################################################

echo "# rts: $ROOT (uid $(id -u))"

# -------------------------------------------------- not a relay client
setup norelay ':1'
seqx norelay.exit "112 112 112" rc TCPREMOTEIP=1.2.3.4
check norelay.stderr "" "$(cat "$IO/err")"
rc TCPREMOTEIP=1.2.3.4 SMTPAUTHUSER=u@x.com RCPTHOSTS=1
check norelay.rcpthosts 112 "$R"
check norelay.rcpthosts.stderr "" "$(cat "$IO/err")"
check norelay.nofile 0 "$(olcount)"
outside norelay.outside
# nothing is even looked at: missing CDB and directory, defer policy
rm -rf "$OL" "$CDB"
snap
rc TCPREMOTEIP=1.2.3.4 OVERLIMIT_ONERROR=defer
check norelay.nocdb 112 "$R"
check norelay.nocdb.stderr "" "$(cat "$IO/err")"
outside norelay.nocdb.outside

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
setup classic ':3'
printf 'XX' > "$OL/1.2.3.4"
seqx classic "112 113" ipc 1.2.3.4

# -------------------------------------------------- RCPTHOSTS
setup rcpthosts ':1'
seqx rcpthosts.local "112 112 112" ipc 1.2.3.4 RCPTHOSTS=1
seqx rcpthosts.relay "112 113" ipc 1.2.3.4
setup countlocal ':2'
seqx countlocal.local "112" ipc 1.2.3.4 RCPTHOSTS=1 OVERLIMIT_COUNT_LOCAL=1
seqx countlocal.relay "112 113" ipc 1.2.3.4

# -------------------------------------------------- identity
setup ident.case 'user@example.com:4' ':100'
g=
for u in User@Example.COM user@example.com user%example.com user/example.com USER@EXAMPLE.COM; do
    auc "$u"
    g="$g $R"
done
check ident.case.shared " 112 112 112 112 113" "$g"
check ident.case.file "user@example.com" "$(ollist)"

setup ident.emptyauth '1.2.3.4:1' ':100'
seqx ident.emptyauth "112 113" ipc 1.2.3.4 SMTPAUTHUSER= SMTP_AUTH_USER=
check ident.emptyauth.file "1.2.3.4" "$(ollist)"

setup ident.authfirst '198.51.100.77:1' 'u@x.com:2'
seqx ident.authfirst "112 112 113" auc u@x.com
check ident.authfirst.file "u@x.com" "$(ollist)"

setup ident.tcp6 '[2001:db8::7]:1' ':100'
seqx ident.tcp6 "112 113" rc RELAYCLIENT= TCP6REMOTEIP=2001:db8::7
check ident.tcp6.file "2001:db8::7" "$(ollist)"

setup ident.v6canon '[2001:db8::5]:2' ':100'
seqx ident.v6canon "112 112 113" ipc 2001:DB8:0:0::5
check ident.v6canon.other 113 "$(ipc 2001:db8:0::5; echo "$R")"
check ident.v6canon.file "2001:db8::5" "$(ollist)"

setup ident.mapped '1.2.3.4:2' ':100'
ipc ::ffff:1.2.3.4
check ident.mapped.first 112 "$R"
rc RELAYCLIENT= TCP6REMOTEIP=::ffff:1.2.3.4
check ident.mapped.tcp6 112 "$R"
check ident.mapped.v4 113 "$(ipc 1.2.3.4; echo "$R")"
check ident.mapped.file "1.2.3.4" "$(ollist)"

setup ident.remoteinfo '1.2.3.4:2' 'boss@x.com:0' ':100'
seqx ident.remoteinfo "112 112 113" ipc 1.2.3.4 TCPREMOTEINFO=boss@x.com
check ident.remoteinfo.file "1.2.3.4" "$(ollist)"

# an auth user named like an IP is not that IP's client (DESIGN: encoding)
setup ident.iplike ':1'
seqx ident.iplike.ip "112 113" ipc 1.2.3.4
seqx ident.iplike.user "112 113" auc 1.2.3.4
check ident.iplike.files 2 "$(olcount)"

# -------------------------------------------------- lookup
setup lookup.user '@x.com:1' 'boss@x.com:3' ':2'
seqx lookup.user.exact "112 112 112 113" auc boss@x.com
seqx lookup.user.domain "112 113" auc clerk@x.com
seqx lookup.user.default "112 112 113" auc a@y.com
seqx lookup.user.nodomain "112 112 113" auc plainuser

setup lookup.domain '@X.Com:2' ':1'
seqx lookup.domain.a "112 112 113" auc a@x.com
seqx lookup.domain.b "112 112 113" auc B@X.COM
seqx lookup.domain.c "112 112 113" auc c%x.com
check lookup.domain.files "a@x.com${nl}b@x.com${nl}c@x.com" "$(ollist)"

setup lookup.ip4 '192.168.1.5:3' '192.168.1.:2' ':1'
seqx lookup.ip4.exact "112 112 112 113" ipc 192.168.1.5
seqx lookup.ip4.prefix_a "112 112 113" ipc 192.168.1.6
seqx lookup.ip4.prefix_b "112 112 113" ipc 192.168.1.7
seqx lookup.ip4.not_prefix "112 113" ipc 192.168.10.1
seqx lookup.ip4.default "112 113" ipc 192.169.1.5

setup lookup.short '172.16.:2' ':1'
seqx lookup.short.in "112 112 113" ipc 172.16.9.9
seqx lookup.short.out "112 113" ipc 172.160.0.1

setup lookup.cidr '10.0.0.0/8:5' '10.1.0.0/16:2' ':1'
seqx lookup.cidr.longest "112 112 113" ipc 10.1.2.3
seqx lookup.cidr.short "112 112 112 112 112 113" ipc 10.2.0.1
seqx lookup.cidr.outside "112 113" ipc 11.0.0.1
seqx lookup.cidr.mapped "112 112 113" ipc ::ffff:10.1.9.9

setup lookup.ip6 '[2001:db8::]/48:2' '[2001:db8::5]:3' ':1'
seqx lookup.ip6.exact "112 112 112 113" ipc 2001:db8::5
seqx lookup.ip6.prefix "112 112 113" ipc 2001:db8:0:1::9
seqx lookup.ip6.outside "112 113" ipc 2001:db8:1::9
seqx lookup.ip6.v4default "112 113" ipc 1.2.3.4

setup lookup.norule '5.6.7.8:1' 'someone@x.com:1'
seqx lookup.norule.ip "$(rep 12 112)" ipc 1.2.3.4
seqx lookup.norule.user "$(rep 12 112)" auc other@x.com

setup lookup.zero ':1' 'u@x.com:0' '1.2.3.4:0' '@free.example:0'
seqx lookup.zero.user "$(rep 12 112)" auc u@x.com
seqx lookup.zero.ip "$(rep 12 112)" ipc 1.2.3.4
seqx lookup.zero.domain "$(rep 12 112)" auc v@free.example
seqx lookup.zero.default "112 113" auc w@x.com

# regressions of the classic script
setup regress.substr_user 'testinfo@x.com:1'
seqx regress.substr_user "112 112 112" auc info@x.com
setup regress.substr_ip '12.3.4.5:1'
seqx regress.substr_ip "112 112 112" ipc 2.3.4.5
setup regress.v6default '[::1]:1' '[2001:db8::1]:1'
seqx regress.v6default "112 112 112" ipc 1.2.3.4
seqx regress.v6default.own "112 113" ipc ::1
setup regress.exactN ':1'
seqx regress.exactN "112 113" ipc 1.2.3.4
setup regress.case 'user@x:2'
seqx regress.case "112 112 113" auc User@x
check regress.case.lower 113 "$(auc user@x; echo "$R")"

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

# a window that really slides: 2 per 5 seconds (long enough for three
# helper runs under valgrind on a loaded machine)
setup window.slide ':2/5s'
seqx window.slide.fill "112 112 113" ipc 1.2.3.4
sleep 6
seqx window.slide.after "112 112 113" ipc 1.2.3.4

# compaction: 300 records that all left the window are dropped, by the
# helper (DESIGN: >= 256 dead and at least half the file) or by the cleanup
cnv() { # run concurrent with a relay client; N [VAR=VALUE...]
    cn_k=$1
    shift
    env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
        HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$@" \
        "$CONCURRENT" "$cn_k" "$HELPER"
}
if [ -z "${RTS_LIGHT:-}" ]; then
setup compact ':400/2s'
check compact.fill "112=300 113=0 other=0" "$(cnv 300 TCPREMOTEIP=1.2.3.4)"
check compact.cleanupfill "112=300 113=0 other=0" "$(cnv 300 TCPREMOTEIP=1.2.3.5)"
check compact.size.before "$((256 + 300 * 16)) $((256 + 300 * 16))" \
    "$(wc -c < "$OL/1.2.3.4" | tr -d ' ') $(wc -c < "$OL/1.2.3.5" | tr -d ' ')"
sleep 3
seqx compact.helper "112" ipc 1.2.3.4
check compact.helper.size "small" "$(sz=$(wc -c < "$OL/1.2.3.4"); [ "$sz" -le $((256 + 16 * 16)) ] && echo small || echo "$sz")"
limits ':2/2s'
seqx compact.helper.counts "112 113" ipc 1.2.3.4
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" > "$IO/clout" 2>&1
check compact.cleanup.exit 0 "$?"
check compact.cleanup.size "small" "$(if [ ! -e "$OL/1.2.3.5" ]; then echo small; else sz=$(wc -c < "$OL/1.2.3.5"); [ "$sz" -le 256 ] && echo small || echo "$sz"; fi)"
seqx compact.cleanup.counts "112 112 113" ipc 1.2.3.5
olsane compact.olsane
else skip compact "RTS_LIGHT is set (valgrind run): see the plain and sanitizer runs"; fi

# -------------------------------------------------- the log line
setup log ':1'
ipc 1.2.3.4
check log.accept "$(logok accept)" "$(logsum)"
check log.accept.client "1.2.3.4" "$(logkv client)"
ipc 1.2.3.4
check log.refuse "$(logok refuse)" "$(logsum)"
check log.refuse.client "1.2.3.4" "$(logkv client)"
auc User@Example.COM
logparse
check log.auth.client "user@example.com" "$(logkv client)"

setup log.hostile ':1'
i=0
for name in "evil${nl}verdict=accept client=root" "a b c" "x=y verdict=accept" \
    "\"quoted\" 'single'" 'back\slash\" verdict=accept "' "$BIG" \
    "$(printf 'caf\303\251\377\200')" "$(printf 'a\033[2Jb\rc\td')" \
    "rule=0${cr}${nl}client=x verdict=accept"; do
    i=$((i + 1))
    auc "$name"
    check "log.hostile.$i.accept" "112 $(logok accept)" "$R $(logsum)"
    auc "$name"
    check "log.hostile.$i.refuse" "113 $(logok refuse)" "$R $(logsum)"
done
check log.hostile.files "$i" "$(olcount)"
olsane log.hostile.olsane

# other client-controlled variables that a log line may show
setup log.env ':1'
ipc 1.2.3.4 HELO="$(printf 'h\r\033x')$BIG" SENDER="a\" b=c${cr}@x" \
    RECIPIENT="$(head -c 890 /dev/zero | tr '\0' 'r')@x verdict=accept"
check log.env "112 $(logok accept)" "$R $(logsum)"

# -------------------------------------------------- hostile names, files
setup names ':1'
: > "$W/victim"
snap
i=0
for name in ../../etc/passwd . .. / a/b .hidden "$BIG" ../../../../../escaped \
    "$W/victim" "$W/abs-created" a/../../x '..%2f..' '%2e%2e' '~x' \
    "$(printf '..\n..')" ':' '.@x' '@@'; do
    i=$((i + 1))
    auc "$name"
    r1=$R
    auc "$name"
    check "names.$i" "112 113" "$r1 $R"
done
olsane names.olsane
outside names.outside
check names.count "$i" "$(olcount)"
check names.victim "0" "$(wc -c < "$W/victim" | tr -d ' ')"

# -------------------------------------------------- fd 0, fd 3
setup fds ':2'
printf 'EHLO x\r\nMAIL FROM:<a@b>\r\n' > "$IO/stdin"
{
    STDIN=
    ipc 1.2.3.4
    STDIN=/dev/null
    cat > "$IO/rest"
} < "$IO/stdin"
check fds.fd0.exit 112 "$R"
check fds.fd0.unread "$(cat "$IO/stdin")" "$(cat "$IO/rest")"
: > "$IO/fd3"
ipc 1.2.3.4 3>> "$IO/fd3"
check fds.fd3.exit 112 "$R"
check fds.fd3.untouched 0 "$(wc -c < "$IO/fd3" | tr -d ' ')"

# -------------------------------------------------- failure policy
setup fail.nocdb
errcase fail.nocdb ipc 1.2.3.4
outside fail.nocdb.outside
check fail.nocdb.nofile 0 "$(olcount)"

setup fail.badcdb ':1'
printf 'this is not a cdb\n' > "$CDB"
errcase fail.badcdb.text ipc 1.2.3.4
head -c 4096 /dev/zero | tr '\0' '\377' > "$CDB"
errcase fail.badcdb.ff ipc 1.2.3.4
head -c 4096 /dev/zero > "$CDB"
errcase fail.badcdb.zero ipc 1.2.3.4
: > "$CDB"
errcase fail.badcdb.empty ipc 1.2.3.4
limits ':1' '1.2.3.0/24:1' '@x.com:1'
head -c 2048 "$CDB" > "$W/trunc"
mv "$W/trunc" "$CDB"
errcase fail.badcdb.truncated ipc 1.2.3.4

# a CDB that is not in this program's format (built with tinycdb's cdb -c)
if command -v cdb > /dev/null 2>&1; then
    setup fail.format
    printf '+0,1:->5\n\n' | cdb -c "$CDB" || check fail.format.setup 0 1
    errcase fail.format.noformat ipc 1.2.3.4
    printf '+7,2:/format->99\n+0,3:->1 5\n\n' | cdb -c "$CDB" || check fail.format.setup 0 2
    errcase fail.format.unknown ipc 1.2.3.4
    printf '+7,1:/format->1\n+0,7:->garbage\n\n' | cdb -c "$CDB" || check fail.format.setup 0 3
    errcase fail.format.badvalue ipc 1.2.3.4
else
    skip fail.format "tinycdb's cdb tool is not installed"
fi

setup fail.nodir ':1'
rm -rf "$OL"
snap
errcase fail.nodir ipc 1.2.3.4
outside fail.nodir.outside

if [ -n "$CAN_UNWRITABLE" ]; then
    setup fail.rodir ':1'
    chmod 755 "$TMPBASE"
    chmod -R go+rX "$W"
    chmod 555 "$OL"
    RUNAS=$ASNOBODY
    errcase fail.rodir ipc 1.2.3.4
    check fail.rodir.nofile 0 "$(olcount)"
    chmod 755 "$OL"
    printf 'XX' > "$OL/1.2.3.4"
    chmod 444 "$OL/1.2.3.4"
    errcase fail.rofile ipc 1.2.3.4
    check fail.rofile.unchanged "XX" "$(cat "$OL/1.2.3.4")"
    chmod 000 "$CDB"
    errcase fail.unreadablecdb ipc 5.6.7.8
    RUNAS=
    chmod 700 "$TMPBASE"
else
    skip fail.rodir "running as root without setpriv: root bypasses permissions"
fi

# the targets are what a helper that follows the link would happily use: an
# empty file (a new client) and a classic counter
setup fail.symlink ':5'
: > "$W/victim"
printf 'XX' > "$W/victim2"
ln -s "$W/victim" "$OL/1.2.3.4"
ln -s "$W/victim2" "$OL/1.2.3.6"
ln -s "$W/notthere" "$OL/1.2.3.5"
snap
errcase fail.symlink ipc 1.2.3.4
check fail.symlink.victim "" "$(cat "$W/victim")"
errcase fail.symlink.classic ipc 1.2.3.6
check fail.symlink.victim2 "XX" "$(cat "$W/victim2")"
errcase fail.symlink.dangling ipc 1.2.3.5
outside fail.symlink.outside

setup fail.dir ':5'
mkdir "$OL/1.2.3.4"
errcase fail.dir ipc 1.2.3.4
check fail.dir.empty "" "$(ls -A "$OL/1.2.3.4")"

setup fail.fifo ':5'
mkfifo "$OL/1.2.3.4"
SIMTIMEOUT=5
errcase fail.fifo ipc 1.2.3.4
SIMTIMEOUT=10

setup fail.corrupt ':5/1h'
printf 'garbage\n' > "$OL/1.2.3.4"
sum=$(cksum < "$OL/1.2.3.4")
errcase fail.corrupt.text ipc 1.2.3.4
check fail.corrupt.text.kept "$sum" "$(cksum < "$OL/1.2.3.4")"
{ printf 'RCPTOL1\n'; head -c 248 /dev/zero; } > "$OL/1.2.3.5"
sum=$(cksum < "$OL/1.2.3.5")
errcase fail.corrupt.zerohdr ipc 1.2.3.5
check fail.corrupt.zerohdr.kept "$sum" "$(cksum < "$OL/1.2.3.5")"
# a header claiming 1000 records in a file that has none
{ printf 'RCPTOL1\n\000\001\000\000\020\000\000\000\350\003\000\000'; head -c 236 /dev/zero; } > "$OL/1.2.3.6"
sum=$(cksum < "$OL/1.2.3.6")
errcase fail.corrupt.nrec ipc 1.2.3.6
check fail.corrupt.nrec.kept "$sum" "$(cksum < "$OL/1.2.3.6")"
printf 'XXXXY' > "$OL/1.2.3.7"
errcase fail.corrupt.notx ipc 1.2.3.7

setup fail.noident ':5'
errcase fail.noident rc RELAYCLIENT=
errcase fail.noident.emptyauth rc RELAYCLIENT= SMTPAUTHUSER= SMTP_AUTH_USER=
errcase fail.noident.emptyip rc RELAYCLIENT= TCPREMOTEIP=
errcase fail.badip.range ipc 1.2.3.999
errcase fail.badip.path ipc evil/../x
errcase fail.badip.tcp6 rc RELAYCLIENT= TCP6REMOTEIP=2001:db8::zz
check fail.noident.nofile 0 "$(olcount)"
outside fail.noident.outside
rc RELAYCLIENT= TCPREMOTEIP=1.2.3.999 OVERLIMIT_ONERROR=accept
check fail.policy.accept 112 "$R"

# the watchdog bounds a lock wait (another process holds the client's lock)
PY=$(command -v python3 2>/dev/null || true)
if [ -n "$PY" ] && "$PY" -c 'import fcntl' 2>/dev/null; then
    setup lock ':5'
    seqx lock.create "112" ipc 1.2.3.4
    "$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)' "$OL/1.2.3.4" > "$IO/lockready" 2>&1 &
    LOCKPID=$!
    lk_i=0
    while ! grep -q locked "$IO/lockready" && [ "$lk_i" -lt 100 ]; do
        sleep 0.1
        lk_i=$((lk_i + 1))
    done
    check lock.holder locked "$(cat "$IO/lockready")"
    lk_t0=$(date +%s)
    errcase lock.timeout ipc 1.2.3.4 OVERLIMIT_TIMEOUT=1
    lk_t1=$(date +%s)
    check lock.timeout.bounded yes "$([ $((lk_t1 - lk_t0)) -le 6 ] && echo yes || echo "no: $((lk_t1 - lk_t0))s")"
    kill "$LOCKPID" 2>/dev/null
    wait "$LOCKPID" 2>/dev/null
    LOCKPID=
    seqx lock.released "112" ipc 1.2.3.4
    olsane lock.olsane
else
    skip lock "python3 (to hold a POSIX lock) is not available"
fi

# fd 4 stays silent even when refusing (this version writes nothing there)
setup fd4 ':1'
seqx fd4.silent "112 113 113" ipc 1.2.3.4
errcase fd4.error ipc 1.2.3.999

# -------------------------------------------------- cdbmake-limits
setup cdbmake.format
printf '%s\n' '# a comment' '' '   ' '	' '   # indented comment' \
    '  u1@x.com  :  2   # trailing comment' '	u2@x.com	:	3	' \
    "u3@x.com:4${cr}" "${cr}" '192.168.7.	:	2' ' : 1 ' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.format.exit 0 "$CM"
seqx cdbmake.format.u1 "112 112 113" auc u1@x.com
seqx cdbmake.format.u2 "112 112 112 113" auc u2@x.com
seqx cdbmake.format.u3 "112 112 112 112 113" auc u3@x.com
seqx cdbmake.format.ip "112 112 113" ipc 192.168.7.7
seqx cdbmake.format.default "112 113" auc other@x.com
check cdbmake.format.notmp "" "$(ls "$CDB.tmp" 2>/dev/null)"

setup cdbmake.crlf
printf 'u@x.com:2\r\n# comment\r\n\r\n:1\r\n' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.crlf.exit 0 "$CM"
seqx cdbmake.crlf.u "112 112 113" auc u@x.com

setup cdbmake.windows8
printf '%s\n' ':1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.windows8 0 "$CM"

# badline NAME PRINTF-FORMAT: the bad line is line 17 of a file whose other
# lines are good; the existing CDB stays, no temporary is left
badline() {
    setup "cdbmake.bad.$1" ':7'
    { pad 16; printf "$2"; printf '\n:5\n'; } > "$W/bad"
    snap
    bl_sum=$(cksum < "$CDB")
    CMIN=$W/bad
    cm "$CDB" "$CDB.tmp"
    check "cdbmake.bad.$1" "100 yes" "$CM $(mentions 17)"
    check "cdbmake.bad.$1.cdb" "$bl_sum" "$(cksum < "$CDB")"
    outside "cdbmake.bad.$1.nothing_left"
    check "cdbmake.bad.$1.stderr_clean" 0 "$(tr -d '\n' < "$IO/cerr" | tr -cd '\000-\037\177' | wc -c | tr -d ' ')"
}
badline nonnumeric 'a:x'
badline negative 'a:-1'
badline period 'a:5/1y'
badline badip '1.2.3.256:5'
badline hostbits '10.0.0.1/8:5'
badline prefixlen '10.0.0.0/33:5'
badline v6unbracketed '2001:db8::1:5'
badline v6classic '::1:50'
badline v6prefixlen '[2001:db8::]/129:5'
badline v6hostbits '[2001:db8::1]/48:5'
badline v6unclosed '[2001:db8::5:5'
badline nocolon 'nocolon'
badline emptylimit 'a@x.com:'
badline overflow 'a@x.com:99999999999999999999999'
badline option 'a@x.com:5:opt'
badline sameperiod 'a@x.com:1/1h,2/1h'
badline windows9 'a@x.com:1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s,9/9s'
badline ctrl_soh 'a\001b:5'
badline ctrl_esc 'a\033[2Jb:5'
badline ctrl_nul 'a\000b:5'
badline ctrl_cr 'a\rb:5'
badline ctrl_del 'a\177b:5'

setup cdbmake.twobad ':7'
{ pad 16; echo 'a:x'; echo 'ok@x.com:1'; echo 'b:-1'; } > "$W/bad"
CMIN=$W/bad
cm "$CDB" "$CDB.tmp"
check cdbmake.twobad "100 yes yes" "$CM $(mentions 17) $(mentions 19)"

# duplicates: warning naming both lines, the later one wins
setup cdbmake.dup
{ pad 10; echo 'a@b.c:1'; echo '# between'; echo 'A@B.C:2'; } > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.user "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.user.later "112 112 113" auc a@b.c
{ pad 10; echo '1.2.3.4:1'; echo '# between'; echo '1.2.3.4/32:2'; } > "$CTL"
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.ip "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.ip.later "112 112 113" ipc 1.2.3.4
{ pad 10; echo '192.168.1.:1'; echo '# between'; echo '192.168.1.0/24:2'; } > "$CTL"
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.net "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.net.later "112 112 113" ipc 192.168.1.9

setup cdbmake.usage ':1'
CMIN=$CTL
cm
check cdbmake.usage.none 100 "$CM"
check cdbmake.usage.none.msg yes "$(test -s "$IO/cerr" && echo yes || echo no)"
cm "$CDB"
check cdbmake.usage.one 100 "$CM"
outside cdbmake.usage.outside

setup cdbmake.sys ':1'
CMIN=$CTL
cm "$W/nosuchdir/x.cdb" "$W/nosuchdir/x.tmp"
check cdbmake.sys.nodir 111 "$CM"
mkdir "$W/in"
CMIN=$W/in
sum=$(cksum < "$CDB")
cm "$CDB" "$CDB.tmp"
check cdbmake.sys.readerror 111 "$CM"
check cdbmake.sys.readerror.cdb "$sum" "$(cksum < "$CDB")"
check cdbmake.sys.readerror.notmp "" "$(ls "$CDB.tmp" 2>/dev/null)"
if [ -n "$CAN_UNWRITABLE" ]; then
    mkdir "$W/ro"
    chmod 755 "$TMPBASE"
    chmod -R go+rX "$W"
    chmod 555 "$W/ro"
    CMIN=$CTL
    RUNAS=$ASNOBODY
    cm "$W/ro/x.cdb" "$W/ro/x.tmp"
    RUNAS=
    chmod 700 "$TMPBASE"
    check cdbmake.sys.rodir 111 "$CM"
    check cdbmake.sys.rodir.empty "" "$(ls -A "$W/ro")"
else
    skip cdbmake.sys.rodir "running as root without setpriv: root bypasses permissions"
fi
CMIN=/dev/null

# -------------------------------------------------- overlimit-cleanup
cl() {
    env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" "$@" > "$IO/clout" 2> "$IO/clerr"
    CL=$?
}

setup cleanup.reset ':3'
seqx cleanup.reset.fill "112 112 112 113 113" ipc 1.2.3.4
cl
check cleanup.reset.exit 0 "$CL"
seqx cleanup.reset.again "112 112 112 113" ipc 1.2.3.4
olsane cleanup.reset.olsane
outside cleanup.reset.outside

setup cleanup.keep ':3'
seqx cleanup.keep.fill "112 112 112 113" ipc 1.2.3.4
seqx cleanup.keep.under "112" ipc 1.2.3.5
cl -k
check cleanup.keep.exit 0 "$CL"
seqx cleanup.keep.blocked "113 113" ipc 1.2.3.4
seqx cleanup.keep.under_reset "112 112 112 113" ipc 1.2.3.5
cl
seqx cleanup.keep.then_plain "112 112 112 113" ipc 1.2.3.4

setup cleanup.window ':2/1h'
seqx cleanup.window.fill "112 112 113" ipc 1.2.3.4
cl
check cleanup.window.exit 0 "$CL"
seqx cleanup.window.kept "113" ipc 1.2.3.4
cl -k
seqx cleanup.window.kept_k "113" ipc 1.2.3.4
limits ':2/1h,3'
seqx cleanup.window.mixed "113" ipc 1.2.3.4

setup cleanup.stale ':3'
ipc 1.2.3.4
: > "$OL/.cmp.999999999"
touch -t 200001010000 "$OL/.cmp.999999999"
cl
check cleanup.stale.exit 0 "$CL"
check cleanup.stale.removed "" "$(ls -A "$OL" | grep '^\.')"

setup cleanup.symlink ':3'
printf 'XX' > "$W/victim"
sum=$(cksum < "$W/victim")
ln -s "$W/victim" "$OL/5.6.7.8"
snap
seqx cleanup.symlink.fill "112 112 112 113" ipc 1.2.3.4
cl
check cleanup.symlink.victim "$sum" "$(cksum < "$W/victim")"
# one bad entry does not stop the reset of the others
seqx cleanup.symlink.others_reset "112" ipc 1.2.3.4
outside cleanup.symlink.outside

setup cleanup.nodir ':3'
rm -rf "$OL"
snap
cl
check cleanup.nodir 111 "$CL"
outside cleanup.nodir.outside

# -------------------------------------------------- a full disk
# (root only: a 64 KiB tmpfs is mounted under the test dir)
if [ -n "${RTS_LIGHT:-}" ]; then
    skip diskfull "RTS_LIGHT is set (valgrind run): see the plain and sanitizer runs"
elif [ "$(id -u)" = 0 ] && command -v mount >/dev/null 2>&1; then
    setup diskfull ':100' '1.2.3.6:1000/1h'
    mkdir "$W/full"
    if mount -t tmpfs -o size=64k,mode=755 tmpfs "$W/full" 2>/dev/null; then
        OLSAVE=$OL
        OL=$W/full/ol
        mkdir "$OL"
        ipc 1.2.3.4
        check diskfull.before 112 "$R"
        df_i=0
        while [ "$df_i" -lt 240 ]; do           # 256 + 240 * 16 = 4096
            ipc 1.2.3.6
            df_i=$((df_i + 1))
        done
        check diskfull.block "4096" "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
        dd if=/dev/zero of="$W/full/filler" bs=4096 2>/dev/null
        # a new client: its file cannot be written
        errcase diskfull.new ipc 1.2.3.5
        # a known client whose file has room in its block still counts
        ipc 1.2.3.4
        check diskfull.known "112 2/100" "$R $(logkv total)"
        # one whose next record needs a new block: error, nothing counted
        errcase diskfull.grow ipc 1.2.3.6
        check diskfull.grow.size "4096" "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
        rm -f "$W/full/filler"
        ipc 1.2.3.6
        check diskfull.after "112 241/1000" "$R $(logkv 1h)"
        olsane diskfull.olsane
        umount "$W/full"
        OL=$OLSAVE
    else
        skip diskfull "cannot mount a tmpfs here"
    fi
else
    skip diskfull "needs root to mount a small tmpfs"
fi

# -------------------------------------------------- the CDB replaced while helpers run
# cdbmake-limits renames a complete file over the old one: a helper sees
# the old or the new CDB, whole, never an error
setup cdbswap ':1000000'
i=0
while [ "$i" -lt 2000 ]; do echo "user$i@example.com:$i"; i=$((i + 1)); done > "$W/pad"
{ cat "$W/pad"; echo ':1000000'; } > "$W/ctlA"
{ echo ':999999'; cat "$W/pad"; } > "$W/ctlB"
(
    j=0
    while [ "$j" -lt 150 ]; do
        "$CDBMAKE" "$CDB" "$CDB.tmp" < "$W/ctlA" || echo "cdbmake failed" >&2
        "$CDBMAKE" "$CDB" "$CDB.tmp" < "$W/ctlB" || echo "cdbmake failed" >&2
        j=$((j + 1))
    done
) 2> "$IO/swaperr" &
sw_pid=$!
sw_n=0 sw_bad=0 sw_rules=
while [ "$sw_n" -lt 150 ]; do
    ipc 10.1.1.1
    sw_line=$(logkv line)
    case "$R:$sw_line" in
    112:1|112:2001) sw_rules="$sw_rules $sw_line" ;;
    *) sw_bad=$((sw_bad + 1)) ;;
    esac
    sw_n=$((sw_n + 1))
done
wait "$sw_pid"
check cdbswap.errors "0" "$sw_bad"
check cdbswap.cdbmake "" "$(cat "$IO/swaperr")"
check cdbswap.both "yes" "$(case "$sw_rules" in *" 1"*) case "$sw_rules" in *2001*) echo yes;; *) echo "only line 1";; esac;; *) echo "only line 2001";; esac)"
check cdbswap.notmp "" "$(ls "$W" | grep tmp)"

# -------------------------------------------------- concurrency
conc() { # NAME RULE
    cc_i=1
    while [ "$cc_i" -le "$REPEAT" ]; do
        setup "conc.$1" "$2"
        cc_out=$(env -i USE_FD4=1 SENDER=s@example.org RECIPIENT=r@remote.example \
            HELO=h.example SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= \
            TCPREMOTEIP=10.9.8.7 OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" \
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
else skip conc "RTS_LIGHT is set (valgrind run): see the plain and sanitizer runs"; fi

teardown
finish
