#!/bin/bash
# test.sh: build and run the whole test suite on a fresh Debian machine
# (what CI runs): Check unit tests and the black-box rts tests, built with
# gcc and with clang (-Wall -Wextra -Werror), under AddressSanitizer+UBSan,
# and under valgrind; then the man page lint. Ends with one line
# "N passed, M failed" summing every runner; exits non-zero on any failure.
set -u -o pipefail
cd "$(dirname "$0")"
bash scripts/deps.sh test || { echo "cannot install the dependencies"; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
passed=0 failed=0 broken=0

# stage NAME COMMAND...: run a runner, add up its "N passed, M failed"
stage() {
	local name=$1 line p f
	shift
	echo "### $name"
	"$@" 2>&1 | tee "$OUT/log"
	local st=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "### $name: no result line (exit $st)"
		broken=$((broken + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "### $name: exit $st"
		broken=$((broken + 1))
	fi
}

build() { # make arguments: a clean build, stop on a warning
	echo "### build: make $*"
	make -s clean && make -s "$@" tests || { echo "### build failed: make $*"; broken=$((broken + 1)); return 1; }
}

if build CC=gcc; then
	stage "unit (gcc)" ./build/tests/unit
	stage "rts (gcc)" sh tests/rts.sh
	stage "rts-ops (gcc)" sh tests/rts-ops.sh
	stage "rts-responses (gcc)" sh tests/rts-responses.sh
	stage "rts-notify" sh contrib/notify/rts-notify.sh
	stage "rts-faults (gcc)" sh tests/rts-faults.sh
	stage "rts-signals (gcc)" sh tests/rts-signals.sh
	stage "soak (gcc)" sh tests/soak.sh
fi
if build CC=clang; then
	stage "unit (clang)" ./build/tests/unit
	stage "rts (clang)" env RTS_CONC_REPEAT=5 sh tests/rts.sh
	stage "rts-faults (clang)" sh tests/rts-faults.sh
	stage "rts-signals (clang)" sh tests/rts-signals.sh
fi
if build CC=gcc SAN=1; then
	stage "unit (ASan+UBSan)" ./build/tests/unit
	stage "rts (ASan+UBSan)" env RTS_CONC_REPEAT=5 sh tests/rts.sh
	stage "rts-ops (ASan+UBSan)" sh tests/rts-ops.sh
	stage "rts-responses (ASan+UBSan)" env RTS_CONC_REPEAT=3 sh tests/rts-responses.sh
	stage "rts-faults (ASan+UBSan)" sh tests/rts-faults.sh
	stage "rts-signals (ASan+UBSan)" sh tests/rts-signals.sh
	stage "soak (ASan+UBSan)" env SOAK_ROUNDS=2 sh tests/soak.sh
fi
# valgrind: a dynamic build (memcheck cannot follow malloc in a static one)
if build CC=gcc STATIC= CFLAGS="-O1 -g"; then
	VG="$OUT/vg"
	mkdir -m 1777 "$VG"
	for p in rcptcheck-overlimit cdbmake-limits overlimit-cleanup overlimitctl; do
		printf '#!/bin/sh\nexec %s -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --log-file=%s/%s.%%p %s "$@"\n' \
		    "$(command -v valgrind)" "$VG" "$p" "$PWD/build/$p" > "$OUT/$p"
		chmod 755 "$OUT/$p"
	done
	chmod 755 "$OUT"
	stage "unit (valgrind)" env CK_FORK=no valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite ./build/tests/unit
	stage "rts (valgrind)" env RTS_LIGHT=1 RTS_HELPER="$OUT/rcptcheck-overlimit" \
	    RTS_CDBMAKE="$OUT/cdbmake-limits" RTS_CLEANUP="$OUT/overlimit-cleanup" \
	    sh tests/rts.sh
	stage "rts-ops (valgrind)" env RTS_CTL="$OUT/overlimitctl" sh tests/rts-ops.sh
	stage "rts-signals (valgrind)" env RTS_LIGHT=1 \
	    RTS_HELPER="$OUT/rcptcheck-overlimit" RTS_CDBMAKE="$OUT/cdbmake-limits" \
	    RTS_CLEANUP="$OUT/overlimit-cleanup" sh tests/rts-signals.sh
	stage "rts-responses (valgrind)" env RTS_CONC_REPEAT=0 \
	    RTS_HELPER="$OUT/rcptcheck-overlimit" sh tests/rts-responses.sh
	reports=$(find "$VG" -type f -size +0 | wc -l)
	echo "### valgrind reports from the programs: $reports"
	if [ "$reports" -ne 0 ]; then
		head -n 40 $(find "$VG" -type f -size +0 | head -n 3)
		broken=$((broken + 1))
	fi
fi
stage "lint (cppcheck, clang-tidy)" sh scripts/lint.sh
# libFuzzer (clang, ASan+UBSan): a short bounded run of each harness from
# its seed corpus; FUZZ_SECONDS (default 20) each. A long run: see
# docs/RELIABILITY.md.
if make -s fuzz; then
	stage "fuzz (libFuzzer, ${FUZZ_SECONDS:-20}s each)" sh tests/fuzz/run.sh \
	    build/fuzz/fuzz_rule build/fuzz/fuzz_name build/fuzz/fuzz_store \
	    build/fuzz/fuzz_limits build/fuzz/fuzz_logline
else
	echo "### build failed: make fuzz"; broken=$((broken + 1))
fi
echo "### man pages: mandoc -T lint"
make -s lint || broken=$((broken + 1))
make -s clean && make -s tests

[ "$broken" -eq 0 ] || echo "### $broken stage(s) broken (build, exit status or valgrind)"
echo "$passed passed, $((failed + broken)) failed"
[ "$failed" -eq 0 ] && [ "$broken" -eq 0 ]
