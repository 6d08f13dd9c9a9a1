/* check_side.c: unit tests of src/side.[ch] (DESIGN.md "Compromise
 * signals and aggregate limits": the side file NAME#x). */
#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "counter.h"
#include "testdir.h"
#include "side.h"

Suite	*side_suite(void);

#define CHECK(c, ...) do { if (!(c)) ck_abort_msg(__VA_ARGS__); } while (0)

/* the test case's directory, /tmp/ck_track.XXXXXX: see testdir.h */
static void
mkdir_tc(void)
{
	td_mkdir("track");
}

/* The whole file into b (at most bsz bytes); returns its size. */
static size_t
slurp(const char *name, unsigned char *b, size_t bsz)
{
	ssize_t n;
	int fd = open(td_path(name), O_RDONLY);

	ck_assert_int_ge(fd, 0);
	n = read(fd, b, bsz);
	close(fd);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
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

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The network of the IPv4 a.b.c.x: ::ffff:a.b.c.0. */
static const unsigned char *
net4(unsigned a, unsigned b, unsigned c)
{
	static unsigned char n[8][16];
	static int i;

	i = (i + 1) % 8;
	memset(n[i], 0, 16);
	n[i][10] = n[i][11] = 0xff;
	n[i][12] = (unsigned char)a;
	n[i][13] = (unsigned char)b;
	n[i][14] = (unsigned char)c;
	return n[i];
}

/* Network number k (0..65535) as an IPv6 /64: 2001:db8:0:k::. */
static const unsigned char *
net6(unsigned k)
{
	static unsigned char n[8][16];
	static int i;

	i = (i + 1) % 8;
	memset(n[i], 0, 16);
	n[i][0] = 0x20;
	n[i][1] = 0x01;
	n[i][2] = 0x0d;
	n[i][3] = 0xb8;
	n[i][6] = (unsigned char)(k >> 8);
	n[i][7] = (unsigned char)k;
	return n[i];
}

static void
topen(const char *enc, int create, struct side *t)
{
	int rc = side_open(&td_st, enc, create, t);

	ck_assert_msg(rc == 0, "side_open %s: %d %s", enc, rc, t->err);
	ck_assert_int_ge(t->fd, 0);
}

static void
tclose(struct side *t)
{
	ck_assert_msg(side_close(t) == 0, "side_close: %s", t->err);
	ck_assert_int_eq(t->fd, -1);
}

/* side_seen, checking the count and the retry. */
static void
seen(struct side *t, const unsigned char *a, time_t now, uint32_t period,
    uint32_t max, uint32_t wantn, int64_t wantretry)
{
	int64_t retry = -12345;
	uint32_t n = side_seen(t, a, now, period, max, &retry);

	CHECK(n == wantn, "seen at %ld (period %u, max %u): %u networks, want %u",
	    (long)now, period, max, n, wantn);
	CHECK(retry == wantretry, "seen at %ld (period %u, max %u): retry %lld, "
	    "want %lld", (long)now, period, max, (long long)retry,
	    (long long)wantretry);
}

/* ---- the file ---- */

START_TEST(open_creates_side_file)
{
	struct side t;
	unsigned char b[2 * SIDE_SIZE];

	ck_assert(!td_exists("u#x"));
	topen("u", 1, &t);
	ck_assert(td_exists("u#x"));
	ck_assert(!td_exists("u"));		/* not the counter file */
	ck_assert_int_eq(td_fsize("u#x"), 0);
	ck_assert_uint_eq(t.nnets, 0);
	ck_assert_uint_eq(t.nmass, 0);
	ck_assert_int_eq(t.dirty, 0);
	ck_assert_uint_eq(side_massn(&t, 1000, 100000), 0);
	ck_assert_int_eq(side_live(&t, 1000, 100000), 0);
	tclose(&t);
	ck_assert_int_eq(td_fsize("u#x"), 0);	/* nothing changed: not written */
	/* an empty file is a new one */
	topen("u", 0, &t);
	ck_assert_uint_eq(t.nnets, 0);
	seen(&t, net4(1, 2, 3), 1000, 60, 3, 1, 0);
	ck_assert_int_eq(t.dirty, 1);
	tclose(&t);
	ck_assert_int_eq(td_fsize("u#x"), SIDE_SIZE);
	ck_assert_uint_eq(slurp("u#x", b, sizeof(b)), SIDE_SIZE);
	ck_assert_mem_eq(b, "RCPTOLX2", 8);
	ck_assert_uint_eq(get64(b + 8), 1);	/* nnets 1, nmass 0 */
	ck_assert_mem_eq(b + SIDE_HDR, net4(1, 2, 3), 16);
	ck_assert_uint_eq(get64(b + SIDE_HDR + 16), 1000);
	/* created 0600 */
	{
		struct stat sb;

		ck_assert_int_eq(stat(td_path("u#x"), &sb), 0);
		ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	}
}
END_TEST

START_TEST(open_missing_nocreate)
{
	struct side t;

	memset(&t, 0x5a, sizeof(t));
	ck_assert_int_eq(side_open(&td_st, "nobody", 0, &t), 1);
	ck_assert_int_eq(t.fd, -1);
	ck_assert(!td_exists("nobody#x"));
	ck_assert(!td_exists("nobody"));
	ck_assert_int_eq(side_close(&t), 0);	/* harmless */
	ck_assert(!td_exists("nobody#x"));
	/* a counter file of that name does not make a side file */
	td_writeraw("somebody", "", 0);
	ck_assert_int_eq(side_open(&td_st, "somebody", 0, &t), 1);
	ck_assert(!td_exists("somebody#x"));
}
END_TEST

START_TEST(persistence)
{
	struct side t, u;
	int i;

	topen("p", 1, &t);
	for (i = 0; i < 5; i++)
		seen(&t, net4(10, 0, (unsigned)i), 1000 + i, 3600, 32,
		    (uint32_t)i + 1, 0);
	seen(&t, net6(7), 1010, 3600, 32, 6, 0);
	side_mass(&t, 1001, 1, 1, 2);
	side_mass(&t, 1005, 1, 1, 2);
	side_mass(&t, 1009, 1, 1, 2);
	u = t;
	tclose(&t);

	topen("p", 0, &t);
	ck_assert_uint_eq(t.nnets, 6);
	ck_assert_uint_eq(t.nmass, 3);
	ck_assert_int_eq(t.dirty, 0);
	for (i = 0; i < 6; i++) {
		ck_assert_mem_eq(t.net[i].a, u.net[i].a, 16);
		ck_assert_int_eq(t.net[i].last, u.net[i].last);
	}
	ck_assert_mem_eq(t.net[0].a, net6(7), 16);
	ck_assert_int_eq(t.net[0].last, 1010);
	ck_assert_mem_eq(t.net[5].a, net4(10, 0, 0), 16);
	ck_assert_int_eq(t.net[5].last, 1000);
	ck_assert_int_eq(t.mass[0], 1009);
	ck_assert_int_eq(t.mass[1], 1005);
	ck_assert_int_eq(t.mass[2], 1001);
	ck_assert_uint_eq(side_massn(&t, 1010, 3600), 3);
	/* counting goes on where it stopped */
	seen(&t, net4(10, 0, 2), 1020, 3600, 32, 6, 0);	/* known */
	seen(&t, net4(10, 0, 99), 1021, 3600, 32, 7, 0);	/* new */
	/* 10.0.100 1022, 10.0.99 1021, 10.0.2 1020, net6(7) 1010,
	 * 10.0.4 1004, 10.0.3 1003: the 6th most recent leaves at 1003 + P */
	seen(&t, net4(10, 0, 100), 1022, 3600, 5, 8, 1003 + 3600);
	tclose(&t);
	topen("p", 0, &t);
	ck_assert_uint_eq(t.nnets, 8);
	ck_assert_mem_eq(t.net[0].a, net4(10, 0, 100), 16);
	ck_assert_mem_eq(t.net[2].a, net4(10, 0, 2), 16);
	ck_assert_int_eq(t.net[2].last, 1020);
	tclose(&t);
}
END_TEST

/* Seen again in the same second at the front: nothing to write. */
START_TEST(unchanged_not_written)
{
	struct side t;
	unsigned char b1[SIDE_SIZE + 8], b2[SIDE_SIZE + 8];
	size_t n1, n2;

	topen("w", 1, &t);
	seen(&t, net4(1, 1, 1), 500, 60, 3, 1, 0);
	seen(&t, net4(2, 2, 2), 501, 60, 3, 2, 0);
	tclose(&t);
	n1 = slurp("w#x", b1, sizeof(b1));
	topen("w", 0, &t);
	seen(&t, net4(2, 2, 2), 501, 60, 3, 2, 0);
	ck_assert_int_eq(t.dirty, 0);
	ck_assert_uint_eq(side_massn(&t, 501, 60), 0);
	ck_assert_int_eq(t.dirty, 0);
	tclose(&t);
	n2 = slurp("w#x", b2, sizeof(b2));
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(b1, b2, n1);
	/* a new second, or another network at the front, is a change */
	topen("w", 0, &t);
	seen(&t, net4(2, 2, 2), 502, 60, 3, 2, 0);
	ck_assert_int_eq(t.dirty, 1);
	tclose(&t);
	topen("w", 0, &t);
	seen(&t, net4(1, 1, 1), 502, 60, 3, 2, 0);
	ck_assert_int_eq(t.dirty, 1);
	tclose(&t);
	topen("w", 0, &t);
	ck_assert_mem_eq(t.net[0].a, net4(1, 1, 1), 16);
	ck_assert_int_eq(t.net[0].last, 502);
	ck_assert_mem_eq(t.net[1].a, net4(2, 2, 2), 16);
	ck_assert_int_eq(t.net[1].last, 502);
	tclose(&t);
}
END_TEST

START_TEST(wrong_size)
{
	static const size_t sizes[] = { 1, 8, 16, 100, SIDE_SIZE - 1,
	    SIDE_SIZE + 1, 2 * SIDE_SIZE };
	unsigned char b[2 * SIDE_SIZE + 8], c[2 * SIDE_SIZE + 8];
	struct side t;
	size_t i, n;
	int create;

	/* bad contents (a crash, tampering, the older 1064-byte format):
	 * started afresh and rewritten, whether asked to create or not */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (create = 0; create <= 1; create++) {
			memset(b, 0, sizeof(b));
			memcpy(b, "RCPTOLX2", 8);
			td_writeraw("s#x", b, sizes[i]);
			t.err[0] = '\0';
			ck_assert_int_eq(side_open(&td_st, "s", create, &t), 0);
			ck_assert_int_ge(t.fd, 0);
			ck_assert_int_eq(t.healed, 1);
			ck_assert_uint_eq(t.nnets, 0);
			ck_assert_msg(strstr(t.err, "afresh") != NULL,
			    "size %zu: err \"%s\"", sizes[i], t.err);
			ck_assert_int_eq(side_close(&t), 0);
			n = slurp("s#x", c, sizeof(c));
			ck_assert_uint_eq(n, SIDE_SIZE);
			ck_assert_mem_eq(c, "RCPTOLX2", 8);
		}
	}
}
END_TEST

