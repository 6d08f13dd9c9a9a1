#!/bin/bash
#
# bench/run.sh: per-recipient cost of rcptcheck-overlimit, measured the way
# qmail-smtpd runs it (fork, fd 4 = pipe, execv, read fd 4 to EOF, waitpid),
# against a static no-op C program and against classic.sh (the classic
# shell approach), on an idle machine and with two CPU-bound background
# processes (started and stopped by this script), interleaved; and the
# system calls of each path (strace).  See bench/README.md.
#
# Environment:
#   BENCH_LOADS        "idle loaded" (default): the load states, each round
#                      runs every one (loaded: the no-op and helper rows)
#   BENCH_N            calls per round for the C programs (default 2000)
#   BENCH_ROUNDS       rounds; the programs alternate inside each round
#                      (default 5)
#   BENCH_CLASSIC_N    calls per round for classic.sh (default BENCH_N/20)
#   BENCH_CLASSIC_10K  1 (default) to also time classic.sh on a 10,000-line
#                      limits file, 0 to skip
#   BENCH_VALGRIND     1 (default) to count instructions with callgrind when
#                      valgrind is installed, 0 to skip
#   CC                 compiler for bench/*.c (default cc)
#   BENCH_HELPER, BENCH_CDBMAKE  other binaries to measure (default: the
#                      ones in build/, built by make)

set -eu
set -o pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${BENCH_N:-2000}
ROUNDS=${BENCH_ROUNDS:-5}
CN=${BENCH_CLASSIC_N:-$(( N / 20 ))}
[ "$CN" -ge 5 ] || CN=5
DO10K=${BENCH_CLASSIC_10K:-1}
DOVG=${BENCH_VALGRIND:-1}
CC=${CC:-cc}
helper=${BENCH_HELPER:-$root/build/rcptcheck-overlimit}
cdbmake=${BENCH_CDBMAKE:-$root/build/cdbmake-limits}
t_start=$(date +%s)

say() { printf '%s\n' "$*"; }
warn() { printf 'run.sh: WARNING: %s\n' "$*" >&2; WARNINGS=$(( ${WARNINGS:-0} + 1 )); }
now_ns() { date +%s%N; }

# ---------------------------------------------------------------- build
if [ ! -x "$helper" ] || [ ! -x "$cdbmake" ]; then
	say "building the programs: make -C $root all"
	make -C "$root" all >&2
fi
[ -x "$helper" ] || { say "run.sh: $helper missing after make" >&2; exit 111; }
[ -x "$cdbmake" ] || { say "run.sh: $cdbmake missing after make" >&2; exit 111; }
out=$root/build/bench
mkdir -p "$out"
$CC -O2 -static -o "$out/noop" "$here/noop.c"
$CC -std=c99 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -static -o "$out/floor" "$here/floor.c"
$CC -std=c99 -O2 -Wall -Wextra -Werror -o "$out/execbench" "$here/execbench.c"

tmp=$(mktemp -d)
BURN=
# the background load: two CPU-bound processes, stopped on any exit
burn_start() {
	for _ in 1 2; do
		sh -c 'while :; do :; done' &
		BURN="$BURN $!"
	done
}
burn_stop() {
	if [ -n "$BURN" ]; then
		# shellcheck disable=SC2086 # $BURN: pids
		kill $BURN 2>/dev/null || true
		# shellcheck disable=SC2086
		wait $BURN 2>/dev/null || true
	fi
	BURN=
	return 0
}
trap 'burn_stop; rm -rf "$tmp"' EXIT
LOADS=${BENCH_LOADS:-idle loaded}

# Run copies, so that a rebuild or 'make clean' during the run cannot pull
# the binaries away under us.
mkdir "$tmp/bin"
cp "$helper" "$tmp/bin/rcptcheck-overlimit"
cp "$cdbmake" "$tmp/bin/cdbmake-limits"
cp "$out/noop" "$out/floor" "$out/execbench" "$here/classic.sh" "$tmp/bin/"
helper_orig=$helper
helper_sum=$(sha256sum < "$helper" | cut -c1-16)
helper=$tmp/bin/rcptcheck-overlimit
cdbmake=$tmp/bin/cdbmake-limits
noop=$tmp/bin/noop
floorp=$tmp/bin/floor
eb=$tmp/bin/execbench
classic=$tmp/bin/classic.sh

