#!/bin/sh
# Install what building (deps.sh build) or testing (deps.sh test) needs,
# from Debian's packages; does nothing when all are there already.
set -e
pkgs="build-essential pkg-config libcdb-dev libbsd-dev libhiredis-dev"
if [ "$1" = test ]; then
	pkgs="$pkgs tinycdb check valgrind clang libclang-rt-14-dev mandoc"
	pkgs="$pkgs cppcheck clang-tidy"
	# the Redis store's tests: servers, a sentinel, redis-cli; the clock
	# of the property test
	pkgs="$pkgs redis-server redis-sentinel redis-tools faketime libfaketime"
	# nice to have: tests that need them say "skip" without them
	optional="python3 systemd"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
optmissing=
for p in ${optional:-}; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    optmissing="$optmissing $p"
done
[ -z "$missing$optmissing" ] && exit 0
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
if [ -n "$missing" ]; then
	echo "installing:$missing"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
if [ -n "$optmissing" ]; then
	echo "installing (optional):$optmissing"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $optmissing \
	    >/dev/null || echo "optional packages not installed:$optmissing"
fi
