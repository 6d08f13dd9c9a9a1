#!/bin/sh
# rts-install.sh: installing it: make install and uninstall (DESTDIR,
# PREFIX and the paths set in one place; an admin's control file and
# changed cron file are never overwritten), the install slips that once
# switched every limit off in silence and overlimitctl check finding each,
# the fail-open counters, the cron.d jobs, the systemd units
# (systemd-analyze verify; their commands run on a test store), the man
# pages (mandoc -T lint).
#
#   make tests && sh tests/rts-install.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs

echo "# rts-install: $ROOT (uid $(id -u))"

# T: the installs and copies of this run
setup install
T=$W

# ------------------------------------------------------------ install
D=$T/dest
make -s install BUILD="$BUILD" DESTDIR="$D" > /dev/null 2>&1
check install.rc 0 "$?"
for f in bin/rcptcheck-overlimit bin/cdbmake-limits bin/overlimit-cleanup \
    bin/overlimitctl bin/notify-mail bin/notify-sms bin/notify-vpopmail-disable \
    control/relaylimits man/man5/relaylimits.5 \
    man/man8/rcptcheck-overlimit.8 man/man8/overlimitctl.8; do
    check "install.file.$f" yes "$([ -f "$D/var/qmail/$f" ] && echo yes)"
done
check install.cron yes "$([ -f "$D/etc/cron.d/rcptcheck-overlimit" ] && echo yes)"
check install.units 4 "$(ls "$D/etc/systemd/system" | wc -l | tr -d ' ')"
check install.overlimit.mode 700 "$(stat -c %a "$D/var/qmail/overlimit")"
echo ':5' > "$D/var/qmail/control/relaylimits"
echo '# mine' >> "$D/etc/cron.d/rcptcheck-overlimit"
make -s install BUILD="$BUILD" DESTDIR="$D" > /dev/null 2>&1
check install.keeps.control ":5" "$(cat "$D/var/qmail/control/relaylimits")"
check install.keeps.cron "# mine" "$(tail -n 1 "$D/etc/cron.d/rcptcheck-overlimit")"
make -s uninstall BUILD="$BUILD" DESTDIR="$D" > /dev/null 2>&1
check uninstall.bin "" "$(ls "$D/var/qmail/bin")"
check uninstall.keeps.control ":5" "$(cat "$D/var/qmail/control/relaylimits")"
check uninstall.keeps.changed.cron yes "$([ -f "$D/etc/cron.d/rcptcheck-overlimit" ] && echo yes)"
check uninstall.units "" "$(ls "$D/etc/systemd/system")"

# ------------------------------------------------------------ PREFIX
# one place sets the paths and the user: the programs' compiled defaults,
# the cron.d file, the units (ExecStart, ReadWritePaths, User), the man
# pages' FILES; nothing of the default paths is left in them. A build of
# its own (other paths rebuild every object: never the runners' build).
P=$T/prefix
NG=$(id -gn nobody)
PVARS="PREFIX=/opt/qmail SMTPD_USER=nobody SMTPD_GROUP=$NG"
# shellcheck disable=SC2086 # $PVARS: words
make -s BUILD="$P/build" $PVARS all > "$IO/pout" 2>&1
check prefix.build 0 "$?"
# shellcheck disable=SC2086
make -s install BUILD="$P/build" DESTDIR="$P/d" $PVARS > "$IO/pout" 2>&1
check prefix.install 0 "$?"
# the counter directory goes to the smtpd user, or make says what is left
if [ "$(id -u)" = 0 ]; then
    check trap.install.owner "counter directory: /opt/qmail/overlimit, nobody:$NG 0700 | 65534 700" \
        "$(grep '^counter directory' "$IO/pout") | $(stat -c '%u %a' "$P/d/opt/qmail/overlimit")"
else
    check trap.install.owner.left yes "$(grep -q "^left to do: chown nobody:$NG /opt/qmail/overlimit" "$IO/pout" && echo yes)"
fi
for f in bin/rcptcheck-overlimit bin/cdbmake-limits bin/overlimit-cleanup \
    bin/overlimitctl bin/notify-mail control/relaylimits \
    man/man5/relaylimits.5 man/man8/overlimitctl.8; do
    check "prefix.file.$f" yes "$([ -f "$P/d/opt/qmail/$f" ] && echo yes)"
