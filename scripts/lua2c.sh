#!/bin/sh
# lua2c.sh SCRIPT: the Redis script as C strings for src/rstore.c (make
# writes build/gen/decide.lua.h with it): comment lines and indentation
# dropped; DECIDE_LUA_SHA1, its SHA-1 (EVALSHA's name for it) computed on
# the very bytes of decide_lua; decide_lib, the same code as a function
# library for FUNCTION LOAD, named DECIDE_LIB_NAME ("rol_" and that SHA-1:
# a helper calls only the library made from its own script). In the
# library the script's body, but its first code line ("local KEYS, ARGV =
# KEYS, ARGV") and its last ("return run()"), is a function run once, at
# the first call (Redis 7.0 loads a library with no global but redis: no
# bit, string, math yet), that returns run; the function of that name
# sets KEYS and ARGV from its arguments and returns run().
set -e
tmp=$(mktemp)
lib=$(mktemp)
trap 'rm -f "$tmp" "$lib"' EXIT
sed -e 's/^[[:space:]]*//' -e '/^--/d' -e '/^$/d' "$1" > "$tmp"
sha=$(sha1sum < "$tmp" | cut -d' ' -f1)
name=rol_$sha
if [ "$(head -n 1 "$tmp")" != 'local KEYS, ARGV = KEYS, ARGV' ] ||
    [ "$(tail -n 1 "$tmp")" != 'return run()' ]; then
	echo "lua2c.sh: $1: the first code line is not \"local KEYS, ARGV = KEYS, ARGV\" or the last not \"return run()\"" >&2
	exit 1
fi
{
	echo "#!lua name=$name"
	echo 'local KEYS, ARGV, run'
	echo 'local function body()'
	sed -e '1d' -e '$d' "$tmp"
	echo 'return run'
	echo 'end'
	echo "redis.register_function('$name', function(keys, args)"
	echo 'KEYS, ARGV = keys, args'
	echo 'if run == nil then run = body() end'
	echo 'return run()'
	echo 'end)'
} > "$lib"
echo "/* generated from $1 by scripts/lua2c.sh: do not edit */"
echo "#define DECIDE_LUA_SHA1 \"$sha\""
echo "#define DECIDE_LIB_NAME \"$name\""
echo "static const char decide_lua[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$tmp"
echo ";"
echo "static const char decide_lib[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$lib"
echo ";"
