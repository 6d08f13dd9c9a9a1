/*
 * rcptcheck-overlimit: the RCPTCHECK helper of qmail-smtpd.
 *
 * Run once per accepted RCPT TO with no arguments; counts the recipient
 * for the relay client (the SMTP-auth user, else the client IP) and
 * exits 112 (go on) or 113 (over the limit: 421). On any error: one log
 * line, then 112 (OVERLIMIT_ONERROR=accept, the default) or 111 (defer).
 * See rcptcheck-overlimit(8) and DESIGN.md.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <stdio.h>

#include "limits.h"
#include "logline.h"
#include "name.h"
#include "notify.h"
#include "prog.h"
#include "reply.h"
#include "rule.h"
#include "store.h"
#include "track.h"

#define PROG		"rcptcheck-overlimit"
#define EX_ACCEPT	112
#define EX_REFUSE	113
#define EX_DEFER	111

#ifndef OVERLIMIT_DIR
#define OVERLIMIT_DIR	"/var/qmail/overlimit"
#endif
#ifndef OVERLIMIT_CDB
#define OVERLIMIT_CDB	"/var/qmail/control/relaylimits.cdb"
#endif
#define TIMEOUT		10	/* seconds, OVERLIMIT_TIMEOUT */
#define NOTIFY_TIMEOUT	30	/* seconds, OVERLIMIT_NOTIFY_TIMEOUT */

extern char **environ;

static int onerror = EX_ACCEPT;
static struct logline wd;	/* what the watchdog writes */

static void
watchdog(int sig)
{
	(void)sig;
	wd.buf[wd.len] = '\n';
	(void)write(2, wd.buf, wd.len + 1);
	_exit(onerror);
}

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* The CDB, on a descriptor above 2: the first file opened tells whether
 * 0, 1 or 2 was closed (then they are opened on /dev/null, so that no
 * log line lands in a counter file), at no cost when they are open. */
static int
cdbopen(struct limits *l, const char *path)
{
	if (limits_open(l, path) < 0)
		return -1;
	if (l->fd > 2)
		return 0;
	limits_close(l);
	prog_fds();
	return limits_open(l, path);
}

/* The client part of every log line. */
static void
who(struct logline *l, const char *client, size_t len, const char *ip)
{
	log_start(l, PROG);
	log_esc(l, "client", client, len);
	if (ip != NULL)
		log_esc(l, "ip", ip, strlen(ip));
}

