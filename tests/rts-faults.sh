#!/bin/sh
# rts-faults.sh: faults and hostile input: the failure policy (missing,
# corrupt or foreign CDB; missing, unwritable or tampered directory and
# files; no identity; a bad IP), hostile control files and identities,
# descriptors 0-3, a full disk, a read-only filesystem, the CDB truncated in
# place under running helpers.
#
#   make tests && sh tests/rts-faults.sh
#
# Output ("ok NAME", "FAIL NAME: ...", "skip NAME: why", then "# N
# skipped" and "N passed, M failed"), exit status and environment: the
# harness of every runner, tests/rts-lib.sh.

ROOT=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
. "$ROOT/tests/rts-lib.sh"
rts_programs
REPEAT=${RTS_CONC_REPEAT:-5}

echo "# rts-faults: $ROOT (uid $(id -u))"

# -------------------------------------------------- fd 0, fd 3
setup fds ':2'
printf 'EHLO x\r\nMAIL FROM:<a@b>\r\n' > "$IO/stdin"
{
    STDIN=
    ipc 1.2.3.4
    STDIN=/dev/null
    cat > "$IO/rest"
} < "$IO/stdin"
check fds.fd0.exit 112 "$R"
check fds.fd0.unread "$(cat "$IO/stdin")" "$(cat "$IO/rest")"
: > "$IO/fd3"
ipc 1.2.3.4 3>> "$IO/fd3"
check fds.fd3.exit 112 "$R"
check fds.fd3.untouched 0 "$(wc -c < "$IO/fd3" | tr -d ' ')"

# -------------------------------------------------- failure policy
setup fail.nocdb
errcase fail.nocdb ipc 1.2.3.4
outside fail.nocdb.outside
check fail.nocdb.nofile 0 "$(olcount)"

setup fail.badcdb ':1'
printf 'this is not a cdb\n' > "$CDB"
errcase fail.badcdb.text ipc 1.2.3.4
head -c 4096 /dev/zero | tr '\0' '\377' > "$CDB"
errcase fail.badcdb.ff ipc 1.2.3.4
head -c 4096 /dev/zero > "$CDB"
errcase fail.badcdb.zero ipc 1.2.3.4
: > "$CDB"
errcase fail.badcdb.empty ipc 1.2.3.4
limits ':1' '1.2.3.0/24:1' '@x.com:1'
head -c 2048 "$CDB" > "$W/trunc"
mv "$W/trunc" "$CDB"
errcase fail.badcdb.truncated ipc 1.2.3.4

# a CDB that is not in this program's format (built with tinycdb's cdb -c)
if command -v cdb > /dev/null 2>&1; then
    setup fail.format
    printf '+0,1:->5\n\n' | cdb -c "$CDB" || check fail.format.setup 0 1
    errcase fail.format.noformat ipc 1.2.3.4
    printf '+7,2:/format->99\n+0,3:->1 5\n\n' | cdb -c "$CDB" || check fail.format.setup 0 2
    errcase fail.format.unknown ipc 1.2.3.4
    printf '+7,1:/format->1\n+0,7:->garbage\n\n' | cdb -c "$CDB" || check fail.format.setup 0 3
    errcase fail.format.badvalue ipc 1.2.3.4
else
    skip fail.format "tinycdb's cdb tool is not installed"
fi

setup fail.nodir ':1'
rm -rf "$OL"
snap
errcase fail.nodir ipc 1.2.3.4
outside fail.nodir.outside

if [ -n "$CAN_UNWRITABLE" ]; then
    setup fail.rodir ':1'
    asnobody
    chmod 555 "$OL"
    errcase fail.rodir ipc 1.2.3.4
    check fail.rodir.nofile 0 "$(olcount)"
    chmod 755 "$OL"
    printf 'XX' > "$OL/1.2.3.4"
    chmod 444 "$OL/1.2.3.4"
    errcase fail.rofile ipc 1.2.3.4
    check fail.rofile.unchanged "XX" "$(cat "$OL/1.2.3.4")"
    chmod 000 "$CDB"
    errcase fail.unreadablecdb ipc 5.6.7.8
    asroot
else
    skip fail.rodir "$NOBODY_WHY"
fi

