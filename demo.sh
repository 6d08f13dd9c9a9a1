#!/bin/sh
# demo.sh: build, then run rcptcheck-overlimit on the shipped sample
# configuration (control/relaylimits) exactly as qmail-smtpd runs it:
# one exec per RCPT TO, the environment qmail-smtpd sets, fd 4 a pipe.
set -e
cd "$(dirname "$0")"
sh scripts/deps.sh build
make -s all build/tests/rcptsim

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/overlimit"
export OVERLIMIT_DIR="$T/overlimit" OVERLIMIT_CDB="$T/relaylimits.cdb"

say() { printf '\n== %s\n' "$*"; }

# rcpt ENV...: one RCPT TO, as qmail-smtpd's RCPTCHECK call; prints the
# exit code and what the client would be told.
rcpt() {
	out=$(env -i USE_FD4=1 HELO=client.example SENDER=someone@example.com SMTPRCPTCOUNT=0 \
	    OVERLIMIT_DIR="$OVERLIMIT_DIR" OVERLIMIT_CDB="$OVERLIMIT_CDB" \
	    "$@" ./build/tests/rcptsim ./build/rcptcheck-overlimit 2>>"$T/smtpd.log")
	code=${out#exit=}; code=${code%%
*}
	text=${out#*fd4=}
	case $code in
	112) echo "250 ok" ;;
	113) echo "${text:-421 you have exceeded your messaging limits (#4.3.0)}" ;;
	100) echo "${text:-550 sorry, no mailbox here by that name. (#5.1.1)}" ;;
	*) echo "exit $code" ;;
	esac
}

say "the sample limits (control/relaylimits), compiled:"
grep -v '^#' control/relaylimits | grep -v '^$' | sed 's/^/    /'
./build/cdbmake-limits "$OVERLIMIT_CDB" "$T/relaylimits.tmp" < control/relaylimits
echo "    -> cdbmake-limits: ok"

say "alice@example.com, a normal user, sends one message to 3 recipients"
for r in bob@example.net carol@example.org dave@example.net; do
	printf '    RCPT TO:<%s>  ->  %s\n' "$r" "$(rcpt RELAYCLIENT= \
	    SMTPAUTHUSER=alice@example.com TCPREMOTEIP=198.51.100.7 \
	    RECIPIENT=$r)"
done
tail -n 3 "$T/smtpd.log" | sed 's/^/    log: /'

say "mallory's password was stolen: 250 recipients in one burst
   (default rule 200/1h,1000/1d; the spammer logs in as Mallory%Example.COM)"
: > "$T/burst"
i=0
while [ $i -lt 250 ]; do
	i=$((i + 1))
	rcpt RELAYCLIENT= SMTPAUTHUSER=Mallory%Example.COM \
	    TCPREMOTEIP=203.0.113.66 RECIPIENT=victim$i@example.net >> "$T/burst"
done
sed 's/retry after .*/retry after .../' "$T/burst" | sort | uniq -c | sed 's/^/    /'
grep -n '' "$T/smtpd.log" | grep 'mallory' | sed -n '200,201p' |
    cut -d: -f2- | sed 's/^/    log: /'
echo "    ... the 201st recipient and every one after it is refused;"
echo "    refused attempts use up no quota: the block lifts as the hour slides."

say "mallory writes to our own postmaster (RCPTHOSTS=1): free, never counted"
printf '    RCPT TO:<postmaster@example.com>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    SMTPAUTHUSER=mallory@example.com TCPREMOTEIP=203.0.113.66 RCPTHOSTS=1 \
    RECIPIENT=postmaster@example.com)"

say "an inbound client (no RELAYCLIENT) delivers to our users"
n=$(wc -l < "$T/smtpd.log")
for r in alice@example.com mallory@example.com; do
	printf '    RCPT TO:<%s>  ->  %s\n' "$r" "$(rcpt TCPREMOTEIP=192.0.2.1 \
	    RCPTHOSTS=1 RECIPIENT=$r)"
done
echo "    log lines written: $(( $(wc -l < "$T/smtpd.log") - n )) (inbound costs only the exec)"

say "an office PC on 192.168.1.0/24 (rule 192.168.1.:500/1h), no auth"
printf '    RCPT TO:<x@example.net>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    TCPREMOTEIP=192.168.1.23 RECIPIENT=x@example.net)"
tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'

say "the admin's view: overlimitctl list (fullest first)"
./build/overlimitctl list | sed 's/^/    /'

say "why was mallory refused? overlimitctl explain mallory@example.com"
./build/overlimitctl explain mallory@example.com | sed 's/^/    /'

