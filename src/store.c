/* store.c: the counter store of DESIGN.md "Counter store". */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "le.h"
#include "store.h"

static const unsigned char magic[8] = { 'R', 'C', 'P', 'T', 'O', 'L', '1', '\n' };

#define CLASSICMAX	(1 << 20)	/* largest classic 'X' file read */

static void
hdr_encode(const struct store_hdr *h, unsigned char *b)
{
	int i;

	memset(b, 0, STORE_HDRSIZE);
	memcpy(b, magic, sizeof(magic));
	le_put32(b + 8, STORE_HDRSIZE);
	le_put32(b + 12, STORE_RECSIZE);
	le_put32(b + 16, h->nrec);
	le_put32(b + 20, h->flags);
	le_put64(b + 24, h->total);
	le_put64(b + 32, h->refused);
	le_put64(b + 40, (uint64_t)h->last_accept);
	le_put64(b + 48, (uint64_t)h->reset);
	le_put64(b + 56, (uint64_t)h->last_refuse);
	le_put64(b + 64, h->base);
	for (i = 0; i < RULE_MAXWIN; i++) {
		le_put32(b + 72 + 16 * i, h->hint[i].period);
		le_put32(b + 76 + 16 * i, h->hint[i].first);
	}
	le_put64(b + 200, (uint64_t)h->raise_until);
	le_put32(b + 208, h->raise_factor);
	le_put64(b + 212, (uint64_t)h->ban_since);
	le_put32(b + 220, h->notified);
	le_put64(b + 224, (uint64_t)h->warm_until);
	le_put32(b + 232, h->warm_count);
	le_put32(b + 236, h->keep);
	le_put32(b + 240, h->sidekeep);
	le_put32(b + 244, h->hflags);
	le_put64(b + 248, h->limref);
}

static int
hdr_decode(struct store_hdr *h, const unsigned char *b)
{
	int i;

	if (memcmp(b, magic, sizeof(magic)) != 0 ||
	    le_get32(b + 8) != STORE_HDRSIZE || le_get32(b + 12) != STORE_RECSIZE)
		return -1;
	h->nrec = le_get32(b + 16);
	h->flags = le_get32(b + 20);
	h->total = le_get64(b + 24);
	h->refused = le_get64(b + 32);
	h->last_accept = (int64_t)le_get64(b + 40);
	h->reset = (int64_t)le_get64(b + 48);
	h->last_refuse = (int64_t)le_get64(b + 56);
	h->base = le_get64(b + 64);
	for (i = 0; i < RULE_MAXWIN; i++) {
		h->hint[i].period = le_get32(b + 72 + 16 * i);
		h->hint[i].first = le_get32(b + 76 + 16 * i);
	}
	h->raise_until = (int64_t)le_get64(b + 200);
	h->raise_factor = le_get32(b + 208);
	h->ban_since = (int64_t)le_get64(b + 212);
	h->notified = le_get32(b + 220);
	h->warm_until = (int64_t)le_get64(b + 224);
	h->warm_count = le_get32(b + 232);
	h->keep = le_get32(b + 236);
	h->sidekeep = le_get32(b + 240);
	h->hflags = le_get32(b + 244);
	h->limref = le_get64(b + 248);
	return h->nrec > STORE_MAXREC ? -1 : 0;
}

static int
fail(struct client *c, const char *what, int err)
{
	if (err)
		snprintf(c->err, sizeof(c->err), "%s %s: %s", what, c->name,
		    strerror(err));
	else
		snprintf(c->err, sizeof(c->err), "%s: %s", c->name, what);
	return -1;
}

int
store_open(struct store *s, const char *dir)
{
	struct stat st;
	int err;

	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (s->dirfd < 0)
		return -1;
	if (fstat(s->dirfd, &st) < 0) {
		err = errno;
		store_close(s);
		errno = err;
		return -1;
	}
	s->uid = st.st_uid;
	s->gid = st.st_gid;
	s->chown = st.st_uid != 0 && geteuid() == 0;
	return 0;
}

int
store_own(const struct store *s, int fd, const struct stat *st)
{
	if (!s->chown || (st->st_uid == s->uid && st->st_gid == s->gid))
		return 0;
	return fchown(fd, s->uid, s->gid);
}

void
store_close(struct store *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}

static const char *
kindof(mode_t m)
{
	if (S_ISLNK(m))
		return "counter file is a symlink";
	if (S_ISDIR(m))
		return "counter file is a directory";
	if (S_ISFIFO(m))
		return "counter file is a FIFO";
	if (S_ISSOCK(m))
		return "counter file is a socket";
	return "counter file is not a regular file";
}