# the targets are what a helper that follows the link would happily use: an
# empty file (a new client) and a classic counter
setup fail.symlink ':5'
: > "$W/victim"
printf 'XX' > "$W/victim2"
ln -s "$W/victim" "$OL/1.2.3.4"
ln -s "$W/victim2" "$OL/1.2.3.6"
ln -s "$W/notthere" "$OL/1.2.3.5"
snap
errcase fail.symlink ipc 1.2.3.4
check fail.symlink.victim "" "$(cat "$W/victim")"
errcase fail.symlink.classic ipc 1.2.3.6
check fail.symlink.victim2 "XX" "$(cat "$W/victim2")"
errcase fail.symlink.dangling ipc 1.2.3.5
outside fail.symlink.outside

setup fail.dir ':5'
mkdir "$OL/1.2.3.4"
errcase fail.dir ipc 1.2.3.4
check fail.dir.empty "" "$(ls -A "$OL/1.2.3.4")"

setup fail.fifo ':5'
mkfifo "$OL/1.2.3.4"
errcase fail.fifo ipc 1.2.3.4

setup fail.corrupt ':5/1h'
printf 'garbage\n' > "$OL/1.2.3.4"
sum=$(cksum < "$OL/1.2.3.4")
errcase fail.corrupt.text ipc 1.2.3.4
check fail.corrupt.text.kept "$sum" "$(cksum < "$OL/1.2.3.4")"
{ printf 'RCPTOL1\n'; head -c 248 /dev/zero; } > "$OL/1.2.3.5"
sum=$(cksum < "$OL/1.2.3.5")
errcase fail.corrupt.zerohdr ipc 1.2.3.5
check fail.corrupt.zerohdr.kept "$sum" "$(cksum < "$OL/1.2.3.5")"
# a header claiming 1000 records in a file that has none
{ printf 'RCPTOL1\n\000\001\000\000\020\000\000\000\350\003\000\000'; head -c 236 /dev/zero; } > "$OL/1.2.3.6"
sum=$(cksum < "$OL/1.2.3.6")
errcase fail.corrupt.nrec ipc 1.2.3.6
check fail.corrupt.nrec.kept "$sum" "$(cksum < "$OL/1.2.3.6")"
printf 'XXXXY' > "$OL/1.2.3.7"
errcase fail.corrupt.notx ipc 1.2.3.7

setup fail.noident ':5'
errcase fail.noident rc RELAYCLIENT=
errcase fail.noident.emptyauth rc RELAYCLIENT= SMTPAUTHUSER= SMTP_AUTH_USER=
errcase fail.noident.emptyip rc RELAYCLIENT= TCPREMOTEIP=
errcase fail.badip.range ipc 1.2.3.999
errcase fail.badip.path ipc evil/../x
errcase fail.badip.tcp6 rc RELAYCLIENT= TCP6REMOTEIP=2001:db8::zz
check fail.noident.nofile 0 "$(olcount)"
outside fail.noident.outside
rc RELAYCLIENT= TCPREMOTEIP=1.2.3.999 OVERLIMIT_ONERROR=accept
check fail.policy.accept 112 "$R"

# one rule for every setting: a bad value is an error line and the policy
# (OVERLIMIT_TIMEOUT fell back silently), never a silent default
setup fail.settings ':5'
for fs_v in OVERLIMIT_TIMEOUT=0 OVERLIMIT_TIMEOUT=x OVERLIMIT_TIMEOUT=3601 \
    OVERLIMIT_NOTIFY_TIMEOUT=0 OVERLIMIT_NOTIFY_TIMEOUT=1x \
    OVERLIMIT_DRYRUN=yes OVERLIMIT_STRICT=2 OVERLIMIT_COUNT_LOCAL=true \
    OVERLIMIT_BAN=101 OVERLIMIT_WARN=-1 OVERLIMIT_ONERROR=maybe; do
    fs_n=${fs_v%%=*}
    ipc 1.2.3.4 "$fs_v"
    check "fail.settings.$fs_v" "112 $fs_n" "$R $(logkv error | grep -o '^OVERLIMIT_[A-Z_]*')"
