/* track.c: see track.h. The file: magic "RCPTOLX1", u32 nnets, u32 nmass,
 * TRACK_NETS x {16-byte network, i64 last seen}, TRACK_MASS x i64; all
 * little-endian, fixed size. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "track.h"

static const unsigned char magic[8] = { 'R', 'C', 'P', 'T', 'O', 'L', 'X', '1' };

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
fail(struct track *t, const char *what, int err)
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
track_open(struct store *s, const char *enc, int create, struct track *t)
{
	unsigned char b[TRACK_SIZE];
	char name[NAME_ENCMAX + sizeof(TRACK_SUFFIX)];
	struct stat sb;
	ssize_t n;
	uint32_t i;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if ((size_t)snprintf(name, sizeof(name), "%s%s", enc, TRACK_SUFFIX) >=
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
	if (sb.st_size == 0)
		return 0;			/* new */
	if (sb.st_size != TRACK_SIZE)
		return fail(t, "corrupt (size)", 0);
	if ((n = pread(t->fd, b, sizeof(b), 0)) != (ssize_t)sizeof(b))
		return fail(t, "read", n < 0 ? errno : EIO);
	t->nnets = (uint32_t)get64(b + 8);
	t->nmass = (uint32_t)(get64(b + 8) >> 32);
	if (memcmp(b, magic, 8) != 0 || t->nnets > TRACK_NETS ||
	    t->nmass > TRACK_MASS)
		return fail(t, "corrupt", 0);
	for (i = 0; i < TRACK_NETS; i++) {
		memcpy(t->net[i].a, b + 16 + 24 * i, 16);
		t->net[i].last = (int64_t)get64(b + 32 + 24 * i);
	}
	for (i = 0; i < TRACK_MASS; i++)
		t->mass[i] = (int64_t)get64(b + 16 + 24 * TRACK_NETS + 8 * i);
	return 0;
}

uint32_t
track_seen(struct track *t, const unsigned char a[16], time_t now,
    uint32_t period, uint32_t max, int64_t *retry)
{
	uint32_t i, n;
	unsigned char cur[16];
	int64_t cutoff = (int64_t)now - (int64_t)period, last;

	memcpy(cur, a, 16);
	for (i = 0; i < t->nnets && memcmp(t->net[i].a, cur, 16) != 0; i++)
		;
	if (i == t->nnets && t->nnets < TRACK_NETS)
		t->nnets++;			/* new: the oldest may go */
	if (i == TRACK_NETS)
		i--;
	last = i < t->nnets && memcmp(t->net[i].a, cur, 16) == 0 ?
	    t->net[i].last : -1;
	if (i != 0 || last != (int64_t)now) {
		/* move it to the front, stamped now */
		memmove(&t->net[1], &t->net[0], i * sizeof(t->net[0]));
		memcpy(t->net[0].a, cur, 16);
		t->net[0].last = last > (int64_t)now ? last : (int64_t)now;
		t->dirty = 1;
	}
	for (n = 0; n < t->nnets && t->net[n].last > cutoff; n++)
		;
	*retry = 0;
	if (max > 0 && n > max && max < t->nnets)
		*retry = t->net[max].last + period;
	return n;
}

uint32_t
track_massn(const struct track *t, time_t now, uint32_t period)
{
	uint32_t n;

	for (n = 0; n < t->nmass && t->mass[n] > (int64_t)now - period; n++)
		;
	return n;
}

void
track_mass(struct track *t, time_t now)
{
	memmove(&t->mass[1], &t->mass[0], (TRACK_MASS - 1) * sizeof(t->mass[0]));
	t->mass[0] = now;
	if (t->nmass < TRACK_MASS)
		t->nmass++;
	t->dirty = 1;
}

int
track_live(const struct track *t, time_t now, uint32_t keep)
{
	int64_t cutoff = (int64_t)now - (int64_t)keep;

	return (t->nnets > 0 && t->net[0].last > cutoff) ||
	    (t->nmass > 0 && t->mass[0] > cutoff);
}

int
track_close(struct track *t)
{
	unsigned char b[TRACK_SIZE];
	uint32_t i;

	if (t->fd < 0)
		return 0;
	if (t->dirty) {
		memset(b, 0, sizeof(b));
		memcpy(b, magic, 8);
		put64(b + 8, (uint64_t)t->nnets | (uint64_t)t->nmass << 32);
		for (i = 0; i < TRACK_NETS; i++) {
			memcpy(b + 16 + 24 * i, t->net[i].a, 16);
			put64(b + 32 + 24 * i, (uint64_t)t->net[i].last);
		}
		for (i = 0; i < TRACK_MASS; i++)
			put64(b + 16 + 24 * TRACK_NETS + 8 * i,
			    (uint64_t)t->mass[i]);
		if (pwrite(t->fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return fail(t, "write", errno ? errno : EIO);
	}
	close(t->fd);
	t->fd = -1;
	return 0;
}
