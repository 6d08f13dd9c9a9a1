/*
 * option.h: the options of a rule, one table (DESIGN.md "Control file and
 * CDB"). The control-file grammar (grammar.c) and the CDB codec (codec.c)
 * both read and write every option through it; internal to src/.
 */
#ifndef OPTION_H
#define OPTION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rule.h"

/* the kinds of line, by key */
#define LINE_USER	0x01u		/* an auth user: user@example.com */
#define LINE_DOMAIN	0x02u		/* @example.com */
#define LINE_IP		0x04u		/* an IP or a prefix */
#define LINE_DEFAULT	0x08u		/* the default: ":N" */
#define LINE_SERVER	0x10u		/* the * line */
#define LINE_CLIENT	(LINE_USER | LINE_DOMAIN | LINE_IP | LINE_DEFAULT)
#define LINE_ANY	(LINE_CLIENT | LINE_SERVER)

/* what follows the name */
#define OPT_NOVALUE	0		/* "dryrun" */
#define OPT_VALUE	1		/* "msg=100" */
#define OPT_MAYVALUE	2		/* "ban" or "ban=2x" */

struct option {
	const char	*name;
	int		value;		/* OPT_* */
	int		hex;		/* a text in double quotes: the CDB
					 * holds what is inside, in hex */
	unsigned	lines;		/* LINE_*: the lines that take it */
	unsigned	whyon;		/* LINE_*: lines it is wrong on for a
					 * reason of its own, why; on the others
					 * outside lines, the line's own reason */
	const char	*why;
	const char	*novalue;	/* the error for a value missing
					 * (OPT_VALUE) or not wanted (NOVALUE) */
	/* The value v (NULL when none was given) into r: NULL, or the
	 * error. The control file and the CDB both. */
	const char	*(*parse)(const char *v, struct rule *r);
	/* r's value as the control file spells it, periods in seconds,
	 * into buf: its length, or -1 when r does not have the option. */
	int		(*fmt)(const struct rule *r, char *buf, size_t bufsz);
	/* An option without value and functions: the RULE_* flag it sets. */
	unsigned	flag;
	/* Its line in "overlimitctl explain", or NULL: none. */
	void		(*describe)(const struct rule *r, FILE *out);
	/* The CDB spelling before the unified one had '/' where this has
	 * oldsep (mass=M/R/T, dormant=D/N/P); '\0': none. */
	char		oldsep;
};

extern const struct option	opt_table[];	/* ends with a NULL name */

/* The option called name[0..len), or NULL. */
const struct option	*opt_find(const char *name, size_t len);
/* Its bit in a set of options. */
unsigned	opt_bit(const struct option *o);
/* o's parse and fmt (see struct option), or its flag's. */
const char	*opt_parse(const struct option *o, const char *v,
		    struct rule *r);
int		opt_fmt(const struct option *o, const struct rule *r,
		    char *buf, size_t bufsz);

/* The control file's words, shared with the grammar: decimal digits
 * (at most max), a period ("90m", "1h", plain seconds), a list of
 * limits ("N/PERIOD,N"; into *n windows of w). NULL, or the error. */
const char	*opt_number(const char *s, size_t len, unsigned long max,
		    unsigned long *v);
const char	*opt_period(const char *s, size_t len, uint32_t *secs);
const char	*opt_limits(const char *s, size_t len, int *n,
		    struct window *w);

#endif
