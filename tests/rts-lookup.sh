#!/bin/sh
# rts-lookup.sh: identity (who the client is), the control file (cdbmake-
# limits) and the CDB lookup (which line applies), and the CDB replaced
# while helpers run.
#
#   make tests && sh tests/rts-lookup.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-20}

echo "# rts-lookup: $ROOT (uid $(id -u))"

# -------------------------------------------------- not a relay client
setup norelay ':1'
seqx norelay.exit "112 112 112" rc TCPREMOTEIP=1.2.3.4
check norelay.stderr "" "$(cat "$IO/err")"
rc TCPREMOTEIP=1.2.3.4 SMTPAUTHUSER=u@x.com RCPTHOSTS=1
check norelay.rcpthosts 112 "$R"
check norelay.rcpthosts.stderr "" "$(cat "$IO/err")"
check norelay.nofile 0 "$(olcount)"
outside norelay.outside
# nothing is even looked at: missing CDB and directory, defer policy
rm -rf "$OL" "$CDB"
snap
rc TCPREMOTEIP=1.2.3.4 OVERLIMIT_ONERROR=defer
check norelay.nocdb 112 "$R"
check norelay.nocdb.stderr "" "$(cat "$IO/err")"
outside norelay.nocdb.outside

# -------------------------------------------------- RCPTHOSTS
setup rcpthosts ':1'
seqx rcpthosts.local "112 112 112" ipc 1.2.3.4 RCPTHOSTS=1
seqx rcpthosts.relay "112 113" ipc 1.2.3.4
setup countlocal ':2'
seqx countlocal.local "112" ipc 1.2.3.4 RCPTHOSTS=1 OVERLIMIT_COUNT_LOCAL=1
seqx countlocal.relay "112 113" ipc 1.2.3.4

# -------------------------------------------------- identity
setup ident.case 'user@example.com:4' ':100'
g=
for u in User@Example.COM user@example.com user%example.com user/example.com USER@EXAMPLE.COM; do
    auc "$u"
    g="$g $R"
done
check ident.case.shared " 112 112 112 112 113" "$g"
check ident.case.file "user@example.com" "$(ollist)"

setup ident.emptyauth '1.2.3.4:1' ':100'
seqx ident.emptyauth "112 113" ipc 1.2.3.4 SMTPAUTHUSER= SMTP_AUTH_USER=
check ident.emptyauth.file "1.2.3.4" "$(ollist)"

setup ident.authfirst '198.51.100.77:1' 'u@x.com:2'
seqx ident.authfirst "112 112 113" auc u@x.com
check ident.authfirst.file "u@x.com" "$(ollist)"

setup ident.tcp6 '[2001:db8::7]:1' ':100'
seqx ident.tcp6 "112 113" rc RELAYCLIENT= TCP6REMOTEIP=2001:db8::7
check ident.tcp6.file "2001:db8::7" "$(ollist)"

setup ident.v6canon '[2001:db8::5]:2' ':100'
seqx ident.v6canon "112 112 113" ipc 2001:DB8:0:0::5
check ident.v6canon.other 113 "$(ipc 2001:db8:0::5; echo "$R")"
check ident.v6canon.file "2001:db8::5" "$(ollist)"

setup ident.mapped '1.2.3.4:2' ':100'
ipc ::ffff:1.2.3.4
check ident.mapped.first 112 "$R"
rc RELAYCLIENT= TCP6REMOTEIP=::ffff:1.2.3.4
check ident.mapped.tcp6 112 "$R"
check ident.mapped.v4 113 "$(ipc 1.2.3.4; echo "$R")"
check ident.mapped.file "1.2.3.4" "$(ollist)"

setup ident.remoteinfo '1.2.3.4:2' 'boss@x.com:0' ':100'
seqx ident.remoteinfo "112 112 113" ipc 1.2.3.4 TCPREMOTEINFO=boss@x.com
check ident.remoteinfo.file "1.2.3.4" "$(ollist)"

# vpopmail: a login without its domain, and one in an alias domain, reach
# one mailbox: counted as one under !domain= and !alias= (else apart)
setup ident.vdomain 'joe@example.com:3' '@example.com:5' '!domain=Example.COM' \
    '!alias=old.example:example.com'