START_TEST(corrupt_contents)
{
	unsigned char b[SIDE_SIZE], good[SIDE_SIZE];
	struct side t;

	topen("c", 1, &t);
	seen(&t, net4(1, 2, 3), 1000, 60, 3, 1, 0);
	side_mass(&t, 1000, 1, 1, 2);
	tclose(&t);
	ck_assert_uint_eq(slurp("c#x", good, sizeof(good)), SIDE_SIZE);

	/* each is started afresh (healed, empty), not trusted */
	memcpy(b, good, sizeof(b));		/* bad magic */
	b[7] = '9';
	td_writeraw("c#x", b, sizeof(b));
	ck_assert_int_eq(side_open(&td_st, "c", 0, &t), 0);
	ck_assert_int_eq(t.healed, 1);
	ck_assert_uint_eq(t.nnets, 0);
	ck_assert_ptr_nonnull(strstr(t.err, "corrupt"));
	tclose(&t);

	memcpy(b, good, sizeof(b));		/* too many networks */
	put64(b + 8, (uint64_t)(SIDE_NETS + 1));
	td_writeraw("c#x", b, sizeof(b));
	ck_assert_int_eq(side_open(&td_st, "c", 0, &t), 0);
	ck_assert_int_eq(t.healed, 1);
	ck_assert_ptr_nonnull(strstr(t.err, "corrupt"));
	tclose(&t);

	memcpy(b, good, sizeof(b));		/* too many mass times */
	put64(b + 8, 1 | (uint64_t)(SIDE_MASS + 1) << 32);
	td_writeraw("c#x", b, sizeof(b));
	ck_assert_int_eq(side_open(&td_st, "c", 0, &t), 0);
	ck_assert_int_eq(t.healed, 1);
	ck_assert_uint_eq(t.nmass, 0);
	tclose(&t);

	/* one network twice (a torn rewrite): counted once */
	memcpy(b, good, sizeof(b));
	put64(b + 8, 2 | (uint64_t)1 << 32);
	memcpy(b + SIDE_HDR + 24, b + SIDE_HDR, 24);
	td_writeraw("c#x", b, sizeof(b));
	topen("c", 0, &t);
	ck_assert_int_eq(t.healed, 0);
	ck_assert_uint_eq(t.nnets, 1);
	tclose(&t);

	memcpy(b, good, sizeof(b));		/* the most is fine */
	put64(b + 8, SIDE_NETS | (uint64_t)SIDE_MASS << 32);
	{
		int k;

		for (k = 1; k < SIDE_NETS; k++)	/* distinct networks */
			b[SIDE_HDR + 24 * k] = (unsigned char)(0x20 + k);
	}
	td_writeraw("c#x", b, sizeof(b));
	topen("c", 0, &t);
	ck_assert_uint_eq(t.nnets, SIDE_NETS);
	ck_assert_uint_eq(t.nmass, SIDE_MASS);
	tclose(&t);

	td_writeraw("c#x", good, sizeof(good));	/* and the original */
	topen("c", 0, &t);
	ck_assert_uint_eq(t.nnets, 1);
	ck_assert_uint_eq(t.nmass, 1);
	tclose(&t);
}
END_TEST

