/* decide.c: the file store's decision (see decide.h). Lock order, for
 * everyone: the client's counter (and under it its side file), the domain
 * pool's, the server's -- no deadlock. A recipient is never counted in an
 * aggregate that refused it, nor refused by one that counted it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "side.h"

/* An aggregate: its rule, its locked counter, what it would say. */
struct agg {
	const struct rule	*r;
	const char		*name;	/* its counter file */
	const char		*errkey;
	int			why;	/* WHY_POOL, WHY_SERVER */
	int			locked;
	struct counter		*c;	/* its own, static: touched only
					 * when there is such a limit */
	struct refusal		full;	/* it would refuse one more */
	struct aggregate	*out;
};

static int
failed(struct outcome *out, const char *why)
{
	strlcpy(out->fail, why, sizeof(out->fail));
	return -1;
}

/* An auxiliary file's error: logged, its check left out. */
static void
auxerr(struct outcome *out, const char *key, const char *text)
{
	if (out->nerr == DECIDE_ERRMAX)
		return;
	out->err[out->nerr].key = key;
	strlcpy(out->err[out->nerr].text, text, sizeof(out->err[0].text));
	out->nerr++;
}

int
decide_msg(const struct request *rq, struct outcome *out)
{
	const struct rule *r = rq->rule;

	if (rq->kind != RCPT_RELAYED || r->msgmax == 0 ||
	    rq->count < (long)r->msgmax)
		return 0;
	if (r->flags & RULE_DRYRUN) {
		out->msgdry = 1;		/* logged with the rest */
		return 0;
	}
	out->result = OUT_MSG;
	return 1;
}

int
decide_count(struct store *st, struct counter *c, const struct rule *r,
    time_t now, const struct refusal *other, struct verdict *v)
{
	uint64_t n[RULE_MAXWIN];

	int recorded;

	if (counter_counts(c, r, now, n) < 0)
		return -1;
	policy_settle(&c->s, r, now);
	if ((recorded = policy_decide(&c->s, r, now, n, other, v)) &&
	    counter_record(c, now) < 0)
		return -1;
	if (!v->accepted && !v->banned)
		v->retry = policy_retry(&c->s, r, now, v, other,
		    counter_winretry, c);
	if (counter_commit(c) < 0)
		return -1;
	if (recorded)
		(void)counter_compact(st, c);	/* a failure costs only space */
	return 0;
}

int
decide_peek(struct counter *c, const struct rule *r, time_t now, int why,
    struct refusal *rf)
{
	uint64_t n[RULE_MAXWIN];
	int w;

	memset(rf, 0, sizeof(*rf));
	if (counter_counts(c, r, now, n) < 0)
		return -1;
	for (w = 0; w < r->nwin; w++)
		if (n[w] >= policy_limit(&c->s, r, w, now))
			break;
	if (w == r->nwin)
		return 0;
	rf->why = why;
	rf->count = n[w];
	rf->limit = policy_limit(&c->s, r, w, now);
	rf->period = r->win[w].period;
	rf->retry = policy_retry(&c->s, r, now, NULL, NULL, counter_winretry,
	    c);
	return 1;
}

static void
agginit(struct agg *a, struct counter *c, const struct rule *r,
    const char *name, const char *errkey, int why, struct aggregate *out)
{
	a->c = c;
	a->r = r;
	a->name = name;
	a->errkey = errkey;
	a->why = why;
	a->locked = 0;
	memset(&a->full, 0, sizeof(a->full));
	a->out = out;
}

/* Lock an aggregate and see whether it is full. An error leaves it out
 * (logged), or fails the decision under rq->strict. */
static int
aggopen(struct store *st, struct agg *a, const struct request *rq,
    struct outcome *out)
{
	a->locked = 0;
	memset(&a->full, 0, sizeof(a->full));
	if (a->r == NULL || a->r->nwin == 0)
		return 0;
	if (counter_lock(st, a->name, 1, a->c) < 0)
		;
	else if (a->locked = 1, decide_peek(a->c, a->r, rq->now, a->why,
	    &a->full) >= 0)
		return 0;
	else
		counter_unlock(a->c);
	a->locked = 0;
	if (rq->strict)
		return failed(out, a->c->err);
	auxerr(out, a->errkey, a->c->err);
	return 0;
}