static int
failed(struct logline *l, const char *what, const char *arg, int err)
{
	char msg[512];

	if (err)
		snprintf(msg, sizeof(msg), "%s %s: %s", what, arg, strerror(err));
	else if (arg != NULL)
		snprintf(msg, sizeof(msg), "%s %s", what, arg);
	else
		snprintf(msg, sizeof(msg), "%s", what);
	log_quote(l, "error", msg);
	log_add(l, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	log_flush(l, 2);
	return onerror;
}

static void
showcounts(struct logline *l, const struct rule *r, const struct verdict *v,
    const struct client *c)
{
	char per[16];
	int i, total = 0;

	for (i = 0; i < r->nwin; i++) {
		rule_fmtperiod(r->win[i].period, per, sizeof(per));
		if (r->win[i].period == 0) {
			total = 1;
			log_fmt(l, "total", "%llu/%lu",
			    (unsigned long long)v->count[i],
			    (unsigned long)v->limit[i]);
		} else
			log_fmt(l, per, "%llu/%lu",
			    (unsigned long long)v->count[i],
			    (unsigned long)v->limit[i]);
	}
	if (!total)
		log_fmt(l, "total", "%llu", (unsigned long long)c->h.total);
	if (v->raised)
		log_fmt(l, "raised", "x%lu", (unsigned long)v->raised);
}

/* A number from env name in [lo, hi]; dflt when unset; -1 when bad. */
static long
envnum(const char *name, long lo, long hi, long dflt)
{
	const char *v = env(name, NULL);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	return n;
}

/* The rule-wide options that the environment sets for every rule. */
static const char *
globals(struct rule *r)
{
	long n;

	if (strcmp(env("OVERLIMIT_DRYRUN", "0"), "0") != 0)
		r->flags |= RULE_DRYRUN;
	if (strcmp(env("OVERLIMIT_STRICT", "0"), "0") != 0)
		r->flags |= RULE_STRICT;
	if ((n = envnum("OVERLIMIT_BAN", 0, 100, 0)) < 0)
		return "OVERLIMIT_BAN is not a number from 0 to 100";
	if (r->ban == 0)
		r->ban = (unsigned)n;
	if ((n = envnum("OVERLIMIT_WARN", 0, 99, 0)) < 0)
		return "OVERLIMIT_WARN is not a percentage from 0 to 99";
	if (r->warn == 0)
		r->warn = (unsigned)n;
	return NULL;
}

/* A refusal's text on fd 4, when qmail-smtpd reads it (USE_FD4=1): one
 * line, at most 1021 bytes. */
static void
fd4write(const char *out, size_t n)
{
	if (strcmp(env("USE_FD4", ""), "1") != 0 || fcntl(4, F_GETFD) < 0)
		return;
	(void)signal(SIGPIPE, SIG_IGN);
	(void)write(4, out, n);
}

static void
fd4reply(const struct rule *r, const struct verdict *v, const char *enc)
{
	char out[REPLY_MAX + 1];

	fd4write(out, reply_format(r, v, enc, out));
}

/* The per-message cap's refusal: 452 keeps the session, refuses this
 * recipient only (RFC 5321 4.5.3.1.10). */
static void
fd4msg(uint32_t max)
{
	char out[128];
	int n;

	n = snprintf(out, sizeof(out), "452 4.5.3 too many recipients for "
	    "one message (at most %lu)", (unsigned long)max);
	fd4write(out, (size_t)n);
}

static const char *const evname[] = { "none", "warn", "over", "ban",
	"dormant" };
static const char *const whyname[] = { "", "limit", "warmup", "nets",
	"mass", "pool", "server" };

/* What an event or a refusal is about. */
struct about {
	int		event;		/* EV_* */
	int		why;		/* WHY_* */
	uint64_t	count;
	uint32_t	limit, period;
	const char	*rule;		/* the rule's key ("" = default) */
	unsigned long	line;
	int		banned, dryrun;
};

static void
notify(const struct about *a, const char *logkey, enum name_kind kind,
    const char *norm, size_t len, const char *rip, struct logline *lg)
{
	static const struct {
		const char	*var, *env;
	} fromenv[] = {
		{ "OVERLIMIT_SENDER", "SENDER" },
		{ "OVERLIMIT_HELO", "HELO" },
		{ "OVERLIMIT_RECIPIENT", "RECIPIENT" },
	};
	const char *prog = env("OVERLIMIT_NOTIFY", NULL), *e;
	struct notify_env ne;		/* the program's, bounded */
	char per[16], num[4][32], **ep;
	long timeout = envnum("OVERLIMIT_NOTIFY_TIMEOUT", 1, 3600,
	    NOTIFY_TIMEOUT);
	size_t i;

	if (prog == NULL || a->event == EV_NONE)
		return;
	if (timeout < 0)
		timeout = NOTIFY_TIMEOUT;
	rule_fmtperiod(a->period, per, sizeof(per));
	snprintf(num[0], sizeof(num[0]), "%lu", a->line);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)a->count);
	snprintf(num[2], sizeof(num[2]), "%lu", (unsigned long)a->limit);
	snprintf(num[3], sizeof(num[3]), "%lld", (long long)time(NULL));
	notify_env_init(&ne);
	(void)notify_env_pass(&ne, "PATH=/usr/local/bin:/usr/bin:/bin");
#define ADD(name, val)	(void)notify_env_add(&ne, name, val, strlen(val))
	ADD("OVERLIMIT_EVENT", evname[a->event]);
	ADD("OVERLIMIT_REASON", a->why != WHY_NONE ? whyname[a->why] :
	    a->event == EV_DORMANT ? "warmup" : "limit");
	(void)notify_env_add(&ne, "OVERLIMIT_CLIENT", norm, len);
	ADD("OVERLIMIT_KIND", kind == NAME_IP ? "ip" : "user");
	ADD("OVERLIMIT_RULE", a->rule[0] ? a->rule : "default");
	ADD("OVERLIMIT_LINE", num[0]);
	ADD("OVERLIMIT_COUNT", num[1]);
	ADD("OVERLIMIT_LIMIT", num[2]);
	ADD("OVERLIMIT_PERIOD", per[0] ? per : "reset");
	ADD("OVERLIMIT_BANNED", a->banned ? "1" : "0");
	ADD("OVERLIMIT_DRYRUN", a->dryrun ? "1" : "0");
	ADD("OVERLIMIT_TIME", num[3]);
	ADD("OVERLIMIT_IP", rip ? rip : "");
	for (i = 0; i < sizeof(fromenv) / sizeof(fromenv[0]); i++)
		ADD(fromenv[i].var, env(fromenv[i].env, ""));
	if ((e = env("OVERLIMIT_HOST", NULL)) != NULL)
		ADD("OVERLIMIT_HOST", e);
