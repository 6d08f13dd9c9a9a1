/* rstore.c: see rstore.h. One exchange per decision: AUTH (when a
 * password file is set) and FCALL of the function library made from the
 * compiled-in script (DECIDE_LIB_NAME, loaded by overlimitctl load)
 * pipelined; when Redis has no such function, EVALSHA of the script
 * instead, EVAL after a NOSCRIPT; under Sentinel the master's address is cached
 * in the counter directory and asked again only when the master cannot
 * be reached or answers READONLY, then tried once more. A connect failure
 * is remembered (RSTORE_DOWNFILE) for OVERLIMIT_REDIS_RETRY seconds: a
 * dead server costs one connect timeout per host every few seconds, not
 * one per recipient. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/read.h>

#include "decide.lua.h"
#include "prog.h"
#include "rstore.h"

#define NKEYS	7
#define NARGS	12

/* fmt with two strings into buf, a cut shown as "..." */
static void
say(char *buf, size_t sz, const char *fmt, const char *a, const char *b)
{
	int n = snprintf(buf, sz, fmt, a, b ? b : "");

	if (n < 0 || (size_t)n >= sz)
		memcpy(buf + sz - 4, "...", 4);
}

static int
fail(struct rstore *rs, int kind, const char *fmt, const char *a,
    const char *b)
{
	rs->fail = kind;
	say(rs->err, sizeof(rs->err), fmt, a, b);
	return -1;
}

/* The password file: "PASSWORD" or "USER PASSWORD" on its first line;
 * refused when the group or others may read it. */
static int
passfile(struct rstore *rs, const char *path)
{
	char buf[400], *nl, *sp;
	struct stat sb;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return fail(rs, RSTORE_ECONFIG, "redis: password file %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_mode & 044) != 0) {
		close(fd);
		return fail(rs, RSTORE_ECONFIG, "redis: password file %s: "
		    "%s", path, "not a regular file, or readable by group or "
		    "others (chmod 600)");
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return fail(rs, RSTORE_ECONFIG, "redis: password file %s: %s",
		    path, n < 0 ? strerror(errno) : "empty");
	buf[n] = '\0';
	if ((nl = strpbrk(buf, "\r\n")) != NULL)
		*nl = '\0';
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp++ = '\0';
		if (strlcpy(rs->user, buf, sizeof(rs->user)) >= sizeof(rs->user))
			return fail(rs, RSTORE_ECONFIG, "redis: password file "
			    "%s: %s", path, "user name too long");
	} else
		sp = buf;
	if (*sp == '\0' || strlcpy(rs->pass, sp, sizeof(rs->pass)) >=
	    sizeof(rs->pass))
		return fail(rs, RSTORE_ECONFIG, "redis: password file %s: %s",
		    path, "no password, or too long");
	explicit_bzero(buf, sizeof(buf));
	rs->auth = 1;
	return 0;
}

/* "sentinel:NAME@addr,addr,...", or one server's address. */
static int
addresses(struct rstore *rs, const char *spec)
{
	char list[1024], *p, *nxt;
	const char *at, *err;

	if (strncmp(spec, "sentinel:", 9) != 0) {
		rs->naddr = 1;
		if (raddr_parse(spec, &rs->addr[0], &err) < 0)
			return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS=%s: %s",
			    spec, err);
		rs->cur = rs->addr[0];
		return 0;
	}
	rs->sentinel = 1;
	if ((at = strchr(spec + 9, '@')) == NULL || at == spec + 9 ||
	    (size_t)(at - spec - 9) >= sizeof(rs->master))
		return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS=%s: %s", spec,
		    "sentinel:MASTERNAME@addr,addr,...");
	memcpy(rs->master, spec + 9, (size_t)(at - spec - 9));
	rs->master[at - spec - 9] = '\0';
	if (strlcpy(list, at + 1, sizeof(list)) >= sizeof(list))
		return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS=%s: %s", spec,
		    "too long");
	for (p = list; p != NULL; p = nxt) {
		if ((nxt = strchr(p, ',')) != NULL)
			*nxt++ = '\0';
		if (rs->naddr == RSTORE_MAXADDR)
			return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS=%s: %s",
			    spec, "at most 8 sentinels");
		if (raddr_parse(p, &rs->addr[rs->naddr++], &err) < 0)
			return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS: "
			    "sentinel %s: %s", p, err);
	}
	return 0;
}