say "the admin confirms the password change and lifts the block: overlimitctl reset"
./build/overlimitctl reset mallory@example.com | sed 's/^/    /'
printf '    RCPT TO:<friend@example.net>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    SMTPAUTHUSER=mallory@example.com TCPREMOTEIP=198.51.100.7 \
    RECIPIENT=friend@example.net)"

say "alice's newsletter needs more today: overlimitctl raise alice@example.com 5 +1d"
./build/overlimitctl raise alice@example.com 5 +1d | sed 's/^/    /'
printf '    RCPT TO:<reader@example.net>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    SMTPAUTHUSER=alice@example.com TCPREMOTEIP=198.51.100.7 \
    RECIPIENT=reader@example.net)"
tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'

say "catching a stolen password early: the sample's commented-out default
   line switched on (:200/1h,1000/1d:nets=3/1h:dormant=30d,20/1d:msg=100:mass=3x50/1h)"
sed 's/^# \(:200\/1h,1000\/1d:nets=\)/\1/; /^:200\/1h,1000\/1d$/d' \
    control/relaylimits > "$T/signals"
grep '^:' "$T/signals" | sed 's/^/    /'
./build/cdbmake-limits "$T/signals.cdb" "$T/signals.tmp" < "$T/signals"
echo "    -> cdbmake-limits: ok"
echo "    trudy@example.com's password, used from four networks within minutes:"
for ip in 198.51.100.7 203.0.113.9 192.0.2.77 100.64.3.3; do
	printf '    from %-14s RCPT TO:<x@example.net>  ->  %s\n' "$ip" \
	    "$(rcpt RELAYCLIENT= SMTPAUTHUSER=trudy@example.com \
	    TCPREMOTEIP=$ip RECIPIENT=x@example.net \
	    OVERLIMIT_CDB="$T/signals.cdb")"
done
tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'
echo "    one message with a 101st recipient (SMTPRCPTCOUNT=100, msg=100):"
printf '    RCPT TO:<y@example.net>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    SMTPAUTHUSER=victor@example.com TCPREMOTEIP=198.51.100.8 \
    SMTPRCPTCOUNT=100 RECIPIENT=y@example.net OVERLIMIT_CDB="$T/signals.cdb")"
tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'

say "who may write to whom: the sample's commented-out destination rules
   (the web form writes only to example.com; pupils of example.edu within
   the school and to the exam board; a spam target denied to everyone)"
sed -n '/^# who may write to whom (remove/,$p' control/relaylimits |
    sed -n 's/^# \([^ ]*>.*\)$/\1/p' > "$T/dest"
