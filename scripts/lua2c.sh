#!/bin/sh
# lua2c.sh SCRIPT: the Redis script as a C string for src/rstore.c
# (make writes build/gen/decide.lua.h with it): comment lines and indentation
# dropped, its SHA-1 (EVALSHA's name for it) computed on the very bytes
# of the string.
set -e
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -e 's/^[[:space:]]*//' -e '/^--/d' -e '/^$/d' "$1" > "$tmp"
sha=$(sha1sum < "$tmp" | cut -d' ' -f1)
echo "/* generated from $1 by scripts/lua2c.sh: do not edit */"
echo "#define DECIDE_LUA_SHA1 \"$sha\""
echo "static const char decide_lua[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$tmp"
echo ";"
