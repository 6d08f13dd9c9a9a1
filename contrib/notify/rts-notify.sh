#!/bin/sh
# shellcheck disable=SC2154 # nl, cr, BIG, IO, TMPBASE: set by tests/rts-lib.sh
# rts-notify.sh: black-box tests of the example OVERLIMIT_NOTIFY programs in
# contrib/notify/ (notify-mail, notify-vpopmail-disable, notify-sms), in the style
# of the other black-box runners (tests/rts-lib.sh).
#
#   sh contrib/notify/rts-notify.sh
#
# Each program is run as rcptcheck-overlimit runs it: env -i with PATH and
# the OVERLIMIT_* facts, no arguments, stdin on /dev/null; stdout and
# stderr are caught. Stub programs in a temporary directory stand in for
# qmail-inject, vmoduser and gammu-smsd-inject: each records its argument
# count, arguments (one "<arg>" a line), environment and standard input,
# and prints/exits what the test asks. Every functional test runs under
# the script's own #! and again under each other shell found (dash, bash,
# busybox sh, mksh, posh, yash).
#
# RTS_NOTIFY_SHELLS: the shells to run them under, separated by '|'
# (default: "#!|" and every one of those found; "#!" is the script's own).
# The programs run in a directory that holds a file named
# user@example.com, so that an unquoted glob would show.
#
# Prints "ok NAME" / "FAIL NAME: ..." / "skip NAME: ..." per check and ends
# with the line "N passed, M failed"; exits 1 when M > 0, 2 when it cannot
# start at all. The temporary directory is removed on exit. The harness
# (reporting, temporary directory) is tests/rts-lib.sh, as for every runner
# of tests/runners.

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P) || exit 2
# the harness of every runner: check, pass, fail, skip, finish, TMPBASE, IO
# shellcheck disable=SC1091 # not followed here: a runner of its own
. "$ROOT/tests/rts-lib.sh"
N=$ROOT/contrib/notify
PROGS="notify-mail notify-vpopmail-disable notify-sms"

for p in $PROGS; do
    if [ ! -f "$N/$p" ]; then
        echo "rts-notify: $N/$p is missing" >&2
        exit 2
    fi
done

STUB=$TMPBASE/stub      # the stand-ins and their records (IO: the
mkdir "$STUB" || exit 2 # programs' stdout and stderr)
PWNED=$TMPBASE/pwned    # made only if a hostile name reached a shell
CWD=$TMPBASE/cwd        # the programs' working directory
mkdir "$CWD" && : > "$CWD/user@example.com" || exit 2

for s in qmail-inject vmoduser gammu-smsd-inject; do
    cat > "$STUB/$s" <<EOF
#!/bin/sh
d='$STUB'
n='$s'
echo x >> "\$d/\$n.calls"
echo \$# > "\$d/\$n.argc"
: > "\$d/\$n.argv"
for a in "\$@"; do printf '<%s>\n' "\$a" >> "\$d/\$n.argv"; done
env > "\$d/\$n.env"
cat > "\$d/\$n.stdin"
if [ -f "\$d/\$n.say" ]; then cat "\$d/\$n.say"; cat "\$d/\$n.say" >&2; fi
if [ -f "\$d/\$n.exit" ]; then exit "\$(cat "\$d/\$n.exit")"; fi
exit 0
EOF
    chmod 755 "$STUB/$s" || exit 2
done

BIGNUM=$(head -c 102400 /dev/zero | tr '\0' '7') # 100 KB of digits
CTL=$(printf '\001\033[2J\177\200\377x\t')      # control and 8-bit bytes

# hostile client names: newline header injection, CRLF, an option, shell
# expansions, an end of header, control bytes, an RFC 2047 encoded word, 100 KB
HOSTILE_1="a${nl}Bcc: x@evil"
HOSTILE_2="a${cr}${nl}Bcc: x@evil"
HOSTILE_3="-rf"
HOSTILE_4="\$(touch $PWNED)"
HOSTILE_5="\`touch $PWNED\`"
HOSTILE_6="x;touch $PWNED"
HOSTILE_7="a${nl}${nl}body"
HOSTILE_8="$CTL"
HOSTILE_9="=?utf-8?b?QmNjOiB4QGV2aWw=?="
HOSTILE_10="$BIG"
HOSTILE_11="--help"
HOSTILE_N=11

hostile() { # I: c = the I-th hostile name
    case $1 in
    1) c=$HOSTILE_1 ;; 2) c=$HOSTILE_2 ;; 3) c=$HOSTILE_3 ;; 4) c=$HOSTILE_4 ;;
    5) c=$HOSTILE_5 ;; 6) c=$HOSTILE_6 ;; 7) c=$HOSTILE_7 ;; 8) c=$HOSTILE_8 ;;
    9) c=$HOSTILE_9 ;; 10) c=$HOSTILE_10 ;; 11) c=$HOSTILE_11 ;;
    esac
}

