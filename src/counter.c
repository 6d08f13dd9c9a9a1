/* counter.c: the file store's mechanism: see counter.h. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "le.h"
#include "counter.h"

static const unsigned char magic[8] = { 'R', 'C', 'P', 'T', 'O', 'L', '1', '\n' };

#define CLASSICMAX	(1 << 20)	/* largest classic 'X' file read */

/* The header of DESIGN.md "Counter store": the file's own fields, then
 * the state (policy.h); dead records and base as a compacted copy has
 * them (0 and c->base for the file itself). */
static void
hdr_encode(const struct counter *c, uint32_t dead, uint64_t base,
    unsigned char *b)
{
	const struct cstate *s = &c->s;
	int i;

	memset(b, 0, COUNTER_HDRSIZE);
	memcpy(b, magic, sizeof(magic));
	le_put32(b + 8, COUNTER_HDRSIZE);
	le_put32(b + 12, COUNTER_RECSIZE);
	le_put32(b + 16, c->nrec - dead);
	le_put32(b + 20, s->flags);
	le_put64(b + 24, s->total);
	le_put64(b + 32, s->refused);
	le_put64(b + 40, (uint64_t)s->last_accept);
	le_put64(b + 48, (uint64_t)s->reset);
	le_put64(b + 56, (uint64_t)s->last_refuse);
	le_put64(b + 64, base);
	for (i = 0; i < RULE_MAXWIN; i++) {
		le_put32(b + 72 + 16 * i, c->hint[i].period);
		le_put32(b + 76 + 16 * i, c->hint[i].first >= dead ?
		    c->hint[i].first - dead : 0);
	}
	le_put64(b + 200, (uint64_t)s->raise_until);
	le_put32(b + 208, s->raise_factor);
	le_put64(b + 212, (uint64_t)s->ban_since);
	le_put32(b + 220, s->notified);
	le_put64(b + 224, (uint64_t)s->warm_until);
	le_put32(b + 232, s->warm_count);
	le_put32(b + 236, s->keep);
	le_put32(b + 240, s->sidekeep);
	le_put32(b + 244, s->hflags);
	le_put64(b + 248, s->limref);
}

static int
hdr_decode(struct counter *c, const unsigned char *b)
{
	struct cstate *s = &c->s;
	int i;

	if (memcmp(b, magic, sizeof(magic)) != 0 ||
	    le_get32(b + 8) != COUNTER_HDRSIZE ||
	    le_get32(b + 12) != COUNTER_RECSIZE)
		return -1;
	c->nrec = le_get32(b + 16);
	s->flags = le_get32(b + 20);
	s->total = le_get64(b + 24);
	s->refused = le_get64(b + 32);
	s->last_accept = (int64_t)le_get64(b + 40);
	s->reset = (int64_t)le_get64(b + 48);
	s->last_refuse = (int64_t)le_get64(b + 56);
	c->base = le_get64(b + 64);
	for (i = 0; i < RULE_MAXWIN; i++) {
		c->hint[i].period = le_get32(b + 72 + 16 * i);
		c->hint[i].first = le_get32(b + 76 + 16 * i);
	}
	s->raise_until = (int64_t)le_get64(b + 200);
	s->raise_factor = le_get32(b + 208);
	s->ban_since = (int64_t)le_get64(b + 212);
	s->notified = le_get32(b + 220);
	s->warm_until = (int64_t)le_get64(b + 224);
	s->warm_count = le_get32(b + 232);
	s->keep = le_get32(b + 236);
	s->sidekeep = le_get32(b + 240);
	s->hflags = le_get32(b + 244);
	s->limref = le_get64(b + 248);
	return c->nrec > COUNTER_MAXREC ? -1 : 0;
}

/* A counter with nothing in it. */
static void
hdr_clear(struct counter *c)
{
	memset(&c->s, 0, sizeof(c->s));
	c->nrec = 0;
	c->base = 0;
	memset(c->hint, 0, sizeof(c->hint));
}

static int	compact(struct store *, struct counter *, uint32_t);

