#!/bin/sh
# rts-dest.sh: black-box tests of the destination rules (relaylimits(5)
# "Destination rules"): precedence of the sets, first match wins, the
# sets' defaults, wildcards in both parts, case, exempt destinations, our
# own domains, dry run, refusals counted nowhere, the exact fd-4 bytes,
# hostile recipients, the failure policy, the CDB's format, a 100,000-
# pattern control file, cdbmake-limits' errors and warnings, overlimitctl
# explain CLIENT RECIPIENT.
#
#   make tests && sh tests/rts-dest.sh
#
# Output, exit status and environment: the harness of every runner,
# tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs

# to USER RCPT [VAR=VALUE...]: an auth user's recipient; R = exit (and
# "fd4=" text when not a valid refusal line), FD4, the log in $IO/err
to() {
    to_u=$1 to_r=$2
    shift 2
    auc "$to_u" RECIPIENT="$to_r" "$@"
    # exit 100 carries its reply on fd 4 too: checked like a 113's
    if [ "${R%% *}" = 100 ]; then
        FD4=$(sed -n '2s/^fd4=//p' "$IO/out")
        case $FD4 in
        "") R=100 ;;
        "550 5.7.1 "*) [ "$(printf '%s' "$FD4" | wc -c)" -le 1021 ] &&
            R=100 || R="100 fd4-too-long" ;;
        *) R="100 fd4-bad=$FD4" ;;
        esac
    fi
}
# ipto IP RCPT [VAR=VALUE...]
ipto() {
    it_ip=$1 it_r=$2
    shift 2
    ipc "$it_ip" RECIPIENT="$it_r" "$@"
    [ "${R%% *}" = 100 ] && R=100
}
# dv: "EXIT dest-word verdict" of the last run
dv() { printf '%s %s %s' "$R" "$(logkv dest)" "$(logkv verdict)"; }

# ------------------------------------------------------------ precedence
setup prec ':100' \
    'u@example.com>@partner.org:allow' \
    '@example.com>*:deny' \
    '>@spam.example:deny' \
    '10.0.0.0/8>@corp.example:allow' \
    '10.1.0.0/16>*:deny' \
    '10.1.2.3>x@y.example:deny'
to u@example.com a@partner.org
check prec.user.allow "112 allow:2 accept" "$(dv)"
to U@Example.COM a@other.org
check prec.user.default "112 allow:default accept" "$(dv)"
# the user's own set decides: everyone's deny does not reach it
to u@example.com a@spam.example
check prec.user.notfallthrough "112 allow:default accept" "$(dv)"
to v@example.com a@partner.org
check prec.domain "100 deny:3 deny" "$(dv)"
to w@other.org a@spam.example
check prec.everyone "100 deny:4 deny" "$(dv)"
to w@other.org a@partner.org
check prec.everyone.default "112 allow:default accept" "$(dv)"
ipto 10.9.9.9 a@corp.example
check prec.prefix "112 allow:5 accept" "$(dv)"
ipto 10.1.9.9 a@corp.example
check prec.longerprefix "100 deny:6 deny" "$(dv)"
ipto 10.1.2.3 a@corp.example
check prec.exactip "112 allow:default accept" "$(dv)"
ipto 10.1.2.3 X@Y.Example
check prec.exactip.deny "100 deny:7 deny" "$(dv)"
ipto 192.0.2.9 a@spam.example
check prec.ip.everyone "100 deny:4 deny" "$(dv)"

# ------------------------------------------------------------ first match
setup first ':100' \
    'u@x.org>joe@example.com:deny' \
    'u@x.org>@.example.com:allow' \
    'u@x.org>*@b.example.com:deny' \
    'u@x.org>info-*@*:deny' \
    'u@x.org>*@*.mail.*:allow' \
    'u@x.org>*:deny'