# resetstubs: forget what the stubs recorded, and what they were told
resetstubs() {
    rm -f "$STUB"/*.calls "$STUB"/*.argc "$STUB"/*.argv "$STUB"/*.env \
        "$STUB"/*.stdin "$STUB"/*.say "$STUB"/*.exit "$PWNED"
}

SH=             # the shell under test: empty = the script's #!

# run PROG [NAME=VALUE]...: PROG under env -i with PATH and the default
# facts, then the given ones (a later one wins); RC, $IO/out, $IO/err.
# Stubs are reset first: set $STUB/NAME.exit and .say after calling
# resetstubs and run with RUN_KEEP=1.
run() {
    r_prog=$1
    shift
    [ "${RUN_KEEP:-0}" = 1 ] || resetstubs
    # shellcheck disable=SC2086 # $SH: empty or a command and its argument
    env -i PATH=/usr/local/bin:/usr/bin:/bin \
        OVERLIMIT_EVENT=over OVERLIMIT_CLIENT=user@example.com \
        OVERLIMIT_KIND=user OVERLIMIT_RULE=@example.com OVERLIMIT_LINE=12 \
        OVERLIMIT_COUNT=200 OVERLIMIT_LIMIT=200 OVERLIMIT_PERIOD=1h \
        OVERLIMIT_BANNED=0 OVERLIMIT_IP=192.0.2.7 \
        OVERLIMIT_SENDER=spam@example.net OVERLIMIT_HELO=pc17 \
        OVERLIMIT_RECIPIENT=victim@example.org OVERLIMIT_TIME=1700000000 \
        OVERLIMIT_HOST=mail.example.com \
        NOTIFY_QMAIL_INJECT="$STUB/qmail-inject" \
        NOTIFY_VMODUSER="$STUB/vmoduser" \
        NOTIFY_GAMMU_INJECT="$STUB/gammu-smsd-inject" \
        "$@" $SH "$N/$r_prog" </dev/null >"$IO/out" 2>"$IO/err"
    RC=$?
}

calls() { # STUB: how often it ran
    if [ -f "$STUB/$1.calls" ]; then wc -l < "$STUB/$1.calls" | tr -d ' '; else echo 0; fi
}

argv() { # STUB: its "<arg>" lines
    cat "$STUB/$1.argv" 2>/dev/null
}

args() { # ARG...: the "<arg>" lines that argv prints for these
    printf '<%s>\n' "$@"
}

# logline NAME PROG: stderr is exactly one line, "PROG: ..." in printable
# ASCII; stdout is empty
logline() {
    l_n=$(wc -l < "$IO/err" | tr -d ' ')
    l_bad=$(tr -d '\n -~' < "$IO/err" | wc -c | tr -d ' ')
    l_pre=$(head -c "$((${#2} + 2))" "$IO/err")
    l_last=$(tail -c 1 "$IO/err" | od -An -c | tr -d ' ')
    if [ "$l_n" = 1 ] && [ "$l_bad" = 0 ] && [ "$l_pre" = "$2: " ] &&
        [ "$l_last" = '\n' ] && [ ! -s "$IO/out" ]; then
        pass "$1"
    else
        fail "$1" "stderr: $l_n lines, $l_bad bad bytes, '$(cat "$IO/err")'; stdout '$(cat "$IO/out")'"
    fi
}

logsays() { # NAME TEXT: the log line holds TEXT
    if grep -F -e "$2" "$IO/err" >/dev/null; then
        pass "$1"
    else
        fail "$1" "'$2' not in '$(cat "$IO/err")'"
    fi
}

notpwned() { # NAME
    if [ -e "$PWNED" ]; then fail "$1" "a shell expansion ran"; else pass "$1"; fi
}

# ---------------------------------------------------------------- message checks

MSG=$STUB/qmail-inject.stdin

# msgok NAME: one message on qmail-inject's stdin, of printable ASCII and
# newlines only, lines of at most 998 bytes, ending with a newline; its
# header exactly To, [From,] Subject, Auto-Submitted, MIME-Version,
# Content-Type, Content-Transfer-Encoding, one line each, then a blank
# line and a body
msgok() {
    m_why=
    [ "$(calls qmail-inject)" = 1 ] || m_why="$m_why qmail-inject ran $(calls qmail-inject) times;"
    [ "$(tr -d '\n -~' < "$MSG" | wc -c | tr -d ' ')" = 0 ] || m_why="$m_why bytes outside printable ASCII;"
    [ "$(awk 'length > 998' "$MSG" | wc -l | tr -d ' ')" = 0 ] || m_why="$m_why a line over 998 bytes;"
    [ "$(tail -c 1 "$MSG" | od -An -c | tr -d ' ')" = '\n' ] || m_why="$m_why no final newline;"
    m_names=$(sed -n '/^$/q;s/:.*//p' "$MSG" | tr '\n' ' ')
    case $m_names in
    "To Subject Auto-Submitted MIME-Version Content-Type Content-Transfer-Encoding " | \
        "To From Subject Auto-Submitted MIME-Version Content-Type Content-Transfer-Encoding ") ;;
    *) m_why="$m_why header fields '$m_names';" ;;
    esac
    [ "$(sed -n '/^$/=' "$MSG" | head -n 1)" = 7 ] ||
        [ "$(sed -n '/^$/=' "$MSG" | head -n 1)" = 8 ] || m_why="$m_why header not 6-7 lines;"
    [ "$(sed '/^$/q' "$MSG" | grep -c '^[ 	]')" = 0 ] || m_why="$m_why folded header line;"
    [ "$(sed '1,/^$/d' "$MSG" | wc -l | tr -d ' ')" -gt 10 ] || m_why="$m_why no body;"
    if [ -z "$m_why" ]; then pass "$1"; else fail "$1" "$m_why"; fi
}

subject() { # the Subject: line
    sed -n '/^$/q;/^Subject: /p' "$MSG"
}

header() { # the header, without the blank line
    sed '/^$/q' "$MSG" | sed '/^$/d'
}

body() {
    sed '1,/^$/d' "$MSG"
}

bodyhas() { # NAME LINE: the body has exactly this line
    if body | grep -Fx -e "$2" >/dev/null; then
        pass "$1"
    else
        fail "$1" "no line '$2' in the body"
    fi
}

bodylacks() { # NAME REGEX: no body line matches
    if body | grep -E -e "$2" >/dev/null; then
        fail "$1" "body line matches '$2': '$(body | grep -E -e "$2" | head -n 1)'"
    else
        pass "$1"
    fi
}

# ---------------------------------------------------------------- static checks

static_checks() {
    for p in $PROGS; do
        if [ -x "$N/$p" ]; then pass "static: $p is executable"; else fail "static: $p is executable" "mode $(ls -l "$N/$p")"; fi
        check "static: $p starts with #!/bin/sh" "#!/bin/sh" "$(head -n 1 "$N/$p")"
        for sn in sh dash bash; do
            if command -v "$sn" >/dev/null 2>&1; then
                if e=$("$sn" -n "$N/$p" 2>&1); then pass "static: $sn -n $p"; else fail "static: $sn -n $p" "$e"; fi
            fi
        done
        if command -v shellcheck >/dev/null 2>&1; then
            if e=$(shellcheck -s sh "$N/$p" 2>&1); then pass "static: shellcheck $p"; else fail "static: shellcheck $p" "$e"; fi
        else
            skip "static: shellcheck $p" "shellcheck not installed (apt-get install shellcheck)"
        fi
    done
    if command -v shellcheck >/dev/null 2>&1; then
        if e=$(shellcheck -s sh "$ROOT/contrib/notify/rts-notify.sh" 2>&1); then pass "static: shellcheck rts-notify.sh"; else fail "static: shellcheck rts-notify.sh" "$e"; fi
    fi
}

# ---------------------------------------------------------------- notify-mail