static int
fail(struct counter *c, const char *what, int err)
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
	uid_t euid;
	int err;

	s->err[0] = '\0';
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (s->dirfd < 0 || fstat(s->dirfd, &st) < 0) {
		err = errno;
		snprintf(s->err, sizeof(s->err), "cannot open directory %s: %s",
		    dir, strerror(err));
		store_close(s);
		errno = err;
		return -1;
	}
	s->uid = st.st_uid;
	s->gid = st.st_gid;
	euid = geteuid();
	s->chown = euid == 0 && st.st_uid != 0;
	if (euid != 0 && st.st_uid != euid)
		snprintf(s->err, sizeof(s->err), "counter directory %s belongs "
		    "to uid %lu, not to this user (uid %lu): chown it", dir,
		    (unsigned long)st.st_uid, (unsigned long)euid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(s->err, sizeof(s->err), "counter directory %s is "
		    "writable by its group or others: chmod go-w it", dir);
	else
		return 0;
	store_close(s);
	errno = EPERM;
	return -1;
}

int
store_trust(const struct store *s, int fd, const struct stat *st, char *why,
    size_t whysz)
{
	if (st->st_nlink != 1) {
		snprintf(why, whysz, "has %lu links (a hard link to a file "
		    "elsewhere?)", (unsigned long)st->st_nlink);
		return -1;
	}
	if (s->chown && (st->st_uid != s->uid || st->st_gid != s->gid) &&
	    fchown(fd, s->uid, s->gid) < 0) {
		snprintf(why, whysz, "chown: %s", strerror(errno));
		return -1;
	}
	if (!s->chown && st->st_uid != s->uid) {
		snprintf(why, whysz, "belongs to uid %lu, not to the "
		    "directory's owner", (unsigned long)st->st_uid);
		return -1;
	}
	if ((st->st_mode & 077) && fchmod(fd, 0600) < 0) {
		snprintf(why, whysz, "chmod: %s", strerror(errno));
		return -1;
	}
	return 0;
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

/* A classic file (one 'X' per recipient) of size bytes: its count. Apart
 * from readhdr, so that its buffer is not in the frame of every lock. */
static int __attribute__((noinline))
classic(struct counter *c, off_t size)
{
	unsigned char x[4096];
	ssize_t n;
	off_t off;
	int i;

	if (size > CLASSICMAX)
		return fail(c, "corrupt counter file", 0);
	for (off = 0; off < size; off += n) {	/* classic: all 'X' */
		if ((n = pread(c->fd, x, sizeof(x), off)) <= 0)
			return fail(c, "read", n < 0 ? errno : EIO);
		for (i = 0; i < n; i++)
			if (x[i] != 'X')
				return fail(c, "corrupt counter file", 0);
	}
	hdr_clear(c);
	c->s.total = (uint64_t)size;
	c->migrated = 1;
	return 0;
}

/* Read the header (or a classic file) of the locked c->fd, of size bytes
 * (the caller has just stat'ed it under the lock). The first block of
 * records comes with the header, in one read: for most clients all of
 * them. */
static int
readhdr(struct counter *c, off_t size)
{
	unsigned char b[COUNTER_HDRSIZE];
	struct iovec iov[2];
	ssize_t n;
	int i;

	hdr_clear(c);
	c->cn[0] = c->cn[1] = 0;		/* nothing cached of any file */
	c->cnext = 0;
	if (size == 0)
		return 0;				/* new client */
	iov[0].iov_base = b;
	iov[0].iov_len = sizeof(b);
	iov[1].iov_base = c->cbuf[0];
	iov[1].iov_len = sizeof(c->cbuf[0]);
	if ((n = preadv(c->fd, iov, 2, 0)) < 0)
		return fail(c, "read", errno);
	if (n >= COUNTER_HDRSIZE && hdr_decode(c, b) == 0) {
		if ((uint64_t)size < COUNTER_HDRSIZE +
		    (uint64_t)c->nrec * COUNTER_RECSIZE)
			return fail(c, "corrupt counter file (short)", 0);
		c->cn[0] = (uint32_t)((n - COUNTER_HDRSIZE) / COUNTER_RECSIZE);
		if (c->cn[0] > c->nrec)
			c->cn[0] = c->nrec;
		c->cstart[0] = 0;
		c->cnext = 1;			/* keep it: a miss goes to 1 */
		return 0;
	}
	for (i = 0; i < n && i < 8 && b[i] == 0; i++)
		;
	if (i == n || i == 8) {			/* interrupted creation */
		hdr_clear(c);
		return 0;
	}
	return classic(c, size);
}

int
counter_lock(struct store *s, const char *name, int create, struct counter *c)
{
	struct flock fl;
	struct stat st, now;
	char why[100];
	int tries, flags, err;

	c->fd = -1;
	c->st = s;
	c->clamp = INT64_MAX;
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
			counter_unlock(c);
			return fail(c, "stat", errno);
		}
		if (!S_ISREG(st.st_mode)) {
			counter_unlock(c);
			return fail(c, kindof(st.st_mode), 0);
		}
		if (store_trust(s, c->fd, &st, why, sizeof(why)) < 0) {
			counter_unlock(c);
			return fail(c, why, 0);
		}
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		while (fcntl(c->fd, F_SETLKW, &fl) < 0) {
			if (errno != EINTR) {
				counter_unlock(c);
				return fail(c, "lock", errno);
			}
		}
		/* still the file of that name? (compacted or removed) */
		if (fstatat(s->dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino == st.st_ino && now.st_dev == st.st_dev)
			return readhdr(c, now.st_size) < 0 ?
			    (counter_unlock(c), -1) : 0;
		err = errno;
		counter_unlock(c);
		if (!create && err == ENOENT)
			return 1;
	}
	return fail(c, "counter file keeps changing", 0);
}

