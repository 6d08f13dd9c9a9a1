#!/bin/bash
# test.sh: build and run the whole test suite on a fresh Debian machine
# (what CI runs, through .ci/run). Installs its dependencies
# (scripts/deps.sh test), then:
#
#   builds   gcc (the shipped build), clang (-Wall -Wextra -Werror: a
#            warning-free build), AddressSanitizer+UBSan, and a dynamic
#            -O1 build for valgrind; each into build/NAME/
#   stages   the Check unit tests under gcc, clang, ASan+UBSan and valgrind;
#            every runner of tests/runners under the builds named there
#            (gcc, asan, valgrind: the programs under memcheck); cppcheck
#            and clang-tidy; each libFuzzer harness (FUZZ_SECONDS, default
#            20 s); mandoc -T lint of the man pages
#
# The stages run TEST_JOBS at a time (default: the number of CPUs); the
# output of each is printed whole when it ends. Then a table: every stage,
# its wall time, passed, failed, and whether it failed; the stages that
# failed are named; the last line is "N passed, M failed" over all stages
# (a stage that broke without a result line counts as one failure). Exit
# non-zero on any failure.
set -u -o pipefail
cd "$(dirname "$0")"
T0=$(date +%s)
echo "### test.sh: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
t=$(date +%s)
bash scripts/deps.sh test || { echo "cannot install the dependencies"; exit 1; }
DEPS_TIME=$(($(date +%s) - t))

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
chmod 755 "$OUT"
JOBS=${TEST_JOBS:-$(nproc)}

# ------------------------------------------------------------ builds
# build NAME MAKE-ARGS...: build/NAME, programs and test programs; a
# warning is an error (-Werror)
BUILDS_BROKEN=
BUILD_TIMES=
build() {
	local name=$1 t
	shift
	t=$(date +%s)
	echo "### build $name: make BUILD=build/$name $*"
	rm -rf "build/$name"
	if make -s BUILD="build/$name" "$@" tests; then
		BUILD_TIMES="$BUILD_TIMES build:$name=$(($(date +%s) - t))"
		return 0
	fi
	echo "### build $name failed"
	BUILDS_BROKEN="$BUILDS_BROKEN build:$name"
	BUILD_TIMES="$BUILD_TIMES build:$name=$(($(date +%s) - t))"
	return 1
}
ok_gcc=0 ok_clang=0 ok_asan=0 ok_vg=0
build gcc CC=gcc && ok_gcc=1
build clang CC=clang && ok_clang=1
build asan CC=gcc SAN=1 && ok_asan=1
# valgrind: a dynamic build (memcheck cannot follow malloc in a static one)
build vg CC=gcc STATIC= CFLAGS="-O1 -g" && ok_vg=1
t=$(date +%s)
if make -s fuzz; then ok_fuzz=1; else
	ok_fuzz=0; echo "### build fuzz failed"; BUILDS_BROKEN="$BUILDS_BROKEN build:fuzz"; fi
BUILD_TIMES="$BUILD_TIMES build:fuzz=$(($(date +%s) - t))"

# valgrind wrappers of the four programs, on copies in $OUT/bin (a
# directory every user can reach: the runners run some programs as
# nobody, and the tree may be in /root); their reports in $OUT/vg
VG=$OUT/vg
VGOPT="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --vgdb=no"
if [ "$ok_vg" = 1 ]; then
	mkdir -m 1777 "$VG"
	mkdir -m 755 "$OUT/bin" "$OUT/vgbin"
	for p in rcptcheck-overlimit cdbmake-limits overlimit-cleanup overlimitctl; do
		cp "build/vg/$p" "$OUT/bin/$p"
		# a log file of its own per run: a recycled pid must find no
		# file of another user (valgrind exits 1) nor overwrite a report
		printf '#!/bin/sh\nexec %s %s --log-file=%s/%s.%%p.$(date +%%s%%N) %s "$@"\n' \
		    "$(command -v valgrind)" "$VGOPT" "$VG" "$p" "$OUT/bin/$p" > "$OUT/vgbin/$p"
		chmod 755 "$OUT/vgbin/$p"
	done
fi
VGENV="RTS_LIGHT=1 RTS_SIMTIMEOUT=120 RTS_HELPER_TIMEOUT=120 RTS_BUILD=build/vg
RTS_HELPER=$OUT/vgbin/rcptcheck-overlimit RTS_HELPER_DYN=$OUT/vgbin/rcptcheck-overlimit
RTS_CDBMAKE=$OUT/vgbin/cdbmake-limits RTS_CLEANUP=$OUT/vgbin/overlimit-cleanup
RTS_CTL=$OUT/vgbin/overlimitctl"

