/* check_store.c: unit tests of src/store.[ch] (DESIGN.md "Counter store"). */
#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rule.h"
#include "counter.h"
#include "decide.h"
#include "policy.h"
#include "testdir.h"

Suite	*store_suite(void);

#define CHECK(c, ...) do { if (!(c)) ck_abort_msg(__VA_ARGS__); } while (0)

/*
 * One directory per test case, /tmp/ck_store.XXXXXX (td_tcase's
 * unchecked fixture: made and removed by the runner, so it goes even
 * when a forked test fails), emptied around every test with the store
 * td_st open on it (checked fixture): see testdir.h.
 */
static void
mkdir_tc(void)
{
	td_mkdir("store");
}

static struct rule
R(const char *v)
{
	struct rule r;
	char buf[160];

	snprintf(buf, sizeof(buf), "1 %s", v);
	ck_assert_msg(rule_parsevalue(buf, strlen(buf), &r) == 0, "rule %s", v);
	return r;
}

/* One recipient the way the helper counts it: lock, count, unlock. */
static int
send1(const char *name, const struct rule *r, time_t now, struct verdict *vp)
{
	struct counter c;
	struct verdict v;
	int rc;

	rc = counter_lock(&td_st, name, 1, &c);
	CHECK(rc == 0, "counter_lock %s: %d %s", name, rc, c.err);
	rc = decide_count(&td_st, &c, r, now, NULL, &v);
	CHECK(rc == 0, "decide_count %s at %ld: %s", name, (long)now, c.err);
	counter_unlock(&c);
	if (vp != NULL)
		*vp = v;
	return v.accepted;
}

/* The counter file's header, flat, as the tests read it. */
struct hdrview {
	uint32_t	nrec;
	uint64_t	base;
	uint32_t	flags, notified, raise_factor, warm_count, keep,
			sidekeep, hflags;
	uint64_t	total, refused, limref;
	int64_t		last_accept, reset, last_refuse, raise_until,
			ban_since, warm_until;
};

static struct hdrview
hdr(const char *name)
{
	struct counter c;
	struct hdrview h;
	int rc;

	rc = counter_lock(&td_st, name, 0, &c);
	ck_assert_msg(rc == 0, "counter_lock %s: %d %s", name, rc, c.err);
	counter_unlock(&c);
	h.nrec = c.nrec;
	h.base = c.base;
	h.flags = c.s.flags;
	h.notified = c.s.notified;
	h.raise_factor = c.s.raise_factor;
	h.warm_count = c.s.warm_count;
	h.keep = c.s.keep;
	h.sidekeep = c.s.sidekeep;
	h.hflags = c.s.hflags;
	h.total = c.s.total;
	h.refused = c.s.refused;
	h.limref = c.s.limref;
	h.last_accept = c.s.last_accept;
	h.reset = c.s.reset;
	h.last_refuse = c.s.last_refuse;
	h.raise_until = c.s.raise_until;
	h.ban_since = c.s.ban_since;
	h.warm_until = c.s.warm_until;
	return h;
}

static uint64_t
win(const char *name, uint32_t period, time_t now)
{
	struct counter c;
	uint64_t n = 0xdeadbeef;
	int rc;

	rc = counter_lock(&td_st, name, 0, &c);
	ck_assert_msg(rc == 0, "counter_lock %s: %d %s", name, rc, c.err);
	ck_assert_msg(counter_window(&c, period, now, &n) == 0, "counter_window: %s",
	    c.err);
	counter_unlock(&c);
	return n;
}

static int	tidy(const char *, const char *, time_t, int);

static ino_t
inode(const char *name)
{
	struct stat sb;

	ck_assert_int_eq(lstat(td_path(name), &sb), 0);
	return sb.st_ino;
}

/* ---- raw file access ---- */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
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

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
pwriteraw(const char *name, const void *b, size_t n, off_t off)
{
	int fd = open(td_path(name), O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, b, n, off), (ssize_t)n);
	close(fd);
}

/* The whole file (malloc'ed, caller frees); *n its size. */
static unsigned char *
slurp(const char *name, size_t *n)
{
	struct stat sb;
	unsigned char *b;
	int fd = open(td_path(name), O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	b = malloc((size_t)sb.st_size + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(read(fd, b, (size_t)sb.st_size), (ssize_t)sb.st_size);
	close(fd);
	*n = (size_t)sb.st_size;
	return b;
}

/* A valid version 1 header. */
static void
mkhdr(unsigned char *b, uint32_t nrec, uint64_t total, uint64_t base)
{
	memset(b, 0, COUNTER_HDRSIZE);
	memcpy(b, "RCPTOL1\n", 8);
	put32(b + 8, COUNTER_HDRSIZE);
	put32(b + 12, COUNTER_RECSIZE);
	put32(b + 16, nrec);
	put64(b + 24, total);
	put64(b + 64, base);
}

/*
 * Check the file's records (time non-decreasing, cum growing: one record
 * a second may count several recipients) and
 * return the count in the window of period ending at now, found by
 * brute force from the raw bytes.
 */
static uint64_t
brute(const char *name, uint32_t period, int64_t now)
{
	size_t n, i;
	unsigned char *b = slurp(name, &n);
	uint32_t nrec;
	uint64_t base, cum, before, last;
	int64_t t, prev = INT64_MIN;

	ck_assert_uint_ge(n, COUNTER_HDRSIZE);
	ck_assert_mem_eq(b, "RCPTOL1\n", 8);
	nrec = get32(b + 16);
	base = get64(b + 64);
	ck_assert_uint_ge(n, COUNTER_HDRSIZE + (size_t)nrec * COUNTER_RECSIZE);
	before = last = base;
	for (i = 0; i < nrec; i++) {
		t = (int64_t)get64(b + COUNTER_HDRSIZE + i * COUNTER_RECSIZE);
		cum = get64(b + COUNTER_HDRSIZE + i * COUNTER_RECSIZE + 8);
		CHECK(t >= prev, "record %zu: time %lld < %lld", i, (long long)t,
		    (long long)prev);
		CHECK(cum > last, "record %zu: cum %llu after %llu", i,
		    (unsigned long long)cum, (unsigned long long)last);
		if (t <= now - (int64_t)period)
			before = cum;
		prev = t;
		last = cum;
	}
	free(b);
	return last - before;
}

static int
tempfiles(void)
{
	DIR *dp = opendir(td_dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((e = readdir(dp)) != NULL)
		n += strncmp(e->d_name, ".cmp.", 5) == 0;
	closedir(dp);
	return n;
}

/* ---- basic ---- */

START_TEST(open_missing_dir)
{
	struct store s2;
	char p[128];

	snprintf(p, sizeof(p), "%s/nonexistent", td_dir);
	ck_assert_int_eq(store_open(&s2, p), -1);
	td_writeraw("file", "x", 1);
	ck_assert_int_eq(store_open(&s2, td_path("file")), -1);
}
END_TEST

START_TEST(lock_nocreate_missing)
{
	struct counter c;

	ck_assert_int_eq(counter_lock(&td_st, "nobody", 0, &c), 1);
	ck_assert(!td_exists("nobody"));
	ck_assert_int_eq(counter_lock(&td_st, "somebody", 1, &c), 0);
	ck_assert_int_eq(c.s.total, 0);
	ck_assert_int_eq(c.nrec, 0);
	counter_unlock(&c);
	ck_assert(td_exists("somebody"));
	ck_assert_int_eq(counter_lock(&td_st, "somebody", 0, &c), 0);
	counter_unlock(&c);
}
END_TEST

START_TEST(plain_limit)
{
	struct rule r = R("5");
	struct verdict v;
	struct hdrview h;
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(send1("u", &r, 1000 + i, &v), 1);
		ck_assert_int_eq(v.over, -1);
		ck_assert_uint_eq(v.count[0], (uint64_t)i + 1);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(send1("u", &r, 2000 + i, &v), 0);
		ck_assert_int_eq(v.over, 0);
		ck_assert_uint_eq(v.count[0], 5);
	}
	h = hdr("u");
	ck_assert_uint_eq(h.total, 5);
	ck_assert_uint_eq(h.refused, 3);
	ck_assert_uint_eq(h.nrec, 0);		/* no records without windows */
	ck_assert_int_eq(h.last_accept, 1004);
	ck_assert_int_eq(h.last_refuse, 2002);
	ck_assert_int_eq(h.reset, 1000);
	ck_assert_uint_eq(win("u", 0, 3000), 5);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE);
	/* a limit of 1 */
	r = R("1");
	ck_assert_int_eq(send1("one", &r, 1, NULL), 1);
	ck_assert_int_eq(send1("one", &r, 1, NULL), 0);
	/* unlimited: no windows, everything accepted and counted */
	r = R("0");
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(send1("free", &r, 1, NULL), 1);
	ck_assert_uint_eq(hdr("free").total, 50);
}
END_TEST

START_TEST(refusals_use_no_quota)
{
	struct rule r = R("2/100");
	struct hdrview h;
	int i;

	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(send1("u", &r, 1050 + i, NULL), 0);
	h = hdr("u");
	ck_assert_uint_eq(h.total, 2);
	ck_assert_uint_eq(h.refused, 10);
	ck_assert_uint_eq(h.nrec, 1);		/* one record a second */
	ck_assert_uint_eq(win("u", 100, 1099), 2);
	/* the refusals at 1050.. do not hold the window closed */
	ck_assert_int_eq(send1("u", &r, 1100, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1100, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1100, NULL), 0);
	h = hdr("u");
	ck_assert_uint_eq(h.total, 4);
	ck_assert_uint_eq(h.refused, 11);
	ck_assert_uint_eq(h.nrec, 2);
}
END_TEST

START_TEST(window_basic)
{
	struct rule r = R("3/100");
	struct verdict v;

	ck_assert_int_eq(send1("u", &r, 1000, &v), 1);
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1000, &v), 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("u", &r, 1000, &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("u", &r, 1099, NULL), 0);
	ck_assert_uint_eq(win("u", 100, 1099), 3);
	ck_assert_uint_eq(win("u", 100, 1100), 0);
	ck_assert_int_eq(send1("u", &r, 1100, &v), 1);
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_uint_eq(hdr("u").total, 4);
	ck_assert_uint_eq(brute("u", 100, 1100), 1);
}
END_TEST

START_TEST(window_sliding)
{
	struct rule r = R("3/100");
	struct verdict v;

	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1010, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1020, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1030, NULL), 0);
	ck_assert_int_eq(send1("u", &r, 1099, NULL), 0);
	/* the oldest (1000) has left: one more */
	ck_assert_int_eq(send1("u", &r, 1100, &v), 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("u", &r, 1100, NULL), 0);
	ck_assert_int_eq(send1("u", &r, 1109, NULL), 0);
	ck_assert_int_eq(send1("u", &r, 1110, NULL), 1);	/* 1010 left */
	ck_assert_int_eq(send1("u", &r, 1119, NULL), 0);
	ck_assert_int_eq(send1("u", &r, 1120, NULL), 1);	/* 1020 left */
	ck_assert_int_eq(send1("u", &r, 1120, NULL), 0);
	ck_assert_uint_eq(win("u", 100, 1120), 3);
	ck_assert_uint_eq(win("u", 100, 1199), 3);
	ck_assert_uint_eq(win("u", 100, 1200), 2);
	ck_assert_uint_eq(win("u", 100, 1210), 1);
	ck_assert_uint_eq(win("u", 100, 1220), 0);
	ck_assert_uint_eq(win("u", 100, 5000), 0);
	ck_assert_uint_eq(win("u", 1000, 1220), 6);
	ck_assert_uint_eq(win("u", 0, 1220), 6);
	ck_assert_uint_eq(brute("u", 100, 1200), 2);
}
END_TEST