done
check prefix.dir.mode 700 "$(stat -c %a "$P/d/opt/qmail/overlimit")"
check prefix.nothing.else "etc opt" "$(ls "$P/d" | tr '\n' ' ' | sed 's/ $//')"
# the compiled defaults: what each program opens with no environment
for p in "overlimitctl list" overlimit-cleanup; do
    # shellcheck disable=SC2086 # $p: the program and its argument
    env -i "$P/d/opt/qmail/bin/"$p > /dev/null 2> "$IO/perr"
    check "prefix.default.${p% *}" yes "$(grep -q '/opt/qmail/control/relaylimits.cdb' "$IO/perr" && echo yes)"
done
env -i RELAYCLIENT= TCPREMOTEIP=1.2.3.4 "$P/d/opt/qmail/bin/rcptcheck-overlimit" 2> "$IO/perr"
check prefix.default.helper yes "$(grep -q 'cannot open limits /opt/qmail/control/relaylimits.cdb' "$IO/perr" && echo yes)"
printf ':5\n' | "$P/d/opt/qmail/bin/cdbmake-limits" "$P/l.cdb" "$P/l.tmp"
env -i OVERLIMIT_CDB="$P/l.cdb" "$P/d/opt/qmail/bin/overlimitctl" list > /dev/null 2> "$IO/perr"
check prefix.default.dir yes "$(grep -q '/opt/qmail/overlimit' "$IO/perr" && echo yes)"
env -i OVERLIMIT_CDB="$P/l.cdb" "$P/d/opt/qmail/bin/overlimitctl" check -u "$(id -un)" > "$IO/pout" 2>&1
check prefix.default.check yes "$(grep -q '^checking as .* OVERLIMIT_DIR=/opt/qmail/overlimit ' "$IO/pout" && echo yes)"
C=$P/d/etc/cron.d/rcptcheck-overlimit
check prefix.cron.jobs "nobody /opt/qmail/bin/overlimit-cleanup|nobody /opt/qmail/bin/overlimit-cleanup|nobody /opt/qmail/bin/overlimitctl" \
    "$(sed -n 's/^#\{0,1\}[0-9*][^\t]*\t\([^\t]*\)\t\([^ ]*\).*/\1 \2/p' "$C" | tr '\n' '|' | sed 's/|$//')"
U=$P/d/etc/systemd/system
check prefix.unit.exec "/opt/qmail/bin/overlimit-cleanup /opt/qmail/bin/overlimitctl" "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$U/overlimit-cleanup.service" "$U/overlimit-metrics.service" | tr '\n' ' ' | sed 's/ $//')"
check prefix.unit.rw "ReadWritePaths=/opt/qmail/overlimit" "$(grep '^ReadWritePaths=' "$U/overlimit-cleanup.service")"
check prefix.unit.user "User=nobody Group=$NG User=nobody Group=$NG" "$(grep -h '^User=\|^Group=' "$U/overlimit-cleanup.service" "$U/overlimit-metrics.service" | tr '\n' ' ' | sed 's/ $//')"
check prefix.man.files yes "$(grep -q 'Pa /opt/qmail/overlimit/ Ns Ar client' "$P/d/opt/qmail/man/man8/rcptcheck-overlimit.8" && grep -q 'Pa /opt/qmail/control/relaylimits.cdb' "$P/d/opt/qmail/man/man8/overlimitctl.8" && echo yes)"
# /var/qmail stays only where it is qmail's own (qmail-inject, qmail-smtpd,
# the supervise directories), never one of ours
check prefix.no.default.paths "" "$(grep -rn '/var/qmail/\(overlimit\|control\|bin/\(rcptcheck\|cdbmake\|overlimit\|notify\)\)' "$P/d/etc" "$P/d/opt/qmail/man")"
check prefix.no.default.user "" "$(grep -rn 'User=vpopmail\|	vpopmail	\|-o vpopmail' "$P/d/etc")"
# shellcheck disable=SC2086
make -s uninstall BUILD="$P/build" DESTDIR="$P/d" $PVARS > /dev/null 2>&1
check prefix.uninstall "" "$(cd "$P/d" && find . -type f ! -path ./opt/qmail/control/relaylimits)"
if [ "$(id -u)" = 0 ]; then	# root, but no such user: says what is left
    make -s install BUILD="$P/build" DESTDIR="$P/d2" PREFIX=/opt/qmail \
        SMTPD_USER=no-such-user-here SMTPD_GROUP="$NG" > "$IO/pout" 2>&1
    check trap.install.owner.left yes "$(grep -q "^left to do: chown no-such-user-here:$NG /opt/qmail/overlimit" "$IO/pout" && echo yes)"
