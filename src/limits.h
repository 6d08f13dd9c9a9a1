/* limits.h: look a client's rule up in the compiled limits CDB. */
#ifndef LIMITS_H
#define LIMITS_H

#include <cdb.h>

#include "name.h"
#include "rule.h"

#define LIMITS_FORMAT	"1"	/* value of the "/format" key */

/* What the control file uses ("/features": words, e.g. "exempt mass");
 * a CDB without the key (an older cdbmake-limits) uses everything. */
#define LIMITS_FEXEMPT	0x1u		/* ">" destination lines */
#define LIMITS_FMASS	0x2u		/* mass= on some line */
#define LIMITS_FALL	0x3u

struct limits {
	int	fd;
};

/* Open the CDB at path. Lookups read it with pread-style seeks
 * (cdb_seek), not a mapping: their cost does not depend on the size of
 * the file. Returns 0, or -1 with errno set
 * (EPROTO: not a limits CDB of a format this program reads). */
int	limits_open(struct limits *l, const char *path);
void	limits_close(struct limits *l);

/* Look the client up, most specific first (DESIGN.md "Lookup").
 * kind/norm/len: the normalised client name; ip: its address for
 * NAME_IP; enc: its encoded name. On a match fills r and the matched
 * key (what the log shows; "" = the default); when none matched, r is
 * the unlimited rule (nwin 0). Returns 1 when a rule matched, 0 when
 * none did (unlimited), -1 on a corrupt CDB (errno). */
int	limits_lookup(struct limits *l, enum name_kind kind, const char *norm,
	    size_t len, const struct ipaddr *ip, const char *enc,
	    struct rule *r, char *matched, size_t msz);

/* Is the recipient addr (len bytes) an exempt destination ("">addr" or
 * ">@domain" lines)? 1 yes (the matched key in matched), 0 no, -1 corrupt. */
int	limits_exempt(struct limits *l, const char *addr, size_t len,
	    char *matched, size_t msz);

/* The features of the control file (LIMITS_F*): 0 ok, -1 corrupt. */
int	limits_features(struct limits *l, unsigned *f);
/* Its value for f: "exempt mass" ("" for none). */
void	limits_fmtfeatures(unsigned f, char *buf, size_t bufsz);

/* The rule stored under key (RULE_SERVERKEY, "@domain", ...):
 * 1 found (r filled), 0 not found, -1 corrupt (errno). */
int	limits_get(struct limits *l, const char *key, struct rule *r);

/* A "!name=value" setting stored under key, dflt when absent:
 * 1 found, 0 absent, -1 corrupt (errno). */
int	limits_setting(struct limits *l, const char *key, uint32_t dflt,
	    uint32_t *v);

/* The rule of whatever the overlimit-directory file enc counts: a
 * client (an IPv6 network: the rule of its first address), a domain pool
 * "@domain" (the pool's windows), the server "*" (the * line's windows).
 * Returns 1 found, 0 none (unlimited), -1 corrupt CDB, -2 not a counter
 * file name. */
int	limits_fileof(struct limits *l, const char *enc, struct rule *r,
	    char *matched, size_t msz);

/* limits_lookup, telling trace about every key tried: what ("user",
 * "ip", "domain", "prefix", "default"), the key, and whether it matched
 * (then r holds its rule). For "overlimitctl explain". */
typedef void (*limits_tracefn)(void *arg, const char *what, const char *key,
	    int found, const struct rule *r);
int	limits_trace(struct limits *l, enum name_kind kind, const char *norm,
	    size_t len, const struct ipaddr *ip, const char *enc,
	    struct rule *r, char *matched, size_t msz, limits_tracefn trace,
	    void *arg);

#endif