START_TEST(two_windows)
{
	struct rule r = R("2/10,3/100");
	struct verdict v;

	ck_assert_int_eq(send1("u", &r, 0, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 2, &v), 0);
	ck_assert_int_eq(v.over, 0);			/* the 10s window */
	ck_assert_uint_eq(v.count[0], 2);
	ck_assert_uint_eq(v.count[1], 2);
	ck_assert_int_eq(send1("u", &r, 10, &v), 1);	/* t=0 left the 10s */
	ck_assert_uint_eq(v.count[0], 2);
	ck_assert_uint_eq(v.count[1], 3);
	ck_assert_int_eq(send1("u", &r, 11, &v), 0);
	ck_assert_int_eq(v.over, 1);			/* the 100s window */
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_uint_eq(v.count[1], 3);
	ck_assert_int_eq(send1("u", &r, 99, &v), 0);
	ck_assert_int_eq(send1("u", &r, 100, &v), 1);	/* t=0 left the 100s */
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_uint_eq(v.count[1], 3);
	ck_assert_int_eq(send1("u", &r, 100, &v), 0);
	ck_assert_int_eq(v.over, 1);
	ck_assert_uint_eq(hdr("u").total, 4);
	ck_assert_uint_eq(hdr("u").refused, 4);

	/* a plain limit next to a window */
	r = R("5/100,3");
	ck_assert_int_eq(send1("p", &r, 0, NULL), 1);
	ck_assert_int_eq(send1("p", &r, 0, NULL), 1);
	ck_assert_int_eq(send1("p", &r, 0, NULL), 1);
	ck_assert_int_eq(send1("p", &r, 0, &v), 0);
	ck_assert_int_eq(v.over, 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_uint_eq(v.count[1], 3);
	ck_assert_int_eq(send1("p", &r, 1000, &v), 0);	/* never slides */
	ck_assert_int_eq(v.over, 1);
	ck_assert_uint_eq(v.count[0], 0);
}
END_TEST

/* ---- a model of the decision, run against the store ---- */

static uint64_t mrng = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	mrng ^= mrng << 13;
	mrng ^= mrng >> 7;
	mrng ^= mrng << 17;
	return (uint32_t)(mrng >> 16);
}

static void
simulate(const char *name, const char *rule, int steps, int back,
    int64_t start)
{
	struct rule r = R(rule);
	struct verdict v;
	int64_t *stamps, now = start, last = INT64_MIN;
	uint64_t total = 0, cnt, want[RULE_MAXWIN];
	int n = 0, i, k, over, windows = 0, accepted = 0;

	stamps = malloc(sizeof(*stamps) * (size_t)steps);
	ck_assert_ptr_nonnull(stamps);
	for (i = 0; i < r.nwin; i++)
		windows += r.win[i].period != 0;
	for (k = 0; k < steps; k++) {
		if (back && rnd() % 20 == 0)
			now -= rnd() % 100;		/* clock steps back */
		else
			now += rnd() % 20;
		over = -1;
		for (i = 0; i < r.nwin; i++) {
			if (r.win[i].period == 0)
				cnt = total;
			else {
				int j;

				for (cnt = 0, j = n - 1; j >= 0 &&
				    stamps[j] > now - (int64_t)r.win[i].period; j--)
					cnt++;
			}
			want[i] = cnt;
			if (cnt >= r.win[i].limit && over < 0)
				over = i;
		}
		send1(name, &r, (time_t)now, &v);
		CHECK(v.accepted == (over < 0), "step %d at %lld: accepted %d, "
		    "model %d", k, (long long)now, v.accepted, over < 0);
		CHECK(v.over == over, "step %d: over %d, model %d", k, v.over,
		    over);
		for (i = 0; i < r.nwin; i++)
			CHECK(v.count[i] == want[i] + (over < 0), "step %d at %lld "
			    "window %d: count %llu, model %llu", k, (long long)now,
			    i, (unsigned long long)v.count[i],
			    (unsigned long long)(want[i] + (over < 0)));
		if (over < 0) {
			accepted++;
			total++;
			if (windows) {
				last = now > last ? now : last;
				stamps[n++] = last;
			}
		}
	}
	CHECK(hdr(name).total == total, "total %llu, model %llu",
	    (unsigned long long)hdr(name).total, (unsigned long long)total);
	CHECK(accepted >= 20, "only %d accepted", accepted);
	for (i = 0; i < r.nwin; i++)
		if (r.win[i].period != 0) {
			int j;

			for (cnt = 0, j = n - 1; j >= 0 &&
			    stamps[j] > now - (int64_t)r.win[i].period; j--)
				cnt++;
			CHECK(win(name, r.win[i].period, now) == cnt,
			    "final window %d", i);
			CHECK(brute(name, r.win[i].period, now) == cnt,
			    "final window %d (raw)", i);
		}
	free(stamps);
}

START_TEST(model_windows)
{
	simulate("m1", "10/60,30/600,1500", 3000, 0, 1700000000);
	/* compaction happened on the way: the file stays small */
	ck_assert_int_lt(td_fsize("m1"), COUNTER_HDRSIZE + 1000 * COUNTER_RECSIZE);
	ck_assert_int_eq(tempfiles(), 0);
}
END_TEST

START_TEST(model_many_windows)
{
	simulate("m2", "3/7,5/30,9/100,20/1000,40/3000,60/7000,80/10000,300",
	    3000, 0, 1000);
}
END_TEST

START_TEST(model_clock_back)
{
	/* few enough records that nothing is compacted: a step back
	 * may bring compacted records back into a window */
	simulate("m3", "10/60,30/600", 600, 1, 1700000000);
	ck_assert_uint_lt(hdr("m3").nrec, 256);
	simulate("m4", "5/100", 600, 1, 500);
	ck_assert_uint_lt(hdr("m4").nrec, 256);
}
END_TEST

/* ---- retry times and strict ---- */

/* Copy the file from to to (a probe that changes nothing of from). */
static void
copyfile(const char *from, const char *to)
{
	unsigned char buf[65536];
	int in = open(td_path(from), O_RDONLY), n;

	ck_assert_int_ge(in, 0);
	n = (int)read(in, buf, sizeof(buf));
	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, (int)sizeof(buf));
	close(in);
	td_writeraw(to, buf, (size_t)n);
}

/* strict: this attempt is counted first, then the retry time is the
 * first moment a recipient passes (it was t + 60 of the oldest record
 * before this attempt's, always too early) */
START_TEST(strict_retry)
{
	struct rule r = R("4/60 strict");
	struct verdict v;
	time_t t = 1700000000;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(send1("s", &r, t + i, NULL), 1);
	ck_assert_int_eq(send1("s", &r, t + 10, &v), 0);
	ck_assert_int_eq(v.retry, t + 61);
	copyfile("s", "p");
	ck_assert_int_eq(send1("p", &r, t + 60, NULL), 0);	/* too early */
	ck_assert_int_eq(send1("s", &r, t + 61, NULL), 1);	/* obeyed */
	/* two windows: the retry waits for both */
	r = R("2/60,3/600 strict");
	ck_assert_int_eq(send1("w", &r, t, NULL), 1);
	ck_assert_int_eq(send1("w", &r, t + 100, NULL), 1);
	ck_assert_int_eq(send1("w", &r, t + 101, NULL), 1);
	ck_assert_int_eq(send1("w", &r, t + 102, &v), 0);	/* 60: 2, 600: 3 */
	/* 600 s holds t, +100, +101, +102: below 3 once +100 left */
	ck_assert_int_eq(v.retry, t + 700);
	ck_assert_int_eq(send1("w", &r, t + 700, NULL), 1);
}
END_TEST

/* ban=Kx under strict counts each refused attempt once: banned at the
 * first attempt past K x the limit, as without strict */
START_TEST(strict_ban)
{
	static const char *const rules[] = { "3/3600 ban=2", "3/3600 ban=2 strict",
	    "10/3600 ban=3 strict", "10/3600 ban=3" };
	static const int at[] = { 7, 7, 31, 31 };
	struct verdict v;
	struct rule r;
	char name[8];
	size_t k;
	int i;

	for (k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
		r = R(rules[k]);
		snprintf(name, sizeof(name), "b%zu", k);
		for (i = 1; i <= at[k]; i++) {
			send1(name, &r, 1700000000 + i, &v);
			CHECK(v.newban == (i == at[k]), "%s: attempt %d newban %d",
			    rules[k], i, v.newban);
		}
		CHECK(v.banned, "%s: not banned", rules[k]);
	}
}
END_TEST

/* Random sequences: after every refusal that is not a ban, a probe (a
 * copy of the file) one second before the retry time is refused and one
 * at it is accepted; a plain limit gives "reset" (0). */
static void
retryprop(const char *rule, int steps, uint32_t maxstep, int raises)
{
	struct rule r = R(rule);
	struct verdict v, pv;
	struct counter c;
	time_t now = 1700000000;
	static int calls;
	char q[16];
	int k, refused = 0;

	snprintf(q, sizeof(q), "q%d", calls++);	/* a new client each */
	for (k = 0; k < steps; k++) {
		now += rnd() % 4 == 0 ? 0 : rnd() % maxstep;
		if (raises && rnd() % 50 == 0) {
			ck_assert_int_eq(counter_lock(&td_st, q, 1, &c), 0);
			policy_raise(&c.s, 2 + rnd() % 3,
			    now + 1 + rnd() % (3 * maxstep), now);
			ck_assert_int_eq(counter_commit(&c), 0);
			counter_unlock(&c);
		}
		send1(q, &r, now, &v);
		if (v.accepted || v.banned)
			continue;
		refused++;
		if (v.retry == 0) {
			CHECK(hdr(q).total >= r.win[0].limit ||
			    r.win[r.nwin - 1].period == 0, "%s step %d: reset "
			    "without a plain limit", rule, k);
			continue;
		}
		CHECK(v.retry > (int64_t)now, "%s step %d at %lld: retry %lld",
		    rule, k, (long long)now, (long long)v.retry);
		copyfile(q, "early");
		send1("early", &r, (time_t)v.retry - 1, &pv);
		CHECK(!pv.accepted, "%s step %d at %lld: accepted at retry-1 "
		    "%lld", rule, k, (long long)now, (long long)v.retry - 1);
		copyfile(q, "ontime");
		send1("ontime", &r, (time_t)v.retry, &pv);
		CHECK(pv.accepted, "%s step %d at %lld: refused at retry %lld",
		    rule, k, (long long)now, (long long)v.retry);
	}
	CHECK(refused >= steps / 10, "%s: only %d refusals", rule, refused);
}

START_TEST(retry_property)
{
	retryprop("3/60", 400, 40, 0);
	retryprop("3/60 strict", 400, 40, 0);
	retryprop("2/10,4/100,6/1000 strict", 600, 90, 0);
	retryprop("2/10,4/100,6/1000", 600, 90, 1);
	retryprop("2/10,4/100,6/1000 strict", 600, 90, 1);
	retryprop("3/30,5/300 dormant=200/2/100", 600, 150, 0);
	retryprop("3/30,5/300 dormant=200/2/100 strict", 600, 150, 1);
}
END_TEST

