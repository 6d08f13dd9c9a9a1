#!/bin/sh
# run.sh: a bounded run of each libFuzzer harness (make fuzz-run).
#
#   FUZZ_SECONDS=20 sh tests/fuzz/run.sh build/fuzz/fuzz_rule ...
#
# Each harness starts from its seed corpus tests/fuzz/corpus/NAME (read
# only: new inputs go to a temporary corpus, or to $FUZZ_CORPUS_OUT/NAME
# when that is set) and runs for FUZZ_SECONDS seconds (-max_total_time).
# A crash, a leak, a sanitizer report, a failed invariant, an input that
# takes over 10 s (a hang) or over 2 GB fails the harness; the input is
# kept in $FUZZ_ARTIFACTS (default build/fuzz/crashes/) as the reproducer:
#   build/fuzz/fuzz_NAME build/fuzz/crashes/crash-...
# Prints per harness "ok NAME: figures" or "FAIL NAME: ...", and ends with
# "N passed, M failed"; exits 1 when M > 0.
set -u
cd "$(dirname "$0")/../.." || exit 2
SECS=${FUZZ_SECONDS:-20}
ART=${FUZZ_ARTIFACTS:-build/fuzz/crashes}
mkdir -p "$ART" || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fuzzrun.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
		work=$FUZZ_CORPUS_OUT/$name
	else
		work=$TMP/$name
	fi
	mkdir -p "$work" || exit 2
	case $name in
	store) maxlen=16384 ;;		# room for compaction (256+ records)
	limits) maxlen=16384 ;;		# a CDB is at least 2048 bytes
	*) maxlen=4096 ;;
	esac
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "FAIL $name: $bin or $seeds missing (make fuzz)"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$TMP/tmp" || exit 2
	TMPDIR=$TMP/tmp "$bin" -max_total_time="$SECS" -max_len="$maxlen" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ART/" \
	    "$work" "$seeds" > "$TMP/log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$TMP/log")
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$TMP/log" | tail -n 1)
	if [ "$st" -eq 0 ] && grep -q '^Done [0-9]* runs' "$TMP/log"; then
		pass=$((pass + 1))
		echo "ok $name: ${SECS}s, $execs runs, $rate exec/s, $cov"
	else
		fail=$((fail + 1))
		echo "FAIL $name: exit $st after $execs runs"
		grep -E '^(fuzz_[a-z]+:|==[0-9]+==ERROR|SUMMARY|artifact_prefix|.*runtime error)' \
		    "$TMP/log" | head -n 8
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