void
counter_unlock(struct counter *c)
{
	if (c->fd >= 0)
		close(c->fd);		/* drops the lock */
	c->fd = -1;
}

/* Record i of the locked file, through a two-block cache. */
static int
rec(struct counter *c, uint32_t i, int64_t *t, uint64_t *cum)
{
	const unsigned char *p;
	uint32_t start, n;
	ssize_t got;
	int b;

	if (i >= c->nrec)
		return -1;
	for (b = 0; b < 2; b++)
		if (c->cn[b] != 0 && i >= c->cstart[b] &&
		    i < c->cstart[b] + c->cn[b])
			break;
	if (b == 2) {
		b = c->cnext & 1;
		c->cnext ^= 1;
		start = i - i % COUNTER_CACHEREC;
		n = c->nrec - start;
		if (n > COUNTER_CACHEREC)
			n = COUNTER_CACHEREC;
		got = pread(c->fd, c->cbuf[b], (size_t)n * COUNTER_RECSIZE,
		    COUNTER_HDRSIZE + (off_t)start * COUNTER_RECSIZE);
		if (got != (ssize_t)n * COUNTER_RECSIZE) {
			c->cn[b] = 0;
			return -1;
		}
		c->cstart[b] = start;
		c->cn[b] = n;
	}
	p = c->cbuf[b] + (size_t)(i - c->cstart[b]) * COUNTER_RECSIZE;
	*t = (int64_t)le_get64(p);
	if (*t > c->clamp)
		*t = c->clamp;			/* settle() */
	*cum = le_get64(p + 8);
	return 0;
}

static int
cumbefore(struct counter *c, uint32_t i, uint64_t *cum)
{
	int64_t t;

	if (i == 0) {
		*cum = c->base;
		return 0;
	}
	return rec(c, i - 1, &t, cum);
}

