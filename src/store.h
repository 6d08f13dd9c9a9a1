/* store.h: the counter store -- one locked file per client (DESIGN.md "Counter store"). */
#ifndef STORE_H
#define STORE_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stdint.h>
#include <time.h>

#include "name.h"
#include "rule.h"

#define STORE_HDRSIZE	256
#define STORE_RECSIZE	16
#define STORE_MAXREC	(1u << 24)	/* more records: corrupt */
#define STORE_CACHEREC	256		/* records read per pread */
#define STORE_FUTURE	300		/* seconds: a stamp further ahead of
					 * the clock is the clock's mistake */

struct store_hdr {
	uint32_t	nrec;
	uint32_t	flags;
	uint64_t	total;		/* accepted since the last reset */
	uint64_t	refused;	/* refused since the last reset */
	int64_t		last_accept;
	int64_t		reset;
	int64_t		last_refuse;
	uint64_t	base;		/* cumulative count before record 0 */
	struct {
		uint32_t	period;
		uint32_t	first;
	}		hint[RULE_MAXWIN];
	int64_t		raise_until;	/* limits x raise_factor until then */
	uint32_t	raise_factor;
	int64_t		ban_since;	/* when STORE_BANNED was set */
	uint32_t	notified;	/* events notified since the last reset */
	int64_t		warm_until;	/* dormant=: warm-up limit until then */
	uint32_t	warm_count;	/* accepted since it woke */
	/* what the helper last counted with, for the cleanup (which may
	 * not see the same rule: a hashed name, an edited CDB) */
	uint32_t	keep;		/* longest window, seconds */
	uint32_t	sidekeep;	/* longest nets=/mass= period */
	uint32_t	hflags;		/* STORE_H* */
	uint64_t	limref;		/* refused by its own limits (ban=) */
};

#define STORE_HDORMANT	0x1u		/* its rule has dormant= */

/* header flags */
#define STORE_BANNED	0x1u		/* refused until an admin resets it */
#define STORE_OVER(w)	(0x100u << (w))	/* crossing of window w notified */
#define STORE_WARN(w)	(0x10000u << (w)) /* warning of window w notified */
#define STORE_SIG(why)	(0x2u << (why))	/* crossing of a signal notified */
#define STORE_SIGS	0xfcu

/* events to notify, decided under the lock: once per crossing */
enum { EV_NONE, EV_WARN, EV_OVER, EV_BAN, EV_DORMANT };

/* why a recipient is refused (or would be) */
enum { WHY_NONE, WHY_LIMIT, WHY_WARMUP, WHY_NETS, WHY_MASS, WHY_POOL,
	WHY_SERVER };

/* a refusal decided outside the counter file (nets=, mass=, pool, server) */
struct signal {
	int		why;		/* WHY_*; WHY_NONE: none */
	int		ban;		/* and it bans */
	int64_t		retry;		/* 0: not before the next reset */
	uint64_t	count;
	uint32_t	limit, period;
};

struct store {
	int	dirfd;
	uid_t	uid;		/* the directory's owner */
	gid_t	gid;
	int	chown;		/* we are root, it is not: files we create or
				 * find are given to its owner */
};

struct client {
	int		fd;
	char		name[NAME_ENCMAX + 1];
	struct store_hdr h;
	int		migrated;	/* read from a classic 'X' file */
	/* two blocks of records: a window's first and the last record */
	uint32_t	cstart[2], cn[2];
	int		cnext;
	unsigned char	cbuf[2][STORE_CACHEREC * STORE_RECSIZE];
	char		err[300];	/* what failed, for the log */
};

struct verdict {
	int		accepted;
	int		over;		/* first window that refused, or -1 */
	int		banned;		/* refused: banned (now or before) */
	int		newban;		/* this attempt set the ban */
	int		dryrun;		/* over, but let through (dry run) */
	int		event;		/* EV_* to notify */
	int64_t		retry;		/* a retry may succeed from then on;
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

/* Open the overlimit directory. Run as root in a directory that another
 * user owns (the admin tools), every counter and side file it creates or
 * locks becomes that user's, so that the helper can open it.
 * Returns 0, or -1 with errno. */
int	store_open(struct store *s, const char *dir);
void	store_close(struct store *s);
/* Give the file fd (stat st) to the directory's owner when s->chown.
 * Returns 0, or -1 with errno. */
int	store_own(const struct store *s, int fd, const struct stat *st);

/* Open (creating it if create), lock and read a client's file.
 * Returns 0 when locked, 1 when it does not exist (create == 0),
 * -1 on error (c->err says what). */
int	store_lock(struct store *s, const char *name, int create,
	    struct client *c);
/* Drop the lock and close. */
void	store_unlock(struct client *c);

/* Decide and commit one recipient under rule r at time now: a banned
 * client is refused; over a limit: refused (counted only with
 * RULE_STRICT; banned when r->ban says so), or let through with
 * RULE_DRYRUN; else, in a dormant client's warm-up (r->dormant) over its
 * warm-up limit, or when sig says so, refused alike; else accepted. Notification events are decided here, under
 * the lock, once per crossing.
 * Returns 0 (v filled), or -1 on error (nothing committed; c->err). */
int	store_count(struct store *s, struct client *c, const struct rule *r,
	    time_t now, const struct signal *sig, struct verdict *v);

/* Ban the locked client at now for sig (a mass message reached on a
 * recipient it does not count: local or exempt), unless it is banned
 * already; the recipient itself passes. v is filled as by store_count
 * (accepted, newban, event EV_BAN once). Returns 0, or -1 (c->err). */
int	store_ban(struct client *c, time_t now, const struct signal *sig,
	    struct verdict *v);

/* Would the client be over a window of r at now? Nothing is written.
 * Returns 1 (sig filled: why, count, limit, period, retry), 0 no, -1 on
 * a corrupt file (c->err). */
int	store_peek(struct client *c, const struct rule *r, time_t now,
	    int why, struct signal *sig);

/* Recipients inside the window of period seconds ending at now
 * (period 0: the classic total). Returns 0, or -1 on a corrupt file. */
int	store_window(struct client *c, uint32_t period, time_t now,
	    uint64_t *count);

/* The limit of window w of r for this client at now: a raise in force
 * multiplies it (capped at RULE_MAXLIMIT). */
uint32_t store_limit(const struct client *c, const struct rule *r, int w,
	    time_t now);

/* Set a temporary raise (factor > 1 until the time until) and commit.
 * Returns 0, or -1 on error (c->err). */
int	store_setraise(struct client *c, uint32_t factor, time_t until,
	    time_t now);

/* Reset a locked client: every counter and record is gone; a raise in
 * force stays (the file is removed when there is none).
 * Returns 0, or -1 on error (c->err). */
int	store_reset(struct store *s, struct client *c, time_t now);

/* Cleanup of one locked client under rule r: reset the classic counter
 * when reset is set, drop records outside every window, remove the file
 * when it holds nothing. *removed is set to 1 when it was removed.
 * Returns 0, or -1 on error (c->err). */
int	store_tidy(struct store *s, struct client *c, const struct rule *r,
	    time_t now, int reset, int *removed);

#endif
