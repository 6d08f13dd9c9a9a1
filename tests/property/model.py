"""A brute-force model of rcptcheck-overlimit's decisions.

Written from the documentation (man/relaylimits.5, man/rcptcheck-overlimit.8,
README.md, DESIGN.md, qmail-rcptcheck.md) and from the intended semantics of
the property-test brief, never from the C source.  Nothing here is clever:
every event is kept in a list, every count is a scan of those lists, and a
retry time is found by trying candidate times in ascending order with the
same acceptance predicate that decides an attempt.  See check.py's header
for the readings chosen where the documentation is silent.

Times are integers (unix seconds of the virtual clock).  A record stamped s
is inside a window of P seconds at time t iff s > t - P, i.e. t < s + P.
"""

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class ConfigError(Exception):
    pass


def parse_period(text):
    if len(text) < 2 or text[-1] not in UNITS or not text[:-1].isdigit():
        raise ConfigError("bad period %r" % text)
    return int(text[:-1]) * UNITS[text[-1]]


def period_name(seconds):
    """The helper's way of naming a period in logs: the largest unit that
    divides it (1m, 90m, 1h, 2d, 5s)."""
    for unit in ("w", "d", "h", "m", "s"):
        if seconds % UNITS[unit] == 0:
            return "%d%s" % (seconds // UNITS[unit], unit)
    raise AssertionError


class Rule:
    """One line name:limits[:option...] of the control file."""

    def __init__(self, key, line):
        self.key = key          # '' default, '@dom', 'user@dom', IP forms, '*'
        self.line = line        # line number in the control file
        self.windows = []       # [(N, P)]; N == 0: no limit
        self.plain = None       # N of a plain limit (0: no limit)
        self.strict = False
        self.ban = None         # K of ban=Kx (1 for a bare ban)
        self.dormant = None     # (D, N, P)
        self.nets = None        # (M, T)
        self.msg = None         # N
        self.mass = None        # (M, R, T)
        self.pool = []          # [(N, P)] (only on @domain lines)
        self.reply = 421


def _ip4(text):
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ConfigError("bad IPv4 %r" % text)
    value = 0
    for p in parts:
        value = value * 256 + int(p)
    return value


def ip_net(text):
    """An IP key of the control file -> (network int, prefix length):
    exact 1.2.3.4, tcprules-style 192.168.1. or CIDR 10.0.0.0/8."""
    if "/" in text:
        addr, length = text.split("/", 1)
        return _ip4(addr), int(length)
    if text.endswith("."):
        parts = text[:-1].split(".")
        padded = parts + ["0"] * (4 - len(parts))
        return _ip4(".".join(padded)), 8 * len(parts)
    return _ip4(text), 32


def in_net(ip, net):
    value, length = net
    mask = ((1 << length) - 1) << (32 - length) if length else 0
    return (_ip4(ip) & mask) == (value & mask)


def network24(ip):
    """nets=: a network is the IPv4 /24 (the default !nets4=24)."""
    return ".".join(ip.split(".")[:3])


def strip_line(raw):
    """Comments (# at the start or after white space), spaces and tabs
    removed; quotes are not used by the generator."""
    out = []
    prev_space = True
    for ch in raw.rstrip("\r\n"):
        if ch == "#" and prev_space:
            break
        prev_space = ch in " \t"
        if not prev_space:
            out.append(ch)
    return "".join(out)


def parse_limits(text, periods_only):
    windows, plain = [], None
    for item in text.split(","):
        if "/" in item:
            n, p = item.split("/", 1)
            if not n.isdigit():
                raise ConfigError("bad limit %r" % item)
            windows.append((int(n), parse_period(p)))
        else:
            if not item.isdigit() or periods_only:
                raise ConfigError("bad limit %r" % item)
            plain = int(item)
    return windows, plain


class Config:
    """The control file, parsed into rules."""

    def __init__(self, text):
        self.text = text
        self.rules = {}         # key -> Rule
        self.exempt = set()     # '>' lines: 'user@dom' or '@dom'
        for number, raw in enumerate(text.split("\n"), 1):
            line = strip_line(raw)
            if not line:
                continue
            if line.startswith("!"):
                raise ConfigError("settings are not modelled")
            if line.startswith(">"):
                self.exempt.add(line[1:].lower())
                continue
            fields = line.split(":")
            key = fields[0].lower()
            rule = Rule(key, number)
            rule.windows, rule.plain = parse_limits(fields[1], key == "*")
            for opt in fields[2:]:
                name, _, value = opt.partition("=")
                if name == "strict" and not value:
                    rule.strict = True
                elif name == "ban":
                    rule.ban = 1 if not value else int(value.rstrip("x"))
                elif name == "reply":
                    rule.reply = int(value)
                elif name == "msg":
                    rule.msg = int(value)
                elif name == "nets":
                    m, t = value.split("/")
                    rule.nets = (int(m), parse_period(t))
                elif name == "dormant":
                    d, rest = value.split(",")
                    n, p = rest.split("/")
                    rule.dormant = (parse_period(d), int(n), parse_period(p))
                elif name == "pool":
                    rule.pool, _ = parse_limits(value, True)
                elif name == "mass":
                    m, rest = value.split("x")
                    r, t = rest.split("/")
                    rule.mass = (int(m), int(r), parse_period(t))
                else:
                    raise ConfigError("option %r is not modelled" % opt)
            self.rules[key] = rule      # the last line wins

    def lookup(self, client, is_user):
        """The client's rule or None (unlimited): user, @domain, default;
        IP, longest prefix, default."""
        if is_user:
            if client in self.rules:
                return self.rules[client]
            domain = "@" + client.split("@", 1)[1]
            if domain in self.rules:
                return self.rules[domain]
        else:
            best = None
            for key, rule in self.rules.items():
                if key in ("", "*") or key[0] == "@" or "@" in key:
                    continue
                net = ip_net(key)
                if in_net(client, net) and (best is None or net[1] > best[0]):
                    best = (net[1], rule)
            if best:
                return best[1]
        return self.rules.get("")

    def pool_rule(self, client, is_user):
        """The @domain line whose pool= counts this user, or None."""
        if not is_user:
            return None
        rule = self.rules.get("@" + client.split("@", 1)[1])
        return rule if rule and rule.pool else None

    def server_rule(self):
        return self.rules.get("*")

    def is_exempt(self, recipient):
        recipient = recipient.lower()
        return (recipient in self.exempt or
                "@" + recipient.split("@", 1)[1] in self.exempt)


class Attempt:
    """One RCPT TO as the helper sees it."""

    def __init__(self, t, client, ip, is_user, rcount=0, rall=1,
                 local=False, recipient="rcpt@remote.example", session=0):
        self.t = t
        self.client = client.lower() if is_user else client
        self.ip = ip
        self.is_user = is_user
        self.rcount = rcount        # SMTPRCPTCOUNT
        self.rall = rall            # SMTPRCPTCOUNTALL
        self.local = local          # RCPTHOSTS=1
        self.recipient = recipient
        self.session = session      # which qmail-smtpd (parent process)


class Decision:
    def __init__(self, exit_code, verdict=None, over=None, ban=None,
                 retry=None, code=None, over_limits=()):
        self.exit = exit_code       # 112 / 113
        self.verdict = verdict      # 'accept' / 'refuse' / None (no log line)
        self.over = over            # limit warmup nets pool server msg mass
        self.ban = ban              # None / 'new' / 'yes'
        self.retry = retry          # None / int / 'reset'
        self.code = code            # fd-4 reply code
        self.over_limits = over_limits  # own limits that are full: (N, P|None)
        self.counts = None          # the log's counts: {key: 'C/L' or 'C'}


class Model:
    """The state of one counter directory: every event in a list."""

    def __init__(self, config):
        self.cfg = config
        self.accepted = []      # (t, client, domain): counted recipients
        self.strict = []        # (t, client): strict records of own refusals
        self.limref = []        # (t, client): refusals by the client's own limits
        self.seen = []          # (t, client, network): nets= stamps
        self.wakes = []         # (t, client): dormant= wakes
        self.banned = {}        # client -> time banned
        self.mass = []          # (t, client, message): mass messages
        self.msgno = {}         # (client, session) -> number of its current message

    # ------------------------------------------------------------ counting

    def own_count(self, client, t, period):
        return (sum(1 for s, c, _ in self.accepted if c == client and s > t - period) +
                sum(1 for s, c in self.strict if c == client and s > t - period))

    def accepted_in(self, client, t, period):
        return sum(1 for s, c, _ in self.accepted if c == client and s > t - period)

    def total(self, client):
        return sum(1 for _, c, _ in self.accepted if c == client)

    def refusals(self, client):
        return sum(1 for _, c in self.limref if c == client)

    def last_accepted(self, client):
        stamps = [s for s, c, _ in self.accepted if c == client]
        return max(stamps) if stamps else None

    def last_wake(self, client):
        stamps = [s for s, c in self.wakes if c == client]
        return max(stamps) if stamps else None

    def pool_count(self, domain, t, period):
        return sum(1 for s, _, d in self.accepted if d == domain and s > t - period)

    def server_count(self, t, period):
        return sum(1 for s, _, _ in self.accepted if s > t - period)

    def networks(self, client, t, period, current):
        nets = {n for s, c, n in self.seen if c == client and s > t - period}
        nets.add(current)
        return len(nets)

    # ------------------------------------------------------------ deciding

    def warm_start(self, rule, client, t):
        """(start of the warm-up in force at t or None, whether the
        attempt at t wakes the client)."""
        if not rule or not rule.dormant:
            return None, False
        dormant, _, period = rule.dormant
        wake = self.last_wake(client)
        if wake is not None and t < wake + period:
            return wake, False
        last = self.last_accepted(client)
        if last is not None and t - last >= dormant:
            return t, True
        return None, False

    def own_full(self, a, rule, with_strict=True):
        """The client's own limits that are full at a.t: [(N, P|None)]."""
        t, client = a.t, a.client
        full = []
        for n, p in rule.windows:
            count = (self.own_count(client, t, p) if with_strict
                     else self.accepted_in(client, t, p))
            if n > 0 and count >= n:
                full.append((n, p))
        if rule.plain and self.total(client) >= rule.plain:
            full.append((rule.plain, None))
        return full

    def warm_full(self, a, rule):
        start, _ = self.warm_start(rule, a.client, a.t)
        if start is None:
            return False
        warm = sum(1 for s, c, _ in self.accepted if c == a.client and s >= start)
        return warm >= rule.dormant[1]

    def nets_count(self, a, rule):
        """The networks seen within T, this one included (0: no nets=)."""
        if not rule.nets or not a.is_user:
            return 0
        return self.networks(a.client, a.t, rule.nets[1], network24(a.ip))

    def pool_full(self, a):
        pool = self.cfg.pool_rule(a.client, a.is_user)
        if not pool:
            return False
        domain = a.client.split("@", 1)[1]
        return any(n > 0 and self.pool_count(domain, a.t, p) >= n for n, p in pool.pool)

    def server_full(self, a):
        server = self.cfg.server_rule()
        return bool(server) and any(n > 0 and self.server_count(a.t, p) >= n
                                    for n, p in server.windows)

    def message(self, a):
        """The attempt's message: (client, session, n); a message starts
        with SMTPRCPTCOUNTALL=1 (MAIL FROM resets it)."""
        key = (a.client, a.session)
        if a.rall <= 1 or key not in self.msgno:
            self.msgno[key] = self.msgno.get(key, 0) + 1
        return (a.client, a.session, self.msgno[key])

    def makes_mass(self, a, rule, message):
        """Does this attempt, if it passes, make its message a mass message:
        the message reaches R recipients with it (SMTPRCPTCOUNT + 1 >= R),
        whichever kind it is, and was not counted as one yet?"""
        if not rule or not rule.mass or message is None:
            return False
        if any(m == message for _, _, m in self.mass):
            return False
        return a.rcount + 1 >= rule.mass[1]

    def mass_count(self, client, t, period):
        return sum(1 for s, c, _ in self.mass if c == client and s > t - period)

    def checks(self, a, rule, message=None):
        """The first check that refuses the attempt (client not banned):
        ('limit', full own limits) / ('warmup',) / ('mass',) / ('nets',
        count) / ('pool',) / ('server',) / None when all accept.  Without
        a message (a retry probe: a new message) mass= does not apply."""
        if rule:
            full = self.own_full(a, rule)
            if full:
                return ("limit", full)
            if self.warm_full(a, rule):
                return ("warmup",)
            if self.makes_mass(a, rule, message):
                m, _, period = rule.mass
                if self.mass_count(a.client, a.t, period) + 1 >= m:
                    return ("mass",)
            count = self.nets_count(a, rule)
            if rule.nets and count > rule.nets[0]:
                return ("nets", count)
        if self.pool_full(a):
            return ("pool",)
        if self.server_full(a):
            return ("server",)
        return None

    def decide(self, a):
        """Decide the attempt and record its effects."""
        cfg = self.cfg
        rule = cfg.lookup(a.client, a.is_user)
        message = self.message(a)
        if a.local or cfg.is_exempt(a.recipient):
            # never counted, never refused, but one of the message's
            # recipients: the one that makes the M-th mass message bans
            # the client here (it passes; the ban holds from the next)
            if self.makes_mass(a, rule, message):
                self.mass.append((a.t, a.client, message))
                m, _, period = rule.mass
                if self.mass_count(a.client, a.t, period) >= m:
                    self.banned.setdefault(a.client, a.t)
            return Decision(112)
        if rule and rule.msg and a.rcount >= rule.msg:
            return Decision(113, "refuse", over="msg", code=452)
        code = rule.reply if rule else 421
        if a.client in self.banned:
            return Decision(113, "refuse", ban="yes", code=code)
        t, client = a.t, a.client
        # every attempt that reaches the client's checks may wake it and
        # stamps its network, whatever the verdict
        start, wakes = self.warm_start(rule, client, t)
        if wakes:
            self.wakes.append((t, client))
        if rule and rule.nets and a.is_user:
            self.seen.append((t, client, network24(a.ip)))
        refused = self.checks(a, rule, message)
        counts = self.log_counts(a, rule, start, refused)
        if self.makes_mass(a, rule, message) and refused is None:
            self.mass.append((t, client, message))
        if refused is None:
            domain = client.split("@", 1)[1] if a.is_user else None
            self.accepted.append((t, client, domain))
            decision = Decision(112, "accept")
            decision.counts = counts
            return decision
        kind = refused[0]
        decision = Decision(113, "refuse", over=kind, code=code)
        decision.counts = counts
        if kind == "limit":
            decision.over_limits = tuple(refused[1])
            self.limref.append((t, client))
            if rule.strict:
                self.strict.append((t, client))
            if rule.ban:
                for n, p in refused[1]:
                    if p is None:
                        attempts = self.total(client) + self.refusals(client)
                    elif rule.strict:
                        # the window holds its refused attempts: each
                        # once, this one included
                        attempts = self.own_count(client, t, p)
                    else:
                        attempts = (self.accepted_in(client, t, p) +
                                    self.refusals(client))
                    if attempts > rule.ban * n:
                        decision.ban = "new"
        elif kind == "mass":
            decision.ban = "new"
        elif kind == "nets":
            if rule.ban and refused[1] > rule.ban * rule.nets[0]:
                decision.ban = "new"
        elif kind == "pool":
            decision.code = cfg.pool_rule(client, a.is_user).reply
        elif kind == "server":
            decision.code = cfg.server_rule().reply
        if decision.ban:
            self.banned[client] = t
            return decision
        decision.retry = self.retry(a, rule)
        return decision

    def log_counts(self, a, rule, warm_start, refused):
        """The counts of the log line (relaylimits(5), rcptcheck-overlimit(8)):
        PERIOD=C/L per window of the client (its records, strict ones
        included), total=C[/N], nets=C/M, warmup=C/N, and pool_PERIOD= and
        server_PERIOD= when the recipient or its refusal was counted there;
        C after this recipient when it is accepted."""
        t, client = a.t, a.client
        plus = 1 if refused is None else 0
        counts = {"total": str(self.total(client) + plus)}
        if rule:
            for n, p in rule.windows:
                if n > 0:
                    counts[period_name(p)] = "%d/%d" % (self.own_count(client, t, p) + plus, n)
            total = self.total(client) + plus
            counts["total"] = "%d/%d" % (total, rule.plain) if rule.plain else str(total)
            if rule.nets and a.is_user:
                counts["nets"] = "%d/%d" % (self.nets_count(a, rule), rule.nets[0])
            if warm_start is not None:
                warm = sum(1 for s, c, _ in self.accepted if c == client and s >= warm_start)
                counts["warmup"] = "%d/%d" % (warm + plus, rule.dormant[1])
        kind = refused[0] if refused else None
        pool = self.cfg.pool_rule(client, a.is_user)
        if pool and kind in (None, "pool"):
            domain = client.split("@", 1)[1]
            for n, p in pool.pool:
                if n > 0:
                    counts["pool_" + period_name(p)] = "%d/%d" % (
                        self.pool_count(domain, t, p) + plus, n)
        server = self.cfg.server_rule()
        if server and kind in (None, "server"):
            for n, p in server.windows:
                if n > 0:
                    counts["server_" + period_name(p)] = "%d/%d" % (
                        self.server_count(t, p) + plus, n)
        return counts

    # ------------------------------------------------------------ retry

    def accepts(self, a, rule, t):
        """Would the same client, from the same address, in a new message,
        be accepted at time t, nothing having happened meanwhile?"""
        return self.checks(self.probe(a, t), rule) is None

    @staticmethod
    def probe(a, t):
        return Attempt(t, a.client, a.ip, a.is_user, recipient=a.recipient)

    def candidates(self, a, rule):
        """Every time at which some count can change: a record leaving a
        window (s + P), a warm-up ending, a dormant period elapsing."""
        client = a.client
        times = {a.t}
        if rule:
            periods = [p for n, p in rule.windows]
            for s, c, _ in self.accepted:
                if c == client:
                    times.update(s + p for p in periods)
                    if rule.dormant:
                        times.add(s + rule.dormant[0])
            for s, c in self.strict:
                if c == client:
                    times.update(s + p for p in periods)
            if rule.dormant:
                for s, c in self.wakes:
                    if c == client:
                        times.add(s + rule.dormant[2])
            if rule.nets:
                for s, c, _ in self.seen:
                    if c == client:
                        times.add(s + rule.nets[1])
        pool = self.cfg.pool_rule(client, a.is_user)
        if pool:
            domain = client.split("@", 1)[1]
            for s, _, d in self.accepted:
                if d == domain:
                    times.update(s + p for n, p in pool.pool)
        server = self.cfg.server_rule()
        if server:
            for s, _, _ in self.accepted:
                times.update(s + p for n, p in server.windows)
        return sorted(x for x in times if x >= a.t)

    def retry(self, a, rule, accepts=None):
        """The first candidate time >= now at which the client would be
        accepted ('reset' when its plain limit is full).  accepts: another
        predicate (check.py's diagnostics), default self.accepts."""
        if rule and rule.plain and self.total(a.client) >= rule.plain:
            return "reset"
        for t in self.candidates(a, rule):
            if (accepts or self.accepts)(a, rule, t):
                return t
        return "never"      # cannot happen: every window empties

    def retry_by_seconds(self, a, rule, horizon):
        """The same, trying every second from now on (a check of the
        candidate times; None past the horizon)."""
        if rule and rule.plain and self.total(a.client) >= rule.plain:
            return "reset"
        for t in range(a.t, a.t + horizon + 1):
            if self.accepts(a, rule, t):
                return t
        return None
