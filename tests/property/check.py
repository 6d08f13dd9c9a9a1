#!/usr/bin/env python3
"""Model-based property test of rcptcheck-overlimit (black box, virtual clock).

README
======
Runs the REAL helper through random scenarios -- a random control file
(1-3 windows of 1-6 over 2 s to 2 d, sometimes a plain N or 0, strict,
ban, ban=Kx, dormant=, nets=, msg=, reply=, @domain pools, a * cap,
exempt destinations), 2-5 clients (auth users of one or two domains,
spelled User%Domain or upper case at times, IP clients matched by exact,
prefix or CIDR lines) and a random sequence of recipients over virtual
days (steps of 0 s, 1 s, a few seconds, around a period boundary, hours,
days; at times exactly at the model's retry time or one second before;
local and exempt recipients) -- and compares every decision with an
independent brute-force model (model.py, written from the man pages,
README.md, DESIGN.md and the intended semantics, not from the C source).
mass= runs in separate small scenarios where each SMTP session is a
process of its own (the helper's parent, as qmail-smtpd is).

The clock is libfaketime with a fixed absolute FAKETIME per call
("YYYY-MM-DD HH:MM:SS", FAKETIME_NO_CACHE=1, TZ=UTC: time(NULL) returns
exactly that second, checked by a probe first), so the helper must be
linked dynamically:

    bash scripts/deps.sh test && make STATIC= rcptcheck-overlimit cdbmake-limits
    apt-get install -y faketime libfaketime
    PROP_HELPER=$PWD/rcptcheck-overlimit PROP_CDBMAKE=$PWD/cdbmake-limits \
        python3 tests/property/check.py

Environment: PROP_SEED (replay a run; printed first), PROP_DECISIONS
(decisions to run, default 60000: about 60 s on the idle 2-core machine),
PROP_JOBS (scenarios run in parallel, default 2), PROP_MASS (how many of
the decisions go to mass= scenarios, default a tenth, at most 2000; 0:
none), PROP_SHOW (mismatches printed in full, default 12; all are
counted), PROP_REDIS_FUNCTION (with PROP_STORE=redis: 1, the default,
loads the function library with overlimitctl load -- PROP_OVERLIMITCTL,
default beside PROP_CDBMAKE -- so that the decisions go by FCALL; 0: by
the script, EVALSHA), PROP_BRUTE=S (also find every retry time within S seconds by
trying each second: a check of the model), PROP_FAKETIME (path of libfaketime.so.1; default: found under
/usr/lib).  Replay one scenario printed on a mismatch (copy its block,
from "# PROP_SEED", into a file; replays/ holds the minimal ones), every
decision shown; or shrink it to the fewest steps that still show its last
mismatch:

    python3 tests/property/check.py replay FILE
    python3 tests/property/check.py shrink FILE

Compared per decision: exit code; the log's verdict=, over= (its kind:
limit, warmup, mass, nets, pool, server, msg; for an own limit, that the
limit named is full), ban=, retry= (exact second), the counts (PERIOD=C/L,
total=, nets=, warmup=, pool_P=, server_P=) and the rule (line= or
rule=none); the fd-4 reply: code, class digit, kind (recipient, warm-up,
network, domain, server, sending blocked, 452 4.5.3), the name (client,
domain, "this server") and the retry minute, rounded up.  A recipient in
our own domains (RCPTHOSTS=1) or an exempt destination: exit code only.
After a mismatch of the exit code or of ban= the helper's state differs
from the model's: the rest of that scenario is not run (nor counted);
other mismatches go on.  Mismatches are counted by class ("class N ..."
lines; a retry mismatch names the simpler reading that gives the helper's
time, e.g. "the window named in over= alone"); the last line is
"N passed, M failed" (decisions), exit 1 when M > 0.  A model self-check
(an attempt at the model's retry time must be accepted, one second before
refused) is counted in the "# decided:" line.  Skipped (a "skip property:"
line and "0 passed, 0 failed") when libfaketime is missing, the helper is
static, or the probe finds the clock not controlled.  Each scenario uses a
fresh directory under $TMPDIR, removed at the end; nothing listens.

Readings chosen where the documentation and the brief are silent
-----------------------------------------------------------------
* Windows: a record stamped s counts at t iff s > t - P; a warm-up started
  at w is in force iff t < w + P; dormant iff t - last accepted >= D.
* The order of the checks decides over=: msg=, ban, own limits, warm-up,
  mass=, nets=, pool, server cap (the documented order).
* dormant=: any attempt that reaches the client's checks (not refused by
  msg=, not from a banned client) when it is dormant and not in a warm-up
  wakes it, whatever its verdict; the warm-up counts accepted recipients
  from the wake on.  A client is dormant again when a warm-up ended
  without an accepted recipient since D.
* nets=: every attempt reaching the client's checks stamps its /24, also
  one refused by an own limit (the brief: "every attempt").  With ban=Kx,
  banned when the nets= check refuses with more than K x M networks.
* ban=Kx: banned at the first attempt whose attempts exceed K x the limit
  of a full own window: the accepted recipients in the window plus the
  refusals by its own limits since the reset, this one included; for a
  plain N the "window" is the time since the reset (the plain total).
  Under strict the window holds the refused attempts too, so there the
  attempts are what the window holds, this one included (each once:
  3/1h:strict:ban=2x bans the 7th attempt, like 3/1h:ban=2x).
* Codes: a pool refusal answers with the reply= of the @domain line, the
  server cap with that of the * line, the rest (bans included, also a
  banned client while a pool or the cap is full) with the client's rule's,
  421 by default.
* Exempt destinations and RCPTHOSTS=1 go before msg= (exit 112).
* The retry probe is the same client from the same address in a new
  message (msg= and mass= do not apply); a refusal by msg= or a ban has no
  retry.
* mass=MxR/T: a message is the recipients of one session (parent
  process) from SMTPRCPTCOUNTALL=1 on.  The first recipient with
  SMTPRCPTCOUNT + 1 >= R that passes makes the message a mass message,
  whichever kind it is: a relayed one that passes the checks before mass=
  is then accepted, or, when it would be the M-th within T, refused and the
  client banned (over=mass, ban=new); a local or exempt one passes (exit
  112) and bans the client there when it is the M-th, so the next relayed
  recipient is refused as banned (ban=yes).  A message counts once,
  however often a recipient is asked again.
* The log's counts: C after this recipient when accepted, else before it
  (strict records included); pool_ and server_ only when the recipient or
  its refusal was counted there; windows with limit 0 are not compared.
"""