/* The session's host for mass=: OVERLIMIT_HOST, else the node name; only
 * letters, digits, ".", "-", "_" kept. */
static void
hostname(struct rstore *rs)
{
	const char *h = prog_env("OVERLIMIT_HOST", NULL);
	struct utsname u;
	size_t i, j = 0;

	if (h == NULL)
		h = uname(&u) == 0 ? u.nodename : "-";
	for (i = 0; h[i] != '\0' && j < sizeof(rs->host) - 1; i++)
		if ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '.' || h[i] == '-' || h[i] == '_')
			rs->host[j++] = h[i];
	if (j == 0)
		rs->host[j++] = '-';
	rs->host[j] = '\0';
}

int
rstore_init(struct rstore *rs, const char *dir)
{
	const char *spec = prog_env("OVERLIMIT_REDIS", NULL), *p;
	size_t i;

	if (spec == NULL)
		return 1;		/* the file store: nothing more here */
	memset(rs, 0, sizeof(*rs));
	rs->c.fd = -1;
	rs->dir = dir;
	if (addresses(rs, spec) < 0)
		return -1;
	p = prog_env("OVERLIMIT_REDIS_PREFIX", RSTORE_PREFIX);
	for (i = 0; p[i] != '\0'; i++)
		if (p[i] <= ' ' || p[i] > '~')
			break;
	if (p[i] != '\0' || strlcpy(rs->prefix, p, sizeof(rs->prefix)) >=
	    sizeof(rs->prefix))
		return fail(rs, RSTORE_ECONFIG, "OVERLIMIT_REDIS_PREFIX: %s%s",
		    "printable ASCII without spaces, at most 64 bytes", NULL);
	if (prog_envnum("OVERLIMIT_REDIS_CONNECT_TIMEOUT", 1, 60000, 200,
	    &rs->ctimeout) < 0 || prog_envnum("OVERLIMIT_REDIS_TIMEOUT", 1,
	    60000, 1000, &rs->timeout) < 0 || prog_envnum(
	    "OVERLIMIT_REDIS_RETRY", 0, 3600, 5, &rs->retry) < 0 ||
	    prog_envnum("OVERLIMIT_REDIS_KEEP", 0, 366L * 86400, 2L * 86400,
	    &rs->keep) < 0)
		return fail(rs, RSTORE_ECONFIG, "%s%s", "OVERLIMIT_REDIS_"
		    "CONNECT_TIMEOUT, _TIMEOUT (ms), _RETRY or _KEEP (s) "
		    "out of range", NULL);
	if ((p = prog_env("OVERLIMIT_REDIS_PASSFILE", NULL)) != NULL &&
	    passfile(rs, p) < 0)
		return -1;
	hostname(rs);
	return 0;
}

/* ------------------------------------------------------------ connecting */

static void
dirpath(const struct rstore *rs, const char *name, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%s", rs->dir, name);
}

/* A small file in the counter directory, replaced whole. */
static void
putfile(const struct rstore *rs, const char *name, const char *text)
{
	char path[4096], tmp[4200];
	int fd;

	dirpath(rs, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) < 0 || rename(tmp, path) < 0)
		(void)unlink(tmp);
}

