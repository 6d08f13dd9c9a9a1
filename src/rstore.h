/* rstore.h: the Redis store (DESIGN.md "The Redis store"): the same
 * decision as decide() (decide.h), made by one server-side script
 * (src/decide.lua, compiled in) in one round trip, atomically, for every
 * host of a farm; Redis's clock is the one clock. Configured from the
 * environment (rcptcheck-overlimit(8)): OVERLIMIT_REDIS (unix:/path,
 * IPv4:port, [IPv6]:port, sentinel:NAME@addr,addr...), _PASSFILE,
 * _PREFIX, _CONNECT_TIMEOUT, _TIMEOUT (ms), _RETRY, _KEEP (s).
 * Return convention: 0, or -1 with the reason in rs->err and rs->fail one
 * of RSTORE_E*. */
#ifndef RSTORE_H
#define RSTORE_H

#include <stddef.h>

#include "decide.h"
#include "rcli.h"

#define RSTORE_MAXADDR	8
#define RSTORE_PREFIX	"rol:"
#define RSTORE_DOWNFILE	".redis-down"	/* in the counter directory */
#define RSTORE_MASTERFILE ".redis-master"

enum {
	RSTORE_ECONFIG = 1,	/* a bad setting */
	RSTORE_ECONNECT,	/* not reached (now, or a few seconds ago):
				 * nothing ran */
	RSTORE_EUNKNOWN,	/* sent, no reply: it may have run */
	RSTORE_EREPLY		/* Redis refused it (OOM, READONLY, BUSY,
				 * NOPERM, ...): nothing committed */
};

struct rstore {
	int		sentinel;	/* addr[] are sentinels */
	char		master[64];	/* sentinel: the master's name */
	struct raddr	addr[RSTORE_MAXADDR];
	int		naddr;
	struct raddr	cur;		/* the server used */
	char		user[128], pass[256];
	int		auth;
	char		prefix[65];
	long		ctimeout, timeout;	/* ms */
	long		retry, keep;	/* s */
	const char	*dir;		/* the counter directory */
	char		host[64];	/* mass=: the session's host */
	struct rcli	c;
	int		connected;
	int		nofunc;		/* no FCALL: Redis lacks the library */
	int		fail;		/* RSTORE_E* */
	char		err[400];
};

/* Read the settings. 1: OVERLIMIT_REDIS unset (the file store); 0; -1
 * (RSTORE_ECONFIG). dir: the counter directory (failure memory, the
 * master's address under sentinel). */
int	rstore_init(struct rstore *rs, const char *dir);
/* The decision (decide.h): msg= from the request alone, a local or
 * exempt recipient without mass= with no round trip, else one call. */
int	rstore_decide(struct rstore *rs, const struct request *rq,
	    struct outcome *out);
/* The function library of the script (FUNCTION LOAD): 1 loaded, 0 it
 * was loaded already, -1 (rs->err). Its name: rstore_libname. */
int	rstore_load(struct rstore *rs);
const char *rstore_libname(void);
/* Can this user FCALL the library (an FCALL that runs nothing)? 1 yes,
 * 0 not loaded or not allowed (the helper then runs the script: one
 * round trip more per decision), -1 (rs->err). */
int	rstore_haslib(struct rstore *rs);
/* One call of the script's operation op on counter (with ARGV args) for
 * the admin tools; the reply (its first element "rol1") in *rep. */
int	rstore_op(struct rstore *rs, const char *op, const char *counter,
	    int argc, const char *const *args, struct rrep **rep);
/* A plain command (SCAN, ...). */
int	rstore_cmd(struct rstore *rs, int argc, const char *const *argv,
	    struct rrep **rep);
/* Call fn with the name of every counter in Redis (SCAN: a counter that
 * is created or goes meanwhile may be seen or not; none is seen twice
 * unless the keyspace is rehashed). fn < 0 stops it. */
int	rstore_each(struct rstore *rs, int (*fn)(void *, const char *),
	    void *arg);
/* The rule's argument for the script: "nwin p1 l1 ... warmper". */
void	rstore_fmtrule(const struct rule *r, char *buf, size_t bufsz);
void	rstore_close(struct rstore *rs);

#endif
