/* selfcheck.h: would the helper work? "overlimitctl check" runs it as the
 * user qmail-smtpd runs the helper as, after installing and after every
 * change: it does what the helper does (opens the CDB, opens and trusts
 * the counter directory, creates, locks, writes and removes a probe
 * counter, looks at every counter file as the helper would, reads the
 * notification program) and sees whether qmail-smtpd gives msg= and
 * mass= the SMTPRCPTCOUNT they need. Each finding is one line, "ok",
 * "warn" or "FAIL", a FAIL followed by its fix. */
#ifndef SELFCHECK_H
#define SELFCHECK_H

#include <sys/types.h>

#include <stdio.h>
#include <time.h>

struct selfcheck {
	const char	*dir;		/* OVERLIMIT_DIR */
	const char	*cdb;		/* OVERLIMIT_CDB */
	const char	*notify;	/* OVERLIMIT_NOTIFY, or NULL */
	const char	*smtpd;		/* the qmail-smtpd binary */
	const char	*user;		/* the user checked as, for the fixes */
	const char	*group;
	time_t		now;
	FILE		*out;
	unsigned	problems;	/* FAIL lines */
	unsigned	warnings;	/* warn lines */
};

/* Run every check as the current user; the number of problems (0: the
 * helper would work for this user with this environment). */
unsigned	selfcheck(struct selfcheck *sc);

/* One finding more (a program's own checks: the Redis store's):
 * "ok   WHAT", "warn WHAT", "FAIL WHAT" (counted), then for a FAIL its
 * fix. */
void	selfcheck_say(struct selfcheck *sc, const char *level,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	selfcheck_fix(struct selfcheck *sc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
