/*
 * fuzz_store: libFuzzer harness of src/store.c (the counter-file reader
 * and everything that runs on a file read from the store), built by
 * "make fuzz".
 *
 * The input is written as a client's counter file in a private temporary
 * directory; then, as the helper and the cleanup job would, with fixed
 * rules and a fixed clock:
 *   counter_lock -> counter_window (each period) -> decide_count -> unlock,
 *   counter_lock -> decide_count (a second recipient, a second later or
 *       with the clock stepped back or forward) -> unlock,
 *   counter_lock -> counter_tidy (reset) -> unlock.
 * Invariants checked (abort = finding), besides "no crash, no leak, no
 * undefined behaviour" (ASan + UBSan):
 *  - counter_lock locks (0) or fails with a reason (-1, c.err not empty);
 *    it never reports "does not exist" for a file that is there;
 *  - a file decide_count accepted or refused on is left readable: the
 *    next counter_lock succeeds, with total/refused moved by exactly one
 *    and nrec by at most one (or less after a compaction), never beyond
 *    COUNTER_MAXREC; a failed decide_count commits nothing;
 *  - a failed decide_count leaves the file byte for byte as it was (the
 *    failure policy keeps a corrupt file for inspection);
 *  - "well-formed" files (what the store writes: see wellformed()) stay
 *    well-formed through decide_count and counter_tidy, and neither fails
 *    on them; a new, empty, zeroed or classic file becomes well-formed
 *    on its first count. (A version 1 file with bad records is only
 *    required to give clean errors or counts: the store reads only the
 *    records a window needs, by design, so it cannot see every fault.)
 *  - counter_tidy leaves a readable file or removes it; nothing else is
 *    left in the directory (no ".cmp.*" temporary).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rule.h"
#include "counter.h"
#include "decide.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_store: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

#define NOW	((time_t)1700000000)	/* the fixed clock */
#define NAME	"1.2.3.4"

static char dir[64];

static void
cleardir(void)
{
	DIR *dp;
	struct dirent *e;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			char p[128];

			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(dp);
}

static void
bye(void)
{
	cleardir();
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* under $TMPDIR: run.sh removes it even after an abort */
	snprintf(dir, sizeof(dir), "%.40s/fuzz_store.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(bye);
	return 0;
}

static struct rule
mkrule(const char *v)
{
	struct rule r;

	REQUIRE(rule_parsevalue(v, strlen(v), &r) == 0);
	return r;
}

/* only the client file may be left (no temporary) */
static void
onlyclient(void)
{
	DIR *dp;
	struct dirent *e;

	REQUIRE((dp = opendir(dir)) != NULL);
	while ((e = readdir(dp)) != NULL)
		REQUIRE(strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, NAME) == 0);
	closedir(dp);
}

/* the file at p holds exactly the size bytes at data */
static void
same(const char *p, const uint8_t *data, size_t size)
{
	unsigned char *b;
	ssize_t n;
	int fd;

	REQUIRE((b = malloc(size + 1)) != NULL);
	REQUIRE((fd = open(p, O_RDONLY)) >= 0);
	n = read(fd, b, size + 1);
	close(fd);
	REQUIRE(n == (ssize_t)size && memcmp(b, data, size) == 0);
	free(b);
}

static uint64_t
le64(const unsigned char *b)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/*
 * What the store itself writes ("well-formed"): a version 1 header whose
 * nrec records are all there, times never decreasing, each cum one more
 * than the one before (base before record 0), base at most maxbase (far
 * from 2^64: a compaction moves base up by the records it drops, so an
 * input is classified with 2^62 and the store's output checked with 2^63).
 * Returns 1 well-formed, 0 a version 1 file that is not, -1 not a
 * version 1 file at all (empty, zeros, classic, garbage).
 */
#define IN	(1ULL << 62)
#define OUT	(1ULL << 63)
static int
wellformed(const char *p, uint64_t maxbase)
{
	static unsigned char b[1 << 16];
	ssize_t n;
	uint64_t nrec, cum, c2, i;
	int64_t t, lt = INT64_MIN;
	int fd;

	REQUIRE((fd = open(p, O_RDONLY)) >= 0);
	n = read(fd, b, sizeof(b));
	close(fd);
	REQUIRE(n >= 0 && (size_t)n < sizeof(b));	/* max_len bounds it */
	if (n < COUNTER_HDRSIZE || memcmp(b, "RCPTOL1\n", 8) != 0 ||
	    le64(b + 8) != (COUNTER_RECSIZE * 0x100000000ULL | COUNTER_HDRSIZE))
		return -1;
	nrec = le64(b + 16) & 0xffffffffULL;
	if ((uint64_t)n < COUNTER_HDRSIZE + nrec * COUNTER_RECSIZE)
		return 0;
	cum = le64(b + 64);
	if (cum > maxbase)
		return 0;
	for (i = 0; i < nrec; i++) {	/* one record may count several */
		t = (int64_t)le64(b + COUNTER_HDRSIZE + i * COUNTER_RECSIZE);
		c2 = le64(b + COUNTER_HDRSIZE + i * COUNTER_RECSIZE + 8);
		if (t < lt || c2 <= cum || c2 - cum > 0xffffffffULL)
			return 0;		/* a second holds < 2^32 */
		lt = t;
		cum = c2;
	}
	return 1;
}