mail_tests() {
    t="$1 mail"

    run notify-mail
    check "$t: over: exit 0" 0 "$RC"
    check "$t: over: qmail-inject -a -- postmaster" "$(args -a -- postmaster)" "$(argv qmail-inject)"
    check "$t: over: argc" 3 "$(cat "$STUB/qmail-inject.argc")"
    msgok "$t: over: one well-formed message"
    check "$t: over: header" "To: postmaster
Subject: rcptcheck-overlimit: user@example.com over 200/1h
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit" "$(header)"
    bodyhas "$t: over: event" "  event      over"
    bodyhas "$t: over: client" "  client     user@example.com"
    bodyhas "$t: over: kind" "  kind       SMTP-auth user"
    bodyhas "$t: over: rule" "  rule       @example.com (line 12 of the control file)"
    bodyhas "$t: over: count" "  count      200 recipients counted in the window"
    bodyhas "$t: over: limit" "  limit      200 in any 1h"
    bodyhas "$t: over: banned" "  banned     no"
    bodyhas "$t: over: ip" "  ip         192.0.2.7"
    bodyhas "$t: over: sender" "  sender     spam@example.net"
    bodyhas "$t: over: helo" "  helo       pc17"
    bodyhas "$t: over: recipient" "  recipient  victim@example.org"
    bodyhas "$t: over: time" "  time       1700000000 (2023-11-14 22:13:20 UTC)"
    bodyhas "$t: over: host" "  host       mail.example.com"
    bodyhas "$t: over: what happens" "refused (421) until its recipients of the last 1h fall below the limit."
    bodyhas "$t: over: show" "  overlimitctl show user@example.com       its counters and state"
    bodyhas "$t: over: explain" "  overlimitctl explain user@example.com    which rule applies, and why"
    bodyhas "$t: over: reset" "  overlimitctl reset user@example.com      lift the block at once"
    bodyhas "$t: over: password hint" "stolen: change the password before lifting the block."
    check "$t: over: QMAILUSER" "QMAILUSER=postmaster" "$(grep '^QMAILUSER=' "$STUB/qmail-inject.env")"
    check "$t: over: QMAILNAME" "QMAILNAME=rcptcheck-overlimit" "$(grep '^QMAILNAME=' "$STUB/qmail-inject.env")"
    logline "$t: over: one log line" notify-mail
    check "$t: over: log line" "notify-mail: mailed postmaster: event=over client=user@example.com" "$(cat "$IO/err")"

    run notify-mail OVERLIMIT_EVENT=warn OVERLIMIT_COUNT=150
    check "$t: warn: exit 0" 0 "$RC"
    msgok "$t: warn: message"
    check "$t: warn: subject" "Subject: rcptcheck-overlimit: user@example.com warning 150 of 200/1h" "$(subject)"
    bodyhas "$t: warn: it may still send" "200 in any 1h. It may still send."

    run notify-mail OVERLIMIT_EVENT=ban OVERLIMIT_BANNED=1
    check "$t: ban: exit 0" 0 "$RC"
    msgok "$t: ban: message"
    check "$t: ban: subject" "Subject: rcptcheck-overlimit: user@example.com banned 200/1h" "$(subject)"
    bodyhas "$t: ban: banned" "  banned     yes"
    bodyhas "$t: ban: until an admin" "further recipient is refused (421) until an admin lifts the ban."

    run notify-mail OVERLIMIT_PERIOD=reset OVERLIMIT_LIMIT=1000 OVERLIMIT_COUNT=1000
    check "$t: plain limit: subject" "Subject: rcptcheck-overlimit: user@example.com over 1000 until reset" "$(subject)"
    bodyhas "$t: plain limit: limit" "  limit      1000 until the counter is reset"

    run notify-mail OVERLIMIT_KIND=ip OVERLIMIT_CLIENT=2001:db8::5 OVERLIMIT_IP=2001:db8::5 OVERLIMIT_RULE=default
    check "$t: ipv6 client: exit 0" 0 "$RC"
    msgok "$t: ipv6 client: message"
    check "$t: ipv6 client: subject" "Subject: rcptcheck-overlimit: 2001:db8::5 over 200/1h" "$(subject)"
    bodyhas "$t: ipv6 client: kind" "  kind       IP address, no SMTP auth"
    bodyhas "$t: ipv6 client: reset" "  overlimitctl reset 2001:db8::5      lift the block at once"
    bodylacks "$t: ipv6 client: no password hint" "password"

    run notify-mail NOTIFY_TO="a@example.com b+x@example.org" NOTIFY_FROM=noreply@example.com
    check "$t: NOTIFY_TO, NOTIFY_FROM: exit 0" 0 "$RC"
    check "$t: NOTIFY_TO, NOTIFY_FROM: args" "$(args -a -f noreply@example.com -- a@example.com b+x@example.org)" "$(argv qmail-inject)"
    msgok "$t: NOTIFY_TO, NOTIFY_FROM: message"
    check "$t: NOTIFY_TO, NOTIFY_FROM: To, From" "To: a@example.com, b+x@example.org
From: noreply@example.com" "$(header | head -n 2)"
    check "$t: NOTIFY_FROM: no QMAILUSER" "" "$(grep '^QMAILUSER=' "$STUB/qmail-inject.env")"

    for bad in "-x" "a@b${nl}Bcc: c@d" "a@b,c@d" "<a@b>" " " "\$(touch $PWNED)" "*" "user@example.co?"; do
        run notify-mail NOTIFY_TO="$bad"
        check "$t: NOTIFY_TO '$(show "$bad")': exit 64" 64 "$RC"
        check "$t: NOTIFY_TO '$(show "$bad")': nothing sent" 0 "$(calls qmail-inject)"
        logline "$t: NOTIFY_TO '$(show "$bad")': one log line" notify-mail
        notpwned "$t: NOTIFY_TO '$(show "$bad")': no expansion"
    done
    run notify-mail NOTIFY_FROM=-oi
    check "$t: NOTIFY_FROM -oi: exit 64" 64 "$RC"
    check "$t: NOTIFY_FROM -oi: nothing sent" 0 "$(calls qmail-inject)"

    for ev in "" explode "over${nl}x"; do
        run notify-mail OVERLIMIT_EVENT="$ev"
        check "$t: event '$(show "$ev")': exit 64" 64 "$RC"
        check "$t: event '$(show "$ev")': nothing sent" 0 "$(calls qmail-inject)"
        logline "$t: event '$(show "$ev")': one log line" notify-mail
    done

    run notify-mail OVERLIMIT_HOST=
    check "$t: no OVERLIMIT_HOST: exit 0" 0 "$RC"
    bodyhas "$t: no OVERLIMIT_HOST: uname -n" "  host       $(uname -n)"

    # hostile client names
    i=1
    while [ "$i" -le "$HOSTILE_N" ]; do
        hostile "$i"
        h="$t: hostile client $i '$(show "$c" | cut -c1-30)'"
        run notify-mail OVERLIMIT_CLIENT="$c"
        check "$h: exit 0" 0 "$RC"
        check "$h: the same arguments" "$(args -a -- postmaster)" "$(argv qmail-inject)"
        msgok "$h: one well-formed message"
        subj=$(subject)
        if [ "${#subj}" -le 200 ]; then pass "$h: subject of at most 200 bytes"; else fail "$h: subject of at most 200 bytes" "${#subj} bytes"; fi
        case $subj in
        *"=?"*) fail "$h: no encoded word in the subject" "$subj" ;;
        *) pass "$h: no encoded word in the subject" ;;
        esac
        bodylacks "$h: no Bcc line" "^Bcc:"
        bodylacks "$h: no command with the name" "overlimitctl (show|explain|reset) "
        bodyhas "$h: told to list" "  overlimitctl list over"
        sz=$(wc -c < "$MSG" | tr -d ' ')
        if [ "$sz" -lt 4096 ]; then pass "$h: message under 4 KB"; else fail "$h: message under 4 KB" "$sz bytes"; fi
        logline "$h: one log line" notify-mail
        notpwned "$h: no expansion"
        i=$((i + 1))
    done
    run notify-mail OVERLIMIT_CLIENT="$HOSTILE_1"
    check "$t: newline client: subject" "Subject: rcptcheck-overlimit: a?Bcc: x@evil over 200/1h" "$(subject)"
    bodyhas "$t: newline client: shown" "  client     a?Bcc: x@evil"
    check "$t: newline client: log line" "notify-mail: mailed postmaster: event=over client=a?Bcc:?x@evil" "$(cat "$IO/err")"
    run notify-mail OVERLIMIT_CLIENT="$HOSTILE_9"
    check "$t: encoded-word client: subject" "Subject: rcptcheck-overlimit: =_utf-8?b?QmNjOiB4QGV2aWw=_= over 200/1h" "$(subject)"
    run notify-mail OVERLIMIT_CLIENT="$BIG"
    bodyhas "$t: 100 KB client: cut, length told" "  client     $(printf '%200s' '' | tr ' ' a)... (102400 bytes)"

    # the other hostile facts
    for v in OVERLIMIT_SENDER OVERLIMIT_HELO OVERLIMIT_RECIPIENT OVERLIMIT_RULE OVERLIMIT_IP OVERLIMIT_HOST OVERLIMIT_PERIOD OVERLIMIT_COUNT OVERLIMIT_LIMIT OVERLIMIT_TIME OVERLIMIT_KIND OVERLIMIT_BANNED; do
        for c in "$HOSTILE_1" "$HOSTILE_7" "$HOSTILE_8" "$HOSTILE_9" "$BIG" "$BIGNUM"; do
            h="$t: hostile $v '$(show "$c" | cut -c1-20)'"
            run notify-mail "$v=$c"
            check "$h: exit 0" 0 "$RC"
            msgok "$h: one well-formed message"
            bodylacks "$h: no Bcc line" "^Bcc:"
            case $(subject) in
            *"=?"*) fail "$h: no encoded word in the subject" "$(subject)" ;;
            *) pass "$h: no encoded word in the subject" ;;
            esac
            sz=$(wc -c < "$MSG" | tr -d ' ')
            if [ "$sz" -lt 4096 ]; then pass "$h: message under 4 KB"; else fail "$h: message under 4 KB" "$sz bytes"; fi
        done
    done
    run notify-mail OVERLIMIT_HELO="\$(touch $PWNED)" OVERLIMIT_SENDER="\`touch $PWNED\`" OVERLIMIT_RECIPIENT="-rf"
    check "$t: hostile helo/sender/recipient: exit 0" 0 "$RC"
    check "$t: hostile helo/sender/recipient: the same arguments" "$(args -a -- postmaster)" "$(argv qmail-inject)"
    bodyhas "$t: hostile helo shown as it is" "  helo       \$(touch $PWNED)"
    notpwned "$t: hostile helo/sender/recipient: no expansion"

    # qmail-inject missing or failing
    run notify-mail NOTIFY_QMAIL_INJECT="$TMPBASE/nonexistent"
    check "$t: qmail-inject missing: exit 111" 111 "$RC"
    logline "$t: qmail-inject missing: one log line" notify-mail
    logsays "$t: qmail-inject missing: names it" "$TMPBASE/nonexistent"
    run notify-mail NOTIFY_QMAIL_INJECT="$TMPBASE"
    check "$t: qmail-inject a directory: exit 111" 111 "$RC"
    if [ -e /var/qmail/bin/qmail-inject ]; then
        skip "$t: default qmail-inject path" "/var/qmail/bin/qmail-inject exists here"
    else
        resetstubs
        # shellcheck disable=SC2086
        env -i PATH=/usr/local/bin:/usr/bin:/bin OVERLIMIT_EVENT=over \
            OVERLIMIT_CLIENT=user@example.com $SH "$N/notify-mail" </dev/null >"$IO/out" 2>"$IO/err"
        check "$t: default qmail-inject path: exit 111" 111 "$?"
        logline "$t: default qmail-inject path: one log line" notify-mail
        logsays "$t: default qmail-inject path: /var/qmail/bin/qmail-inject" "cannot run /var/qmail/bin/qmail-inject"
    fi
    resetstubs
    echo 111 > "$STUB/qmail-inject.exit"
    printf 'qmail-inject: fatal: qq temporary problem (#4.3.0)\nsecond line\n' > "$STUB/qmail-inject.say"
    RUN_KEEP=1 run notify-mail
    check "$t: qmail-inject fails: exit 111" 111 "$RC"
    logline "$t: qmail-inject fails: one log line" notify-mail
    logsays "$t: qmail-inject fails: its status" "failed (exit 111)"
    logsays "$t: qmail-inject fails: its message" "qq temporary problem (#4.3.0) second line"

    # minimal environment: only what the helper always sets
    resetstubs
    # shellcheck disable=SC2086
    env -i PATH=/usr/local/bin:/usr/bin:/bin OVERLIMIT_EVENT=ban \
        NOTIFY_QMAIL_INJECT="$STUB/qmail-inject" $SH "$N/notify-mail" </dev/null >"$IO/out" 2>"$IO/err"
    check "$t: facts missing: exit 0" 0 "$?"
    msgok "$t: facts missing: message"
}