done
check fail.settings.nofile 0 "$(olcount)"
seqx fail.settings.good "112" ipc 1.2.3.4 OVERLIMIT_TIMEOUT=5 \
    OVERLIMIT_NOTIFY_TIMEOUT=60 OVERLIMIT_DRYRUN=0 OVERLIMIT_STRICT=1 \
    OVERLIMIT_COUNT_LOCAL=0 OVERLIMIT_BAN=2 OVERLIMIT_WARN=80
# qmail-smtpd's counts garbled: logged on the line, msg= left out, counted
setup fail.rcptcount ':5:msg=1'
ipc 1.2.3.4 SMTPRCPTCOUNT=abc
check fail.rcptcount.garbage "112 1/5" "$R $(logkv total)"
check fail.rcptcount.logged yes "$(case "$(logkv env_error)" in *SMTPRCPTCOUNT*) echo yes;; *) logkv env_error;; esac)"
ipc 1.2.3.4 SMTPRCPTCOUNT=-3
check fail.rcptcount.negative "112 yes" "$R $([ -n "$(logkv env_error)" ] && echo yes)"
ipc 1.2.3.4 SMTPRCPTCOUNT=5
check fail.rcptcount.good "113 " "$R $(logkv env_error)"

# -------------------------------------------------- a full disk
# (root only: a 64 KiB tmpfs is mounted under the test dir)
if [ -n "${RTS_LIGHT:-}" ]; then
    skip diskfull "RTS_LIGHT is set (the valgrind run: a tmpfs filled under memcheck); the gcc and ASan+UBSan runs have it"
elif [ "$(id -u)" = 0 ] && command -v mount >/dev/null 2>&1; then
    setup diskfull ':100' '1.2.3.6:1000/1h'
    mkdir "$W/full"
    if mount -t tmpfs -o size=64k,mode=755 tmpfs "$W/full" 2>/dev/null; then
        OLSAVE=$OL
        OL=$W/full/ol
        mkdir "$OL"
        ipc 1.2.3.4
        check diskfull.before 112 "$R"
        # 240 recipients in 240 seconds of the last hour: a file that
        # fills its block (256 + 240 * 16 = 4096), written as the store
        # writes it (one record a second)
        python3 - "$OL/1.2.3.6" <<'PYEOF'
import struct, sys, time
now, n = int(time.time()), 240
h = bytearray(256)
h[0:8] = b"RCPTOL1\n"
struct.pack_into("<IIIIQ", h, 8, 256, 16, n, 0, n)
struct.pack_into("<q", h, 40, now - 60)
struct.pack_into("<q", h, 48, now - 3000)
recs = b"".join(struct.pack("<qQ", now - 3000 + 10 * i, i + 1) for i in range(n))
open(sys.argv[1], "wb").write(bytes(h) + recs)
PYEOF
        chmod 600 "$OL/1.2.3.6"
        check diskfull.block "4096" "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
        dd if=/dev/zero of="$W/full/filler" bs=4096 2>/dev/null
        # a new client: its file cannot be written (nor a byte of the
        # tally of errors)
        ERRTALLY=no
        errcase diskfull.new ipc 1.2.3.5
        # a known client whose file has room in its block still counts
        ipc 1.2.3.4
        check diskfull.known "112 2/100" "$R $(logkv total)"
        # one whose next record needs a new block: error, nothing counted
        errcase diskfull.grow ipc 1.2.3.6
        ERRTALLY=
        check diskfull.grow.size "4096" "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
        rm -f "$W/full/filler"
        ipc 1.2.3.6
        check diskfull.after "112 241/1000" "$R $(logkv 1h)"
        olsane diskfull.olsane
        umount "$W/full"
        OL=$OLSAVE
    else
        skip diskfull "cannot mount a tmpfs here"
    fi
else
    skip diskfull "needs root to mount a small tmpfs"
fi

# -------------------------------------------------- hostile control files
# A key given three times, with more keys after it: every repetition is a
# warning naming its line, the last line wins, the other keys are intact.
# (cdbmake-limits read a freed key in this case: an ASan build aborted.)
setup ctl.dup3
printf '%s\n' 'a@b.c:1' 'A@B.C:2' 'a%b.c:3' 'z@z.z:1' '1.2.3.4:1' \
    '1.2.3.4/32:2' ':5' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check ctl.dup3 "0 3 yes yes yes" "$CM $(grep -c warning "$IO/cerr") $(mentions 2) $(mentions 3) $(mentions 6)"
