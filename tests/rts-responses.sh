#!/bin/sh
# rts-responses.sh: what happens when a client crosses its limit: the reply
# on fd 4 (exact bytes), 451/5xx refusals, exempt destinations, sticky bans,
# notifications (once per crossing, also under concurrency; detached;
# bounded; failures logged), dry run, strict mode, warnings, option syntax,
# and the log line (escaped, never forged).
#
#   make tests && sh tests/rts-responses.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-10}

echo "# rts-responses: $ROOT (uid $(id -u))"

# rsetup LINE...: a fresh store and CDB (setup), and the notification
# program (notifyprog: one file of its environment per call in $NT)
rsetup() {
    setup resp "$@"
    notifyprog
}
# au USER [VAR=VALUE...]: one RCPT TO of an SMTP-auth user as qmail-smtpd
# runs it (rc, waited for with its notification programs); R = exit, F =
# the fd-4 text, L = the log
au() {
    au_u=$1
    shift
    rc RELAYCLIENT= SENDER=s@sender.example HELO=helo.example \
        RECIPIENT=r@remote.example TCPREMOTEIP=192.0.2.7 SMTPAUTHUSER="$au_u" "$@"
    F=$FD4
    L=$(cat "$IO/err")
}
field() { logkv "$1"; }
notevar() { # FILE VAR
    sed -n "s/^$2=//p" "$1"
}

# ------------------------------------------------------------ fd 4 replies
rsetup 'w@x.com:2/1h' 'p@x.com:3' 's@x.com:1/1h:reply=451' \
    'f@x.com:1:reply=554' \
    't@x.com:1/2h:text="Too much, {client}: {limit} per {period} ({count}); retry after {retry} {bogus}"'
t0=$(($(date +%s) - 1))	# time(3) may read the coarse clock, a tick behind date(1)
seqx reply.window.seq "112 112 113" au w@x.com
t1=$(date +%s)
case "$F" in
"421 4.7.0 recipient limit 2 per 1h reached for w@x.com, retry after $(hm $((t0 + 3600))) UTC" |\
"421 4.7.0 recipient limit 2 per 1h reached for w@x.com, retry after $(hm $((t1 + 3600))) UTC")
    check reply.window.text ok ok ;;
*) check reply.window.text "421 4.7.0 recipient limit 2 per 1h reached for w@x.com, retry after $(hm $((t0 + 3600))) UTC" "$F" ;;
esac
check reply.window.log.retry "yes" "$(r=$(field retry); [ "$(date -u -d "$r" +%s 2>/dev/null)" -ge $((t0 + 3600)) ] && [ "$(date -u -d "$r" +%s)" -le $((t1 + 3600)) ] && echo yes)"
seqx reply.plain.seq "112 112 112 113" au p@x.com
check reply.plain.text "421 4.7.0 recipient limit 3 reached for p@x.com, retry after the next reset" "$F"
seqx reply.451.seq "112 113" au s@x.com
check reply.451.code "451 4.7.0" "$(printf '%s' "$F" | cut -c1-9)"
seqx reply.554.seq "112 113" au f@x.com
check reply.554.text "554 5.7.0 recipient limit 1 reached for f@x.com, retry after the next reset" "$F"
t0=$(($(date +%s) - 1))	# the coarse clock, as above
seqx reply.text.seq "112 113" au T@X.com
t1=$(date +%s)
case "$F" in
"421 4.7.0 Too much, t@x.com: 1 per 2h (1); retry after $(hm $((t0 + 7200))) UTC {bogus}" |\
"421 4.7.0 Too much, t@x.com: 1 per 2h (1); retry after $(hm $((t1 + 7200))) UTC {bogus}")
    check reply.text.placeholders ok ok ;;
*) check reply.text.placeholders "421 4.7.0 Too much, t@x.com: 1 per 2h (1); retry after ... UTC {bogus}" "$F" ;;
esac
# accepted: fd 4 stays silent
au w2@x.com
check reply.accept.silent "112:" "$R:$F"
# USE_FD4 not 1: nothing written on fd 4 even if it is open
rm -f "$W/fd4"
env -i USE_FD4=0 RELAYCLIENT= OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV \
    SMTPAUTHUSER=w@x.com "$HELPER" 4> "$W/fd4" 2> /dev/null