static ssize_t
getfile(const struct rstore *rs, const char *name, char *buf, size_t sz)
{
	char path[4096];
	ssize_t n;
	int fd;

	dirpath(rs, name, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* The failure memory: the time of the last connect failure. 1 when it is
 * recent (not tried again yet), 0 when not, -1 when there is none. */
static int
down(struct rstore *rs, time_t now, long *ago)
{
	char buf[32], *end;
	long long t;

	if (getfile(rs, RSTORE_DOWNFILE, buf, sizeof(buf)) < 0)
		return -1;
	t = strtoll(buf, &end, 10);
	*ago = (long)(now - t);
	return end != buf && t <= now && now - t < rs->retry;
}

static int
sentinel(struct rstore *rs)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name",
	    rs->master };
	size_t len[3];
	char addr[RCLI_ADDRMAX], why[300];
	struct rrep *r;
	const char *err;
	int i;

	snprintf(why, sizeof(why), "no sentinel answered");
	for (i = 0; i < 3; i++)
		len[i] = strlen(argv[i]);
	for (i = 0; i < rs->naddr; i++) {
		if (rcli_connect(&rs->c, &rs->addr[i], rs->ctimeout,
		    rs->timeout) < 0) {
			say(why, sizeof(why), "sentinel %s: %s",
			    rs->addr[i].text, rs->c.err);
			continue;
		}
		if (rcli_append(&rs->c, 3, argv, len) < 0 ||
		    rcli_exchange(&rs->c, &r, 1) < 0) {
			say(why, sizeof(why), "sentinel %s: %s",
			    rs->addr[i].text, rs->c.err);
			rcli_close(&rs->c);
			continue;
		}
		rcli_close(&rs->c);
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_STRING) {
			say(why, sizeof(why), "sentinel %s: no master %s",
			    rs->addr[i].text, rs->master);
			rrep_free(r);
			continue;
		}
		snprintf(addr, sizeof(addr), strchr(r->element[0]->str, ':') ?
		    "[%s]:%s" : "%s:%s", r->element[0]->str,
		    r->element[1]->str);
		rrep_free(r);
		if (raddr_parse(addr, &rs->cur, &err) < 0) {
			say(why, sizeof(why), "sentinel %s: master: %s",
			    rs->addr[i].text, err);
			continue;
		}
		putfile(rs, RSTORE_MASTERFILE, addr);
		return 0;
	}
	return fail(rs, RSTORE_ECONNECT, "redis: %s%s", why, NULL);
}

/* Connect to the server, or to the master the sentinels name (the cached
 * address first unless ask). */
static int
connectto(struct rstore *rs, int ask, time_t now)
{
	char buf[RCLI_ADDRMAX];
	const char *err;
	long ago = 0;
	int d;

	if (rs->connected) {
		rcli_close(&rs->c);
		rs->connected = 0;
	}
	if ((d = down(rs, now, &ago)) == 1 && !ask) {
		snprintf(buf, sizeof(buf), "%ld", ago);
		return fail(rs, RSTORE_ECONNECT, "redis: not tried: it could "
		    "not be reached %ss ago (OVERLIMIT_REDIS_RETRY)%s", buf,
		    NULL);
	}
	if (rs->sentinel && (ask || getfile(rs, RSTORE_MASTERFILE, buf,
	    sizeof(buf)) < 0 || raddr_parse(buf, &rs->cur, &err) < 0)) {
		if (sentinel(rs) < 0)
			goto down;
		ask = 1;
	}
	if (rcli_connect(&rs->c, &rs->cur, rs->ctimeout, rs->timeout) < 0) {
		if (rs->sentinel && !ask)
			return connectto(rs, 1, now);
		fail(rs, RSTORE_ECONNECT, "redis %s: %s", rs->cur.text,
		    rs->c.err);
		goto down;
	}
	rs->connected = 1;
	if (d >= 0) {
		dirpath(rs, RSTORE_DOWNFILE, buf, sizeof(buf));
		(void)unlink(buf);
	}
	return 0;
down:
	snprintf(buf, sizeof(buf), "%lld\n", (long long)now);
	putfile(rs, RSTORE_DOWNFILE, buf);
	return -1;
}

/* ------------------------------------------------------------ calling */

static int
authfirst(struct rstore *rs)
{
	const char *argv[3] = { "AUTH", rs->user, rs->pass };
	size_t len[3];

	if (!rs->auth)
		return 0;
	len[0] = 4;
	len[1] = strlen(rs->user);
	len[2] = strlen(rs->pass);
	if (rs->user[0] == '\0')
		return rcli_append(&rs->c, 2, (const char *const[]){ "AUTH",
		    rs->pass }, (const size_t[]){ 4, len[2] });
	return rcli_append(&rs->c, 3, argv, len);
}