seqx ctl.dup3.last "112 112 112 113" auc a@b.c
seqx ctl.dup3.other "112 113" auc z@z.z
seqx ctl.dup3.ip "112 112 113" ipc 1.2.3.4
seqx ctl.dup3.default "112 112 112 112 112 113" ipc 5.6.7.8

# badfile NAME: the control file $W/bad is refused (exit 100) naming line
# $2, the CDB in force is unchanged, nothing is left behind, the
# messages carry no raw control byte
badfile() {
    bf_sum=$(cksum < "$CDB")
    CMIN=$W/bad
    cm "$CDB" "$CDB.tmp"
    check "ctl.$1" "100 yes" "$CM $(mentions "$2")"
    check "ctl.$1.cdb" "$bf_sum" "$(cksum < "$CDB")"
    check "ctl.$1.stderr_clean" 0 "$(tr -d '\n' < "$IO/cerr" | tr -cd '\000-\037\177' | wc -c | tr -d ' ')"
    check "ctl.$1.notmp" "" "$(ls "$CDB.tmp" 2>/dev/null)"
}
setup ctl.hostile ':7'
{ echo ':5'; head -c 102400 /dev/zero | tr '\0' 'a'; echo ':5'; } > "$W/bad"
badfile longline 2
awk 'BEGIN { for (i = 0; i < 4096; i++) printf "%c", (i * 7 + 1) % 256 }' > "$W/bad"
badfile binary 1
printf 'ok@x.com:1\nbad\n' > "$W/bad"
badfile nocolon_at_eof 2
printf ':5\nu@x.com:1/0h\n' > "$W/bad"
badfile zeroperiod 2
printf ':5\nu@x.com:4294967296\n' > "$W/bad"
badfile limit2p32 2
printf ':5\n[1.2.3.4]:1\n' > "$W/bad"
badfile v4_in_brackets 2
# the old CDB still works after all these
seqx ctl.hostile.still "112 112 112 112 112 112 112 113" ipc 1.2.3.4

# accepted oddities: each with its meaning
setup ctl.odd
printf '\303x@x.com:2\n[::ffff:1.2.3.4]:1\nnoeol@x.com:1' > "$CTL"
CMIN=$CTL
cm "$CDB" "$CDB.tmp"
check ctl.odd.compile 0 "$CM"
seqx ctl.odd.utf8 "112 112 113" auc "$(printf '\303x@x.com')"
# an IPv4-mapped IPv6 in brackets is that IPv4, as for the client
seqx ctl.odd.mapped "112 113" ipc 1.2.3.4
seqx ctl.odd.noeol "112 113" auc noeol@x.com
: > "$CTL"
cm "$CDB" "$CDB.tmp"
check ctl.empty.compile 0 "$CM"
ipc 5.6.7.8
check ctl.empty.unlimited "112 none 1" "$R $(logkv rule) $(logkv total)"

# -------------------------------------------------- hostile identities
# (rts.sh "names" has path tricks, 100 KB and newline names): auth names
# are counted as themselves, 112 then 113 at ':1', one clean log line
setup ident.hostile ':1'
snap
i=0
for name in "$(printf '\303\050')" "$(printf '\377\376\375')" "$(printf 'a\rb')" \
    "$(printf 'a\tb')" "$(printf '\033[2J')" "$(printf 'x\177')" ' ' \
    "$(printf 'u@x\nverdict=accept')" '%00' '%2f' 'CON' "$(printf 'caf\303\251@x.com')"; do
    i=$((i + 1))
    auc "$name"
    r1="$R $(logsum)"
    auc "$name"
    check "ident.auth.$i" "112 $(logok accept) 113 $(logok refuse)" "$r1 $R $(logsum)"