# ---------------------------------------------------------------- machine
say "== machine"
say "nproc:      $(nproc)"
say "kernel:     $(uname -r)"
say "cpu:        $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
say "tmp dir fs: $(stat -f -c %T "$tmp") ($tmp)"
linkage() {
	if command -v readelf >/dev/null 2>&1; then
		if readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; then
			echo dynamic
		elif readelf -h "$1" 2>/dev/null | grep -q 'Type:.*DYN'; then
			echo static-pie
		else
			echo static
		fi
	else
		echo unknown
	fi
}
say "helper:     $helper_orig (run from a copy): $(linkage "$helper"), $(stat -c %s "$helper") bytes, sha256 $helper_sum..."
say "noop:       $(linkage "$noop"), $(stat -c %s "$noop") bytes"
say "N=$N per round for C programs, $CN for classic.sh, $ROUNDS rounds"

# ---------------------------------------------------------------- data
# 10 entries, every syntax of DESIGN.md.
cat > "$tmp/small" <<'EOF'
# benchmark limits file: 10 entries
:100000000
user@example.com:100000000/1h,100000000/1d
alice@example.com:500
bob@example.org:200/1d
@example.net:100/1h
1.2.3.4:3000
192.168.1.:100/1h
10.0.0.0/8:100/1h,1000/1d
[2001:db8::]/48:100/1h
[2001:db8::5]:50
EOF

# 1,000,000 entries: default, 998,998 users, 1,000 CIDR /24, the measured user.
t0=$(now_ns)
awk 'BEGIN {
	print ":100000000"
	for (i = 0; i < 998998; i++)
		printf "user%06d@example.com:%d\n", i, 100 + i % 900
	for (x = 0; x < 4; x++)
		for (y = 0; y < 250; y++)
			printf "10.%d.%d.0/24:%d/1h\n", x, y, 50 + y
	print "user@example.com:100000000/1h,100000000/1d"
}' > "$tmp/big"
t1=$(now_ns)
big_lines=$(wc -l < "$tmp/big")

# classic.sh files: classic syntax only (plain numbers).
cat > "$tmp/classic10" <<'EOF'
# benchmark limits file: 10 entries, classic syntax
:100000000
user@example.com:100000000
alice@example.com:500
bob@example.org:200
carol@example.net:100
1.2.3.4:3000
192.168.1.:100
10.0.0.1:100
dave@example.org:50
erin@example.org:50
EOF
awk 'BEGIN {
	print ":100000000"
	for (i = 0; i < 9998; i++)
		printf "user%06d@example.com:%d\n", i, 100 + i % 900
	print "user@example.com:100000000"
}' > "$tmp/classic10k"

if ! "$cdbmake" "$tmp/small.cdb" "$tmp/small.tmp" < "$tmp/small" 2> "$tmp/cdbmake-small.err"; then
	cat "$tmp/cdbmake-small.err" >&2
	say "run.sh: cdbmake-limits rejected the 10-entry file" >&2
	exit 111
fi
t2=$(now_ns)
if ! "$cdbmake" "$tmp/big.cdb" "$tmp/big.tmp" < "$tmp/big" 2> "$tmp/cdbmake-big.err"; then
	head -5 "$tmp/cdbmake-big.err" >&2
	say "run.sh: cdbmake-limits rejected the 1M-entry file" >&2
	exit 111
fi
t3=$(now_ns)
compile_ms=$(( (t3 - t2) / 1000000 ))
say ""
say "== limits files"
say "10 entries:  $(stat -c %s "$tmp/small.cdb") bytes CDB"
say "1M entries:  $big_lines lines, $(stat -c %s "$tmp/big") bytes text (generated in $(( (t1 - t0) / 1000000 )) ms)"
say "             cdbmake-limits: ${compile_ms} ms, $(stat -c %s "$tmp/big.cdb") bytes CDB"
[ -s "$tmp/cdbmake-big.err" ] && say "             cdbmake-limits said: $(head -1 "$tmp/cdbmake-big.err")"

