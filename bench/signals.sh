#!/bin/bash
#
# bench/signals.sh: what each compromise signal and aggregate limit of
# DESIGN.md adds to one relayed recipient, measured as run.sh measures (fork,
# fd 4 = pipe, exec, wait: execbench) and in instructions (callgrind).
# Every figure runs the same helper on the same kind of client; only the
# control file differs. Limits are huge, so that every call is accepted and
# counted (the steady state of a normal sender).
#
# Environment: BENCH_N calls per round (default 1000), BENCH_ROUNDS (5),
# BENCH_VALGRIND (1: also count instructions), CC, BENCH_HELPER,
# BENCH_CDBMAKE as in run.sh.

set -eu
set -o pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${BENCH_N:-1000}
ROUNDS=${BENCH_ROUNDS:-5}
DOVG=${BENCH_VALGRIND:-1}
CC=${CC:-cc}
helper=${BENCH_HELPER:-$root/build/rcptcheck-overlimit}
cdbmake=${BENCH_CDBMAKE:-$root/build/cdbmake-limits}

[ -x "$helper" ] && [ -x "$cdbmake" ] || make -C "$root" all >&2
mkdir -p "$root/build/bench"
$CC -std=c99 -O2 -Wall -Wextra -Werror -o "$root/build/bench/execbench" "$here/execbench.c"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$helper" "$tmp/helper"
cp "$cdbmake" "$tmp/cdbmake"
cp "$root/build/bench/execbench" "$tmp/eb"

BIG=100000000
# figure -> control file (one line per array element)
declare -A CTL WHO
CTL[base]=":$BIG/1d"
CTL[msg]=":$BIG/1d:msg=1000"
CTL[mass]=":$BIG/1d:mass=3x50/1h"
CTL[dormant]=":$BIG/1d:dormant=30d,$BIG/1d"
CTL[nets]=":$BIG/1d:nets=32/1h"
CTL[pool]=":$BIG/1d|@example.com:$BIG/1d:pool=$BIG/1d"
CTL[server]=":$BIG/1d|*:$BIG/1d"
CTL[all]=":$BIG/1d:msg=1000:mass=3x50/1h:dormant=30d,$BIG/1d:nets=32/1h|@example.com:$BIG/1d:pool=$BIG/1d:msg=1000:mass=3x50/1h:dormant=30d,$BIG/1d:nets=32/1h|*:$BIG/1d"
CTL[ip6]=":$BIG/1d"
CTL[ip6exact]=":$BIG/1d|!count6=128"
figures=(base msg mass dormant nets pool server all ip6 ip6exact)
label() {
	case $1 in
	base)     echo "auth user, one window (the reference)" ;;
	msg)      echo "+ msg=1000 (per-message cap)" ;;
	mass)     echo "+ mass=3x50/1h (message below 50)" ;;
	dormant)  echo "+ dormant=30d,N/1d" ;;
	nets)     echo "+ nets=32/1h (side file)" ;;
	pool)     echo "+ domain pool (second locked file)" ;;
	server)   echo "+ server cap * (second locked file)" ;;
	all)      echo "all of them together" ;;
	ip6)      echo "IPv6 IP client, counted per /64" ;;
	ip6exact) echo "IPv6 IP client, !count6=128" ;;
	esac
}

base=(PATH=/usr/bin:/bin TCPREMOTEIP=192.0.2.10 TCPREMOTEPORT=40000
	TCPLOCALIP=192.0.2.1 SENDER=user@example.com
	RECIPIENT=someone@example.org HELO=client.example.com USE_FD4=1
	SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT=)
envfor() { # FIGURE DIR
	ENV=("${base[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/$1.cdb")
	case $1 in
	ip6*) ENV+=(TCPREMOTEIP=2001:db8:1:2::10) ;;
	*) ENV+=(SMTPAUTHUSER=user@example.com) ;;
	esac
}
for f in "${figures[@]}"; do
	printf '%s\n' "${CTL[$f]}" | tr '|' '\n' > "$tmp/$f"
	"$tmp/cdbmake" "$tmp/$f.cdb" "$tmp/$f.tmp" < "$tmp/$f"
	mkdir -p "$tmp/sanity/$f"
	envfor "$f" "$tmp/sanity/$f"
	env -i "${ENV[@]}" "$tmp/helper" 4>/dev/null 2> "$tmp/sanity.log" || true
	if grep -q 'error=\|verdict=refuse' "$tmp/sanity.log" ||
	    ! grep -q 'verdict=accept' "$tmp/sanity.log"; then
		echo "signals.sh: $f: not the accepted path: $(cat "$tmp/sanity.log")" >&2
		exit 111
	fi
	echo "$f: $(sed 's/^rcptcheck-overlimit: //' "$tmp/sanity.log")"
done

echo ""
echo "== timing: $N calls per round, $ROUNDS rounds, the order rotates"
nf=${#figures[@]}
for (( r = 0; r < ROUNDS; r++ )); do
	for (( k = 0; k < nf; k++ )); do
		f=${figures[$(( (r + k) % nf ))]}
		d="$tmp/r$r/$f"; mkdir -p "$d"
		envfor "$f" "$d"
		out=$(env -i "${ENV[@]}" "$tmp/eb" "$N" "$tmp/helper" 2>>"$tmp/log.$f")
		printf '%s\n' "$out" | sed -n 's/.*median_us=\([0-9.]*\).*/\1/p' >> "$tmp/res.$f"
	done
	rm -rf "$tmp/r$r"
done
med() { sort -g "$1" | awk '{v[NR]=$1} END { if (NR % 2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2] + v[NR/2+1]) / 2 }'; }
declare -A M
for f in "${figures[@]}"; do M[$f]=$(med "$tmp/res.$f"); done
if [ "$DOVG" = 1 ] && command -v valgrind > /dev/null 2>&1; then
	declare -A I
	for f in "${figures[@]}"; do
		d="$tmp/vg/$f"; mkdir -p "$d"
		envfor "$f" "$d"
		for c in 1 2 3; do
			I[$f]=$(env -i "${ENV[@]}" valgrind --tool=callgrind \
			    --callgrind-out-file=/dev/null "$tmp/helper" 4>/dev/null 2>&1 |
			    sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p' || true)
		done
	done
fi
echo ""
printf '%-40s %10s %9s %14s %10s\n' figure median_us "vs base" instructions "vs base"
for f in "${figures[@]}"; do
	ref=base; case $f in ip6exact) ref=ip6 ;; esac
	printf '%-40s %10s %+8.1f%% %14s %+10s\n' "$(label "$f")" "${M[$f]}" \
	    "$(awk -v a="${M[$f]}" -v b="${M[$ref]}" 'BEGIN{print (a-b)*100/b}')" \
	    "${I[$f]:--}" "$( [ -n "${I[$f]:-}" ] && echo $(( I[$f] - I[$ref] )) || echo -)"
done
echo "(instructions: the third call of a fresh directory, callgrind 'Collected';"
echo " ip6exact is compared with ip6)"
grep -h 'error=' "$tmp"/log.* 2>/dev/null | head -3 >&2 || true
