/* report.c: see report.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notify.h"
#include "prog.h"
#include "reply.h"
#include "report.h"

extern char **environ;

static const char *const evname[] = { "none", "warn", "over", "ban",
	"dormant" };
static const char *const whyname[] = { "", "limit", "warmup", "nets",
	"mass", "pool", "server" };

void
report_rule(struct logline *lg, const struct request *rq)
{
	const struct match *m = rq->match;

	log_add(lg, "rule", !m->found ? "none" : m->key[0] == '\0' ?
	    "default" : m->key);
	if (m->found)
		log_num(lg, "line", rq->rule->line);
	if (rq->id->net[0] != '\0')
		log_add(lg, "counter", rq->id->net);
}

/* "1h=57/200 1d=311/1000 total=311", or "pool_1h=..." for an aggregate. */
static void
counts(struct logline *lg, const char *pre, const struct rule *r,
    const struct verdict *v, uint64_t total)
{
	char per[16], k[40];
	int i, plain = 0;

	for (i = 0; i < r->nwin; i++) {
		rule_fmtperiod(r->win[i].period, per, sizeof(per));
		plain |= r->win[i].period == 0;
		strlcpy(k, pre, sizeof(k));
		strlcat(k, per[0] ? per : "total", sizeof(k));
		log_frac(lg, k, v->count[i], v->limit[i]);
	}
	if (pre[0] != '\0')
		return;
	if (!plain)
		log_num(lg, "total", total);
	if (v->raised)
		log_fmt(lg, "raised", "x%lu", (unsigned long)v->raised);
}

/* over=: what refused (or would have, in a dry run). */
static void
over(struct logline *lg, const struct request *rq, const struct verdict *v)
{
	const struct rule *r = rq->rule;
	char per[16];

	rule_fmtperiod(v->operiod, per, sizeof(per));
	if (v->why == WHY_LIMIT)
		log_fmt(lg, "over", "%lu%s%s", (unsigned long)v->olimit,
		    per[0] ? "/" : "", per);
	else if (v->why == WHY_MASS)
		log_fmt(lg, "over", "mass:%lux%lu/%s", (unsigned long)r->massn,
		    (unsigned long)r->massr, per);
	else
		log_fmt(lg, "over", "%s:%lu%s%s", whyname[v->why],
		    (unsigned long)v->olimit, per[0] ? "/" : "", per);
}

/* dryrun=: what a dry run would have refused (the limits) or denied (a
 * destination rule, before the limits). */
static void
dry(struct logline *lg, const struct request *rq, int refuse)
{
	if (refuse || rq->destdry)
		log_add(lg, "dryrun", !refuse ? "would-deny" : rq->destdry ?
		    "would-deny,would-refuse" : "would-refuse");
}

void
report_log(struct logline *lg, const struct request *rq,
    const struct outcome *out)
{
	const struct verdict *v = &out->v;
	char t[PROG_TIMEMAX];
	int i;

	if (out->result == OUT_MSG) {
		log_fmt(lg, "over", "msg:%lu", (unsigned long)rq->rule->msgmax);
		dry(lg, rq, 0);
		return;
	}
	for (i = 0; i < out->nerr; i++)
		log_quote(lg, out->err[i].key, out->err[i].text);
	if (out->result == OUT_FREE) {
		if (v->newban) {
			over(lg, rq, v);
			log_add(lg, "ban", "new");
		}
		dry(lg, rq, 0);
		return;
	}
	if (out->nets > 0)		/* a network seen: at least this one */
		log_fmt(lg, "nets", "%lu/%lu", (unsigned long)out->nets,
		    (unsigned long)rq->rule->nets);
	counts(lg, "", rq->rule, v, out->total);
	if (out->pool.counted)
		counts(lg, "pool_", rq->pool, &out->pool.v, 0);
	if (out->server.counted)
		counts(lg, "server_", rq->server, &out->server.v, 0);
	if (v->warm)
		log_fmt(lg, "warmup", "%lu/%lu", (unsigned long)out->warmcount,
		    (unsigned long)rq->rule->warmn);
	if (v->why != WHY_NONE && !(v->banned && !v->newban))
		over(lg, rq, v);
	else if (out->msgdry)
		log_fmt(lg, "over", "msg:%lu", (unsigned long)rq->rule->msgmax);
	if (v->newban)
		log_add(lg, "ban", "new");
	else if (v->banned)
		log_add(lg, "ban", "yes");
	dry(lg, rq, v->dryrun || out->msgdry || (v->accepted &&
	    (out->pool.v.dryrun || out->server.v.dryrun)));
	if (!v->accepted && !v->banned) {
		if (v->retry > 0)
			prog_fmttime(v->retry, t, sizeof(t));
		log_add(lg, "retry", v->retry > 0 ? t : "reset");
	}
}

