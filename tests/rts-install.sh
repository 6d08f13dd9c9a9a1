#!/bin/sh
# rts-install.sh: installing it: make install and uninstall (DESTDIR,
# PREFIX; an admin's control file and changed cron file are never
# overwritten), the cron.d jobs, the systemd units (systemd-analyze verify;
# their commands run on a test store), the man pages (mandoc -T lint).
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
make -s install BUILD="$BUILD" DESTDIR="$D" PREFIX=/opt/q > /dev/null 2>&1
check install.prefix yes "$([ -x "$D/opt/q/bin/rcptcheck-overlimit" ] && echo yes)"
make -s uninstall BUILD="$BUILD" DESTDIR="$D" > /dev/null 2>&1
check uninstall.bin "" "$(ls "$D/var/qmail/bin")"
check uninstall.keeps.control ":5" "$(cat "$D/var/qmail/control/relaylimits")"
check uninstall.keeps.changed.cron yes "$([ -f "$D/etc/cron.d/rcptcheck-overlimit" ] && echo yes)"
check uninstall.units "" "$(ls "$D/etc/systemd/system")"

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