/* Read the header (or a classic file) of the locked c->fd, of size bytes
 * (the caller has just stat'ed it under the lock). */
static int
readhdr(struct client *c, off_t size)
{
	unsigned char b[STORE_HDRSIZE], x[4096];
	ssize_t n;
	off_t off;
	int i;

	memset(&c->h, 0, sizeof(c->h));
	if (size == 0)
		return 0;				/* new client */
	if ((n = pread(c->fd, b, sizeof(b), 0)) < 0)
		return fail(c, "read", errno);
	if (n == STORE_HDRSIZE && hdr_decode(&c->h, b) == 0) {
		if ((uint64_t)size < STORE_HDRSIZE +
		    (uint64_t)c->h.nrec * STORE_RECSIZE)
			return fail(c, "corrupt counter file (short)", 0);
		return 0;
	}
	for (i = 0; i < n && i < 8 && b[i] == 0; i++)
		;
	if (i == n || i == 8) {			/* interrupted creation */
		memset(&c->h, 0, sizeof(c->h));
		return 0;
	}
	if (size > CLASSICMAX)
		return fail(c, "corrupt counter file", 0);
	for (off = 0; off < size; off += n) {	/* classic: all 'X' */
		if ((n = pread(c->fd, x, sizeof(x), off)) <= 0)
			return fail(c, "read", n < 0 ? errno : EIO);
		for (i = 0; i < n; i++)
			if (x[i] != 'X')
				return fail(c, "corrupt counter file", 0);
	}
	memset(&c->h, 0, sizeof(c->h));
	c->h.total = (uint64_t)size;
	c->migrated = 1;
	return 0;
}

int
store_lock(struct store *s, const char *name, int create, struct client *c)
{
	struct flock fl;
	struct stat st, now;
	int tries, flags, err;

	c->fd = -1;
	c->migrated = 0;
	c->cn[0] = c->cn[1] = 0;
	c->cnext = 0;
	c->err[0] = '\0';
	strlcpy(c->name, name, sizeof(c->name));
	flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	if (create)
		flags |= O_CREAT;
	for (tries = 0; tries < 16; tries++) {
		if ((c->fd = openat(s->dirfd, name, flags, 0600)) < 0) {
			if (errno == ENOENT && !create)
				return 1;
			if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0
			    && !S_ISREG(st.st_mode))
				return fail(c, kindof(st.st_mode), 0);
			return fail(c, "open", errno);
		}
		if (fstat(c->fd, &st) < 0) {
			store_unlock(c);
			return fail(c, "stat", errno);
		}
		if (!S_ISREG(st.st_mode)) {
			store_unlock(c);
			return fail(c, kindof(st.st_mode), 0);
		}
		if (store_own(s, c->fd, &st) < 0) {
			store_unlock(c);
			return fail(c, "chown", errno);
		}
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		while (fcntl(c->fd, F_SETLKW, &fl) < 0) {
			if (errno != EINTR) {
				store_unlock(c);
				return fail(c, "lock", errno);
			}
		}
		/* still the file of that name? (compacted or removed) */
		if (fstatat(s->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
			return readhdr(c, now.st_size) < 0 ?
			    (store_unlock(c), -1) : 0;
		err = errno;
		store_unlock(c);
		if (!create && err == ENOENT)
			return 1;
	}
	return fail(c, "counter file keeps changing", 0);
}

void
store_unlock(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);		/* drops the lock */
	c->fd = -1;
}

/* Record i of the locked file, through a two-block cache. */
static int
rec(struct client *c, uint32_t i, int64_t *t, uint64_t *cum)
{
	const unsigned char *p;
	uint32_t start, n;
	ssize_t got;
	int b;

	if (i >= c->h.nrec)
		return -1;
	for (b = 0; b < 2; b++)
		if (c->cn[b] != 0 && i >= c->cstart[b] &&
		    i < c->cstart[b] + c->cn[b])
			break;
	if (b == 2) {
		b = c->cnext & 1;
		c->cnext ^= 1;
		start = i - i % STORE_CACHEREC;
		n = c->h.nrec - start;
		if (n > STORE_CACHEREC)
			n = STORE_CACHEREC;
		got = pread(c->fd, c->cbuf[b], (size_t)n * STORE_RECSIZE,
		    STORE_HDRSIZE + (off_t)start * STORE_RECSIZE);
		if (got != (ssize_t)n * STORE_RECSIZE) {
			c->cn[b] = 0;
			return -1;
		}
		c->cstart[b] = start;
		c->cn[b] = n;
	}
	p = c->cbuf[b] + (size_t)(i - c->cstart[b]) * STORE_RECSIZE;
	*t = (int64_t)le_get64(p);
	*cum = le_get64(p + 8);
	return 0;
}