/* Count the client's recipient in an aggregate: when it was let through,
 * and the refusal the aggregate caused. A client's dry run over a full
 * aggregate is counted there quietly (its crossing stays for the real
 * one). */
static void
aggcount(struct store *st, struct agg *a, const struct verdict *v,
    time_t now, struct outcome *out)
{
	struct rule r;

	if (!a->locked || !(v->accepted || v->why == a->why))
		return;
	r = *a->r;
	if (v->accepted && a->full.why != WHY_NONE &&
	    !(r.flags & RULE_DRYRUN))
		r.flags |= RULE_DRYRUN | RULE_QUIET;
	a->out->counted = 1;
	if (decide_count(st, a->c, &r, now, NULL, &a->out->v) < 0) {
		auxerr(out, a->errkey, a->c->err);
		a->out->counted = 0;
	}
}

/* The side file's checks, under the client's lock: mass= (this recipient
 * makes its message a mass message; the message is noted at its start)
 * and nets= (the network seen now). What they refuse goes into rf.
 * Returns whether the recipient, if let through, counts a mass message;
 * -1 when the side file fails the decision (rq->strict). */
static int
sidechecks(struct store *st, const struct request *rq, struct side *sd,
    struct refusal *rf, int64_t *netretry, struct outcome *out)
{
	const struct rule *r = rq->rule;
	long msgn = rq->count;
	int havenet = rq->havenet && r->nets;
	int start = r->massn && msgn == 0;
	int mass = r->massn && msgn >= 0 && (uint32_t)msgn + 1 >= r->massr;
	uint32_t n;

	sd->fd = -1;
	if (!havenet && !mass && !start)
		return 0;
	if (side_open(st, rq->id->counter, 1, sd) < 0) {
		if (rq->strict)
			return failed(out, sd->err);
		auxerr(out, "side_error", sd->err);
		return 0;
	}
	if (sd->healed)
		auxerr(out, "side_error", sd->err);
	else
		side_settle(sd, rq->now);
	if (start)
		side_start(sd, rq->session, rq->all);
	/* the client asks again for a recipient of a message counted
	 * already (a later check of qmail-smtpd refused it): one message */
	if (mass && side_massdone(sd, rq->session, (uint32_t)msgn, rq->all))
		mass = 0;
	if (mass && (n = side_massn(sd, rq->now, r->massper) + 1) >=
	    r->massn) {
		rf->why = WHY_MASS;
		rf->ban = 1;
		rf->count = n;
		rf->limit = r->massn;
		rf->period = r->massper;
	}
	if (havenet) {
		out->nets = n = side_seen(sd, rq->net, rq->now, r->netsper,
		    r->nets, netretry);
		if (n > r->nets && rf->why == WHY_NONE) {
			rf->why = WHY_NETS;
			/* ban=K: banned past K x M networks (the side file
			 * tells apart at most SIDE_NETS) */
			rf->ban = r->ban && n > (r->ban * r->nets < SIDE_NETS ?
			    r->ban * r->nets : SIDE_NETS - 1);
			rf->count = n;
			rf->limit = r->nets;
			rf->period = r->netsper;
		}
	}
	return mass;
}

/* A recipient the client does not count (local, exempt): never refused,
 * but under mass= one of its message's recipients, and the one that makes
 * a mass message may ban the client. */
static int
freercpt(struct store *st, const struct request *rq, struct outcome *out)
{
	const struct rule *r = rq->rule;
	long msgn = rq->count;
	static struct counter c;	/* as decide's */
	struct refusal rf;
	struct side sd;
	uint32_t n;

	out->result = OUT_FREE;
	out->v.accepted = 1;
	out->v.over = -1;
	if (r->massn == 0 || msgn < 0 ||
	    (msgn != 0 && (uint32_t)msgn + 1 < r->massr))
		return 0;		/* neither a message's start nor R-th */
	if (counter_lock(st, rq->id->counter, 1, &c) < 0)
		return failed(out, c.err);
	if (side_open(st, rq->id->counter, 1, &sd) < 0) {
		counter_unlock(&c);
		return failed(out, sd.err);
	}
	side_settle(&sd, rq->now);
	memset(&rf, 0, sizeof(rf));
	if (msgn == 0)
		side_start(&sd, rq->session, rq->all);
	if ((uint32_t)msgn + 1 >= r->massr &&
	    !side_massdone(&sd, rq->session, (uint32_t)msgn, rq->all)) {
		side_mass(&sd, rq->now, rq->session, (uint32_t)msgn, rq->all);
		if ((n = side_massn(&sd, rq->now, r->massper)) >= r->massn) {
			rf.why = WHY_MASS;
			rf.ban = 1;
			rf.count = n;
			rf.limit = r->massn;
			rf.period = r->massper;
		}
	}
	if (side_close(&sd) < 0)
		auxerr(out, "side_error", sd.err);
	if (rf.ban) {
		policy_ban(&c.s, rq->now, &rf, &out->v);
		if (counter_commit(&c) < 0) {
			counter_unlock(&c);
			return failed(out, c.err);
		}
	}
	counter_unlock(&c);
	return 0;
}