check reply.nofd4.exit 113 "$?"
check reply.nofd4.empty 0 "$(wc -c < "$W/fd4" | tr -d ' ')"
# a hostile name: one line, escaped, at most 1021 bytes
rsetup ':1'
au "$(printf 'evil\r\n250 ok\nx@x.com')"
au "$(printf 'evil\r\n250 ok\nx@x.com')"
check reply.hostile.exit 113 "$R"
check reply.hostile.oneline "1" "$(printf '%s' "$F" | wc -l | awk '{ print $1 + 1 }')"
check reply.hostile.noraw "no" "$(printf '%s' "$F" | grep -q '250 ok' && echo yes || echo no)"
check reply.hostile.text "421 4.7.0 recipient limit 1 reached for evil%0d%0a250+ok%0ax@x.com, retry after the next reset" "$(printf '%s' "$F" | sed 's/250%20ok/250+ok/')"
BIG=$(head -c 5000 /dev/zero | tr '\0' 'a')
au "$BIG@x.com"
au "$BIG@x.com"
check reply.long.exit 113 "$R"
check reply.long.len "yes" "$([ "$(printf '%s' "$F" | wc -c)" -le 1021 ] && echo yes)"
check reply.long.escaped "yes" "$(printf '%s' "$F" | grep -q '^421 4.7.0 recipient limit 1 reached for ~[0-9a-f]*, retry' && echo yes)"

# ------------------------------------------------------------ exempt destinations
rsetup ':2' '>abuse@provider.net' '>@Helpdesk.Example.COM'
seqx exempt.fill "112 112 113" au u@x.com
au u@x.com RECIPIENT=Abuse@Provider.NET
check exempt.addr "112 exempt" "$R $(field verdict)"
au u@x.com RECIPIENT=someone@helpdesk.example.com
check exempt.domain "112 exempt" "$R $(field verdict)"
au u@x.com RECIPIENT=abuse@provider.net.evil
check exempt.notsuffix 113 "$R"
au u@x.com RECIPIENT=xabuse@provider.net
check exempt.notsubstr 113 "$R"
au v@x.com RECIPIENT=abuse@provider.net
au v@x.com RECIPIENT=abuse@provider.net
check exempt.notcounted "no file" "$([ -e "$OL/v@x.com" ] && echo file || echo no file)"
printf '>notanaddress\n' | "$CDBMAKE" "$W/x.cdb" "$W/x.tmp" 2> "$W/cerr"
check exempt.syntax "100" "$?"

# ------------------------------------------------------------ sticky bans
rsetup ':2:ban' 'k@x.com:2:ban=2x' 'n@x.com:2'
seqx ban.seq "112 112 113 113" au b@x.com
rsetup ':2:ban' 'k@x.com:2:ban=2x' 'n@x.com:2'
seqx ban.seq2 "112 112 113" au b@x.com
check ban.log.new "new" "$(field ban)"
check ban.text "421 4.7.0 sending blocked for b@x.com after too many recipients; contact your postmaster" "$F"
au b@x.com
check ban.log.again "113 yes" "$R $(field ban)"
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$CLEANUP" > /dev/null
au b@x.com
check ban.survives.cleanup 113 "$R"
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$CLEANUP" -k > /dev/null
au b@x.com
check ban.survives.cleanup_k 113 "$R"
check ban.list "b@x.com banned" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" -o tsv list banned | sed 1d | cut -f1,2 | tr '\t' ' ')"
check ban.metrics.notified "rcptcheck_overlimit_notifications 0" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" metrics | grep '^rcptcheck_overlimit_notifications ')"
check ban.metrics "rcptcheck_overlimit_clients_banned 1" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" metrics | grep '^rcptcheck_overlimit_clients_banned ')"
check ban.reset "b@x.com: counters reset, ban lifted" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" reset b@x.com)"
seqx ban.lifted "112 112 113" au b@x.com
# ban=2x: refused attempts up to twice the limit, then banned
seqx ban.2x "112 112 113 113 113" au k@x.com
check ban.2x.log "new" "$(field ban)"
# OVERLIMIT_BAN=1 bans under a rule without ban
seqx ban.global "112 112 113" au n@x.com OVERLIMIT_BAN=1
check ban.global.log "new" "$(field ban)"
printf 'a@x.com:2:ban=0\n' | "$CDBMAKE" "$W/x.cdb" "$W/x.tmp" 2> /dev/null
check ban.syntax 100 "$?"