static int
cumbefore(struct client *c, uint32_t i, uint64_t *cum)
{
	int64_t t;

	if (i == 0) {
		*cum = c->h.base;
		return 0;
	}
	return rec(c, i - 1, &t, cum);
}

/* Index of the first record with time > cutoff, starting from hint. */
static int
first(struct client *c, int64_t cutoff, uint32_t hint, uint32_t *out)
{
	uint32_t lo, hi, mid, steps;
	int64_t t;
	uint64_t cum;

	if (hint > c->h.nrec)
		hint = 0;
	if (hint > 0) {				/* is the hint behind cutoff? */
		if (rec(c, hint - 1, &t, &cum) < 0)
			return -1;
		if (t > cutoff)
			hint = 0;		/* clock stepped back: search */
	}
	for (steps = 0; hint < c->h.nrec && steps < 64; steps++, hint++) {
		if (rec(c, hint, &t, &cum) < 0)
			return -1;
		if (t > cutoff) {
			*out = hint;
			return 0;
		}
	}
	lo = hint;
	hi = c->h.nrec;
	while (lo < hi) {			/* binary search the rest */
		mid = lo + (hi - lo) / 2;
		if (rec(c, mid, &t, &cum) < 0)
			return -1;
		if (t > cutoff)
			hi = mid;
		else
			lo = mid + 1;
	}
	*out = lo;
	return 0;
}

static uint32_t
hintof(const struct client *c, uint32_t period)
{
	int i;

	for (i = 0; i < RULE_MAXWIN; i++)
		if (c->h.hint[i].period == period)
			return c->h.hint[i].first;
	return 0;
}

/* Count in the window of period (> 0) seconds; *firstp its first record. */
static int
window(struct client *c, uint32_t period, time_t now, uint64_t *count,
    uint32_t *firstp)
{
	uint64_t last, before;

	if (first(c, (int64_t)now - period, hintof(c, period), firstp) < 0 ||
	    cumbefore(c, c->h.nrec, &last) < 0 ||
	    cumbefore(c, *firstp, &before) < 0 || last < before)
		return -1;
	*count = last - before;
	return 0;
}

/* The clock was stepped forward, then back: records stamped more than
 * STORE_FUTURE ahead of now would keep the client counted (refused) until
 * real time passed them. Then every record stamped after now is
 * restamped now, a block at a time from the first (each step leaves the
 * records in order), and so are the header's times: the limit holds for
 * the corrected clock and a client is refused at most one period.
 * Returns 0, or -1 on a corrupt file or a write error. */
static int
settle(struct client *c, time_t now)
{
	unsigned char buf[STORE_CACHEREC * STORE_RECSIZE];
	int64_t t, ahead = (int64_t)now + STORE_FUTURE;
	uint64_t cum;
	uint32_t j, n, k;

	if (c->h.last_accept > ahead)
		c->h.last_accept = now;
	if (c->h.last_refuse > ahead)
		c->h.last_refuse = now;
	if (c->h.reset > ahead)
		c->h.reset = now;
	if (c->h.ban_since > ahead)
		c->h.ban_since = now;
	if (c->h.nrec == 0 || rec(c, c->h.nrec - 1, &t, &cum) < 0 || t <= ahead)
		return 0;
	if (first(c, (int64_t)now, 0, &j) < 0)
		return -1;
	for (; j < c->h.nrec; j += n) {
		n = c->h.nrec - j;
		if (n > STORE_CACHEREC)
			n = STORE_CACHEREC;
		if (pread(c->fd, buf, (size_t)n * STORE_RECSIZE, STORE_HDRSIZE +
		    (off_t)j * STORE_RECSIZE) != (ssize_t)n * STORE_RECSIZE)
			return -1;
		for (k = 0; k < n; k++)
			le_put64(buf + (size_t)k * STORE_RECSIZE, (uint64_t)now);
		if (pwrite(c->fd, buf, (size_t)n * STORE_RECSIZE, STORE_HDRSIZE +
		    (off_t)j * STORE_RECSIZE) != (ssize_t)n * STORE_RECSIZE)
			return -1;
	}
	c->cn[0] = c->cn[1] = 0;
	memset(c->h.hint, 0, sizeof(c->h.hint));
	return 0;
}

