/*
 * fuzz_dest: libFuzzer harness of the destination rules (src/dest.c,
 * src/destset.c), built by "make fuzz".
 *
 * The input's first line is a recipient (any bytes but '\n'), every
 * other line a pattern, its first byte choosing allow (even) or deny
 * (odd). Checked (abort = finding), besides ASan + UBSan: dest_match of
 * every (pattern, recipient) pair gives 0 or 1 and never hangs
 * (libFuzzer's -timeout); the patterns dest_pattern takes are compiled as
 * one set into a CDB (cdbmake-limits' own step, src/compile.c), and the
 * helper's keyed lookup decides exactly as the plain matcher tried on
 * them in line order (the lowest line that matches; else the set's
 * default, allow).
 */
#include <sys/types.h>

#include <cdb.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "dest.h"
#include "ident.h"
#include "lookup.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_dest: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

#define MAXPAT	200		/* patterns an input gives */

static char path[64];
static int devnull;

static void
bye(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%.40s/fuzz_dest.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(path)) < 0 ||
	    (devnull = open("/dev/null", O_WRONLY)) < 0) {
		perror("fuzz_dest");
		abort();
	}
	close(fd);
	atexit(bye);
	return 0;
}

struct pat {
	const char	*s;
	size_t		len;
	int		deny;
	unsigned long	line;
};

/* The patterns p[0..n) (each one dest_pattern takes) into one set of a
 * CDB at path, as cdbmake-limits writes them: the grammar takes each. */
static void
build(struct pat *p, int n)
{
	struct compile c;
	struct cdb_make cm;
	char line[DEST_PATMAX + 64];
	int i, fd, len;

	compile_init(&c, devnull);
	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line), "u@t.example>%.*s:%s",
		    (int)p[i].len, p[i].s, p[i].deny ? "deny" : "allow");
		REQUIRE(compile_line(&c, line, (size_t)len) == 0);
		REQUIRE(c.errors == 0);
		p[i].line = c.lineno;
	}
	compile_sort(&c);
	REQUIRE(c.errors == 0);		/* the cap: never (counted) */
	REQUIRE((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	REQUIRE(cdb_make_start(&cm, fd) == 0);
	REQUIRE(compile_add(&c, &cm) == 0);
	REQUIRE(cdb_make_add(&cm, "/format", 7, compile_format(&c), 1) == 0);
	REQUIRE(cdb_make_finish(&cm) == 0);
	close(fd);
	compile_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pat p[MAXPAT];
	const char *s = (const char *)data, *end = s + size, *nl, *rcpt, *err;
	size_t rlen;
	struct lookup l;
	struct ident id;
	struct dest d;
	unsigned long want = 0;
	int n = 0, i, wdeny = 0, mt, wild = 0;

	if ((nl = memchr(s, '\n', size)) == NULL)
		nl = end;
	rcpt = s;
	rlen = (size_t)(nl - s);
	for (s = nl; s < end && n < MAXPAT; s = nl) {
		s++;
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if (nl == s)
			continue;
		p[n].deny = (unsigned char)s[0] & 1;
		p[n].s = s + 1;
		p[n].len = (size_t)(nl - s - 1);
		mt = dest_match(p[n].s, p[n].len, rcpt, rlen);
		REQUIRE(mt == 0 || mt == 1);
		if (dest_pattern(p[n].s, p[n].len, &err) >= 0 &&
		    (dest_pattern(p[n].s, p[n].len, &err) != DESTP_WILD &&
		    dest_pattern(p[n].s, p[n].len, &err) != DESTP_ALL ?
		    1 : wild++ < DEST_WILDMAX))
			n++;
	}
	if (memchr(rcpt, '\0', rlen) != NULL)	/* never in the environment */
		return 0;
	build(p, n);
	for (i = 0; i < n && want == 0; i++)
		if (dest_match(p[i].s, p[i].len, rcpt, rlen)) {
			want = p[i].line;
			wdeny = p[i].deny;
		}
	REQUIRE(lookup_open(&l, path) == 0);
	REQUIRE(ident_fromenv(&id, "u@t.example", NULL, &err) == 0);
	REQUIRE(dest_lookup(&l, &id, rcpt, rlen, &d, NULL, NULL) == (n > 0));
	REQUIRE(d.line == want);
	REQUIRE(d.action == (wdeny ? DEST_DENY : DEST_ALLOW));
	ident_free(&id);
	lookup_close(&l);
	return 0;
}