import math
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

sys.dont_write_bytecode = True     # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Attempt, Config, Model, period_name  # noqa: E402

EPOCH = 1795305600          # 2026-11-22 00:00:00 UTC
DEFAULT_DECISIONS = 60000
# PROP_BRUTE=S: check every model retry time within S seconds of the
# refusal by trying each second (slow; a check of the model itself)
BRUTE = int(os.environ.get("PROP_BRUTE", "0") or 0)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def fake(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def minute_up(t):
    """The fd-4 retry minute: rounded up to the next whole minute."""
    return time.strftime("%Y-%m-%dT%H:%M", time.gmtime(math.ceil(t / 60) * 60))


def parse_iso(text):
    import calendar
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


# ---------------------------------------------------------------- the helper

def find_faketime():
    if os.environ.get("PROP_FAKETIME"):
        return os.environ["PROP_FAKETIME"]
    import glob
    for pattern in ("/usr/lib/*/faketime/libfaketime.so.1",
                    "/usr/lib/faketime/libfaketime.so.1",
                    "/usr/local/lib/faketime/libfaketime.so.1"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def is_dynamic(path):
    """An ELF file with a PT_INTERP segment (a static binary, even a
    static PIE, has none and ignores LD_PRELOAD)."""
    import struct
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return False
        if head[4] == 2:
            phoff, = struct.unpack_from("<Q", head, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        else:
            phoff, = struct.unpack_from("<I", head, 0x1c)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x2a)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, = struct.unpack("<I", f.read(4))
            if p_type == 3:
                return True
    return False


OVERLIMITCTL = "overlimitctl"     # main() sets it


class RedisStore:
    """PROP_STORE=redis: the decisions are made by the Redis store, in a
    redis-server of this worker (a unix socket in its own temporary
    directory, nothing listens on a port) whose clock -- the one the
    store's script reads -- is set before every call by fakeclock.c (an
    LD_PRELOAD shim of gettimeofday reading $FAKECLOCK_FILE: libfaketime's
    start-up recurses with Debian's jemalloc), built with cc into the
    worker's directory.  Emptied (FLUSHALL) before each scenario.
    The model knows no daily reset: OVERLIMIT_REDIS_KEEP is set past any
    scenario's horizon, so that no key expires before the model forgets it
    (the TTLs themselves are tested by tests/rts-redis.sh)."""

    def __init__(self, faketime, pids):
        import subprocess
        self.dir = tempfile.mkdtemp(prefix="prop-redis.", dir=os.environ.get("TMPDIR"))
        self.sock = os.path.join(self.dir, "redis.sock")
        self.stamp = os.path.join(self.dir, "clock")
        self.set(EPOCH)
        shim = os.path.join(self.dir, "fakeclock.so")
        subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-o", shim,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "fakeclock.c")], check=True)
        env = dict(os.environ, LD_PRELOAD=shim, FAKECLOCK_FILE=self.stamp)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.sock, "--save", "",
             "--appendonly", "no", "--dir", self.dir], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(pids, str(self.proc.pid)), "w") as f:
            f.write(self.dir)
        deadline = time.time() + 10
        while self.command(b"PING") != b"+PONG":
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("redis-server did not answer PING")
            time.sleep(0.01)
        self.env = {"OVERLIMIT_REDIS": "unix:" + self.sock,
                    "OVERLIMIT_REDIS_KEEP": str(366 * 86400)}
        # the function library, as INSTALL has it: the decisions by FCALL
        # (PROP_REDIS_FUNCTION=0: not loaded, by the script, EVALSHA)
        if os.environ.get("PROP_REDIS_FUNCTION", "1") != "0":
            subprocess.run([OVERLIMITCTL, "load"], check=True, stdout=subprocess.DEVNULL,
                           env={"OVERLIMIT_REDIS": "unix:" + self.sock,
                                "OVERLIMIT_DIR": self.dir})

    def set(self, t):
        with open(self.stamp + ".tmp", "w") as f:
            f.write("%d\n" % t)
        os.rename(self.stamp + ".tmp", self.stamp)

    def command(self, name):
        import socket
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(self.sock)
            s.sendall(b"*1\r\n$%d\r\n%s\r\n" % (len(name), name))
            answer = s.recv(64).strip()
            s.close()
            return answer
        except OSError:
            return None

    def flush(self):
        if self.command(b"FLUSHALL") != b"+OK":
            raise RuntimeError("redis-server: FLUSHALL failed")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_servers(pids):
    """Every worker's redis-server, by the pid it wrote."""
    import signal
    for name in os.listdir(pids):
        try:
            os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        with open(os.path.join(pids, name)) as f:
            shutil.rmtree(f.read(), ignore_errors=True)
    shutil.rmtree(pids, ignore_errors=True)