fi
rm -rf "$P"

# ------------------------------------------------------------ the traps
# each install slip that used to switch the limits off in silence, and
# overlimitctl check finding it. As root the check runs as nobody (-u:
# root would pass every permission), else as this user.
K=$T/check
mkdir -p "$K/bin"
printf ':10\nm@x.example:5:msg=3\n' > "$K/relaylimits"
(umask 027 && "$CDBMAKE" "$K/relaylimits.cdb" "$K/relaylimits.tmp" < "$K/relaylimits")
check trap.umask027.cdb.mode 644 "$(stat -c %a "$K/relaylimits.cdb")"
(umask 077 && make -s install BUILD="$BUILD" DESTDIR="$K/d" > /dev/null 2>&1)
check trap.umask077.install.modes "755 755 755 644 700" "$(stat -c %a "$K/d/var/qmail/bin" "$K/d/var/qmail/bin/rcptcheck-overlimit" "$K/d/var/qmail/bin/notify-mail" "$K/d/var/qmail/man/man8/overlimitctl.8" "$K/d/var/qmail/overlimit" | tr '\n' ' ' | sed 's/ $//')"
rm -rf "$K/d"
printf 'x SMTPRCPTCOUNT x\n' > "$K/smtpd.yes"
printf 'a qmail-smtpd without it\n' > "$K/smtpd.no"
cp contrib/notify/notify-mail "$K/bin/" && chmod 755 "$K/bin/notify-mail"
mkdir -m 700 "$K/ol"
if [ "$(id -u)" = 0 ]; then
    KU="-u nobody" KUID=65534
    chown 65534:65534 "$K/ol"
    asnobody
else
    KU='' KUID=$(id -u)
fi
# kc [VAR=VALUE...]: overlimitctl check on K; KC its exit, K.out its output
kc() {
    # shellcheck disable=SC2086 # $KU: the option and its word
    env -i OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" \
        OVERLIMIT_NOTIFY="$K/bin/notify-mail" "$@" "$OLCTL" check $KU \
        -s "${KS:-$K/smtpd.yes}" > "$IO/kc" 2>&1
    KC=$?
}
# kline WORD: the FAIL (or warn) lines of the check that name WORD
kline() { grep -E "^(FAIL|warn) .*$1" "$IO/kc" | head -n 1 | cut -c1-4; }
kfix() { grep -A1 "^FAIL .*$1" "$IO/kc" | sed -n 's/^ *fix: //p' | head -n 1; }
# khelper [VAR=VALUE...]: one relayed recipient as the helper's user
khelper() {
    if [ "$(id -u)" = 0 ]; then
        env -i RELAYCLIENT= OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" \
            RECIPIENT=r@remote.example TCPREMOTEIP=192.0.2.1 "$@" \
            $ASNOBODY "$NBIN/rcptsim" "$NBIN/rcptcheck-overlimit" 2> "$IO/kerr" | sed -n 's/^exit=//p'
    else
        env -i RELAYCLIENT= OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" \
            RECIPIENT=r@remote.example TCPREMOTEIP=192.0.2.1 "$@" \
            "$RCPTSIM" "$HELPER" 2> "$IO/kerr" | sed -n 's/^exit=//p'
    fi
}
kc
check check.good.rc 0 "$KC"
check check.good.fails "0" "$(grep -c '^FAIL' "$IO/kc")"
check check.good.last yes "$(tail -n 1 "$IO/kc" | grep -q '^the helper would work as ' && echo yes)"
check check.probe.gone "" "$(ls -A "$K/ol")"