sed 's/^/    /' "$T/dest"
cat control/relaylimits "$T/dest" | ./build/cdbmake-limits "$OVERLIMIT_CDB" "$T/relaylimits.tmp"
echo "    -> cdbmake-limits: ok"
for x in "webform@example.com order@shop.example.com" \
    "webform@example.com someone@example.net" \
    "pupil@example.edu teacher@example.edu" \
    "pupil@example.edu results@exams.example.org" \
    "pupil@example.edu friend@freemail.example" \
    "pupil@example.edu help@helpdesk.example.com" \
    "alice@example.com x@spamtarget.example"; do
	printf '    %-20s RCPT TO:<%s>  ->  %s\n' "${x%% *}" "${x#* }" \
	    "$(rcpt RELAYCLIENT= SMTPAUTHUSER="${x%% *}" \
	    TCPREMOTEIP=198.51.100.7 RECIPIENT="${x#* }")"
done
grep 'dest=deny' "$T/smtpd.log" | tail -n 2 | sed 's/^/    log: /'
echo "    why? overlimitctl explain pupil@example.edu friend@freemail.example:"
./build/overlimitctl explain pupil@example.edu friend@freemail.example |
    sed -n '/^destination/,$p' | sed 's/^/    /'

say "an install slip: the counter directory made with umask 002 (mode 0775)
   the helper will not trust it: every relayed recipient accepted unlimited"
C=$T/check
mkdir -m 755 "$C"
mkdir -m 775 "$C/overlimit"
cp "$OVERLIMIT_CDB" "$C/relaylimits.cdb"
chmod 644 "$C/relaylimits.cdb"
as=
if [ "$(id -u)" = 0 ]; then	# root passes every permission: as nobody
	chmod 755 "$T"
	chown nobody "$C/overlimit"
	as="-u nobody"
fi
printf '    RCPT TO:<x@example.net>  ->  %s\n' "$(rcpt RELAYCLIENT= \
    SMTPAUTHUSER=alice@example.com TCPREMOTEIP=198.51.100.7 \
    RECIPIENT=x@example.net OVERLIMIT_DIR="$C/overlimit")"
tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'
echo "    overlimitctl check (after installing and after every change):"
# shellcheck disable=SC2086 # $as: the option and its word
OVERLIMIT_DIR="$C/overlimit" OVERLIMIT_CDB="$C/relaylimits.cdb" \
    ./build/overlimitctl check $as -s /dev/null | sed 's/^/    /' || true
chmod 700 "$C/overlimit"
echo "    after its fix (chmod 700):"
# shellcheck disable=SC2086
OVERLIMIT_DIR="$C/overlimit" OVERLIMIT_CDB="$C/relaylimits.cdb" \
    ./build/overlimitctl check $as -s /dev/null | tail -n 1 | sed 's/^/    /'
[ "$(id -u)" = 0 ] && chmod 700 "$T"

say "metrics for Prometheus (overlimitctl metrics):"
./build/overlimitctl metrics | grep -v '^#' | sed 's/^/    /'

say "several servers, one limit: mx1 and mx2 (two counter directories,
   two host names) share their counters in a redis-server started here
   (a unix socket in the demo's directory; stopped by its pid at the end)"
if command -v redis-server > /dev/null && command -v redis-cli > /dev/null; then
	mkdir "$T/redis" "$T/mx1" "$T/mx2"
	redis-server --port 0 --unixsocket "$T/redis/redis.sock" --save '' \
	    --appendonly no --dir "$T/redis" > "$T/redis/log" 2>&1 &
	rpid=$!
	trap 'kill "$rpid" 2>/dev/null || :; rm -rf "$T"' EXIT
	i=0
	while [ "$(redis-cli -s "$T/redis/redis.sock" ping 2>/dev/null)" != PONG ] &&
	    [ $i -lt 500 ]; do
		i=$((i + 1)); sleep 0.01
	done
	printf ':5/1h\n' > "$T/farm"
	./build/cdbmake-limits "$T/farm.cdb" "$T/farm.tmp" < "$T/farm"
	echo "    once per upgrade, on one host: overlimitctl load (the decision as a function library)"
	env OVERLIMIT_REDIS="unix:$T/redis/redis.sock" OVERLIMIT_CDB="$T/farm.cdb" \
	    ./build/overlimitctl load | sed 's/^/    /'
	echo "    control file on both: :5/1h; eve@example.com alternates between them"
	i=0
	while [ $i -lt 7 ]; do
		i=$((i + 1))
		mx=mx$(( (i % 2) + 1 ))
		printf '    on %s  RCPT TO:<r%d@example.net>  ->  %s\n' "$mx" "$i" \
		    "$(rcpt RELAYCLIENT= SMTPAUTHUSER=eve@example.com \
		    TCPREMOTEIP=198.51.100.9 RECIPIENT=r$i@example.net \
		    OVERLIMIT_CDB="$T/farm.cdb" OVERLIMIT_DIR="$T/$mx" OVERLIMIT_HOST=$mx \
		    OVERLIMIT_REDIS="unix:$T/redis/redis.sock")"
	done
	tail -n 2 "$T/smtpd.log" | sed 's/^/    log: /'
	echo "    the counters are in Redis, not in either directory:"
	redis-cli -s "$T/redis/redis.sock" --scan --pattern 'rol:*' | sort | sed 's/^/    key: /'
	echo "    files in mx1's and mx2's directories: $(find "$T/mx1" "$T/mx2" -mindepth 1 | wc -l | tr -d ' ')"
	env OVERLIMIT_REDIS="unix:$T/redis/redis.sock" OVERLIMIT_CDB="$T/farm.cdb" \
	    OVERLIMIT_DIR="$T/mx1" ./build/overlimitctl list | sed 's/^/    /'
	echo "    Redis stopped: mx1 falls back to its own counts (OVERLIMIT_ONERROR=local)"
	kill "$rpid"
	wait "$rpid" 2>/dev/null || :
	printf '    on mx1  RCPT TO:<late@example.net>  ->  %s\n' \
	    "$(rcpt RELAYCLIENT= SMTPAUTHUSER=eve@example.com \
	    TCPREMOTEIP=198.51.100.9 RECIPIENT=late@example.net \
	    OVERLIMIT_CDB="$T/farm.cdb" OVERLIMIT_DIR="$T/mx1" OVERLIMIT_HOST=mx1 \
	    OVERLIMIT_REDIS="unix:$T/redis/redis.sock" OVERLIMIT_ONERROR=local)"
	tail -n 1 "$T/smtpd.log" | sed 's/^/    log: /'
else
	echo "    (redis-server is not installed: apt-get install redis-server)"
fi
