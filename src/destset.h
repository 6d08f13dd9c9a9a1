/*
 * destset.h: the destination rules of a control file into the CDB
 * (cdbmake-limits' side of dest.h): grouped into sets by client, each
 * pattern under a key derived from what it matches, the wildcard patterns
 * of a set in one list, the meta keys "=/4" and "=/6".
 * Return convention: 0, or -1 (errno); destset_finish the number of bad
 * lines it found.
 */
#ifndef DESTSET_H
#define DESTSET_H

#include <cdb.h>
#include <stddef.h>

#include "rule.h"

struct destpat {
	char		*set;		/* the client's key, "" = everyone */
	char		*pat;		/* the pattern, lower-cased */
	char		*text;		/* a deny line's text=, or NULL */
	unsigned long	line;
	int		family, plen;	/* an IP set's (struct rulekey) */
	int		kind;		/* DESTP_* */
	int		deny, dryrun;
	int		dead;		/* repeats an earlier line's key */
	unsigned long	id;		/* its set's number */
};

struct destset {
	struct destpat	*p;
	size_t		n, cap;
	int		errfd;		/* warnings and errors go there */
	int		done;		/* destset_finish ran */
};

void	destset_init(struct destset *d, int errfd);
/* A destination rule (RULE_DEST) as rule_parseline gave it. */
int	destset_add(struct destset *d, const struct rulekey *k,
	    const struct rule *r);
/* Sort into sets in line order and number them; a set with more than
 * DEST_WILDMAX wildcard patterns is an error (its line reported); a
 * pattern an earlier one of its set always takes first, and a set that
 * allows nothing, a warning. The number of errors; 0 when it ran
 * before. */
unsigned long	destset_finish(struct destset *d);
/* The keys of the finished sets into cm. */
int	destset_write(const struct destset *d, struct cdb_make *cm);
void	destset_free(struct destset *d);

#endif