/* A reply's error, for the log: "redis: OOM command not allowed ..." */
static int
replyerr(struct rstore *rs, const char *what, const struct rrep *r)
{
	char text[300];
	size_t i;

	snprintf(text, sizeof(text), "%s", r->str ? r->str : "?");
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] < ' ' || text[i] > '~')
			text[i] = '?';
	return fail(rs, RSTORE_EREPLY, "redis %s: %s", what, text);
}

/* Send argv (with AUTH first when set) and read its reply. */
static int
exchange(struct rstore *rs, int argc, const char *const *argv,
    const size_t *len, struct rrep **rep)
{
	struct rrep *r[2];
	int n = rs->auth ? 2 : 1;

	if (authfirst(rs) < 0 || rcli_append(&rs->c, argc, argv, len) < 0 ||
	    rcli_exchange(&rs->c, r, n) < 0) {
		if (rs->c.unknown)
			return fail(rs, RSTORE_EUNKNOWN, "redis %s: %s: outcome "
			    "unknown", rs->cur.text, rs->c.err);
		return fail(rs, RSTORE_ECONNECT, "redis %s: %s", rs->cur.text,
		    rs->c.err);
	}
	if (n == 2) {
		if (r[0]->type == REDIS_REPLY_ERROR) {
			replyerr(rs, "AUTH", r[0]);
			rrep_free(r[0]);
			rrep_free(r[1]);
			return -1;
		}
		rrep_free(r[0]);
		r[0] = r[1];
	}
	*rep = r[0];
	return 0;
}

static int
isreadonly(const struct rrep *r)
{
	return r->type == REDIS_REPLY_ERROR && r->str != NULL &&
	    strncmp(r->str, "READONLY", 8) == 0;
}

/* FCALL's answer when Redis has not this library's function: not loaded
 * (or another version's only), a Redis before 7.0, an ACL user without
 * +fcall (INSTALL's line before 2.x). An error of the function itself,
 * or of a command it calls, is none of these. */
static int
nofunction(const struct rrep *r)
{
	return r->type == REDIS_REPLY_ERROR && r->str != NULL &&
	    (strncmp(r->str, "ERR Function not found", 22) == 0 ||
	    strncmp(r->str, "ERR unknown command", 19) == 0 ||
	    (strncmp(r->str, "NOPERM", 6) == 0 &&
	    strstr(r->str, "'fcall'") != NULL));
}

/* EVALSHA, EVAL after NOSCRIPT */
static int
evalsha(struct rstore *rs, int argc, const char **argv, size_t *len,
    struct rrep **rep)
{
	int rc;

	argv[0] = "EVALSHA";
	argv[1] = DECIDE_LUA_SHA1;
	len[0] = 7;
	len[1] = strlen(DECIDE_LUA_SHA1);
	if ((rc = exchange(rs, argc, argv, len, rep)) == 0 &&
	    (*rep)->type == REDIS_REPLY_ERROR &&
	    strncmp((*rep)->str, "NOSCRIPT", 8) == 0) {
		rrep_free(*rep);
		argv[0] = "EVAL";
		argv[1] = decide_lua;
		len[0] = 4;
		len[1] = sizeof(decide_lua) - 1;
		rc = exchange(rs, argc, argv, len, rep);
	}
	return rc;
}

/* FCALL; without the function EVALSHA (and no FCALL again from this
 * process), EVAL after NOSCRIPT; under Sentinel, a master that cannot be
 * reached or answers READONLY makes it ask again and try once more. */
static int
script(struct rstore *rs, int argc, const char **argv, size_t *len,
    struct rrep **rep, time_t now)
{
	int attempt, rc;

