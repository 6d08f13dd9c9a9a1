/* counter.h: the file store's mechanism (DESIGN.md "Counter store"): the
 * counter directory, and in it one locked file per counter (a client, an
 * IPv6 network, a domain pool "@domain", the server cap "*") holding the
 * counter's state (the policy's struct cstate) and its records, one per
 * counted recipient. What the state means is policy.h's business.
 * Return convention: store_* return 0 or -1 with the reason in s->err or
 * why; counter_* return 0 (counter_lock: 1 when absent) or -1 with the
 * reason in c->err. */
#ifndef COUNTER_H
#define COUNTER_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>
#include <time.h>

#include "name.h"
#include "policy.h"
#include "rule.h"

#define COUNTER_HDRSIZE	256
#define COUNTER_RECSIZE	16
#define COUNTER_MAXREC	(1u << 25)	/* more records: corrupt (one a
					 * second: 366 days fit) */
#define COUNTER_CACHEREC 256		/* records read per pread */

/* The counter directory. */
struct store {
	int	dirfd;
	uid_t	uid;		/* the directory's owner */
	gid_t	gid;
	int	chown;		/* we are root, it is not: files we create or
				 * lock are given to its owner */
	char	err[300];	/* store_open: what is wrong */
};

/* Open the counter directory, and trust it only when no other user can
 * plant a file in it: it belongs to this user (or we are root), and its
 * group and others cannot write it. Run as root in a directory that
 * another user owns (the admin tools), every counter and side file it
 * creates or locks becomes that user's, so that the helper can open it.
 * Returns 0, or -1 with s->err (and errno). */
int	store_open(struct store *s, const char *dir);
void	store_close(struct store *s);
/* May the file fd (stat st) be used as a counter or side file: a regular
 * file with one link (no hard link to a file elsewhere), the directory
 * owner's (given to it when s->chown), mode 0600 (a classic 0644 file
 * taken over is made so)? Returns 0, or -1 with the reason in why. */
int	store_trust(const struct store *s, int fd, const struct stat *st,
	    char *why, size_t whysz);
/* One locked counter file. */
struct counter {
	int		fd;
	struct store	*st;		/* its directory */
	char		name[NAME_ENCMAX + 1];
	struct cstate	s;		/* the state (policy.h) */
	uint32_t	nrec;		/* committed records */
	uint64_t	base;		/* cumulative count before record 0 */
	struct {
		uint32_t	period;
		uint32_t	first;	/* a cache: the window's first record */
	}		hint[RULE_MAXWIN];
	int		migrated;	/* read from a classic 'X' file */
	int64_t		clamp;		/* records count as stamped at most
					 * this (INT64_MAX: as stamped) */
	char		err[400];	/* what failed, for the log */
	/* two blocks of records: a window's first and the last record (last:
	 * the fields above share the first page, the blocks are touched only
	 * as far as records are read) */
	uint32_t	cstart[2], cn[2];
	int		cnext;
	unsigned char	cbuf[2][COUNTER_CACHEREC * COUNTER_RECSIZE];
};

/* Open (creating it if create), lock and read the counter file name.
 * Returns 0 when locked, 1 when it does not exist (create == 0). */
int	counter_lock(struct store *s, const char *name, int create,
	    struct counter *c);
/* Drop the lock and close. */
void	counter_unlock(struct counter *c);

/* The count of every window of r at now (period 0: the total), the
 * window hints kept for the commit. When the last record is stamped more
 * than POL_FUTURE ahead of now (the clock was stepped forward, then back),
 * every record counts as stamped at most now, and the first write to the
 * file (counter_record, counter_tidy) restamps them so. */
int	counter_counts(struct counter *c, const struct rule *r, time_t now,
	    uint64_t *count);
/* Recipients inside the window of period seconds ending at now
 * (period 0: the total), as counter_counts counts. */
int	counter_window(struct counter *c, uint32_t period, time_t now,
	    uint64_t *count);
/* Record one recipient stamped now (or the last stamp, if later): in the
 * last record when it has that second (one record a second: the file
 * grows with the seconds its windows hold, never with the traffic), else
 * in a new one (the records every window is done with compacted away
 * first when the file is full). */
int	counter_record(struct counter *c, time_t now);
/* policy_winretry for counter c: the first moment from now at which the
 * window of period holds fewer than limit records. */
int	counter_winretry(void *c, uint32_t period, uint32_t limit, time_t now,
	    int64_t *at);
/* Write the header: the commit (records past it are ignored). */
int	counter_commit(struct counter *c);
/* Compact when the records every window is done with are many and the
 * larger half (after counter_counts and a commit). A failure costs only
 * space: c->err says what, the counter stays locked and whole. */
int	counter_compact(struct store *s, struct counter *c);

/* Call fn(arg, t, n) for every second t after since that holds records,
 * in order, n the recipients recorded at t (overlimitctl migrate). 0, or
 * -1 (c->err, or fn's -1). */
int	counter_each(struct counter *c, int64_t since,
	    int (*fn)(void *, int64_t, uint64_t), void *arg);

/* Reset a locked counter: every count and record is gone; a raise in
 * force stays (the file is removed when there is none). */
int	counter_reset(struct store *s, struct counter *c, time_t now);
/* The cleanup of a locked counter under r: the policy's tidy (the
 * classic reset when reset is set), records outside every window dropped,
 * the file removed when it holds nothing (*removed = 1). */
int	counter_tidy(struct store *s, struct counter *c, const struct rule *r,
	    time_t now, int reset, int *removed);

#endif