class Helper:
    def __init__(self, helper, faketime, redis=None):
        self.helper = helper
        self.faketime = faketime
        self.redis = redis

    def run(self, step, directory, cdb):
        env = {"TZ": "UTC", "FAKETIME_NO_CACHE": "1", "LD_PRELOAD": self.faketime,
               "FAKETIME": fake(step.t), "RELAYCLIENT": "", "TCPREMOTEIP": step.ip,
               "RECIPIENT": step.recipient, "SENDER": "sender@a.example",
               "SMTPRCPTCOUNT": str(step.rcount), "SMTPRCPTCOUNTALL": str(step.rall),
               "USE_FD4": "1", "OVERLIMIT_DIR": directory, "OVERLIMIT_CDB": cdb}
        if step.auth:
            env["SMTPAUTHUSER"] = step.auth
        if step.local:
            env["RCPTHOSTS"] = "1"
        if self.redis:
            self.redis.set(step.t)
            env.update(self.redis.env)
        r4, w4 = os.pipe()
        re_, we = os.pipe()
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, we, 1), (os.POSIX_SPAWN_DUP2, we, 2),
                   (os.POSIX_SPAWN_DUP2, w4, 4)]
        try:
            pid = os.posix_spawn(self.helper, [self.helper], env, file_actions=actions)
        finally:
            os.close(w4)
            os.close(we)
        _, status = os.waitpid(pid, 0)
        out = [read_all(re_), read_all(r4)]
        return os.waitstatus_to_exitcode(status), out[0], out[1]


class SessionHelper:
    """mass=: one session = one qmail-smtpd = the helper's parent.  Each
    session is a forked child of this process that spawns the helper for
    every recipient of that session (one pid per session)."""

    def __init__(self, helper):
        self.helper = helper
        self.sessions = {}

    def run(self, step, directory, cdb):
        if step.session not in self.sessions:
            self.sessions[step.session] = self.start()
        pid, to_child, from_child = self.sessions[step.session]
        import pickle
        data = pickle.dumps((step, directory, cdb))
        os.write(to_child, len(data).to_bytes(4, "little") + data)
        size = int.from_bytes(read_exact(from_child, 4), "little")
        return pickle.loads(read_exact(from_child, size))

    def start(self):
        import pickle
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(w1)
                os.close(r2)
                for _, w, r in self.sessions.values():     # their EOF is not ours
                    os.close(w)
                    os.close(r)
                while True:
                    head = read_exact(r1, 4)
                    if not head:
                        break
                    step, directory, cdb = pickle.loads(
                        read_exact(r1, int.from_bytes(head, "little")))
                    data = pickle.dumps(self.helper.run(step, directory, cdb))
                    os.write(w2, len(data).to_bytes(4, "little") + data)
            finally:
                os._exit(0)
        os.close(r1)
        os.close(w2)
        return pid, w1, r2

    def close(self):
        for pid, w, r in self.sessions.values():
            os.close(w)
            os.close(r)
            os.waitpid(pid, 0)
        self.sessions = {}


def read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(fd)
    return b"".join(chunks).decode("latin-1")


def read_exact(fd, n):
    data = b""
    while len(data) < n:
        b = os.read(fd, n - len(data))
        if not b:
            return data
        data += b
    return data


# ---------------------------------------------------------------- scenarios

class Step:
    def __init__(self, t, auth, ip, rcount=0, rall=1, local=False,
                 recipient="rcpt@remote.example", session=0):
        self.t, self.auth, self.ip = t, auth, ip
        self.rcount, self.rall, self.local = rcount, rall, local
        self.recipient, self.session = recipient, session

    def client(self):
        """The identity the docs define: the auth user lower-cased, the
        first of @ % / read as @; else the IP."""
        if not self.auth:
            return self.ip
        name = self.auth.lower()
        for i, ch in enumerate(name):
            if ch in "@%/":
                return name[:i] + "@" + name[i + 1:]
        return name

    def attempt(self):
        return Attempt(self.t, self.client(), self.ip, bool(self.auth), self.rcount,
                       self.rall, self.local, self.recipient, self.session)

    def text(self):
        words = [iso(self.t), self.auth or "-", self.ip, "rc=%d" % self.rcount,
                 "all=%d" % self.rall]
        if self.local:
            words.append("local")
        if self.recipient != "rcpt@remote.example":
            words.append("to=" + self.recipient)
        if self.session:
            words.append("sess=%d" % self.session)
        return " ".join(words)

    @staticmethod
    def parse(line):
        words = line.split()
        step = Step(parse_iso(words[0]), None if words[1] == "-" else words[1], words[2])
        for w in words[3:]:
            if w.startswith("rc="):
                step.rcount = int(w[3:])
            elif w.startswith("all="):
                step.rall = int(w[4:])
            elif w == "local":
                step.local = True
            elif w.startswith("to="):
                step.recipient = w[3:]
            elif w.startswith("sess="):
                step.session = int(w[5:])
        return step


def scenario_text(limits, steps, header=""):
    lines = [header] if header else []
    lines.append("limits:")
    lines += ["  " + l for l in limits.rstrip("\n").split("\n")]
    lines.append("steps:")
    lines += ["  " + s.text() for s in steps]
    return "\n".join(lines) + "\n"


def parse_scenario(text):
    limits, steps, part = [], [], None
    for line in text.split("\n"):
        if line.strip() in ("limits:", "steps:"):
            part = line.strip()
        elif line.startswith("  ") and part == "limits:":
            limits.append(line[2:])
        elif line.strip() and part == "steps:" and not line.startswith("#"):
            steps.append(Step.parse(line.strip()))
    return "\n".join(limits) + "\n", steps


# ---------------------------------------------------------------- comparing

def render(ans):
    """An answer as one compact line: exit verdict key=value ..."""
    words = [ans["exit"]] + ([ans["verdict"]] if "verdict" in ans else [])
    for key in ("error", "over", "ban", "retry", "fd4", "counts", "lookup"):
        if key in ans:
            words.append("%s=%s" % (key, ans[key]))
    return " ".join(words)


FD4_KINDS = {"limit": "recipient", "warmup": "warm-up", "nets": "network",
             "pool": "domain", "server": "server"}