	for (attempt = 0; attempt < 2; attempt++) {
		if (!rs->connected && connectto(rs, attempt > 0, now) < 0)
			return -1;
		rc = 1;			/* not asked yet */
		if (!rs->nofunc) {
			argv[0] = "FCALL";
			argv[1] = DECIDE_LIB_NAME;
			len[0] = 5;
			len[1] = strlen(DECIDE_LIB_NAME);
			if ((rc = exchange(rs, argc, argv, len, rep)) == 0 &&
			    nofunction(*rep)) {
				rrep_free(*rep);
				rs->nofunc = 1;
				rc = 1;
			}
		}
		if (rc == 1)
			rc = evalsha(rs, argc, argv, len, rep);
		if (rc < 0 && (!rs->sentinel || rs->fail != RSTORE_ECONNECT ||
		    attempt > 0))
			return -1;
		if (rc == 0 && (!rs->sentinel || !isreadonly(*rep) ||
		    attempt > 0))
			break;
		if (rc == 0)
			rrep_free(*rep);
		rcli_close(&rs->c);
		rs->connected = 0;
	}
	if ((*rep)->type == REDIS_REPLY_ERROR) {
		replyerr(rs, "script", *rep);
		rrep_free(*rep);
		return -1;
	}
	if ((*rep)->type != REDIS_REPLY_ARRAY || (*rep)->elements < 2 ||
	    (*rep)->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp((*rep)->element[0]->str, "rol1") != 0) {
		rrep_free(*rep);
		return fail(rs, RSTORE_EREPLY, "redis %s: %s: not the script's "
		    "reply", rs->cur.text, NULL);
	}
	return 0;
}

void
rstore_fmtrule(const struct rule *r, char *buf, size_t bufsz)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, bufsz, "%d", r->nwin);
	for (i = 0; i < r->nwin && n < bufsz; i++)
		n += (size_t)snprintf(buf + n, bufsz - n, " %lu %lu",
		    (unsigned long)r->win[i].period,
		    (unsigned long)r->win[i].limit);
	if (n < bufsz)
		snprintf(buf + n, bufsz - n, " %u %u %u %lu %lu %lu %lu %lu "
		    "%lu %lu %lu", r->flags & (RULE_DRYRUN | RULE_STRICT |
		    RULE_QUIET), r->ban, r->warn, (unsigned long)r->nets,
		    (unsigned long)r->netsper, (unsigned long)r->massn,
		    (unsigned long)r->massr, (unsigned long)r->massper,
		    (unsigned long)r->dormant, (unsigned long)r->warmn,
		    (unsigned long)r->warmper);
}

/* The keys of a counter: its state, records and side state. */
struct keys {
	char	k[NKEYS][sizeof(((struct rstore *)0)->prefix) +
		    NAME_ENCMAX + 8];
};

static void
keysof(const struct rstore *rs, struct keys *k, const char *counter,
    const char *pool)
{
	/* cppcheck-suppress ctuuninitvar ; every key is written here */
	snprintf(k->k[0], sizeof(k->k[0]), "%sh:%s", rs->prefix, counter);
	snprintf(k->k[1], sizeof(k->k[1]), "%sr:%s", rs->prefix, counter);
	snprintf(k->k[2], sizeof(k->k[2]), "%sx:%s", rs->prefix, counter);
	snprintf(k->k[3], sizeof(k->k[3]), "%sh:%s", rs->prefix, pool);
	snprintf(k->k[4], sizeof(k->k[4]), "%sr:%s", rs->prefix, pool);
	snprintf(k->k[5], sizeof(k->k[5]), "%sh:*", rs->prefix);
	snprintf(k->k[6], sizeof(k->k[6]), "%sr:*", rs->prefix);
}

int
rstore_op(struct rstore *rs, const char *op, const char *counter, int argc,
    const char *const *args, struct rrep **rep)
{
	const char *argv[3 + NKEYS + 2 + NARGS];
	size_t len[3 + NKEYS + 2 + NARGS];
	struct keys k;
	int i, n = 0;

	if (argc > NARGS)
		return fail(rs, RSTORE_ECONFIG, "%s%s", "too many arguments",
		    NULL);
	keysof(rs, &k, counter, "@");
	argv[2] = "7";
	n = 3;
	for (i = 0; i < NKEYS; i++)
		argv[n++] = k.k[i];
	argv[n++] = op;
	argv[n++] = "1";
	for (i = 0; i < argc; i++)
		argv[n++] = args[i];
	for (i = 2; i < n; i++)
		len[i] = strlen(argv[i]);
	return script(rs, n, argv, len, rep, time(NULL));
}