done
olsane ident.auth.olsane
check ident.auth.count "$i" "$(olcount)"
outside ident.auth.outside
setup ident.hostileip ':1'
snap
# an IP that is not an IP is an error (failure policy), never a name
i=0
for ip in "1.2.3.4$nl" "1.2.3.4${cr}" ' 1.2.3.4' '1.2.3.4 ' . .. / 1.2.3.4/32 \
    ../../x "$BIG" "$(printf '\303\050')" 01.2.3.4 '::ffff:1.2.3.4/..' \
    '[::1]' 'fe80::1%eth0'; do
    i=$((i + 1))
    errcase "ident.ip.$i" ipc "$ip"
done
check ident.ip.nofile 0 "$(olcount)"
outside ident.ip.outside

# -------------------------------------------------- a tampered store
setup store.tampered ':5' '1.2.3.9:100/1h'
PY=$(command -v python3 2>/dev/null || true)
if [ -n "$PY" ]; then
    "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$OL/1.2.3.4"
    errcase store.socket ipc 1.2.3.4
    check store.socket.kept yes "$([ -S "$OL/1.2.3.4" ] && echo yes)"
else
    skip store.socket "python3 (to bind a unix socket) is not installed"
fi
# a huge sparse file of zeros reads as an interrupted creation (a new
# client): counted at once, nothing read beyond the header
# (1 TB: no machine reads that within rcptsim's 10 s, so a run that ends
# by itself read none of it: a bound that holds whatever the speed)
truncate -s 1T "$OL/1.2.3.5"
ipc 1.2.3.5
hz_r=$R
seqx store.hugezero "112" ipc 1.2.3.5
check store.hugezero.total "2/5" "$(logkv total)"
check store.hugezero.fast "112 112" "$hz_r $R"
# a huge file that is neither: corrupt, left as it is, at once
{ printf 'XXXX'; } > "$OL/1.2.3.6"
truncate -s 2G "$OL/1.2.3.6"
errcase store.hugegarbage ipc 1.2.3.6
check store.hugegarbage.kept 2147483648 "$(wc -c < "$OL/1.2.3.6" | tr -d ' ')"
# a file the store wrote, truncated in the middle of a record
seqx store.trunc.fill "112 112 112 112 112 112" ipc 1.2.3.9
# (one record a second: one to six of them, however slow the machine)
sz=$(wc -c < "$OL/1.2.3.9")
check store.trunc.size yes "$([ "$sz" -ge 272 ] && [ "$sz" -le 352 ] && [ $(( (sz - 256) % 16 )) = 0 ] && echo yes || echo "$sz")"
truncate -s $((sz - 8)) "$OL/1.2.3.9"
sum=$(cksum < "$OL/1.2.3.9")
errcase store.trunc ipc 1.2.3.9
check store.trunc.kept "$sum" "$(cksum < "$OL/1.2.3.9")"
# ... and to nothing: a new client again (a reset, as the cleanup job does)
: > "$OL/1.2.3.9"
ipc 1.2.3.9
check store.trunc.empty "112 1/100" "$R $(logkv 1h)"
# a counter file of another user, or with no permissions, or in a
# directory with none: the helper runs as an unprivileged user (as root:
# nobody; else the user running this)
if [ -n "$CAN_UNWRITABLE" ]; then
    setup store.perm ':5'
    if [ "$(id -u)" = 0 ]; then
        chown 65534 "$OL"
        printf 'XX' > "$OL/1.2.3.4"
        chmod 600 "$OL/1.2.3.4"             # root's, 0600
        asnobody
        errcase store.perm.otheruser ipc 1.2.3.4
        check store.perm.otheruser.kept XX "$(cat "$OL/1.2.3.4")"
        asroot
        chown 65534 "$OL/1.2.3.4"
    else
        skip store.perm.otheruser "not root: cannot give a file to another user"
        printf 'XX' > "$OL/1.2.3.4"
    fi
    asnobody
    chmod 000 "$OL/1.2.3.4"                 # the helper's own, mode 000
    errcase store.perm.mode000 ipc 1.2.3.4
    chmod 600 "$OL/1.2.3.4"
    chmod 000 "$OL"                         # the directory, mode 000
    errcase store.perm.dir000 ipc 1.2.3.4
    chmod 755 "$OL"
    seqx store.perm.restored "112" ipc 1.2.3.4
    asroot
else
    skip store.perm "$NOBODY_WHY"
fi