def model_fd4(d, step):
    """The fd-4 reply in compared form: CODE:KIND:NAME then @MINUTE or
    :reset; CODE:blocked:NAME for a ban; 452:4.5.3 for msg=."""
    if d.over == "msg":
        return "452:4.5.3"
    client = step.client()
    if d.ban:
        return "%d:blocked:%s" % (d.code, client)
    name = {"pool": client.split("@")[-1], "server": "this server"}.get(d.over, client)
    head = "%d:%s:%s" % (d.code, FD4_KINDS[d.over], name)
    if d.retry == "reset":
        return head + ":reset"
    return head + "@" + minute_up(d.retry)


def model_answer(d, step):
    """A model decision in the compared form."""
    ans = {"exit": str(d.exit)}
    if d.verdict is None:
        return ans
    ans["verdict"] = d.verdict
    if d.counts is not None:
        ans["counts"] = ",".join("%s=%s" % kv for kv in sorted(d.counts.items()))
    if d.verdict == "refuse":
        if d.over and d.ban != "yes":
            ans["over"] = d.over
        if d.ban:
            ans["ban"] = d.ban
        if d.retry is not None:
            ans["retry"] = d.retry if isinstance(d.retry, str) else iso(d.retry)
        ans["fd4"] = model_fd4(d, step)
    return ans


def log_fields(log):
    lines = [l for l in log.split("\n") if l.startswith("rcptcheck-overlimit:")]
    if not lines:
        return None
    fields = {}
    for word in lines[-1].split()[1:]:
        key, _, value = word.partition("=")
        fields[key] = value
    return fields


def fd4_form(fd4):
    """The helper's fd-4 reply in the form of model_fd4."""
    import re
    reply = fd4.strip()
    code = reply.split(" ", 1)[0]
    if re.match(r"^452 4\.5\.3 too many recipients for one message \(at most \d+\)$", reply):
        return "452:4.5.3"
    m = re.match(r"^(\d{3}) [45]\.7\.0 sending blocked for (.*) after too many "
                 r"recipients; contact your postmaster$", reply)
    if m and m.group(1)[0] == code[0]:
        return "%s:blocked:%s" % (code, m.group(2))
    m = re.match(r"^(\d{3}) [45]\.7\.0 (recipient|warm-up|network|domain recipient|server "
                 r"recipient) limit \d+( per \w+)? reached for (.*), retry after "
                 r"(the next reset|\d{4}-\d\d-\d\d \d\d:\d\d UTC)$", reply)
    if m and reply[4] == code[0]:
        kind = m.group(2).split()[0]
        when = ":reset" if m.group(5) == "the next reset" else \
            "@" + m.group(5)[:-4].replace(" ", "T")
        return "%s:%s:%s%s" % (code, kind, m.group(4), when)
    return repr(reply)


def helper_answer(exit_code, log, fd4, d):
    """The helper's decision in the model's terms."""
    ans = {"exit": str(exit_code)}
    if d.verdict is None:
        if fd4:
            ans["fd4"] = repr(fd4)
        return ans
    f = log_fields(log)
    if f is None:
        ans["verdict"] = "nolog"
        return ans
    ans["verdict"] = f.get("verdict", "?")
    if d.counts is not None:
        import re
        keys = [k for k in f if re.match(r"^(\d+[smhdw]|total|nets|warmup|"
                                         r"(pool|server)_\d+[smhdw])$", k)]
        # windows with limit 0 are not modelled
        keys = [k for k in keys if not f[k].endswith("/0")]
        ans["counts"] = ",".join("%s=%s" % (k, f[k]) for k in sorted(keys))
    if "error" in f:
        ans["error"] = f["error"]
    if "ban" in f:
        ans["ban"] = f["ban"]
    if f.get("verdict") == "refuse":
        over = f.get("over")
        if over and f.get("ban") != "yes":
            kind = over.split(":", 1)[0] if ":" in over else "limit"
            if kind == "limit" and d.over == "limit":
                named = [lim for lim in d.over_limits
                         if over == (str(lim[0]) if lim[1] is None
                                     else "%d/%s" % (lim[0], period_name(lim[1])))]
                if not named:
                    kind = "limit(%s-not-full)" % over
            ans["over"] = kind
        if "retry" in f:
            ans["retry"] = f["retry"]
        ans["fd4"] = fd4_form(fd4)
    elif fd4:
        ans["fd4"] = repr(fd4)
    return ans


def named_window(over, d):
    """The (N, P) of the helper's over= (N/P, pool:N/P, server:N/P)."""
    value = over.split(":", 1)[-1]
    if "/" not in value or not value.split("/")[0].isdigit():
        return None
    from model import parse_period
    try:
        return int(value.split("/")[0]), parse_period(value.split("/")[1])
    except Exception:
        return None


def retry_cause(model, step, d, helper_retry, over):
    """Diagnostics of a retry mismatch: which simpler reading gives the
    helper's retry time (the model's state is the one after the step)."""
    if d.over not in ("limit", "warmup", "nets", "pool", "server") or \
            not helper_retry or not helper_retry[0].isdigit():
        return ""
    want = parse_iso(helper_retry)
    a = step.attempt()
    rule = model.cfg.lookup(a.client, a.is_user)

    def alone(strict):
        def accepts(a, rule, t):
            p = model.probe(a, t)
            if d.over == "limit":
                return not model.own_full(p, rule, strict)
            if d.over == "warmup":
                return not model.warm_full(p, rule)
            if d.over == "nets":
                return model.nets_count(p, rule) <= rule.nets[0]
            if d.over == "pool":
                return not model.pool_full(p)
            return not model.server_full(p)
        return accepts

    def no_strict(a, rule, t):
        p = model.probe(a, t)
        own = rule and (model.own_full(p, rule, False) or model.warm_full(p, rule) or
                        (rule.nets and model.nets_count(p, rule) > rule.nets[0]))
        return not (own or model.pool_full(p) or model.server_full(p))

    named = named_window(over or "", d)

    def window_alone(strict):
        def accepts(a, rule, t):
            n, p = named
            if d.over == "limit":
                count = (model.own_count(a.client, t, p) if strict
                         else model.accepted_in(a.client, t, p))
            elif d.over == "pool":
                count = model.pool_count(a.client.split("@", 1)[1], t, p)
            else:
                count = model.server_count(t, p)
            return count < n
        return accepts

    variants = []
    if named and d.over in ("limit", "pool", "server"):
        variants.append(("the window named in over= alone", window_alone(True)))
        if d.over == "limit" and rule.strict:
            variants.append(("the window named in over= alone, without strict records",
                             window_alone(False)))
    variants += [("the refusing check alone", alone(True)),
                ("without strict records", no_strict),
                ("the refusing check alone, without strict records", alone(False))]
    for name, accepts in variants:
        if model.retry(a, rule, accepts) == want:
            return name
    if rule and rule.strict and d.over == "limit":
        return "no simpler reading (a strict rule)"
    return "no simpler reading"


