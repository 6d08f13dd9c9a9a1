/* policy.c: see policy.h and DESIGN.md "Responses". */
#include <stdint.h>
#include <string.h>

#include "policy.h"

uint32_t
policy_raised(const struct cstate *s, time_t now)
{
	return s->raise_factor > 1 && s->raise_until > (int64_t)now ?
	    s->raise_factor : 0;
}

uint32_t
policy_limit(const struct cstate *s, const struct rule *r, int w, time_t now)
{
	uint64_t n = r->win[w].limit;
	uint32_t f = policy_raised(s, now);

	if (f)
		n *= f;
	return n > RULE_MAXLIMIT ? RULE_MAXLIMIT : (uint32_t)n;
}

/* In a dormant client's warm-up, at its warm-up limit? */
static int
warmfull(const struct cstate *s, const struct rule *r, time_t now)
{
	return r->dormant && s->warm_until > (int64_t)now &&
	    s->warm_count >= r->warmn;
}

int
policy_over(const struct cstate *s, const struct rule *r,
    const uint64_t *count, time_t now)
{
	int i;

	for (i = 0; i < r->nwin; i++)
		if (count[i] >= policy_limit(s, r, i, now))
			return 1;
	return warmfull(s, r, now);
}

void
policy_settle(struct cstate *s, const struct rule *r, time_t now)
{
	int64_t ahead = (int64_t)now + POL_FUTURE;

	if (s->last_accept > ahead)
		s->last_accept = now;
	if (s->last_refuse > ahead)
		s->last_refuse = now;
	if (s->reset > ahead)
		s->reset = now;
	if (s->ban_since > ahead)
		s->ban_since = now;
	if (r->dormant && s->warm_until > ahead + (int64_t)r->warmper)
		s->warm_until = (int64_t)now + r->warmper;
}

/* What the cleanup must keep for this counter whatever rule it finds. */
static void
remember(struct cstate *s, const struct rule *r)
{
	uint32_t keep = 0;
	int i;

	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period > keep)
			keep = r->win[i].period;
	s->keep = keep;
	s->sidekeep = r->netsper > r->massper ? r->netsper : r->massper;
	s->hflags = r->dormant ? POL_HDORMANT : 0;
}

/* The flag that remembers this crossing was notified. */
static uint32_t
crossbit(const struct verdict *v)
{
	if (v->why == WHY_LIMIT && v->over >= 0 && v->over < RULE_MAXWIN)
		return POL_OVER(v->over);
	return POL_SIG(v->why);
}

/* Why one more would be refused: a window, the warm-up, an outside check
 * (the first that refuses decides); v->o* describe it. A wake with
 * nothing over describes the warm-up. */
static void
why(const struct cstate *s, const struct rule *r, const struct refusal *other,
    struct verdict *v)
{
	if (v->over >= 0) {
		v->why = WHY_LIMIT;
		v->ocount = v->count[v->over];
		v->olimit = v->limit[v->over];
		v->operiod = r->win[v->over].period;
	} else if (v->warm && s->warm_count >= r->warmn) {
		v->why = WHY_WARMUP;
		v->ocount = s->warm_count;
		v->olimit = r->warmn;
		v->operiod = r->warmper;
	} else if (other != NULL && other->why != WHY_NONE) {
		v->why = other->why;
		v->ocount = other->count;
		v->olimit = other->limit;
		v->operiod = other->period;
	} else if (v->event == EV_DORMANT) {
		v->ocount = 0;
		v->olimit = r->warmn;
		v->operiod = r->warmper;
	}
}

/* The client's attempts in window i, this one included, for ban=: what
 * the window counts and the refusals by its own limits since the last
 * reset; under strict a window's count holds its refused attempts already,
 * so each is counted once. */
static uint64_t
attempts(const struct cstate *s, const struct rule *r, int i,
    const struct verdict *v)
{
	if ((r->flags & RULE_STRICT) && r->win[i].period != 0)
		return v->count[i] + 1;
	return v->count[i] + s->limref;
}

/* A refusal: counted, maybe a ban, the crossing's event. Returns 1 when
 * the attempt is recorded (strict). */
static int
refuse(struct cstate *s, const struct rule *r, time_t now,
    const struct refusal *other, struct verdict *v, int windows)
{
	int i;

	s->refused++;
	s->last_refuse = now;
	v->banned = (s->flags & POL_BANNED) != 0;
	if (v->banned) {		/* nothing else: no pool counts it */
		v->event = EV_NONE;
		v->why = WHY_NONE;
		return 0;
	}
	if (v->why == WHY_LIMIT) {
		/* only its own limits' refusals count here: a pool, the
		 * server, nets= never push to it */
		s->limref++;
		for (i = 0; i < r->nwin; i++)
			if (r->ban && v->count[i] >= v->limit[i] &&
			    attempts(s, r, i, v) > (uint64_t)r->ban * v->limit[i])
				v->newban = 1;
	} else if (v->why != WHY_WARMUP && other != NULL)
		v->newban = other->ban;
	if (v->newban) {
		s->flags |= POL_BANNED;
		s->ban_since = now;
		v->banned = 1;
		v->event = EV_BAN;
	} else if (!(s->flags & crossbit(v))) {
		s->flags |= crossbit(v);
		v->event = EV_OVER;
	}
	if (v->event != EV_NONE)
		s->notified++;
	/* strict: this attempt is counted (then the retry time is the first
	 * moment it would pass) */
	return (r->flags & RULE_STRICT) && windows && v->why == WHY_LIMIT;
}

/* An accepted recipient: counted; the crossings it ends, the warning it
 * reaches. */