/* An admin's command: connected first if need be, then one exchange;
 * the reply, an error reply too, in *rep. 0, or -1 (rs->err). */
static int
request(struct rstore *rs, int argc, const char *const *argv,
    const size_t *len, struct rrep **rep)
{
	if (!rs->connected && connectto(rs, 0, time(NULL)) < 0)
		return -1;
	return exchange(rs, argc, argv, len, rep);
}

int
rstore_cmd(struct rstore *rs, int argc, const char *const *argv,
    struct rrep **rep)
{
	size_t len[16];
	int i;

	if (argc > 16)
		return fail(rs, RSTORE_ECONFIG, "%s%s", "too many arguments",
		    NULL);
	for (i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	if (request(rs, argc, argv, len, rep) < 0)
		return -1;
	if ((*rep)->type == REDIS_REPLY_ERROR) {
		replyerr(rs, argv[0], *rep);
		rrep_free(*rep);
		return -1;
	}
	return 0;
}

const char *
rstore_libname(void)
{
	return DECIDE_LIB_NAME;
}

int
rstore_load(struct rstore *rs)
{
	const char *argv[3] = { "FUNCTION", "LOAD", decide_lib };
	size_t len[3] = { 8, 4, sizeof(decide_lib) - 1 };
	struct rrep *r;
	int rc = 1;

	if (request(rs, 3, argv, len, &r) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR && r->str != NULL &&
	    strncmp(r->str, "ERR Library '", 13) == 0 &&
	    strstr(r->str, "' already exists") != NULL)
		rc = 0;
	else if (r->type == REDIS_REPLY_ERROR) {
		replyerr(rs, "FUNCTION LOAD", r);
		rc = -1;
	}
	rrep_free(r);
	return rc;
}

int
rstore_haslib(struct rstore *rs)
{
	const char *argv[3] = { "FCALL", DECIDE_LIB_NAME, "0" };
	size_t len[3] = { 5, strlen(DECIDE_LIB_NAME), 1 };
	struct rrep *r;
	int rc = 1;

	if (request(rs, 3, argv, len, &r) < 0)
		return -1;
	if (nofunction(r))
		rc = 0;
	else if (r->type != REDIS_REPLY_ERROR || r->str == NULL ||
	    strncmp(r->str, "ROL ", 4) != 0) {
		replyerr(rs, "FCALL", r);
		rc = -1;
	}
	rrep_free(r);
	return rc;
}

/* ------------------------------------------------------------ the reply */

struct cursor {
	const struct rrep	*r;
	size_t			i;
	int			bad;
};

static long long
next(struct cursor *c, long long lo, long long hi)
{
	const struct rrep *e;

	if (c->i >= c->r->elements || (e = c->r->element[c->i++])->type !=
	    REDIS_REPLY_INTEGER || e->integer < lo || e->integer > hi) {
		c->bad = 1;
		return lo;
	}
	return e->integer;
}

#define BIG	(1LL << 53)

static void
verdict(struct cursor *c, struct verdict *v, int nwin)
{
	int i, n;

	memset(v, 0, sizeof(*v));
	v->accepted = (int)next(c, 0, 1);
	v->over = (int)next(c, -1, nwin > 0 ? nwin - 1 : -1);
	v->banned = (int)next(c, 0, 1);
	v->newban = (int)next(c, 0, 1);
	v->dryrun = (int)next(c, 0, 1);
	v->event = (int)next(c, EV_NONE, EV_DORMANT);
	v->retry = next(c, 0, BIG);
	v->raised = (uint32_t)next(c, 0, RULE_MAXLIMIT);
	v->why = (int)next(c, WHY_NONE, WHY_SERVER);
	v->ocount = (uint64_t)next(c, 0, BIG);
	v->olimit = (uint32_t)next(c, 0, RULE_MAXLIMIT);
	v->operiod = (uint32_t)next(c, 0, RULE_MAXPERIOD);
	v->warm = (int)next(c, 0, 1);
	v->woke = (int)next(c, 0, 1);
	n = (int)next(c, 0, RULE_MAXWIN);
	if (n != nwin && !(n == 0 && nwin < 0))
		c->bad = 1;
	for (i = 0; i < n && !c->bad; i++)
		v->count[i] = (uint64_t)next(c, 0, BIG);
	for (i = 0; i < n && !c->bad; i++)
		v->limit[i] = (uint32_t)next(c, 0, RULE_MAXLIMIT);
}

/* 1 and the verdict when it counted, else 0 alone (the verdict of none) */
static void
aggregate(struct cursor *c, const struct rule *r, struct aggregate *g)
{
	g->counted = (int)next(c, 0, r != NULL);
	if (g->counted && !c->bad)
		verdict(c, &g->v, r->nwin);
	else {
		memset(&g->v, 0, sizeof(g->v));
		g->v.over = -1;
	}
}

/* The script's reply into the outcome, every element checked. */
static int
parse(struct rstore *rs, const struct request *rq, const struct rrep *r,
    struct outcome *out)
{
	static const char *const keys[] = { "side_error", "pool_error",
	    "server_error" };
	struct cursor c = { r, 1, 0 };
	const struct rrep *e;
	int i, j, n;