/* A strict flood: every refused attempt is counted, but one record a
 * second holds them all, and what every window is done with goes on the
 * refusal path too: the file stays bounded by the seconds its windows
 * hold, whatever the traffic, and never fills up. */
START_TEST(strict_flood_bounded)
{
	struct rule r = R("5/60 strict");
	struct verdict v;
	time_t t;
	int i;

	for (t = 1000; t < 1000 + 3600; t++)
		for (i = 0; i < 20; i++)
			send1("f", &r, t, NULL);
	/* 72,000 attempts in an hour: at most one record a second of the
	 * window, plus what waits for the compaction's thresholds */
	ck_assert_uint_le(hdr("f").nrec, 60 + 2 * COUNTER_CACHEREC);
	ck_assert_uint_eq(hdr("f").refused, 72000 - 5);
	ck_assert_int_eq(send1("f", &r, 4599, &v), 0);
	ck_assert_uint_eq(v.count[0], 60 * 20);
	ck_assert_int_eq(v.retry, 4600 + 59);	/* after its own record */
	ck_assert_uint_eq(brute("f", 60, 4599), 60 * 20 + 1);
	ck_assert_int_eq(send1("f", &r, 4600 + 59, NULL), 1);
	ck_assert_int_eq(tempfiles(), 0);
}
END_TEST

/* ---- clock stepping back ---- */

START_TEST(clock_backwards)
{
	struct rule r = R("3/100,20");
	struct hdrview h;
	struct verdict v;

	/* a small step back (within POL_FUTURE): stamped the last time,
	 * never reordered */
	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 900, &v), 1);	/* stamped 1000 */
	ck_assert_uint_eq(v.count[0], 2);
	ck_assert_int_eq(send1("u", &r, 900, &v), 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("u", &r, 850, &v), 0);
	ck_assert_int_eq(v.over, 0);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_uint_eq(brute("u", 100, 1099), 3);
	ck_assert_uint_eq(brute("u", 100, 1100), 0);
	ck_assert_uint_eq(win("u", 100, 1099), 3);
	ck_assert_uint_eq(win("u", 100, 1100), 0);
	ck_assert_int_eq(send1("u", &r, 1100, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 1150, NULL), 1);
	/* a big one (before the epoch even): what was stamped after now
	 * counts as sent now, for one period */
	ck_assert_int_eq(send1("u", &r, -5, &v), 0);
	ck_assert_uint_eq(v.count[0], 5);
	ck_assert_uint_eq(brute("u", 100, 94), 5);
	ck_assert_uint_eq(brute("u", 100, 95), 0);
	ck_assert_int_eq(send1("u", &r, 95, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 3000, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 2800, NULL), 1);/* stamped 3000 */
	ck_assert_int_eq(send1("u", &r, 2800, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 2800, &v), 0);
	ck_assert_uint_eq(v.count[0], 3);
	h = hdr("u");
	ck_assert_uint_eq(h.total, 9);
	ck_assert_uint_eq(h.refused, 3);
	ck_assert_uint_eq(h.nrec, 5);	/* -5 (3, restamped), 95, 3000 */
	ck_assert_uint_eq(brute("u", 100, 3099), 3);	/* checks the order */
	ck_assert_uint_eq(brute("u", 100, 3100), 0);
	ck_assert_uint_eq(win("u", 100, 3099), 3);
	ck_assert_uint_eq(win("u", 100, 3100), 0);
	ck_assert_uint_eq(win("u", 1000000, 3000), 9);
	ck_assert_uint_eq(win("u", 0, 3000), 9);
}
END_TEST

/*
 * The clock stepping forward, then back (a wrong NTP step corrected).
 * Documented outcome (docs/RELIABILITY.md): no count is ever lost and
 * the log stays ordered, so a client is never let through beyond its
 * limit; the price is that recipients counted while the clock was ahead
 * stay stamped in the "future" and keep counting in every window until
 * real time passes their stamp + the period (removing the client's file,
 * or waiting, ends it). A step forward alone only empties the windows
 * early, like time passing.
 */
START_TEST(clock_forward_then_back)
{
	struct rule r = R("3/100,1000");
	struct verdict v;
	const time_t t = 1700000000, ahead = t + 86400 * 30;

	ck_assert_int_eq(send1("f", &r, t, NULL), 1);
	ck_assert_int_eq(send1("f", &r, t + 1, NULL), 1);
	ck_assert_int_eq(send1("f", &r, ahead, &v), 1);	/* forward: empty */
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_int_eq(send1("f", &r, ahead, NULL), 1);
	ck_assert_int_eq(send1("f", &r, ahead, NULL), 1);
	ck_assert_int_eq(send1("f", &r, ahead, &v), 0);	/* the limit holds */
	/* corrected (a month back): the three recipients stamped "ahead"
	 * are restamped now and count, with the two really sent in the
	 * last 100 s, for one period -- not until real time passes them */
	ck_assert_int_eq(send1("f", &r, t + 2, &v), 0);
	ck_assert_uint_eq(v.count[0], 5);
	ck_assert_int_eq(v.retry, t + 102);
	ck_assert_int_eq(hdr("f").last_accept, t + 2);
	ck_assert_uint_eq(brute("f", 100, t + 101), 3);
	ck_assert_int_eq(send1("f", &r, t + 101, &v), 0);
	ck_assert_int_eq(send1("f", &r, t + 102, &v), 1);	/* they left */
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_uint_eq(brute("f", 100, t + 102), win("f", 100, t + 102));
	ck_assert_uint_eq(hdr("f").total, 6);
	ck_assert_uint_eq(hdr("f").refused, 3);
	/* within the tolerance (a small step back) nothing is restamped:
	 * the records stay ahead and leave late by at most that much */
	ck_assert_int_eq(send1("s", &r, t + 1000 + POL_FUTURE, NULL), 1);
	ck_assert_int_eq(send1("s", &r, t + 1000, &v), 1);
	ck_assert_uint_eq(v.count[0], 2);
	ck_assert_uint_eq(brute("s", 100, t + 1099 + POL_FUTURE), 2);
	ck_assert_uint_eq(brute("s", 100, t + 1100 + POL_FUTURE), 0);
	/* the cleanup restamps too: then the records go after one period */
	ck_assert_int_eq(send1("c", &r, ahead, NULL), 1);
	ck_assert_int_eq(tidy("c", "3/100,1000", t, 1), 0);
	ck_assert_uint_eq(hdr("c").nrec, 1);
	ck_assert_uint_eq(brute("c", 100, t + 99), 1);
	ck_assert_int_eq(tidy("c", "3/100,1000", t + 100, 1), 1);	/* removed */
	/* the epoch, the 2038 boundary and far ahead: no overflow (UBSan) */
	ck_assert_int_eq(send1("g", &r, 0, NULL), 1);
	ck_assert_int_eq(send1("g", &r, (time_t)0x7fffffff, NULL), 1);
	ck_assert_int_eq(send1("g", &r, (time_t)0x80000000LL, NULL), 1);
	ck_assert_int_eq(send1("g", &r, (time_t)0x80000000LL, &v), 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("g", &r, (time_t)0x80000000LL, &v), 0);
	ck_assert_int_eq(send1("g", &r, (time_t)1 << 40, &v), 1);
	ck_assert_uint_eq(v.count[0], 1);
	ck_assert_uint_eq(win("g", 100, ((time_t)1 << 40) + 99), 1);
	ck_assert_uint_eq(win("g", 100, ((time_t)1 << 40) + 100), 0);
}
END_TEST

/* ---- compaction ---- */

START_TEST(compaction)
{
	struct rule r = R("2000/1000");
	ino_t ino;
	int i;

	for (i = 0; i < 300; i++)	/* one record a second: 300 records */
		ck_assert_int_eq(send1("u", &r, 1000 + i, NULL), 1);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE + 300 * COUNTER_RECSIZE);
	ck_assert_uint_eq(win("u", 1000, 1999), 300);
	ino = inode("u");
	ck_assert_int_eq(send1("u", &r, 2400, NULL), 1);
	ck_assert_int_lt(td_fsize("u"), COUNTER_HDRSIZE + 300 * COUNTER_RECSIZE);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE + 1 * COUNTER_RECSIZE);
	ck_assert_msg(inode("u") != ino, "no new inode after compaction");
	ck_assert_int_eq(tempfiles(), 0);
	ck_assert_uint_eq(hdr("u").total, 301);
	ck_assert_uint_eq(hdr("u").nrec, 1);
	ck_assert_uint_eq(hdr("u").base, 300);
	ck_assert_uint_eq(win("u", 1000, 2400), 1);
	ck_assert_uint_eq(win("u", 1000, 3399), 1);
	ck_assert_uint_eq(win("u", 1000, 3400), 0);
	ck_assert_uint_eq(brute("u", 1000, 2400), 1);
	/* and it goes on counting, ten in one second in one record */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(send1("u", &r, 2405, NULL), 1);
	ck_assert_uint_eq(win("u", 1000, 2405), 11);
	ck_assert_uint_eq(hdr("u").nrec, 2);
	ck_assert_uint_eq(hdr("u").total, 311);
}
END_TEST

START_TEST(no_compaction_below_thresholds)
{
	struct rule r = R("2000/1000");
	ino_t ino;
	int i;

	/* 255 dead records: too few */
	for (i = 0; i < 255; i++)
		send1("few", &r, 1000 + i, NULL);
	ino = inode("few");
	ck_assert_int_eq(send1("few", &r, 2300, NULL), 1);
	ck_assert(inode("few") == ino);
	ck_assert_int_eq(td_fsize("few"), COUNTER_HDRSIZE + 256 * COUNTER_RECSIZE);

	/* 300 dead but fewer than the 401 live ones */
	for (i = 0; i < 300; i++)
		send1("half", &r, 1000 + i, NULL);
	for (i = 0; i < 400; i++)
		send1("half", &r, 1700 + i, NULL);
	ino = inode("half");
	ck_assert_int_eq(send1("half", &r, 2300, NULL), 1);
	ck_assert(inode("half") == ino);
	ck_assert_uint_eq(hdr("half").nrec, 701);
	ck_assert_uint_eq(win("half", 1000, 2300), 401);
	/* once they too have left, it compacts */
	ck_assert_int_eq(send1("half", &r, 3200, NULL), 1);
	ck_assert(inode("half") != ino);
	ck_assert_uint_eq(hdr("half").nrec, 2);		/* 2300 and 3200 */
	ck_assert_uint_eq(hdr("half").total, 702);
	ck_assert_uint_eq(win("half", 1000, 3200), 2);
	ck_assert_uint_eq(brute("half", 1000, 3200), 2);
	ck_assert_int_eq(tempfiles(), 0);
}
END_TEST

START_TEST(compaction_keeps_window_records)
{
	/* two windows: the long one keeps the records alive */
	struct rule r = R("2000/10,2000/1000");
	int i;

	for (i = 0; i < 300; i++)
		send1("u", &r, 1000 + i, NULL);
	ck_assert_int_eq(send1("u", &r, 1400, NULL), 1);
	ck_assert_uint_eq(hdr("u").nrec, 301);
	ck_assert_uint_eq(win("u", 1000, 1400), 301);
	ck_assert_int_eq(send1("u", &r, 2300, NULL), 1);
	ck_assert_uint_eq(hdr("u").nrec, 2);		/* 1400 and 2300 */
	ck_assert_uint_eq(win("u", 1000, 2300), 2);
	ck_assert_uint_eq(hdr("u").total, 302);
}
END_TEST