# ---------------------------------------------------------------- environments
# What qmail-smtpd + tcpserver + the run script put in the environment.
base=(PATH=/usr/local/bin:/usr/bin:/bin
	TCPREMOTEIP=192.0.2.10 TCPREMOTEPORT=40000 TCPLOCALIP=192.0.2.1
	TCPLOCALPORT=587 TCPLOCALHOST=mx.example.com PROTO=TCP
	SENDER=user@example.com RECIPIENT=someone@example.org
	HELO=client.example.com USE_FD4=1 SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1
	"RCPTCHECK=$helper")
auth=(RELAYCLIENT= SMTPAUTHUSER=user@example.com
	SMTP_AUTH_USER=user@example.com SMTPAUTHMETHOD=login)

# env_for FIGURE DIR -> fills array ENV
env_for() {
	case $1 in
	noop)      ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/small.cdb") ;;
	inbound)   ENV=("${base[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/small.cdb") ;;
	floor)     ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/small.cdb") ;;
	relay10)   ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/small.cdb") ;;
	relay1m)   ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" OVERLIMIT_CDB="$tmp/big.cdb") ;;
	classic10) ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" LIMITS_FILE="$tmp/classic10") ;;
	classic10k) ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" LIMITS_FILE="$tmp/classic10k") ;;
	classic10log) ENV=("${base[@]}" "${auth[@]}" OVERLIMIT_DIR="$2" LIMITS_FILE="$tmp/classic10" CLASSIC_LOG=logger) ;;
	esac
}
prog_for() {
	case $1 in
	noop) echo "$noop" ;;
	floor) echo "$floorp" ;;
	inbound|relay10|relay1m) echo "$helper" ;;
	classic*) echo "$classic" ;;
	esac
}
n_for() {
	case $1 in
	classic*) echo "$CN" ;;
	*) echo "$N" ;;
	esac
}
label_for() {
	case $1 in
	noop)       echo "a  static no-op C program (baseline)" ;;
	floor)      echo "f  floor.c: the relay's system calls only" ;;
	inbound)    echo "b  helper, inbound (no RELAYCLIENT)" ;;
	relay10)    echo "c  helper, relay, auth, 10-entry CDB" ;;
	relay1m)    echo "d  helper, relay, auth, 1M-entry CDB" ;;
	classic10)  echo "e  classic.sh, 10-line file" ;;
	classic10k) echo "e' classic.sh, 10,000-line file" ;;
	classic10log) echo "e\" classic.sh, 10 lines, logger(1) forced" ;;
	esac
}

figures=(noop floor inbound relay10 relay1m classic10)
[ "$DO10K" = 1 ] && figures+=(classic10k)
# Without a syslog socket classic.sh logs with echo (one process fewer than
# the original): then also time it with the logger process forced.
if [ ! -S /dev/log ] && command -v logger > /dev/null 2>&1; then
	figures+=(classic10log)
fi

# ---------------------------------------------------------------- sanity
# The helper fails open (exit 112) on errors: check that it really counts,
# or the benchmark would time the error path.
say ""
say "== sanity"
mkdir "$tmp/sanity-in" "$tmp/sanity-r"
env_for relay10 "$tmp/sanity-r"
rc=0; env -i "${ENV[@]}" "$helper" 4>/dev/null 2> "$tmp/sanity-r.log" || rc=$?
say "relay call:   exit $rc, log: $(head -1 "$tmp/sanity-r.log")"
cf="$tmp/sanity-r/user@example.com"
if [ -f "$cf" ]; then
	say "              counter file $(stat -c %s "$cf") bytes"
else
	warn "relay call created no counter file user@example.com in OVERLIMIT_DIR: $(find "$tmp/sanity-r" -mindepth 1 -maxdepth 1 -printf "%f " | head -c 200)"