int
store_window(struct client *c, uint32_t period, time_t now, uint64_t *count)
{
	uint32_t f;

	if (period == 0) {
		*count = c->h.total;
		return 0;
	}
	if (settle(c, now) < 0)
		return -1;
	return window(c, period, now, count, &f);
}

static int
writehdr(int fd, const struct store_hdr *h)
{
	unsigned char b[STORE_HDRSIZE];

	hdr_encode(h, b);
	return pwrite(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b) ? 0 : -1;
}

/* Write records [dead, nrec) to a new file renamed over the client's. */
static int
compact(struct store *s, struct client *c, uint32_t dead)
{
	char tmp[64];
	unsigned char buf[STORE_CACHEREC * STORE_RECSIZE];
	struct store_hdr nh = c->h;
	struct flock fl;
	struct stat st;
	uint32_t i, n;
	ssize_t got;
	int fd, err, tries;

	snprintf(tmp, sizeof(tmp), ".cmp.%ld", (long)getpid());
	for (tries = 0; (fd = openat(s->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0; tries++)
		if (errno != EEXIST || tries > 0 ||
		    unlinkat(s->dirfd, tmp, 0) < 0)
			return fail(c, "create temporary file for", errno);
	if (cumbefore(c, dead, &nh.base) < 0) {
		err = EIO;
		goto bad;
	}
	nh.nrec = c->h.nrec - dead;
	for (i = 0; i < RULE_MAXWIN; i++)
		nh.hint[i].first = c->h.hint[i].first >= dead ?
		    c->h.hint[i].first - dead : 0;
	if (fstat(c->fd, &st) == 0) {		/* keep owner and mode */
		if (s->chown) {
			st.st_uid = s->uid;
			st.st_gid = s->gid;
		}
		if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
			err = errno;
			goto bad;
		}
		fchmod(fd, st.st_mode & 07777);
	}
	if (writehdr(fd, &nh) < 0) {
		err = errno ? errno : EIO;
		goto bad;
	}
	for (i = dead; i < c->h.nrec; i += n) {
		n = c->h.nrec - i;
		if (n > STORE_CACHEREC)
			n = STORE_CACHEREC;
		got = pread(c->fd, buf, (size_t)n * STORE_RECSIZE,
		    STORE_HDRSIZE + (off_t)i * STORE_RECSIZE);
		if (got != (ssize_t)n * STORE_RECSIZE ||
		    pwrite(fd, buf, (size_t)got, STORE_HDRSIZE +
		    (off_t)(i - dead) * STORE_RECSIZE) != got) {
			err = got < 0 || errno ? errno : EIO;
			goto bad;
		}
	}
	/* lock the new file before it takes the name, then hold it instead
	 * of the old one: waiters on the old inode retry and queue here */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0 ||
	    renameat(s->dirfd, tmp, s->dirfd, c->name) < 0) {
		err = errno;
		goto bad;
	}
	close(c->fd);
	c->fd = fd;
	c->h = nh;
	c->cn[0] = c->cn[1] = 0;
	c->migrated = 0;
	return 0;
bad:
	close(fd);
	unlinkat(s->dirfd, tmp, 0);
	return fail(c, "compact", err);
}

/* Records every window of r is done with (nrec when r has none). */
static int
deadrecs(struct client *c, const struct rule *r, time_t now, uint32_t *dead,
    uint32_t firsts[RULE_MAXWIN])
{
	uint64_t cnt;
	uint32_t f;
	int i;

	*dead = c->h.nrec;
	for (i = 0; i < r->nwin; i++) {
		firsts[i] = 0;
		if (r->win[i].period == 0)
			continue;
		if (window(c, r->win[i].period, now, &cnt, &f) < 0)
			return -1;
		firsts[i] = f;
		if (f < *dead)
			*dead = f;
	}
	return 0;
}

static void
sethints(struct client *c, const struct rule *r, const uint32_t *firsts)
{
	int i, n = 0;

	memset(c->h.hint, 0, sizeof(c->h.hint));
	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period != 0) {
			c->h.hint[n].period = r->win[i].period;
			c->h.hint[n].first = firsts[i];
			n++;
		}
}