# an unreadable CDB (mode 0640 of root's, or 0200 of one's own)
if [ "$(id -u)" = 0 ]; then chmod 640 "$K/relaylimits.cdb"; else chmod 200 "$K/relaylimits.cdb"; fi
kc
check check.cdb.unreadable.rc 1 "$KC"
check check.cdb.unreadable.line FAIL "$(kline 'limits CDB')"
check check.cdb.unreadable.fix "chmod 644 $K/relaylimits.cdb (cdbmake-limits writes it so)" "$(kfix 'limits CDB')"
chmod 644 "$K/relaylimits.cdb"
rm -f "$K/relaylimits.cdb"
kc
check check.cdb.missing.rc 1 "$KC"
check check.cdb.missing.fix yes "$(kfix 'limits CDB' | grep -q '^cdbmake-limits relaylimits.cdb relaylimits.tmp < relaylimits' && echo yes)"
"$CDBMAKE" "$K/relaylimits.cdb" "$K/relaylimits.tmp" < "$K/relaylimits"
# the control file changed and not compiled: a warning, not a failure
touch -d '+1 minute' "$K/relaylimits"
kc
check check.cdb.stale "0 warn" "$KC $(kline 'newer than the CDB')"
touch -d '-1 minute' "$K/relaylimits"

# the counter directory of the wrong user (make install's root:root)
if [ "$(id -u)" = 0 ]; then
    chown 0:0 "$K/ol"
    kc
    check check.dir.owner.rc 1 "$KC"
    check check.dir.owner.line FAIL "$(kline "$K/ol")"
    check check.dir.owner.fix "chown nobody:$(id -gn nobody) $K/ol; chmod 700 $K/ol" "$(kfix "$K/ol")"
    chown 65534:65534 "$K/ol"
else
    skip check.dir.owner "not root: cannot give the directory to another user (the group-writable case below runs)"
fi
chmod 770 "$K/ol"
kc
check check.dir.groupw.rc 1 "$KC"
check check.dir.groupw.says yes "$(grep -q '^FAIL counter directory .* is writable by its group or others' "$IO/kc" && echo yes)"
chmod 700 "$K/ol"
rmdir "$K/ol" && kc
check check.dir.missing.fix "install -d -m 700 -o $(id -un $KUID) -g $(id -gn $KUID) $K/ol" "$(kfix "$K/ol")"
mkdir -m 700 "$K/ol" && [ "$KUID" = "$(id -u)" ] || chown 65534:65534 "$K/ol"

# a root-owned counter file (an older root-run overlimitctl raise)
if [ "$(id -u)" = 0 ]; then
    : > "$K/ol/m@x.example" && chmod 600 "$K/ol/m@x.example"
    kc
    check check.file.rootowned.rc 1 "$KC"
    check check.file.rootowned.names "$K/ol/m@x.example (owned by another user, uid 0)" "$(grep -A1 '^FAIL counter files' "$IO/kc" | sed -n '2s/^ *//p')"
    # what the check says is true: the helper cannot use it...
    khelper SMTPAUTHUSER=m@x.example SMTPRCPTCOUNT=0 > /dev/null
    check check.file.rootowned.helper yes "$(grep -q "error=\"open m@x.example: Permission denied\" verdict=accept" "$IO/kerr" && echo yes)"
    rm -f "$K/ol/.errors-accept"
    # ...and its fix works: root's cleanup gives it to the owner
    env -i OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" "$CLEANUP" > /dev/null 2>&1
    kc
    check check.file.rootowned.fixed 0 "$KC"
    rm -f "$K/ol/m@x.example"
else
    skip check.file.rootowned "not root: cannot make a file another user owns (the hard-link case below runs)"
fi
printf 'x' > "$K/ol/192.0.2.7" && ln "$K/ol/192.0.2.7" "$K/link"
kc
check check.file.link "1 FAIL" "$KC $(kline 'counter files')"
rm -f "$K/ol/192.0.2.7" "$K/link"