def rule_check(model, step, log, d):
    """'' or what is wrong with the log's rule= / line= (the lookup)."""
    if d.verdict is None or d.over == "msg":
        return ""
    f = log_fields(log) or {}
    a = step.attempt()
    rule = model.cfg.lookup(a.client, a.is_user)
    want = "line=%d" % rule.line if rule else "rule=none"
    got = "line=" + f["line"] if "line" in f else "rule=" + f.get("rule", "?")
    return "" if want == got else "%s,helper:%s" % (want, got)


# ---------------------------------------------------------------- generating

PERIODS = [2, 3, 5, 10, 30, 60, 120, 300, 600, 3600, 7200, 6 * 3600, 86400, 2 * 86400]
SHORT = [5, 10, 30, 60, 600, 3600, 86400]
DOMAINS = ["a.example", "b.example"]
USERS = ["u1@a.example", "u2@a.example", "u3@a.example", "v1@b.example", "v2@b.example"]
IPS = ["198.51.100.7", "198.51.100.9", "203.0.113.5"]


def gen_windows(rng, plain_ok=True, lo=1, hi=6):
    periods = rng.sample(PERIODS, rng.choice([1, 1, 2, 2, 3]))
    items = ["%d/%s" % (0 if rng.random() < 0.04 else rng.randint(lo, hi), period_name(p))
             for p in periods]
    if plain_ok and rng.random() < 0.2:
        items.insert(rng.randrange(len(items) + 1), str(rng.randint(2, 12)))
    return ",".join(items)


def gen_options(rng, nets_ok):
    opts = []
    if rng.random() < 0.3:
        opts.append("strict")
    if rng.random() < 0.25:
        opts.append(rng.choice(["ban", "ban=2x", "ban=3x"]))
    if rng.random() < 0.2:
        opts.append("dormant=%s,%d/%s" % (period_name(rng.choice(SHORT)), rng.randint(1, 3),
                                          period_name(rng.choice(SHORT))))
    if nets_ok and rng.random() < 0.25:
        opts.append("nets=%d/%s" % (rng.randint(1, 3), period_name(rng.choice(SHORT))))
    if rng.random() < 0.12:
        opts.append("msg=%d" % rng.randint(2, 5))
    if rng.random() < 0.15:
        opts.append("reply=%d" % rng.choice([451, 550, 452]))
    rng.shuffle(opts)
    return "".join(":" + o for o in opts)


def gen_limits(rng, users, ips):
    lines = []
    if rng.random() < 0.75:
        lines.append(":" + gen_windows(rng) + gen_options(rng, True))
    for dom in DOMAINS:
        if any(u.endswith("@" + dom) for u in users) and rng.random() < 0.5:
            line = "@%s:%s%s" % (dom, gen_windows(rng) if rng.random() < 0.85 else "0",
                                 gen_options(rng, True))
            if rng.random() < 0.5:
                line += ":pool=" + gen_windows(rng, False, 2, 8)
            lines.append(line)
    if users and rng.random() < 0.3:
        limits = gen_windows(rng) if rng.random() < 0.8 else "0"
        lines.append("%s:%s%s" % (rng.choice(users), limits, gen_options(rng, True)))
    if ips and rng.random() < 0.35:
        ip = rng.choice(ips)
        key = rng.choice([ip, ip.rsplit(".", 1)[0] + ".", ip.split(".")[0] + ".0.0.0/8"])
        lines.append("%s:%s%s" % (key, gen_windows(rng), gen_options(rng, False)))
    if rng.random() < 0.25:
        reply = ":reply=451" if rng.random() < 0.2 else ""
        lines.append("*:" + gen_windows(rng, False, 3, 10) + reply)
    if rng.random() < 0.3:
        lines.append(">abuse@help.example")
    rng.shuffle(lines)
    if rng.random() < 0.2:
        lines.insert(0, "# random control file")
    return "\n".join(lines) + "\n"


def auth_spelling(rng, user):
    if rng.random() < 0.1:
        return user.upper()
    if rng.random() < 0.05:
        return user.replace("@", "%")
    return user