	out->result = (int)next(&c, OUT_ACCEPT, OUT_FREE);
	if (out->result == OUT_MSG)
		c.bad = 1;
	verdict(&c, &out->v, out->result == OUT_FREE ? 0 : rq->rule->nwin);
	out->total = (uint64_t)next(&c, 0, BIG);
	out->warmcount = (uint32_t)next(&c, 0, UINT32_MAX);
	out->nets = (uint32_t)next(&c, 0, RULE_SIGMAX + 1);
	aggregate(&c, rq->pool, &out->pool);
	aggregate(&c, rq->server, &out->server);
	n = (int)next(&c, 0, 4);
	for (i = 0; i < n && !c.bad; i++, c.i += 2) {
		if (c.i + 1 >= r->elements ||
		    r->element[c.i]->type != REDIS_REPLY_STRING ||
		    (e = r->element[c.i + 1])->type != REDIS_REPLY_STRING) {
			c.bad = 1;
			break;
		}
		for (j = 0; j < 3; j++)
			if (strcmp(r->element[c.i]->str, keys[j]) == 0)
				break;
		if (j == 3 || out->nerr == DECIDE_ERRMAX)
			continue;
		out->err[out->nerr].key = keys[j];
		strlcpy(out->err[out->nerr].text, e->str,
		    sizeof(out->err[0].text));
		out->nerr++;
	}
	if (c.bad || c.i != r->elements || (out->result == OUT_FREE) !=
	    (rq->kind != RCPT_RELAYED))
		return fail(rs, RSTORE_EREPLY, "redis %s: %s", rs->cur.text,
		    "the script's reply does not validate: outcome unknown");
	return 0;
}

/* The request as the script's keys and arguments. */
int
rstore_decide(struct rstore *rs, const struct request *rq,
    struct outcome *out)
{
	const char *argv[3 + NKEYS + NARGS];
	size_t len[3 + NKEYS + NARGS];
	char rule[3][400], num[3][24], session[96], net[33];
	const struct rule *r = rq->rule;
	struct rrep *rep;
	struct keys k;
	int i, n, rc;

