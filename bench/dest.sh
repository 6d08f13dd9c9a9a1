#!/bin/bash
#
# bench/dest.sh: what destination rules cost a relayed recipient, measured
# as run.sh measures (fork, fd 4 = pipe, exec, wait: execbench) and in
# instructions (callgrind). The same helper and client (an auth user whose
# limit accepts every call) under four control files: no destination rule
# (the reference), a set of 10 patterns, a set of 100,000 patterns (both:
# the recipient matches none of them, so that every probe is made: its
# address, its domain, the label suffixes, the wildcard list), and the 10
# with a recipient they deny (exit 100, no counter touched).
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
cp "$root/build/bench/execbench" "$tmp/eb"

U=user@example.com
ten() {
	printf '%s\n' "$U>boss@corp.example:deny" "$U>@partner.example:allow" \
	    "$U>a@b.example:deny" "$U>@.gov.example:deny" "$U>c@d.example:deny" \
	    "$U>@x.example:deny" "$U>@.y.example:deny" "$U>info-*@*:deny" \
	    "$U>@z.example:deny" "$U>*@*.spam.example:deny"
}
big() {
	awk -v u="$U" 'BEGIN {
	    for (i = 1; i <= 40000; i++) printf "%s>user%d@example.net:deny\n", u, i
	    for (i = 1; i <= 30000; i++) printf "%s>@d%d.example:deny\n", u, i
	    for (i = 1; i <= 29937; i++) printf "%s>@.s%d.l%d.example:deny\n", u, i, i % 5
	    for (i = 1; i <= 63; i++) printf "%s>w%d-*@*:deny\n", u, i }'
}
{ echo ":100000000/1d"; } > "$tmp/none"
{ echo ":100000000/1d"; ten; } > "$tmp/ten"
{ echo ":100000000/1d"; big; } > "$tmp/big"
cp "$tmp/ten" "$tmp/deny"
for f in none ten big deny; do
	"$cdbmake" "$tmp/$f.cdb" "$tmp/$f.tmp" < "$tmp/$f" 2> "$tmp/$f.warn"
done
figures=(none ten big deny)
label() {
	case $1 in
	none) echo "no destination rule (the reference)" ;;
	ten)  echo "a set of 10 patterns, none matches" ;;
	big)  echo "a set of 100,000 patterns, none matches" ;;
	deny) echo "the 10, the recipient denied (exit 100)" ;;
	esac
}
rcptof() {
	case $1 in
	deny) echo "x@a.b.spam.example" ;;
	*) echo "someone@a.b.c.example.org" ;;
	esac
}
envfor() { # FIGURE DIR
	ENV=(PATH=/usr/bin:/bin TCPREMOTEIP=192.0.2.10 TCPREMOTEPORT=40000
	    TCPLOCALIP=192.0.2.1 SENDER=$U HELO=client.example.com USE_FD4=1
	    SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 RELAYCLIENT= SMTPAUTHUSER=$U
	    RECIPIENT="$(rcptof "$1")" OVERLIMIT_DIR="$2"
	    OVERLIMIT_CDB="$tmp/$1.cdb")
}
for f in "${figures[@]}"; do
	mkdir -p "$tmp/sanity/$f"
	envfor "$f" "$tmp/sanity/$f"
	env -i "${ENV[@]}" "$tmp/helper" 4>/dev/null 2> "$tmp/sanity.log" || true
	want=accept; [ "$f" = deny ] && want=deny
	if ! grep -q "verdict=$want" "$tmp/sanity.log" || grep -q 'error=' "$tmp/sanity.log"; then
		echo "dest.sh: $f: not the $want path: $(cat "$tmp/sanity.log")" >&2
		exit 111
	fi
	echo "$f ($(grep -c '>' "$tmp/$f" || true) patterns, $(wc -c < "$tmp/$f.cdb") bytes): $(sed 's/^rcptcheck-overlimit: //' "$tmp/sanity.log")"
done

echo ""
echo "== timing: $N calls per round, $ROUNDS rounds, the order rotates"
nf=${#figures[@]}
for (( r = 0; r < ROUNDS; r++ )); do
	for (( k = 0; k < nf; k++ )); do
		f=${figures[$(( (r + k) % nf ))]}
		d="$tmp/r$r/$f"; mkdir -p "$d"
		envfor "$f" "$d"
		# execbench exits 1 when a run did not exit 112: the denials
		out=$(env -i "${ENV[@]}" "$tmp/eb" "$N" "$tmp/helper" 2>>"$tmp/log.$f" ||
		    [ "$f" = deny ])
		printf '%s\n' "$out" | sed -n 's/.*median_us=\([0-9.]*\).*/\1/p' >> "$tmp/res.$f"
	done
	rm -rf "$tmp/r$r"
done
med() { sort -g "$1" | awk '{v[NR]=$1} END { if (NR % 2) printf "%.1f", v[(NR+1)/2]; else printf "%.1f", (v[NR/2] + v[NR/2+1]) / 2 }'; }
declare -A M I
for f in "${figures[@]}"; do M[$f]=$(med "$tmp/res.$f"); done
if [ "$DOVG" = 1 ] && command -v valgrind > /dev/null 2>&1; then
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
printf '%-42s %10s %9s %14s %10s\n' figure median_us "vs none" instructions "vs none"
for f in "${figures[@]}"; do
	printf '%-42s %10s %+8.1f%% %14s %+10s\n' "$(label "$f")" "${M[$f]}" \
	    "$(awk -v a="${M[$f]}" -v b="${M[none]}" 'BEGIN{print (a-b)*100/b}')" \
	    "${I[$f]:--}" "$( [ -n "${I[$f]:-}" ] && echo $(( I[$f] - I[none] )) || echo -)"
done
echo "(instructions: the third call of a fresh directory, callgrind 'Collected')"