/*
 * The handle stays usable after a count that compacted: counter_window
 * and a second decide_count under the same lock see the new file.
 */
START_TEST(compaction_same_handle)
{
	struct rule r = R("2000/10");
	struct counter c;
	struct verdict v;
	uint64_t n;
	int i;

	for (i = 0; i < 300; i++)
		send1("u", &r, 1000, NULL);
	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	ck_assert_int_eq(decide_count(&td_st, &c, &r, 1100, NULL, &v), 0);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(counter_window(&c, 10, 1100, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(decide_count(&td_st, &c, &r, 1100, NULL, &v), 0);
	ck_assert_uint_eq(v.count[0], 2);
	counter_unlock(&c);
	ck_assert_uint_eq(hdr("u").total, 302);
	ck_assert_uint_eq(win("u", 10, 1100), 2);
}
END_TEST

/* ---- hints are only a cache ---- */

START_TEST(hints_corrupted)
{
	struct rule r = R("1000/50,1000/1000");
	unsigned char g[128], h1[16];
	static const uint32_t firsts[] = { 0, 1, 5, 100, 150, 170, 171, 172,
	    190, 199, 200, 201, 1000, 0x7fffffff, 0xffffffff };
	struct verdict v;
	uint64_t w50, w1000;
	size_t i, j;
	int64_t now;

	for (i = 0; i < 200; i++)
		ck_assert_int_eq(send1("u", &r, (time_t)i, NULL), 1);
	for (now = 200; now < 1300; now += 37) {
		w50 = brute("u", 50, now);
		w1000 = brute("u", 1000, now);
		/* random garbage over the whole hint area (72..199) */
		for (j = 0; j < sizeof(g); j++)
			g[j] = (unsigned char)rnd();
		pwriteraw("u", g, sizeof(g), 72);
		CHECK(win("u", 50, now) == w50, "garbage: 50s at %lld", (long long)now);
		CHECK(win("u", 1000, now) == w1000, "garbage: 1000s at %lld",
		    (long long)now);
		/* plausible but wrong hints for the very periods */
		for (j = 0; j < sizeof(firsts) / sizeof(firsts[0]); j++) {
			memset(h1, 0xee, sizeof(h1));
			put32(h1, 50);
			put32(h1 + 4, firsts[j]);
			pwriteraw("u", h1, sizeof(h1), 72);
			put32(h1, 1000);
			put32(h1 + 4, firsts[(j + 3) % (sizeof(firsts) /
			    sizeof(firsts[0]))]);
			pwriteraw("u", h1, sizeof(h1), 72 + 16 * 7);
			CHECK(win("u", 50, now) == w50, "hint %u: 50s at %lld: %llu, "
			    "want %llu", firsts[j], (long long)now,
			    (unsigned long long)win("u", 50, now),
			    (unsigned long long)w50);
			CHECK(win("u", 1000, now) == w1000, "hint: 1000s at %lld",
			    (long long)now);
		}
	}
	/* and a count with wrong hints decides right and repairs them */
	memset(g, 0xff, sizeof(g));
	pwriteraw("u", g, sizeof(g), 72);
	w50 = brute("u", 50, 199);
	ck_assert_int_eq(send1("u", &r, 199, &v), 1);
	ck_assert_uint_eq(v.count[0], w50 + 1);
	ck_assert_uint_eq(v.count[1], 201);
	{
		size_t n;
		unsigned char *b = slurp("u", &n);

		ck_assert_uint_eq(get32(b + 72), 50);
		ck_assert_uint_eq(get32(b + 76), 150);	/* first time > 149 */
		ck_assert_uint_eq(get32(b + 88), 1000);
		ck_assert_uint_eq(get32(b + 92), 0);
		for (i = 104; i < 236; i++)
			ck_assert_int_eq(b[i], 0);
		ck_assert_uint_eq(get32(b + 236), 1000);	/* keep */
		free(b);
	}
	for (i = 0; i < 5; i++) {
		memset(h1, 0, sizeof(h1));
		put32(h1, 50);
		put32(h1 + 4, (uint32_t)(i * 50));
		pwriteraw("u", h1, sizeof(h1), 72);
		ck_assert_uint_eq(win("u", 50, 199), brute("u", 50, 199));
	}
}
END_TEST

/* ---- corrupt and odd files ---- */

static void
lockfails(const char *name, const char *what)
{
	struct counter c;
	unsigned char *before, *after;
	size_t n1, n2;
	int create;

	for (create = 0; create <= 1; create++) {
		before = slurp(name, &n1);
		memset(&c, 0, sizeof(c));
		ck_assert_int_eq(counter_lock(&td_st, name, create, &c), -1);
		ck_assert_msg(strstr(c.err, what) != NULL, "%s: err \"%s\", want %s",
		    name, c.err, what);
		ck_assert_int_eq(c.fd, -1);
		after = slurp(name, &n2);
		ck_assert_msg(n1 == n2 && memcmp(before, after, n1) == 0,
		    "%s changed", name);
		free(before);
		free(after);
	}
}

START_TEST(corrupt_files)
{
	unsigned char b[COUNTER_HDRSIZE + 64];
	static char ys[300], xs[10000];

	td_writeraw("text", "hello world\n", 12);
	lockfails("text", "corrupt");
	memset(ys, 'Y', sizeof(ys));
	td_writeraw("ys", ys, sizeof(ys));
	lockfails("ys", "corrupt");
	td_writeraw("xxxxy", "XXXXY", 5);
	lockfails("xxxxy", "corrupt");
	memset(xs, 'X', sizeof(xs));
	xs[sizeof(xs) - 1] = '\n';
	td_writeraw("xsnl", xs, sizeof(xs));
	lockfails("xsnl", "corrupt");

	mkhdr(b, 10, 10, 0);			/* nrec past the end */
	td_writeraw("short", b, COUNTER_HDRSIZE);
	lockfails("short", "corrupt");
	memset(b + COUNTER_HDRSIZE, 0, 64);	/* 4 of 10 records */
	td_writeraw("short2", b, COUNTER_HDRSIZE + 64);
	lockfails("short2", "corrupt");

	mkhdr(b, COUNTER_MAXREC + 1, 0, 0);
	td_writeraw("huge", b, COUNTER_HDRSIZE);
	lockfails("huge", "corrupt");
	mkhdr(b, 0xffffffff, 0, 0);
	td_writeraw("huge2", b, COUNTER_HDRSIZE);
	lockfails("huge2", "corrupt");

	mkhdr(b, 0, 5, 0);			/* a truncated header */
	td_writeraw("trunc", b, 100);
	lockfails("trunc", "corrupt");
	td_writeraw("trunc8", b, 8);
	lockfails("trunc8", "corrupt");

	mkhdr(b, 0, 5, 0);			/* wrong sizes */
	put32(b + 12, 32);
	td_writeraw("recsz", b, COUNTER_HDRSIZE);
	lockfails("recsz", "corrupt");
	mkhdr(b, 0, 5, 0);
	put32(b + 8, 512);
	td_writeraw("hdrsz", b, COUNTER_HDRSIZE);
	lockfails("hdrsz", "corrupt");
	mkhdr(b, 0, 5, 0);
	b[6] = '2';				/* a version we do not know */
	td_writeraw("version", b, COUNTER_HDRSIZE);
	lockfails("version", "corrupt");
}
END_TEST

START_TEST(corrupt_records)
{
	unsigned char b[COUNTER_HDRSIZE + 3 * COUNTER_RECSIZE];
	struct rule r = R("10/100");
	struct counter c;
	struct verdict v;
	uint64_t n;

	/* cum going down */
	mkhdr(b, 3, 3, 4);
	put64(b + 256, 10); put64(b + 264, 5);
	put64(b + 272, 11); put64(b + 280, 6);
	put64(b + 288, 100); put64(b + 296, 1);
	td_writeraw("u", b, sizeof(b));
	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	ck_assert_int_eq(decide_count(&td_st, &c, &r, 150, NULL, &v), -1);
	ck_assert_msg(strstr(c.err, "corrupt") != NULL, "err %s", c.err);
	counter_unlock(&c);
	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	ck_assert_int_eq(counter_window(&c, 100, 150, &n), -1);
	counter_unlock(&c);
	/* nothing was committed */
	ck_assert_uint_eq(hdr("u").total, 3);
	ck_assert_uint_eq(hdr("u").nrec, 3);
}
END_TEST

/* found by tests/fuzz/fuzz_store: a last record whose cum is 2^64-1
 * (every record outside the window, so the window count itself looks
 * fine) was appended to with cum 0, and from then on every window check
 * of the file failed. Now the append is refused and nothing written. */
START_TEST(corrupt_records_cum_wraps)
{
	unsigned char b[COUNTER_HDRSIZE + 2 * COUNTER_RECSIZE], *after;
	struct rule r = R("10/100");
	struct counter c;
	struct verdict v;
	size_t n;

	mkhdr(b, 2, 2, 0);
	put64(b + 256, 10); put64(b + 264, 1);
	put64(b + 272, 11); put64(b + 280, UINT64_MAX);
	td_writeraw("w", b, sizeof(b));
	ck_assert_int_eq(counter_lock(&td_st, "w", 1, &c), 0);
	ck_assert_int_eq(decide_count(&td_st, &c, &r, 1000, NULL, &v), -1);
	ck_assert_msg(strstr(c.err, "corrupt") != NULL, "err %s", c.err);
	counter_unlock(&c);
	after = slurp("w", &n);
	ck_assert_uint_eq(n, sizeof(b));
	ck_assert_int_eq(memcmp(after, b, sizeof(b)), 0);
	free(after);
}
END_TEST

START_TEST(classic_migration)
{
	struct rule r = R("10");
	struct counter c;
	struct hdrview h;
	uint64_t n;
	size_t sz;
	unsigned char *b;
	static char xs[300];

	td_writeraw("u", "XXXXX", 5);
	ck_assert_int_eq(counter_lock(&td_st, "u", 0, &c), 0);
	ck_assert_uint_eq(c.s.total, 5);
	ck_assert_uint_eq(c.nrec, 0);
	ck_assert_int_eq(counter_window(&c, 0, 1000, &n), 0);
	ck_assert_uint_eq(n, 5);
	counter_unlock(&c);
	ck_assert_int_eq(td_fsize("u"), 5);	/* reading changes nothing */
	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	b = slurp("u", &sz);
	ck_assert_uint_eq(sz, COUNTER_HDRSIZE);
	ck_assert_mem_eq(b, "RCPTOL1\n", 8);
	free(b);
	h = hdr("u");
	ck_assert_uint_eq(h.total, 6);
	ck_assert_int_eq(h.last_accept, 1000);
	ck_assert_int_eq(counter_lock(&td_st, "u", 0, &c), 0);
	ck_assert_int_eq(c.migrated, 0);
	counter_unlock(&c);
	/* the classic limit still counts what the old script counted */
	r = R("6");
	ck_assert_int_eq(send1("u", &r, 1001, NULL), 0);

	/* with windows: the record follows the header */
	td_writeraw("w", "XXXXX", 5);
	r = R("10,3/100");
	ck_assert_int_eq(send1("w", &r, 1000, NULL), 1);
	ck_assert_int_eq(td_fsize("w"), COUNTER_HDRSIZE + COUNTER_RECSIZE);
	ck_assert_uint_eq(hdr("w").total, 6);
	ck_assert_uint_eq(win("w", 100, 1000), 1);
	ck_assert_uint_eq(brute("w", 100, 1000), 1);

	/* larger than a header */
	memset(xs, 'X', sizeof(xs));
	td_writeraw("big", xs, sizeof(xs));
	ck_assert_uint_eq(hdr("big").total, 300);
	r = R("1000,5/60");
	ck_assert_int_eq(send1("big", &r, 1000, NULL), 1);
	ck_assert_int_eq(td_fsize("big"), COUNTER_HDRSIZE + COUNTER_RECSIZE);
	ck_assert_uint_eq(hdr("big").total, 301);
	ck_assert_uint_eq(win("big", 60, 1000), 1);

	/* refused: still a valid file afterwards */
	td_writeraw("over", xs, sizeof(xs));
	r = R("300");
	ck_assert_int_eq(send1("over", &r, 1000, NULL), 0);
	h = hdr("over");
	ck_assert_uint_eq(h.total, 300);
	ck_assert_uint_eq(h.refused, 1);
	ck_assert_int_eq(send1("over", &r, 1001, NULL), 0);
	ck_assert_uint_eq(hdr("over").refused, 2);
}
END_TEST

START_TEST(fresh_files)
{
	struct rule r = R("3/100");
	struct counter c;
	static unsigned char z[COUNTER_HDRSIZE + 3 * COUNTER_RECSIZE];

	td_writeraw("empty", "", 0);
	ck_assert_int_eq(counter_lock(&td_st, "empty", 0, &c), 0);
	ck_assert_uint_eq(c.s.total, 0);
	ck_assert_uint_eq(c.nrec, 0);
	counter_unlock(&c);
	ck_assert_int_eq(send1("empty", &r, 1000, NULL), 1);
	ck_assert_uint_eq(hdr("empty").total, 1);
	ck_assert_uint_eq(win("empty", 100, 1000), 1);

	/* records written but the header never was (a crash) */
	td_writeraw("zero", z, sizeof(z));
	ck_assert_uint_eq(hdr("zero").total, 0);
	ck_assert_int_eq(send1("zero", &r, 1000, NULL), 1);
	ck_assert_uint_eq(hdr("zero").total, 1);
	ck_assert_uint_eq(win("zero", 100, 1000), 1);
}
END_TEST

/* A helper killed between its record and its header (the commit), or a
 * full disk there: the record past nrec is ignored and overwritten, the
 * recipient it stood for was not counted (nor accepted). */
START_TEST(crash_after_append)
{
	struct rule r = R("3/100");
	unsigned char junk[COUNTER_RECSIZE];
	struct verdict v;

	ck_assert_int_eq(send1("k", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("k", &r, 1001, NULL), 1);
	memset(junk, 0xff, sizeof(junk));	/* record 2, never committed */
	pwriteraw("k", junk, sizeof(junk), COUNTER_HDRSIZE + 2 * COUNTER_RECSIZE);
	ck_assert_uint_eq(hdr("k").nrec, 2);
	ck_assert_uint_eq(win("k", 100, 1002), 2);
	ck_assert_int_eq(send1("k", &r, 1002, &v), 1);
	ck_assert_uint_eq(v.count[0], 3);
	ck_assert_int_eq(send1("k", &r, 1003, &v), 0);
	ck_assert_uint_eq(brute("k", 100, 1003), 3);
	ck_assert_uint_eq(td_fsize("k"), COUNTER_HDRSIZE + 3 * COUNTER_RECSIZE);
}
END_TEST

static void
notregular(const char *name, const char *what)
{
	struct counter c;
	int create;

	alarm(20);				/* never hang */
	for (create = 1; create >= 0; create--) {
		ck_assert_int_eq(counter_lock(&td_st, name, create, &c), -1);
		ck_assert_msg(strstr(c.err, what) != NULL, "%s: err \"%s\"", name,
		    c.err);
		ck_assert_int_eq(c.fd, -1);
	}
	alarm(0);
}

START_TEST(not_regular_files)
{
	char buf[64];
	ssize_t n;
	int fd;
	struct stat sb;

	td_writeraw(".target", "keep me", 7);
	ck_assert_int_eq(symlink(".target", td_path("link")), 0);
	notregular("link", "symlink");
	fd = open(td_path(".target"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 7);
	ck_assert_mem_eq(buf, "keep me", 7);

	ck_assert_int_eq(symlink(".nothere", td_path("dangling")), 0);
	notregular("dangling", "symlink");
	ck_assert_int_eq(lstat(td_path(".nothere"), &sb), -1);

	ck_assert_int_eq(mkdir(td_path("d"), 0700), 0);
	ck_assert_int_eq(symlink("d", td_path("dirlink")), 0);
	notregular("dirlink", "symlink");
	notregular("d", "directory");

	ck_assert_int_eq(mkfifo(td_path("fifo"), 0600), 0);
	notregular("fifo", "FIFO");
}
END_TEST

/* ---- counter_tidy ---- */

static int
tidy(const char *name, const char *rule, time_t now, int reset)
{
	struct rule r = R(rule);
	struct counter c;
	int removed = -1, rc;

	rc = counter_lock(&td_st, name, 0, &c);
	ck_assert_msg(rc == 0, "counter_lock %s: %d %s", name, rc, c.err);
	ck_assert_msg(counter_tidy(&td_st, &c, &r, now, reset, &removed) == 0,
	    "counter_tidy: %s", c.err);
	counter_unlock(&c);
	ck_assert(removed == 0 || removed == 1);
	ck_assert_int_eq(td_exists(name), !removed);
	return removed;
}

/* The daily reset holds when the compaction cannot write its copy (a
 * full disk; here a directory planted at the temporary name): it is
 * written in place first, which needs no new space. */
START_TEST(tidy_reset_without_space)
{
	struct rule r = R("3,1000/100");
	struct counter c;
	char tmp[32];
	int i, removed = -1;

	for (i = 0; i < 2; i++)
		send1("u", &r, 0, NULL);
	ck_assert_int_eq(send1("u", &r, 150, NULL), 1);
	ck_assert_int_eq(send1("u", &r, 151, NULL), 0);	/* the plain 3 */
	ck_assert_uint_eq(hdr("u").total, 3);
	snprintf(tmp, sizeof(tmp), ".cmp.%ld", (long)getpid());
	ck_assert_int_eq(mkdir(td_path(tmp), 0700), 0);
	ck_assert_int_eq(counter_lock(&td_st, "u", 0, &c), 0);
	/* the copy fails (and says so), the reset is done */
	ck_assert_int_eq(counter_tidy(&td_st, &c, &r, 160, 1, &removed), -1);
	ck_assert_msg(strstr(c.err, "temporary") != NULL, "%s", c.err);
	counter_unlock(&c);
	ck_assert_uint_eq(hdr("u").total, 0);
	ck_assert_uint_eq(hdr("u").refused, 0);
	ck_assert_uint_eq(win("u", 100, 160), 1);	/* the window stays */
	ck_assert_int_eq(send1("u", &r, 170, NULL), 1);	/* no longer refused */
	ck_assert_int_eq(rmdir(td_path(tmp)), 0);
}
END_TEST

START_TEST(tidy_plain)
{
	struct rule r = R("5");
	struct hdrview h;
	int i;

	for (i = 0; i < 3; i++)
		send1("u", &r, 100, NULL);
	ck_assert_int_eq(tidy("u", "5", 200, 0), 0);	/* no reset: kept */
	ck_assert_uint_eq(hdr("u").total, 3);
	ck_assert_int_eq(tidy("u", "5", 200, 1), 1);	/* reset: nothing left */

	for (i = 0; i < 6; i++)
		send1("v", &r, 100, NULL);
	h = hdr("v");
	ck_assert_uint_eq(h.refused, 1);
	ck_assert_int_eq(tidy("v", "5", 200, 0), 0);
	ck_assert_uint_eq(hdr("v").total, 5);
	ck_assert_uint_eq(hdr("v").refused, 1);
	ck_assert_int_eq(tidy("v", "5", 300, 1), 1);
	/* after removal the client starts afresh */
	ck_assert_int_eq(send1("v", &r, 400, NULL), 1);
	ck_assert_uint_eq(hdr("v").total, 1);
}
END_TEST

START_TEST(tidy_windows)
{
	struct rule r = R("5/100");
	struct hdrview h;

	send1("u", &r, 0, NULL);
	send1("u", &r, 10, NULL);
	ck_assert_int_eq(tidy("u", "5/100", 50, 1), 0);	/* inside: kept */
	h = hdr("u");
	ck_assert_uint_eq(h.total, 0);
	ck_assert_uint_eq(h.refused, 0);
	ck_assert_int_eq(h.reset, 50);
	ck_assert_uint_eq(h.nrec, 2);
	ck_assert_uint_eq(win("u", 100, 50), 2);
	ck_assert_uint_eq(win("u", 100, 105), 1);
	ck_assert_int_eq(tidy("u", "5/100", 105, 1), 0);	/* t=10 inside */
	ck_assert_uint_eq(win("u", 100, 105), 1);
	ck_assert_uint_eq(brute("u", 100, 105), 1);
	ck_assert_int_eq(tidy("u", "5/100", 110, 1), 1);	/* all out */
}
END_TEST

START_TEST(tidy_compacts)
{
	struct rule r = R("1000/100");
	struct hdrview h;
	ino_t ino;
	int i;

	for (i = 0; i < 3; i++)
		send1("u", &r, 0, NULL);
	for (i = 0; i < 2; i++)
		send1("u", &r, 150, NULL);
	ino = inode("u");
	ck_assert_int_eq(tidy("u", "1000/100", 160, 1), 0);
	h = hdr("u");
	ck_assert_uint_eq(h.nrec, 1);		/* the two at 150 */
	ck_assert_uint_eq(h.total, 0);
	ck_assert_uint_eq(h.base, 3);
	ck_assert(inode("u") != ino);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE + 1 * COUNTER_RECSIZE);
	ck_assert_uint_eq(win("u", 100, 160), 2);
	ck_assert_uint_eq(brute("u", 100, 160), 2);
	ck_assert_int_eq(tempfiles(), 0);
	/* counting goes on after it */
	ck_assert_int_eq(send1("u", &r, 170, NULL), 1);
	ck_assert_uint_eq(win("u", 100, 170), 3);

	/* without reset: the classic total keeps the file */
	for (i = 0; i < 4; i++)
		send1("k", &r, 0, NULL);
	ck_assert_int_eq(tidy("k", "1000/100", 500, 0), 0);
	h = hdr("k");
	ck_assert_uint_eq(h.nrec, 0);
	ck_assert_uint_eq(h.total, 4);
	ck_assert_int_eq(td_fsize("k"), COUNTER_HDRSIZE);

	/* the rule lost its windows: its records go, but not before they
	 * leave the longest window the helper counted them with (the
	 * header's keep: a cleanup that sees another rule drops nothing
	 * the helper still counts) */
	for (i = 0; i < 4; i++)
		send1("p", &r, 0, NULL);
	ck_assert_uint_eq(hdr("p").keep, 100);
	ck_assert_int_eq(tidy("p", "1000", 10, 0), 0);
	ck_assert_uint_eq(hdr("p").nrec, 1);	/* four in one second */
	ck_assert_int_eq(tidy("p", "1000", 100, 0), 0);
	ck_assert_uint_eq(hdr("p").nrec, 0);
	ck_assert_uint_eq(hdr("p").total, 4);
}
END_TEST

START_TEST(tidy_classic)
{
	td_writeraw("u", "XXXXX", 5);
	ck_assert_int_eq(tidy("u", "10", 100, 0), 0);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE);
	ck_assert_uint_eq(hdr("u").total, 5);
	td_writeraw("v", "XXXXX", 5);
	ck_assert_int_eq(tidy("v", "10", 100, 1), 1);
}
END_TEST

/* ---- lock waiters and a file that changes under them ---- */

/*
 * Fork a child that, once told through the pipe, locks name (create as
 * given) and counts one recipient under rule at now. Its exit code: 0
 * accepted, 1 refused, 2 the file did not exist, 3.. errors.
 */
static pid_t
waiter(const char *name, const struct rule *r, time_t now, int create,
    int *go)
{
	int p[2];
	pid_t pid;
	char b;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct counter c;
		struct verdict v;
		int rc;

		alarm(20);
		close(p[1]);
		if (read(p[0], &b, 1) != 1)
			_exit(3);
		if ((rc = counter_lock(&td_st, name, create, &c)) == 1)
			_exit(2);
		if (rc != 0)
			_exit(4);
		if (decide_count(&td_st, &c, r, now, NULL, &v) != 0)
			_exit(5);
		counter_unlock(&c);
		_exit(v.accepted ? 0 : 1);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* Let the waiter go, give it time to block on our lock. */
static void
release(int go)
{
	ck_assert_int_eq(write(go, "g", 1), 1);
	close(go);
	usleep(200 * 1000);
}

static int
reap(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "waiter died: status %d", status);
	return WEXITSTATUS(status);
}

START_TEST(waiter_follows_compaction)
{
	struct rule r = R("2000/1000");
	struct counter c;
	struct verdict v;
	pid_t pid;
	ino_t ino;
	int go, i;

	for (i = 0; i < 300; i++)	/* 300 records */
		send1("u", &r, 700 + i, NULL);
	ino = inode("u");
	pid = waiter("u", &r, 2100, 1, &go);
	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	release(go);				/* it opens the old inode */
	ck_assert_int_eq(decide_count(&td_st, &c, &r, 2100, NULL, &v), 0);
	ck_assert_int_eq(v.accepted, 1);
	counter_unlock(&c);
	ck_assert_int_eq(reap(pid), 0);
	ck_assert(inode("u") != ino);
	ck_assert_uint_eq(hdr("u").total, 302);
	ck_assert_uint_eq(hdr("u").nrec, 1);	/* both at 2100 */
	ck_assert_uint_eq(win("u", 1000, 2100), 2);
	ck_assert_uint_eq(brute("u", 1000, 2100), 2);
}
END_TEST

START_TEST(waiter_follows_removal)
{
	struct rule r = R("5");
	struct counter c;
	pid_t pid;
	int go, removed;

	send1("u", &r, 100, NULL);
	send1("u", &r, 100, NULL);
	pid = waiter("u", &r, 200, 1, &go);	/* creates it anew */
	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	release(go);
	ck_assert_int_eq(counter_tidy(&td_st, &c, &r, 150, 1, &removed), 0);
	ck_assert_int_eq(removed, 1);
	counter_unlock(&c);
	ck_assert_int_eq(reap(pid), 0);
	ck_assert_uint_eq(hdr("u").total, 1);
	ck_assert_int_eq(hdr("u").reset, 200);

	pid = waiter("u", &r, 300, 0, &go);	/* no create: gone */
	ck_assert_int_eq(counter_lock(&td_st, "u", 0, &c), 0);
	release(go);
	ck_assert_int_eq(counter_tidy(&td_st, &c, &r, 250, 1, &removed), 0);
	ck_assert_int_eq(removed, 1);
	counter_unlock(&c);
	ck_assert_int_eq(reap(pid), 2);
	ck_assert(!td_exists("u"));
}
END_TEST

START_TEST(waiters_count_every_recipient)
{
	struct rule r = R("1000/60,10000");
	struct counter c;
	pid_t pids[8];
	int go[8], i, acc = 0;

	ck_assert_int_eq(counter_lock(&td_st, "u", 1, &c), 0);
	for (i = 0; i < 8; i++) {
		pids[i] = waiter("u", &r, 5000, 1, &go[i]);
		ck_assert_int_eq(write(go[i], "g", 1), 1);
		close(go[i]);
	}
	usleep(200 * 1000);
	counter_unlock(&c);
	for (i = 0; i < 8; i++)
		acc += reap(pids[i]) == 0;
	ck_assert_int_eq(acc, 8);
	ck_assert_uint_eq(hdr("u").total, 8);
	ck_assert_uint_eq(win("u", 60, 5000), 8);
	ck_assert_uint_eq(brute("u", 60, 5000), 8);
}
END_TEST

START_TEST(stale_compaction_temp)
{
	struct rule r = R("2000/1000");
	char tmp[64];
	int i;

	for (i = 0; i < 300; i++)	/* 300 records */
		send1("u", &r, 700 + i, NULL);
	snprintf(tmp, sizeof(tmp), ".cmp.%ld", (long)getpid());
	td_writeraw(tmp, "stale", 5);		/* left by a crash */
	ck_assert_int_eq(send1("u", &r, 2100, NULL), 1);
	ck_assert_uint_eq(hdr("u").nrec, 1);
	ck_assert_int_eq(tempfiles(), 0);
	ck_assert_uint_eq(hdr("u").total, 301);
}
END_TEST


/* overlimitctl raise: limits x factor until a time, then back; a reset
 * keeps the raise, a cleanup drops it once expired */
START_TEST(raise_and_reset)
{
	struct rule r = R("2/100");
	struct counter c;
	struct verdict v;
	int removed;

	ck_assert_int_eq(counter_lock(&td_st, "r", 1, &c), 0);
	ck_assert_int_eq((policy_raise(&c.s, 3, 2000, 1000), counter_commit(&c)), 0);
	counter_unlock(&c);
	/* 6 in the window while raised */
	ck_assert_int_eq(send1("r", &r, 1000, &v), 1);
	ck_assert_uint_eq(v.raised, 3);
	ck_assert_uint_eq(v.limit[0], 6);
	ck_assert_int_eq(send1("r", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 1001, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 1001, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 1002, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 1002, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 1003, &v), 0);
	ck_assert_int_eq(v.over, 0);
	/* a reset keeps the raise */
	ck_assert_int_eq(counter_lock(&td_st, "r", 0, &c), 0);
	ck_assert_int_eq(counter_reset(&td_st, &c, 1004), 0);
	counter_unlock(&c);
	ck_assert_uint_eq(hdr("r").total, 0);
	ck_assert_uint_eq(hdr("r").nrec, 0);
	ck_assert_uint_eq(hdr("r").raise_factor, 3);
	ck_assert_int_eq(send1("r", &r, 1005, NULL), 1);
	/* expired: the rule's limit of 2 again */
	ck_assert_int_eq(send1("r", &r, 2000, &v), 1);
	ck_assert_uint_eq(v.raised, 0);
	ck_assert_uint_eq(v.limit[0], 2);
	ck_assert_int_eq(send1("r", &r, 2001, NULL), 1);
	ck_assert_int_eq(send1("r", &r, 2002, NULL), 0);
	/* the cleanup drops the expired raise, and the file once idle */
	ck_assert_int_eq(counter_lock(&td_st, "r", 0, &c), 0);
	ck_assert_int_eq(counter_tidy(&td_st, &c, &r, 5000, 1, &removed), 0);
	counter_unlock(&c);
	ck_assert_int_eq(removed, 1);
	/* a raise capped at the largest limit */
	ck_assert_int_eq(counter_lock(&td_st, "big", 1, &c), 0);
	ck_assert_int_eq((policy_raise(&c.s, 1000, 2000, 1000), counter_commit(&c)), 0);
	r = R("900000000/100");
	ck_assert_uint_eq(policy_limit(&c.s, &r, 0, 1000), RULE_MAXLIMIT);
	counter_unlock(&c);
	/* reset without a raise removes the file */
	ck_assert_int_eq(counter_lock(&td_st, "big", 0, &c), 0);
	ck_assert_int_eq((policy_raise(&c.s, 2, 1500, 1000), counter_commit(&c)), 0);
	ck_assert_int_eq(counter_reset(&td_st, &c, 1600), 0);
	counter_unlock(&c);
	ck_assert_int_eq(access(td_path("big"), F_OK), -1);
}
END_TEST

/* ---- compromise signals and aggregates (DESIGN.md "Compromise signals
 * and aggregate limits") ---- */

/* One recipient with a signal decided outside the counter file. */
static void
sigcount(const char *name, const struct rule *r, time_t now,
    const struct refusal *sig, struct verdict *v)
{
	struct counter c;
	int rc;

	rc = counter_lock(&td_st, name, 1, &c);
	CHECK(rc == 0, "counter_lock %s: %d %s", name, rc, c.err);
	memset(v, 0x5a, sizeof(*v));
	rc = decide_count(&td_st, &c, r, now, sig, v);
	CHECK(rc == 0, "decide_count %s at %ld: %s", name, (long)now, c.err);
	counter_unlock(&c);
}

static struct refusal
SIG(int why, int ban, int64_t retry, uint64_t count, uint32_t limit,
    uint32_t period)
{
	struct refusal s;

	memset(&s, 0, sizeof(s));
	s.why = why;
	s.ban = ban;
	s.retry = retry;
	s.count = count;
	s.limit = limit;
	s.period = period;
	return s;
}

START_TEST(signal_refuses)
{
	struct rule r = R("100/1000");
	struct refusal nets = SIG(WHY_NETS, 0, 1500, 4, 3, 3600);
	struct refusal mass = SIG(WHY_MASS, 0, 0, 3, 3, 60);
	struct verdict v;
	struct hdrview h;
	size_t n1, n2;
	unsigned char *b1, *b2;

	ck_assert_int_eq(send1("u", &r, 1000, NULL), 1);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE + COUNTER_RECSIZE);

	/* refused as a signal says, nothing appended */
	sigcount("u", &r, 1001, &nets, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.why, WHY_NETS);
	ck_assert_int_eq(v.over, -1);
	ck_assert_int_eq(v.banned, 0);
	ck_assert_int_eq(v.newban, 0);
	ck_assert_int_eq(v.dryrun, 0);
	ck_assert_int_eq(v.retry, 1500);
	ck_assert_uint_eq(v.ocount, 4);
	ck_assert_uint_eq(v.olimit, 3);
	ck_assert_uint_eq(v.operiod, 3600);
	ck_assert_int_eq(v.event, EV_OVER);	/* the crossing */
	h = hdr("u");
	ck_assert_uint_eq(h.nrec, 1);
	ck_assert_uint_eq(h.total, 1);
	ck_assert_uint_eq(h.refused, 1);
	ck_assert_int_eq(h.last_refuse, 1001);
	ck_assert_int_eq(h.last_accept, 1000);
	ck_assert_uint_eq(h.flags, POL_SIG(WHY_NETS));
	ck_assert_uint_eq(h.notified, 1);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE + COUNTER_RECSIZE);
	ck_assert_uint_eq(win("u", 1000, 1001), 1);

	/* again: refused, but the crossing was notified already */
	b1 = slurp("u", &n1);
	sigcount("u", &r, 1002, &nets, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.why, WHY_NETS);
	ck_assert_int_eq(v.event, EV_NONE);
	h = hdr("u");
	ck_assert_uint_eq(h.refused, 2);
	ck_assert_uint_eq(h.notified, 1);
	ck_assert_uint_eq(h.nrec, 1);
	/* only refused and last refused changed */
	b2 = slurp("u", &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(b1, b2, 32);			/* up to refused */
	ck_assert_mem_eq(b1 + 40, b2 + 40, 16);		/* last accept, reset */
	ck_assert_mem_eq(b1 + 64, b2 + 64, n1 - 64);	/* after last refused */
	free(b1);
	free(b2);

	/* another signal is another crossing */
	sigcount("u", &r, 1003, &mass, &v);
	ck_assert_int_eq(v.why, WHY_MASS);
	ck_assert_int_eq(v.event, EV_OVER);
	ck_assert_int_eq(v.retry, 0);
	ck_assert_uint_eq(hdr("u").flags,
	    POL_SIG(WHY_NETS) | POL_SIG(WHY_MASS));

	/* a window over its limit comes first */
	{
		struct rule one = R("1/1000");

		sigcount("u", &one, 1003, &nets, &v);
		ck_assert_int_eq(v.accepted, 0);
		ck_assert_int_eq(v.why, WHY_LIMIT);
		ck_assert_int_eq(v.over, 0);
		ck_assert_int_eq(v.retry, 2000);
		ck_assert_int_eq(v.event, EV_OVER);
	}

	/* an accepted recipient ends every crossing */
	sigcount("u", &r, 1004, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.why, WHY_NONE);
	ck_assert_int_eq(v.event, EV_NONE);
	h = hdr("u");
	ck_assert_uint_eq(h.flags & POL_SIGS, 0);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.nrec, 2);
	ck_assert_uint_eq(h.total, 2);
	ck_assert_uint_eq(h.refused, 4);

	/* so the next one notifies again */
	sigcount("u", &r, 1005, &nets, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.event, EV_OVER);
	ck_assert_uint_eq(hdr("u").notified, 4);

	/* a signal of WHY_NONE is no signal */
	nets.why = WHY_NONE;
	sigcount("u", &r, 1006, &nets, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.why, WHY_NONE);
}
END_TEST