static void
aggdone(struct agg *a)
{
	if (a->locked)
		counter_unlock(a->c);
	a->locked = 0;
}

/* The first moment every outside check lets the client through. */
static int64_t
outside(const struct request *rq, const struct outcome *out,
    const struct agg *pool, const struct agg *srv, int64_t netretry)
{
	int64_t t = 0;

	if (rq->havenet && rq->rule->nets && out->nets > rq->rule->nets)
		t = netretry;
	if (pool->full.why && !(pool->r->flags & RULE_DRYRUN) &&
	    pool->full.retry > t)
		t = pool->full.retry;
	if (srv->full.why && !(srv->r->flags & RULE_DRYRUN) &&
	    srv->full.retry > t)
		t = srv->full.retry;
	return t;
}

int
decide(struct store *st, const struct request *rq, struct outcome *out)
{
	/* the counters static (one decision per process): a small stack
	 * frame, and memory touched only as far as it is used; not zeroed,
	 * their record caches are large */
	static struct counter c, poolc, srvc;
	struct agg pool, srv;
	struct refusal rf;
	struct side sd;
	int64_t netretry = 0;
	int mass;

	memset(out, 0, sizeof(*out));
	agginit(&pool, &poolc, rq->pool, rq->poolkey, "pool_error", WHY_POOL,
	    &out->pool);
	agginit(&srv, &srvc, rq->server, "*", "server_error", WHY_SERVER,
	    &out->server);
	if (decide_msg(rq, out))
		return 0;
	if (rq->kind != RCPT_RELAYED)
		return freercpt(st, rq, out);
	if (counter_lock(st, rq->id->counter, 1, &c) < 0)
		return failed(out, c.err);
	memset(&rf, 0, sizeof(rf));
	if ((mass = sidechecks(st, rq, &sd, &rf, &netretry, out)) < 0 ||
	    aggopen(st, &pool, rq, out) < 0 || aggopen(st, &srv, rq, out) < 0)
		goto fail;
	if (rf.why == WHY_NONE && pool.full.why &&
	    !(pool.r->flags & RULE_DRYRUN))
		rf = pool.full;
	if (rf.why == WHY_NONE && srv.full.why && !(srv.r->flags & RULE_DRYRUN))
		rf = srv.full;
	rf.retry = outside(rq, out, &pool, &srv, netretry);
	if (decide_count(st, &c, rq->rule, rq->now, &rf, &out->v) < 0) {
		(void)failed(out, c.err);
		goto fail;
	}
	/* the client's decision is committed: from here on an error is
	 * logged and the decision stands */
	if (out->v.accepted && mass)
		side_mass(&sd, rq->now, rq->session, (uint32_t)rq->count,
		    rq->all);
	if (side_close(&sd) < 0)
		auxerr(out, "side_error", sd.err);
	aggcount(st, &pool, &out->v, rq->now, out);
	aggcount(st, &srv, &out->v, rq->now, out);
	aggdone(&srv);
	aggdone(&pool);
	out->total = c.s.total;
	out->warmcount = c.s.warm_count;
	counter_unlock(&c);
	out->result = out->v.accepted ? OUT_ACCEPT : OUT_REFUSE;
	return 0;
fail:
	sd.dirty = 0;
	(void)side_close(&sd);
	aggdone(&srv);
	aggdone(&pool);
	counter_unlock(&c);
	return -1;
}