#undef ADD
	/* the admin's settings for the program (run file, tcprules) */
	for (ep = environ; *ep != NULL; ep++)
		if (strncmp(*ep, "NOTIFY_", 7) == 0 && strlen(*ep) < 4096)
			(void)notify_env_pass(&ne, *ep);
	log_add(lg, logkey, evname[a->event]);
	if (ne.dropped)
		log_fmt(lg, "notify_dropped", "%d", ne.dropped);
	if (notify_run(prog, PROG ":", (unsigned)timeout, ne.var) < 0)
		log_add(lg, "notify_error", "fork");
}

/* An aggregate (domain pool, server cap): its rule, file and verdict. */
struct agg {
	int		on;
	int		why;		/* WHY_POOL or WHY_SERVER */
	char		key[NAME_ENCMAX + 2];	/* rule key and file name */
	struct rule	r;
	struct client	c;
	struct verdict	v;
	struct signal	sig;		/* full? */
	int		counted;	/* v is filled */
	int		locked;
	int		err;		/* an error: left out */
};

/* The rule of an aggregate as a plain windows rule. */
static void
aggrule(struct agg *a, const struct rule *src, int pool)
{
	memset(&a->r, 0, sizeof(a->r));
	a->r.line = src->line;
	if (pool) {
		a->r.nwin = src->npool;
		memcpy(a->r.win, src->pool, sizeof(a->r.win));
	} else {
		a->r.nwin = src->nwin;
		memcpy(a->r.win, src->win, sizeof(a->r.win));
	}
	/* its own line's reply, text and warning; the environment's
	 * defaults (OVERLIMIT_WARN, OVERLIMIT_DRYRUN) as for every rule */
	a->r.reply = src->reply;
	memcpy(a->r.text, src->text, sizeof(a->r.text));
	a->r.warn = src->warn;
	a->r.flags = src->flags & RULE_DRYRUN;
	(void)globals(&a->r);		/* checked on the client's rule */
	a->r.flags &= RULE_DRYRUN;	/* not the client's own dry run */
	a->r.ban = 0;			/* an aggregate never bans */
	a->on = a->r.nwin > 0;
}

static void
aggcounts(struct logline *l, const char *what, const struct agg *a)
{
	char per[16], k[40];
	int i;

	for (i = 0; i < a->r.nwin; i++) {
		rule_fmtperiod(a->r.win[i].period, per, sizeof(per));
		snprintf(k, sizeof(k), "%s_%s", what, per);
		log_fmt(l, k, "%llu/%lu", (unsigned long long)a->v.count[i],
		    (unsigned long)a->v.limit[i]);
	}
}

/* Lock an aggregate and see whether it is full. An error leaves it out
 * (logged under key; the caller applies OVERLIMIT_ONERROR=defer). */
static void
aggopen(struct store *st, struct agg *a, time_t now, const char *key,
    struct logline *lg)
{
	if (!a->on)
		return;
	if (store_lock(st, a->key, 1, &a->c) < 0 ||
	    (a->locked = 1, store_peek(&a->c, &a->r, now, a->why,
	    &a->sig) < 0)) {
		log_quote(lg, key, a->c.err);
		store_unlock(&a->c);
		memset(&a->sig, 0, sizeof(a->sig));
		a->on = a->locked = 0;
		a->err = 1;
	}
}

/* Count the client's recipient in an aggregate: when it was accepted,
 * and the refusal the aggregate caused. */
static void
aggcount(struct store *st, struct agg *a, const struct verdict *v,
    time_t now, const char *key, struct logline *lg)
{
	struct rule r;

	if (!a->on || !(v->accepted || v->why == a->why))
		return;
	r = a->r;
	if (v->accepted && a->sig.why != WHY_NONE &&
	    !(r.flags & RULE_DRYRUN))
		r.flags |= RULE_DRYRUN | RULE_QUIET;	/* the client's dry run */
	a->counted = 1;
	if (store_count(st, &a->c, &r, now, NULL, &a->v) < 0) {
		log_quote(lg, key, a->c.err);
		a->counted = 0;
	}
}