seqx ident.vdomain.seq "112 112 112 113" auc joe
check ident.vdomain.as "joe@example.com" "$(logkv as)"
check ident.vdomain.rule "joe@example.com" "$(logkv rule)"
seqx ident.valias.full "113" auc joe@old.example
seqx ident.vcanon.full "113" auc JOE@Example.com
check ident.vdomain.file "joe@example.com" "$(ollist)"
seqx ident.valias.pool "112 112 112 112 112 113" auc ann@OLD.example
check ident.valias.rule "@example.com" "$(logkv rule)"
check ident.vdomain.none "" "$(auc kim@other.example; logkv as)"
setup ident.vnodomain 'joe@example.com:1' ':2'
seqx ident.vnodomain.apart "112 112 113" auc joe
seqx ident.vnodomain.own "112 113" auc joe@example.com
check ident.vnodomain.files "joe${nl}joe@example.com" "$(ollist)"
for bad in '!domain=' '!domain=a@b' '!alias=old.example' '!alias=x:x' '!alias=a/b:c'; do
    printf '%s\n' "$bad" > "$W/bad"
    "$CDBMAKE" "$W/bad.cdb" "$W/bad.tmp" < "$W/bad" > /dev/null 2>&1
    check "ident.vsyntax.$bad" 100 "$?"
done
# an alias domain whose key would not fit: refused, never cut (a cut key
# wrote past it, and two long aliases would have shared one)
long=$(printf '%0245d' 0 | tr 0 a).example
printf '!alias=%s:example.com\n' "$long" > "$W/bad"
"$CDBMAKE" "$W/bad.cdb" "$W/bad.tmp" < "$W/bad" > "$IO/cerr" 2>&1
check ident.vsyntax.alias.long "100 yes" "$? $(grep -q 'alias domain too long' "$IO/cerr" && echo yes)"

# an auth user named like an IP is not that IP's client (DESIGN: encoding)
setup ident.iplike ':1'
seqx ident.iplike.ip "112 113" ipc 1.2.3.4
seqx ident.iplike.user "112 113" auc 1.2.3.4
check ident.iplike.files 2 "$(olcount)"

# -------------------------------------------------- lookup
setup lookup.user '@x.com:1' 'boss@x.com:3' ':2'
seqx lookup.user.exact "112 112 112 113" auc boss@x.com
seqx lookup.user.domain "112 113" auc clerk@x.com
seqx lookup.user.default "112 112 113" auc a@y.com
seqx lookup.user.nodomain "112 112 113" auc plainuser

setup lookup.domain '@X.Com:2' ':1'
seqx lookup.domain.a "112 112 113" auc a@x.com
seqx lookup.domain.b "112 112 113" auc B@X.COM
seqx lookup.domain.c "112 112 113" auc c%x.com
check lookup.domain.files "a@x.com${nl}b@x.com${nl}c@x.com" "$(ollist)"

setup lookup.ip4 '192.168.1.5:3' '192.168.1.:2' ':1'
seqx lookup.ip4.exact "112 112 112 113" ipc 192.168.1.5
seqx lookup.ip4.prefix_a "112 112 113" ipc 192.168.1.6
seqx lookup.ip4.prefix_b "112 112 113" ipc 192.168.1.7
seqx lookup.ip4.not_prefix "112 113" ipc 192.168.10.1
seqx lookup.ip4.default "112 113" ipc 192.169.1.5

setup lookup.short '172.16.:2' ':1'
seqx lookup.short.in "112 112 113" ipc 172.16.9.9
seqx lookup.short.out "112 113" ipc 172.160.0.1

setup lookup.cidr '10.0.0.0/8:5' '10.1.0.0/16:2' ':1'
seqx lookup.cidr.longest "112 112 113" ipc 10.1.2.3
seqx lookup.cidr.short "112 112 112 112 112 113" ipc 10.2.0.1
seqx lookup.cidr.outside "112 113" ipc 11.0.0.1
seqx lookup.cidr.mapped "112 112 113" ipc ::ffff:10.1.9.9

setup lookup.ip6 '[2001:db8::]/48:2' '[2001:db8::5]:3' ':1'
seqx lookup.ip6.exact "112 112 112 113" ipc 2001:db8::5
seqx lookup.ip6.prefix "112 112 113" ipc 2001:db8:0:1::9
seqx lookup.ip6.outside "112 113" ipc 2001:db8:1::9
seqx lookup.ip6.v4default "112 113" ipc 1.2.3.4

setup lookup.norule '5.6.7.8:1' 'someone@x.com:1'
seqx lookup.norule.ip "$(rep 12 112)" ipc 1.2.3.4
seqx lookup.norule.user "$(rep 12 112)" auc other@x.com

setup lookup.zero ':1' 'u@x.com:0' '1.2.3.4:0' '@free.example:0'
seqx lookup.zero.user "$(rep 12 112)" auc u@x.com
seqx lookup.zero.ip "$(rep 12 112)" ipc 1.2.3.4
seqx lookup.zero.domain "$(rep 12 112)" auc v@free.example
seqx lookup.zero.default "112 113" auc w@x.com