# a notification program that is not there, or not runnable
kc OVERLIMIT_NOTIFY="$K/bin/notify-none"
check check.notify.missing "1 FAIL" "$KC $(kline 'notification program')"
check check.notify.missing.fix yes "$(kfix 'notification program' | grep -q '^make install puts notify-mail' && echo yes)"
chmod 600 "$K/bin/notify-mail"
kc
check check.notify.mode "1 FAIL" "$KC $(kline 'notification program')"
chmod 755 "$K/bin/notify-mail"
kc OVERLIMIT_NOTIFY=notify-mail
check check.notify.relative "1 FAIL" "$KC $(kline 'not an absolute path')"

# msg=/mass= with a qmail-smtpd that does not set SMTPRCPTCOUNT
KS=$K/smtpd.no kc
check check.rcptcount.binary "1 FAIL" "$KC $(kline SMTPRCPTCOUNT)"
printf ':10\n' > "$K/relaylimits"
"$CDBMAKE" "$K/relaylimits.cdb" "$K/relaylimits.tmp" < "$K/relaylimits"
KS=$K/smtpd.no kc
check check.rcptcount.unneeded 0 "$KC"
printf ':10\nm@x.example:5:msg=3\n' > "$K/relaylimits"
"$CDBMAKE" "$K/relaylimits.cdb" "$K/relaylimits.tmp" < "$K/relaylimits"
# ...seen by the helper itself: logged, counted, reported
if [ "$(id -u)" = 0 ] && [ -z "$ASNOBODY" ]; then
    skip check.rcptcount.helper "$NOBODY_WHY"
    skip check.failopen "$NOBODY_WHY"
else
    check check.rcptcount.helper.rc 112 "$(khelper SMTPAUTHUSER=m@x.example)"
    check check.rcptcount.helper.log yes "$(grep -q 'env_error="SMTPRCPTCOUNT is not set' "$IO/kerr" && echo yes)"
    khelper SMTPAUTHUSER=m@x.example SMTPRCPTCOUNT=0 > /dev/null
    check check.rcptcount.helper.with "" "$(grep -o 'env_error' "$IO/kerr")"
    khelper SMTPAUTHUSER=other@x.example > /dev/null
    check check.rcptcount.helper.nomsg "" "$(grep -o 'env_error' "$IO/kerr")"
    kc
    check check.rcptcount.seen "1 FAIL" "$KC $(kline 'came without it')"
    env -i OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" "$OLCTL" metrics > "$IO/km" 2>&1
    check check.rcptcount.metric "rcptcheck_overlimit_no_rcptcount_total 1" "$(grep '^rcptcheck_overlimit_no_rcptcount_total' "$IO/km")"
    rm -f "$K/ol/.no-rcptcount"

    # a recipient accepted (deferred) because of an error: counted for
    # monitoring, not only logged
    check check.failopen.rc 112 "$(khelper OVERLIMIT_CDB="$K/none.cdb")"
    check check.failopen.rc.defer 111 "$(khelper OVERLIMIT_CDB="$K/none.cdb" OVERLIMIT_ONERROR=defer)"
    khelper OVERLIMIT_TIMEOUT=0 > /dev/null
    env -i OVERLIMIT_DIR="$K/ol" OVERLIMIT_CDB="$K/relaylimits.cdb" "$OLCTL" metrics > "$IO/km" 2>&1
    check check.failopen.metric 'accept 2|defer 1' "$(sed -n 's/^rcptcheck_overlimit_errors_total{verdict="\([a-z]*\)"} /\1 /p' "$IO/km" | tr '\n' '|' | sed 's/|$//')"
    check check.failopen.type "# TYPE rcptcheck_overlimit_errors_total counter" "$(grep '^# TYPE rcptcheck_overlimit_errors_total' "$IO/km")"
    kc
    check check.failopen.warn "0 warn" "$KC $(kline 'errors so far: 2 recipients accepted, 1 deferred')"
    # a planted symlink in its place is never followed
    rm -f "$K/ol/.errors-accept" && ln -s "$K/victim" "$K/ol/.errors-accept"
    khelper OVERLIMIT_CDB="$K/none.cdb" > /dev/null
    check check.failopen.nofollow "no" "$([ -e "$K/victim" ] && echo yes || echo no)"
    rm -f "$K/ol/.errors-accept" "$K/ol/.errors-defer"