/* Every kind of signal, on a fresh client each; strict appends nothing. */
START_TEST(signal_kinds)
{
	static const int whys[] = { WHY_NETS, WHY_MASS, WHY_POOL, WHY_SERVER };
	struct rule r = R("100/1000,50 strict");
	struct refusal s;
	struct verdict v;
	struct hdrview h;
	char name[16];
	size_t i;

	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		ck_assert_int_eq(send1(name, &r, 100, NULL), 1);
		s = SIG(whys[i], 0, 777, 10, 5, 60);
		sigcount(name, &r, 101, &s, &v);
		ck_assert_int_eq(v.accepted, 0);
		ck_assert_int_eq(v.why, whys[i]);
		ck_assert_int_eq(v.event, EV_OVER);
		ck_assert_int_eq(v.retry, 777);
		h = hdr(name);
		ck_assert_uint_eq(h.nrec, 1);		/* strict: a limit only */
		ck_assert_uint_eq(h.total, 1);
		ck_assert_uint_eq(h.refused, 1);
		ck_assert_uint_eq(h.flags, POL_SIG(whys[i]));
		ck_assert_uint_eq(h.flags & ~POL_SIGS, 0);
		ck_assert_int_eq(td_fsize(name), COUNTER_HDRSIZE + COUNTER_RECSIZE);
	}
	/* the signal bits are neither the ban nor a window's bits */
	for (i = 0; i < sizeof(whys) / sizeof(whys[0]); i++) {
		ck_assert_uint_eq(POL_SIG(whys[i]) & POL_BANNED, 0);
		ck_assert_uint_eq(POL_SIG(whys[i]) & (POL_OVER(0) |
		    POL_WARN(0)), 0);
	}
}
END_TEST