START_TEST(symlink_refused)
{
	struct side t;
	unsigned char b[64];
	int create;

	td_writeraw("target", "keep me", 7);
	ck_assert_int_eq(symlink("target", td_path("l#x")), 0);
	for (create = 0; create <= 1; create++) {
		ck_assert_int_eq(side_open(&td_st, "l", create, &t), -1);
		ck_assert_int_eq(t.fd, -1);
		ck_assert_msg(strstr(t.err, "symlink") != NULL, "err \"%s\"",
		    t.err);
	}
	ck_assert_uint_eq(slurp("target", b, sizeof(b)), 7);
	ck_assert_mem_eq(b, "keep me", 7);
	/* a dangling one: nothing is created at its target */
	ck_assert_int_eq(symlink("nothere", td_path("d#x")), 0);
	for (create = 0; create <= 1; create++)
		ck_assert_int_eq(side_open(&td_st, "d", create, &t), -1);
	ck_assert(!td_exists("nothere"));
}
END_TEST

START_TEST(not_regular_refused)
{
	struct side t;
	int create;

	alarm(20);				/* a FIFO must not block */
	ck_assert_int_eq(mkfifo(td_path("f#x"), 0600), 0);
	for (create = 0; create <= 1; create++) {
		ck_assert_int_eq(side_open(&td_st, "f", create, &t), -1);
		ck_assert_int_eq(t.fd, -1);
		ck_assert_msg(strstr(t.err, "not a regular file") != NULL,
		    "err \"%s\"", t.err);
	}
	ck_assert_int_eq(mkdir(td_path("dd#x"), 0700), 0);
	for (create = 0; create <= 1; create++) {
		ck_assert_int_eq(side_open(&td_st, "dd", create, &t), -1);
		ck_assert_int_eq(t.fd, -1);
		ck_assert(t.err[0] != '\0');
	}
	alarm(0);
}
END_TEST

