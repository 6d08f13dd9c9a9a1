#!/usr/bin/env python3
"""mkseeds.py: (re)write the seed corpora of the fuzz harnesses into
corpus/{rule,name,store,limits,dest}/ (the committed seeds are its output).

    make && python3 tests/fuzz/mkseeds.py

The limits seeds are CDBs compiled by build/cdbmake-limits (skipped when it
has not been built).
"""
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = 1700000000


def put(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("latin-1")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- control-file lines (fuzz_rule): the first byte also seeds the line number
rules = [
    ":1000", "user@example.com:0", "@example.com:200/1d", "1.2.3.4:3000",
    "192.168.1.:100/1h", "10.0.0.0/8:100/1h,1000/1d", "[2001:db8::]/48:100/1h",
    "[2001:db8::5]:50", "  u1@x.com  :  2   # trailing comment", "# comment",
    "u3@x.com:4\r", ":1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s", "a:x", "a:-1",
    "a:5/1y", "1.2.3.256:5", "10.0.0.1/8:5", "2001:db8::1:5", "::1:50",
    "[2001:db8::1]/48:5", "[2001:db8::5:5", "a@x.com:5:opt", "a@x.com:1/1h,2/1h",
    "User%Example.COM:5/90m,7/1w", "user/example.com:1,0/1h", "@X.Com:2",
    "172.16.:2", "[::ffff:1.2.3.0]/120:5", "1.2.3.4/32:1",
    "a@x.com:99999999999999999999999", "a\x01b:5", "x:1000000000/366d",
    # rule_parsevalue input: CDB values
    "12 100/3600,1000/86400,500", "1 0", "4294967295 1",
    # destination rules
    "u@x.org>@.example.com:allow", '@x.org>*:deny:dryrun:text="no {client}"',
    ">@spam.example:deny", "[2001:db8::]/48>info-*@*.example.org:deny",
    "192.168.1.>a@b:allow:dryrun", "u@x>@.*.y:deny",
]
for i, r in enumerate(rules):
    put("rule", "line%02d" % i, r)

# ---- names (fuzz_name): NAME, or NAME \xff OTHER
names = [
    "user@example.com", "User%Example.COM", "user/example.com", "..", ".",
    "/", "../../etc/passwd", ".hidden", "@@", ":", ".@x", "1.2.3.4",
    "::ffff:1.2.3.4", "2001:DB8::5", "~x", "%2e%2e", "a" * 300,
    "b\xff" + "B", "user@example.com\xffUSER@EXAMPLE.COM",
    "caf\xc3\xa9@x.com", "\xc3\x28@x", "a\nb@x", "a\x00b", "",
    "x" * 85 + "\x01", "10.0.0.1\xff10.0.0.01", "%41\xffA",
    "~" + "0" * 64,
]
for i, n in enumerate(names):
    put("name", "name%02d" % i, n)

# ---- counter files (fuzz_store): first byte = rule (bits 0-1: 0 mixed,
# 1 long window, 2 plain, 3 unlimited) and the clock of the second
# recipient (bits 2-3: +1 s, -1 h, +366 d, the epoch), then the file


def hdr(nrec, total=0, refused=0, last=0, reset=NOW - 100, lref=0, base=0,
        hints=(), flags=0, magic=b"RCPTOL1\n", hsz=256, rsz=16):
    b = magic + struct.pack("<IIII", hsz, rsz, nrec, flags)
    b += struct.pack("<QQqqqQ", total, refused, last, reset, lref, base)
    h = b""
    for i in range(8):
        p, f = hints[i] if i < len(hints) else (0, 0)
        h += struct.pack("<IIQ", p, f, 0)
    b += h
    return b + b"\0" * (256 - len(b))


def recs(times, base=0):
    out, cum = b"", base
    for t in times:
        cum += 1
        out += struct.pack("<qQ", t, cum)
    return out


for r in range(4):
    R = bytes([r])
    put("store", "empty%d" % r, R)
    put("store", "classic%d" % r, R + b"X" * 7)
    put("store", "zeros%d" % r, R + b"\0" * 300)
    t = [NOW - 50, NOW - 30, NOW - 10]
    put("store", "three%d" % r, R + hdr(3, total=3, last=NOW - 10) + recs(t))
    put("store", "hinted%d" % r, R + hdr(3, total=3, last=NOW - 10,
        hints=[(60, 0), (3600, 1)]) + recs(t))
    old = [NOW - 100000 + i for i in range(300)] + [NOW - 5]
    put("store", "compact%d" % r, R + hdr(301, total=301, last=NOW - 5,
        hints=[(60, 0)]) + recs(old, base=10))
# the second recipient with the clock stepped back, forward, to the epoch
for step in (1, 2, 3):
    R = bytes([step << 2])
    put("store", "step%d" % step, R + hdr(3, total=3, last=NOW - 10,
        hints=[(60, 0), (3600, 1)]) + recs([NOW - 50, NOW - 30, NOW - 10]))
put("store", "short", b"\0" + hdr(1000))
put("store", "backwards", b"\0" + hdr(3, total=3) +
    recs([NOW + 100, NOW - 100, NOW]))
put("store", "cumdown", b"\0" + hdr(2, total=2) +
    struct.pack("<qQqQ", NOW - 5, 9, NOW - 4, 3))
put("store", "badmagic", b"\0" + hdr(0, magic=b"RCPTOL2\n"))
put("store", "badsizes", b"\0" + hdr(0, hsz=255, rsz=8))
put("store", "maxtotal", b"\2" + hdr(0, total=2**64 - 1, refused=2**64 - 1))
put("store", "future", b"\0" + hdr(2, total=2, last=2**62) +
    recs([2**62, 2**63 - 1]))
put("store", "pastepoch", b"\0" + hdr(2, total=2) + recs([-2**63, -5]))
put("store", "maxrec", b"\0" + hdr(1 << 24))
put("store", "garbage", b"\0garbage\n")
# regress-cumwrap, regress-unsorted, regress-bigbase: inputs fuzz_store
# found (docs/RELIABILITY.md)

# ---- log and notify values (fuzz_logline): operations, each one byte
# (0,4 log_esc; 1,5 log_quote; 2 log_bytes; 3 log_add/log_fmt; 6
# notify_env_add; 7 notify_env_pass), one length byte (ops 4-7: two, the
# length x 8 + the second's low bits), then the value
def op(code, value):
    value = value.encode("latin-1") if isinstance(value, str) else value
    if code >= 4:
        return bytes([code, len(value) // 8, len(value) % 8]) + value
    return bytes([code, len(value)]) + value


put("logline", "client", op(0, "user@example.com") + op(3, ""))
put("logline", "hostile", op(0, "evil\r\nverdict=accept client=root") +
    op(1, 'cannot open "x\\y"') + op(2, "\x00\x1b[2J\x7f\xff"))
put("logline", "long", op(4, "a" * 300) + op(5, "b c " * 100) +
    op(4, "\n" * 600))
put("logline", "full", b"".join(op(4, "\xff" * 400) for _ in range(8)))
put("logline", "notify", op(6, "u@x.com") + op(6, "evil\nsender") +
    op(7, "") + op(6, "\xff" * 300))
put("logline", "envfull", b"".join(op(6, "\x01" * 256) for _ in range(30)) +
    b"".join(op(7, "") for _ in range(40)))

# ---- limits CDBs (fuzz_limits): compiled by cdbmake-limits, plus a cut one
ROOT = os.path.dirname(os.path.dirname(HERE))
CDBMAKE = os.path.join(ROOT, "build", "cdbmake-limits")
ctls = {
    "sample": open(os.path.join(ROOT, "control", "relaylimits")).read(),
    "default": ":5\n",
    "empty": "",
    "prefixes": "user@example.org:1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s\n"
                "[2001:db8::]/32:9\n[2001:db8::]/48:8\n[2001:db8::5]:7\n"
                "10.0.0.0/8:1\n10.1.0.0/16:2\n10.1.2.0/24:3\n@example.org:4\n"
                "192.168.1.:5/1h\n",
}
if os.access(CDBMAKE, os.X_OK):
    with tempfile.TemporaryDirectory() as t:
        for name, text in ctls.items():
            cdb = os.path.join(t, name + ".cdb")
            subprocess.run([CDBMAKE, cdb, cdb + ".tmp"], input=text.encode(),
                           check=True)
            data = open(cdb, "rb").read()
            put("limits", name, data)
            if name == "sample":
                put("limits", "sample-cut", data[:len(data) - 200])

# ---- destination rules (fuzz_dest): a recipient line, then patterns,
# each after one byte: odd deny, even allow
dests = {
    "school": ["pupil@school.example", "a@.school.example", "b*",
               "ahelpdesk-*@isp.example", "b@school.example"],
    "first": ["JOE@Example.COM.", "ajoe@example.com", "b@.example.com",
              "b*@*.com", "a*"],
    "wild": ["info-sales@a.b.example.org", "a*@*.example.org",
             "binfo-*@a.b.example.org", "a@.b.example.org", "b*a*a*b@*"],
    "noat": ["no-at-sign", "a*@*", "b*"],
    "quotes": ['"a@b"@example.com', "a@b", "b*@example.com", "a@example.com"],
    "twoat": ["a@b@c.example", "b@c.example", "a@b@c.example", "a*@c.example"],
    "percent": ["user%other@relay.example", "a@other", "b@relay.example"],
    "cr": ["a\rb@x.example", "a*@x.example", "ba\rb@x.example"],
    "long": ["a" * 1100 + "@x.example", "a*@x.example", "b*"],
    "labels": ["a@" + ".".join(["l%d" % i for i in range(60)]),
               "a@.l59", "b@.l57.l58.l59", "a@.l1.l2.l3"] +
              ["b@.l%d.l59" % i for i in range(50, 59)],
}
for name, lines in dests.items():
    put("dest", name, "\n".join(lines) + "\n")