# ---------------------------------------------------------------- notify-vpopmail-disable

VP=notify-vpopmail-disable

vp_tests() {
    t="$1 vpopmail"

    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_BANNED=1
    check "$t: ban: exit 0" 0 "$RC"
    check "$t: ban: vmoduser -s -r -- user@example.com" "$(args -s -r -- user@example.com)" "$(argv vmoduser)"
    check "$t: ban: argc" 4 "$(cat "$STUB/vmoduser.argc")"
    check "$t: ban: once" 1 "$(calls vmoduser)"
    check "$t: ban: stdin empty" 0 "$(wc -c < "$STUB/vmoduser.stdin" | tr -d ' ')"
    logline "$t: ban: one log line" $VP
    check "$t: ban: log line" "$VP: event=ban client=user@example.com: disabled: vmoduser -s -r -- user@example.com" "$(cat "$IO/err")"

    run $VP OVERLIMIT_EVENT=over
    check "$t: over, default NOTIFY_ON: exit 0" 0 "$RC"
    check "$t: over, default NOTIFY_ON: not called" 0 "$(calls vmoduser)"
    logline "$t: over, default NOTIFY_ON: one log line" $VP
    logsays "$t: over, default NOTIFY_ON: says why" "left alone (NOTIFY_ON=ban)"
    run $VP OVERLIMIT_EVENT=warn
    check "$t: warn, default NOTIFY_ON: not called" 0 "$(calls vmoduser)"

    run $VP OVERLIMIT_EVENT=over NOTIFY_ON="over ban"
    check "$t: over, NOTIFY_ON=over ban: exit 0" 0 "$RC"
    check "$t: over, NOTIFY_ON=over ban: called" "$(args -s -r -- user@example.com)" "$(argv vmoduser)"
    run $VP OVERLIMIT_EVENT=warn NOTIFY_ON="over ban"
    check "$t: warn, NOTIFY_ON=over ban: not called" 0 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban NOTIFY_ON="over"
    check "$t: ban, NOTIFY_ON=over: not called" 0 "$(calls vmoduser)"

    run $VP OVERLIMIT_EVENT=ban NOTIFY_VMODUSER_FLAGS=srpiw
    check "$t: NOTIFY_VMODUSER_FLAGS=srpiw" "$(args -s -r -p -i -w -- user@example.com)" "$(argv vmoduser)"
    for f in x sx "s r" "s -x" "" C q "s${nl}x"; do
        [ -z "$f" ] && continue     # empty means the default
        run $VP OVERLIMIT_EVENT=ban NOTIFY_VMODUSER_FLAGS="$f"
        check "$t: NOTIFY_VMODUSER_FLAGS '$(show "$f")': exit 64" 64 "$RC"
        check "$t: NOTIFY_VMODUSER_FLAGS '$(show "$f")': not called" 0 "$(calls vmoduser)"
        logline "$t: NOTIFY_VMODUSER_FLAGS '$(show "$f")': one log line" $VP
    done
    for o in bang "ban;over" "-x"; do
        run $VP OVERLIMIT_EVENT=ban NOTIFY_ON="$o"
        check "$t: NOTIFY_ON '$o': exit 64" 64 "$RC"
        check "$t: NOTIFY_ON '$o': not called" 0 "$(calls vmoduser)"
    done

    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_KIND=ip OVERLIMIT_CLIENT=192.0.2.7
    check "$t: ip client: exit 0" 0 "$RC"
    check "$t: ip client: not called" 0 "$(calls vmoduser)"
    logline "$t: ip client: one log line" $VP
    logsays "$t: ip client: says why" "kind=ip, only SMTP-auth users are disabled"
    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_KIND=ip OVERLIMIT_CLIENT=a@example.com
    check "$t: kind ip, name like a user: not called" 0 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_KIND=
    check "$t: kind empty: not called" 0 "$(calls vmoduser)"

    run $VP OVERLIMIT_EVENT=ban NOTIFY_NEVER="user@example.com"
    check "$t: NOTIFY_NEVER: exit 0" 0 "$RC"
    check "$t: NOTIFY_NEVER: not called" 0 "$(calls vmoduser)"
    logline "$t: NOTIFY_NEVER: one log line" $VP
    logsays "$t: NOTIFY_NEVER: says why" "left alone: in NOTIFY_NEVER"
    run $VP OVERLIMIT_EVENT=ban NOTIFY_NEVER="postmaster@example.com User@Example.COM"
    check "$t: NOTIFY_NEVER, other case, second word: not called" 0 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban NOTIFY_NEVER="@example.com"
    check "$t: NOTIFY_NEVER @domain: not called" 0 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban NOTIFY_NEVER="*"
    check "$t: NOTIFY_NEVER '*' is no glob: called" 1 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban NOTIFY_NEVER="postmaster@example.com @example.org ser@example.com user@example.co"
    check "$t: NOTIFY_NEVER others: called" 1 "$(calls vmoduser)"

    for c in user.name+tag@mail.example.com a_b-c@x-y.example 1@2; do
        run $VP OVERLIMIT_EVENT=ban OVERLIMIT_CLIENT="$c"
        check "$t: name '$c': called" "$(args -s -r -- "$c")" "$(argv vmoduser)"
    done

    # hostile or malformed names: never passed
    i=1
    while [ "$i" -le "$HOSTILE_N" ]; do
        hostile "$i"
        for cc in "$c" "$c@example.com"; do
            h="$t: hostile client '$(show "$cc" | cut -c1-30)'"
            run $VP OVERLIMIT_EVENT=ban OVERLIMIT_CLIENT="$cc"
            check "$h: exit 0" 0 "$RC"
            check "$h: not called" 0 "$(calls vmoduser)"
            logline "$h: one log line" $VP
            notpwned "$h: no expansion"
        done
        i=$((i + 1))
    done
    for c in example.com @example.com user@ user@@example.com a@b@example.com \
        "a b@example.com" User@example.com "user@Example.com" "-s@example.com" \
        "user@-example.com" ".user@example.com" "user@.example.com" \
        "user@example..com" "user@example.com." "user@exa_mple.com" \
        "user@exa+mple.com" "user@example.com${nl}" "${nl}user@example.com" \
        "user@example.com " "us%er@example.com" "user@[192.0.2.1]" \
        "user@example.com;touch $PWNED" "user@\$(touch $PWNED).com" \
        "$BIG@example.com" "$(printf '\303\251@example.com')"; do
        h="$t: bad name '$(show "$c" | cut -c1-30)'"
        run $VP OVERLIMIT_EVENT=ban OVERLIMIT_CLIENT="$c"
        check "$h: exit 0" 0 "$RC"
        check "$h: not called" 0 "$(calls vmoduser)"
        logline "$h: one log line" $VP
        notpwned "$h: no expansion"
    done
    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_CLIENT="$(printf '%250s' '' | tr ' ' a)@example.com"
    check "$t: name of 262 bytes: not called" 0 "$(calls vmoduser)"
    run $VP OVERLIMIT_EVENT=ban OVERLIMIT_CLIENT="$(printf '%240s' '' | tr ' ' a)@example.com"
    check "$t: name of 252 bytes: called" 1 "$(calls vmoduser)"

    # vmoduser missing or failing
    run $VP OVERLIMIT_EVENT=ban NOTIFY_VMODUSER="$TMPBASE/nonexistent"
    check "$t: vmoduser missing: exit 111" 111 "$RC"
    logline "$t: vmoduser missing: one log line" $VP
    logsays "$t: vmoduser missing: names it" "$TMPBASE/nonexistent"
    run $VP OVERLIMIT_EVENT=over NOTIFY_VMODUSER="$TMPBASE/nonexistent"
    check "$t: vmoduser missing, nothing to do: exit 0" 0 "$RC"
    if [ -e /home/vpopmail/bin/vmoduser ]; then
        skip "$t: default vmoduser path" "/home/vpopmail/bin/vmoduser exists here"
    else
        resetstubs
        # shellcheck disable=SC2086
        env -i PATH=/usr/local/bin:/usr/bin:/bin OVERLIMIT_EVENT=ban OVERLIMIT_KIND=user \
            OVERLIMIT_CLIENT=user@example.com $SH "$N/$VP" </dev/null >"$IO/out" 2>"$IO/err"
        check "$t: default vmoduser path: exit 111" 111 "$?"
        logsays "$t: default vmoduser path: /home/vpopmail/bin/vmoduser" "cannot run /home/vpopmail/bin/vmoduser"
    fi
    resetstubs
    echo 255 > "$STUB/vmoduser.exit"
    echo "no such user user@example.com" > "$STUB/vmoduser.say"
    RUN_KEEP=1 run $VP OVERLIMIT_EVENT=ban
    check "$t: vmoduser fails: exit 111" 111 "$RC"
    logline "$t: vmoduser fails: one log line" $VP
    logsays "$t: vmoduser fails: its status" "failed (exit 255)"
    logsays "$t: vmoduser fails: its message" "no such user user@example.com"
}