/* ---- networks ---- */

START_TEST(nets_distinct_in_window)
{
	struct side t;

	topen("n", 1, &t);
	/* max 3 in 100 s: the 4th network is "more than 3" */
	seen(&t, net4(1, 0, 1), 1000, 100, 3, 1, 0);
	seen(&t, net4(1, 0, 2), 1001, 100, 3, 2, 0);
	seen(&t, net4(1, 0, 3), 1002, 100, 3, 3, 0);
	/* the same network again: still 3 */
	seen(&t, net4(1, 0, 3), 1002, 100, 3, 3, 0);
	seen(&t, net4(1, 0, 2), 1003, 100, 3, 3, 0);
	ck_assert_uint_eq(t.nnets, 3);
	/* 4th: retry when the 4th most recent (1.0.1 at 1000) leaves */
	seen(&t, net4(1, 0, 4), 1004, 100, 3, 4, 1100);
	/* 5th: now the 4th most recent is 1.0.3 at 1002 */
	seen(&t, net4(1, 0, 5), 1005, 100, 3, 5, 1102);
	ck_assert_uint_eq(t.nnets, 5);
	/* one second before the retry the count is still over... */
	seen(&t, net4(1, 0, 5), 1101, 100, 3, 4, 1102);
	/* ...and at it, exactly max */
	seen(&t, net4(1, 0, 5), 1102, 100, 3, 3, 0);
	/* a larger max for the same list: no retry */
	seen(&t, net4(1, 0, 5), 1102, 100, 32, 3, 0);
	/* a shorter period counts fewer: 1.0.5 1102, 1.0.4 1004, 1.0.2 1003 */
	seen(&t, net4(1, 0, 5), 1102, 1, 3, 1, 0);
	seen(&t, net4(1, 0, 5), 1102, 99, 3, 2, 0);
	seen(&t, net4(1, 0, 5), 1102, 100, 1, 3, 1104);	/* 1.0.4 + 100 */
	/* all expired: only the current one */
	seen(&t, net4(9, 9, 9), 5000, 100, 3, 1, 0);
	ck_assert_uint_eq(t.nnets, 6);
	tclose(&t);
}
END_TEST

