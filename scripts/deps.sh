#!/bin/sh
# Install what building (deps.sh build) or testing (deps.sh test) needs,
# from Debian's packages; does nothing when all are there already.
set -e
pkgs="build-essential pkg-config libcdb-dev libbsd-dev"
if [ "$1" = test ]; then
	pkgs="$pkgs tinycdb check valgrind clang libclang-rt-14-dev mandoc python3 systemd"
	pkgs="$pkgs cppcheck clang-tidy"
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