# regressions of the classic script
setup regress.substr_user 'testinfo@x.com:1'
seqx regress.substr_user "112 112 112" auc info@x.com
setup regress.substr_ip '12.3.4.5:1'
seqx regress.substr_ip "112 112 112" ipc 2.3.4.5
setup regress.v6default '[::1]:1' '[2001:db8::1]:1'
seqx regress.v6default "112 112 112" ipc 1.2.3.4
seqx regress.v6default.own "112 113" ipc ::1
setup regress.exactN ':1'
seqx regress.exactN "112 113" ipc 1.2.3.4
setup regress.case 'user@x:2'
seqx regress.case "112 112 113" auc User@x
check regress.case.lower 113 "$(auc user@x; echo "$R")"

# -------------------------------------------------- hostile names, files
setup names ':1'
: > "$W/victim"
snap
i=0
for name in ../../etc/passwd . .. / a/b .hidden "$BIG" ../../../../../escaped \
    "$W/victim" "$W/abs-created" a/../../x '..%2f..' '%2e%2e' '~x' \
    "$(printf '..\n..')" ':' '.@x' '@@'; do
    i=$((i + 1))
    auc "$name"
    r1=$R
    auc "$name"
    check "names.$i" "112 113" "$r1 $R"
done
olsane names.olsane
outside names.outside
check names.count "$i" "$(olcount)"
check names.victim "0" "$(wc -c < "$W/victim" | tr -d ' ')"

# -------------------------------------------------- cdbmake-limits
setup cdbmake.format
printf '%s\n' '# a comment' '' '   ' '	' '   # indented comment' \
    '  u1@x.com  :  2   # trailing comment' '	u2@x.com	:	3	' \
    "u3@x.com:4${cr}" "${cr}" '192.168.7.	:	2' ' : 1 ' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.format.exit 0 "$CM"
seqx cdbmake.format.u1 "112 112 113" auc u1@x.com
seqx cdbmake.format.u2 "112 112 112 113" auc u2@x.com
seqx cdbmake.format.u3 "112 112 112 112 113" auc u3@x.com
seqx cdbmake.format.ip "112 112 113" ipc 192.168.7.7
seqx cdbmake.format.default "112 113" auc other@x.com
check cdbmake.format.notmp "" "$(ls "$CDB.tmp" 2>/dev/null)"

setup cdbmake.crlf
printf 'u@x.com:2\r\n# comment\r\n\r\n:1\r\n' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.crlf.exit 0 "$CM"
seqx cdbmake.crlf.u "112 112 113" auc u@x.com

setup cdbmake.windows8
printf '%s\n' ':1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.windows8 0 "$CM"

# badline NAME PRINTF-FORMAT: the bad line is line 17 of a file whose other
# lines are good; the existing CDB stays, no temporary is left
badline() {
    setup "cdbmake.bad.$1" ':7'
    { pad 16; printf "$2"; printf '\n:5\n'; } > "$W/bad"
    snap
    bl_sum=$(cksum < "$CDB")
    CMIN=$W/bad
    cm "$CDB" "$CDB.tmp"
    check "cdbmake.bad.$1" "100 yes" "$CM $(mentions 17)"
    check "cdbmake.bad.$1.cdb" "$bl_sum" "$(cksum < "$CDB")"
    outside "cdbmake.bad.$1.nothing_left"
    check "cdbmake.bad.$1.stderr_clean" 0 "$(tr -d '\n' < "$IO/cerr" | tr -cd '\000-\037\177' | wc -c | tr -d ' ')"
}
badline nonnumeric 'a:x'
badline negative 'a:-1'
badline period 'a:5/1y'
badline badip '1.2.3.256:5'
badline hostbits '10.0.0.1/8:5'
badline prefixlen '10.0.0.0/33:5'
badline v6unbracketed '2001:db8::1:5'
badline v6classic '::1:50'
badline v6prefixlen '[2001:db8::]/129:5'
badline v6hostbits '[2001:db8::1]/48:5'
badline v6unclosed '[2001:db8::5:5'
badline nocolon 'nocolon'
badline emptylimit 'a@x.com:'
badline overflow 'a@x.com:99999999999999999999999'
badline option 'a@x.com:5:opt'
badline sameperiod 'a@x.com:1/1h,2/1h'
badline windows9 'a@x.com:1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s,9/9s'
badline ctrl_soh 'a\001b:5'
badline ctrl_esc 'a\033[2Jb:5'
badline ctrl_nul 'a\000b:5'
badline ctrl_cr 'a\rb:5'
badline ctrl_del 'a\177b:5'

setup cdbmake.twobad ':7'
{ pad 16; echo 'a:x'; echo 'ok@x.com:1'; echo 'b:-1'; } > "$W/bad"
CMIN=$W/bad
cm "$CDB" "$CDB.tmp"
check cdbmake.twobad "100 yes yes" "$CM $(mentions 17) $(mentions 19)"