	memset(out, 0, sizeof(*out));
	if (decide_msg(rq, out))
		return 0;
	if (rq->kind != RCPT_RELAYED && (r->massn == 0 || rq->count < 0 ||
	    (rq->count != 0 && (uint32_t)rq->count + 1 < r->massr))) {
		out->result = OUT_FREE;		/* nothing to note */
		out->v.accepted = 1;
		out->v.over = -1;
		return 0;
	}
	keysof(rs, &k, rq->id->counter, rq->pool ? rq->poolkey : "@");
	rstore_fmtrule(r, rule[0], sizeof(rule[0]));
	rule[1][0] = rule[2][0] = '\0';
	if (rq->pool != NULL)
		rstore_fmtrule(rq->pool, rule[1], sizeof(rule[1]));
	if (rq->server != NULL)
		rstore_fmtrule(rq->server, rule[2], sizeof(rule[2]));
	snprintf(num[0], sizeof(num[0]), "%ld", rq->count);
	snprintf(num[1], sizeof(num[1]), "%ld", rq->all);
	snprintf(num[2], sizeof(num[2]), "%ld", rs->keep);
	snprintf(session, sizeof(session), "%s:%lu", rs->host,
	    (unsigned long)rq->session);
	net[0] = '\0';
	for (i = 0; rq->havenet && i < 16; i++)
		snprintf(net + 2 * i, 3, "%02x", rq->net[i]);
	n = 0;
	argv[n++] = NULL;
	argv[n++] = NULL;
	argv[n++] = "7";
	for (i = 0; i < NKEYS; i++)
		argv[n++] = k.k[i];
	argv[n++] = "decide";
	argv[n++] = "1";
	argv[n++] = rule[0];
	argv[n++] = rule[1];
	argv[n++] = rule[2];
	argv[n++] = rq->kind == RCPT_RELAYED ? "0" : "1";
	argv[n++] = num[0];
	argv[n++] = num[1];
	argv[n++] = session;
	argv[n++] = net;
	argv[n++] = rq->strict ? "1" : "0";
	argv[n++] = num[2];
	for (i = 2; i < n; i++)
		len[i] = strlen(argv[i]);
	if (script(rs, n, argv, len, &rep, rq->now) < 0) {
		strlcpy(out->fail, rs->err, sizeof(out->fail));
		return -1;
	}
	rc = parse(rs, rq, rep, out);
	rrep_free(rep);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		strlcpy(out->fail, rs->err, sizeof(out->fail));
	}
	return rc;
}

void
rstore_close(struct rstore *rs)
{
	if (rs->connected)
		rcli_close(&rs->c);
	rs->connected = 0;
	explicit_bzero(rs->pass, sizeof(rs->pass));
}

/* SCAN's pattern for the prefix: its glob characters escaped. */
static void
pattern(const struct rstore *rs, char *buf, size_t sz)
{
	size_t i, j = 0;

	for (i = 0; rs->prefix[i] != '\0' && j + 6 < sz; i++) {
		if (strchr("*?[]\\", rs->prefix[i]) != NULL)
			buf[j++] = '\\';
		buf[j++] = rs->prefix[i];
	}
	memcpy(buf + j, "h:*", 4);
}

int
rstore_each(struct rstore *rs, int (*fn)(void *, const char *), void *arg)
{
	char cursor[32] = "0", pat[2 * sizeof(rs->prefix) + 8];
	const char *argv[6] = { "SCAN", cursor, "MATCH", pat, "COUNT",
	    "1000" };
	size_t plen = strlen(rs->prefix) + 2, i;
	struct rrep *r, *keys;

	pattern(rs, pat, sizeof(pat));
	do {
		if (rstore_cmd(rs, 6, argv, &r) < 0)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    (keys = r->element[1])->type != REDIS_REPLY_ARRAY ||
		    strlcpy(cursor, r->element[0]->str, sizeof(cursor)) >=
		    sizeof(cursor)) {
			rrep_free(r);
			return fail(rs, RSTORE_EREPLY, "redis %s: %s",
			    rs->cur.text, "SCAN: unexpected reply");
		}
		for (i = 0; i < keys->elements; i++)
			if (keys->element[i]->type == REDIS_REPLY_STRING &&
			    keys->element[i]->len > plen &&
			    keys->element[i]->len - plen <= NAME_ENCMAX &&
			    fn(arg, keys->element[i]->str + plen) < 0) {
				rrep_free(r);
				return -1;
			}
		rrep_free(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}
