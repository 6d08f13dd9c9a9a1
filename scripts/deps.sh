#!/bin/sh
# Install what building (deps.sh build) or testing (deps.sh test) needs,
# from Debian's packages; does nothing when all are there already. As root,
# or through sudo (which keeps DEBIAN_FRONTEND only when told: sudo env).
set -e
pkgs="build-essential pkg-config libcdb-dev libbsd-dev libhiredis-dev"
if [ "$1" = test ]; then
	pkgs="$pkgs tinycdb check valgrind clang libclang-rt-14-dev mandoc"
	pkgs="$pkgs cppcheck clang-tidy shellcheck faketime libfaketime"
	# python3: holds POSIX locks and binds sockets for the fault tests;
	# util-linux (setpriv): runs the programs as nobody where root would
	# bypass permissions
	pkgs="$pkgs python3 util-linux"
	# the Redis store's tests: servers, a sentinel, redis-cli
	pkgs="$pkgs redis-server redis-sentinel redis-tools"
fi
# Not installed on purpose: systemd. rts-install.sh verifies the units with
# systemd-analyze, which Debian 12 ships in the systemd package: a host run
# by daemontools must not get an init system as a side effect of its tests.
# Without it those checks are skipped, saying so.
missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # $missing: words
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