fi

# who checks as whom
if [ "$(id -u)" = 0 ]; then
    env -i "$OLCTL" check -u no-such-user-here > "$IO/kc" 2>&1
    check check.nouser "111" "$?"
    asroot
else
    env -i "$OLCTL" check -u root > "$IO/kc" 2>&1
    check check.notroot "100" "$?"
fi

# ------------------------------------------------------------ cron.d
# every job line (also the commented alternatives) is "5 time fields, user,
# command"; the commands run against a test store
CR=$T/cron
mkdir -p "$CR/ol" "$CR/bin" "$CR/prom"
for p in overlimit-cleanup overlimitctl; do ln -s "$BUILD/$p" "$CR/bin/$p"; done
printf ':2\n' | "$CDBMAKE" "$CR/l.cdb" "$CR/l.tmp"
grep -v '^# \|^#$\|^$' etc/cron.d/rcptcheck-overlimit | sed 's/^#//' > "$T/jobs"
check cron.jobs 3 "$(wc -l < "$T/jobs" | tr -d ' ')"
check cron.fields "yes yes yes" "$(awk -F '\t' '{ n = split($1, t, " "); printf "%s%s", s, (n == 5 && $2 == "vpopmail" && $3 ~ /^\/var\/qmail\/bin\//) ? "yes" : "no"; s = " " }' "$T/jobs")"
i=0
while IFS='	' read -r when user cmd; do
    i=$((i + 1))
    env -i OVERLIMIT_DIR="$CR/ol" OVERLIMIT_CDB="$CR/l.cdb" RELAYCLIENT= \
        TCPREMOTEIP=1.2.3.4 "$RCPTSIM" "$HELPER" > /dev/null 2>&1
    c=$(printf '%s' "$cmd" | sed "s|/var/qmail/bin|$CR/bin|; s|/var/lib/prometheus/node-exporter|$CR/prom|")
    env -i OVERLIMIT_DIR="$CR/ol" OVERLIMIT_CDB="$CR/l.cdb" PATH=/usr/bin:/bin sh -c "$c"
    check "cron.job.$i" 0 "$?"
done < "$T/jobs"
check cron.metrics.written yes "$([ -s "$CR/prom/rcptcheck_overlimit.prom" ] && echo yes)"

# ------------------------------------------------------------ systemd
if command -v systemd-analyze > /dev/null 2>&1; then
    U=$T/units
    mkdir "$U"
    for u in etc/systemd/*.service etc/systemd/*.timer; do
        sed "s|/var/qmail/bin|$BUILD|; s|User=vpopmail|User=root|; s|Group=vchkpw|Group=root|" "$u" > "$U/$(basename "$u")"
    done
    check systemd.verify "" "$(systemd-analyze verify --man=no "$U"/* 2>&1)"
    check systemd.timer.daily "OnCalendar=*-*-* 00:00:00" "$(grep OnCalendar etc/systemd/overlimit-cleanup.timer)"
    for u in etc/systemd/*.service; do
        c=$(sed -n 's/^ExecStart=//p' "$u" | sed "s|/var/qmail/bin|$BUILD|; s|/var/lib/prometheus/node-exporter|$CR/prom|")
        env -i OVERLIMIT_DIR="$CR/ol" OVERLIMIT_CDB="$CR/l.cdb" sh -c "$c" > /dev/null
        check "systemd.exec.$(basename "$u")" 0 "$?"
        check "systemd.rw.$(basename "$u")" yes "$(grep -q '^ReadWritePaths=' "$u" && echo yes)"
    done
else
    skip systemd "systemd-analyze is not installed (on Debian 12 it comes with the systemd package, which scripts/deps.sh does not install on a host without systemd)"
fi

# ------------------------------------------------------------ man pages
if command -v mandoc > /dev/null 2>&1; then
    check man.lint "" "$(mandoc -T lint -W warning docs/man/*.[58] 2>&1)"
else
    skip man.lint "mandoc is not installed (apt-get install mandoc)"
fi

finish
