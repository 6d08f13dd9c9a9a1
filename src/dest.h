/*
 * dest.h: destination rules (relaylimits(5) "Destination rules"): who may
 * write to whom. A pure pattern matcher, and the helper's decision for
 * one recipient from the CDB: a bounded number of probes, no heap, no
 * system call. The compile side is destset.h.
 * Return convention: dest_pattern the kind or -1 (*err); dest_match 1 or
 * 0; dest_lookup 1 a set applies, 0 none, -1 a corrupt CDB (errno EPROTO).
 */
#ifndef DEST_H
#define DEST_H

#include <stddef.h>

#include "ident.h"
#include "lookup.h"
#include "rule.h"

#define DEST_PATMAX	RULE_PATMAX	/* longest pattern */
#define DEST_DOMMAX	255	/* longest domain in a pattern */
#define DEST_RCPTMAX	1024	/* longest recipient matched part by
				 * part; a longer one matches only "*" */
#define DEST_WILDMAX	64	/* patterns with a '*' in one set */

/* what a pattern is; an ADDR, DOMAIN or SUB pattern has a CDB key of its
 * own, the WILD and ALL ones are in the set's list */
enum {
	DESTP_ADDR,		/* user@example.com */
	DESTP_DOMAIN,		/* @example.com */
	DESTP_SUB,		/* @.example.com: it and its subdomains */
	DESTP_WILD,		/* a '*' in either part, or user@.example.com */
	DESTP_ALL		/* "*": every recipient */
};

enum { DEST_ALLOW = 1, DEST_DENY };

/* CDB keys: "=" + a client's key (its set), "=/4" and "=/6" (the prefix
 * lengths of IP sets), "=#ID>address", "=#ID@domain", "=#ID.domain",
 * "=#ID*" (the wildcard list). */
#define DEST_PRE	"="
#define DEST_PATPRE	"=#"

/* s[0..len) as the control file spells a pattern: its kind (DESTP_*),
 * or -1 with *err (a static string) saying why it is not one. */
int	dest_pattern(const char *s, size_t len, const char **err);

/* Does the pattern pat[0..plen) match the recipient rcpt[0..rlen)? Any
 * bytes: ASCII compared case-insensitively, the recipient split at its
 * last '@', one final '.' of its domain dropped; '*' any run of bytes.
 * At most plen x rlen byte comparisons. 1 yes, 0 no. */
int	dest_match(const char *pat, size_t plen, const char *rcpt,
	    size_t rlen);

/* The decision of the client's set for one recipient. */
struct dest {
	int		set;		/* a set applies */
	char		setkey[NAME_ENCMAX + 2]; /* its client key, "" =
					 * everyone */
	unsigned long	setline;	/* its first line */
	int		action;		/* DEST_ALLOW (also: no set) or
					 * DEST_DENY */
	unsigned long	line;		/* the pattern that decided; 0: the
					 * set's default (allow) */
	int		dryrun;		/* a deny line's dryrun */
	char		text[RULE_TEXTMAX + 1];	/* a deny line's text= */
};

/* What dest_lookup tried, for "overlimitctl explain": what ("user",
 * "domain", "ip", "prefix", "default" for a set: its client key and
 * first line; "address", "@domain", "@.domain", "wildcard" for a
 * pattern: the key or pattern, the line there and its action), 0 for
 * nothing found. */
typedef void (*dest_tracefn)(void *arg, const char *what, const char *key,
	    unsigned long line, int action);

/* The client's most specific set (user, @domain, everyone; an IP, its
 * longest prefix, everyone) and its first pattern that matches rcpt:
 * probes its exact address, its domain, the suffixes of its domain with
 * as many labels as the set's "@.domain" patterns have, and the set's
 * list of at most DEST_WILDMAX wildcard patterns. trace may be NULL. */
int	dest_lookup(struct lookup *l, const struct ident *id, const char *rcpt,
	    size_t len, struct dest *d, dest_tracefn trace, void *arg);

#endif