to u@x.org joe@example.com
check first.address "100 deny:2 deny" "$(dv)"
to u@x.org Joe@Sub.Example.COM
check first.subdomain "112 allow:3 accept" "$(dv)"
to u@x.org a@b.example.com
check first.beforewild "112 allow:3 accept" "$(dv)"
to u@x.org info-sales@other.org
check first.wildlocal "100 deny:5 deny" "$(dv)"
to u@x.org INFO-@OTHER.ORG
check first.wildlocal.case "100 deny:5 deny" "$(dv)"
to u@x.org bob@eu.mail.provider
check first.wildboth "112 allow:6 accept" "$(dv)"
to u@x.org bob@mail.provider
check first.wilddomain.not "100 deny:7 deny" "$(dv)"
to u@x.org bob@other.org
check first.catchall "100 deny:7 deny" "$(dv)"

# ------------------------------------------------------------ the reply
setup reply ':100' \
    '@x.org>@y.org:deny:text="Not from this account, {client}; ask {limit}"' \
    '@x.org>@z.org:deny'
to u@x.org a@y.org
check reply.text "550 5.7.1 Not from this account, u@x.org; ask {limit}" "$FD4"
to u@x.org a@z.org
check reply.default "550 5.7.1 sending to this recipient is not allowed for u@x.org" "$FD4"
to "u s${cr}@x.org" a@z.org
check reply.hostileclient "100|550 5.7.1 sending to this recipient is not allowed for u%20s%0d@x.org" "$R|$FD4"
check reply.hostileclient.log "$(logok deny | sed 's/rule=1/rule=0/')" "$(logsum)"
to u@x.org a@z.org USE_FD4=
check reply.nofd4 "100 " "$R $(sed -n '2s/^fd4=//p' "$IO/out")"
LONG=$(printf '%0230d' 0)
to "$LONG@x.org" a@z.org
check reply.longclient "100 550 5.7.1 sending to this recipient is not allowed for $(printf '%0200d' 0)..." "$R $FD4"

# ------------------------------------------------------------ not counted
setup count ':2/1h' '@x.org>@y.org:deny'
to u@x.org a@y.org
check count.deny.nofile "100 no" "$R $([ -e "$OL/u@x.org" ] && echo yes || echo no)"
seqx count.after "112 112 113" to u@x.org a@z.org
seqx count.denied.stays "100 100" to u@x.org a@y.org
to u@x.org a@z.org
check count.limit.stays "113 2/2" "$R $(logkv 1h)"

# ------------------------------------------------------------ exempt, local
setup exempt ':100' 'u@x.org>*:deny' '>abuse@provider.example' '>@help.example'
to u@x.org abuse@provider.example
check exempt.addr "112 exempt" "$R $(logkv verdict)"
to u@x.org Desk@Help.Example
check exempt.domain "112 exempt" "$R $(logkv verdict)"
to u@x.org abuse@provider.example RCPTHOSTS=1
check exempt.local "112 " "$R $(cat "$IO/err")"
to u@x.org someone@ours.example RCPTHOSTS=1
check local.denied "100 deny:2 deny" "$(dv)"
check local.nocount "no" "$([ -e "$OL/u@x.org" ] && echo yes || echo no)"
to v@x.org someone@ours.example RCPTHOSTS=1
check local.noset "112 " "$R $(cat "$IO/err")"
limits ':100' 'u@x.org>*:deny' '>abuse@provider.example'
check exempt.warn "yes" "$(grep -q '^cdbmake-limits: warning: line 2: the destination set of u@x.org allows nothing' "$IO/cerr" && echo yes || echo no)"

# ------------------------------------------------------------ dry run
setup dry ':1/1h:dryrun' '@x.org>@y.org:deny:dryrun' '@x.org>@z.org:deny'
to u@x.org a@y.org
check dry.line "112 deny:2 would-deny accept" "$R $(logkv dest) $(logkv dryrun) $(logkv verdict)"
check dry.counted "1/1" "$(logkv 1h)"
to u@x.org a@y.org
check dry.both "112 would-deny,would-refuse" "$R $(logkv dryrun)"
to u@x.org a@z.org OVERLIMIT_DRYRUN=1
check dry.env "112 deny:3 would-deny,would-refuse" "$R $(logkv dest) $(logkv dryrun)"
to u@x.org a@y.org RCPTHOSTS=1
check dry.local "112 would-deny local" "$R $(logkv dryrun) $(logkv verdict)"