/* lock, count one recipient, check what was committed */
static int
countone(struct store *s, const struct rule *r, time_t now)
{
	struct counter c, c2;
	struct verdict v;
	uint64_t cnt;
	int i, rc;

	rc = counter_lock(s, NAME, 1, &c);
	REQUIRE(rc == 0 || rc == -1);
	if (rc < 0) {
		REQUIRE(c.err[0] != '\0');
		REQUIRE(c.fd == -1);
		return -1;
	}
	for (i = 0; i < r->nwin; i++)
		(void)counter_window(&c, r->win[i].period, now, &cnt);
	(void)counter_window(&c, 1, now, &cnt);
	(void)counter_window(&c, RULE_MAXPERIOD, now, &cnt);
	if (decide_count(s, &c, r, now, NULL, &v) < 0) {
		REQUIRE(c.err[0] != '\0');
		counter_unlock(&c);
		return -1;
	}
	/* accepted: under every limit, or over one in a dry run; never
	 * when banned */
	REQUIRE(v.accepted == ((v.over < 0 && !v.banned) ||
	    (v.dryrun && !v.banned)));
	REQUIRE(!v.dryrun || (r->flags & RULE_DRYRUN));
	REQUIRE(!v.newban || (r->ban && v.banned));
	REQUIRE(v.over < r->nwin);
	counter_unlock(&c);
	/* what was committed reads back */
	REQUIRE(counter_lock(s, NAME, 0, &c2) == 0);
	REQUIRE(c2.nrec <= COUNTER_MAXREC);
	if (v.accepted)
		REQUIRE(c2.s.total == c.s.total && c2.s.last_accept == now);
	else
		REQUIRE(c2.s.refused == c.s.refused &&
		    c2.s.last_refuse == now);
	counter_unlock(&c2);
	onlyclient();
	return v.accepted;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *rules[] = {
		"1 3/60,10/3600,1000000000",	/* windows and a plain limit */
		"1 1000000000/31622400",	/* one long window */
		"1 5",				/* classic counter only */
		"1 0",				/* unlimited */
	};
	struct store s;
	struct counter c;
	struct rule r;
	char p[128];
	static const time_t steps[] = {
		NOW + 1,			/* a second later */
		NOW - 3600,			/* the clock stepped back */
		NOW + 366 * 86400,		/* ... forward a year */
		0,				/* ... back to the epoch */
	};
	time_t later;
	int fd, rc, removed, wf;
	uint64_t before = 0;

	/* the first byte picks the rule (bits 0-1) and the clock of the
	 * second recipient (bits 2-3); the rest is the file */
	r = mkrule(rules[size > 0 ? data[0] & 3 : 0]);
	later = steps[size > 0 ? (data[0] >> 2) & 3 : 0];
	if (size > 0) {
		data++;
		size--;
	}
	cleardir();
	snprintf(p, sizeof(p), "%s/%s", dir, NAME);
	REQUIRE((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	REQUIRE(write(fd, data, size) == (ssize_t)size);
	close(fd);
	REQUIRE(store_open(&s, dir) == 0);

	/* the helper: one recipient, then another a second later */
	wf = wellformed(p, IN);
	if (countone(&s, &r, NOW) >= 0) {
		/* the store keeps a well-formed file well-formed, and
		 * makes one of a new, empty or classic file */
		if (wf != 0)
			REQUIRE(wellformed(p, OUT) == 1);
		wf = wellformed(p, IN);
		REQUIRE(counter_lock(&s, NAME, 0, &c) == 0);
		before = c.s.total;
		counter_unlock(&c);
		rc = countone(&s, &r, later);
		if (wf == 1) {
			/* what the store wrote it reads back and counts on */
			REQUIRE(rc >= 0);
			REQUIRE(wellformed(p, OUT) == 1);
			REQUIRE(counter_lock(&s, NAME, 0, &c) == 0);
			REQUIRE(c.s.total == before + (uint64_t)rc);
			counter_unlock(&c);
		}
	} else {
		/* a failed count commits nothing: the file is as it was,
		 * and a well-formed file does not fail */
		same(p, data, size);
		REQUIRE(wf != 1);
	}

	/* the cleanup job, a day later */
	if (counter_lock(&s, NAME, 0, &c) == 0) {
		wf = wellformed(p, IN);
		rc = counter_tidy(&s, &c, &r, NOW + 86400, 1, &removed);
		if (wf == 1)
			REQUIRE(rc == 0);
		if (rc == 0 && !removed) {
			counter_unlock(&c);
			if (wf == 1)
				REQUIRE(wellformed(p, OUT) == 1);
			REQUIRE(counter_lock(&s, NAME, 0, &c) == 0);
			REQUIRE(c.s.total == 0 && c.s.refused == 0);
		}
		counter_unlock(&c);
		onlyclient();
	}
	store_close(&s);
	return 0;
}
