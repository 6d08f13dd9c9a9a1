/*
 * rule.h: control-file lines (grammar.c), the rule value stored in the
 * CDB (codec.c), both driven by the one table of options (option.c).
 */
#ifndef RULE_H
#define RULE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "name.h"

#define RULE_MAXWIN	8		/* limits per rule */
#define RULE_MAXLIMIT	1000000000u	/* largest N */
#define RULE_MAXPERIOD	(366u * 86400u)	/* longest window */
#define RULE_VALMAX	2048		/* longest CDB value (the longest line
					 * gives about 1400) */
#define RULE_TEXTMAX	400		/* longest reply text */

/* rule flags */
#define RULE_DRYRUN	0x01		/* log "would refuse", let it through */
#define RULE_STRICT	0x02		/* refused attempts count too */
#define RULE_EXEMPT	0x04		/* a destination never counted */
#define RULE_SETTING	0x08		/* a "!name=value" line */
#define RULE_QUIET	0x10		/* internal, never in a CDB: a dry
					 * run that notifies nothing */
#define RULE_DEST	0x20		/* a destination rule "WHO>PATTERN:
					 * allow|deny" (destset.h: its own
					 * CDB keys, never a rule value) */
#define RULE_DENY	0x40		/* ... that denies */

#define RULE_SIGMAX	32		/* largest M of nets= and mass= */
#define RULE_PATMAX	255		/* longest destination pattern */

struct window {
	uint32_t	limit;		/* N; never 0 (0 = no limit, dropped) */
	uint32_t	period;		/* seconds; 0 = until reset (classic) */
};

struct rule {
	unsigned long	line;		/* control-file line */
	int		nwin;		/* 0: unlimited */
	struct window	win[RULE_MAXWIN];
	unsigned	flags;		/* RULE_* */
	unsigned	reply;		/* SMTP code of a refusal, 0 = 421 */
	unsigned	ban;		/* ban at ban x limit attempts; 0 none */
	unsigned	warn;		/* warn at warn% of a limit; 0 none */
	char		text[RULE_TEXTMAX + 1]; /* reply text, "" = ours */
	/* compromise signals (DESIGN.md); 0 = off */
	uint32_t	msgmax;		/* msg=N: recipients per message */
	uint32_t	nets, netsper;	/* nets=M/T: networks per window */
	uint32_t	massn, massr, massper; /* mass=MxR/T */
	uint32_t	dormant, warmn, warmper; /* dormant=D,N/P */
	int		npool;		/* pool=...: the domain's windows */
	struct window	pool[RULE_MAXWIN];
	uint32_t	setting;	/* RULE_SETTING: the value */
};

struct rulekey {
	char	key[NAME_ENCMAX + 2];	/* CDB key */
	int	family;			/* AF_INET/AF_INET6 for IP prefixes, else 0 */
	int	plen;			/* prefix length of a prefix rule, else -1 */
	char	pat[RULE_PATMAX + 1];	/* RULE_DEST: the pattern, as written */
};

enum { RULE_EMPTY, RULE_OK, RULE_ERR };

/* CDB keys of the lines that are not clients */
#define RULE_SERVERKEY	"/server"	/* the "*" line */
#define RULE_COUNT6KEY	"/count6"	/* !count6=N */
#define RULE_DOMAINKEY	"/domain"	/* !domain=D: a login without a
					 * domain is user@D (text= holds D) */
#define RULE_ALIASKEY	"/alias"	/* !alias=A:D: "/alias@A", users of
					 * A are users of D (text= holds D) */
#define RULE_NETS4KEY	"/nets4"	/* !nets4=N */
#define RULE_NETS6KEY	"/nets6"	/* !nets6=N */

/* Parse one control-file line (len bytes, no trailing newline).
 * RULE_EMPTY: blank or comment. RULE_OK: k and r filled (a destination
 * rule: r->flags has RULE_DEST, k->key its set's client key, k->pat the
 * pattern; else k->pat is "").
 * RULE_ERR: *err names what is wrong (a static string). */
int	rule_parseline(const char *line, size_t len, unsigned long lineno,
	    struct rulekey *k, struct rule *r, const char **err);

/* The CDB key of a destination (a recipient address, or "@domain" when
 * domain is set and addr is the address whose domain is meant):
 * ">" + encoded lower-cased address, or ">@" + encoded domain.
 * Returns 0, or -1 when there is no such key (empty, no domain). */
int	rule_destkey(const char *addr, size_t len, int domain, char *out);

/* The CDB value of r ("LINE N/P,N OPTIONS", or "LINE 0" when unlimited;
 * the options as the control file spells them, periods in seconds). */
void	rule_fmtvalue(const struct rule *r, char *buf, size_t bufsz);
/* Parse a CDB value, also one of an older cdbmake-limits (mass=M/R/T,
 * dormant=D/N/P). Returns 0, or -1 when it is malformed. */
int	rule_parsevalue(const char *v, size_t len, struct rule *r);

/* "1h", "7d", "90m", "45s"; "" for 0. */
void	rule_fmtperiod(uint32_t secs, char *buf, size_t bufsz);

/* What r's options beyond its limits do, one line each, for people
 * ("overlimitctl explain"): the compromise signals and the pool. */
void	rule_describe(const struct rule *r, FILE *out);

#endif