# ------------------------------------------------------------ notifications
rsetup ':3/1h:warn=60%'
seqx notify.seq "112 112 112 113 113" au n@x.com "$NOTE" SENDER='evil
sender' TCPREMOTEIP=198.51.100.3
check notify.count 2 "$(nnotes)"
check notify.events "over warn" "$(cat "$NT"/* | sed -n 's/^OVERLIMIT_EVENT=//p' | sort | tr '\n' ' ' | sed 's/ $//')"
NF=$(grep -l '^OVERLIMIT_EVENT=over$' "$NT"/*)
check notify.env.client "n@x.com" "$(notevar "$NF" OVERLIMIT_CLIENT)"
check notify.env.kind "user" "$(notevar "$NF" OVERLIMIT_KIND)"
check notify.env.rule "default" "$(notevar "$NF" OVERLIMIT_RULE)"
check notify.env.line "1" "$(notevar "$NF" OVERLIMIT_LINE)"
check notify.env.count "3/3/1h" "$(notevar "$NF" OVERLIMIT_COUNT)/$(notevar "$NF" OVERLIMIT_LIMIT)/$(notevar "$NF" OVERLIMIT_PERIOD)"
check notify.env.ip "198.51.100.3" "$(notevar "$NF" OVERLIMIT_IP)"
check notify.env.sender 'evil\nsender' "$(notevar "$NF" OVERLIMIT_SENDER)"
check notify.env.banned "0" "$(notevar "$NF" OVERLIMIT_BANNED)"
check notify.env.recipient "r@remote.example" "$(notevar "$NF" OVERLIMIT_RECIPIENT)"
check notify.env.path "PATH=/usr/local/bin:/usr/bin:/bin" "$(grep '^PATH=' "$NF")"
check notify.env.nothingelse "" "$(grep -v '^OVERLIMIT_\|^PATH=\|^PWD=\|^SHLVL=\|^_=' "$NF")"
WF=$(grep -l '^OVERLIMIT_EVENT=warn$' "$NT"/*)
check notify.metrics "rcptcheck_overlimit_notifications 2" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" metrics | grep '^rcptcheck_overlimit_notifications ')"
check notify.warn.count "2/3" "$(notevar "$WF" OVERLIMIT_COUNT)/$(notevar "$WF" OVERLIMIT_LIMIT)"
check notify.log "over" "$(au n@x.com "$NOTE"; printf '%s' "$(field notify)"; [ -z "$(field notify)" ] && echo over)"

# every documented variable reaches the program, OVERLIMIT_HOST and the
# admin's NOTIFY_* settings included (17 facts once lost the event)
rsetup ':1/1h'
au h@x.com
au h@x.com "OVERLIMIT_NOTIFY=$W/notify" OVERLIMIT_HOST=mx1.example NOTIFY_TO=postmaster@example.com \
    NOTIFY_FROM=limits@example.com TCPREMOTEIP=198.51.100.4
NF=$(ls "$NT"/* | head -n 1)
check notify.all.vars "BANNED=0 CLIENT=h@x.com COUNT=1 DRYRUN=0 EVENT=over HELO=helo.example HOST=mx1.example IP=198.51.100.4 KIND=user LIMIT=1 LINE=1 PERIOD=1h REASON=limit RECIPIENT=r@remote.example RULE=default SENDER=s@sender.example TIME=ok" \
    "$(sed -n 's/^OVERLIMIT_//p' "$NF" | sed 's/^TIME=[0-9][0-9]*$/TIME=ok/' | sort | tr '\n' ' ' | sed 's/ $//')"
check notify.all.settings "NOTIFY_FROM=limits@example.com NOTIFY_TO=postmaster@example.com PATH=/usr/local/bin:/usr/bin:/bin" \
    "$(grep '^NOTIFY_\|^PATH=' "$NF" | sort | tr '\n' ' ' | sed 's/ $//')"
check notify.all.log "notify=over" "$(printf '%s\n' "$L" | grep -o 'notify[a-z_]*=[a-z0-9]*' | tr '\n' ' ' | sed 's/ $//')"
# more NOTIFY_* settings than fit: the facts all arrive, the rest is
# dropped and the log line says how many
rsetup ':1/1h'
au h@x.com
set --
i=0
while [ "$i" -lt 60 ]; do set -- "$@" "NOTIFY_V$i=$i"; i=$((i + 1)); done
au h@x.com "OVERLIMIT_NOTIFY=$W/notify" OVERLIMIT_HOST=mx1.example "$@"
NF=$(ls "$NT"/* | head -n 1)
check notify.full.facts "17 over" "$(grep -c '^OVERLIMIT_' "$NF") $(notevar "$NF" OVERLIMIT_EVENT)"
check notify.full.dropped "$((60 - (64 - 18)))" "$(field notify_dropped)"
set --

# exactly once per crossing with 200 simultaneous attempts at limit 50
# (cnv returns once every helper and every notification program ended)
[ -z "${RTS_LIGHT:-}" ] || { REPEAT=0; skip notify.conc "RTS_LIGHT is set (the valgrind run: hundreds of helpers at once under memcheck); the gcc and ASan+UBSan runs have it"; }
i=1
while [ "$i" -le "$REPEAT" ]; do
    rsetup ':50/1h'
    out=$(cnv 200 "$NOTE" SMTPAUTHUSER=c@x.com)
    check "notify.conc.$i.verdicts" "112=50 113=150 other=0" "$out"
    check "notify.conc.$i.once" "1 over" "$(nnotes) $(cat "$NT"/* | sed -n 's/^OVERLIMIT_EVENT=//p')"
    i=$((i + 1))
done
i=1
while [ "$i" -le "$REPEAT" ]; do
    rsetup ':50/1h:ban'
    out=$(cnv 200 "$NOTE" SMTPAUTHUSER=c@x.com)
    check "notify.ban.$i.verdicts" "112=50 113=150 other=0" "$out"
    check "notify.ban.$i.once" "1 ban 1" "$(nnotes) $(cat "$NT"/* | sed -n 's/^OVERLIMIT_EVENT=//p') $(cat "$NT"/* | sed -n 's/^OVERLIMIT_BANNED=//p')"
    i=$((i + 1))
done

# a slow program does not delay the reply: it holds no fd 4. The program
# waits until the test opens its gate (a FIFO), so it is still running
# when the reply comes: the reply did not wait for it (rcptsim would say
# "timeout" after SIMTIMEOUT)
rsetup ':1'
mkfifo "$W/gate"
printf '#!/bin/sh\n: > "%s/started"\nread x < "%s/gate"\n: > "%s/done"\n' "$W" "$W" "$W" > "$W/slow"
chmod 755 "$W/slow"
au q@x.com
WAIT= au q@x.com OVERLIMIT_NOTIFY="$W/slow"
check notify.slow.reply "113 running" "$R $([ -e "$W/done" ] && echo done || echo running)"
timeout 20 sh -c 'echo open > "$1"' sh "$W/gate"
# bounded: killed after OVERLIMIT_NOTIFY_TIMEOUT, and logged (au returns
# once the watcher has ended)
rsetup ':1'
printf '#!/bin/sh\nsleep 30\n' > "$W/slow"
chmod 755 "$W/slow"
au q@x.com
au q@x.com OVERLIMIT_NOTIFY="$W/slow" OVERLIMIT_NOTIFY_TIMEOUT=1
check notify.timeout.logged "yes" "$(grep -q 'killed after seconds: 1' "$IO/err" && echo yes)"
check notify.timeout.oneline "2" "$(wc -l < "$IO/err" | tr -d ' ')"
# the timeout kills the program's children too (its process group)
rsetup ':1'
printf '#!/bin/sh\nsleep 30 &\necho $! > "%s/child"\nwait\n' "$W" > "$W/parent"
chmod 755 "$W/parent"
au q@x.com
au q@x.com OVERLIMIT_NOTIFY="$W/parent" OVERLIMIT_NOTIFY_TIMEOUT=1
check notify.timeout.group "113 gone" "$R $(c=$(cat "$W/child" 2>/dev/null); [ -n "$c" ] && ! kill -0 "$c" 2>/dev/null && echo gone || echo "alive:$c")"
# the admin's NOTIFY_* settings reach the program, nothing else does
rsetup ':1'
au q@x.com
au q@x.com "OVERLIMIT_NOTIFY=$W/notify" NOTIFY_TO=admin@example.com FOO=bar
check notify.settings "NOTIFY_TO=admin@example.com|" "$(cat "$NT"/* | grep '^NOTIFY_\|^FOO' | tr '\n' '|')"
# a failing program: only logged
rsetup ':1'
printf '#!/bin/sh\nexit 3\n' > "$W/fail"
chmod 755 "$W/fail"
au q@x.com
au q@x.com OVERLIMIT_NOTIFY="$W/fail"
check notify.fail.verdict 113 "$R"
check notify.fail.logged "yes" "$(grep -q 'exit code 3' "$IO/err" && echo yes)"
rsetup ':1'
au q@x.com
au q@x.com OVERLIMIT_NOTIFY="$W/missing"
check notify.missing.verdict 113 "$R"
check notify.missing.logged "yes" "$(grep -q 'cannot run' "$IO/err" && echo yes)"
# a new crossing after the client fell back below the limit notifies again:
# the window of 2 s has slid, on a fixed clock (libfaketime) at T0, then
# T0 + 3
if [ -n "$FAKELIB" ]; then
    rsetup ':1/2s'
    T0=$(date +%s)
    at "$T0"
    au q@x.com "$NOTE"
    au q@x.com "$NOTE"
    at $((T0 + 3))
    au q@x.com "$NOTE"
    au q@x.com "$NOTE"
    at
    check notify.recross 2 "$(nnotes)"
else
    skip notify.recross "$NOFAKE"
fi

# ------------------------------------------------------------ dry run
rsetup 'd@x.com:2/1h:dryrun' ':2/1h'
seqx dryrun.rule "112 112 112 112" au d@x.com "OVERLIMIT_NOTIFY=$W/notify"
check dryrun.log "would-refuse accept 4/2" "$(field dryrun) $(field verdict) $(field 1h)"
check dryrun.nofd4 "" "$F"
check dryrun.notify.once "1 over 1" "$(nnotes) $(cat "$NT"/* | sed -n 's/^OVERLIMIT_EVENT=//p') $(cat "$NT"/* | sed -n 's/^OVERLIMIT_DRYRUN=//p')"
seqx dryrun.global "112 112 112" au g@x.com OVERLIMIT_DRYRUN=1
seqx dryrun.off "113" au g@x.com
rsetup 'd@x.com:1:dryrun:ban'
seqx dryrun.noban "112 112 112" au d@x.com
check dryrun.noban.list "over" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" -o tsv list | sed 1d | cut -f2)"

# ------------------------------------------------------------ strict
rsetup 's@x.com:2/1h:strict' 'l@x.com:2/1h' ':2/1h'
seqx strict.seq "112 112 113 113 113" au s@x.com
check strict.counted "1h=5/2" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" -o tsv list | awk -F '\t' '$1 == "s@x.com" { print $9 }')"
seqx lenient.seq "112 112 113 113 113" au l@x.com
check lenient.counted "1h=2/2" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" -o tsv list | awk -F '\t' '$1 == "l@x.com" { print $9 }')"
seqx strict.global "112 112 113 113" au m@x.com OVERLIMIT_STRICT=1
check strict.global.counted "1h=4/2" "$(env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" -o tsv list | awk -F '\t' '$1 == "m@x.com" { print $9 }')"

# strict with ban=Kx: each refused attempt counted once, banned at the first
# attempt past K x the limit, as without strict (it was 6 and 21)
rsetup 's@x.com:3/1h:strict:ban=2x' 'l@x.com:3/1h:ban=2x' 't@x.com:10/1h:strict:ban=3x'
seqx strict.ban.seq "112 112 112 113 113 113 113" au s@x.com
check strict.ban.at7 "new" "$(field ban)"
seqx lenient.ban.seq "112 112 112 113 113 113 113" au l@x.com
check lenient.ban.at7 "new" "$(field ban)"
seqx strict.ban3.seq "$(rep 10 112) $(rep 20 113)" au t@x.com
check strict.ban3.not30 "" "$(field ban)"
au t@x.com
check strict.ban3.at31 "113 new" "$R $(field ban)"

# ------------------------------------------------------------ option syntax
for l in 'a@x.com:5:reply=499' 'a@x.com:5:text="x' 'a@x.com:5:text=""' \
    'a@x.com:5:warn=100%' 'a@x.com:5:dryrun=1' 'a@x.com:5:ban:ban' \
    'a@x.com:5:bogus' 'a@x.com:5:' '>' '>@' '>a@b:5'; do
    printf '%s\n' "$l" | "$CDBMAKE" "$W/x.cdb" "$W/x.tmp" 2> "$W/cerr"
    check "syntax.bad.$l" "100 1" "$? $(grep -c 'line 1' "$W/cerr")"
done
printf '%s\n' 'a@x.com : 5/1h : reply=451 : text="two  spaces # kept" : ban=3x : warn=80% : strict' |
    "$CDBMAKE" "$W/x.cdb" "$W/x.tmp"
check syntax.good "1 5/3600 reply=451 ban=3 warn=80 strict text=$(printf 'two  spaces # kept' | od -An -tx1 | tr -d ' \n')" \
    "$(cdb -q "$W/x.cdb" a@x.com 2>/dev/null || echo no-cdb-tool)"


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


# fd 4 stays silent even when refusing (this version writes nothing there)
setup fd4 ':1'
seqx fd4.silent "112 113 113" ipc 1.2.3.4
errcase fd4.error ipc 1.2.3.999

finish