START_TEST(nets_move_to_front)
{
	struct side t;

	topen("m", 1, &t);
	seen(&t, net4(1, 1, 1), 1000, 100, 32, 1, 0);	/* A */
	seen(&t, net4(2, 2, 2), 1001, 100, 32, 2, 0);	/* B */
	seen(&t, net4(3, 3, 3), 1002, 100, 32, 3, 0);	/* C */
	seen(&t, net4(1, 1, 1), 1003, 100, 32, 3, 0);	/* A again */
	ck_assert_uint_eq(t.nnets, 3);
	ck_assert_mem_eq(t.net[0].a, net4(1, 1, 1), 16);
	ck_assert_int_eq(t.net[0].last, 1003);
	ck_assert_mem_eq(t.net[1].a, net4(3, 3, 3), 16);
	ck_assert_int_eq(t.net[1].last, 1002);
	ck_assert_mem_eq(t.net[2].a, net4(2, 2, 2), 16);
	ck_assert_int_eq(t.net[2].last, 1001);
	/* B left at 1101 (A's move kept A from counting twice); C, the
	 * 2nd most recent, leaves at 1102 */
	seen(&t, net4(1, 1, 1), 1101, 100, 1, 2, 1102);
	/* B from the back to the front; C (1002) has left */
	seen(&t, net4(2, 2, 2), 1102, 100, 32, 2, 0);
	ck_assert_uint_eq(t.nnets, 3);
	ck_assert_mem_eq(t.net[0].a, net4(2, 2, 2), 16);
	ck_assert_mem_eq(t.net[1].a, net4(1, 1, 1), 16);
	ck_assert_mem_eq(t.net[2].a, net4(3, 3, 3), 16);
	/* IPv4 and IPv6 networks are distinct, /64s of one /48 too */
	seen(&t, net6(1), 1103, 100, 32, 3, 0);
	seen(&t, net6(2), 1103, 100, 32, 4, 0);
	seen(&t, net6(1), 1104, 100, 32, 4, 0);
	seen(&t, net4(3, 3, 3), 1104, 100, 32, 5, 0);
	tclose(&t);
}
END_TEST

/* With RULE_SIGMAX + 1 kept, "more than M" is exact even for M = 32:
 * the oldest is dropped, never a network within the window that
 * matters. */