# ------------------------------------------------------------ stages
# stage NAME COMMAND: queued; run by runall, TEST_JOBS at a time
NAMES=() CMDS=()
stage() { NAMES+=("$1"); CMDS+=("$2"); }

runners() { # BUILD: the runners of tests/runners that name it
	sed 's/#.*//' tests/runners | awk -v b="$1" 'NF { for (i = 2; i <= NF; i++) if ($i == b) print $1 }'
}
rname() { r=${1##*/}; echo "${r%.sh}"; }
slowfirst() { # the runners that take longest under memcheck first
	awk '{ print (/faults/ ? 0 : /lookup/ ? 1 : /signals/ ? 2 : /responses/ ? 3 : 4), $0 }' |
	    sort -s -n -k1,1 | cut -d' ' -f2
}

# the slow ones first (valgrind), so that the pool ends together
if [ "$ok_vg" = 1 ]; then
	# the slowest under memcheck first
	for r in $(runners valgrind | slowfirst); do
		stage "$(rname "$r") (valgrind)" "env $(echo $VGENV) sh $r"
	done
	stage "unit (valgrind)" "env CK_FORK=no valgrind $VGOPT ./build/vg/tests/unit"
fi
if [ "$ok_asan" = 1 ]; then
	for r in $(runners asan); do
		stage "$(rname "$r") (ASan+UBSan)" "env RTS_BUILD=build/asan RTS_CONC_REPEAT=5 SOAK_ROUNDS=2 RTS_SIMTIMEOUT=60 RTS_HELPER_TIMEOUT=60 sh $r"
	done
	stage "unit (ASan+UBSan)" "./build/asan/tests/unit"
fi
if [ "$ok_gcc" = 1 ]; then
	for r in $(runners gcc); do
		stage "$(rname "$r") (gcc)" "env RTS_BUILD=build/gcc sh $r"
	done
	stage "unit (gcc)" "./build/gcc/tests/unit"
fi
# clang: the warning-free build (above) and the unit tests; its black-box
# runs repeated the gcc ones
[ "$ok_clang" = 1 ] && stage "unit (clang)" "./build/clang/tests/unit"
# every runner of tests/runners is queued under each build it names
for b in gcc asan valgrind; do
	want=$(runners $b | wc -l)
	case $b in gcc) tag=gcc ;; asan) tag=ASan+UBSan ;; valgrind) tag=valgrind ;; esac
	got=$(printf '%s\n' "${NAMES[@]}" | grep -v '^unit ' | grep -c "($tag)\$")
	if [ "$got" -ne "$want" ]; then
		echo "### $b: $got runners queued of the $want in tests/runners"
		BUILDS_BROKEN="$BUILDS_BROKEN queue:$b"
	fi
done
# the model-based property test: random sequences over virtual days against
# an independent model of relaylimits(5) (libfaketime on the dynamic helper),
# then every replay of what it once found
if [ "$ok_gcc" = 1 ]; then
	stage "property (model, gcc)" "env PROP_HELPER=build/gcc/tests/rcptcheck-overlimit.dyn PROP_CDBMAKE=build/gcc/cdbmake-limits python3 tests/property/check.py"
	stage "property replays (gcc)" "p=0 f=0; for r in tests/property/replays/*.txt; do if env PROP_HELPER=build/gcc/tests/rcptcheck-overlimit.dyn PROP_CDBMAKE=build/gcc/cdbmake-limits python3 tests/property/check.py replay \"\$r\" > /dev/null 2>&1; then p=\$((p + 1)); echo \"ok \$r\"; else f=\$((f + 1)); echo \"FAIL \$r\"; fi; done; echo \"\$p passed, \$f failed\""