fi
env_for inbound "$tmp/sanity-in"
rc=0; env -i "${ENV[@]}" "$helper" 4>/dev/null 2> "$tmp/sanity-in.log" || rc=$?
say "inbound call: exit $rc, log: $(head -1 "$tmp/sanity-in.log")"
[ -z "$(ls -A "$tmp/sanity-in")" ] || warn "inbound call wrote into OVERLIMIT_DIR"
env_for relay1m "$tmp/sanity-r"
rc=0; env -i "${ENV[@]}" "$helper" 4>/dev/null 2> "$tmp/sanity-r1m.log" || rc=$?
say "1M call:      exit $rc, log: $(head -1 "$tmp/sanity-r1m.log")"
env_for classic10 "$tmp/sanity-r"
rc=0; env -i "${ENV[@]}" "$classic" 4>/dev/null 2> "$tmp/sanity-c.log" || rc=$?
say "classic.sh:   exit $rc, log: $(head -1 "$tmp/sanity-c.log")"

# ---------------------------------------------------------------- rounds
# results: $tmp/res.FIGURE holds one "median mean" line per round
say ""
say "== timing ($ROUNDS rounds; the order rotates each round)"
warm=$(( N / 20 )); [ "$warm" -ge 10 ] || warm=10
for f in "${figures[@]}"; do
	mkdir -p "$tmp/warm/$f"
	env_for "$f" "$tmp/warm/$f"
	n=$warm; case $f in classic*) n=5 ;; esac
	env -i "${ENV[@]}" "$eb" "$n" "$(prog_for "$f")" > /dev/null 2>> "$tmp/warm.log" || true
done

# the count in a counter file's header (DESIGN.md: the total at byte 24)
total_of() { [ -f "$1" ] && od -An -t u8 -j 24 -N 8 "$1" | tr -d ' ' || echo 0; }

# one round: every load state (the order alternating), under each every
# figure of that state (the order rotating); results in res.FIGURE.LOAD
read -r -a loads <<< "$LOADS"
loaded_figures=(noop floor inbound relay10 relay1m)
figures_of() { # LOAD -> FIG
	if [ "$1" = idle ]; then FIG=("${figures[@]}"); else FIG=("${loaded_figures[@]}"); fi
}
nl=${#loads[@]}
for (( r = 0; r < ROUNDS; r++ )); do
	for (( li = 0; li < nl; li++ )); do
	ld=${loads[$(( (r + li) % nl ))]}
	figures_of "$ld"
	nf=${#FIG[@]}
	line="round $(( r + 1 )) $ld:"
	if [ "$ld" = loaded ]; then burn_start; fi
	for (( k = 0; k < nf; k++ )); do
		f=${FIG[$(( (r + k) % nf ))]}
		d="$tmp/r$r/$ld/$f"
		mkdir -p "$d"
		env_for "$f" "$d"
		n=$(n_for "$f")
		rc=0
		out=$(env -i "${ENV[@]}" "$eb" "$n" "$(prog_for "$f")" 2>> "$tmp/log.$f") || rc=$?
		if [ "$rc" -ne 0 ]; then
			warn "$f round $(( r + 1 )) $ld: execbench exit $rc: $(grep '^execbench:' "$tmp/log.$f" | tail -1)"
		fi
		med=$(printf '%s\n' "$out" | sed -n 's/.*median_us=\([0-9.]*\).*/\1/p')
		mean=$(printf '%s\n' "$out" | sed -n 's/.*mean_us=\([0-9.]*\).*/\1/p')
		if [ -n "$med" ] && [ -n "$mean" ]; then
			echo "$med $mean" >> "$tmp/res.$f.$ld"
		else
			warn "$f round $(( r + 1 )) $ld: no result from execbench"
			med=none
		fi
		line="$line $f=$med"
		# The relay runs must have counted every call: a v1 file holds a
		# 256-byte header and one 16-byte record per second in which it
		# counted: at least one, at most one per call.
		case $f in
		relay*)
			cf="$d/user@example.com"
			got=$( [ -f "$cf" ] && stat -c %s "$cf" || echo 0)
			total=$(total_of "$cf")
			[ "$total" = "$n" ] || warn "$f round $(( r + 1 )) $ld: counted $total of $n calls ($got bytes)"
			;;
		inbound)
			[ -z "$(ls -A "$d")" ] || warn "inbound round $(( r + 1 )) $ld: files in OVERLIMIT_DIR"
			;;
		esac
	done
	if [ "$ld" = loaded ]; then burn_stop; fi
	say "$line"
	done
	rm -rf "$tmp/r$r"
done