START_TEST(nets_full_list)
{
	struct side t;
	unsigned i;

	topen("f", 1, &t);
	side_mass(&t, 900, 1, 1, 2);
	side_mass(&t, 901, 1, 1, 2);
	for (i = 0; i < SIDE_NETS; i++)
		seen(&t, net6(i), 1000 + i, 1000, RULE_SIGMAX, i + 1,
		    i + 1 > RULE_SIGMAX ? 1000 + 1000 : 0);
	ck_assert_uint_eq(t.nnets, SIDE_NETS);
	/* 34 networks within the window: counted as 33, still > 32 */
	seen(&t, net6(100), 1100, 1000, RULE_SIGMAX, SIDE_NETS, 1001 + 1000);
	ck_assert_uint_eq(t.nnets, SIDE_NETS);
	/* the oldest (net6(0)) was dropped, the newest at the front */
	ck_assert_mem_eq(t.net[0].a, net6(100), 16);
	ck_assert_mem_eq(t.net[SIDE_NETS - 1].a, net6(1), 16);
	for (i = 0; i < SIDE_NETS; i++)
		ck_assert(memcmp(t.net[i].a, net6(0), 16) != 0);
	/* net6(0) seen again: new, and net6(1) goes */
	seen(&t, net6(0), 1101, 1000, RULE_SIGMAX, SIDE_NETS, 1002 + 1000);
	ck_assert_mem_eq(t.net[SIDE_NETS - 1].a, net6(2), 16);
	/* the one at the back seen again moves to the front, nothing lost */
	seen(&t, net6(2), 1102, 1000, RULE_SIGMAX, SIDE_NETS, 1003 + 1000);
	ck_assert_mem_eq(t.net[0].a, net6(2), 16);
	ck_assert_mem_eq(t.net[1].a, net6(0), 16);
	ck_assert_mem_eq(t.net[SIDE_NETS - 1].a, net6(3), 16);
	/* a full list stays within its bounds: the mass times are intact */
	ck_assert_uint_eq(t.nmass, 2);
	ck_assert_int_eq(t.mass[0], 901);
	ck_assert_int_eq(t.mass[1], 900);
	ck_assert_int_eq(t.mass[2], 0);
	tclose(&t);
	topen("f", 0, &t);
	ck_assert_uint_eq(t.nnets, SIDE_NETS);
	ck_assert_mem_eq(t.net[0].a, net6(2), 16);
	ck_assert_mem_eq(t.net[SIDE_NETS - 1].a, net6(3), 16);
	tclose(&t);
}
END_TEST

/*
 * Against a model that remembers every network's last sighting: the
 * count is min(distinct networks seen within the window, SIDE_NETS),
 * and when it is over max, the retry is the moment the (max+1)-th most
 * recent sighting leaves the window. Time goes forward (with repeats of
 * the same second), the file is closed and reopened now and then.
 */
START_TEST(nets_model)
{
	enum { NNET = 80 };
	int64_t last[NNET], sorted[NNET], tmp, retry, want_retry;
	struct side t;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	uint32_t period, max, n, truth;
	time_t now = 100000;
	int i, j, k, step, pool;

#define NEXT()	(rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
	for (i = 0; i < NNET; i++)
		last[i] = INT64_MIN;
	topen("model", 1, &t);
	for (step = 0; step < 20000; step++) {
		/* phases: few networks, many, bursts */
		pool = (step / 1000) % 3 == 0 ? 5 : (step / 1000) % 3 == 1 ?
		    NNET : 40;
		now += (time_t)(NEXT() % 4 == 0 ? NEXT() % 200 : NEXT() % 3);
		k = (int)(NEXT() % (uint64_t)pool);
		period = 1 + (uint32_t)(NEXT() % 600);
		max = 1 + (uint32_t)(NEXT() % RULE_SIGMAX);
		last[k] = now;
		n = side_seen(&t, net6((unsigned)k), now, period, max, &retry);
		/* the model */
		for (i = 0, j = 0; i < NNET; i++)
			if (last[i] != INT64_MIN)
				sorted[j++] = last[i];
		for (i = 1; i < j; i++)		/* descending */
			for (k = i; k > 0 && sorted[k - 1] < sorted[k]; k--) {
				tmp = sorted[k];
				sorted[k] = sorted[k - 1];
				sorted[k - 1] = tmp;
			}
		for (truth = 0; (int)truth < j &&
		    sorted[truth] > (int64_t)now - period; truth++)
			;
		CHECK(n == (truth < SIDE_NETS ? truth : SIDE_NETS),
		    "step %d at %ld (period %u): %u networks, model %u", step,
		    (long)now, period, n, truth);
		want_retry = n > max ? sorted[max] + period : 0;
		CHECK(retry == want_retry, "step %d at %ld (period %u, max %u): "
		    "retry %lld, model %lld", step, (long)now, period, max,
		    (long long)retry, (long long)want_retry);
		/* over max is exact: the same as the model */
		CHECK((n > max) == (truth > max), "step %d: over %d, model %d",
		    step, n > max, truth > max);
		if (NEXT() % 50 == 0) {
			tclose(&t);
			topen("model", 0, &t);
		}
	}
	tclose(&t);
#undef NEXT
}
END_TEST