fi
# the Redis store: the runners whose cases make sense for a shared store,
# each against a redis-server of its own (RTS_STORE=redis: the same
# verdicts and log lines; what looks at counter files is skipped, saying
# so), and the property test's model against it, by the function library
# (FCALL, as INSTALL has it) and by the script (EVALSHA: a farm that has
# not loaded the library); tests/rts-redis.sh, its own faults and farms,
# is in tests/runners
if [ "$ok_gcc" = 1 ]; then
	for r in rts-lookup rts-store rts-responses rts-signals rts-dest \
	    rts-admin rts-cleanup; do
		stage "$r (redis, gcc)" "env RTS_STORE=redis RTS_BUILD=build/gcc RTS_CONC_REPEAT=5 sh tests/$r.sh"
	done
	stage "property (model, redis, gcc)" "env PROP_STORE=redis PROP_DECISIONS=20000 PROP_HELPER=build/gcc/tests/rcptcheck-overlimit.dyn PROP_CDBMAKE=build/gcc/cdbmake-limits python3 tests/property/check.py"
	stage "property (model, redis by the script, gcc)" "env PROP_STORE=redis PROP_REDIS_FUNCTION=0 PROP_DECISIONS=10000 PROP_HELPER=build/gcc/tests/rcptcheck-overlimit.dyn PROP_CDBMAKE=build/gcc/cdbmake-limits python3 tests/property/check.py"
fi
if [ "$ok_asan" = 1 ]; then
	stage "rts-store (redis, ASan+UBSan)" "env RTS_STORE=redis RTS_BUILD=build/asan RTS_CONC_REPEAT=2 RTS_SIMTIMEOUT=60 RTS_HELPER_TIMEOUT=60 sh tests/rts-store.sh"
fi
stage "lint (cppcheck, clang-tidy)" "sh scripts/lint.sh"
if [ "$ok_fuzz" = 1 ]; then
	stage "fuzz (libFuzzer, ${FUZZ_SECONDS:-20}s each)" \
	    "sh tests/fuzz/run.sh $(echo build/fuzz/fuzz_*)"
fi
stage "man pages (mandoc -T lint)" \
    "out=\$(mandoc -T lint -W warning docs/man/*.[58] 2>&1); if [ -z \"\$out\" ]; then echo '1 passed, 0 failed'; else echo \"\$out\"; echo '0 passed, 1 failed'; fi"

# run every stage, JOBS at a time; each writes $OUT/I.log, .rc, .time
runall() {
	local i n=${#NAMES[@]} t
	for ((i = 0; i < n; i++)); do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
		(
			t=$(date +%s)
			bash -c "${CMDS[$i]}" > "$OUT/$i.log" 2>&1 < /dev/null
			echo $? > "$OUT/$i.rc"
			echo $(($(date +%s) - t)) > "$OUT/$i.time"
			echo "### done: ${NAMES[$i]} ($(cat "$OUT/$i.time") s)"
		) &
	done
	wait
}
runall

# ------------------------------------------------------------ report
passed=0 failed=0 failures=
table=
for ((i = 0; i < ${#NAMES[@]}; i++)); do
	name=${NAMES[$i]}
	echo "### $name"
	cat "$OUT/$i.log"
	st=$(cat "$OUT/$i.rc" 2>/dev/null || echo 99)
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/$i.log" | tail -n 1)
	p=0 f=0 bad=
	if [ -z "$line" ]; then
		echo "### $name: no result line (exit $st)"
		bad=yes f=1
	else
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed*}
		if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "### $name: exit $st"
			bad=yes f=1
		fi
	fi
	[ "$f" -gt 0 ] && bad=yes
	passed=$((passed + p))
	failed=$((failed + f))
	[ -n "$bad" ] && failures="$failures|$name"
	table="$table$(printf '%6s  %6s  %6s  %-4s  %s' "$(cat "$OUT/$i.time" 2>/dev/null)" "$p" "$f" "${bad:+FAIL}" "$name")
"
done
if [ "$ok_vg" = 1 ]; then
	reports=$(find "$VG" -type f -size +0 | wc -l)
	echo "### valgrind reports from the programs: $reports"
	if [ "$reports" -ne 0 ]; then
		head -n 40 $(find "$VG" -type f -size +0 | head -n 3)
		failed=$((failed + 1))
		failures="$failures|valgrind reports of the programs"
	fi
fi
for b in $BUILDS_BROKEN; do
	failed=$((failed + 1))
	failures="$failures|$b"
done

echo
echo "### wall time per stage (s), $JOBS at a time; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s  %6s  %6s  %-4s  %s\n' time passed failed "" stage
printf '%6s  %6s  %6s  %-4s  %s\n' "$DEPS_TIME" - - "" "deps (scripts/deps.sh test)"
for bt in $BUILD_TIMES; do
	printf '%6s  %6s  %6s  %-4s  %s\n' "${bt#*=}" - - "" "${bt%=*}"
done
printf '%s' "$table"
echo "### total wall time: $(($(date +%s) - T0)) s"
if [ -n "$failures" ]; then
	echo "### failed stages:"
	printf '%s\n' "${failures#|}" | tr '|' '\n' | sed 's/^/    /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
