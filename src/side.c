/* side.c: see side.h. The file: magic "RCPTOLX2", u32 nnets, u32 nmass,
 * u32 ppid, u32 lastcount, u32 lastall, u32 flags, SIDE_NETS x
 * {16-byte network, i64 last seen}, SIDE_MASS x i64; all little-endian,
 * fixed size. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "le.h"
#include "side.h"

static const unsigned char magic[8] = { 'R', 'C', 'P', 'T', 'O', 'L', 'X', '2' };

/* Bad contents: start afresh (rewritten on close), say why. */
static int
heal(struct side *t, const char *why)
{
	int fd = t->fd;

	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->healed = 1;
	t->dirty = 1;
	snprintf(t->err, sizeof(t->err), "side file: %s, started afresh", why);
	return 0;
}

static int
fail(struct side *t, const char *what, int err)
{
	if (err)
		snprintf(t->err, sizeof(t->err), "side file: %s: %s", what,
		    strerror(err));
	else
		snprintf(t->err, sizeof(t->err), "side file: %s", what);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	return -1;
}

int
side_open(struct store *s, const char *enc, int create, struct side *t)
{
	unsigned char b[SIDE_SIZE];
	char name[NAME_ENCMAX + sizeof(SIDE_SUFFIX)], why[100];
	struct stat sb;
	ssize_t n;
	uint32_t i, j;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if ((size_t)snprintf(name, sizeof(name), "%s%s", enc, SIDE_SUFFIX) >=
	    sizeof(name))
		return fail(t, "name too long", 0);
	t->fd = openat(s->dirfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0), 0600);
	if (t->fd < 0) {
		if (errno == ENOENT && !create)
			return 1;
		return fail(t, errno == ELOOP ? "is a symlink" : "open",
		    errno == ELOOP ? 0 : errno);
	}
	if (fstat(t->fd, &sb) < 0)
		return fail(t, "fstat", errno);
	if (!S_ISREG(sb.st_mode))
		return fail(t, "not a regular file", 0);
	if (store_trust(s, t->fd, &sb, why, sizeof(why)) < 0)
		return fail(t, why, 0);
	if (sb.st_size == 0)
		return 0;			/* new */
	if (sb.st_size != SIDE_SIZE)
		return heal(t, "wrong size");
	if ((n = pread(t->fd, b, sizeof(b), 0)) != (ssize_t)sizeof(b))
		return fail(t, "read", n < 0 ? errno : EIO);
	t->nnets = le_get32(b + 8);
	t->nmass = le_get32(b + 12);
	t->ppid = le_get32(b + 16);
	t->lastcount = le_get32(b + 20);
	t->lastall = le_get32(b + 24);
	t->flags = le_get32(b + 28) & SIDE_MASSDONE;
	if (memcmp(b, magic, 8) != 0 || t->nnets > SIDE_NETS ||
	    t->nmass > SIDE_MASS)
		return heal(t, "corrupt");
	for (i = 0; i < SIDE_NETS; i++) {
		memcpy(t->net[i].a, b + SIDE_HDR + 24 * i, 16);
		t->net[i].last = (int64_t)le_get64(b + SIDE_HDR + 16 + 24 * i);
	}
	for (i = 0; i < SIDE_MASS; i++)
		t->mass[i] = (int64_t)le_get64(b + SIDE_HDR + 24 * SIDE_NETS +
		    8 * i);
	/* a network twice (a torn rewrite): the later copy goes */
	for (i = 1; i < t->nnets; i++)
		for (j = 0; j < i; j++)
			if (memcmp(t->net[i].a, t->net[j].a, 16) == 0) {
				memmove(&t->net[i], &t->net[i + 1],
				    (SIDE_NETS - i - 1) * sizeof(t->net[0]));
				t->nnets--;
				t->dirty = 1;
				i--;
				break;
			}
	return 0;
}