# ------------------------------------------------------------ hostile recipients
setup hostile ':100' \
    '@x.org>*@example.com:allow' \
    '@x.org>@b:allow' \
    '@x.org>@other:allow' \
    '@x.org>*:deny'
to u@x.org "$BIG@example.com"
check hostile.100k "100 deny:5" "$R $(logkv dest)"
check hostile.100k.log "$(logok deny | sed 's/rule=1/rule=0/')" "$(logsum)"
check hostile.100k.logsize yes "$([ "$(wc -c < "$IO/err")" -lt 2100 ] && echo yes || echo no)"
to u@x.org '"a@b"@example.com'
check hostile.quotes "112 allow:2" "$R $(logkv dest)"
to u@x.org 'user%other@example.com'
check hostile.percent "112 allow:2" "$R $(logkv dest)"
to u@x.org 'a@other@example.com'
check hostile.twoat "112 allow:2" "$R $(logkv dest)"
to u@x.org 'a@example.com@b'
check hostile.twoat.last "112 allow:3" "$R $(logkv dest)"
to u@x.org 'no-at-sign'
check hostile.noat "100 deny:5" "$R $(logkv dest)"
to u@x.org "a${cr}b@example.com"
check hostile.cr "112 allow:2" "$R $(logkv dest)"
to u@x.org "a@example.com${cr}"
check hostile.cr.end "100 deny:5" "$R $(logkv dest)"
check hostile.cr.log "$(logok deny | sed 's/rule=1/rule=0/')" "$(logsum)"
to u@x.org ""
check hostile.empty "100 deny:5" "$R $(logkv dest)"
to u@x.org "$BIG@b"
check hostile.100k.domain "100 deny:5" "$R $(logkv dest)"

# ------------------------------------------------------------ failure policy
setup corrupt ':100' '@x.org>@y.org:deny'
cdb -d "$CDB" | sed 's/->2 deny$/->2 dany/' | cdb -c "$CDB.new" && mv "$CDB.new" "$CDB"
errcase corrupt.value to u@x.org a@y.org
to u@x.org a@y.org RCPTHOSTS=1 OVERLIMIT_ONERROR=defer
check corrupt.local.accept 112 "$R"
setup format ':100' '@x.org>@y.org:deny'
check format.two 2 "$(cdb -q "$CDB" /format)"
check format.feature "dest" "$(cdb -q "$CDB" /features)"
# a helper that reads format 1 only (every one before this) refuses it:
# one error line and its failure policy, never the rules ignored; and
# format 1 claiming destination rules is refused by this one
cdb -d "$CDB" | sed 's|^+7,1:/format->2$|+7,1:/format->1|' | cdb -c "$CDB.new" && mv "$CDB.new" "$CDB"
errcase format.mismatch to u@x.org a@y.org
setup nodest ':100' '>abuse@x.org' 'u@x.org:5'
check nodest.format 1 "$(cdb -q "$CDB" /format)"
check nodest.nokeys "" "$(cdb -d "$CDB" | grep -c '^+[0-9]*,[0-9]*:=' | grep -v '^0$')"
to u@x.org a@y.org RCPTHOSTS=1
check nodest.local.silent "112 " "$R $(cat "$IO/err")"
to u@x.org a@y.org
check nodest.nodest "112  accept" "$(dv)"

# ------------------------------------------------------------ syntax
setup syntax
printf '%s\n' ':100' 'u@x>@y' 'u@x>y.org:deny' 'u@x>@y:allow:text="t"' \
    '*>@y:deny' 'u@x>a@b@c:deny' 'u@x>@y:deny:ban' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check syntax.rc 100 "$CM"