# -------------------------------------------------- a directory others could plant files in
# The counter directory is trusted only when no other user can write it;
# a counter file must be its owner's, with one link; a classic 0644 file
# taken over becomes 0600 (another user could lock it and stall the client)
setup store.trust ':5'
chmod 775 "$OL"
errcase store.trust.groupw ipc 1.2.3.4
check store.trust.groupw.msg yes "$(case "$(logkv error)" in *"writable by its group or others"*) echo yes;; *) logkv error;; esac)"
chmod 757 "$OL"
errcase store.trust.otherw ipc 1.2.3.4
chmod 755 "$OL"
check store.trust.nofile "" "$(ollist)"
# a hard link to a file elsewhere is not written through
printf 'XX' > "$W/outside"
ln "$W/outside" "$OL/1.2.3.5"
errcase store.trust.hardlink ipc 1.2.3.5
check store.trust.hardlink.msg yes "$(case "$(logkv error)" in *"2 links"*) echo yes;; *) logkv error;; esac)"
check store.trust.hardlink.kept XX "$(cat "$W/outside")"
rm -f "$OL/1.2.3.5"
# another user's file in the directory
printf 'X' > "$OL/1.2.3.6"
chown 65534 "$OL/1.2.3.6" 2>/dev/null || true
if [ "$(stat -c %u "$OL/1.2.3.6")" = 65534 ]; then
    errcase store.trust.otheruser ipc 1.2.3.6
    check store.trust.otheruser.msg yes "$(case "$(logkv error)" in *"belongs to uid 65534"*) echo yes;; *) logkv error;; esac)"
else
    skip store.trust.otheruser "cannot give a file to another user (not root)"
fi
rm -f "$OL/1.2.3.6"
# a classic file taken over: counted on, and made 0600
printf 'XX' > "$OL/1.2.3.7"
chmod 644 "$OL/1.2.3.7"
seqx store.trust.classic "112 112 112 113" ipc 1.2.3.7
check store.trust.classic.mode 600 "$(stat -c %a "$OL/1.2.3.7")"
olsane store.trust.olsane

# -------------------------------------------------- a hostile CDB fails at once
# (no watchdog wait: a table without an empty slot, a device, a huge file)
setup cdb.hostile ':5'
cp "$CDB" "$W/good.cdb"
ln -sf /dev/urandom "$CDB"
errcase cdb.hostile.urandom ipc 1.2.3.4 OVERLIMIT_TIMEOUT=30
# refused at open (not the watchdog's "timeout after 30s")
check cdb.hostile.urandom.reason yes "$(case "$(logkv error)" in *"not a limits CDB"*) echo yes;; *) logkv error;; esac)"
rm -f "$CDB"
# a 32 MB table whose slots are all full: every probe bounded
PY=$(command -v python3 2>/dev/null || true)
if [ -n "$PY" ]; then
    "$PY" - "$CDB" <<'PYEOF'
import struct, sys
n = 4 * 1024 * 1024                     # slots: 32 MB
with open(sys.argv[1], "wb") as f:
    head = b"".join(struct.pack("<II", 2048, n) for _ in range(256))
    f.write(head)
    slot = struct.pack("<II", 0x12345678, 2048)   # never the hash, never empty
    f.write(slot * n)
PYEOF
    errcase cdb.hostile.full ipc 1.2.3.4 OVERLIMIT_TIMEOUT=30
    check cdb.hostile.full.reason yes "$(case "$(logkv error)" in *"not a limits CDB"*) echo yes;; *) logkv error;; esac)"
else
    skip cdb.hostile.full "python3 (to write the crafted CDB) is not installed"
fi
cp "$W/good.cdb" "$CDB"
seqx cdb.hostile.restored "112" ipc 1.2.3.4

