/* ident.h: who a client is -- one identity, made from the helper's
 * environment, from an admin's argument or from a counter file's name --
 * and which counter counts it (DESIGN.md "Client identity").
 * Return convention: 0, or -1 (the static reason in *err, or errno). */
#ifndef IDENT_H
#define IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

struct ident {
	enum name_kind	kind;		/* NAME_USER or NAME_IP */
	int		file;		/* NAME_FCLIENT, NAME_FPOOL, NAME_FSERVER */
	const char	*norm;		/* normalised: user@domain lower-cased,
					 * a canonical IP, "@domain", "*";
					 * "" for a hashed file name */
	size_t		len;
	struct ipaddr	ip;		/* NAME_IP: the address; an IPv6
					 * network's first address */
	int		plen;		/* an IPv6 network counter: its
					 * length; else -1 */
	char		key[NAME_ENCMAX + 2];	/* the CDB key of its line */
	char		counter[NAME_ENCMAX + 1]; /* the counter's file name */
	char		*owned;		/* norm, when it had to be copied
					 * and did not fit in buf */
	char		buf[256];	/* norm (no heap on the hot path) */
	char		net[64];	/* the IPv6 network counting an IP
					 * client (ident_count6), as text */
};

/* The relay client of the helper: the SMTP-auth user when user is set
 * (and not empty), else the client IP rip; *err says why not. */
int	ident_fromenv(struct ident *id, const char *user, const char *rip,
	    const char **err);
/* A client an admin names: a user, an IP, an IPv6 network counter
 * "2001:db8:1:2::/64", a domain pool "@domain" or the server cap "*". */
int	ident_fromarg(struct ident *id, const char *arg);
/* Whatever the counter file name counts; -1 when it is not a counter
 * file's name (errno EINVAL). A hashed name ("~...") has no name (norm
 * ""): only its own key can match it. */
int	ident_fromfile(struct ident *id, const char *name);
void	ident_free(struct ident *id);
/* The same client under another (already normalised) user name: its
 * key and counter follow (lookup_canon). 0, or -1 out of memory. */
int	ident_rename(struct ident *id, const char *name);

/* The counter of an IPv6 IP client under the line that matched (general:
 * none did, or the default; plen: a prefix line's length, else -1): per
 * network of bits (!count6=, < 128) under the default, no line or a prefix
 * no longer than bits; per address under its own line or a longer prefix.
 * Anything else keeps its own counter. */
void	ident_count6(struct ident *id, int general, int plen, uint32_t bits);

#endif