for f in "${figures[@]}"; do
	if grep -q 'error=' "$tmp/log.$f" 2>/dev/null; then
		warn "$f: $(grep -c 'error=' "$tmp/log.$f") log lines with error=, first: $(grep -m1 'error=' "$tmp/log.$f")"
	fi
done

# median of column $1 in file $2
colmedian() {
	awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) printf "%.1f\n", v[(NR+1)/2];
		else printf "%.1f\n", (v[NR/2] + v[NR/2+1]) / 2 }'
}
declare -A MED MEAN
for ld in "${loads[@]}"; do
	figures_of "$ld"
	for f in "${FIG[@]}"; do
		touch "$tmp/res.$f.$ld"
		MED[$f.$ld]=$(colmedian 1 "$tmp/res.$f.$ld")
		MEAN[$f.$ld]=$(colmedian 2 "$tmp/res.$f.$ld")
	done
done

say ""
say "== per-call time, microseconds (median of the $ROUNDS round medians)"
for ld in "${loads[@]}"; do
	figures_of "$ld"
	case $ld in
	idle) say "-- idle" ;;
	loaded) say "-- loaded: two CPU-bound processes running (nproc $(nproc))" ;;
	esac
	printf '%-44s %8s %10s %10s   %s\n' "figure" "n/round" "median_us" "mean_us" "round medians"
	for f in "${FIG[@]}"; do
		printf '%-44s %8s %10s %10s   %s\n' "$(label_for "$f")" "$(n_for "$f")" \
			"${MED[$f.$ld]}" "${MEAN[$f.$ld]}" "$(awk '{printf "%s ", $1}' "$tmp/res.$f.$ld")"
	done
done

# median over the rounds of (FIGURE1 / FIGURE2 in the same round)
rratio() {
	paste -d' ' "$tmp/res.$1" "$tmp/res.$2" | awk '$1 > 0 && $3 > 0 {print $1 / $3}' |
		sort -g | awk '{v[NR]=$1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) printf "%.3f\n", v[(NR+1)/2];
		else printf "%.3f\n", (v[NR/2] + v[NR/2+1]) / 2 }'
}
ratio() {
	case "$1 $2" in *nan*) echo nan; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'
}
verdict() { # value op target
	[ "$1" = nan ] && { echo "n/a"; return; }
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		ok = (op == "<=") ? (v <= t) : (v >= t - 0.03 && v <= t + 0.03)
		print ok ? "ok" : "MISSED" }'
}
say ""
say "== ratios: of the medians above; in brackets the median of the per-round ratios"
for ld in "${loads[@]}"; do
	say "-- $ld"
	r1=$(ratio "${MED[relay10.$ld]}" "${MED[noop.$ld]}")
	r2=$(ratio "${MED[inbound.$ld]}" "${MED[noop.$ld]}")
	r3=$(ratio "${MED[relay1m.$ld]}" "${MED[relay10.$ld]}")
	printf '%-36s %8s  (%s)   %-16s %s\n' "helper relay / noop" "$r1" "$(rratio relay10.$ld noop.$ld)" "target <= 1.05" "$(verdict "$r1" "<=" 1.05)"
	printf '%-36s %8s  (%s)   %-16s %s\n' "helper inbound / noop" "$r2" "$(rratio inbound.$ld noop.$ld)" "target <= 1.02" "$(verdict "$r2" "<=" 1.02)"
	printf '%-36s %8s  (%s)   %-16s %s\n' "relay 1M entries / 10 entries" "$r3" "$(rratio relay1m.$ld relay10.$ld)" "target ~1.00" "$(verdict "$r3" "~" 1.00)"
	r7=$(ratio "${MED[floor.$ld]}" "${MED[noop.$ld]}")
	r8=$(ratio "${MED[relay10.$ld]}" "${MED[floor.$ld]}")
	printf '%-36s %8s  (%s)   %s\n' "floor / noop" "$r7" "$(rratio floor.$ld noop.$ld)" "the relay's system calls alone"
	printf '%-36s %8s  (%s)   %s\n' "helper relay / floor" "$r8" "$(rratio relay10.$ld floor.$ld)" "our code beyond them"
	say "(extra cost over the static no-op: relay $(awk -v a="${MED[relay10.$ld]}" -v b="${MED[noop.$ld]}" 'BEGIN{printf "%+.1f", a-b}') us, inbound $(awk -v a="${MED[inbound.$ld]}" -v b="${MED[noop.$ld]}" 'BEGIN{printf "%+.1f", a-b}') us per call)"
	[ "$ld" = idle ] || continue
	r4=$(ratio "${MED[classic10.$ld]}" "${MED[relay10.$ld]}")
	printf '%-36s %8s  (%s)\n' "classic.sh 10 lines / helper relay" "$r4" "$(rratio classic10.$ld relay10.$ld)"
	if [ "$DO10K" = 1 ]; then
		r5=$(ratio "${MED[classic10k.$ld]}" "${MED[relay10.$ld]}")
		printf '%-36s %8s  (%s)\n' "classic.sh 10k lines / helper relay" "$r5" "$(rratio classic10k.$ld relay10.$ld)"
	fi
	if [ -n "${MED[classic10log.$ld]:-}" ]; then
		r6=$(ratio "${MED[classic10log.$ld]}" "${MED[relay10.$ld]}")
		printf '%-36s %8s  (%s)\n' "classic.sh + logger / helper relay" "$r6" "$(rratio classic10log.$ld relay10.$ld)"
		say "(no syslog socket here: classic.sh logs with echo >&2 in e and e', one process"
		say " fewer than the original; e\" runs logger(1) per call as the original does,"
		say " its message is lost)"
	fi