# ---------------------------------------------------------------- notify-sms

SMS=notify-sms
NUM=+4917012345678

smstext() { # the -text argument
    sed -n '4s/^<\(.*\)>$/\1/p' "$STUB/gammu-smsd-inject.argv"
}

# smsok NAME: called once, 4 arguments TEXT NUM -text MESSAGE, MESSAGE of
# 1 to 160 bytes, all in ASCII and the GSM basic alphabet
smsok() {
    s_why=
    [ "$(calls gammu-smsd-inject)" = 1 ] || s_why="$s_why ran $(calls gammu-smsd-inject) times;"
    [ "$(cat "$STUB/gammu-smsd-inject.argc" 2>/dev/null)" = 4 ] || s_why="$s_why argc $(cat "$STUB/gammu-smsd-inject.argc" 2>/dev/null);"
    [ "$(sed -n '1,3p' "$STUB/gammu-smsd-inject.argv" 2>/dev/null)" = "$(args TEXT "$NUM" -text)" ] || s_why="$s_why arguments;"
    [ "$(wc -l < "$STUB/gammu-smsd-inject.argv")" = 4 ] || s_why="$s_why an argument with a newline;"
    s_t=$(smstext)
    [ "${#s_t}" -ge 1 ] && [ "${#s_t}" -le 160 ] || s_why="$s_why ${#s_t} characters;"
    [ -z "$(printf '%s' "$s_t" | tr -d 'A-Za-z0-9 !"#$%&'\''()*+,./:;<=>?@_-')" ] || s_why="$s_why characters outside the GSM-safe set;"
    if [ -z "$s_why" ]; then pass "$1"; else fail "$1" "$s_why"; fi
}

sms_tests() {
    t="$1 sms"

    run $SMS NOTIFY_SMS_TO=$NUM
    check "$t: over: exit 0" 0 "$RC"
    check "$t: over: the arguments" "$(args TEXT $NUM -text "rcptcheck-overlimit mail.example.com: user@example.com over 200/1h count 200 rule @example.com line 12 ip 192.0.2.7")" "$(argv gammu-smsd-inject)"
    smsok "$t: over: one SMS"
    check "$t: over: stdin empty" 0 "$(wc -c < "$STUB/gammu-smsd-inject.stdin" | tr -d ' ')"
    logline "$t: over: one log line" $SMS
    check "$t: over: log line" "$SMS: event=over client=user@example.com: SMS queued for $NUM" "$(cat "$IO/err")"

    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_EVENT=ban
    check "$t: ban: text" "rcptcheck-overlimit mail.example.com: user@example.com BANNED 200/1h count 200 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_EVENT=warn OVERLIMIT_COUNT=150
    check "$t: warn: text" "rcptcheck-overlimit mail.example.com: user@example.com warning 200/1h count 150 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_KIND=ip OVERLIMIT_CLIENT=192.0.2.7 OVERLIMIT_RULE=default OVERLIMIT_PERIOD=reset OVERLIMIT_LIMIT=1000
    check "$t: ip client, plain limit: text" "rcptcheck-overlimit mail.example.com: 192.0.2.7 over 1000 until reset count 200 rule default line 12" "$(smstext)"
    run $SMS NOTIFY_SMS_TO=4917012345678 NOTIFY_GAMMU_CONFIG=/etc/gammu-smsdrc-2
    check "$t: NOTIFY_GAMMU_CONFIG, number without +" "$(args -c /etc/gammu-smsdrc-2 TEXT 4917012345678 -text)" "$(argv gammu-smsd-inject | head -n 5)"
    run $SMS NOTIFY_SMS_TO=$NUM NOTIFY_GAMMU_CONFIG=-x
    check "$t: NOTIFY_GAMMU_CONFIG -x: exit 64" 64 "$RC"
    check "$t: NOTIFY_GAMMU_CONFIG -x: not called" 0 "$(calls gammu-smsd-inject)"

    run $SMS
    check "$t: no NOTIFY_SMS_TO: exit 64" 64 "$RC"
    check "$t: no NOTIFY_SMS_TO: not called" 0 "$(calls gammu-smsd-inject)"
    logline "$t: no NOTIFY_SMS_TO: one log line" $SMS
    logsays "$t: no NOTIFY_SMS_TO: says why" "NOTIFY_SMS_TO is not set"
    for n in "" "-x" "+" "12" "123456789012345678901" "+49 170" "+49-170-1" "12;touch $PWNED" "\$(touch $PWNED)" "123${nl}456" "++4917"; do
        run $SMS NOTIFY_SMS_TO="$n"
        check "$t: NOTIFY_SMS_TO '$(show "$n")': exit 64" 64 "$RC"
        check "$t: NOTIFY_SMS_TO '$(show "$n")': not called" 0 "$(calls gammu-smsd-inject)"
        logline "$t: NOTIFY_SMS_TO '$(show "$n")': one log line" $SMS
        notpwned "$t: NOTIFY_SMS_TO '$(show "$n")': no expansion"
    done
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_EVENT=explode
    check "$t: unknown event: exit 64" 64 "$RC"
    check "$t: unknown event: not called" 0 "$(calls gammu-smsd-inject)"

    i=1
    while [ "$i" -le "$HOSTILE_N" ]; do
        hostile "$i"
        h="$t: hostile client '$(show "$c" | cut -c1-30)'"
        run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_CLIENT="$c"
        check "$h: exit 0" 0 "$RC"
        smsok "$h: one safe SMS"
        logline "$h: one log line" $SMS
        notpwned "$h: no expansion"
        i=$((i + 1))
    done
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_CLIENT="$HOSTILE_1"
    check "$t: newline client: text" "rcptcheck-overlimit mail.example.com: a?Bcc: x@evil over 200/1h count 200 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_CLIENT='a{b}[c]~d|e^f\g`h'
    check "$t: GSM extension characters: '?'" "rcptcheck-overlimit mail.example.com: a?b??c??d?e?f?g?h over 200/1h count 200 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    for v in OVERLIMIT_HOST OVERLIMIT_RULE OVERLIMIT_LIMIT OVERLIMIT_PERIOD OVERLIMIT_COUNT OVERLIMIT_LINE OVERLIMIT_IP; do
        for c in "$HOSTILE_1" "$HOSTILE_8" "$BIG" "$BIGNUM"; do
            h="$t: hostile $v '$(show "$c" | cut -c1-20)'"
            run $SMS NOTIFY_SMS_TO=$NUM "$v=$c"
            check "$h: exit 0" 0 "$RC"
            smsok "$h: one safe SMS"
        done
    done
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_CLIENT="$BIG" OVERLIMIT_HOST="$BIG" OVERLIMIT_RULE="$BIG" OVERLIMIT_IP="$BIG"
    check "$t: everything 100 KB: exactly 160" 160 "$(smstext | tr -d '\n' | wc -c | tr -d ' ')"

    run $SMS NOTIFY_SMS_TO=$NUM NOTIFY_GAMMU_INJECT="$TMPBASE/nonexistent"
    check "$t: gammu-smsd-inject missing: exit 111" 111 "$RC"
    logline "$t: gammu-smsd-inject missing: one log line" $SMS
    logsays "$t: gammu-smsd-inject missing: names it" "$TMPBASE/nonexistent"
    if [ -e /usr/bin/gammu-smsd-inject ]; then
        skip "$t: default gammu-smsd-inject path" "/usr/bin/gammu-smsd-inject exists here"
    else
        resetstubs
        # shellcheck disable=SC2086
        env -i PATH=/usr/local/bin:/usr/bin:/bin OVERLIMIT_EVENT=ban NOTIFY_SMS_TO=$NUM \
            OVERLIMIT_CLIENT=user@example.com $SH "$N/$SMS" </dev/null >"$IO/out" 2>"$IO/err"
        check "$t: default gammu-smsd-inject path: exit 111" 111 "$?"
        logsays "$t: default gammu-smsd-inject path: /usr/bin/gammu-smsd-inject" "cannot run /usr/bin/gammu-smsd-inject"
    fi
    resetstubs
    echo 2 > "$STUB/gammu-smsd-inject.exit"
    printf 'Failed to open config\nsecond line\n' > "$STUB/gammu-smsd-inject.say"
    RUN_KEEP=1 run $SMS NOTIFY_SMS_TO=$NUM
    check "$t: gammu-smsd-inject fails: exit 111" 111 "$RC"
    logline "$t: gammu-smsd-inject fails: one log line" $SMS
    logsays "$t: gammu-smsd-inject fails: its status and message" "failed (exit 2): Failed to open config"
}

# ---------------------------------------------------------------- dormant, OVERLIMIT_REASON

# the dormant event (a client waking after dormant=: its warm-up's count 0,
# N and P) and each OVERLIMIT_REASON, in the three programs
signal_tests() {
    t="$1 signals"
    WAKE="OVERLIMIT_EVENT=dormant"

    # notify-mail
    run notify-mail "$WAKE" OVERLIMIT_REASON=warmup OVERLIMIT_COUNT=0 OVERLIMIT_LIMIT=20 OVERLIMIT_PERIOD=1d
    check "$t: mail dormant: exit 0" 0 "$RC"
    msgok "$t: mail dormant: one well-formed message"
    check "$t: mail dormant: subject" "Subject: rcptcheck-overlimit: user@example.com dormant, back: warm-up 20/1d" "$(subject)"
    bodyhas "$t: mail dormant: event" "  event      dormant"
    bodyhas "$t: mail dormant: warm-up" "at most 20 in any 1d for now (warm-up). If its owner did not expect this, the"
    bodyhas "$t: mail dormant: count" "  count      0 recipients counted in the window"
    logline "$t: mail dormant: one log line" notify-mail
    check "$t: mail dormant: log line" "notify-mail: mailed postmaster: event=dormant client=user@example.com" "$(cat "$IO/err")"
    run notify-mail "$WAKE" OVERLIMIT_COUNT=0 OVERLIMIT_LIMIT=20 OVERLIMIT_PERIOD=1d
    check "$t: mail dormant, no reason: exit 0, subject" "0 Subject: rcptcheck-overlimit: user@example.com dormant, back: warm-up 20/1d" "$RC $(subject)"

    # over/ban for each reason: the subject and the body name the limit
    for r in nets mass pool server warmup limit; do
        ev=over
        case $r in
        nets) lim=3 per=1h subj="over networks 3/1h" about="its limit of 3 different networks in any 1h" ;;
        mass) ev=ban lim=3 per=1h subj="banned mass mail 3/1h" about="its limit of 3 messages of many recipients in any 1h" ;;
        pool) lim=5000 per=1d subj="over pool 5000/1d" about="the limit of 5000 in any 1d shared by all users of @example.com (the domain pool)" ;;
        server) lim=20000 per=1h subj="over server 20000/1h" about="the server-wide limit of 20000 in any 1h" ;;
        warmup) lim=20 per=1d subj="over warm-up 20/1d" about="its warm-up limit of 20 in any 1d (it had been dormant)" ;;
        limit) lim=200 per=1h subj="over 200/1h" about="its limit of 200 in any 1h" ;;
        esac
        run notify-mail OVERLIMIT_EVENT="$ev" OVERLIMIT_REASON="$r" OVERLIMIT_COUNT="$lim" OVERLIMIT_LIMIT="$lim" OVERLIMIT_PERIOD="$per"
        check "$t: mail $ev $r: exit 0" 0 "$RC"
        msgok "$t: mail $ev $r: one well-formed message"
        check "$t: mail $ev $r: subject" "Subject: rcptcheck-overlimit: user@example.com $subj" "$(subject)"
        if body | tr '\n' ' ' | grep -F -e "has reached $about" >/dev/null; then
            pass "$t: mail $ev $r: body names the limit"
        else
            fail "$t: mail $ev $r: body names the limit" "no 'has reached $about' in the body"
        fi
        check "$t: mail $ev $r: log line" "notify-mail: mailed postmaster: event=$ev client=user@example.com" "$(cat "$IO/err")"
    done
    # an unknown or hostile reason: the plain limit, nothing of it shown
    for r in bogus "pool${nl}Bcc: x@evil" "$CTL"; do
        h="$t: mail reason '$(show "$r" | cut -c1-20)'"
        run notify-mail OVERLIMIT_REASON="$r"
        check "$h: exit 0" 0 "$RC"
        msgok "$h: one well-formed message"
        check "$h: subject" "Subject: rcptcheck-overlimit: user@example.com over 200/1h" "$(subject)"
        bodylacks "$h: no Bcc line" "^Bcc:"
    done

    # notify-sms
    run $SMS NOTIFY_SMS_TO=$NUM "$WAKE" OVERLIMIT_REASON=warmup OVERLIMIT_COUNT=0 OVERLIMIT_LIMIT=20 OVERLIMIT_PERIOD=1d
    check "$t: sms dormant: exit 0" 0 "$RC"
    smsok "$t: sms dormant: one SMS"
    check "$t: sms dormant: text" "rcptcheck-overlimit mail.example.com: user@example.com back from dormant, warm-up 20/1d count 0 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    check "$t: sms dormant: log line" "$SMS: event=dormant client=user@example.com: SMS queued for $NUM" "$(cat "$IO/err")"
    for r in nets pool server warmup; do
        run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_REASON="$r"
        check "$t: sms over $r: exit 0" 0 "$RC"
        smsok "$t: sms over $r: one SMS"
        check "$t: sms over $r: text" "rcptcheck-overlimit mail.example.com: user@example.com over $r 200/1h count 200 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    done
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_EVENT=ban OVERLIMIT_REASON=mass OVERLIMIT_LIMIT=3 OVERLIMIT_COUNT=3
    check "$t: sms ban mass: text" "rcptcheck-overlimit mail.example.com: user@example.com BANNED mass 3/1h count 3 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"
    run $SMS NOTIFY_SMS_TO=$NUM OVERLIMIT_REASON="pool${nl}x"
    check "$t: sms hostile reason: text" "rcptcheck-overlimit mail.example.com: user@example.com over 200/1h count 200 rule @example.com line 12 ip 192.0.2.7" "$(smstext)"

    # notify-vpopmail-disable: dormant when asked for; never for a shared
    # limit (pool, server), whatever NOTIFY_ON says
    ON="NOTIFY_ON=over ban dormant"
    run $VP "$WAKE" OVERLIMIT_REASON=warmup "$ON"
    check "$t: vpopmail dormant: exit 0" 0 "$RC"
    check "$t: vpopmail dormant: disabled" "$(args -s -r -- user@example.com)" "$(argv vmoduser)"
    logline "$t: vpopmail dormant: one log line" $VP
    check "$t: vpopmail dormant: log line" "$VP: event=dormant client=user@example.com: disabled: vmoduser -s -r -- user@example.com" "$(cat "$IO/err")"
    run $VP "$WAKE" OVERLIMIT_REASON=warmup
    check "$t: vpopmail dormant, default NOTIFY_ON: not called" "0 0" "$RC $(calls vmoduser)"
    logsays "$t: vpopmail dormant, default NOTIFY_ON: says why" "left alone (NOTIFY_ON=ban)"
    run $VP "$WAKE" OVERLIMIT_REASON=warmup OVERLIMIT_KIND=ip OVERLIMIT_CLIENT=192.0.2.7 "$ON"
    check "$t: vpopmail dormant ip client: not called" "0 0" "$RC $(calls vmoduser)"
    for r in nets mass warmup limit; do
        run $VP OVERLIMIT_EVENT=ban OVERLIMIT_REASON="$r" "$ON"
        check "$t: vpopmail ban $r: disabled" "0 $(args -s -r -- user@example.com)" "$RC $(argv vmoduser)"
    done
    for r in pool server; do
        for ev in over ban dormant; do
            h="$t: vpopmail $ev $r"
            run $VP OVERLIMIT_EVENT="$ev" OVERLIMIT_REASON="$r" "$ON"
            check "$h: exit 0" 0 "$RC"
            check "$h: not called" 0 "$(calls vmoduser)"
            logline "$h: one log line" $VP
            logsays "$h: left alone" "left alone"
        done
        run $VP OVERLIMIT_EVENT=over OVERLIMIT_REASON="$r" "$ON"
        check "$t: vpopmail over $r: log line" "$VP: event=over client=user@example.com: left alone: reason=$r is a shared limit" "$(cat "$IO/err")"
    done
}