class Generator:
    """A random scenario, step by step: the next step may depend on the
    model's last answers (a retry at exactly the retry time, or one
    second before)."""

    def __init__(self, rng, mass=False):
        self.rng = rng
        self.mass = mass
        n = rng.randint(2, 5)
        users = rng.sample(USERS, rng.randint(1, min(n, len(USERS))))
        ips = rng.sample(IPS, min(n - len(users), len(IPS)))
        self.clients = users + ips
        if mass:
            self.clients = users[:2] or ["u1@a.example"]
            self.limits = self.mass_limits()
        else:
            self.limits = gen_limits(rng, users, ips)
        self.addrs = {}
        for c in self.clients:
            if "@" in c:
                nets = rng.sample(range(1, 60), rng.randint(1, 4))
                self.addrs[c] = ["10.%d.%d.%d" % (rng.randint(0, 3), x, rng.randint(1, 250))
                                 for x in nets]
            else:
                self.addrs[c] = [c]
        self.t = EPOCH + rng.randrange(86400)
        self.times = []
        self.msg = {c: [0, 0, 1] for c in self.clients}    # rcount, all, session
        self.next_session = 1
        self.last_refusal = None        # (client, addr, retry time)
        self.at_retry = None            # this step: at the retry time (False), 1 s before (True)
        self.periods = sorted(set(PERIODS))

    def mass_limits(self):
        rng = self.rng
        m, r = rng.randint(1, 3), rng.randint(2, 4)
        line = ":%s:mass=%dx%d/%s" % (gen_windows(rng, False, 4, 12), m, r,
                                      period_name(rng.choice([60, 600, 3600, 86400])))
        if rng.random() < 0.3:
            line += ":strict"
        lines = [line]
        if rng.random() < 0.4:
            lines.append(">abuse@help.example")
        return "\n".join(lines) + "\n"

    def step(self):
        rng = self.rng
        x = rng.random()
        client = rng.choice(self.clients)
        addr = None
        self.at_retry = None
        if self.last_refusal and isinstance(self.last_refusal[2], int) and x < 0.12:
            client, addr, retry = self.last_refusal
            before = rng.random() < 0.4
            target = retry - (1 if before else 0)
            if target >= self.t:
                self.t = target
                self.at_retry = before
        elif x < 0.45:
            pass
        elif x < 0.62:
            self.t += 1
        elif x < 0.75:
            self.t += rng.randint(2, 9)
        elif x < 0.87 and self.times:
            base = rng.choice(self.times)
            target = base + rng.choice(self.periods) + rng.choice([-1, 0, 1])
            self.t = max(self.t, target)
        elif x < 0.94:
            self.t += rng.randint(1, 12) * 3600 + rng.randrange(-5, 6)
        else:
            self.t += rng.randint(1, 3) * 86400 + rng.randrange(-5, 6)
        self.last_refusal = None        # a retry jump only right after it
        if addr is None:
            addrs = self.addrs[client]
            addr = addrs[0] if rng.random() < 0.6 else rng.choice(addrs)
        state = self.msg[client]
        if rng.random() < (0.15 if self.mass else 0.3):
            state[0], state[1] = 0, 0          # a new message
            if rng.random() < 0.5:
                state[2] = self.next_session = self.next_session + 1
        state[1] += 1
        step = Step(self.t, auth_spelling(rng, client) if "@" in client else None, addr,
                    state[0], state[1], session=state[2] if self.mass else 0)
        y = rng.random()
        if y < 0.06:
            step.local = True
            step.recipient = "someone@ours.example"
        elif y < 0.10 and ">abuse" in self.limits:
            step.recipient = "abuse@help.example"
        self.times.append(self.t)
        return step

    def answered(self, step, decision):
        """Keep the message state as qmail-smtpd would."""
        key = step.client()
        state = self.msg[key]
        if decision.exit == 112:
            state[0] += 1
        elif decision.code == 421:
            state[0], state[1] = 0, 0          # the session ends
            state[2] = self.next_session = self.next_session + 1
        if decision.exit == 113 and decision.ban is None and isinstance(decision.retry, int):
            self.last_refusal = (key, step.ip, decision.retry)


# ---------------------------------------------------------------- running

