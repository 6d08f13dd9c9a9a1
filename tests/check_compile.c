/* check_compile.c: unit tests of src/compile.[ch] (cdbmake-limits' step;
 * DESIGN.md "Control file and CDB"). */
#include <sys/types.h>
#include <sys/stat.h>

#include <cdb.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "lookup.h"
#include "testdir.h"

Suite	*compile_suite(void);

static void
mkdir_tc(void)
{
	td_mkdir("compile");
}

/* What the step wrote on its message descriptor. */
struct run {
	int	rc;
	char	msgs[4096];
};

/* compile() of text into td_dir/cdb via td_dir/tmp. */
static struct run
run(const char *text, const char *cdb, const char *tmp)
{
	struct run r;
	FILE *in, *err;
	size_t n;
	char c[256];

	ck_assert_ptr_nonnull(in = fmemopen((void *)(uintptr_t)text,
	    strlen(text), "r"));
	ck_assert_ptr_nonnull(err = tmpfile());
	strlcpy(c, td_path(cdb), sizeof(c));
	r.rc = compile(in, c, td_path(tmp), fileno(err));
	rewind(err);
	n = fread(r.msgs, 1, sizeof(r.msgs) - 1, err);
	r.msgs[n] = '\0';
	fclose(err);
	fclose(in);
	return r;
}

/* The value of key in the CDB td_dir/name, or NULL (a static buffer). */
static const char *
get(const char *name, const char *key)
{
	static char v[RULE_VALMAX];
	struct cdb c;
	unsigned len;
	int fd;

	ck_assert_int_ge(fd = open(td_path(name), O_RDONLY), 0);
	ck_assert_int_eq(cdb_init(&c, fd), 0);
	if (cdb_find(&c, key, (unsigned)strlen(key)) <= 0) {
		cdb_free(&c);
		close(fd);
		return NULL;
	}
	len = cdb_datalen(&c);
	ck_assert_uint_lt(len, sizeof(v));
	ck_assert_int_eq(cdb_read(&c, v, len, cdb_datapos(&c)), 0);
	v[len] = '\0';
	cdb_free(&c);
	close(fd);
	return v;
}

static void
has(const char *name, const char *key, const char *want)
{
	const char *v = get(name, key);

	ck_assert_msg(v != NULL, "%s: no key \"%s\"", name, key);
	ck_assert_msg(strcmp(v, want) == 0, "%s: \"%s\" is \"%s\", want \"%s\"",
	    name, key, v, want);
}

START_TEST(meta_keys)
{
	/* the meta keys, and the rules with their line numbers */
	static const char *const want[][2] = {
	    { "/4", "24,8" }, { "/6", "48" }, { "/features", "exempt mass" },
	    { "/format", LOOKUP_FORMAT }, { "", "2 1000/86400" },
	    { "u@x.com", "3 5/3600 mass=3x50/3600" },
	    { "192.168.1.0/24", "4 100/3600" }, { "10.0.0.0/8", "5 300/3600" },
	    { "2001:db8::/48", "6 7" }, { "2001:db8::5", "7 8" },
	    { ">abuse@provider.example", "8 exempt" },
	    { "/count6", "9 0 set=64" },
	};
	struct run r = run("# limits\n"
	    ":1000/1d\n"
	    "u@x.com:5/1h:mass=3x50/1h\n"
	    "192.168.1.:100/1h\n"
	    "10.0.0.0/8:300/1h\r\n"
	    "[2001:db8::]/48:7\n"
	    "[2001:db8::5]:8\n"
	    ">abuse@provider.example\n"
	    "!count6=64", "l.cdb", "l.tmp");
	size_t i;

	ck_assert_int_eq(r.rc, COMPILE_OK);
	ck_assert_str_eq(r.msgs, "");
	ck_assert(!td_exists("l.tmp"));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		has("l.cdb", want[i][0], want[i][1]);
}
END_TEST

