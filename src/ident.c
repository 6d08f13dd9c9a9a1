/* ident.c: see ident.h. */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"

static void
clear(struct ident *id)
{
	memset(id, 0, sizeof(*id));
	id->kind = NAME_USER;
	id->file = NAME_FCLIENT;
	id->plen = -1;
	id->norm = "";
}

/* norm = s (len bytes), copied, normalised as a user name unless it is
 * a file's (which is as the helper wrote it). */
static int
user(struct ident *id, const char *s, size_t len, int norm)
{
	char *p;

	if (len < sizeof(id->buf))
		p = id->buf;
	else if ((p = id->owned = malloc(len + 1)) == NULL)
		return -1;
	memcpy(p, s, len);
	p[len] = '\0';
	if (norm)
		name_normuser(p, len);
	id->norm = p;
	id->len = len;
	name_encode(NAME_USER, id->norm, len, id->key);
	memcpy(id->counter, id->key, sizeof(id->counter));
	return 0;
}

/* norm = the canonical text of id->ip. */
static void
ip(struct ident *id)
{
	id->kind = NAME_IP;
	name_fmtip(&id->ip, id->buf, sizeof(id->buf));
	id->norm = id->buf;
	id->len = strlen(id->buf);
	name_encode(NAME_IP, id->norm, id->len, id->key);
	memcpy(id->counter, id->key, sizeof(id->counter));
}

int
ident_fromenv(struct ident *id, const char *u, const char *rip,
    const char **err)
{
	clear(id);
	if (u != NULL && *u != '\0') {
		if (user(id, u, strlen(u), 1) < 0) {
			*err = "out of memory";
			return -1;
		}
		return 0;
	}
	if (rip == NULL || *rip == '\0') {
		*err = "no client identity (neither SMTPAUTHUSER nor TCPREMOTEIP)";
		return -1;
	}
	if (name_parseip(rip, &id->ip) < 0) {
		*err = "bad client IP address";
		return -1;
	}
	ip(id);
	return 0;
}

/* An IPv6 network counter "2001:db8:1:2::/64": looked up by its first
 * address, counted and shown as the network. */
static int
network(struct ident *id, const char *s)
{
	if (name_parsenet(s, &id->ip, &id->plen) < 0)
		return -1;
	ip(id);
	name_fmtnet(&id->ip, id->plen, id->buf, sizeof(id->buf));
	id->norm = id->buf;
	id->len = strlen(id->buf);
	name_encode(NAME_IP, id->norm, id->len, id->counter);
	return 0;
}

int
ident_fromarg(struct ident *id, const char *arg)
{
	clear(id);
	if (strcmp(arg, "*") == 0) {			/* the server cap */
		id->file = NAME_FSERVER;
		id->norm = "*";
		id->len = 1;
		strlcpy(id->key, "*", sizeof(id->key));
		strlcpy(id->counter, "*", sizeof(id->counter));
		return 0;
	}
	if (name_parseip(arg, &id->ip) == 0) {
		ip(id);
		return 0;
	}
	if (network(id, arg) == 0)
		return 0;
	if (user(id, arg, strlen(arg), 1) < 0)
		return -1;
	if (arg[0] == '@' && arg[1] != '\0') {		/* a domain pool */
		id->file = NAME_FPOOL;
		(void)name_domainkey(id->norm, id->len, id->key);
		memcpy(id->counter, id->key, sizeof(id->counter));
	}
	return 0;
}

int
ident_fromfile(struct ident *id, const char *name)
{
	char dec[NAME_ENCMAX + 1];
	long n;

	clear(id);
	if ((id->file = name_isfile(name)) == 0) {
		errno = EINVAL;
		return -1;
	}
	strlcpy(id->key, name, sizeof(id->key));
	strlcpy(id->counter, name, sizeof(id->counter));
	if (id->file == NAME_FSERVER) {
		id->norm = "*";
		id->len = 1;
		return 0;
	}
	if (name[0] == '~')
		return 0;			/* hashed: no name */
	if (id->file == NAME_FPOOL && name[1] == '~')
		return 0;			/* a hashed domain */
	if (id->file == NAME_FPOOL) {
		dec[0] = '@';
		if ((n = name_decode(name + 1, dec + 1, sizeof(dec) - 1)) < 0) {
			errno = EINVAL;
			return -1;
		}
		if (user(id, dec, (size_t)n + 1, 0) < 0)
			return -1;
		strlcpy(id->key, name, sizeof(id->key));
		strlcpy(id->counter, name, sizeof(id->counter));
		return 0;
	}
	if ((n = name_decode(name, dec, sizeof(dec))) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (name[0] != '%' && name_parseip(dec, &id->ip) == 0)
		ip(id);
	else if (name[0] != '%' && network(id, dec) == 0)
		;
	else if (user(id, dec, (size_t)n, 0) < 0)
		return -1;
	else
		strlcpy(id->key, name, sizeof(id->key));
	strlcpy(id->counter, name, sizeof(id->counter));
	return 0;
}

int
ident_rename(struct ident *id, const char *name)
{
	char *old = id->owned;
	int rc;

	id->owned = NULL;
	rc = user(id, name, strlen(name), 0);
	free(old);
	return rc;
}

void
ident_free(struct ident *id)
{
	free(id->owned);
	id->owned = NULL;
}

void
ident_count6(struct ident *id, int general, int plen, uint32_t bits)
{
	struct ipaddr net;

	if (id->file != NAME_FCLIENT || id->kind != NAME_IP ||
	    id->ip.family != AF_INET6 || id->plen >= 0 || bits >= 128)
		return;
	if (!general && (plen < 0 || plen > (int)bits))
		return;				/* per address */
	net = id->ip;
	name_mask(&net, (int)bits);
	name_fmtnet(&net, (int)bits, id->net, sizeof(id->net));
	name_encode(NAME_IP, id->net, strlen(id->net), id->counter);
}
