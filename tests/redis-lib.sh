# redis-lib.sh: the Redis store for the black-box runners (sourced; the
# runner has ROOT, skip and an EXIT trap that kills $REDISPIDS).
#
# redis_start DIR [ARG...]: a redis-server on the unix socket DIR/redis.sock
# (no TCP port unless ARG says so), nothing saved; waits for its PING,
# bounded. Sets RPID (added to REDISPIDS). redis_stop PID: stop one by its
# pid, wait until it is gone (bounded).
#
# RTS_STORE=redis: redis_store DIR starts one server for the run (the
# function library loaded: RTS_REDIS_FUNCTION=0 not), and every
# helper the runner starts gets OVERLIMIT_REDIS ($REDISENV); redis_flush
# empties it (each test's setup). filestore NAME: true with the file
# store, else the case is skipped (it looks at the counter files).
REDISPIDS=${REDISPIDS:-}
RS_ENV=
RCLOCK=
REDISENV=
RSOCK=
RTS_STORE=${RTS_STORE:-file}

redis_start() {
    rs_dir=$1
    shift
    mkdir -p "$rs_dir" || return 1
    # shellcheck disable=SC2086 # RS_ENV: VAR=VALUE words for the server
    env $RS_ENV redis-server --port 0 --unixsocket "$rs_dir/redis.sock" --unixsocketperm 777 \
        --save '' --appendonly no --dir "$rs_dir" "$@" \
        > "$rs_dir/log" 2>&1 &
    RPID=$!
    REDISPIDS="$REDISPIDS $RPID"
    rs_i=0
    # PONG, or NOAUTH from a server with a password: it is up
    until redis-cli -s "$rs_dir/redis.sock" ping 2>&1 | grep -q '^PONG$\|^NOAUTH'; do
        rs_i=$((rs_i + 1))
        if [ "$rs_i" -gt 500 ] || ! kill -0 "$RPID" 2>/dev/null; then
            echo "rts: redis-server did not start: $(tail -n 3 "$rs_dir/log")" >&2
            redis_stop "$RPID"
            return 1
        fi
        sleep 0.01
    done
}

redis_stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null       # our child: reaped (else not ours to wait)
    rt_i=0
    while kill -0 "$1" 2>/dev/null && [ "$rt_i" -lt 500 ]; do
        rt_i=$((rt_i + 1))
        sleep 0.01
    done
}

redis_store() {
    [ "$RTS_STORE" = redis ] || return 0
    if ! command -v redis-server > /dev/null; then
        echo "rts: RTS_STORE=redis: redis-server is missing" >&2
        return 1
    fi
    # its wall clock is at's (tests/property/fakeclock.c: gettimeofday
    # reads $FAKECLOCK_FILE, the real clock while there is none)
    mkdir -p "$1" || return 1
    ${CC:-cc} -shared -fPIC -O2 -o "$1/fakeclock.so" \
        "$ROOT/tests/property/fakeclock.c" || return 1
    RCLOCK=$1/clock
    RS_ENV="LD_PRELOAD=$1/fakeclock.so FAKECLOCK_FILE=$RCLOCK"
    redis_start "$1" || return 1
    RS_ENV=
    RSOCK=$1/redis.sock
    # the function library, as INSTALL has it: the helper calls it (FCALL);
    # RTS_REDIS_FUNCTION=0: not loaded, the script (EVALSHA) decides
    if [ "${RTS_REDIS_FUNCTION:-1}" != 0 ]; then
        env -i OVERLIMIT_REDIS="unix:$RSOCK" OVERLIMIT_DIR="$1" "$OLCTL" load > /dev/null ||
            { echo "rts: overlimitctl load failed" >&2; return 1; }
    fi
    # long timeouts: a loaded machine slows a run down, never fails it
    REDISENV="OVERLIMIT_REDIS=unix:$RSOCK OVERLIMIT_REDIS_CONNECT_TIMEOUT=30000"
    REDISENV="$REDISENV OVERLIMIT_REDIS_TIMEOUT=60000"
    echo "# store: redis (unix:$RSOCK, function library ${RTS_REDIS_FUNCTION:-1})"
}

redis_flush() {
    [ -z "$RSOCK" ] || rcli flushall > /dev/null
}

# redis_at [SECONDS]: Redis's clock fixed at SECONDS, or real again
redis_at() {
    [ -n "$RSOCK" ] || return 0
    if [ $# -eq 0 ]; then
        rm -f "$RCLOCK"
    else
        printf '%s\n' "$1" > "$RCLOCK.tmp" && mv "$RCLOCK.tmp" "$RCLOCK"
    fi
}

filestore() {
    [ "$RTS_STORE" = file ] && return 0
    skip "$1" "looks at the file store's counter files (RTS_STORE=$RTS_STORE)"
    return 1
}

rcli() { redis-cli -s "$RSOCK" "$@"; }

# With RTS_STORE=redis: ollist (the counters as file names: Redis's
# counters and side states under the same names, NAME and NAME#x), olsane
# (nothing in the directory but the helper's tallies of errors), fileof, size (a checksum of the
# counter's records, which change as the file's size does); olhas NAME: is
# there such a counter; where NAME: how overlimitctl show names where it is
# kept. The file store keeps the harness's own.
olhas() {
    if [ -n "$RSOCK" ]; then
        case $1 in
        *'#x') [ "$(rcli exists "rol:x:${1%#x}")" = 1 ] ;;
        *) [ "$(rcli exists "rol:h:$1")" = 1 ] ;;
        esac
        return
    fi
    [ -f "$OL/$1" ]
}
where() {
    if [ -n "$RSOCK" ]; then
        printf 'key          rol:h:%s' "$1"
    else
        printf 'file         %s/%s' "$OL" "$1"
    fi
}
if [ "$RTS_STORE" = redis ]; then
    ollist() {
        { rcli --scan --pattern 'rol:h:*' | sed 's/^rol:h://'
          rcli --scan --pattern 'rol:x:*' | sed 's/^rol:x:\(.*\)$/\1#x/'; } |
            LC_ALL=C sort
    }
    # (the helper's tallies of errors stay in the directory: tally.h)
    olsane() { check "$1" "" "$(find "$OL" ! -path "$OL" ! -name .errors-accept ! -name .errors-defer ! -name .no-rcptcount -print)"; }
    fileof() { if olhas "$1"; then echo yes; else echo no; fi; }
    size() { rcli zrange "rol:r:$1" 0 -1 withscores | cksum | tr -d ' '; }
fi
# fcheck: check with the file store only (a file's size, what the cleanup
# does to files: Redis's keys expire by themselves)
fcheck() {
    if [ -z "$RSOCK" ]; then check "$@"; else skip "$1" "the file store's files (RTS_STORE=redis)"; fi
}