START_TEST(signal_bans)
{
	struct rule r = R("100/1000");
	struct refusal mass = SIG(WHY_MASS, 1, 0, 3, 3, 3600);
	struct verdict v;
	struct hdrview h;

	ck_assert_int_eq(send1("b", &r, 1000, NULL), 1);
	sigcount("b", &r, 1001, &mass, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.why, WHY_MASS);
	ck_assert_int_eq(v.banned, 1);
	ck_assert_int_eq(v.newban, 1);
	ck_assert_int_eq(v.event, EV_BAN);
	h = hdr("b");
	ck_assert_uint_eq(h.flags & POL_BANNED, POL_BANNED);
	ck_assert_int_eq(h.ban_since, 1001);
	ck_assert_uint_eq(h.refused, 1);
	ck_assert_uint_eq(h.nrec, 1);
	ck_assert_uint_eq(h.notified, 1);
	/* banned: refused from then on, without a signal, no event */
	sigcount("b", &r, 1002, NULL, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.banned, 1);
	ck_assert_int_eq(v.newban, 0);
	ck_assert_int_eq(v.event, EV_NONE);
	sigcount("b", &r, 1003, &mass, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.banned, 1);
	ck_assert_int_eq(v.newban, 0);
	ck_assert_int_eq(v.event, EV_NONE);
	h = hdr("b");
	ck_assert_int_eq(h.ban_since, 1001);
	ck_assert_uint_eq(h.refused, 3);
	ck_assert_uint_eq(h.nrec, 1);
	ck_assert_uint_eq(h.total, 1);
	ck_assert_uint_eq(h.notified, 1);
	/* the cleanup's reset keeps it */
	ck_assert_int_eq(tidy("b", "100/1000", 5000, 1), 0);
	sigcount("b", &r, 5001, NULL, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.banned, 1);
}
END_TEST

