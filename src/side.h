/* side.h: a client's side file "NAME#x" -- networks seen and mass messages
 * (DESIGN.md "Compromise signals"). Read and written only under the lock
 * of the client's counter file. */
#ifndef SIDE_H
#define SIDE_H

#include <stdint.h>
#include <time.h>

#include "name.h"
#include "rule.h"
#include "counter.h"

#define SIDE_SUFFIX	"#x"
#define SIDE_NETS	(RULE_SIGMAX + 1)	/* networks kept */
#define SIDE_MASS	RULE_SIGMAX		/* mass-message times kept */
#define SIDE_HDR	32
#define SIDE_SIZE	(SIDE_HDR + 24 * SIDE_NETS + 8 * SIDE_MASS)
#define SIDE_MASSDONE	0x1u		/* that message is counted */

struct side {
	int		fd;
	int		dirty;
	int		healed;		/* was corrupt, started afresh */
	uint32_t	nnets, nmass;
	uint32_t	ppid;		/* the session of the last message */
	uint32_t	lastcount;	/* its SMTPRCPTCOUNT when noted */
	uint32_t	lastall;	/* its SMTPRCPTCOUNTALL when noted */
	uint32_t	flags;		/* SIDE_MASSDONE */
	struct {
		unsigned char	a[16];		/* IPv4 as ::ffff:a.b.c.0 */
		int64_t		last;		/* last seen */
	}		net[SIDE_NETS];	/* most recent first */
	int64_t		mass[SIDE_MASS];	/* most recent first */
	char		err[300];
};

/* Open (creating it when create) the side file of the client enc.
 * Returns 0, 1 when it does not exist (create == 0), -1 when it cannot be
 * used (t->err: a symlink, not a regular file, an I/O error). A file with
 * bad contents (a crash, tampering) is started afresh: 0 with t->healed
 * set and t->err saying why; it is rewritten on side_close. */
int	side_open(struct store *s, const char *enc, int create,
	    struct side *t);

/* Note that the client was seen from network a at now. Returns how many
 * distinct networks were seen within period (at most SIDE_NETS, exact up
 * to max + 1), and in *retry when the count falls to max again. */
uint32_t side_seen(struct side *t, const unsigned char a[16], time_t now,
	    uint32_t period, uint32_t max, int64_t *retry);

/* The message of a recipient: one session (ppid, the helper's parent,
 * qmail-smtpd), its SMTPRCPTCOUNT count and SMTPRCPTCOUNTALL all (-1
 * when unknown). A message starts at count 0 (side_start); within it
 * count never falls and all grows with every attempt, a retry of the same
 * recipient included. */
void	side_start(struct side *t, uint32_t ppid, long all);
/* Has this recipient's message been counted as a mass message already? */
int	side_massdone(const struct side *t, uint32_t ppid, uint32_t count,
	    long all);
/* Count it: a mass message at now, its message marked as counted. */
void	side_mass(struct side *t, time_t now, uint32_t ppid, uint32_t count,
	    long all);

/* Mass messages within period before now. */
uint32_t side_massn(const struct side *t, time_t now, uint32_t period);

/* The clock was stepped forward, then back: when a time in it is more
 * than POL_FUTURE ahead of now, every time after now becomes now (the
 * networks and mass messages count for the corrected clock). */
void	side_settle(struct side *t, time_t now);

/* Is anything in it newer than now - keep? */
int	side_live(const struct side *t, time_t now, uint32_t keep);

/* Write it back if changed, and close. Returns 0, or -1 (t->err). */
int	side_close(struct side *t);

#endif