uint32_t
store_limit(const struct client *c, const struct rule *r, int w, time_t now)
{
	uint64_t n = r->win[w].limit;

	if (c->h.raise_factor > 1 && c->h.raise_until > (int64_t)now)
		n *= c->h.raise_factor;
	return n > RULE_MAXLIMIT ? RULE_MAXLIMIT : (uint32_t)n;
}

int
store_setraise(struct client *c, uint32_t factor, time_t until, time_t now)
{
	c->h.raise_factor = factor;
	c->h.raise_until = until;
	if (c->h.reset == 0)
		c->h.reset = now;
	if (writehdr(c->fd, &c->h) < 0)
		return fail(c, "write", errno ? errno : EIO);
	if (c->migrated && ftruncate(c->fd, STORE_HDRSIZE) == 0)
		c->migrated = 0;
	return 0;
}

int
store_reset(struct store *s, struct client *c, time_t now)
{
	struct store_hdr h;

	if (c->h.raise_factor <= 1 || c->h.raise_until <= (int64_t)now) {
		if (unlinkat(s->dirfd, c->name, 0) < 0)
			return fail(c, "remove", errno);
		return 0;
	}
	memset(&h, 0, sizeof(h));		/* header first: the commit */
	h.reset = now;
	h.raise_until = c->h.raise_until;
	h.raise_factor = c->h.raise_factor;
	if (writehdr(c->fd, &h) < 0)
		return fail(c, "write", errno ? errno : EIO);
	c->h = h;
	c->cn[0] = c->cn[1] = 0;
	if (ftruncate(c->fd, STORE_HDRSIZE) < 0)
		return fail(c, "truncate", errno);
	return 0;
}

/* Append one record stamped now (or the last stamp, if later). */
static int
append(struct client *c, time_t now)
{
	unsigned char b[STORE_RECSIZE];
	uint64_t last, cnt;
	int64_t t = now, lt;

	/* a cum that would wrap: corrupt (never 2^64 recipients) */
	if (cumbefore(c, c->h.nrec, &last) < 0 || last == UINT64_MAX)
		return fail(c, "corrupt counter file (records)", 0);
	if (c->h.nrec > 0 && rec(c, c->h.nrec - 1, &lt, &cnt) == 0 && lt > t)
		t = lt;				/* clock stepped back */
	if (c->h.nrec >= STORE_MAXREC)
		return fail(c, "counter file full", 0);
	le_put64(b, (uint64_t)t);
	le_put64(b + 8, last + 1);
	if (pwrite(c->fd, b, sizeof(b), STORE_HDRSIZE +
	    (off_t)c->h.nrec * STORE_RECSIZE) != (ssize_t)sizeof(b))
		return fail(c, "write", errno ? errno : EIO);
	c->h.nrec++;
	c->cn[0] = c->cn[1] = 0;
	return 0;
}

/* The first index j in [lo, nrec) whose cumulative count is >= want
 * (nrec when none): a binary search, so a retry time costs O(log n)
 * record reads whatever the history. Returns 0, or -1 on a read error. */
static int
cumsearch(struct client *c, uint32_t lo, uint64_t want, uint32_t *out)
{
	uint32_t hi = c->h.nrec, mid;
	uint64_t cum;
	int64_t t;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rec(c, mid, &t, &cum) < 0)
			return -1;
		if (cum >= want)
			hi = mid;
		else
			lo = mid + 1;
	}
	*out = lo;
	return 0;
}

/* The first moment from now at which the window of period (> 0) seconds
 * holds fewer than limit records: now when it does already, else the
 * moment the record leaves after which fewer than limit remain.
 * Returns 0, or -1 on a corrupt file. */
static int
winretry(struct client *c, uint32_t period, uint32_t limit, time_t now,
    int64_t *at)
{
	uint64_t count, last, cum;
	uint32_t f, j;
	int64_t t;

	if (window(c, period, now, &count, &f) < 0 ||
	    cumbefore(c, c->h.nrec, &last) < 0)
		return -1;
	if (count < limit) {
		*at = now;
		return 0;
	}
	/* after record j leaves, last - cum_j remain: fewer than limit
	 * once cum_j > last - limit (count >= limit: no wrap) */
	if (cumsearch(c, f, last - limit + 1, &j) < 0 || j >= c->h.nrec ||
	    rec(c, j, &t, &cum) < 0)
		return -1;
	*at = t > INT64_MAX - (int64_t)period ? INT64_MAX : t + period;
	return 0;
}