START_TEST(features)
{
	struct run r = run(":5\nx@y:6\n", "l.cdb", "l.tmp");

	ck_assert_int_eq(r.rc, COMPILE_OK);
	has("l.cdb", "/features", "");	/* present: nothing is used */
	ck_assert_ptr_null(get("l.cdb", "/4"));
	ck_assert_ptr_null(get("l.cdb", "/6"));
	r = run(">@helpdesk.example\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_OK);
	has("l.cdb", "/features", "exempt");
	r = run("@x:1:mass=1x2/1m\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_OK);
	has("l.cdb", "/features", "mass");
	/* an empty control file: the meta keys only */
	r = run("", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_OK);
	has("l.cdb", "/format", LOOKUP_FORMAT);
	ck_assert_ptr_null(get("l.cdb", ""));
}
END_TEST

START_TEST(duplicates)
{
	struct run r = run(":1\nx@y:5\nX@Y:6\n:2\n1.2.3.:5\n1.2.3.0/24:7\n"
	    "x%y:8\n", "l.cdb", "l.tmp");

	ck_assert_int_eq(r.rc, COMPILE_OK);
	ck_assert_str_eq(r.msgs,
	    "cdbmake-limits: warning: line 4 repeats line 1 (the default); "
	    "line 4 wins\n"
	    "cdbmake-limits: warning: line 6 repeats line 5 (1.2.3.0/24); "
	    "line 6 wins\n"
	    "cdbmake-limits: warning: line 3 repeats line 2 (x@y); line 3 "
	    "wins\n"
	    "cdbmake-limits: warning: line 7 repeats line 3 (x@y); line 7 "
	    "wins\n");
	has("l.cdb", "", "4 2");
	has("l.cdb", "1.2.3.0/24", "6 7");
	has("l.cdb", "x@y", "7 8");
	has("l.cdb", "/4", "24");
}
END_TEST

START_TEST(bad_lines)
{
	struct run r;
	char want[1024];

	r = run(":1\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_OK);
	r = run(":7\nx@y:5\nbad line\n@d:5:pool=5/1d\nx:5/1y\n"
	    "1.2.3.4:5:nets=3/1h\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_BAD);
	snprintf(want, sizeof(want),
	    "cdbmake-limits: line 3: missing ':' between name and limit: "
	    "bad line\n"
	    "cdbmake-limits: line 5: bad period unit (use s, m, h, d or w): "
	    "x:5/1y\n"
	    "cdbmake-limits: line 6: nets= counts the networks of an auth "
	    "user, not of an IP: 1.2.3.4:5:nets=3/1h\n"
	    "cdbmake-limits: 3 bad lines, %s not written\n", td_path("l.cdb"));
	ck_assert_str_eq(r.msgs, want);
	/* nothing written: the old CDB stays */
	has("l.cdb", "", "1 1");
	ck_assert(!td_exists("l.tmp"));
	r = run("x\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_BAD);
	snprintf(want, sizeof(want), "cdbmake-limits: line 1: missing ':' "
	    "between name and limit: x\ncdbmake-limits: 1 bad line, %s not "
	    "written\n", td_path("l.cdb"));
	ck_assert_str_eq(r.msgs, want);
}
END_TEST

START_TEST(system_errors)
{
	struct run r;
	char want[512];
	FILE *in;
	int fd;

	/* the temporary file cannot be made */
	r = run(":1\n", "l.cdb", "nodir/l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_SYS);
	snprintf(want, sizeof(want), "cdbmake-limits: fatal: unable to create "
	    "%s: %s\n", td_path("nodir/l.tmp"), strerror(ENOENT));
	ck_assert_str_eq(r.msgs, want);
	ck_assert(!td_exists("l.cdb"));
	/* it cannot be renamed: removed */
	ck_assert_int_eq(mkdir(td_path("dir.cdb"), 0755), 0);
	td_writeraw("dir.cdb/x", "x", 1);
	r = run(":1\n", "dir.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_SYS);
	ck_assert_ptr_nonnull(strstr(r.msgs, "cdbmake-limits: fatal: unable to "
	    "move temporary file to "));
	ck_assert(!td_exists("l.tmp"));
	/* the control file cannot be read */
	ck_assert_ptr_nonnull(in = fopen(td_dir, "r"));
	fd = open(td_path("err"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(compile(in, td_path("l.cdb"), td_path("l.tmp"), fd),
	    COMPILE_SYS);
	fclose(in);
	close(fd);
	ck_assert(!td_exists("l.cdb"));
	ck_assert(!td_exists("l.tmp"));
}
END_TEST

/* Whatever sits at the temporary name: a FIFO is refused at once (it
 * hung cdbmake-limits forever), a file is written over; the CDB is 0644
 * whatever the umask (a 027 umask left it unreadable to the helper). */
START_TEST(tmp_and_mode)
{
	struct run r;
	struct stat st;
	mode_t old;

	ck_assert_int_eq(mkfifo(td_path("l.tmp"), 0600), 0);
	r = run(":1\n", "l.cdb", "l.tmp");
	ck_assert_int_eq(r.rc, COMPILE_SYS);
	ck_assert_ptr_nonnull(strstr(r.msgs, "l.tmp"));	/* ENXIO: no reader */
	ck_assert(!td_exists("l.cdb"));
	ck_assert_int_eq(unlink(td_path("l.tmp")), 0);
	td_writeraw("l.tmp", "old contents, longer than nothing", 33);
	old = umask(027);
	r = run(":1\n", "l.cdb", "l.tmp");
	umask(old);
	ck_assert_int_eq(r.rc, COMPILE_OK);
	ck_assert_int_eq(lstat(td_path("l.cdb"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	has("l.cdb", "", "1 1");
}
END_TEST

/* A comment or blank line of any length is a comment, as the classic
 * script reads it (one over 4096 bytes was an error). */
START_TEST(long_comment)
{
	static char text[20000];
	struct run r;

	memset(text, 'c', 10000);
	memcpy(text, "  # ", 4);
	strlcpy(text + 10000, "\n:7\n", 5);
	r = run(text, "l.cdb", "l.tmp");
	ck_assert_msg(r.rc == COMPILE_OK, "%d %s", r.rc, r.msgs);
	has("l.cdb", "", "2 7");
}
END_TEST

/* The steps apart, as tests/check_limits.c uses them. */
START_TEST(steps)
{
	static const char *const lines[] = { "# c", "", ":5", "bad", "x@y:6",
	    ">a@b", "x@Y:7" };
	struct compile c;
	size_t i;

	compile_init(&c, open("/dev/null", O_WRONLY));
	ck_assert_int_ge(c.errfd, 0);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_int_eq(compile_line(&c, lines[i], strlen(lines[i])), 0);
	ck_assert_uint_eq(c.lineno, 7);
	ck_assert_uint_eq(c.errors, 1);
	ck_assert_uint_eq(c.n, 4);
	ck_assert_uint_eq(c.feat, LOOKUP_FEXEMPT);
	compile_sort(&c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_str_eq(c.ents[0].key, "");
	ck_assert_str_eq(c.ents[1].key, ">a@b");
	ck_assert_str_eq(c.ents[2].key, "x@y");
	ck_assert_str_eq(c.ents[2].val, "7 7");
	ck_assert_uint_eq(c.ents[2].line, 7);
	close(c.errfd);
	compile_free(&c);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

Suite *
compile_suite(void)
{
	Suite *s = suite_create("compile");
	TCase *tc = td_tcase("compile", 30, mkdir_tc);

	tcase_add_test(tc, meta_keys);
	tcase_add_test(tc, features);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, bad_lines);
	tcase_add_test(tc, system_errors);
	tcase_add_test(tc, steps);
	tcase_add_test(tc, tmp_and_mode);
	tcase_add_test(tc, long_comment);
	suite_add_tcase(s, tc);
	return s;
}