uint32_t
side_seen(struct side *t, const unsigned char a[16], time_t now,
    uint32_t period, uint32_t max, int64_t *retry)
{
	uint32_t i, n;
	int64_t cutoff = (int64_t)now - (int64_t)period, last = -1;

	for (i = 0; i < t->nnets && memcmp(t->net[i].a, a, 16) != 0; i++)
		;
	if (i < t->nnets)
		last = t->net[i].last;
	else {					/* new: a free slot, or */
		if (t->nnets < SIDE_NETS)	/* the oldest goes */
			t->nnets++;
		i = t->nnets - 1;
	}
	if (i != 0 || last != (int64_t)now) {
		/* move it to the front, stamped now */
		memmove(&t->net[1], &t->net[0], i * sizeof(t->net[0]));
		memcpy(t->net[0].a, a, 16);
		t->net[0].last = last > (int64_t)now ? last : (int64_t)now;
		t->dirty = 1;
	}
	for (n = 0; n < t->nnets && t->net[n].last > cutoff; n++)
		;
	*retry = 0;
	if (max > 0 && n > max && max < t->nnets)	/* a tampered time: */
		*retry = t->net[max].last > INT64_MAX - (int64_t)period ?
		    INT64_MAX : t->net[max].last + period;	/* no wrap */
	return n;
}

static void
note(struct side *t, uint32_t ppid, uint32_t count, long all, uint32_t flags)
{
	uint32_t a = all < 0 ? 0 : (uint32_t)all;

	if (t->ppid == ppid && t->lastcount == count && t->lastall == a &&
	    t->flags == flags)
		return;
	t->ppid = ppid;
	t->lastcount = count;
	t->lastall = a;
	t->flags = flags;
	t->dirty = 1;
}

void
side_start(struct side *t, uint32_t ppid, long all)
{
	note(t, ppid, 0, all, 0);
}

int
side_massdone(const struct side *t, uint32_t ppid, uint32_t count, long all)
{
	return (t->flags & SIDE_MASSDONE) && count > 0 && t->ppid == ppid &&
	    count >= t->lastcount && (all < 0 || (uint32_t)all > t->lastall);
}

uint32_t
side_massn(const struct side *t, time_t now, uint32_t period)
{
	uint32_t n;

	for (n = 0; n < t->nmass && t->mass[n] > (int64_t)now - period; n++)
		;
	return n;
}

void
side_mass(struct side *t, time_t now, uint32_t ppid, uint32_t count,
    long all)
{
	memmove(&t->mass[1], &t->mass[0], (SIDE_MASS - 1) * sizeof(t->mass[0]));
	t->mass[0] = now;
	if (t->nmass < SIDE_MASS)
		t->nmass++;
	t->dirty = 1;
	note(t, ppid, count, all, SIDE_MASSDONE);
}

void
side_settle(struct side *t, time_t now)
{
	int64_t ahead = (int64_t)now + POL_FUTURE;
	uint32_t i;

	if ((t->nnets == 0 || t->net[0].last <= ahead) &&
	    (t->nmass == 0 || t->mass[0] <= ahead))
		return;				/* most recent first */
	for (i = 0; i < t->nnets; i++)
		if (t->net[i].last > (int64_t)now)
			t->net[i].last = now;
	for (i = 0; i < t->nmass; i++)
		if (t->mass[i] > (int64_t)now)
			t->mass[i] = now;
	t->dirty = 1;
}

int
side_live(const struct side *t, time_t now, uint32_t keep)
{
	int64_t cutoff = (int64_t)now - (int64_t)keep;

	return (t->nnets > 0 && t->net[0].last > cutoff) ||
	    (t->nmass > 0 && t->mass[0] > cutoff);
}

int
side_close(struct side *t)
{
	unsigned char b[SIDE_SIZE];
	uint32_t i;

	if (t->fd < 0)
		return 0;
	if (t->dirty) {
		memset(b, 0, sizeof(b));
		memcpy(b, magic, 8);
		le_put64(b + 8, (uint64_t)t->nnets | (uint64_t)t->nmass << 32);
		le_put64(b + 16, (uint64_t)t->ppid | (uint64_t)t->lastcount << 32);
		le_put32(b + 24, t->lastall);
		le_put32(b + 28, t->flags);
		for (i = 0; i < SIDE_NETS; i++) {
			memcpy(b + SIDE_HDR + 24 * i, t->net[i].a, 16);
			le_put64(b + SIDE_HDR + 16 + 24 * i,
			    (uint64_t)t->net[i].last);
		}
		for (i = 0; i < SIDE_MASS; i++)
			le_put64(b + SIDE_HDR + 24 * SIDE_NETS + 8 * i,
			    (uint64_t)t->mass[i]);
		if (pwrite(t->fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return fail(t, "write", errno ? errno : EIO);
		if (t->healed && ftruncate(t->fd, SIDE_SIZE) < 0)
			return fail(t, "truncate", errno);
	}
	close(t->fd);
	t->fd = -1;
	return 0;
}