# duplicates: warning naming both lines, the later one wins
setup cdbmake.dup
{ pad 10; echo 'a@b.c:1'; echo '# between'; echo 'A@B.C:2'; } > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.user "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.user.later "112 112 113" auc a@b.c
{ pad 10; echo '1.2.3.4:1'; echo '# between'; echo '1.2.3.4/32:2'; } > "$CTL"
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.ip "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.ip.later "112 112 113" ipc 1.2.3.4
{ pad 10; echo '192.168.1.:1'; echo '# between'; echo '192.168.1.0/24:2'; } > "$CTL"
cm "$CDB" "$CDB.tmp"
check cdbmake.dup.net "0 yes yes" "$CM $(mentions 11) $(mentions 13)"
seqx cdbmake.dup.net.later "112 112 113" ipc 192.168.1.9

setup cdbmake.usage ':1'
CMIN=$CTL
cm
check cdbmake.usage.none 100 "$CM"
check cdbmake.usage.none.msg yes "$(test -s "$IO/cerr" && echo yes || echo no)"
cm "$CDB"
check cdbmake.usage.one 100 "$CM"
outside cdbmake.usage.outside

setup cdbmake.sys ':1'
CMIN=$CTL
cm "$W/nosuchdir/x.cdb" "$W/nosuchdir/x.tmp"
check cdbmake.sys.nodir 111 "$CM"
mkdir "$W/in"
CMIN=$W/in
sum=$(cksum < "$CDB")
cm "$CDB" "$CDB.tmp"
check cdbmake.sys.readerror 111 "$CM"
check cdbmake.sys.readerror.cdb "$sum" "$(cksum < "$CDB")"
check cdbmake.sys.readerror.notmp "" "$(ls "$CDB.tmp" 2>/dev/null)"
if [ -n "$CAN_UNWRITABLE" ]; then
    mkdir "$W/ro"
    asnobody
    chmod 555 "$W/ro"
    CMIN=$CTL
    cm "$W/ro/x.cdb" "$W/ro/x.tmp"
    asroot
    check cdbmake.sys.rodir 111 "$CM"
    check cdbmake.sys.rodir.empty "" "$(ls -A "$W/ro")"
else
    skip cdbmake.sys.rodir "$NOBODY_WHY"
fi
CMIN=/dev/null

# -------------------------------------------------- the CDB replaced while helpers run
# cdbmake-limits renames a complete file over the old one: a helper sees
# the old or the new CDB, whole, never an error
setup cdbswap ':1000000'
i=0
while [ "$i" -lt 2000 ]; do echo "user$i@example.com:$i"; i=$((i + 1)); done > "$W/pad"
{ cat "$W/pad"; echo ':1000000'; } > "$W/ctlA"
{ echo ':999999'; cat "$W/pad"; } > "$W/ctlB"
# the swapper compiles A and B by turns until the reader is done: at least
# 150 runs (30 under RTS_LIGHT: valgrind), and until it has seen both (at
# most 600): bounded by counts, whatever the speed of either
: > "$W/run"
(
    while [ -e "$W/run" ]; do
        "$CDBMAKE" "$CDB" "$CDB.tmp" < "$W/ctlA" || echo "cdbmake failed" >&2
        "$CDBMAKE" "$CDB" "$CDB.tmp" < "$W/ctlB" || echo "cdbmake failed" >&2
    done
) 2> "$IO/swaperr" &
sw_pid=$!
sw_n=0 sw_bad=0 sw_rules= sw_a=0 sw_b=0 sw_min=150
[ -z "${RTS_LIGHT:-}" ] || sw_min=30
while [ "$sw_n" -lt "$sw_min" ] || { [ "$sw_n" -lt 600 ] && [ $((sw_a * sw_b)) -eq 0 ]; }; do
    ipc 10.1.1.1
    sw_line=$(logkv line)
    case "$R:$sw_line" in
    112:1) sw_rules="$sw_rules $sw_line" sw_b=1 ;;
    112:2001) sw_rules="$sw_rules $sw_line" sw_a=1 ;;
    *) sw_bad=$((sw_bad + 1)) ;;
    esac
    sw_n=$((sw_n + 1))
done
rm -f "$W/run"
wait "$sw_pid"
check cdbswap.errors "0" "$sw_bad"
check cdbswap.cdbmake "" "$(cat "$IO/swaperr")"
check cdbswap.both "yes" "$(case "$sw_rules" in *" 1"*) case "$sw_rules" in *2001*) echo yes;; *) echo "only line 1";; esac;; *) echo "only line 2001";; esac)"
check cdbswap.notmp "" "$(ls "$W" | grep tmp)"

finish