/* What an event is about. */
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
tell(struct logline *lg, const char *logkey, const struct about *a,
    const struct request *rq, const struct notifyto *to)
{
	const struct ident *id = rq->id;
	struct notify_env ne;		/* the program's, bounded */
	char per[16], num[4][32], **ep;
	const char *e;

	if (to->prog == NULL || a->event == EV_NONE)
		return;
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
	(void)notify_env_add(&ne, "OVERLIMIT_CLIENT", id->norm, id->len);
	ADD("OVERLIMIT_KIND", id->kind == NAME_IP ? "ip" : "user");
	ADD("OVERLIMIT_RULE", a->rule[0] ? a->rule : "default");
	ADD("OVERLIMIT_LINE", num[0]);
	ADD("OVERLIMIT_COUNT", num[1]);
	ADD("OVERLIMIT_LIMIT", num[2]);
	ADD("OVERLIMIT_PERIOD", per[0] ? per : "reset");
	ADD("OVERLIMIT_BANNED", a->banned ? "1" : "0");
	ADD("OVERLIMIT_DRYRUN", a->dryrun ? "1" : "0");
	ADD("OVERLIMIT_TIME", num[3]);
	ADD("OVERLIMIT_IP", to->rip ? to->rip : "");
	/* the session's facts, read only when there is an event to tell */
	ADD("OVERLIMIT_SENDER", prog_env("SENDER", ""));
	ADD("OVERLIMIT_HELO", prog_env("HELO", ""));
	ADD("OVERLIMIT_RECIPIENT", prog_env("RECIPIENT", ""));
	if ((e = prog_env("OVERLIMIT_HOST", NULL)) != NULL)
		ADD("OVERLIMIT_HOST", e);
#undef ADD
	/* the admin's settings for the program (run file, tcprules) */
	for (ep = environ; *ep != NULL; ep++)
		if (strncmp(*ep, "NOTIFY_", 7) == 0 && strlen(*ep) < 4096)
			(void)notify_env_pass(&ne, *ep);
	log_add(lg, logkey, evname[a->event]);
	if (ne.dropped)
		log_fmt(lg, "notify_dropped", "%d", ne.dropped);
	if (notify_run(to->prog, "rcptcheck-overlimit:", to->timeout,
	    ne.var) < 0)
		log_add(lg, "notify_error", "fork");
}

/* An aggregate's event (its crossing, decided under its lock). */
static void
aggtell(struct logline *lg, const char *logkey, const struct aggregate *g,
    int why, const struct rule *r, const char *rule,
    const struct request *rq, const struct notifyto *to)
{
	struct about ab;

	if (!g->counted || g->v.event == EV_NONE)
		return;
	memset(&ab, 0, sizeof(ab));
	ab.event = g->v.event;
	ab.why = why;
	ab.count = g->v.ocount;
	ab.limit = g->v.olimit;
	ab.period = g->v.operiod;
	ab.rule = rule;
	ab.line = r->line;
	ab.dryrun = g->v.dryrun;
	tell(lg, logkey, &ab, rq, to);
}

void
report_notify(struct logline *lg, const struct request *rq,
    const struct outcome *out, const struct notifyto *to)
{
	const struct verdict *v = &out->v;
	const struct rule *r = rq->rule;
	struct about ab;

	if (out->result == OUT_MSG)
		return;
	/* the client's event, and each aggregate's: each is decided once,
	 * under its own counter's lock, so none may be dropped */
	memset(&ab, 0, sizeof(ab));
	ab.rule = rq->match->key;
	ab.line = r->line;
	ab.banned = v->banned;
	ab.dryrun = v->dryrun;
	if (v->event != EV_NONE && v->why != WHY_POOL &&
	    v->why != WHY_SERVER) {
		ab.event = v->event;
		ab.why = v->event == EV_WARN ? WHY_LIMIT : v->why;
		ab.count = v->ocount;
		ab.limit = v->olimit;
		ab.period = v->operiod;
		tell(lg, "notify", &ab, rq, to);
	}
	/* a wake that also crossed something: the wake is told too */
	if (v->woke && ab.event != EV_DORMANT) {
		ab.event = EV_DORMANT;
		ab.why = WHY_WARMUP;
		ab.count = 0;
		ab.limit = r->warmn;
		ab.period = r->warmper;
		tell(lg, "notify_wake", &ab, rq, to);
	}
	if (rq->pool != NULL)
		aggtell(lg, "notify_pool", &out->pool, WHY_POOL, rq->pool,
		    rq->poolkey, rq, to);
	if (rq->server != NULL)
		aggtell(lg, "notify_server", &out->server, WHY_SERVER,
		    rq->server, "*", rq, to);
}

const char *
report_verdict(const struct request *rq, const struct outcome *out)
{
	if (out->result == OUT_FREE)
		return rq->kind == RCPT_EXEMPT ? "exempt" : "local";
	return out->result == OUT_ACCEPT ? "accept" : "refuse";
}

int
report_exit(const struct outcome *out)
{
	return out->result == OUT_ACCEPT || out->result == OUT_FREE ?
	    EX_ACCEPT : EX_REFUSE;
}

size_t
report_reply(const struct request *rq, const struct outcome *out, char *buf)
{
	const struct verdict *v = &out->v;
	int n;

	if (out->result == OUT_MSG) {
		/* 452 keeps the session, refuses this recipient only
		 * (RFC 5321 4.5.3.1.10) */
		n = snprintf(buf, REPLY_MAX + 1, "452 4.5.3 too many "
		    "recipients for one message (at most %lu)",
		    (unsigned long)rq->rule->msgmax);
		return n < 0 ? 0 : (size_t)n;
	}
	if (out->result != OUT_REFUSE)
		return 0;
	if (v->why == WHY_POOL && !v->banned)
		return reply_format(rq->pool, v, rq->poolkey + 1, buf);
	if (v->why == WHY_SERVER && !v->banned)
		return reply_format(rq->server, v, "this server", buf);
	return reply_format(rq->rule, v, rq->id->key, buf);
}
