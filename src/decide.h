/* decide.h: the decision for one recipient, behind one call: a request in,
 * an outcome out (DESIGN.md "The decision"). This is the seam where a
 * store plugs in. The file store's decide() makes the whole decision --
 * msg=, the client's rule (every window, strict, ban, warm-up), mass=,
 * nets=, the domain pool and the server cap -- under its locks; another
 * store must make the same decision from the same request, in one round
 * trip, and fill the same outcome, which gives the same log line, the
 * same notifications and the same reply (report.h).
 * Return convention: 0 (out filled), or -1: the decision failed and
 * nothing was committed; out->fail says why, the failure policy applies. */
#ifndef DECIDE_H
#define DECIDE_H

#include <stdint.h>
#include <time.h>

#include "counter.h"
#include "ident.h"
#include "lookup.h"
#include "policy.h"
#include "rule.h"

enum rcptkind {
	RCPT_RELAYED,		/* counted against the client's limits */
	RCPT_LOCAL,		/* to our own domains: never counted */
	RCPT_EXEMPT		/* an exempt destination: never counted */
};

struct request {
	const struct ident	*id;	/* who; id->counter counts it */
	const struct rule	*rule;	/* its rule, the environment's
					 * defaults applied */
	const struct match	*match;	/* the line that matched it */
	/* the aggregates: windows and the reply of their own lines */
	const struct rule	*pool;	/* pool= of its @domain line, or NULL */
	const char		*poolkey; /* the pool's counter, "@domain" */
	const struct rule	*server; /* the * line, or NULL */
	int			havenet; /* nets=: the client's network */
	unsigned char		net[16]; /* IPv4 as ::ffff:a.b.c.0 */
	long			count;	/* SMTPRCPTCOUNT; -1 unknown */
	long			all;	/* SMTPRCPTCOUNTALL; -1 unknown */
	uint32_t		session; /* qmail-smtpd: the helper's parent */
	int			kind;	/* RCPT_* */
	int			strict;	/* an auxiliary file's error fails the
					 * decision (OVERLIMIT_ONERROR=defer)
					 * instead of leaving its check out */
	time_t			now;
	int			destdry; /* a destination rule's dry run
					 * denied it: for the log (report.c),
					 * no store reads it */
};

/* A domain pool or the server cap. */
struct aggregate {
	int		counted;	/* v says what it counted: this
					 * recipient, or its own refusal */
	struct verdict	v;
};

#define DECIDE_ERRMAX	4

enum {
	OUT_ACCEPT,		/* counted, let through (exit 112) */
	OUT_REFUSE,		/* refused (exit 113) */
	OUT_MSG,		/* msg=: too many recipients for one message
				 * (exit 113, 452, the session goes on) */
	OUT_FREE		/* local or exempt: passes, not counted */
};

struct outcome {
	int		result;		/* OUT_* */
	struct verdict	v;		/* the client's (not for OUT_MSG) */
	uint64_t	total;		/* its classic counter */
	uint32_t	warmcount;	/* accepted since it woke */
	uint32_t	nets;		/* networks seen (request's havenet) */
	int		msgdry;		/* msg= would refuse: a dry run */
	struct aggregate pool, server;
	/* an auxiliary file's error: that check left out, the decision
	 * stands; logged as key="text" */
	int		nerr;
	struct {
		const char	*key;	/* side_error, pool_error, server_error */
		char		text[300];
	}		err[DECIDE_ERRMAX];
	char		fail[300];	/* decide() returned -1: why */
};

/* The file store's decision (DESIGN.md "Counter store"). */
int	decide(struct store *st, const struct request *rq, struct outcome *out);

/* The file store's building blocks, for its tests and its aggregates:
 * count one recipient in the locked counter c under r at now, with what
 * the outside checks say (other, or NULL): the policy decides, the
 * counter records and commits, the retry time after strict's record;
 * would the locked counter c refuse one more (1: rf says why and when
 * it would pass; 0: no; nothing committed)? -1: c->err. */
int	decide_count(struct store *st, struct counter *c, const struct rule *r,
	    time_t now, const struct refusal *other, struct verdict *v);
int	decide_peek(struct counter *c, const struct rule *r, time_t now,
	    int why, struct refusal *rf);

/* msg=: does the request's message count refuse it (OUT_MSG), or would
 * it in a dry run (out->msgdry)? Every store decides it first, from the
 * request alone: 1 refused, 0 not. */
int	decide_msg(const struct request *rq, struct outcome *out);

#endif
