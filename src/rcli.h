/* rcli.h: a minimal Redis client for a program that makes one call and
 * exits: numeric addresses only (no resolver: no NSS in a static binary),
 * its own connect with a timeout, one deadline for a whole exchange, the
 * RESP parser of hiredis (its reader alone: hiredis's own connection code
 * would pull getaddrinfo into the static helper).
 * Return convention: 0, or -1 with the reason in c->err (and c->unknown
 * set when a request may have run: sent, no reply). */
#ifndef RCLI_H
#define RCLI_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

#include <hiredis/read.h>	/* REDIS_REPLY_* */

#define RCLI_ADDRMAX	128		/* "unix:/path", "[v6]:port" */

struct raddr {
	int			family;	/* AF_UNIX, AF_INET, AF_INET6 */
	struct sockaddr_storage	sa;
	socklen_t		salen;
	char			text[RCLI_ADDRMAX];	/* as given */
};

/* A reply: hiredis's types (REDIS_REPLY_STRING, _ARRAY, _INTEGER, _NIL,
 * _STATUS, _ERROR). */
struct rrep {
	int		type;
	long long	integer;
	char		*str;		/* NUL-terminated copy */
	size_t		len;
	size_t		elements;
	struct rrep	**element;
};

struct rcli {
	int		fd;
	void		*reader;	/* redisReader */
	char		*out;		/* requests not yet sent */
	size_t		outlen, outsz;
	long		timeout;	/* ms, per exchange */
	int		unknown;	/* sent, no reply: it may have run */
	char		err[300];
};

/* "unix:/path", "IPv4:port", "[IPv6]:port"; numeric only. -1 and *err
 * (static) when it is none of these. */
int	raddr_parse(const char *s, struct raddr *a, const char **err);

/* Connect within ctimeout ms; requests then have timeout ms. */
int	rcli_connect(struct rcli *c, const struct raddr *a, long ctimeout,
	    long timeout);
/* Queue one request (argv: argc strings of lengths len). */
int	rcli_append(struct rcli *c, int argc, const char *const *argv,
	    const size_t *len);
/* Send what is queued and read n replies (rep[0..n-1]), all within the
 * timeout. On -1, replies read so far are freed. */
int	rcli_exchange(struct rcli *c, struct rrep **rep, int n);
void	rcli_close(struct rcli *c);
void	rrep_free(struct rrep *r);

#endif
