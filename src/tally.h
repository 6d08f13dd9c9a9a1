/* tally.h: counts of events that no counter file can hold: a recipient
 * accepted (or deferred) because of an error, a recipient under msg= or
 * mass= without qmail-smtpd's SMTPRCPTCOUNT. Each event appends one byte
 * to a dot-file of the counter directory (O_APPEND: concurrent helpers
 * need no lock), so the count is the file's size. overlimitctl metrics
 * and check read them; an admin may remove them (a counter reset for
 * Prometheus); overlimit-cleanup empties one past TALLY_MAX bytes. */
#ifndef TALLY_H
#define TALLY_H

#include <stdint.h>

#define TALLY_ACCEPT	".errors-accept"	/* accepted on an error */
#define TALLY_DEFER	".errors-defer"		/* deferred on an error */
#define TALLY_NOCOUNT	".no-rcptcount"		/* msg=/mass= without it */
#define TALLY_MAX	(1L << 20)
#define TALLY_PATHMAX	4096

/* path = dir "/" name, for tally_add; 0, or -1 when it does not fit. */
int	tally_path(char *path, const char *dir, const char *name);

/* One more event: best effort, silent, async-signal-safe (the watchdog
 * counts its timeout). Only in a directory of ours; never follows a
 * symlink; a file that is not a regular file of ours with one link is
 * left alone. */
void	tally_add(const char *path);

/* The count of name in the directory open on dirfd (0 for none), or -1
 * with errno. */
int64_t	tally_get(int dirfd, const char *name);

/* Empty the tally name past TALLY_MAX bytes (overlimit-cleanup): 1 when
 * emptied, 0 not, -1 error. */
int	tally_trim(int dirfd, const char *name);

#endif
