#!/bin/bash
#
# classic.sh: our own re-implementation of the classic rcptcheck-overlimit.sh
# (v0.3) approach, as described in /work/shared/qmail-rcptcheck.md, written
# only as a comparison point for bench/run.sh.  It keeps the classic
# behaviour on purpose, quirks included (substring lookup, limit+1
# recipients, read-then-append race, case-sensitive counter names), and
# about the same number of processes per recipient (bash, tr, sed, grep,
# tail, cut, stat, logger).  Do not use it in production.
#
# Differences from the original, for the benchmark only:
#   * paths come from the environment instead of being hard-coded:
#       LIMITS_FILE   (default /var/qmail/control/relaylimits)
#       OVERLIMIT_DIR (default /var/qmail/overlimit)
#   * logging: CLASSIC_LOG=logger  -> logger(1) to syslog (mail.info)
#              CLASSIC_LOG=stderr  -> echo ... >&2 (no extra process)
#              unset (auto)        -> logger when /dev/log is a socket,
#                                     else echo ... >&2
#
# Exit codes as qmail-smtpd's RCPTCHECK expects: 112 go on, 113 over limit.

LIMITS=${LIMITS_FILE:-/var/qmail/control/relaylimits}
OVERLIMITDIR=${OVERLIMIT_DIR:-/var/qmail/overlimit}

case ${CLASSIC_LOG:-auto} in
logger) USE_LOGGER=1 ;;
stderr) USE_LOGGER=0 ;;
*) if [ -S /dev/log ] && command -v logger >/dev/null 2>&1; then
	USE_LOGGER=1
   else
	USE_LOGGER=0
   fi ;;
esac

log() {
	if [ "$USE_LOGGER" = 1 ]; then
		logger -i -t rcptcheck-overlimit -p mail.info -- "$*"
	else
		echo "rcptcheck-overlimit: $*" >&2
	fi
}

# Only relay clients (tcprules RELAYCLIENT or SMTP AUTH) are counted.
if [ -z "${RELAYCLIENT+set}" ]; then
	exit 112
fi

# Fail open: unreadable limits file or unwritable directory.
if [ ! -r "$LIMITS" ] || [ ! -d "$OVERLIMITDIR" ] || [ ! -w "$OVERLIMITDIR" ]; then
	exit 112
fi

# Keep only letters, digits, '.', '-', '_' and '@' of the auth user.
SMTPAUTHUSER=$(printf '%s' "$SMTPAUTHUSER" | LC_ALL=C tr -cd 'A-Za-z0-9._@-')

if [ -n "$SMTPAUTHUSER" ]; then
	CLIENT=$SMTPAUTHUSER
else
	CLIENT=$TCPREMOTEIP
fi

# Mail to our own domains is free.
if [ -n "$RCPTHOSTS" ]; then
	log "client=$CLIENT rcpthosts=1 not counted"
	exit 112
fi

# Limits file: '#' comments, blank lines and every space/tab ignored;
# case-insensitive substring search for "name:", the last match wins;
# a line ":N" is the default; no default line = unlimited.
LIMIT=$(sed -e 's/#.*//' -e 's/[ \t]//g' "$LIMITS" | grep -i -- "$CLIENT:" | tail -1 | cut -d: -f2)
if [ -z "$LIMIT" ]; then
	LIMIT=$(sed -e 's/#.*//' -e 's/[ \t]//g' "$LIMITS" | grep -- "^:" | tail -1 | cut -d: -f2)
fi
# 0, empty or non-numeric = unlimited.
case $LIMIT in
''|*[!0-9]*) LIMIT=0 ;;
esac

# Count = size of the client's file in bytes, 1 when it does not exist.
COUNTER="$OVERLIMITDIR/$CLIENT"
if [ -e "$COUNTER" ]; then
	CURRENT=$(stat -c %s -- "$COUNTER")
else
	CURRENT=1
fi

if [ "$LIMIT" -gt 0 ] && [ "$CURRENT" -gt "$LIMIT" ]; then
	log "client=$CLIENT limit=$LIMIT current=$CURRENT overlimit"
	exit 113
fi

printf X >> "$COUNTER" 2>/dev/null
log "client=$CLIENT limit=$LIMIT current=$CURRENT"
exit 112
