/* rcli.c: see rcli.h. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/read.h>

#include "rcli.h"

static int
fail(struct rcli *c, const char *what, int err)
{
	if (err)
		snprintf(c->err, sizeof(c->err), "%s: %s", what,
		    strerror(err));
	else
		snprintf(c->err, sizeof(c->err), "%s", what);
	return -1;
}

int
raddr_parse(const char *s, struct raddr *a, const char **err)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;
	struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;
	char host[64];
	const char *p, *port;
	char *end;
	size_t hl;
	long n;

	memset(a, 0, sizeof(*a));
	if (strlcpy(a->text, s, sizeof(a->text)) >= sizeof(a->text))
		return *err = "address too long", -1;
	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/' || strlen(s + 5) >= sizeof(un->sun_path))
			return *err = "unix: needs an absolute path of at "
			    "most 107 bytes", -1;
		a->family = un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s + 5, strlen(s + 5) + 1);
		a->salen = sizeof(*un);
		return 0;
	}
	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':')
			return *err = "an IPv6 address is written [ADDR]:PORT",
			    -1;
		hl = (size_t)(p - s - 1);
		port = p + 2;
		s++;
	} else {
		if ((p = strrchr(s, ':')) == NULL)
			return *err = "no :PORT (unix:/path, IPv4:port, "
			    "[IPv6]:port)", -1;
		hl = (size_t)(p - s);
		port = p + 1;
	}
	if (hl >= sizeof(host))
		return *err = "not a numeric address", -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	errno = 0;
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n < 1 || n > 65535 || errno)
		return *err = "bad port", -1;
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		a->family = in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)n);
		a->salen = sizeof(*in);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		a->family = in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)n);
		a->salen = sizeof(*in6);
	} else
		return *err = "not a numeric address (host names are not "
		    "resolved)", -1;
	return 0;
}

static long
msnow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on c->fd until the deadline: 1 ready, 0 timed out. */
static int
waitfd(struct rcli *c, short events, long deadline)
{
	struct pollfd p;
	long left;
	int n;

	p.fd = c->fd;
	p.events = events;
	for (;;) {
		if ((left = deadline - msnow()) < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n >= 0 || errno != EINTR)
			return n > 0 ? 1 : n;
	}
}

/* hiredis's reader builds our replies */
static void *
attach(const redisReadTask *t, struct rrep *r)
{
	struct rrep *parent;

	if (r == NULL)
		return NULL;
	r->type = t->type;
	if (t->parent != NULL) {
		parent = t->parent->obj;
		parent->element[t->idx] = r;
	}
	return r;
}

static void *
mkstring(const redisReadTask *t, char *s, size_t len)
{
	struct rrep *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->str = malloc(len + 1)) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->str, s, len);
	r->str[len] = '\0';
	r->len = len;
	return attach(t, r);
}

static void *
mkarray(const redisReadTask *t, int n)
{
	struct rrep *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (n > 0 && (r->element = calloc((size_t)n, sizeof(struct rrep *))) ==
	    NULL) {
		free(r);
		return NULL;
	}
	r->elements = n > 0 ? (size_t)n : 0;
	return attach(t, r);
}

static void *
mkinteger(const redisReadTask *t, long long v)
{
	struct rrep *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->integer = v;
	return attach(t, r);
}

static void *
mknil(const redisReadTask *t)
{
	return attach(t, calloc(1, sizeof(struct rrep)));
}

void
rrep_free(struct rrep *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->elements; i++)
		rrep_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

static void
freeobj(void *p)
{
	rrep_free(p);
}

static redisReplyObjectFunctions funcs = {
	mkstring, mkarray, mkinteger, mknil, freeobj
};