class Runner:
    def __init__(self, helper, cdbmake, faketime, pids=None):
        self.redis = RedisStore(faketime, pids) if pids else None
        self.helper = Helper(helper, faketime, self.redis)
        self.cdbmake = cdbmake

    def compile(self, directory, limits):
        import subprocess
        src = os.path.join(directory, "limits")
        with open(src, "w") as f:
            f.write(limits)
        cdb = os.path.join(directory, "limits.cdb")
        with open(src) as f:
            p = subprocess.run([self.cdbmake, cdb, cdb + ".tmp"], stdin=f,
                               capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("cdbmake-limits exit %d: %s" % (p.returncode, p.stderr.strip()))
        return cdb

    def scenario(self, limits, steps_or_gen, budget, header, verbose=False, sessions=False):
        """Run one scenario; returns (passed, failed, reports, steps run)."""
        base = tempfile.mkdtemp(prefix="prop.", dir=os.environ.get("TMPDIR"))
        passed = failed = 0
        reports = []
        done = []
        coverage = {}
        helper = SessionHelper(self.helper) if sessions else self.helper
        try:
            if self.redis:
                self.redis.flush()
            cdb = self.compile(base, limits)
            store = os.path.join(base, "overlimit")
            os.mkdir(store)
            model = Model(Config(limits))
            gen = steps_or_gen if isinstance(steps_or_gen, Generator) else None
            fixed = None if gen else list(steps_or_gen)
            for i in range(budget if gen else len(fixed)):
                step = gen.step() if gen else fixed[i]
                done.append(step)
                d = model.decide(step.attempt())
                exit_code, log, fd4 = helper.run(step, store, cdb)
                want = model_answer(d, step)
                got = helper_answer(exit_code, log, fd4, d)
                bad_rule = rule_check(model, step, log, d)
                if bad_rule:
                    got["lookup"] = bad_rule
                same = want == got
                if BRUTE and isinstance(d.retry, int) and d.retry - step.t <= BRUTE:
                    a = step.attempt()
                    slow = model.retry_by_seconds(a, model.cfg.lookup(a.client, a.is_user),
                                                  BRUTE)
                    if slow != d.retry:
                        coverage["MODEL SELF-CHECK FAILED"] = \
                            coverage.get("MODEL SELF-CHECK FAILED", 0) + 1
                        print("MODEL SELF-CHECK: retry %s, second by second %s\n%s" % (
                            d.retry, slow, scenario_text(limits, done, header)))
                    coverage["retry checked second by second"] = \
                        coverage.get("retry checked second by second", 0) + 1
                if gen:
                    gen.answered(step, d)
                cover(coverage, d, step, gen)
                if verbose:
                    print("%s  model: %s%s" % (step.text(), render(want), "" if same
                                               else "  HELPER: " + render(got)))
                if same:
                    passed += 1
                    continue
                failed += 1
                # annotations for the mismatch classes (not compared)
                rule = model.cfg.lookup(step.attempt().client, bool(step.auth))
                if rule and rule.strict and d.over == "limit":
                    want["note"] = "strict rule"
                if want.get("retry") != got.get("retry"):
                    cause = retry_cause(model, step, d, got.get("retry"),
                                        (log_fields(log) or {}).get("over"))
                    if cause:
                        want["cause"] = cause
                reports.append((want, got, scenario_text(limits, done, header),
                                log.strip(), fd4.strip()))
                if want["exit"] != got["exit"] or want.get("ban") != got.get("ban"):
                    break       # the states differ from here on
        finally:
            if sessions:
                helper.close()
            shutil.rmtree(base, ignore_errors=True)
        return passed, failed, reports, coverage


def cover(coverage, d, step, gen):
    """Counts of what the model decided, to show what a run exercised."""
    if d.verdict is None:
        key = "local" if step.local else "exempt"
    elif d.verdict == "accept":
        key = "accept"
    elif d.ban == "new":
        key = "ban=new(%s)" % d.over
    elif d.ban:
        key = "ban=" + d.ban
    else:
        key = d.over + ("/reset" if d.retry == "reset" else "")
    coverage[key] = coverage.get(key, 0) + 1
    if gen and gen.at_retry is not None and d.verdict is not None:
        key = "at retry-1" if gen.at_retry else "at retry"
        key += " accepted" if d.exit == 112 else " refused"
        coverage[key] = coverage.get(key, 0) + 1
        if (key == "at retry refused" and d.over != "msg") or key == "at retry-1 accepted":
            # the model contradicts itself: its retry time is not accepted
            coverage["MODEL SELF-CHECK FAILED"] = coverage.get("MODEL SELF-CHECK FAILED", 0) + 1


RUNNER = None


def init_worker(helper, cdbmake, faketime, pids):
    global RUNNER
    RUNNER = Runner(helper, cdbmake, faketime, pids)


def run_random(args):
    seed, index, budget, mass = args
    rng = random.Random("%d/%d" % (seed, index))
    gen = Generator(rng, mass)
    header = "# PROP_SEED=%d scenario %d%s" % (seed, index, " (mass)" if mass else "")
    try:
        return RUNNER.scenario(gen.limits, gen, budget, header, sessions=mass)
    except RuntimeError as e:
        return 0, 1, [({"exit": "cdbmake-limits exit 0"}, {"exit": str(e)},
                       scenario_text(gen.limits, [], header), "", "")], {}
    except Exception:
        import traceback
        return 0, 1, [({"exit": "no internal error"},
                       {"exit": "internal error: " + traceback.format_exc()},
                       scenario_text(gen.limits, [], header), "", "")], {}


def probe(runner):
    """'' when the clock works, else the reason to skip."""
    limits = ":1/1h\n"
    t = EPOCH + 12345
    steps = [Step(t, None, "192.0.2.1"), Step(t, None, "192.0.2.1")]
    base = tempfile.mkdtemp(prefix="prop.", dir=os.environ.get("TMPDIR"))
    try:
        if runner.redis:
            runner.redis.flush()
        cdb = runner.compile(base, limits)
        os.mkdir(os.path.join(base, "o"))
        for s in steps:
            code, log, fd4 = runner.helper.run(s, os.path.join(base, "o"), cdb)
        f = log_fields(log) or {}
        if f.get("retry") != iso(t + 3600):
            return "libfaketime does not set the helper's clock (retry=%s, want %s)" % (
                f.get("retry"), iso(t + 3600))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return ""


def skip(reason):
    print("skip property: " + reason)
    print("0 passed, 0 failed")
    sys.exit(0)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    helper = os.environ.get("PROP_HELPER", os.path.join(root, "rcptcheck-overlimit"))
    cdbmake = os.environ.get("PROP_CDBMAKE", os.path.join(root, "cdbmake-limits"))
    global OVERLIMITCTL
    OVERLIMITCTL = os.environ.get("PROP_OVERLIMITCTL",
                                  os.path.join(os.path.dirname(cdbmake), "overlimitctl"))
    faketime = find_faketime()
    if not faketime or not os.path.exists(faketime):
        skip("libfaketime is missing (apt-get install libfaketime)")
    for p in (helper, cdbmake):
        if not os.access(p, os.X_OK):
            skip("%s is missing (make STATIC= rcptcheck-overlimit cdbmake-limits)" % p)
    if not is_dynamic(helper):
        skip("%s is statically linked: LD_PRELOAD of libfaketime is ignored "
             "(make STATIC= rcptcheck-overlimit)" % helper)
    pids = None
    if os.environ.get("PROP_STORE", "file") == "redis":
        import shutil as sh
        if not sh.which("redis-server"):
            skip("PROP_STORE=redis: redis-server is missing (apt-get install redis-server)")
        pids = tempfile.mkdtemp(prefix="prop-pids.", dir=os.environ.get("TMPDIR"))
    try:
        run(helper, cdbmake, faketime, pids)
    finally:
        if pids:
            stop_servers(pids)


def run(helper, cdbmake, faketime, pids):
    runner = Runner(helper, cdbmake, faketime, pids)
    reason = probe(runner)
    if reason:
        skip(reason)

    args = sys.argv[1:]
    if args and args[0] in ("replay", "shrink"):
        with open(args[1]) as f:
            limits, steps = parse_scenario(f.read())
        sessions = any(s.session for s in steps)
        if args[0] == "shrink":
            steps = shrink(runner, limits, steps, sessions)
            print(scenario_text(limits, steps, "# shrunk"))
        p, m, reports, _ = runner.scenario(limits, steps, 0, "", verbose=True,
                                           sessions=sessions)
        for want, got, _, log, fd4 in reports:
            print("log: %s\nfd4: %s" % (log, fd4))
        print("%d passed, %d failed" % (p, m))
        sys.exit(1 if m else 0)

    seed = int(os.environ.get("PROP_SEED") or random.SystemRandom().randrange(1 << 31))
    total = int(os.environ.get("PROP_DECISIONS", DEFAULT_DECISIONS))
    mass_total = int(os.environ.get("PROP_MASS", min(2000, total // 10)))
    jobs = int(os.environ.get("PROP_JOBS", 2))
    show = int(os.environ.get("PROP_SHOW", 12))
    print("property: PROP_SEED=%d PROP_DECISIONS=%d PROP_STORE=%s helper=%s" % (
        seed, total, "redis" if pids else "file", helper))
    print("# a mismatch prints its scenario: save the block from '# PROP_SEED' to a "
          "file, then: python3 %s replay FILE" % os.path.relpath(__file__))
    plan_rng = random.Random(seed)
    plan = []
    left, index = total, 0
    while left > 0:
        mass = left <= mass_total
        n = min(left, plan_rng.randint(15, 60) if not mass else plan_rng.randint(10, 40))
        plan.append((seed, index, n, mass))
        left -= n
        index += 1
    start = time.time()
    passed = failed = shown = 0
    classes = {}
    coverage = {}
    with ProcessPoolExecutor(jobs, initializer=init_worker,
                             initargs=(helper, cdbmake, faketime, pids)) as pool:
        for p, m, reports, cov in pool.map(run_random, plan, chunksize=4):
            passed += p
            failed += m
            for k, v in cov.items():
                coverage[k] = coverage.get(k, 0) + v
            for want, got, text, log, fd4 in reports:
                key = mismatch_class(want, got)
                classes[key] = classes.get(key, 0) + 1
                if shown < show:
                    shown += 1
                    print("MISMATCH %s\n  model:  %s\n  helper: %s\n  log: %s\n  fd4: %s"
                          % (key, render(want), render(got), log, fd4))
                    print("  " + text.replace("\n", "\n  ").rstrip())
    print("# decided: " + ", ".join("%s %d" % kv for kv in sorted(coverage.items())))
    for key, n in sorted(classes.items(), key=lambda kv: -kv[1]):
        print("class %5d  %s" % (n, key))
    print("# seed %d, %d scenarios, %.1f s" % (seed, len(plan), time.time() - start))
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def mismatch_class(want, got):
    """A short name of how two answers differ, to count mismatches by kind
    (client names and times left out)."""
    import re
    name = mismatch_detail(want, got)
    name = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+Z?", "TIME", name)
    name = re.sub(r"[a-z0-9]+@[a-z]\.example", "USER", name)
    name = re.sub(r"\b\d+\.\d+\.\d+\.\d+\b", "IP", name)
    return re.sub(r"\b[a-z]\.example\b", "DOMAIN", name)


def mismatch_detail(want, got):
    over = want.get("over", want.get("ban", ""))
    if want.get("ban") != got.get("ban") or want["exit"] != got["exit"]:
        diff = ["%s:%s->%s" % (k, want.get(k, "-"), got.get(k, "-"))
                for k in ("exit", "verdict", "over", "ban") if want.get(k) != got.get(k)]
        return " ".join(diff) + (" (%s)" % want["note"] if "note" in want else "")
    diff = []
    for key in ("exit", "verdict", "error", "over", "ban"):
        if want.get(key) != got.get(key):
            diff.append("%s:%s->%s" % (key, want.get(key, "-"), got.get(key, "-")))
    if want.get("retry") != got.get("retry"):
        w, g = want.get("retry"), got.get("retry")
        if w and g and w[0].isdigit() and g[0].isdigit():
            how = "helper %s" % ("earlier" if parse_iso(g) < parse_iso(w) else "later")
        else:
            how = "%s->%s" % (w, g)
        cause = want.get("cause")
        diff.append("retry(%s): %s%s" % (over, how, " = " + cause if cause else ""))
    if want.get("fd4") != got.get("fd4"):
        w, g = want.get("fd4", "-"), got.get("fd4", "-")
        if "@" in w and "@" in g and w.rsplit("@", 1)[0] == g.rsplit("@", 1)[0]:
            minute = g.rsplit("@", 1)[1]
            retry = got.get("retry", "")
            if retry[:16] == minute and retry[17:19] != "00":
                diff.append("fd4 minute rounded down")
            elif want.get("retry") != got.get("retry"):
                diff.append("fd4 minute (retry differs)")
            else:
                diff.append("fd4 minute %s->%s" % (w, g))
        else:
            diff.append("fd4(%s): %s->%s" % (over, w, g))
    if want.get("counts") != got.get("counts"):
        w = dict(x.split("=") for x in want.get("counts", "").split(",") if x)
        g = dict(x.split("=") for x in got.get("counts", "").split(",") if x)
        keys = sorted(k for k in set(w) | set(g) if w.get(k) != g.get(k))
        generic = sorted(set("window" if k[0].isdigit() else k.split("_")[0] +
                             ("" if k in w else "(extra)") + ("" if k in g else "(missing)")
                             for k in keys))
        diff.append("counts[%s](%s)" % (",".join(generic), want.get("over", want["verdict"])))
    if "lookup" in got:
        diff.append("lookup")
    return "; ".join(diff)


def shrink(runner, limits, steps, sessions):
    """Greedy: drop chunks of steps while the scenario still shows the
    class of its last mismatch (the one a printed scenario ends with)."""
    def classes(s):
        _, m, reports, _ = runner.scenario(limits, s, 0, "", sessions=sessions)
        return [mismatch_class(r[0], r[1]) for r in reports]
    found = classes(steps)
    if not found:
        return steps
    wanted = found[-1]
    print("# shrinking: " + wanted)
    chunk = max(1, len(steps) // 2)
    while chunk >= 1:
        i = 0
        while i < len(steps):
            trial = steps[:i] + steps[i + chunk:]
            if trial and wanted in classes(trial):
                steps = trial
            else:
                i += chunk
        chunk //= 2
    return steps


if __name__ == "__main__":
    main()