/* The first moment, not before floor (what the other checks -- nets=, the
 * pool, the server cap -- wait for), at which the client's own limits let
 * one more recipient through, nothing else happening meanwhile: every
 * window, the plain limit, the warm-up, and the end of a raise (its
 * limits fall back then). 0: not before the next reset. */
static int64_t
retry(struct client *c, const struct rule *r, time_t now, int64_t floor)
{
	int64_t at = floor > (int64_t)now ? floor : (int64_t)now, base, t;
	int64_t until = c->h.raise_factor > 1 &&
	    c->h.raise_until > (int64_t)now ? c->h.raise_until : 0;
	uint32_t lim;
	int pass, i;

	if (r->dormant && c->h.warm_until > at && c->h.warm_count >= r->warmn)
		at = c->h.warm_until;
	/* pass 0: the limits in force now (raised); pass 1, when that
	 * moment is past the raise's end: the rule's own, from then on */
	for (pass = 0, base = at; pass < 2; pass++) {
		if (pass == 1)
			at = base > until ? base : until;
		for (i = 0; i < r->nwin; i++) {
			lim = pass == 0 ? store_limit(c, r, i, now) :
			    r->win[i].limit;
			if (r->win[i].period == 0) {
				if (c->h.total >= lim)
					return 0;
			} else if (winretry(c, r->win[i].period, lim, now,
			    &t) < 0)
				return 0;
			else if (t > at)
				at = t;
		}
		if (until == 0 || at < until)
			return at;
	}
	return at;
}

/* Count every window of r for c at now into v (v->over: the first window
 * at or over its limit). Returns 0, or -1 on a corrupt file. */
static int
measure(struct client *c, const struct rule *r, time_t now,
    struct verdict *v, uint32_t *firsts, int *windows)
{
	uint64_t cnt;
	int i;

	memset(v, 0, sizeof(*v));
	v->over = -1;
	*windows = 0;
	for (i = 0; i < r->nwin; i++) {
		firsts[i] = 0;
		if (r->win[i].period == 0)
			cnt = c->h.total;
		else if ((*windows)++, window(c, r->win[i].period, now, &cnt,
		    &firsts[i]) < 0)
			return fail(c, "corrupt counter file (records)", 0);
		v->count[i] = cnt;
		v->limit[i] = store_limit(c, r, i, now);
		if (cnt >= v->limit[i] && v->over < 0)
			v->over = i;
	}
	return 0;
}

/* What the cleanup must keep for this client whatever rule it finds. */
static void
remember(struct client *c, const struct rule *r)
{
	uint32_t keep = 0;
	int i;

	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period > keep)
			keep = r->win[i].period;
	c->h.keep = keep;
	c->h.sidekeep = r->netsper > r->massper ? r->netsper : r->massper;
	c->h.hflags = r->dormant ? STORE_HDORMANT : 0;
}

/* The header flag that remembers this crossing was notified. */
static uint32_t
crossbit(const struct verdict *v)
{
	if (v->why == WHY_LIMIT && v->over >= 0 && v->over < RULE_MAXWIN)
		return STORE_OVER(v->over);
	return STORE_SIG(v->why);
}

int
store_ban(struct client *c, time_t now, const struct signal *sig,
    struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->over = -1;
	v->accepted = 1;
	v->why = sig->why;
	v->ocount = sig->count;
	v->olimit = sig->limit;
	v->operiod = sig->period;
	v->banned = 1;
	if (c->h.flags & STORE_BANNED)
		return 0;
	if (c->h.reset == 0)
		c->h.reset = now;
	c->h.flags |= STORE_BANNED;
	c->h.ban_since = now;
	c->h.notified++;
	v->newban = 1;
	v->event = EV_BAN;
	if (writehdr(c->fd, &c->h) < 0)
		return fail(c, "write", errno ? errno : EIO);
	return 0;
}

int
store_peek(struct client *c, const struct rule *r, time_t now, int why,
    struct signal *sig)
{
	struct verdict v;
	uint32_t firsts[RULE_MAXWIN];
	int windows, w;

	memset(sig, 0, sizeof(*sig));
	if (settle(c, now) < 0)
		return fail(c, "restamp records from the future", errno ? errno : EIO);
	if (measure(c, r, now, &v, firsts, &windows) < 0)
		return -1;
	if ((w = v.over) < 0)
		return 0;
	sig->why = why;
	sig->count = v.count[w];
	sig->limit = v.limit[w];
	sig->period = r->win[w].period;
	sig->retry = retry(c, r, now, 0);
	return 1;
}