/* ---- mass messages ---- */

START_TEST(mass_messages)
{
	struct side t;
	int i;

	topen("mm", 1, &t);
	ck_assert_uint_eq(side_massn(&t, 1000, 100), 0);
	side_mass(&t, 1000, 1, 1, 2);
	ck_assert_int_eq(t.dirty, 1);
	side_mass(&t, 1010, 1, 1, 2);
	side_mass(&t, 1020, 1, 1, 2);
	ck_assert_uint_eq(t.nmass, 3);
	ck_assert_uint_eq(side_massn(&t, 1020, 100), 3);
	ck_assert_uint_eq(side_massn(&t, 1099, 100), 3);
	ck_assert_uint_eq(side_massn(&t, 1100, 100), 2);	/* 1000 left */
	ck_assert_uint_eq(side_massn(&t, 1105, 100), 2);
	ck_assert_uint_eq(side_massn(&t, 1110, 100), 1);
	ck_assert_uint_eq(side_massn(&t, 1119, 100), 1);
	ck_assert_uint_eq(side_massn(&t, 1120, 100), 0);
	ck_assert_uint_eq(side_massn(&t, 1020, 1), 1);
	ck_assert_uint_eq(side_massn(&t, 1020, 10), 1);
	ck_assert_uint_eq(side_massn(&t, 1020, 11), 2);
	/* two in the same second are two messages */
	side_mass(&t, 1020, 1, 1, 2);
	ck_assert_uint_eq(side_massn(&t, 1020, 1), 2);
	tclose(&t);
	topen("mm", 0, &t);
	ck_assert_uint_eq(t.nmass, 4);
	ck_assert_uint_eq(side_massn(&t, 1020, 100), 4);
	/* at most SIDE_MASS kept, most recent first */
	for (i = 0; i < 40; i++)
		side_mass(&t, 2000 + i, 1, 1, 2);
	ck_assert_uint_eq(t.nmass, SIDE_MASS);
	ck_assert_int_eq(t.mass[0], 2039);
	ck_assert_int_eq(t.mass[SIDE_MASS - 1], 2039 - (SIDE_MASS - 1));
	ck_assert_uint_eq(side_massn(&t, 2039, 1000000), SIDE_MASS);
	ck_assert_uint_eq(side_massn(&t, 2039, 10), 10);
	tclose(&t);
	topen("mm", 0, &t);
	ck_assert_uint_eq(t.nmass, SIDE_MASS);
	ck_assert_int_eq(t.mass[0], 2039);
	ck_assert_int_eq(t.mass[SIDE_MASS - 1], 2039 - (SIDE_MASS - 1));
	/* the networks are untouched by it */
	ck_assert_uint_eq(t.nnets, 0);
	tclose(&t);
}
END_TEST

/* One message counted once: its start, its later recipients, a retry of
 * one in the same session; the next message and another session not. */
START_TEST(mass_message_identity)
{
	struct side t;

	topen("mi", 1, &t);
	side_start(&t, 77, 1);
	ck_assert_int_eq(side_massdone(&t, 77, 2, 3), 0);
	side_mass(&t, 1000, 77, 2, 3);			/* the R-th (R = 3) */
	ck_assert_int_eq(side_massdone(&t, 77, 3, 4), 1);	/* later */
	ck_assert_int_eq(side_massdone(&t, 77, 2, 5), 1);	/* a retry */
	ck_assert_int_eq(side_massdone(&t, 77, 2, 3), 0);	/* not grown */
	ck_assert_int_eq(side_massdone(&t, 78, 3, 4), 0);	/* another session */
	ck_assert_int_eq(side_massdone(&t, 77, 1, 9), 0);	/* count fell */
	ck_assert_int_eq(side_massdone(&t, 77, 0, 9), 0);	/* a start */
	tclose(&t);
	topen("mi", 0, &t);				/* kept in the file */
	ck_assert_int_eq(side_massdone(&t, 77, 4, 6), 1);
	side_start(&t, 77, 7);				/* the next message */
	ck_assert_int_eq(side_massdone(&t, 77, 4, 11), 0);
	tclose(&t);
}
END_TEST