static void
accept(struct cstate *s, const struct rule *r, time_t now, struct verdict *v)
{
	uint32_t th;
	int i;

	s->total++;
	s->last_accept = now;
	if (v->warm)
		s->warm_count++;
	if (!v->dryrun)
		s->flags &= ~POL_SIGS;		/* every crossing is over */
	for (i = 0; i < r->nwin; i++) {
		v->count[i]++;
		if (v->count[i] <= v->limit[i] && !v->dryrun)
			s->flags &= ~POL_OVER(i);
		if (r->warn == 0)
			continue;
		th = (uint32_t)(((uint64_t)v->limit[i] * r->warn + 99) / 100);
		if (v->count[i] < th)
			s->flags &= ~POL_WARN(i);
		else if (!(s->flags & POL_WARN(i))) {
			s->flags |= POL_WARN(i);
			if (v->event == EV_NONE) {
				v->event = EV_WARN;
				v->ocount = v->count[i];
				v->olimit = v->limit[i];
				v->operiod = r->win[i].period;
			}
		}
	}
	if (v->event != EV_NONE)
		s->notified++;
	v->accepted = 1;
}

int
policy_decide(struct cstate *s, const struct rule *r, time_t now,
    const uint64_t *count, const struct refusal *other, struct verdict *v)
{
	int i, windows = 0;

	memset(v, 0, sizeof(*v));
	v->over = -1;
	for (i = 0; i < r->nwin; i++) {
		windows += r->win[i].period != 0;
		v->count[i] = count[i];
		v->limit[i] = policy_limit(s, r, i, now);
		if (count[i] >= v->limit[i] && v->over < 0)
			v->over = i;
	}
	v->raised = policy_raised(s, now);
	if (s->reset == 0)
		s->reset = now;
	remember(s, r);
	/* dormant: a client silent for r->dormant wakes into a warm-up */
	if (r->dormant && s->last_accept > 0 && s->warm_until <= now &&
	    (int64_t)now - s->last_accept >= (int64_t)r->dormant) {
		s->warm_until = (int64_t)now + r->warmper;
		s->warm_count = 0;
		v->event = EV_DORMANT;
		v->woke = 1;
	}
	v->warm = r->dormant && s->warm_until > (int64_t)now;
	why(s, r, other, v);
	if ((s->flags & POL_BANNED) ||
	    (v->why != WHY_NONE && !(r->flags & RULE_DRYRUN)))
		return refuse(s, r, now, other, v, windows);
	if (v->why != WHY_NONE) {		/* dry run: would refuse */
		v->dryrun = 1;
		if (!(r->flags & RULE_QUIET) && !(s->flags & crossbit(v))) {
			s->flags |= crossbit(v);
			v->event = EV_OVER;
		}
	}
	accept(s, r, now, v);
	return windows > 0;
}

int64_t
policy_retry(const struct cstate *s, const struct rule *r, time_t now,
    const struct verdict *v, const struct refusal *other,
    policy_winretry winretry, void *arg)
{
	int64_t after = other != NULL ? other->retry : 0, at, base, t;
	int64_t until = policy_raised(s, now) ? s->raise_until : 0;
	uint32_t lim;
	int pass, i;

	if (v != NULL && v->why != WHY_LIMIT && v->why != WHY_WARMUP &&
	    after == 0)
		return 0;			/* an outside check: no time */
	at = after > (int64_t)now ? after : (int64_t)now;
	if (warmfull(s, r, now) && s->warm_until > at)
		at = s->warm_until;
	/* pass 0: the limits in force now (raised); pass 1, when that
	 * moment is past the raise's end: the rule's own, from then on */
	for (pass = 0, base = at; pass < 2; pass++) {
		if (pass == 1)
			at = base > until ? base : until;
		for (i = 0; i < r->nwin; i++) {
			lim = pass == 0 ? policy_limit(s, r, i, now) :
			    r->win[i].limit;
			if (r->win[i].period == 0) {
				if (s->total >= lim)
					return 0;
			} else if (winretry(arg, r->win[i].period, lim, now,
			    &t) < 0)
				return 0;
			else if (t > at)
				at = t;
		}
		if (until == 0 || at < until)
			return at;
	}
	return at;
}

void
policy_ban(struct cstate *s, time_t now, const struct refusal *other,
    struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->over = -1;
	v->accepted = 1;
	v->why = other->why;
	v->ocount = other->count;
	v->olimit = other->limit;
	v->operiod = other->period;
	v->banned = 1;
	if (s->flags & POL_BANNED)
		return;
	if (s->reset == 0)
		s->reset = now;
	s->flags |= POL_BANNED;
	s->ban_since = now;
	s->notified++;
	v->newban = 1;
	v->event = EV_BAN;
}

void
policy_raise(struct cstate *s, uint32_t factor, time_t until, time_t now)
{
	s->raise_factor = factor;
	s->raise_until = until;
	if (s->reset == 0)
		s->reset = now;
}

int
policy_tidy(struct cstate *s, const struct rule *r, time_t now, int reset)
{
	/* a dormant= client keeps its state: its silence is measured (a
	 * rule no longer seen: for at most the longest dormant=) */
	int dormant = s->last_accept > 0 && (r->dormant ||
	    ((s->hflags & POL_HDORMANT) &&
	    (int64_t)now - s->last_accept <= (int64_t)RULE_MAXPERIOD));

	if (reset) {
		s->total = 0;
		s->refused = 0;
		s->limref = 0;
		s->reset = now;
		s->flags &= POL_BANNED;		/* a ban outlives every reset */
		s->notified = 0;
	}
	if (s->raise_until <= (int64_t)now) {
		s->raise_until = 0;		/* an expired raise */
		s->raise_factor = 0;
	}
	return s->total != 0 || s->refused != 0 || s->flags != 0 ||
	    s->raise_factor != 0 || dormant;
}