START_TEST(signal_dryrun)
{
	struct rule r = R("100/1000 dryrun");
	struct refusal nets = SIG(WHY_NETS, 1, 1500, 4, 3, 3600);
	struct verdict v;
	struct hdrview h;

	ck_assert_int_eq(send1("d", &r, 1000, NULL), 1);
	sigcount("d", &r, 1001, &nets, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.dryrun, 1);
	ck_assert_int_eq(v.why, WHY_NETS);
	ck_assert_int_eq(v.banned, 0);
	ck_assert_int_eq(v.newban, 0);
	ck_assert_int_eq(v.event, EV_OVER);	/* would refuse: notified */
	h = hdr("d");
	ck_assert_uint_eq(h.flags & POL_BANNED, 0);
	ck_assert_uint_eq(h.flags, POL_SIG(WHY_NETS));
	ck_assert_uint_eq(h.nrec, 2);		/* counted */
	ck_assert_uint_eq(h.total, 2);
	ck_assert_uint_eq(h.refused, 0);
	ck_assert_int_eq(h.last_accept, 1001);
	/* once per crossing in a dry run too */
	sigcount("d", &r, 1002, &nets, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.dryrun, 1);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_uint_eq(hdr("d").flags, POL_SIG(WHY_NETS));
	/* a plain accept ends the crossing */
	sigcount("d", &r, 1003, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.dryrun, 0);
	ck_assert_uint_eq(hdr("d").flags, 0);
	ck_assert_uint_eq(hdr("d").total, 4);
}
END_TEST

START_TEST(dormant_warmup)
{
	struct rule r = R("1000/10000 dormant=100/2/50");
	struct verdict v;
	struct hdrview h;

	ck_assert_uint_eq(r.dormant, 100);
	ck_assert_uint_eq(r.warmn, 2);
	ck_assert_uint_eq(r.warmper, 50);
	/* the first recipient ever: nothing to compare with */
	sigcount("z", &r, 1000, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.warm, 0);
	h = hdr("z");
	ck_assert_int_eq(h.warm_until, 0);
	ck_assert_uint_eq(h.warm_count, 0);
	/* silent for 200 >= 100: wakes into a warm-up of 2 per 50 s */
	sigcount("z", &r, 1200, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_DORMANT);
	ck_assert_int_eq(v.warm, 1);
	ck_assert_int_eq(v.why, WHY_NONE);
	ck_assert_uint_eq(v.olimit, 2);
	ck_assert_uint_eq(v.operiod, 50);
	h = hdr("z");
	ck_assert_int_eq(h.warm_until, 1250);
	ck_assert_uint_eq(h.warm_count, 1);
	ck_assert_uint_eq(h.notified, 1);
	ck_assert_int_eq(h.last_accept, 1200);
	/* once */
	sigcount("z", &r, 1201, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.warm, 1);
	ck_assert_uint_eq(hdr("z").warm_count, 2);
	/* the warm-up limit */
	sigcount("z", &r, 1202, NULL, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.why, WHY_WARMUP);
	ck_assert_int_eq(v.retry, 1250);
	ck_assert_int_eq(v.warm, 1);
	ck_assert_uint_eq(v.ocount, 2);
	ck_assert_uint_eq(v.olimit, 2);
	ck_assert_uint_eq(v.operiod, 50);
	ck_assert_int_eq(v.event, EV_OVER);
	ck_assert_int_eq(v.over, -1);
	h = hdr("z");
	ck_assert_uint_eq(h.warm_count, 2);
	ck_assert_uint_eq(h.refused, 1);
	ck_assert_uint_eq(h.total, 3);
	ck_assert_uint_eq(h.nrec, 3);
	ck_assert_uint_eq(h.flags, POL_SIG(WHY_WARMUP));
	sigcount("z", &r, 1249, NULL, &v);
	ck_assert_int_eq(v.accepted, 0);
	ck_assert_int_eq(v.why, WHY_WARMUP);
	ck_assert_int_eq(v.retry, 1250);
	ck_assert_int_eq(v.event, EV_NONE);
	/* the warm-up is over: the rule's limits again, no new wake-up */
	sigcount("z", &r, 1251, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.warm, 0);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.why, WHY_NONE);
	sigcount("z", &r, 1251, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	sigcount("z", &r, 1252, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	h = hdr("z");
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.total, 6);
	ck_assert_int_eq(h.last_accept, 1252);
	/* silent for exactly 100 again: another wake-up */
	sigcount("z", &r, 1352, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_DORMANT);
	ck_assert_int_eq(hdr("z").warm_until, 1402);
	ck_assert_uint_eq(hdr("z").warm_count, 1);
}
END_TEST

