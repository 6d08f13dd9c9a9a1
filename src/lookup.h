/* lookup.h: look a client's rule up in the compiled limits CDB (DESIGN.md
 * "Lookup"). Named lookup, not limits: <limits.h> is the system's.
 * Return convention: 1 found, 0 not found, -1 on a corrupt CDB (errno);
 * lookup_open 0 or -1 (errno). */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "rule.h"

#define LOOKUP_FORMAT	"1"	/* value of the "/format" key */
#define LOOKUP_FORMAT_DEST "2"	/* the same with destination rules: a
				 * helper that knows none refuses it */

/* What the control file uses ("/features": words, e.g. "exempt mass");
 * a CDB without the key (an older cdbmake-limits) uses everything. */
#define LOOKUP_FEXEMPT	0x1u		/* ">" destination lines */
#define LOOKUP_FMASS	0x2u		/* mass= on some line */
#define LOOKUP_FMSG	0x20u		/* msg= on some line */
#define LOOKUP_FALL	0x23u
#define LOOKUP_FDEST	0x4u		/* destination rules (format "2"
					 * only; never implied) */
#define LOOKUP_FDOMAIN	0x8u		/* !domain= (never implied: older
					 * compilers know no such line) */
#define LOOKUP_FALIAS	0x10u		/* !alias= lines (likewise) */

struct lookup {
	int			fd;
	const unsigned char	*map;	/* the CDB, mapped */
	size_t			size;
	unsigned		features;	/* LOOKUP_F* */
};

/* The line that matched a client. */
struct match {
	int	found;			/* a line matched (else: unlimited) */
	char	key[NAME_ENCMAX + 2];	/* its key; "" = the default */
	int	plen;			/* an IP prefix line's length, else -1 */
};

/* Open the CDB at path (a regular file of a sane size), map it and read
 * its features. A lookup costs no system call and a bounded number of
 * probes, whatever the file holds. errno EPROTO: not a limits CDB of a
 * format this program reads (corrupt, hostile, too large, not a file).
 * A file truncated in place while mapped raises SIGBUS: a program that
 * reads the CDB catches it (prog_sigbus). */
int	lookup_open(struct lookup *l, const char *path);
void	lookup_close(struct lookup *l);

/* The client's rule, most specific first: user, @domain, default; IP,
 * longest prefix (only the lengths under /4 or /6), default. When none
 * matched, r is the unlimited rule (nwin 0) and m->found 0. */
int	lookup_client(struct lookup *l, const struct ident *id, struct rule *r,
	    struct match *m);
/* lookup_client, telling trace about every key tried: what ("user",
 * "ip", "domain", "prefix", "default", "pool", "server"), the key, and
 * whether it matched (then r holds its rule). For "overlimitctl explain". */
typedef void (*lookup_tracefn)(void *arg, const char *what, const char *key,
	    int found, const struct rule *r);
int	lookup_trace(struct lookup *l, const struct ident *id, struct rule *r,
	    struct match *m, lookup_tracefn trace, void *arg);
/* The rule of whatever the counter id counts: a client as lookup_client
 * (an IPv6 network: by its first address), a domain pool "@domain" (the
 * pool= windows of its line), the server "*" (the * line's windows). */
int	lookup_counter(struct lookup *l, const struct ident *id, struct rule *r,
	    struct match *m, lookup_tracefn trace, void *arg);

/* The aggregates of a client with rule r matched by m (its rule, the
 * pool's and the server's as windows rules, with their lines' reply=,
 * text=, warn= and dryrun): its domain's pool (pool= of its @domain line;
 * poolkey "@domain") and the server cap (the * line). 1 when it applies
 * (the rule filled), 0 when not. */
int	lookup_pool(struct lookup *l, const struct ident *id,
	    const struct rule *r, const struct match *m, struct rule *pool,
	    char *poolkey);
int	lookup_server(struct lookup *l, struct rule *server);

/* The name an auth user is counted as: "user@D" for a login without a
 * domain under !domain=D; "user@D" for user@A under !alias=A:D. The
 * identity is rewritten (key, counter); 1 when it was, 0 when not. */
int	lookup_canon(struct lookup *l, struct ident *id);

/* The rule stored under key (RULE_SERVERKEY, "@domain", ...). */
int	lookup_get(struct lookup *l, const char *key, struct rule *r);
/* A "!name=value" setting stored under key, dflt when absent. */
int	lookup_setting(struct lookup *l, const char *key, uint32_t dflt,
	    uint32_t *v);
/* Is the recipient addr (len bytes) an exempt destination (">addr" or
 * ">@domain" lines)? The matched address or @domain into matched. */
int	lookup_exempt(struct lookup *l, const char *addr, size_t len,
	    char *matched, size_t msz);

/* The value of key[0..klen), in the map: 1 found (*val, *vlen), 0 not. */
int	lookup_find(struct lookup *l, const char *key, size_t klen,
	    const char **val, size_t *vlen);

/* The keys of id's lines, most specific first, each after pre ("" for
 * the limits, "=" for destination sets): the user and its @domain, or the
 * IP and its prefixes (the lengths listed under pre + "/4" or "/6"), then
 * the default (pre alone). visit(arg, what, key, plen) says 1 (found:
 * stop), 0 (go on) or -1; lookup_keys returns what stopped it, or 0. */
typedef int (*lookup_visitfn)(void *arg, const char *what, const char *key,
	    int plen);
int	lookup_keys(struct lookup *l, const struct ident *id, const char *pre,
	    lookup_visitfn visit, void *arg);

/* The "/features" value for f: "exempt mass" ("" for none). */
void	lookup_fmtfeatures(unsigned f, char *buf, size_t bufsz);

#endif