/* Is an IPv6 client under this rule counted per network (bits)? Under the
 * default, no rule, or a prefix no longer than bits: yes; under its exact
 * address or a longer prefix: per address. */
static int
pernet(int rc, const char *matched, uint32_t bits)
{
	const char *slash = strchr(matched, '/');

	if (rc == 0 || matched[0] == '\0')
		return 1;
	return slash != NULL && strtol(slash + 1, NULL, 10) <= (long)bits;
}

/* An aggregate's event (its crossing, decided under its lock). */
static void
aggnotify(const struct agg *a, const char *logkey, enum name_kind kind,
    const char *norm, size_t len, const char *rip, struct logline *lg)
{
	struct about ab;

	if (!a->counted || a->v.event == EV_NONE)
		return;
	memset(&ab, 0, sizeof(ab));
	ab.event = a->v.event;
	ab.why = a->why;
	ab.count = a->v.ocount;
	ab.limit = a->v.olimit;
	ab.period = a->v.operiod;
	ab.rule = a->why == WHY_POOL ? a->key : "*";
	ab.line = a->r.line;
	ab.dryrun = a->v.dryrun;
	notify(&ab, logkey, kind, norm, len, rip, lg);
}

/* SMTPRCPTCOUNT: recipients of this message accepted so far; -1 unknown. */
static long
rcptcount(void)
{
	return envnum("SMTPRCPTCOUNT", 0, 1000000000L, -1);
}

/* A recipient the client does not count (to our own domains, or an
 * exempt destination): never refused, but under mass= one of its message's
 * recipients, and the one that makes a mass message may ban the client.
 * Errors are logged; the recipient passes whatever happens. */
static int
freercpt(struct logline *lg, const struct rule *r, const char *senc,
    const char *verdict, long msgn, long allm, enum name_kind kind,
    const char *norm, size_t len, const char *rip, const char *matched)
{
	struct store st;
	struct client cl;
	struct track tk;
	struct signal sig;
	struct verdict v;
	struct about ab;
	const char *dir = env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	char per[16];
	uint32_t ppid, n;
	time_t now;

	if (r->massn == 0 || msgn < 0 ||
	    (msgn != 0 && (uint32_t)msgn + 1 < r->massr))
		goto done;			/* not a message's start or R-th */
	if (store_open(&st, dir) < 0)
		return failed(lg, "cannot open directory", dir, errno);
	if (store_lock(&st, senc, 1, &cl) < 0)
		return failed(lg, cl.err, NULL, 0);
	if (track_open(&st, senc, 1, &tk) < 0) {
		store_unlock(&cl);
		return failed(lg, tk.err, NULL, 0);
	}
	now = time(NULL);
	track_settle(&tk, now);
	ppid = (uint32_t)getppid();	/* the session: qmail-smtpd */
	memset(&sig, 0, sizeof(sig));
	if (msgn == 0)
		track_start(&tk, ppid, allm);
	if ((uint32_t)msgn + 1 >= r->massr &&
	    !track_massdone(&tk, ppid, (uint32_t)msgn, allm)) {
		track_mass(&tk, now, ppid, (uint32_t)msgn, allm);
		if ((n = track_massn(&tk, now, r->massper)) >= r->massn) {
			sig.why = WHY_MASS;
			sig.ban = 1;
			sig.count = n;
			sig.limit = r->massn;
			sig.period = r->massper;
		}
	}
	if (track_close(&tk) < 0)
		log_quote(lg, "side_error", tk.err);
	memset(&v, 0, sizeof(v));
	if (sig.ban && store_ban(&cl, now, &sig, &v) < 0) {
		store_unlock(&cl);
		return failed(lg, cl.err, NULL, 0);
	}
	store_unlock(&cl);
	alarm(0);
	if (!v.newban)
		goto done;
	rule_fmtperiod(r->massper, per, sizeof(per));
	log_fmt(lg, "over", "mass:%lux%lu/%s", (unsigned long)r->massn,
	    (unsigned long)r->massr, per);
	log_add(lg, "ban", "new");
	memset(&ab, 0, sizeof(ab));
	ab.rule = matched;
	ab.line = r->line;
	ab.banned = 1;
	ab.event = EV_BAN;
	ab.why = WHY_MASS;
	ab.count = v.ocount;
	ab.limit = v.olimit;
	ab.period = v.operiod;
	notify(&ab, "notify", kind, norm, len, rip, lg);
	log_add(lg, "verdict", verdict);
	log_flush(lg, 2);
	return EX_ACCEPT;
done:
	if (strcmp(verdict, "exempt") == 0) {
		log_add(lg, "verdict", verdict);
		log_flush(lg, 2);
	}
	return EX_ACCEPT;
}