done

# ---------------------------------------------------------------- syscalls
# The system calls of one call of each path, exec included (strace): the
# relay figure in its steady state (its counter file exists).
say ""
if command -v strace >/dev/null 2>&1; then
	say "== system calls per call (strace; the relay call's counter file exists)"
	sc() { # FIGURE DIR -> "N: name count, ..." of one call
		env_for "$1" "$2"
		env -i "${ENV[@]}" strace -qq -o "$tmp/strace" "$(prog_for "$1")" 4>/dev/null 2>/dev/null || true
		grep -v '^+++\|^---' "$tmp/strace" | sed 's/(.*//' | sort | uniq -c |
		    awk '{ n += $1; l = l sprintf("%s%s %d", l ? ", " : "", $2, $1) } END { printf "%d: %s\n", n, l }'
	}
	for f in noop floor inbound relay10 relay1m; do
		d="$tmp/sc/$f"; mkdir -p "$d"
		sc "$f" "$d" > /dev/null
		printf '%-44s %s\n' "$(label_for "$f")" "$(sc "$f" "$d")"
	done
else
	say "== system calls: strace is not installed (apt-get install strace)"
fi

# ---------------------------------------------------------------- valgrind
if [ "$DOVG" = 1 ] && command -v valgrind >/dev/null 2>&1; then
	say ""
	say "== instructions per call (valgrind --tool=callgrind, 'Collected' total)"
	# vg FIGURE DIR -> instruction count of one call
	vg() {
		env_for "$1" "$2"
		env -i "${ENV[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$(prog_for "$1")" 4>/dev/null 2>&1 |
			sed -n 's/^==[0-9]*== Collected : *\([0-9]*\).*/\1/p' || true
	}
	printf '%-44s %14s %14s %14s\n' "figure" "call 1" "call 2" "call 3"
	for f in noop inbound relay10 relay1m; do
		d="$tmp/vg/$f"; mkdir -p "$d"
		c1=$(vg "$f" "$d"); c2=$(vg "$f" "$d"); c3=$(vg "$f" "$d")
		printf '%-44s %14s %14s %14s\n' "$(label_for "$f")" "${c1:-?}" "${c2:-?}" "${c3:-?}"
		eval "VG_$f=\${c3:-0}"
	done
	say "(call 1 of the relay figures creates the counter file; calls 2-3 are the steady state)"
	# shellcheck disable=SC2154
	say "relay - noop: $(( VG_relay10 - VG_noop )) instructions; inbound - noop: $(( VG_inbound - VG_noop )); 1M - 10: $(( VG_relay1m - VG_relay10 ))"
fi

say ""
say "total wall time: $(( $(date +%s) - t_start )) s${WARNINGS:+, $WARNINGS warning(s) above}"