/* The client's attempts in window i, this one included, for ban=: what
 * the window counts and the refusals by its own limits since the last
 * reset; under strict a window's count holds its refused attempts already,
 * so each is counted once. */
static uint64_t
attempts(const struct client *c, const struct rule *r, int i,
    const struct verdict *v)
{
	if ((r->flags & RULE_STRICT) && r->win[i].period != 0)
		return v->count[i] + 1;
	return v->count[i] + c->h.limref;
}

int
store_count(struct store *s, struct client *c, const struct rule *r,
    time_t now, const struct signal *sig, struct verdict *v)
{
	uint32_t firsts[RULE_MAXWIN], dead, th;
	int64_t after;
	int i, windows;

	if (settle(c, now) < 0)
		return fail(c, "restamp records from the future", errno ? errno : EIO);
	if (r->dormant && c->h.warm_until > (int64_t)now + r->warmper +
	    STORE_FUTURE)
		c->h.warm_until = (int64_t)now + r->warmper;
	if (measure(c, r, now, v, firsts, &windows) < 0)
		return -1;
	v->raised = c->h.raise_factor > 1 && c->h.raise_until > (int64_t)now ?
	    c->h.raise_factor : 0;
	if (c->h.reset == 0)
		c->h.reset = now;
	sethints(c, r, firsts);
	remember(c, r);

	/* dormant: a client silent for r->dormant wakes into a warm-up */
	if (r->dormant && c->h.last_accept > 0 && c->h.warm_until <= now &&
	    (int64_t)now - c->h.last_accept >= (int64_t)r->dormant) {
		c->h.warm_until = (int64_t)now + r->warmper;
		c->h.warm_count = 0;
		v->event = EV_DORMANT;
		v->woke = 1;
	}
	v->warm = r->dormant && c->h.warm_until > (int64_t)now;

	/* why it would be refused: a window, the warm-up, a signal */
	if (v->over >= 0) {
		v->why = WHY_LIMIT;
		v->ocount = v->count[v->over];
		v->olimit = v->limit[v->over];
		v->operiod = r->win[v->over].period;
	} else if (v->warm && c->h.warm_count >= r->warmn) {
		v->why = WHY_WARMUP;
		v->ocount = c->h.warm_count;
		v->olimit = r->warmn;
		v->operiod = r->warmper;
	} else if (sig != NULL && sig->why != WHY_NONE) {
		v->why = sig->why;
		v->ocount = sig->count;
		v->olimit = sig->limit;
		v->operiod = sig->period;
	} else if (v->event == EV_DORMANT) {
		v->ocount = 0;
		v->olimit = r->warmn;
		v->operiod = r->warmper;
	}

	if ((c->h.flags & STORE_BANNED) ||
	    (v->why != WHY_NONE && !(r->flags & RULE_DRYRUN))) {
		c->h.refused++;
		c->h.last_refuse = now;
		v->banned = (c->h.flags & STORE_BANNED) != 0;
		if (v->banned)
			v->event = EV_NONE;
		else if (v->why == WHY_LIMIT) {
			/* only its own limits' refusals count here: a pool,
			 * the server, nets= never push to it */
			c->h.limref++;
			for (i = 0; i < r->nwin; i++)
				if (r->ban && v->count[i] >= v->limit[i] &&
				    attempts(c, r, i, v) > (uint64_t)r->ban *
				    v->limit[i])
					v->newban = 1;
		} else if (v->why != WHY_WARMUP && sig != NULL)
			v->newban = sig->ban;
		if (!v->banned) {
			if (v->newban) {
				c->h.flags |= STORE_BANNED;
				c->h.ban_since = now;
				v->banned = 1;
				v->event = EV_BAN;
			} else if (!(c->h.flags & crossbit(v))) {
				c->h.flags |= crossbit(v);
				v->event = EV_OVER;
			}
			/* strict: this attempt is counted, then the retry
			 * time is the first moment it would pass */
			if ((r->flags & RULE_STRICT) && windows &&
			    v->why == WHY_LIMIT && append(c, now) < 0)
				return -1;
			/* a signal that names no time (mass=): none */
			after = sig != NULL ? sig->retry : 0;
			v->retry = v->why != WHY_LIMIT && v->why != WHY_WARMUP &&
			    after == 0 ? 0 : retry(c, r, now, after);
		}
		if (v->event != EV_NONE)
			c->h.notified++;
		if (writehdr(c->fd, &c->h) < 0)
			return fail(c, "write", errno ? errno : EIO);
		return 0;
	}
	if (v->why != WHY_NONE) {		/* dry run: would refuse */
		v->dryrun = 1;
		if (!(r->flags & RULE_QUIET) && !(c->h.flags & crossbit(v))) {
			c->h.flags |= crossbit(v);
			v->event = EV_OVER;
		}
	}
	if (windows && append(c, now) < 0)
		return -1;
	c->h.total++;
	c->h.last_accept = now;
	if (v->warm)
		c->h.warm_count++;
	if (!v->dryrun)
		c->h.flags &= ~STORE_SIGS;	/* every crossing is over */
	for (i = 0; i < r->nwin; i++) {
		v->count[i]++;
		if (v->count[i] <= v->limit[i] && !v->dryrun)
			c->h.flags &= ~STORE_OVER(i);	/* the crossing is over */
		if (r->warn == 0)
			continue;
		th = (uint32_t)(((uint64_t)v->limit[i] * r->warn + 99) / 100);
		if (v->count[i] < th)
			c->h.flags &= ~STORE_WARN(i);
		else if (!(c->h.flags & STORE_WARN(i))) {
			c->h.flags |= STORE_WARN(i);
			if (v->event == EV_NONE) {
				v->event = EV_WARN;
				v->ocount = v->count[i];
				v->olimit = v->limit[i];
				v->operiod = r->win[i].period;
			}
		}
	}
	if (v->event != EV_NONE)
		c->h.notified++;
	if (writehdr(c->fd, &c->h) < 0)
		return fail(c, "write", errno ? errno : EIO);
	if (c->migrated && ftruncate(c->fd, STORE_HDRSIZE +
	    (off_t)c->h.nrec * STORE_RECSIZE) == 0)
		c->migrated = 0;
	v->accepted = 1;
	/* compact when the dead records are many and the larger half */
	dead = c->h.nrec;
	for (i = 0; i < RULE_MAXWIN && windows; i++)
		if (c->h.hint[i].period != 0 && c->h.hint[i].first < dead)
			dead = c->h.hint[i].first;
	if (dead >= STORE_CACHEREC && dead >= c->h.nrec / 2)
		(void)compact(s, c, dead);	/* a failure costs only space */
	return 0;
}

