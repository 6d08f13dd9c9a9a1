/* track.h: a client's side file "NAME#x" -- networks seen and mass messages
 * (DESIGN.md "Compromise signals"). Read and written only under the lock
 * of the client's counter file. */
#ifndef TRACK_H
#define TRACK_H

#include <stdint.h>
#include <time.h>

#include "name.h"
#include "rule.h"
#include "store.h"

#define TRACK_SUFFIX	"#x"
#define TRACK_NETS	(RULE_SIGMAX + 1)	/* networks kept */
#define TRACK_MASS	RULE_SIGMAX		/* mass-message times kept */
#define TRACK_HDR	32
#define TRACK_SIZE	(TRACK_HDR + 24 * TRACK_NETS + 8 * TRACK_MASS)
#define TRACK_MASSDONE	0x1u		/* that message is counted */

struct track {
	int		fd;
	int		dirty;
	int		healed;		/* was corrupt, started afresh */
	uint32_t	nnets, nmass;
	uint32_t	ppid;		/* the session of the last message */
	uint32_t	lastcount;	/* its SMTPRCPTCOUNT when noted */
	uint32_t	lastall;	/* its SMTPRCPTCOUNTALL when noted */
	uint32_t	flags;		/* TRACK_MASSDONE */
	struct {
		unsigned char	a[16];		/* IPv4 as ::ffff:a.b.c.0 */
		int64_t		last;		/* last seen */
	}		net[TRACK_NETS];	/* most recent first */
	int64_t		mass[TRACK_MASS];	/* most recent first */
	char		err[300];
};

/* Open (creating it when create) the side file of the client enc.
 * Returns 0, 1 when it does not exist (create == 0), -1 when it cannot be
 * used (t->err: a symlink, not a regular file, an I/O error). A file with
 * bad contents (a crash, tampering) is started afresh: 0 with t->healed
 * set and t->err saying why; it is rewritten on track_close. */
int	track_open(struct store *s, const char *enc, int create,
	    struct track *t);

/* Note that the client was seen from network a at now. Returns how many
 * distinct networks were seen within period (at most TRACK_NETS, exact up
 * to max + 1), and in *retry when the count falls to max again. */
uint32_t track_seen(struct track *t, const unsigned char a[16], time_t now,
	    uint32_t period, uint32_t max, int64_t *retry);

/* The message of a recipient: one session (ppid, the helper's parent,
 * qmail-smtpd), its SMTPRCPTCOUNT count and SMTPRCPTCOUNTALL all (-1
 * when unknown). A message starts at count 0 (track_start); within it
 * count never falls and all grows with every attempt, a retry of the same
 * recipient included. */
void	track_start(struct track *t, uint32_t ppid, long all);
/* Has this recipient's message been counted as a mass message already? */
int	track_massdone(const struct track *t, uint32_t ppid, uint32_t count,
	    long all);
/* Count it: a mass message at now, its message marked as counted. */
void	track_mass(struct track *t, time_t now, uint32_t ppid, uint32_t count,
	    long all);

/* Mass messages within period before now. */
uint32_t track_massn(const struct track *t, time_t now, uint32_t period);

/* The clock was stepped forward, then back: when a time in it is more
 * than STORE_FUTURE ahead of now, every time after now becomes now (the
 * networks and mass messages count for the corrected clock). */
void	track_settle(struct track *t, time_t now);

/* Is anything in it newer than now - keep? */
int	track_live(const struct track *t, time_t now, uint32_t keep);

/* Write it back if changed, and close. Returns 0, or -1 (t->err). */
int	track_close(struct track *t);

#endif
