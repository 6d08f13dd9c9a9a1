#!/bin/sh
# lint.sh: static analysis of src/ and the four programs (make lint-c):
# cppcheck and clang-tidy (checks: .clang-tidy) must report nothing.
# A false positive is suppressed inline, next to the code, with the reason
# (grep -rn 'cppcheck-suppress\|NOLINT' src *.c).
# Prints "ok TOOL" / "FAIL TOOL" and ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 2
SRC="src/prog.c src/name.c src/ident.c src/option.c src/grammar.c src/codec.c
src/compile.c src/lookup.c src/dest.c src/destset.c src/policy.c src/counter.c src/side.c src/decide.c
src/logline.c src/report.c src/reply.c src/notify.c src/rcli.c src/rstore.c
rcptcheck-overlimit.c cdbmake-limits.c overlimit-cleanup.c overlimitctl.c"
DEFS="-D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DLIBBSD_OPENBSD_VIS"
OUT=$(mktemp) || exit 2
# src/rstore.c includes the script as generated C (make's rule)
make -s build/gen/decide.lua.h || exit 2
trap 'rm -f "$OUT"' EXIT
pass=0 fail=0

# cppcheck: without the system headers (it cannot follow libbsd's
# #include_next overlay). --suppress=variableScope: the code declares its
# variables at the top of a function (style(9)); cppcheck's advice to move
# them into inner blocks is style, not a defect.
if command -v cppcheck >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	if cppcheck --enable=warning,style,performance,portability \
	    --error-exitcode=1 --inline-suppr -q --std=c99 -D__linux__ $DEFS \
	    --suppress=variableScope -Isrc -Ibuild/gen $SRC > "$OUT" 2>&1 && ! [ -s "$OUT" ]; then
		pass=$((pass + 1)); echo "ok cppcheck ($(cppcheck --version))"
	else
		fail=$((fail + 1)); echo "FAIL cppcheck"; cat "$OUT"
	fi
else
	fail=$((fail + 1)); echo "FAIL cppcheck: not installed"
fi

if command -v clang-tidy >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	if clang-tidy -quiet $SRC -- -std=c99 $DEFS $(pkg-config --cflags \
	    libbsd-overlay) -Isrc -Ibuild/gen > "$OUT" 2>&1 &&
	    ! grep -Eq '(warning|error):' "$OUT"; then
		pass=$((pass + 1)); echo "ok clang-tidy ($(clang-tidy --version | grep -o 'version [0-9.]*'))"
	else
		fail=$((fail + 1)); echo "FAIL clang-tidy"
		grep -E -A3 '(warning|error):' "$OUT" | head -n 60
	fi
else
	fail=$((fail + 1)); echo "FAIL clang-tidy: not installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