int
store_tidy(struct store *s, struct client *c, const struct rule *r,
    time_t now, int reset, int *removed)
{
	uint32_t firsts[RULE_MAXWIN], dead;
	int dormant;

	*removed = 0;
	if (settle(c, now) < 0)
		return fail(c, "restamp records from the future", errno ? errno : EIO);
	if (deadrecs(c, r, now, &dead, firsts) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	/* and what the helper last counted with: never fewer */
	if (c->h.keep > 0 && c->h.keep <= RULE_MAXPERIOD) {
		uint64_t cnt;
		uint32_t f;

		if (window(c, c->h.keep, now, &cnt, &f) < 0)
			return fail(c, "corrupt counter file (records)", 0);
		if (f < dead)
			dead = f;
	}
	/* a dormant= client keeps its header: its silence is measured
	 * (a rule no longer seen: for at most the longest dormant=) */
	dormant = c->h.last_accept > 0 && (r->dormant ||
	    ((c->h.hflags & STORE_HDORMANT) &&
	    (int64_t)now - c->h.last_accept <= (int64_t)RULE_MAXPERIOD));
	if (reset) {
		c->h.total = 0;
		c->h.refused = 0;
		c->h.limref = 0;
		c->h.reset = now;
		c->h.flags &= STORE_BANNED;	/* a ban outlives every reset */
		c->h.notified = 0;
	}
	if (c->h.raise_until <= (int64_t)now) {
		c->h.raise_until = 0;		/* an expired raise */
		c->h.raise_factor = 0;
	}
	if (dead == c->h.nrec && c->h.total == 0 && c->h.refused == 0 &&
	    c->h.flags == 0 && c->h.raise_factor == 0 && !dormant) {
		if (unlinkat(s->dirfd, c->name, 0) < 0)
			return fail(c, "remove", errno);
		*removed = 1;
		return 0;
	}
	sethints(c, r, firsts);
	/* the reset first, in place: a header write needs no new space,
	 * so a full disk costs only the compaction's copy */
	if (writehdr(c->fd, &c->h) < 0)
		return fail(c, "write", errno ? errno : EIO);
	if (c->migrated && ftruncate(c->fd, STORE_HDRSIZE) < 0)
		return fail(c, "truncate", errno);
	return dead > 0 ? compact(s, c, dead) : 0;
}