START_TEST(dormant_edges)
{
	struct rule r = R("1000/10000 dormant=100/2/50");
	struct rule plain = R("1000/10000");
	struct verdict v;
	int i;

	/* a new client is not dormant, however late it starts */
	sigcount("new", &r, 5000, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.warm, 0);
	for (i = 0; i < 5; i++) {
		sigcount("new", &r, 5001, NULL, &v);
		ck_assert_int_eq(v.accepted, 1);
		ck_assert_int_eq(v.warm, 0);
	}
	ck_assert_int_eq(hdr("new").warm_until, 0);
	/* nor one that was only refused (last accepted 0) */
	{
		struct refusal s = SIG(WHY_NETS, 0, 0, 9, 3, 60);

		sigcount("ref", &r, 100, &s, &v);
		ck_assert_int_eq(v.accepted, 0);
		sigcount("ref", &r, 5000, NULL, &v);
		ck_assert_int_eq(v.accepted, 1);
		ck_assert_int_eq(v.event, EV_NONE);
		ck_assert_int_eq(v.warm, 0);
	}
	/* silent for 99 < 100: not dormant */
	sigcount("s", &r, 1000, NULL, &v);
	sigcount("s", &r, 1099, NULL, &v);
	ck_assert_int_eq(v.accepted, 1);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.warm, 0);
	/* a rule without dormant= never wakes anyone */
	sigcount("p", &plain, 1000, NULL, &v);
	sigcount("p", &plain, 900000, NULL, &v);
	ck_assert_int_eq(v.event, EV_NONE);
	ck_assert_int_eq(v.warm, 0);
	ck_assert_int_eq(hdr("p").warm_until, 0);
	/* a dry run lets the warm-up's excess through, counted */
	{
		struct rule dry = R("1000/10000 dormant=100/1/50 dryrun");

		sigcount("dr", &dry, 1000, NULL, &v);
		sigcount("dr", &dry, 2000, NULL, &v);
		ck_assert_int_eq(v.event, EV_DORMANT);
		ck_assert_int_eq(v.accepted, 1);
		sigcount("dr", &dry, 2001, NULL, &v);
		ck_assert_int_eq(v.accepted, 1);
		ck_assert_int_eq(v.dryrun, 1);
		ck_assert_int_eq(v.why, WHY_WARMUP);
		ck_assert_uint_eq(hdr("dr").total, 3);
	}
}
END_TEST

START_TEST(peek_no_write)
{
	struct rule r = R("3/100");
	struct counter c;
	struct refusal sig;
	struct stat sb1, sb2;
	unsigned char *b1, *b2;
	size_t n1, n2;
	int t;

	ck_assert_int_eq(send1("pool", &r, 1000, NULL), 1);
	ck_assert_int_eq(send1("pool", &r, 1010, NULL), 1);
	/* under the limit */
	b1 = slurp("pool", &n1);
	ck_assert_int_eq(counter_lock(&td_st, "pool", 0, &c), 0);
	memset(&sig, 0x5a, sizeof(sig));
	ck_assert_int_eq(decide_peek(&c, &r, 1020, WHY_POOL, &sig), 0);
	ck_assert_int_eq(sig.why, WHY_NONE);
	counter_unlock(&c);
	ck_assert_int_eq(send1("pool", &r, 1020, NULL), 1);
	free(b1);
	/* full: over, with count, limit, period and retry; nothing written
	 * (not even the same bytes: the modification time stays) */
	b1 = slurp("pool", &n1);
	ck_assert_int_eq(lstat(td_path("pool"), &sb1), 0);
	usleep(30000);
	for (t = 1020; t < 1110; t += 7) {
		ck_assert_int_eq(counter_lock(&td_st, "pool", 0, &c), 0);
		memset(&sig, 0x5a, sizeof(sig));
		ck_assert_int_eq(decide_peek(&c, &r, t, WHY_POOL, &sig),
		    t < 1100 ? 1 : 0);
		if (t < 1100) {
			ck_assert_int_eq(sig.why, WHY_POOL);
			ck_assert_uint_eq(sig.count, 3);
			ck_assert_uint_eq(sig.limit, 3);
			ck_assert_uint_eq(sig.period, 100);
			ck_assert_int_eq(sig.retry, 1100);
			ck_assert_int_eq(sig.ban, 0);
		} else
			ck_assert_int_eq(sig.why, WHY_NONE);
		counter_unlock(&c);
		b2 = slurp("pool", &n2);
		ck_assert_uint_eq(n1, n2);
		ck_assert_mem_eq(b1, b2, n1);
		free(b2);
	}
	free(b1);
	ck_assert_int_eq(lstat(td_path("pool"), &sb2), 0);
	ck_assert(sb1.st_mtim.tv_sec == sb2.st_mtim.tv_sec &&
	    sb1.st_mtim.tv_nsec == sb2.st_mtim.tv_nsec);
	/* the second window is the full one; why as given */
	r = R("10/100,3/1000");
	ck_assert_int_eq(counter_lock(&td_st, "pool", 0, &c), 0);
	ck_assert_int_eq(decide_peek(&c, &r, 1500, WHY_SERVER, &sig), 1);
	ck_assert_int_eq(sig.why, WHY_SERVER);
	ck_assert_uint_eq(sig.count, 3);
	ck_assert_uint_eq(sig.limit, 3);
	ck_assert_uint_eq(sig.period, 1000);
	ck_assert_int_eq(sig.retry, 2000);
	counter_unlock(&c);
	/* a fresh (empty) file: not over, and still empty */
	ck_assert_int_eq(counter_lock(&td_st, "*", 1, &c), 0);
	ck_assert_int_eq(decide_peek(&c, &r, 1500, WHY_SERVER, &sig), 0);
	counter_unlock(&c);
	ck_assert_int_eq(td_fsize("*"), 0);
	/* decide_count of the peeked recipient agrees with the peek */
	{
		struct rule one = R("3/100");
		struct verdict v;

		ck_assert_int_eq(send1("pool", &one, 1050, &v), 0);
		ck_assert_int_eq(v.retry, 1100);
	}
}
END_TEST

START_TEST(tidy_dormant_keeps_header)
{
	struct hdrview h;

	/* a plain limit: a header-only file */
	{
		struct rule r = R("5 dormant=100/2/50");

		ck_assert_int_eq(send1("u", &r, 100, NULL), 1);
	}
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE);
	/* the reset leaves nothing but last accepted: kept for dormant= */
	ck_assert_int_eq(tidy("u", "5 dormant=100/2/50", 200, 1), 0);
	h = hdr("u");
	ck_assert_uint_eq(h.total, 0);
	ck_assert_uint_eq(h.refused, 0);
	ck_assert_uint_eq(h.nrec, 0);
	ck_assert_int_eq(h.last_accept, 100);
	ck_assert_int_eq(td_fsize("u"), COUNTER_HDRSIZE);
	ck_assert_int_eq(tidy("u", "5 dormant=100/2/50", 300, 1), 0);
	ck_assert_int_eq(hdr("u").last_accept, 100);
	/* so the client's silence is still known */
	{
		struct rule r = R("5 dormant=100/2/50");
		struct verdict v;

		sigcount("u", &r, 400, NULL, &v);
		ck_assert_int_eq(v.event, EV_DORMANT);
	}
	/* windows: the records go, the header stays */
	{
		struct rule r = R("5/100 dormant=100/2/50");

		ck_assert_int_eq(send1("w", &r, 100, NULL), 1);
		ck_assert_int_eq(send1("w", &r, 110, NULL), 1);
	}
	ck_assert_int_eq(tidy("w", "5/100 dormant=100/2/50", 1000, 1), 0);
	ck_assert_int_eq(td_fsize("w"), COUNTER_HDRSIZE);
	ck_assert_uint_eq(hdr("w").nrec, 0);
	ck_assert_int_eq(hdr("w").last_accept, 110);
	/* a rule without dormant= (a hashed name's domain line the cleanup
	 * cannot see, an edited CDB): the header says the helper counted
	 * it with dormant=, kept for the longest dormant= there can be */
	ck_assert_uint_eq(hdr("u").hflags, POL_HDORMANT);
	ck_assert_int_eq(tidy("u", "5", 500, 1), 0);
	ck_assert_int_eq(tidy("u", "5", 400 + RULE_MAXPERIOD, 1), 0);
	ck_assert_int_eq(tidy("u", "5", 401 + RULE_MAXPERIOD, 1), 1);
	ck_assert_int_eq(tidy("w", "5/100", 111 + RULE_MAXPERIOD, 1), 1);
	/* a client never accepted is not kept for it */
	{
		struct rule r = R("5 dormant=100/2/50");
		struct refusal s = SIG(WHY_NETS, 0, 0, 9, 3, 60);
		struct verdict v;

		sigcount("n", &r, 100, &s, &v);
		ck_assert_int_eq(v.accepted, 0);
		ck_assert_int_eq(hdr("n").last_accept, 0);
	}
	ck_assert_int_eq(tidy("n", "5 dormant=100/2/50", 200, 1), 1);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = td_tcase("count", 60, mkdir_tc);
	tcase_add_test(tc, open_missing_dir);
	tcase_add_test(tc, lock_nocreate_missing);
	tcase_add_test(tc, plain_limit);
	tcase_add_test(tc, refusals_use_no_quota);
	tcase_add_test(tc, window_basic);
	tcase_add_test(tc, window_sliding);
	tcase_add_test(tc, two_windows);
	tcase_add_test(tc, clock_backwards);
	tcase_add_test(tc, clock_forward_then_back);
	suite_add_tcase(s, tc);

	tc = td_tcase("retry", 120, mkdir_tc);
	tcase_add_test(tc, strict_retry);
	tcase_add_test(tc, strict_ban);
	tcase_add_test(tc, retry_property);
	tcase_add_test(tc, strict_flood_bounded);
	suite_add_tcase(s, tc);

	tc = td_tcase("raise", 30, mkdir_tc);
	tcase_add_test(tc, raise_and_reset);
	suite_add_tcase(s, tc);

	tc = td_tcase("model", 120, mkdir_tc);
	tcase_add_test(tc, model_windows);
	tcase_add_test(tc, model_many_windows);
	tcase_add_test(tc, model_clock_back);
	suite_add_tcase(s, tc);

	tc = td_tcase("compaction", 60, mkdir_tc);
	tcase_add_test(tc, compaction);
	tcase_add_test(tc, no_compaction_below_thresholds);
	tcase_add_test(tc, compaction_keeps_window_records);
	tcase_add_test(tc, compaction_same_handle);
	tcase_add_test(tc, hints_corrupted);
	suite_add_tcase(s, tc);

	tc = td_tcase("files", 30, mkdir_tc);
	tcase_add_test(tc, corrupt_files);
	tcase_add_test(tc, corrupt_records);
	tcase_add_test(tc, corrupt_records_cum_wraps);
	tcase_add_test(tc, classic_migration);
	tcase_add_test(tc, fresh_files);
	tcase_add_test(tc, crash_after_append);
	tcase_add_test(tc, not_regular_files);
	suite_add_tcase(s, tc);

	tc = td_tcase("waiters", 60, mkdir_tc);
	tcase_add_test(tc, waiter_follows_compaction);
	tcase_add_test(tc, waiter_follows_removal);
	tcase_add_test(tc, waiters_count_every_recipient);
	tcase_add_test(tc, stale_compaction_temp);
	suite_add_tcase(s, tc);

	tc = td_tcase("tidy", 30, mkdir_tc);
	tcase_add_test(tc, tidy_plain);
	tcase_add_test(tc, tidy_windows);
	tcase_add_test(tc, tidy_compacts);
	tcase_add_test(tc, tidy_reset_without_space);
	tcase_add_test(tc, tidy_classic);
	tcase_add_test(tc, tidy_dormant_keeps_header);
	suite_add_tcase(s, tc);

	tc = td_tcase("signals", 60, mkdir_tc);
	tcase_add_test(tc, signal_refuses);
	tcase_add_test(tc, signal_kinds);
	tcase_add_test(tc, signal_bans);
	tcase_add_test(tc, signal_dryrun);
	tcase_add_test(tc, dormant_warmup);
	tcase_add_test(tc, dormant_edges);
	tcase_add_test(tc, peek_no_write);
	suite_add_tcase(s, tc);
	return s;
}