int
rcli_connect(struct rcli *c, const struct raddr *a, long ctimeout,
    long timeout)
{
	long deadline = msnow() + ctimeout;
	socklen_t sl = sizeof(int);
	int e;

	memset(c, 0, sizeof(*c));
	c->timeout = timeout;
	if ((c->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		return fail(c, "socket", errno);
	if (connect(c->fd, (const struct sockaddr *)&a->sa, a->salen) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			return e = errno, rcli_close(c), fail(c, "connect", e);
		if ((e = waitfd(c, POLLOUT, deadline)) <= 0) {
			e = e == 0 ? 0 : errno;
			rcli_close(c);
			if (e == 0)
				snprintf(c->err, sizeof(c->err), "connect: no "
				    "answer within %ld ms", ctimeout);
			return e == 0 ? -1 : fail(c, "connect", e);
		}
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 ||
		    e != 0) {
			e = e ? e : errno;
			rcli_close(c);
			return fail(c, "connect", e);
		}
	}
	if ((c->reader = redisReaderCreateWithFunctions(&funcs)) == NULL) {
		rcli_close(c);
		return fail(c, "out of memory", 0);
	}
	return 0;
}

static int
put(struct rcli *c, const char *s, size_t n)
{
	char *p;
	size_t sz;

	if (c->outlen + n > c->outsz) {
		sz = c->outsz ? c->outsz : 1024;
		while (sz < c->outlen + n)
			sz *= 2;
		if ((p = realloc(c->out, sz)) == NULL)
			return fail(c, "out of memory", 0);
		c->out = p;
		c->outsz = sz;
	}
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
	return 0;
}

int
rcli_append(struct rcli *c, int argc, const char *const *argv,
    const size_t *len)
{
	char num[32];
	int i, n;

	n = snprintf(num, sizeof(num), "*%d\r\n", argc);
	if (put(c, num, (size_t)n) < 0)
		return -1;
	for (i = 0; i < argc; i++) {
		n = snprintf(num, sizeof(num), "$%zu\r\n", len[i]);
		if (put(c, num, (size_t)n) < 0 || put(c, argv[i], len[i]) < 0 ||
		    put(c, "\r\n", 2) < 0)
			return -1;
	}
	return 0;
}

static int
sendall(struct rcli *c, long deadline)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->outlen) {
		n = send(c->fd, c->out + off, c->outlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return fail(c, "send", errno);
		if (waitfd(c, POLLOUT, deadline) <= 0)
			return snprintf(c->err, sizeof(c->err), "no room to "
			    "send within %ld ms", c->timeout), -1;
	}
	c->outlen = 0;
	c->unknown = 1;		/* sent whole: from now on it may run */
	return 0;
}

static int
readone(struct rcli *c, struct rrep **rep, long deadline)
{
	char buf[16384];
	void *r = NULL;
	ssize_t n;

	for (;;) {
		if (redisReaderGetReply(c->reader, &r) != REDIS_OK)
			return fail(c, "protocol error", 0);
		if (r != NULL) {
			*rep = r;
			return 0;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (redisReaderFeed(c->reader, buf, (size_t)n) !=
			    REDIS_OK)
				return fail(c, "protocol error", 0);
			continue;
		}
		if (n == 0)
			return fail(c, "connection closed", 0);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return fail(c, "recv", errno);
		if (waitfd(c, POLLIN, deadline) <= 0)
			return snprintf(c->err, sizeof(c->err), "no reply "
			    "within %ld ms", c->timeout), -1;
	}
}

int
rcli_exchange(struct rcli *c, struct rrep **rep, int n)
{
	long deadline = msnow() + c->timeout;
	int i;

	c->unknown = 0;
	for (i = 0; i < n; i++)
		rep[i] = NULL;
	if (sendall(c, deadline) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (readone(c, &rep[i], deadline) < 0)
			goto fail;
	c->unknown = 0;
	return 0;
fail:
	for (i = 0; i < n; i++) {
		rrep_free(rep[i]);
		rep[i] = NULL;
	}
	return -1;
}

void
rcli_close(struct rcli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->reader != NULL)
		redisReaderFree(c->reader);
	c->reader = NULL;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outsz = 0;
}