int
main(void)
{
	struct logline lg;
	struct limits lim;
	struct store st;
	struct client cl;
	struct rule rule;
	struct verdict v;
	struct ipaddr ip = { 0, { 0 } };
	struct sigaction sa;
	struct rule other;
	struct signal sig;
	struct track tk;
	struct about ab;
	static struct agg pool, srv;	/* static: large */
	char enc[NAME_ENCMAX + 1], matched[NAME_ENCMAX + 2], per[16];
	char senc[NAME_ENCMAX + 1], netbuf[64];
	unsigned char netaddr[16];
	uint32_t bits, n, nets = 0, ppid = 0;
	int64_t nretry;
	long msgn, allm;
	int havenet = 0, mass, start, arc, msgdry = 0, local, exempt = 0;
	unsigned feat = LIMITS_FALL;
	time_t now;
	const char *user, *rip, *dir, *cdb, *e;
	static char *norm;	/* static: reachable at exit for leak checkers */
	static char ipbuf[64];	/* static: norm, a static, may point here */
	size_t len;
	long timeout;
	enum name_kind kind;
	int rc;

	if (getenv("RELAYCLIENT") == NULL)
		return EX_ACCEPT;		/* inbound: not ours to count */
	cdb = env("OVERLIMIT_CDB", OVERLIMIT_CDB);
	/* to our own domains: free, but under mass= a recipient of the
	 * message (a relayed recipient after it logs any error) */
	local = getenv("RCPTHOSTS") != NULL &&
	    strcmp(env("OVERLIMIT_COUNT_LOCAL", "0"), "0") == 0;
	if (local && (cdbopen(&lim, cdb) < 0 ||
	    limits_features(&lim, &feat) < 0 || !(feat & LIMITS_FMASS)))
		return EX_ACCEPT;

	e = env("OVERLIMIT_ONERROR", "accept");
	if (strcmp(e, "defer") == 0 && !local)
		onerror = EX_DEFER;

	user = env("SMTPAUTHUSER", NULL);
	if ((rip = env("TCPREMOTEIP", NULL)) == NULL)
		rip = env("TCP6REMOTEIP", NULL);
	if (user != NULL) {
		kind = NAME_USER;
		len = strlen(user);
		if ((norm = malloc(len + 1)) == NULL)
			return failed((who(&lg, user, len, rip), &lg),
			    "out of memory", NULL, 0);
		memcpy(norm, user, len + 1);
		name_normuser(norm, len);
	} else {
		kind = NAME_IP;
		if (rip == NULL) {
			who(&lg, "", 0, NULL);
			return failed(&lg, "no client identity (neither "
			    "SMTPAUTHUSER nor TCPREMOTEIP)", NULL, 0);
		}
		if (name_parseip(rip, &ip) < 0) {
			who(&lg, rip, strlen(rip), NULL);
			return failed(&lg, "bad client IP address", NULL, 0);
		}
		name_fmtip(&ip, ipbuf, sizeof(ipbuf));
		norm = ipbuf;
		len = strlen(ipbuf);
	}
	name_encode(kind, norm, len, enc);
	memcpy(senc, enc, sizeof(senc));

	who(&lg, norm, len, kind == NAME_USER ? rip : NULL);
	if (onerror != EX_DEFER && strcmp(e, "accept") != 0 &&
	    strcmp(e, "defer") != 0)
		return failed(&lg, "OVERLIMIT_ONERROR is neither accept nor "
		    "defer:", e, 0);
	timeout = strtol(env("OVERLIMIT_TIMEOUT", "10"), NULL, 10);
	if (timeout < 1 || timeout > 3600)
		timeout = TIMEOUT;
	wd = lg;
	log_fmt(&wd, "error", "\"timeout after %lds\"", timeout);
	log_add(&wd, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);

	if (!local && cdbopen(&lim, cdb) < 0)
		return failed(&lg, errno == EPROTO ? "not a limits CDB (run "
		    "cdbmake-limits):" : "cannot open limits", cdb,
		    errno == EPROTO ? 0 : errno);
	if (!local && limits_features(&lim, &feat) < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	if (!local && (feat & LIMITS_FEXEMPT) &&
	    (e = env("RECIPIENT", NULL)) != NULL) {
		switch (limits_exempt(&lim, e, strlen(e), matched,
		    sizeof(matched))) {
		case -1:
			return failed(&lg, "corrupt limits CDB", cdb, 0);
		case 1:				/* never counted, never refused */
			log_add(&lg, "exempt", matched);
			if (!(feat & LIMITS_FMASS)) {
				log_add(&lg, "verdict", "exempt");
				log_flush(&lg, 2);
				return EX_ACCEPT;
			}
			exempt = 1;
			onerror = EX_ACCEPT;
		}
	}
	rc = limits_lookup(&lim, kind, norm, len, &ip, enc, &rule, matched,
	    sizeof(matched));
	if (rc < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	if ((e = globals(&rule)) != NULL)
		return failed(&lg, e, NULL, 0);
	/* what is counted: the client, or an IPv6 client's network */
	if (kind == NAME_IP && ip.family == AF_INET6) {
		if (limits_setting(&lim, RULE_COUNT6KEY, 64, &bits) < 0)
			return failed(&lg, "corrupt limits CDB", cdb, 0);
		if (bits < 128 && pernet(rc, matched, bits)) {
			struct ipaddr net = ip;

			name_mask(&net, (int)bits);
			name_fmtnet(&net, (int)bits, netbuf, sizeof(netbuf));
			name_encode(NAME_IP, netbuf, strlen(netbuf), senc);
		}
	}
	if (local || exempt)
		return freercpt(&lg, &rule, senc, local ? "local" : "exempt",
		    rcptcount(), envnum("SMTPRCPTCOUNTALL", 0, 1000000000L, -1),
		    kind, norm, len, rip, matched);
	/* the aggregates: the user's domain pool, the server cap */
	/* pool and srv are static, zero from the start (a memset of their
	 * record caches cost a third of the whole call) */
	pool.why = WHY_POOL;
	srv.why = WHY_SERVER;
	if (kind == NAME_USER && name_domainkey(norm, len, pool.key) == 0) {
		/* the lookup tried the @domain line before the default: only
		 * a user matched by its own line needs another probe */
		if (strcmp(matched, pool.key) == 0)
			aggrule(&pool, &rule, 1);
		else if (rc == 0 || matched[0] == '\0')
			;			/* no @domain line */
		else if ((arc = limits_get(&lim, pool.key, &other)) < 0)
			return failed(&lg, "corrupt limits CDB", cdb, 0);
		else if (arc == 1)
			aggrule(&pool, &other, 1);
	}
	if ((arc = limits_get(&lim, RULE_SERVERKEY, &other)) < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	if (arc == 1) {
		aggrule(&srv, &other, 0);
		strlcpy(srv.key, "*", sizeof(srv.key));
	}
	/* what a network is, for nets= */
	if (rule.nets && kind == NAME_USER && rip != NULL &&
	    name_parseip(rip, &ip) == 0) {
		if (limits_setting(&lim, ip.family == AF_INET ? RULE_NETS4KEY :
		    RULE_NETS6KEY, ip.family == AF_INET ? 24 : 64, &bits) < 0)
			return failed(&lg, "corrupt limits CDB", cdb, 0);
		name_mask(&ip, (int)bits);
		memset(netaddr, 0, sizeof(netaddr));
		if (ip.family == AF_INET) {
			netaddr[10] = netaddr[11] = 0xff;
			memcpy(netaddr + 12, ip.a, 4);
		} else
			memcpy(netaddr, ip.a, 16);
		havenet = 1;
	}

	log_add(&lg, "rule", rc == 0 ? "none" : matched[0] == '\0' ?
	    "default" : matched);
	if (rc == 1)
		log_fmt(&lg, "line", "%lu", rule.line);

	if (strcmp(senc, enc) != 0)
		log_add(&lg, "counter", netbuf);
	/* per-message cap: from the environment alone, nothing counted */
	msgn = rcptcount();
	if (rule.msgmax && msgn >= (long)rule.msgmax) {
		if (rule.flags & RULE_DRYRUN)
			msgdry = 1;		/* logged with the rest */
		else {
			log_fmt(&lg, "over", "msg:%lu",
			    (unsigned long)rule.msgmax);
			log_add(&lg, "verdict", "refuse");
			log_flush(&lg, 2);
			fd4msg(rule.msgmax);
			return EX_REFUSE;
		}
	}

	dir = env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	if (store_open(&st, dir) < 0)
		return failed(&lg, "cannot open directory", dir, errno);
	now = time(NULL);
	/* lock order, for everyone: client, pool, server */
	if (store_lock(&st, senc, 1, &cl) < 0)
		return failed(&lg, cl.err, NULL, 0);
	memset(&sig, 0, sizeof(sig));
	tk.fd = -1;
	/* the side file: networks seen, mass messages (errors there cost
	 * only these signals, unless the admin chose defer) */
	allm = envnum("SMTPRCPTCOUNTALL", 0, 1000000000L, -1);
	/* a message starts at count 0; it is a mass message once it
	 * reaches R recipients, whichever was the R-th (a local or exempt
	 * one counts it there) */
	start = rule.massn && msgn == 0;
	mass = rule.massn && msgn >= 0 && (uint32_t)msgn + 1 >= rule.massr;
	if (havenet || mass || start) {
		if (track_open(&st, senc, 1, &tk) < 0) {
			if (onerror == EX_DEFER)
				return failed(&lg, tk.err, NULL, 0);
			log_quote(&lg, "side_error", tk.err);
			havenet = mass = start = 0;
		} else if (tk.healed)
			log_quote(&lg, "side_error", tk.err);
		else
			track_settle(&tk, now);
	}
	/* the client asks again for a recipient of a message counted
	 * already (a later check of qmail-smtpd refused it): one message */
	if (mass || start)
		ppid = (uint32_t)getppid();	/* the session: qmail-smtpd */
	if (start)
		track_start(&tk, ppid, allm);
	if (mass && track_massdone(&tk, ppid, (uint32_t)msgn, allm))
		mass = 0;
	if (mass && (n = track_massn(&tk, now, rule.massper) + 1) >=
	    rule.massn) {
		sig.why = WHY_MASS;
		sig.ban = 1;
		sig.count = n;
		sig.limit = rule.massn;
		sig.period = rule.massper;
	}
	if (havenet) {
		n = nets = track_seen(&tk, netaddr, now, rule.netsper,
		    rule.nets, &nretry);
		log_fmt(&lg, "nets", "%lu/%lu", (unsigned long)n,
		    (unsigned long)rule.nets);
		if (n > rule.nets && sig.why == WHY_NONE) {
			sig.why = WHY_NETS;
			/* ban=K: banned past K x M networks (the side
			 * file tells apart at most TRACK_NETS) */
			sig.ban = rule.ban && n > (rule.ban * rule.nets <
			    TRACK_NETS ? rule.ban * rule.nets : TRACK_NETS - 1);
			sig.count = n;
			sig.limit = rule.nets;
			sig.period = rule.netsper;
		}
	}
	aggopen(&st, &pool, now, "pool_error", &lg);
	aggopen(&st, &srv, now, "server_error", &lg);
	if (onerror == EX_DEFER && (pool.err || srv.err))
		return failed(&lg, pool.err ? pool.c.err : srv.c.err, NULL, 0);
	if (sig.why == WHY_NONE && pool.sig.why && !(pool.r.flags & RULE_DRYRUN))
		sig = pool.sig;
	if (sig.why == WHY_NONE && srv.sig.why && !(srv.r.flags & RULE_DRYRUN))
		sig = srv.sig;
	/* a refusal's retry time is the first moment every check lets the
	 * client through: what nets=, the pool and the cap wait for */
	sig.retry = 0;
	if (havenet && nets > rule.nets)
		sig.retry = nretry;
	if (pool.sig.why && !(pool.r.flags & RULE_DRYRUN) &&
	    pool.sig.retry > sig.retry)
		sig.retry = pool.sig.retry;
	if (srv.sig.why && !(srv.r.flags & RULE_DRYRUN) &&
	    srv.sig.retry > sig.retry)
		sig.retry = srv.sig.retry;

	if (store_count(&st, &cl, &rule, now, &sig, &v) < 0)
		return failed(&lg, cl.err, NULL, 0);
	/* the client's decision is committed: from here on an error is
	 * logged and the decision stands */
	if (v.accepted && mass)
		track_mass(&tk, now, ppid, (uint32_t)msgn, allm);
	if (track_close(&tk) < 0)
		log_quote(&lg, "side_error", tk.err);
	/* the aggregates count what the client was let through with, and
	 * the refusals they caused; a client's dry run over a full pool is
	 * counted there quietly (its crossing stays for the real one) */
	aggcount(&st, &pool, &v, now, "pool_error", &lg);
	aggcount(&st, &srv, &v, now, "server_error", &lg);
	if (srv.locked)
		store_unlock(&srv.c);
	if (pool.locked)
		store_unlock(&pool.c);
	store_unlock(&cl);
	alarm(0);

	showcounts(&lg, &rule, &v, &cl);
	if (pool.counted)
		aggcounts(&lg, "pool", &pool);
	if (srv.counted)
		aggcounts(&lg, "server", &srv);
	if (v.warm)
		log_fmt(&lg, "warmup", "%lu/%lu", (unsigned long)cl.h.warm_count,
		    (unsigned long)rule.warmn);
	if (v.why != WHY_NONE && !(v.banned && !v.newban)) {
		rule_fmtperiod(v.operiod, per, sizeof(per));
		if (v.why == WHY_LIMIT)
			log_fmt(&lg, "over", "%lu%s%s", (unsigned long)v.olimit,
			    per[0] ? "/" : "", per);
		else if (v.why == WHY_MASS)
			log_fmt(&lg, "over", "mass:%lux%lu/%s",
			    (unsigned long)rule.massn,
			    (unsigned long)rule.massr, per);
		else
			log_fmt(&lg, "over", "%s:%lu%s%s", whyname[v.why],
			    (unsigned long)v.olimit, per[0] ? "/" : "", per);
	} else if (msgdry)
		log_fmt(&lg, "over", "msg:%lu", (unsigned long)rule.msgmax);
	if (v.newban)
		log_add(&lg, "ban", "new");
	else if (v.banned)
		log_add(&lg, "ban", "yes");
	if (v.dryrun || msgdry ||
	    (v.accepted && (pool.v.dryrun || srv.v.dryrun)))
		log_add(&lg, "dryrun", "would-refuse");
	if (!v.accepted && !v.banned) {
		char t[32];
		time_t rt = (time_t)v.retry;
		struct tm tm;

		if (v.retry > 0 && gmtime_r(&rt, &tm) != NULL) {
			(void)strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
			log_add(&lg, "retry", t);
		} else
			log_add(&lg, "retry", "reset");
	}
	/* the client's event, and each aggregate's: each is decided once,
	 * under its own file's lock, so none may be dropped */
	memset(&ab, 0, sizeof(ab));
	ab.rule = matched;
	ab.line = rule.line;
	ab.banned = v.banned;
	ab.dryrun = v.dryrun;
	if (v.event != EV_NONE && v.why != WHY_POOL && v.why != WHY_SERVER) {
		ab.event = v.event;
		ab.why = v.event == EV_WARN ? WHY_LIMIT : v.why;
		ab.count = v.ocount;
		ab.limit = v.olimit;
		ab.period = v.operiod;
		notify(&ab, "notify", kind, norm, len, rip, &lg);
	}
	/* a wake that also crossed something: the wake is told too */
	if (v.woke && !(ab.event == EV_DORMANT)) {
		ab.event = EV_DORMANT;
		ab.why = WHY_WARMUP;
		ab.count = 0;
		ab.limit = rule.warmn;
		ab.period = rule.warmper;
		notify(&ab, "notify_wake", kind, norm, len, rip, &lg);
	}
	aggnotify(&pool, "notify_pool", kind, norm, len, rip, &lg);
	aggnotify(&srv, "notify_server", kind, norm, len, rip, &lg);
	log_add(&lg, "verdict", v.accepted ? "accept" : "refuse");
	log_flush(&lg, 2);
	if (!v.accepted)
		fd4reply(v.why == WHY_POOL ? &pool.r : v.why == WHY_SERVER ?
		    &srv.r : &rule, &v, v.why == WHY_POOL ? pool.key + 1 :
		    v.why == WHY_SERVER ? "this server" : enc);
	return v.accepted ? EX_ACCEPT : EX_REFUSE;
}