/* Index of the first record with time > cutoff, starting from hint. */
static int
first(struct counter *c, int64_t cutoff, uint32_t hint, uint32_t *out)
{
	uint32_t lo, hi, mid, steps;
	int64_t t;
	uint64_t cum;

	if (hint > c->nrec)
		hint = 0;
	if (hint > 0) {				/* is the hint behind cutoff? */
		if (rec(c, hint - 1, &t, &cum) < 0)
			return -1;
		if (t > cutoff)
			hint = 0;		/* clock stepped back: search */
	}
	for (steps = 0; hint < c->nrec && steps < 64; steps++, hint++) {
		if (rec(c, hint, &t, &cum) < 0)
			return -1;
		if (t > cutoff) {
			*out = hint;
			return 0;
		}
	}
	lo = hint;
	hi = c->nrec;
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
hintof(const struct counter *c, uint32_t period)
{
	int i;

	for (i = 0; i < RULE_MAXWIN; i++)
		if (c->hint[i].period == period)
			return c->hint[i].first;
	return 0;
}

/* Count in the window of period (> 0) seconds; *firstp its first record. */
static int
window(struct counter *c, uint32_t period, time_t now, uint64_t *count,
    uint32_t *firstp)
{
	uint64_t last, before;

	if (first(c, (int64_t)now - period, hintof(c, period), firstp) < 0 ||
	    cumbefore(c, c->nrec, &last) < 0 ||
	    cumbefore(c, *firstp, &before) < 0 || last < before)
		return -1;
	*count = last - before;
	return 0;
}

/* The clock was stepped forward, then back: when the last record is
 * stamped more than POL_FUTURE ahead of now, every record is read as
 * stamped at most now (still in order), and restamp() writes that down
 * before anything is written to the file, so a count that fails leaves the
 * file as it was. */
static int
settle(struct counter *c, time_t now)
{
	int64_t t;
	uint64_t cum;

	c->clamp = INT64_MAX;
	if (c->nrec == 0)
		return 0;
	if (rec(c, c->nrec - 1, &t, &cum) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	if (t > (int64_t)now + POL_FUTURE)
		c->clamp = now;
	return 0;
}

/* Write the restamping settle() decided: every record after now is
 * restamped now, a block at a time from the first (each step leaves the
 * records in order). */
static int
restamp(struct counter *c)
{
	unsigned char buf[COUNTER_CACHEREC * COUNTER_RECSIZE];
	int64_t now = c->clamp;
	uint32_t j, n, k;

	if (now == INT64_MAX)
		return 0;
	c->clamp = INT64_MAX;
	if (first(c, now, 0, &j) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	for (; j < c->nrec; j += n) {
		n = c->nrec - j;
		if (n > COUNTER_CACHEREC)
			n = COUNTER_CACHEREC;
		if (pread(c->fd, buf, (size_t)n * COUNTER_RECSIZE,
		    COUNTER_HDRSIZE + (off_t)j * COUNTER_RECSIZE) !=
		    (ssize_t)n * COUNTER_RECSIZE)
			return fail(c, "read", errno ? errno : EIO);
		for (k = 0; k < n; k++)
			le_put64(buf + (size_t)k * COUNTER_RECSIZE, (uint64_t)now);
		if (pwrite(c->fd, buf, (size_t)n * COUNTER_RECSIZE,
		    COUNTER_HDRSIZE + (off_t)j * COUNTER_RECSIZE) !=
		    (ssize_t)n * COUNTER_RECSIZE)
			return fail(c, "restamp records from the future",
			    errno ? errno : EIO);
	}
	c->cn[0] = c->cn[1] = 0;
	memset(c->hint, 0, sizeof(c->hint));
	return 0;
}

int
counter_window(struct counter *c, uint32_t period, time_t now,
    uint64_t *count)
{
	uint32_t f;

	if (settle(c, now) < 0)
		return -1;
	if (period == 0) {
		*count = c->s.total;
		return 0;
	}
	if (window(c, period, now, count, &f) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	return 0;
}

static int
writehdr(int fd, const struct counter *c, uint32_t dead, uint64_t base)
{
	unsigned char b[COUNTER_HDRSIZE];

	hdr_encode(c, dead, base, b);
	return pwrite(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b) ? 0 : -1;
}

int
counter_commit(struct counter *c)
{
	if (restamp(c) < 0)
		return -1;
	if (writehdr(c->fd, c, 0, c->base) < 0)
		return fail(c, "write", errno ? errno : EIO);
	if (c->migrated && ftruncate(c->fd, COUNTER_HDRSIZE +
	    (off_t)c->nrec * COUNTER_RECSIZE) == 0)
		c->migrated = 0;
	return 0;
}

/* Write records [dead, nrec) to a new file renamed over the counter's. */
static int
compact(struct store *s, struct counter *c, uint32_t dead)
{
	char tmp[64];
	unsigned char buf[COUNTER_CACHEREC * COUNTER_RECSIZE];
	struct flock fl;
	struct stat st;
	uint64_t base;
	uint32_t i, n;
	ssize_t got;
	int fd, err, tries;

	snprintf(tmp, sizeof(tmp), ".cmp.%ld", (long)getpid());
	for (tries = 0; (fd = openat(s->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0; tries++)
		if (errno != EEXIST || tries > 0 ||
		    unlinkat(s->dirfd, tmp, 0) < 0)
			return fail(c, "create temporary file for", errno);
	if (cumbefore(c, dead, &base) < 0) {
		err = EIO;
		goto bad;
	}
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
	if (writehdr(fd, c, dead, base) < 0) {
		err = errno ? errno : EIO;
		goto bad;
	}
	for (i = dead; i < c->nrec; i += n) {
		n = c->nrec - i;
		if (n > COUNTER_CACHEREC)
			n = COUNTER_CACHEREC;
		got = pread(c->fd, buf, (size_t)n * COUNTER_RECSIZE,
		    COUNTER_HDRSIZE + (off_t)i * COUNTER_RECSIZE);
		if (got != (ssize_t)n * COUNTER_RECSIZE ||
		    pwrite(fd, buf, (size_t)got, COUNTER_HDRSIZE +
		    (off_t)(i - dead) * COUNTER_RECSIZE) != got) {
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
	for (i = 0; i < RULE_MAXWIN; i++)
		c->hint[i].first = c->hint[i].first >= dead ?
		    c->hint[i].first - dead : 0;
	c->nrec -= dead;
	c->base = base;
	c->cn[0] = c->cn[1] = 0;
	c->migrated = 0;
	return 0;
bad:
	close(fd);
	unlinkat(s->dirfd, tmp, 0);
	return fail(c, "compact", err);
}

/* Records every window of r is done with (nrec when r has none), and
 * each window's first record. */
static int
deadrecs(struct counter *c, const struct rule *r, time_t now, uint32_t *dead,
    uint32_t firsts[RULE_MAXWIN])
{
	uint64_t cnt;
	uint32_t f;
	int i;

	*dead = c->nrec;
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
sethints(struct counter *c, const struct rule *r, const uint32_t *firsts)
{
	int i, n = 0;

	memset(c->hint, 0, sizeof(c->hint));
	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period != 0) {
			c->hint[n].period = r->win[i].period;
			c->hint[n].first = firsts[i];
			n++;
		}
}

int
counter_counts(struct counter *c, const struct rule *r, time_t now,
    uint64_t *count)
{
	uint32_t firsts[RULE_MAXWIN];
	int i;

	if (settle(c, now) < 0)
		return -1;
	for (i = 0; i < r->nwin; i++) {
		firsts[i] = 0;
		if (r->win[i].period == 0)
			count[i] = c->s.total;
		else if (window(c, r->win[i].period, now, &count[i],
		    &firsts[i]) < 0)
			return fail(c, "corrupt counter file (records)", 0);
	}
	sethints(c, r, firsts);
	return 0;
}

int
counter_reset(struct store *s, struct counter *c, time_t now)
{
	struct cstate keep = c->s;

	if (c->s.raise_factor <= 1 || c->s.raise_until <= (int64_t)now) {
		if (unlinkat(s->dirfd, c->name, 0) < 0)
			return fail(c, "remove", errno);
		return 0;
	}
	hdr_clear(c);				/* header first: the commit */
	c->s.reset = now;
	c->s.raise_until = keep.raise_until;
	c->s.raise_factor = keep.raise_factor;
	if (writehdr(c->fd, c, 0, 0) < 0)
		return fail(c, "write", errno ? errno : EIO);
	c->cn[0] = c->cn[1] = 0;
	if (ftruncate(c->fd, COUNTER_HDRSIZE) < 0)
		return fail(c, "truncate", errno);
	return 0;
}

/* The records every window is done with, from the hints counter_counts
 * left (nrec when the rule has no window). */
static uint32_t
deadhint(const struct counter *c)
{
	uint32_t dead = c->nrec;
	int i;

	for (i = 0; i < RULE_MAXWIN; i++)
		if (c->hint[i].period != 0 && c->hint[i].first < dead)
			dead = c->hint[i].first;
	return dead;
}

int
counter_record(struct counter *c, time_t now)
{
	unsigned char b[COUNTER_RECSIZE];
	uint64_t last, cnt;
	int64_t t = now, lt;
	off_t at;

	/* a cum that would wrap: corrupt (never 2^64 recipients) */
	if (cumbefore(c, c->nrec, &last) < 0 || last == UINT64_MAX)
		return fail(c, "corrupt counter file (records)", 0);
	if (restamp(c) < 0)
		return -1;
	if (c->nrec > 0 && rec(c, c->nrec - 1, &lt, &cnt) == 0 && lt >= t) {
		/* one record a second counts every recipient of that second
		 * (the clock stepped back: of the last stamp): the file
		 * grows with the seconds its windows hold, not the traffic */
		t = lt;
		at = COUNTER_HDRSIZE + (off_t)(c->nrec - 1) * COUNTER_RECSIZE;
	} else {
		if (c->nrec >= COUNTER_MAXREC && (compact(c->st, c,
		    deadhint(c)) < 0 || c->nrec >= COUNTER_MAXREC))
			return fail(c, "counter file full", 0);
		at = COUNTER_HDRSIZE + (off_t)c->nrec * COUNTER_RECSIZE;
	}
	le_put64(b, (uint64_t)t);
	le_put64(b + 8, last + 1);
	if (pwrite(c->fd, b, sizeof(b), at) != (ssize_t)sizeof(b))
		return fail(c, "write", errno ? errno : EIO);
	if (at == COUNTER_HDRSIZE + (off_t)c->nrec * COUNTER_RECSIZE)
		c->nrec++;
	c->cn[0] = c->cn[1] = 0;
	return 0;
}

/* The first index j in [lo, nrec) whose cumulative count is >= want
 * (nrec when none): a binary search, so a retry time costs O(log n)
 * record reads whatever the history. Returns 0, or -1 on a read error. */
static int
cumsearch(struct counter *c, uint32_t lo, uint64_t want, uint32_t *out)
{
	uint32_t hi = c->nrec, mid;
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

int
counter_winretry(void *arg, uint32_t period, uint32_t limit, time_t now,
    int64_t *at)
{
	struct counter *c = arg;
	uint64_t count, last, cum;
	uint32_t f, j;
	int64_t t;

	if (window(c, period, now, &count, &f) < 0 ||
	    cumbefore(c, c->nrec, &last) < 0)
		return -1;
	if (count < limit) {
		*at = now;
		return 0;
	}
	/* after record j leaves, last - cum_j remain: fewer than limit
	 * once cum_j > last - limit (count >= limit: no wrap) */
	if (cumsearch(c, f, last - limit + 1, &j) < 0 || j >= c->nrec ||
	    rec(c, j, &t, &cum) < 0)
		return -1;
	*at = t > INT64_MAX - (int64_t)period ? INT64_MAX : t + period;
	return 0;
}

int
counter_compact(struct store *s, struct counter *c)
{
	uint32_t dead = deadhint(c);

	if (c->hint[0].period == 0)
		return 0;			/* no windows */
	if (dead < COUNTER_CACHEREC || dead < c->nrec / 2)
		return 0;
	return compact(s, c, dead);
}

int
counter_tidy(struct store *s, struct counter *c, const struct rule *r,
    time_t now, int reset, int *removed)
{
	uint32_t firsts[RULE_MAXWIN], dead, f;
	uint64_t cnt;
	int keep;

	*removed = 0;
	if (settle(c, now) < 0)
		return -1;
	policy_settle(&c->s, r, now);
	if (deadrecs(c, r, now, &dead, firsts) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	/* and what the helper last counted with: never fewer */
	if (c->s.keep > 0 && c->s.keep <= RULE_MAXPERIOD) {
		if (window(c, c->s.keep, now, &cnt, &f) < 0)
			return fail(c, "corrupt counter file (records)", 0);
		if (f < dead)
			dead = f;
	}
	keep = policy_tidy(&c->s, r, now, reset);
	if (restamp(c) < 0)
		return -1;
	if (dead == c->nrec && !keep) {
		if (unlinkat(s->dirfd, c->name, 0) < 0)
			return fail(c, "remove", errno);
		*removed = 1;
		return 0;
	}
	sethints(c, r, firsts);
	/* the reset first, in place: a header write needs no new space,
	 * so a full disk costs only the compaction's copy */
	if (writehdr(c->fd, c, 0, c->base) < 0)
		return fail(c, "write", errno ? errno : EIO);
	if (c->migrated && ftruncate(c->fd, COUNTER_HDRSIZE) < 0)
		return fail(c, "truncate", errno);
	return dead > 0 ? compact(s, c, dead) : 0;
}

int
counter_each(struct counter *c, int64_t since,
    int (*fn)(void *, int64_t, uint64_t), void *arg)
{
	uint64_t prev, cum, n = 0;
	int64_t t, at = 0;
	uint32_t i;

	if (first(c, since, 0, &i) < 0 || cumbefore(c, i, &prev) < 0)
		return fail(c, "corrupt counter file (records)", 0);
	for (; i < c->nrec; i++) {
		if (rec(c, i, &t, &cum) < 0 || cum < prev)
			return fail(c, "corrupt counter file (records)", 0);
		if (n > 0 && t != at && fn(arg, at, n) < 0)
			return -1;
		if (n == 0 || t != at)
			n = 0;
		at = t;
		n += cum - prev;
		prev = cum;
	}
	return n > 0 ? fn(arg, at, n) : 0;
}
