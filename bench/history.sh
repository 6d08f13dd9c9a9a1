#!/bin/bash
#
# bench/history.sh: the cost of one recipient does not grow with the
# client's history. A strict client (5/30d:strict) refused with 1,000,000
# seconds of records inside its window (a 16 MB counter file: a month of
# a strict flood), against the same client with 10 records, measured as
# run.sh measures (execbench: fork, fd 4 a pipe, exec, wait) and in
# instructions (callgrind). Each refused attempt is counted (strict) in the
# record of its second, and its retry time is a binary search.
#
# Environment: BENCH_N calls per round (default 500), BENCH_ROUNDS (5),
# BENCH_RECORDS (1000000), BENCH_VALGRIND (1), BENCH_HELPER,
# BENCH_CDBMAKE, CC.

set -eu
set -o pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${BENCH_N:-500}
ROUNDS=${BENCH_ROUNDS:-5}
RECS=${BENCH_RECORDS:-1000000}
DOVG=${BENCH_VALGRIND:-1}
CC=${CC:-cc}
helper=${BENCH_HELPER:-$root/build/rcptcheck-overlimit}
cdbmake=${BENCH_CDBMAKE:-$root/build/cdbmake-limits}
[ -x "$helper" ] && [ -x "$cdbmake" ] || { echo "build first (make)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed to write the history" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$CC -std=c99 -O2 -Wall -Wextra -Werror -o "$tmp/eb" "$here/execbench.c"
printf ':5/30d:strict\n' | "$cdbmake" "$tmp/l.cdb" "$tmp/l.tmp"

# mkhist DIR NRECORDS: a counter file for 192.0.2.1 as the store writes it:
# one record a second, the last a second ago, all inside the window
mkhist() {
	mkdir -p "$1"
	python3 - "$1/192.0.2.1" "$2" <<'EOF'
import struct, sys, time
path, n = sys.argv[1], int(sys.argv[2])
now = int(time.time())
h = bytearray(256)
h[0:8] = b"RCPTOL1\n"
struct.pack_into("<IIIIQ", h, 8, 256, 16, n, 0, n)
struct.pack_into("<qqq", h, 40, now - 1, now - n - 10, 0)
with open(path, "wb") as f:
    f.write(h)
    step = 65536
    for lo in range(0, n, step):
        f.write(b"".join(struct.pack("<qQ", now - n + i, i + 1)
                         for i in range(lo, min(n, lo + step))))
EOF
	chmod 700 "$1"
	chmod 600 "$1/192.0.2.1"
}
mkhist "$tmp/big" "$RECS"
mkhist "$tmp/small" 10

run() { # DIR: BENCH_N refused attempts, the median in microseconds
	env -i RELAYCLIENT= TCPREMOTEIP=192.0.2.1 OVERLIMIT_DIR="$1" \
	    OVERLIMIT_CDB="$tmp/l.cdb" SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 \
	    "$tmp/eb" "$N" "$helper" 2>/dev/null > "$tmp/out" || true	# 113
	sed -n 's/.*median_us=\([0-9.]*\).*/\1/p' "$tmp/out"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== one refused attempt of a strict client (5/30d:strict), $N calls a round, $ROUNDS rounds"
: > "$tmp/b" && : > "$tmp/s"
for r in $(seq "$ROUNDS"); do
	run "$tmp/small" >> "$tmp/s"
	run "$tmp/big" >> "$tmp/b"
done
ms=$(median < "$tmp/s")
mb=$(median < "$tmp/b")
printf '%-44s %10s %10s\n' "history" "median_us" "ratio"
printf '%-44s %10s %10s\n' "10 records" "$ms" "1.00"
printf '%-44s %10s %10s\n' "$RECS records ($(( $(stat -c %s "$tmp/big/192.0.2.1") / 1048576 )) MB)" "$mb" \
    "$(awk -v a="$mb" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')"
echo "records after the runs: $(python3 -c 'import struct,sys; print(struct.unpack_from("<I", open(sys.argv[1],"rb").read(20), 16)[0])' "$tmp/big/192.0.2.1") (the attempts of a second share one record)"

if [ "$DOVG" = 1 ] && command -v valgrind >/dev/null; then
	echo "== instructions per refused attempt (callgrind 'Collected'), hints wrong (a fresh file) and right (after a call)"
	for d in small big; do
		mkhist "$tmp/v$d" "$( [ $d = big ] && echo "$RECS" || echo 10)"
		for k in fresh warm; do
			n=$(env -i RELAYCLIENT= TCPREMOTEIP=192.0.2.1 OVERLIMIT_DIR="$tmp/v$d" \
			    OVERLIMIT_CDB="$tmp/l.cdb" valgrind --tool=callgrind \
			    --callgrind-out-file=/dev/null "$helper" 2>&1 >/dev/null 4>/dev/null |
			    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' || true)
			printf '%-10s %-6s %12s\n' "$d" "$k" "$n"
		done
	done
fi
