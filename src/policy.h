/* policy.h: the counting policy of one counter (DESIGN.md "Responses"):
 * given what a counter holds, whether one more recipient passes, what
 * changes, which event to notify, and when a refused client may retry.
 * No file, no clock of its own: a store keeps the state its own way, reads
 * the window counts, and calls these.
 * Return convention: functions that can fail return 0 or -1; the others
 * return what they compute. */
#ifndef POLICY_H
#define POLICY_H

#include <stdint.h>
#include <time.h>

#include "rule.h"

/* The state of one counter: what it keeps besides its records. */
struct cstate {
	uint32_t	flags;		/* POL_* below */
	uint64_t	total;		/* accepted since the last reset */
	uint64_t	refused;	/* refused since the last reset */
	uint64_t	limref;		/* refused by its own limits (ban=) */
	int64_t		last_accept;
	int64_t		reset;		/* last reset, or creation */
	int64_t		last_refuse;
	int64_t		raise_until;	/* limits x raise_factor until then */
	uint32_t	raise_factor;
	int64_t		ban_since;	/* when POL_BANNED was set */
	uint32_t	notified;	/* events notified since the last reset */
	int64_t		warm_until;	/* dormant=: warm-up limit until then */
	uint32_t	warm_count;	/* accepted since it woke */
	/* what it was last counted with, for a cleanup that may not see
	 * the same rule (a hashed name, an edited CDB) */
	uint32_t	keep;		/* longest window, seconds */
	uint32_t	sidekeep;	/* longest nets=/mass= period */
	uint32_t	hflags;		/* POL_HDORMANT */
};

#define POL_HDORMANT	0x1u		/* its rule had dormant= */

/* flags */
#define POL_BANNED	0x1u		/* refused until an admin resets it */
#define POL_OVER(w)	(0x100u << (w))	/* crossing of window w notified */
#define POL_WARN(w)	(0x10000u << (w)) /* warning of window w notified */
#define POL_SIG(why)	(0x2u << (why))	/* crossing of another check notified */
#define POL_SIGS	0xfcu

/* A stamp further ahead of the clock than this is the clock's mistake
 * (stepped forward, then back): it counts as now. */
#define POL_FUTURE	300

/* events to notify, decided once per crossing */
enum { EV_NONE, EV_WARN, EV_OVER, EV_BAN, EV_DORMANT };

/* why a recipient is refused (or would be) */
enum { WHY_NONE, WHY_LIMIT, WHY_WARMUP, WHY_NETS, WHY_MASS, WHY_POOL,
	WHY_SERVER };

/* A refusal by a check outside this counter (nets=, mass=, a pool, the
 * server cap), and what every such check waits for. */
struct refusal {
	int		why;		/* WHY_*; WHY_NONE: none */
	int		ban;		/* and it bans */
	uint64_t	count;
	uint32_t	limit, period;
	int64_t		retry;		/* the first moment all the outside
					 * checks let it through; 0: none */
};

struct verdict {
	int		accepted;
	int		over;		/* first window that refused, or -1 */
	int		banned;		/* refused: banned (now or before) */
	int		newban;		/* this attempt set the ban */
	int		dryrun;		/* over, but let through (dry run) */
	int		event;		/* EV_* to notify */
	int64_t		retry;		/* a retry passes from then on;
					 * 0: not before the next reset */
	uint32_t	raised;		/* factor of a raise in force, else 0 */
	int		why;		/* WHY_* of the refusal (or dry run) */
	uint64_t	ocount;		/* what refused, or the event's */
	uint32_t	olimit, operiod; /* window: its count, limit, period */
	int		warm;		/* in a dormant client's warm-up */
	int		woke;		/* this recipient woke it */
	uint64_t	count[RULE_MAXWIN]; /* per window, after this recipient */
	uint32_t	limit[RULE_MAXWIN]; /* in force (a raise applied) */
};

/* The limit of window w of r at now: a raise in force multiplies it
 * (capped at RULE_MAXLIMIT). */
uint32_t policy_limit(const struct cstate *s, const struct rule *r, int w,
	    time_t now);
/* The factor of a raise in force at now, else 0. */
uint32_t policy_raised(const struct cstate *s, time_t now);
/* Would one more recipient be refused by r at now, given the window
 * counts (period 0: the total)? A window, or its warm-up. */
int	policy_over(const struct cstate *s, const struct rule *r,
	    const uint64_t *count, time_t now);

/* A stamp more than POL_FUTURE ahead of now in the state counts as now. */
void	policy_settle(struct cstate *s, const struct rule *r, time_t now);

/* Decide one recipient under r at now, given the window counts before it
 * (period 0: the total) and what the outside checks say (other, or
 * NULL): a banned client is refused; over a limit refused (strict: the
 * attempt is recorded; ban= may ban), or let through under dryrun; in a
 * dormant client's warm-up over its warm-up limit, or when other says
 * so, refused alike; else accepted. The state and v are filled; the
 * events are decided here, once per crossing (a bit that was not set).
 * Returns 1 when the store must record a recipient stamped now (an
 * accepted one, or a strict refusal), else 0. */
int	policy_decide(struct cstate *s, const struct rule *r, time_t now,
	    const uint64_t *count, const struct refusal *other,
	    struct verdict *v);

/* When a refused recipient may retry (v: its verdict): the first moment,
 * not before other->retry (what the outside checks wait for), at which
 * the counter lets one more through, nothing else happening: every window
 * (winretry answers for one: the first moment it holds fewer than limit
 * records), the plain limit, the warm-up, the end of a raise. 0: not
 * before the next reset, or an outside check that names no time (mass=).
 * v NULL: the counter's own limits alone (an aggregate's). */
typedef int (*policy_winretry)(void *arg, uint32_t period, uint32_t limit,
	    time_t now, int64_t *at);
int64_t	policy_retry(const struct cstate *s, const struct rule *r, time_t now,
	    const struct verdict *v, const struct refusal *other,
	    policy_winretry winretry, void *arg);

/* Ban for other (a mass message on a recipient the counter does not
 * count: local or exempt), unless banned already; the recipient passes.
 * v as by policy_decide. */
void	policy_ban(struct cstate *s, time_t now, const struct refusal *other,
	    struct verdict *v);

/* Set a temporary raise: limits x factor until the time until. */
void	policy_raise(struct cstate *s, uint32_t factor, time_t until,
	    time_t now);

/* The cleanup of a counter under r at now: the classic reset when reset
 * is set (a ban outlives it), an expired raise dropped. Returns 1 when the
 * state still holds something (then the counter must be kept), 0 when,
 * without records, it can go. */
int	policy_tidy(struct cstate *s, const struct rule *r, time_t now,
	    int reset);

#endif