check syntax.lines "2 3 4 5 6 7" "$(sed -n 's/^cdbmake-limits: line \([0-9]*\):.*/\1/p' "$IO/cerr" | paste -sd ' ' -)"
check syntax.nocdb no "$([ -e "$CDB" ] && echo yes || echo no)"
awk 'BEGIN { for (i = 1; i <= 65; i++) printf "u@x>a%d*@y:deny\n", i }' > "$CTL"
cm "$CDB" "$CDB.tmp"
check syntax.cap "100 yes" "$CM $(grep -q '^cdbmake-limits: line 65: more than 64 patterns' "$IO/cerr" && echo yes || echo no)"
printf '%s\n' 'u@x>*:allow' 'u@x>@y:deny' 'u@x>@z:deny' 'u@x>@z:allow' > "$CTL"
cm "$CDB" "$CDB.tmp"
check syntax.warnings "0 2|3|4" "$CM $(sed -n 's/^cdbmake-limits: warning: line \([0-9]*\): .* never matches.*/\1/p' "$IO/cerr" | paste -sd '|' -)"
CMIN=/dev/null

# ------------------------------------------------------------ explain
setup explain ':100' '@x.org>@.y.org:allow' '@x.org>*:deny' '>help@x.org'
ex() { env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" $REDISENV "$OLCTL" explain "$@" > "$IO/out" 2>&1; EX=$?; }
ex u@x.org A@B.Y.ORG
check explain.allow "0|result: allowed by line 2 (the set of @x.org)" "$EX|$(grep '^result' "$IO/out" | tail -n 1)"
check explain.sets "set user no|set domain applies" "$(awk '$1 == "set" { print $1, $2, ($NF == "applies" ? "applies" : "no") }' "$IO/out" | paste -sd '|' -)"
check explain.probe "line 2 allow" "$(awk '$1 == "@.domain" && $2 == ".y.org" { print $3, $4, $5 }' "$IO/out")"
ex u@x.org a@q.org
check explain.deny "result: denied by line 3 (the set of @x.org)" "$(grep '^result' "$IO/out" | tail -n 1)"
ex u@x.org help@x.org
check explain.exempt "result: allowed: an exempt destination (>help@x.org), never denied" "$(grep '^result' "$IO/out" | tail -n 1)"
ex v@other.org a@q.org
check explain.noset "result: allowed: no destination set for this client" "$(grep '^result' "$IO/out" | tail -n 1)"
ex '*' a@q.org
check explain.usage 100 "$EX"

# ------------------------------------------------------------ 100,000 patterns
setup big
awk 'BEGIN {
    print ":100"
    for (i = 1; i <= 40000; i++) printf "u@x.org>user%d@example.com:deny\n", i
    for (i = 1; i <= 30000; i++) printf "u@x.org>@d%d.example:deny\n", i
    for (i = 1; i <= 29936; i++) printf "u@x.org>@.s%d.example:allow\n", i
    for (i = 1; i <= 63; i++) printf "u@x.org>w%d-*@*:deny\n", i
    print "u@x.org>*:allow"
}' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
CMIN=/dev/null
check big.compile "0|" "$CM|$(cat "$IO/cerr")"
check big.patterns 100000 "$(grep -c '>' "$CTL")"
to u@x.org user39999@Example.com
check big.address "100 deny:40000" "$R $(logkv dest)"
to u@x.org a@D29999.example
check big.domain "100 deny:70000" "$R $(logkv dest)"
to u@x.org a@b.c.s29936.example
check big.subdomain "112 allow:99937" "$R $(logkv dest)"
to u@x.org w63-x@anywhere
check big.wild "100 deny:100000" "$R $(logkv dest)"
to u@x.org nobody@nowhere
check big.default "112 allow:100001" "$R $(logkv dest)"

finish