# -------------------------------------------------- a read-only filesystem
# (root only: a small tmpfs remounted read-only under the test dir)
# Outcome: every count is an error line and the failure policy; nothing
# changes; the cleanup job exits 111; after remounting rw all is as before.
if [ "$(id -u)" = 0 ] && command -v mount >/dev/null 2>&1; then
    setup rofs ':5' '1.2.3.6:5/1h'
    mkdir "$W/fs"
    if mount -t tmpfs -o size=256k,mode=755 tmpfs "$W/fs" 2>/dev/null; then
        OLSAVE=$OL
        OL=$W/fs/ol
        mkdir "$OL"
        seqx rofs.before "112 112" ipc 1.2.3.4
        seqx rofs.before.window "112" ipc 1.2.3.6
        sums=$(cat "$OL"/* | cksum)
        if mount -o remount,ro "$W/fs" 2>/dev/null; then
            errcase rofs.known ipc 1.2.3.4
            check rofs.known.reason yes "$(case "$(logkv error)" in *Read-only*) echo yes;; *) logkv error;; esac)"
            errcase rofs.known.window ipc 1.2.3.6
            errcase rofs.new ipc 1.2.3.5
            cl_t0=$(date +%s)
            env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" > "$IO/clout" 2> "$IO/clerr"
            check rofs.cleanup 111 "$?"
            check rofs.unchanged "$sums" "$(cat "$OL"/* | cksum)"
            check rofs.nonew "1.2.3.4 1.2.3.6" "$(ollist | tr '\n' ' ' | sed 's/ $//')"
            mount -o remount,rw "$W/fs"
            ipc 1.2.3.4
            check rofs.after "112 3/5" "$R $(logkv total)"
            ipc 1.2.3.6
            check rofs.after.window "112 2/5" "$R $(logkv 1h)"
            olsane rofs.olsane
        else
            skip rofs "cannot remount a tmpfs read-only here"
        fi
        umount "$W/fs"
        OL=$OLSAVE
    else
        skip rofs "cannot mount a tmpfs here"
    fi
else
    skip rofs "needs root to mount a small tmpfs"
fi

# -------------------------------------------------- the CDB truncated and rewritten in place
# Not what cdbmake-limits does (it renames), but what a careless admin's
# "cat new > relaylimits.cdb" or a disk fault does. The helper reads the
# CDB with read(2), not a mapping: no SIGBUS. Outcome per run: the rule
# (112 with line=2) or an error line and the failure policy; never a
# signal, a timeout or another exit. The same for the cleanup job
# (0 or 111).
setup cdbtrunc ':1000000'
{ i=0; while [ "$i" -lt 500 ]; do echo "user$i@example.com:$i"; i=$((i + 1)); done; } > "$W/pad"
{ echo '# line 1'; echo ':1000000'; cat "$W/pad"; } > "$CTL"
"$CDBMAKE" "$W/good.cdb" "$W/good.tmp" < "$CTL"
cp "$W/good.cdb" "$CDB"
size=$(wc -c < "$W/good.cdb" | tr -d ' ')
# the rewriter runs until the readers are done: 150 runs with each policy
# (20 under RTS_LIGHT: valgrind), the defer runs going on until both
# outcomes were seen (at most 1000; not under RTS_LIGHT), then 20 cleanup
# runs: bounded by counts, whatever the speed
: > "$W/run"
(
    k=1
    while [ -e "$W/run" ]; do
        : > "$CDB"                                          # truncated to nothing
        head -c $((size * k / 7)) "$W/good.cdb" > "$CDB"    # in place, in part
        cat "$W/good.cdb" > "$CDB"                          # whole again
        head -c 2048 /dev/zero > "$CDB"                     # zeroed
        cat "$W/good.cdb" > "$CDB"
        k=$((k % 6 + 1))
    done
) &
tr_pid=$!
tr_ok=0 tr_err=0 tr_bad=0 tr_n=0 tr_bads=
tr_runs=150
[ -z "${RTS_LIGHT:-}" ] || tr_runs=20
for pol in accept defer; do
    tr_p=0
    while [ "$tr_p" -lt "$tr_runs" ] || { [ "$pol" = defer ] && [ -z "${RTS_LIGHT:-}" ] && [ "$tr_p" -lt 1000 ] &&
        [ $((tr_ok * tr_err)) -eq 0 ]; }; do
        ipc 10.1.1.1 OVERLIMIT_ONERROR=$pol
        tr_n=$((tr_n + 1)) tr_p=$((tr_p + 1))
        case "$pol:$R:$(logkv line):$(lognk error)" in
        *:112:2:0) tr_ok=$((tr_ok + 1)) ;;
        accept:112::1|defer:111::1) tr_err=$((tr_err + 1)) ;;
        *) tr_bad=$((tr_bad + 1)); tr_bads="$tr_bads $R" ;;
        esac
    done
done
cl_bad=0
cl_i=0
while [ "$cl_i" -lt 20 ]; do
    env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" > /dev/null 2>&1
    case $? in 0|111) ;; *) cl_bad=$((cl_bad + 1)) ;; esac
    cl_i=$((cl_i + 1))
done
rm -f "$W/run"
wait "$tr_pid"
cat "$W/good.cdb" > "$CDB"
echo "# cdbtrunc: $tr_n runs, $tr_ok with the rule, $tr_err error+policy, $tr_bad other"
check cdbtrunc.never_else "0" "$tr_bad${tr_bads:+:$(show "$tr_bads")}"
if [ -z "${RTS_LIGHT:-}" ]; then
    check cdbtrunc.both_seen yes "$([ "$tr_ok" -gt 0 ] && [ "$tr_err" -gt 0 ] && echo yes || echo "ok=$tr_ok err=$tr_err")"
else
    skip cdbtrunc.both_seen "RTS_LIGHT is set (the valgrind run: one run under memcheck spans many rewrites, so the rule is seen whole only by chance; cdbtrunc.after reads it whole)"
fi
check cdbtrunc.cleanup "0" "$cl_bad"
ipc 10.1.1.1
check cdbtrunc.after "112 2" "$R $(logkv line)"
olsane cdbtrunc.olsane

# ------------------------------------------------ descriptors 0-2 closed
# (the first file a program opens would take 0, 1 or 2, and a log line
# written to 2 land in it: a counter file's header was destroyed)
setup closedfds ':3/1h' '@x.com:3/1h:mass=1x5/1h'
cf_env() {
    env -i RELAYCLIENT= TCPREMOTEIP=1.2.3.4 SMTPRCPTCOUNT=0 SMTPRCPTCOUNTALL=1 \
        OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$@"
}
cf_env "$HELPER" <&- >&- 2>&-
check closedfds.helper.exit 112 "$?"
cf_env SMTPAUTHUSER=u@x.com "$HELPER" <&- >&- 2>&-
cf_env SMTPAUTHUSER=u@x.com RCPTHOSTS=1 "$HELPER" <&- >&- 2>&-
ipc 1.2.3.4
check closedfds.helper.next "112 2/3" "$R $(logkv 1h)"
check closedfds.helper.noerror "" "$(logkv error)"
auc u@x.com
check closedfds.user.next "112 2/3" "$R $(logkv 1h)"
check closedfds.user.noerror "" "$(logkv error)"
olsane closedfds.olsane
env -i OVERLIMIT_DIR="$OL" OVERLIMIT_CDB="$CDB" "$CLEANUP" <&- >&- 2>&-
check closedfds.cleanup.exit 0 "$?"
ipc 1.2.3.4
check closedfds.cleanup.next "112 3/3 " "$R $(logkv 1h) $(logkv error)"
# the watchdog fires while the client's file is open (another process holds
# the server cap's lock): its line must not land in the counter file
if command -v python3 > /dev/null 2>&1; then
    setup closedfds.watchdog ':5/1h' '*:100/1h'
    ipc 1.2.3.4
    holdlock "$OL/*"
    cf_env OVERLIMIT_TIMEOUT=1 "$HELPER" <&- >&- 2>&-
    check closedfds.watchdog.exit 112 "$?"
    # the watchdog's accept is counted for monitoring, like every error's
    check closedfds.watchdog.tally 1 "$(tally .errors-accept)"
    unlock
    ipc 1.2.3.4
    check closedfds.watchdog.next "112 2/5 " "$R $(logkv 1h) $(logkv error)"
    olsane closedfds.watchdog.olsane
else
    skip closedfds.watchdog "$HOLDLOCK_WHY"
fi
printf ':1/1h\n' | "$CDBMAKE" "$W/c2.cdb" "$W/c2.tmp" >&- 2>&-
check closedfds.cdbmake.exit 0 "$?"
check closedfds.cdbmake.cdb yes "$(cdb -q "$W/c2.cdb" /format 2>/dev/null | grep -qx 1 && echo yes)"

teardown
finish

