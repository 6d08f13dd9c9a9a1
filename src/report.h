/* report.h: what the helper says of an outcome (decide.h), whichever
 * store decided it: the log line, the notifications, the reply on fd 4,
 * the exit code. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

#include "decide.h"
#include "logline.h"

#define EX_ACCEPT	112	/* qmail-smtpd: go on */
#define EX_REFUSE	113	/* refused: the fd-4 text, or 421 */
#define EX_DEFER	111	/* 421 unable to verify recipient */
#define EX_DENY		100	/* this recipient refused for good (a
				 * destination rule): the fd-4 text, or 550;
				 * the session goes on */

/* The notification program, and the client IP as given (the session's
 * other facts are read from the environment when there is an event). */
struct notifyto {
	const char	*prog;		/* OVERLIMIT_NOTIFY, or NULL */
	unsigned	timeout;	/* seconds */
	const char	*rip;		/* the client IP as given */
};

/* The log line's part before the decision: the rule that matched, its
 * line, the counter when it is not the client's own. */
void	report_rule(struct logline *lg, const struct request *rq);
/* The decision: counts, over=, ban=, dryrun=, retry=, errors left out. */
void	report_log(struct logline *lg, const struct request *rq,
	    const struct outcome *out);
/* Run the notification program for every event of the outcome (the
 * client's, a wake, the pool's, the server's), each logged. */
void	report_notify(struct logline *lg, const struct request *rq,
	    const struct outcome *out, const struct notifyto *to);
/* "accept", "refuse", "local", "exempt". */
const char *report_verdict(const struct request *rq,
	    const struct outcome *out);
/* The exit code of qmail-smtpd's RCPTCHECK for the outcome. */
int	report_exit(const struct outcome *out);
/* A refusal's one-line reply for fd 4 into buf (REPLY_MAX + 1 bytes);
 * its length, 0 when there is none to write. */
size_t	report_reply(const struct request *rq, const struct outcome *out,
	    char *buf);

#endif