# ---------------------------------------------------------------- chaining

chain_tests() {
    t="$1 chain"
    w=$TMPBASE/overlimit-notify
    # the wrapper of contrib/notify/README.md, with the stubs' paths
    cat > "$w" <<EOF
#!/bin/sh
NOTIFY_TO="postmaster admin@example.com" $N/notify-mail
NOTIFY_NEVER="postmaster@example.com" exec $N/notify-vpopmail-disable
EOF
    chmod 755 "$w"
    resetstubs
    # shellcheck disable=SC2086
    env -i PATH=/usr/local/bin:/usr/bin:/bin OVERLIMIT_EVENT=ban OVERLIMIT_KIND=user \
        OVERLIMIT_CLIENT=user@example.com OVERLIMIT_LIMIT=200 OVERLIMIT_PERIOD=1h \
        NOTIFY_QMAIL_INJECT="$STUB/qmail-inject" NOTIFY_VMODUSER="$STUB/vmoduser" \
        $SH "$w" </dev/null >"$IO/out" 2>"$IO/err"
    check "$t: wrapper: exit 0" 0 "$?"
    check "$t: wrapper: mailed both" "$(args -a -- postmaster admin@example.com)" "$(argv qmail-inject)"
    check "$t: wrapper: disabled" "$(args -s -r -- user@example.com)" "$(argv vmoduser)"
    check "$t: wrapper: two log lines" 2 "$(wc -l < "$IO/err" | tr -d ' ')"
}

# ---------------------------------------------------------------- main

static_checks

if [ -n "${RTS_NOTIFY_SHELLS:-}" ]; then
    shells=$RTS_NOTIFY_SHELLS
else
    shells="#!"
    for sn in dash bash "busybox sh" mksh posh yash; do
        b=${sn%% *}
        if command -v "$b" >/dev/null 2>&1 && { [ "$b" != busybox ] || busybox sh -c : 2>/dev/null; }; then
            shells="$shells|$sn"
        fi
    done
fi
cd "$CWD" || exit 2
IFS='|'
set -f
# shellcheck disable=SC2086
set -- $shells
set +f
IFS=' 	
'
for shname in "$@"; do
    if [ "$shname" = "#!" ]; then SH=; else SH=$shname; fi
    mail_tests "[$shname]"
    vp_tests "[$shname]"
    sms_tests "[$shname]"
    signal_tests "[$shname]"
    chain_tests "[$shname]"
done

finish