/* The clock was stepped forward, then back: times far ahead become now,
 * so networks and mass messages count for one period of the corrected
 * clock; a small step (within POL_FUTURE) changes nothing. */
START_TEST(settle_future)
{
	static const unsigned char a1[16] = { 1 }, a2[16] = { 2 };
	struct side t;
	int64_t retry;

	topen("fu", 1, &t);
	seen(&t, a1, 1000000, 100, 5, 1, 0);
	side_mass(&t, 1000000, 1, 2, 3);
	side_settle(&t, 1000000 - POL_FUTURE);	/* within: kept */
	ck_assert_int_eq(t.net[0].last, 1000000);
	ck_assert_int_eq(t.mass[0], 1000000);
	t.dirty = 0;
	side_settle(&t, 1000);				/* a big step back */
	ck_assert_int_eq(t.dirty, 1);
	ck_assert_int_eq(t.net[0].last, 1000);
	ck_assert_int_eq(t.mass[0], 1000);
	ck_assert_uint_eq(side_massn(&t, 1099, 100), 1);
	ck_assert_uint_eq(side_massn(&t, 1100, 100), 0);
	ck_assert_uint_eq(side_seen(&t, a2, 1050, 100, 5, &retry), 2);
	ck_assert_uint_eq(side_seen(&t, a2, 1100, 100, 5, &retry), 1);
	tclose(&t);
}
END_TEST

START_TEST(live)
{
	struct side t;

	topen("lv", 1, &t);
	ck_assert_int_eq(side_live(&t, 0, 0), 0);
	ck_assert_int_eq(side_live(&t, 1000, 86400), 0);
	seen(&t, net4(1, 2, 3), 1000, 60, 3, 1, 0);
	ck_assert_int_eq(side_live(&t, 1000, 100), 1);
	ck_assert_int_eq(side_live(&t, 1099, 100), 1);
	ck_assert_int_eq(side_live(&t, 1100, 100), 0);
	ck_assert_int_eq(side_live(&t, 5000, 100), 0);
	/* a newer network keeps it live */
	seen(&t, net4(1, 2, 4), 1050, 60, 3, 2, 0);
	ck_assert_int_eq(side_live(&t, 1100, 100), 1);
	ck_assert_int_eq(side_live(&t, 1149, 100), 1);
	ck_assert_int_eq(side_live(&t, 1150, 100), 0);
	/* and so does a mass message */
	side_mass(&t, 3000, 1, 1, 2);
	ck_assert_int_eq(side_live(&t, 3099, 100), 1);
	ck_assert_int_eq(side_live(&t, 3100, 100), 0);
	tclose(&t);
	/* only mass messages */
	topen("lm", 1, &t);
	side_mass(&t, 700, 1, 1, 2);
	ck_assert_int_eq(side_live(&t, 700, 1), 1);
	ck_assert_int_eq(side_live(&t, 701, 1), 0);
	tclose(&t);
	topen("lm", 0, &t);
	ck_assert_int_eq(side_live(&t, 700, 1), 1);
	ck_assert_int_eq(side_live(&t, 701, 1), 0);
	tclose(&t);
}
END_TEST

Suite *
side_suite(void)
{
	Suite *s = suite_create("side");
	TCase *tc;

	tc = td_tcase("file", 30, mkdir_tc);
	tcase_add_test(tc, open_creates_side_file);
	tcase_add_test(tc, open_missing_nocreate);
	tcase_add_test(tc, persistence);
	tcase_add_test(tc, unchanged_not_written);
	tcase_add_test(tc, wrong_size);
	tcase_add_test(tc, corrupt_contents);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, not_regular_refused);
	suite_add_tcase(s, tc);

	tc = td_tcase("nets", 60, mkdir_tc);
	tcase_add_test(tc, nets_distinct_in_window);
	tcase_add_test(tc, nets_move_to_front);
	tcase_add_test(tc, nets_full_list);
	tcase_add_test(tc, nets_model);
	suite_add_tcase(s, tc);

	tc = td_tcase("mass", 30, mkdir_tc);
	tcase_add_test(tc, mass_messages);
	tcase_add_test(tc, mass_message_identity);
	tcase_add_test(tc, settle_future);
	tcase_add_test(tc, live);
	suite_add_tcase(s, tc);
	return s;
}
