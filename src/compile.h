/*
 * compile.h: the control file -> the limits CDB, what cdbmake-limits does
 * (DESIGN.md "Control file and CDB"), in steps a test can use apart.
 */
#ifndef COMPILE_H
#define COMPILE_H

#include <cdb.h>
#include <stddef.h>
#include <stdio.h>

#include "destset.h"

#define COMPILE_PROG	"cdbmake-limits"	/* its messages' prefix */

/* what compile() returns: cdbmake-limits' exit codes */
#define COMPILE_OK	0
#define COMPILE_BAD	100		/* a bad line: nothing written */
#define COMPILE_SYS	111		/* a system error: nothing written */

struct compile_ent {
	char		*key;
	char		*val;		/* the rule's CDB value */
	unsigned long	line;
	int		family, plen;	/* of an IP prefix (struct rulekey) */
};

struct compile {
	struct compile_ent *ents;
	size_t		n, cap;
	unsigned long	lineno;		/* lines read */
	unsigned long	errors;		/* bad lines among them */
	unsigned	feat;		/* LOOKUP_F*: what the lines use */
	int		errfd;		/* where the messages go */
	struct destset	dest;		/* the destination rules */
};

void	compile_init(struct compile *c, int errfd);
/* The next line (len bytes, no newline): a bad one is reported on errfd
 * with its number and counted. 0, or -1: out of memory (errno). */
int	compile_line(struct compile *c, const char *line, size_t len);
/* Sort the entries by key; of a key given twice the last line wins, with
 * a warning naming both. The destination rules into sets, if not yet
 * (destset_finish: its bad lines counted in c->errors). */
void	compile_sort(struct compile *c);
/* Add the entries, the destination sets and the meta keys /4, /6 and
 * /features (not /format: compile_format) to cm. 0, or -1: a write error
 * (errno). */
int	compile_add(const struct compile *c, struct cdb_make *cm);
void	compile_free(struct compile *c);
/* The /format c's CDB has: LOOKUP_FORMAT, or LOOKUP_FORMAT_DEST with
 * destination rules (an older helper refuses it). */
const char	*compile_format(const struct compile *c);

/* All of it: the control file from in into the CDB at cdb, written to
 * tmp (created, fsynced, renamed over cdb; the directory fsynced), with
 * /format. Nothing is written unless every line is good. Returns
 * COMPILE_OK, COMPILE_BAD or COMPILE_SYS, having said why on errfd. */
int	compile(FILE *in, const char *cdb, const char *tmp, int errfd);

#endif
