/* check_dest.c: unit tests of the destination rules: the pattern syntax
 * and matcher (src/dest.c), their control-file lines (src/grammar.c),
 * the sets in the CDB (src/destset.c) and the helper's lookup, with a
 * random model check of the keyed lookup against the plain matcher. */
#include <sys/types.h>

#include <cdb.h>
#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "dest.h"
#include "ident.h"
#include "lookup.h"
#include "rule.h"
#include "testdir.h"

Suite	*dest_suite(void);

static void
mkdir_tc(void)
{
	td_mkdir("dest");
}

static int
m(const char *pat, const char *rcpt)
{
	return dest_match(pat, strlen(pat), rcpt, strlen(rcpt));
}

static int
kind(const char *pat)
{
	const char *err = NULL;

	return dest_pattern(pat, strlen(pat), &err);
}

/* ------------------------------------------------------------ matcher */

START_TEST(match_exact)
{
	ck_assert_int_eq(m("joe@example.com", "joe@example.com"), 1);
	ck_assert_int_eq(m("joe@example.com", "JOE@Example.COM"), 1);
	ck_assert_int_eq(m("JOE@EXAMPLE.com", "joe@example.com"), 1);
	ck_assert_int_eq(m("joe@example.com", "joe@example.com."), 1);
	ck_assert_int_eq(m("joe@example.com", "joe@example.com.."), 0);
	ck_assert_int_eq(m("joe@example.com", "joe@x.example.com"), 0);
	ck_assert_int_eq(m("joe@example.com", "ajoe@example.com"), 0);
	ck_assert_int_eq(m("joe@example.com", "joe@example.co"), 0);
	ck_assert_int_eq(m("joe@example.com", "joe@example.comx"), 0);
	ck_assert_int_eq(m("joe@example.com", "joe"), 0);
	ck_assert_int_eq(m("joe@example.com", ""), 0);
}
END_TEST

START_TEST(match_domains)
{
	ck_assert_int_eq(m("@example.com", "a@example.com"), 1);
	ck_assert_int_eq(m("@example.com", "@example.com"), 1);
	ck_assert_int_eq(m("@example.com", "a@b.example.com"), 0);
	ck_assert_int_eq(m("@example.com", "a@badexample.com"), 0);
	ck_assert_int_eq(m("@.example.com", "a@example.com"), 1);
	ck_assert_int_eq(m("@.example.com", "a@B.Example.com"), 1);
	ck_assert_int_eq(m("@.example.com", "a@c.b.example.com."), 1);
	ck_assert_int_eq(m("@.example.com", "a@badexample.com"), 0);
	ck_assert_int_eq(m("@.example.com", "a@example.com.evil"), 0);
	ck_assert_int_eq(m("@.example.com", "example.com"), 0);
	ck_assert_int_eq(m("joe@.example.com", "joe@x.example.com"), 1);
	ck_assert_int_eq(m("joe@.example.com", "jo@x.example.com"), 0);
}
END_TEST

START_TEST(match_wildcards)
{
	ck_assert_int_eq(m("*", ""), 1);
	ck_assert_int_eq(m("*", "no-at-sign"), 1);
	ck_assert_int_eq(m("*@*", "no-at-sign"), 0);
	ck_assert_int_eq(m("*@*", "a@"), 1);
	ck_assert_int_eq(m("@*", "a@b"), 1);
	ck_assert_int_eq(m("info-*@example.com", "info-sales@example.com"), 1);
	ck_assert_int_eq(m("info-*@example.com", "INFO-@EXAMPLE.COM"), 1);
	ck_assert_int_eq(m("info-*@example.com", "info@example.com"), 0);
	ck_assert_int_eq(m("*@*.example.com", "a@b.example.com"), 1);
	ck_assert_int_eq(m("*@*.example.com", "a@example.com"), 0);
	ck_assert_int_eq(m("*@*example.com", "a@badexample.com"), 1);
	ck_assert_int_eq(m("j*n@ex*.c*m", "john@example.com"), 1);
	ck_assert_int_eq(m("j*n@ex*.c*m", "john@example.org"), 0);
	ck_assert_int_eq(m("a*a*a*b@x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa@x"), 0);
	ck_assert_int_eq(m("a*a*a*b@x", "aaaaaaaaaaaaaaaaaaaaaaaaaaab@x"), 1);
	ck_assert_int_eq(m("**@**", "@"), 1);
}
END_TEST

/* the recipient as qmail-smtpd passes it, split at its last '@' */
START_TEST(match_hostile)
{
	char *big;

	ck_assert_int_eq(m("*@example.com", "\"a@b\"@example.com"), 1);
	ck_assert_int_eq(m("@b", "\"a@b\"@example.com"), 0);
	ck_assert_int_eq(m("@example.com", "a@b@example.com"), 1);
	/* literal: the grammar takes no such pattern */
	ck_assert_int_eq(m("a@b@example.com", "a@b@example.com"), 1);
	ck_assert_int_eq(m("a@b@example.com", "a@c@example.com"), 0);
	ck_assert_int_eq(m("*@example.com", "user%other@example.com"), 1);
	ck_assert_int_eq(m("@other", "user%other@example.com"), 0);
	ck_assert_int_eq(m("*@example.com", "a\r@example.com"), 1);
	ck_assert_int_eq(m("a@example.com", "a@example.com\r"), 0);
	ck_assert_int_eq(m("*@*", "@@@@"), 1);
	ck_assert_ptr_nonnull(big = malloc(102400 + 20));
	memset(big, 'a', 102400);
	strcpy(big + 102400, "@example.com");
	ck_assert_int_eq(m("*@example.com", big), 0);	/* only "*" */
	ck_assert_int_eq(m("*", big), 1);
	big[DEST_RCPTMAX - 12] = '\0';
	strcat(big, "@example.com");			/* just fits */
	ck_assert_int_eq(m("*@example.com", big), 1);
	free(big);
}
END_TEST

START_TEST(pattern_kinds)
{
	const char *err = NULL;
	char big[300];

	ck_assert_int_eq(kind("joe@example.com"), DESTP_ADDR);
	ck_assert_int_eq(kind("@example.com"), DESTP_DOMAIN);
	ck_assert_int_eq(kind("@.example.com"), DESTP_SUB);
	ck_assert_int_eq(kind("joe@.example.com"), DESTP_WILD);
	ck_assert_int_eq(kind("*@example.com"), DESTP_WILD);
	ck_assert_int_eq(kind("@*.example.com"), DESTP_WILD);
	ck_assert_int_eq(kind("*"), DESTP_ALL);
	ck_assert_int_eq(kind("o'brien+tag@x.org"), DESTP_ADDR);
	ck_assert_int_eq(kind("example.com"), -1);
	ck_assert_int_eq(kind(""), -1);
	ck_assert_int_eq(kind("a@"), -1);
	ck_assert_int_eq(kind("a@b@c"), -1);
	ck_assert_int_eq(kind("\"a b\"@c"), -1);
	ck_assert_int_eq(kind("a@[1.2.3.4]"), -1);
	ck_assert_int_eq(kind("a@x..com"), -1);
	ck_assert_int_eq(kind("a@x.com."), -1);
	ck_assert_int_eq(kind("@..x.com"), -1);
	ck_assert_int_eq(kind("@.*.x.com"), -1);
	ck_assert_int_eq(kind("a@\xe4.com"), -1);
	memset(big, 'a', sizeof(big));
	big[0] = '@';
	ck_assert_int_eq(dest_pattern(big, 256, &err), -1);
	ck_assert_str_eq(err, "destination pattern too long (at most 255)");
}
END_TEST

/* ------------------------------------------------------------ grammar */

static int
parse(const char *line, struct rulekey *k, struct rule *r, const char **err)
{
	return rule_parseline(line, strlen(line), 7, k, r, err);
}

START_TEST(grammar_lines)
{
	struct rulekey k;
	struct rule r;
	const char *err;

	ck_assert_int_eq(parse("Joe@Example.COM > @Partner.org : allow", &k,
	    &r, &err), RULE_OK);
	ck_assert_str_eq(k.key, "joe@example.com");
	ck_assert_str_eq(k.pat, "@Partner.org");
	ck_assert_uint_eq(r.flags, RULE_DEST);
	ck_assert_int_eq(parse("@school.example>*:deny:dryrun:text=\"no, "
	    "{client}\"", &k, &r, &err), RULE_OK);
	ck_assert_str_eq(k.key, "@school.example");
	ck_assert_uint_eq(r.flags, RULE_DEST | RULE_DENY | RULE_DRYRUN);
	ck_assert_str_eq(r.text, "no, {client}");
	ck_assert_int_eq(parse(">@spam.example:deny", &k, &r, &err), RULE_OK);
	ck_assert_str_eq(k.key, "");
	ck_assert_int_eq(parse("10.0.0.0/8>@x.org:deny", &k, &r, &err),
	    RULE_OK);
	ck_assert_str_eq(k.key, "10.0.0.0/8");
	ck_assert_int_eq(k.plen, 8);
	ck_assert_int_eq(parse("[2001:db8::]/48>@x.org:deny", &k, &r, &err),
	    RULE_OK);
	ck_assert_str_eq(k.key, "2001:db8::/48");
	ck_assert_int_eq(parse("192.168.1.>*@*:allow", &k, &r, &err), RULE_OK);
	ck_assert_str_eq(k.key, "192.168.1.0/24");
	/* today's lines are what they were */
	ck_assert_int_eq(parse(">abuse@x.org", &k, &r, &err), RULE_OK);
	ck_assert_uint_eq(r.flags, RULE_EXEMPT);
	ck_assert_str_eq(k.pat, "");
	ck_assert_int_eq(parse("u@x.org:10:text=\"a > b\"", &k, &r, &err),
	    RULE_OK);
	ck_assert_uint_eq(r.flags & RULE_DEST, 0);
}
END_TEST

START_TEST(grammar_errors)
{
	static const struct {
		const char	*line, *err;
	} bad[] = {
		{ "u@x>@y", "a destination rule ends in :allow or :deny" },
		{ "u@x>@y:maybe", "a destination rule ends in :allow or :deny" },
		{ "u@x>@y:allow:dryrun", "allow takes no options" },
		{ "u@x>@y:deny:ban", "a destination rule takes only dryrun and "
		    "text=" },
		{ "u@x>@y:deny:dryrun:dryrun", "option given twice" },
		{ "u@x>@y:deny:text=\"\x01\"", "control character" },
		{ "*>@y:deny", "the * line has no destination rules (an empty "
		    "name: everyone)" },
		{ "u@x>y.com:deny", "a destination pattern is user@domain, "
		    "@domain, @.domain or *, with * wildcards in either part" },
		{ "u@x>:deny", "empty destination pattern" },
		{ "u@x>a@b@c:deny", "two '@' in destination pattern" },
		{ "u@x>@.*.y:deny", "@.domain takes no '*' (write @*.domain)" },
		{ "u@x>a@y..z:deny", "empty label in the domain of a destination "
		    "pattern" },
		{ "u@x>a>b@y:deny", "bad character in destination pattern" },
		{ "u,x>@y:deny", "bad character in name" },
		{ "[::1>@y:deny", "missing ']'" },
		{ "1.2.3.4/33>@y:deny", "bad CIDR prefix length" },
	};
	struct rulekey k;
	struct rule r;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		ck_assert_msg(parse(bad[i].line, &k, &r, &err) == RULE_ERR,
		    "%s: accepted", bad[i].line);
		ck_assert_msg(err != NULL && strcmp(err, bad[i].err) == 0,
		    "%s: %s", bad[i].line, err ? err : "(null)");
	}
}
END_TEST

/* ------------------------------------------------------------ the CDB */

struct run {
	int	rc;
	char	msgs[8192];
};

/* compile() of text into td_dir/l.cdb; the messages. */
static struct run
run(const char *text)
{
	struct run r;
	FILE *in, *err;
	size_t n;
	char c[256];

	ck_assert_ptr_nonnull(in = fmemopen((void *)(uintptr_t)text,
	    strlen(text), "r"));
	ck_assert_ptr_nonnull(err = tmpfile());
	strlcpy(c, td_path("l.cdb"), sizeof(c));
	r.rc = compile(in, c, td_path("l.tmp"), fileno(err));
	rewind(err);
	n = fread(r.msgs, 1, sizeof(r.msgs) - 1, err);
	r.msgs[n] = '\0';
	fclose(err);
	fclose(in);
	return r;
}

static struct lookup lk;

static void
openl(const char *text)
{
	struct run r = run(text);

	ck_assert_msg(r.rc == COMPILE_OK, "%d: %s", r.rc, r.msgs);
	ck_assert_int_eq(lookup_open(&lk, td_path("l.cdb")), 0);
}

/* The decision for the client who (an auth user, or an IP when it has
 * no '@' and starts with a digit) and rcpt: "LINE action", "default"
 * (a set, no match), "none" (no set). */
static const char *
decide(const char *who, const char *rcpt)
{
	static char out[64];
	struct ident id;
	struct dest d;
	const char *err;
	int ip = who[0] >= '0' && who[0] <= '9' && strchr(who, '@') == NULL;

	ck_assert_int_eq(ident_fromenv(&id, ip ? NULL : who, ip ? who :
	    "192.0.2.1", &err), 0);
	ck_assert_int_ge(dest_lookup(&lk, &id, rcpt, strlen(rcpt), &d, NULL,
	    NULL), 0);
	ident_free(&id);
	if (!d.set)
		return "none";
	if (d.line == 0)
		return "default";
	snprintf(out, sizeof(out), "%lu %s%s", d.line,
	    d.action == DEST_DENY ? "deny" : "allow", d.dryrun ? " dryrun" :
	    "");
	return out;
}

START_TEST(cdb_precedence)
{
	openl(":100\n"
	    "u@example.com>@partner.org:allow\n"		/* 2 */
	    "@example.com>*:deny\n"				/* 3 */
	    ">@spam.example:deny\n"				/* 4 */
	    "10.0.0.0/8>@corp.example:allow\n"			/* 5 */
	    "10.1.0.0/16>*:deny\n"				/* 6 */
	    "10.1.2.3>x@y.z:deny\n");				/* 7 */
	ck_assert_uint_eq(lk.features & LOOKUP_FDEST, LOOKUP_FDEST);
	/* the user's own set: its default, not the domain's or everyone's */
	ck_assert_str_eq(decide("U@Example.com", "a@partner.org"), "2 allow");
	ck_assert_str_eq(decide("u@example.com", "a@other.org"), "default");
	ck_assert_str_eq(decide("u@example.com", "a@spam.example"), "default");
	ck_assert_str_eq(decide("v@example.com", "a@partner.org"), "3 deny");
	ck_assert_str_eq(decide("w@other.org", "a@spam.example"), "4 deny");
	ck_assert_str_eq(decide("w@other.org", "a@partner.org"), "default");
	ck_assert_str_eq(decide("10.9.9.9", "a@corp.example"), "5 allow");
	ck_assert_str_eq(decide("10.1.9.9", "a@corp.example"), "6 deny");
	ck_assert_str_eq(decide("10.1.2.3", "a@corp.example"), "default");
	ck_assert_str_eq(decide("10.1.2.3", "X@Y.Z"), "7 deny");
	ck_assert_str_eq(decide("192.0.2.9", "a@spam.example."), "4 deny");
	lookup_close(&lk);
}
END_TEST

START_TEST(cdb_first_match)
{
	openl("u@x.org>joe@example.com:deny\n"		/* 1 */
	    "u@x.org>@.example.com:allow\n"			/* 2 */
	    "u@x.org>*@b.example.com:deny:dryrun\n"		/* 3 */
	    "u@x.org>@c.b.example.com:deny\n"		/* 4 */
	    "u@x.org>@.d.example.com:deny\n"		/* 5 */
	    "u@x.org>info-*@*:deny:text=\"no {client}\"\n"	/* 6 */
	    "u@x.org>*:deny\n");				/* 7 */
	ck_assert_str_eq(decide("u@x.org", "joe@example.com"), "1 deny");
	ck_assert_str_eq(decide("u@x.org", "JOE@a.example.com"), "2 allow");
	ck_assert_str_eq(decide("u@x.org", "a@c.b.example.com"), "2 allow");
	ck_assert_str_eq(decide("u@x.org", "a@d.example.com"), "2 allow");
	ck_assert_str_eq(decide("u@x.org", "info-x@other.org"), "6 deny");
	ck_assert_str_eq(decide("u@x.org", "a@other.org"), "7 deny");
	ck_assert_str_eq(decide("u@x.org", "no-at-sign"), "7 deny");
	lookup_close(&lk);
	openl("u@x.org>*@b.example.com:deny:dryrun\n"		/* 1 */
	    "u@x.org>@.example.com:allow\n");			/* 2 */
	ck_assert_str_eq(decide("u@x.org", "a@b.example.com"), "1 deny dryrun");
	ck_assert_str_eq(decide("u@x.org", "a@c.example.com"), "2 allow");
	lookup_close(&lk);
}
END_TEST

START_TEST(cdb_text_and_trace)
{
	struct ident id;
	struct dest d;
	const char *err;

	openl("u@x.org>@y.org:deny:text=\"go away, {client}\"\n");
	ck_assert_int_eq(ident_fromenv(&id, "u@x.org", NULL, &err), 0);
	ck_assert_int_eq(dest_lookup(&lk, &id, "a@y.org", 7, &d, NULL, NULL),
	    1);
	ck_assert_str_eq(d.text, "go away, {client}");
	ck_assert_str_eq(d.setkey, "u@x.org");
	ck_assert_uint_eq(d.setline, 1);
	ident_free(&id);
	lookup_close(&lk);
}
END_TEST

/* without destination rules: format 1, no feature, no "=" key probed */
START_TEST(cdb_format)
{
	struct run r;

	openl(":100\n>abuse@x.org\n");
	ck_assert_uint_eq(lk.features & LOOKUP_FDEST, 0);
	ck_assert_str_eq(decide("u@x.org", "a@b.c"), "none");
	lookup_close(&lk);
	r = run(">@x.org:deny\n");
	ck_assert_int_eq(r.rc, COMPILE_OK);
	ck_assert_str_eq(r.msgs, "");
}
END_TEST

START_TEST(compile_warnings)
{
	struct run r;

	r = run("@s.example>@.s.example:allow\n"		/* 1 */
	    "@s.example>a@b.s.example:deny\n"			/* 2 */
	    "@s.example>@s.example:deny\n"			/* 3 */
	    "@s.example>*@x.org:allow\n"			/* 4 */
	    "@s.example>j@x.org:deny\n"				/* 5 */
	    "@s.example>*:deny\n"				/* 6 */
	    "@s.example>late@y.org:allow\n"			/* 7 */
	    "@s.example>*@x.org:allow\n"			/* 8 */
	    "u@s.example>*:deny\n"				/* 9 */
	    "u@s.example>@q.org:deny\n"				/* 10 */
	    "u@s.example>@q.org:allow\n");			/* 11 */
	ck_assert_int_eq(r.rc, COMPILE_OK);
	ck_assert_str_eq(r.msgs,
	    "cdbmake-limits: warning: line 2: a@b.s.example never matches: "
	    "line 1 comes first in the destination set of @s.example\n"
	    "cdbmake-limits: warning: line 3: @s.example never matches: "
	    "line 1 comes first in the destination set of @s.example\n"
	    "cdbmake-limits: warning: line 5: j@x.org never matches: "
	    "line 4 comes first in the destination set of @s.example\n"
	    "cdbmake-limits: warning: line 7: late@y.org never matches: "
	    "line 6 comes first in the destination set of @s.example\n"
	    "cdbmake-limits: warning: line 8: *@x.org never matches: "
	    "line 6 comes first in the destination set of @s.example\n"
	    "cdbmake-limits: warning: line 10: @q.org never matches: "
	    "line 9 comes first in the destination set of u@s.example\n"
	    "cdbmake-limits: warning: line 11: @q.org never matches: "
	    "line 9 comes first in the destination set of u@s.example\n"
	    "cdbmake-limits: warning: line 9: the destination set of "
	    "u@s.example allows nothing: only exempt destinations (> lines) "
	    "stay reachable\n");
	/* a repeated key: the first line wins */
	openl("u@x.org>@q.org:deny\nu@x.org>@q.org:allow\n");
	ck_assert_str_eq(decide("u@x.org", "a@q.org"), "1 deny");
	lookup_close(&lk);
}
END_TEST

START_TEST(compile_wildcard_cap)
{
	char *text, line[64];
	size_t o = 0;
	struct run r;
	int i;

	ck_assert_ptr_nonnull(text = malloc(100 * 64));
	for (i = 1; i <= DEST_WILDMAX + 1; i++) {
		snprintf(line, sizeof(line), "u@x.org>a%d*@x.org:deny\n", i);
		o += strlcpy(text + o, line, 100 * 64 - o);
	}
	o += strlcpy(text + o, "u@x.org>*:allow\n", 100 * 64 - o);
	r = run(text);
	ck_assert_int_eq(r.rc, COMPILE_BAD);
	ck_assert_ptr_nonnull(strstr(r.msgs, "cdbmake-limits: line 65: more "
	    "than 64 patterns with '*' in the destination set of u@x.org"));
	ck_assert_int_eq(td_exists("l.cdb"), 0);
	/* 64 are fine, and many keyed patterns besides */
	text[0] = '\0';
	o = 0;
	for (i = 1; i <= DEST_WILDMAX; i++) {
		snprintf(line, sizeof(line), "u@x.org>a%d*@x.org:deny\n", i);
		o += strlcpy(text + o, line, 100 * 64 - o);
	}
	r = run(text);
	ck_assert_msg(r.rc == COMPILE_OK, "%s", r.msgs);
	free(text);
}
END_TEST

/* A value the compiler never writes: the failure policy's error. */
START_TEST(cdb_corrupt)
{
	static const char *const bad[] = { "", "x", "0 deny", "1 maybe",
		"1 allow dryrun", "1 deny text=4", "1 deny text=0a",
		"1 deny dryrun dryrun", "1 deny  dryrun", "99999999999 deny" };
	struct cdb_make cm;
	struct ident id;
	struct dest d;
	const char *err;
	size_t i;
	int fd;

	ck_assert_int_eq(ident_fromenv(&id, "u@x.org", NULL, &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_ge(fd = open(td_path("l.cdb"), O_WRONLY | O_CREAT |
		    O_TRUNC, 0644), 0);
		ck_assert_int_eq(cdb_make_start(&cm, fd), 0);
		cdb_make_add(&cm, "/format", 7, "2", 1);
		cdb_make_add(&cm, "/features", 9, "dest", 4);
		cdb_make_add(&cm, "=u@x.org", 8, "1 1 d", 5);
		cdb_make_add(&cm, "=#1@y.org", 9, bad[i], (unsigned)strlen(bad[i]));
		ck_assert_int_eq(cdb_make_finish(&cm), 0);
		close(fd);
		ck_assert_int_eq(lookup_open(&lk, td_path("l.cdb")), 0);
		errno = 0;
		ck_assert_msg(dest_lookup(&lk, &id, "a@y.org", 7, &d, NULL,
		    NULL) == -1 && errno == EPROTO, "value '%s'", bad[i]);
		lookup_close(&lk);
	}
	/* format 2 without the feature, and 1 with it: not ours */
	ck_assert_int_ge(fd = open(td_path("l.cdb"), O_WRONLY | O_CREAT |
	    O_TRUNC, 0644), 0);
	ck_assert_int_eq(cdb_make_start(&cm, fd), 0);
	cdb_make_add(&cm, "/format", 7, "2", 1);
	ck_assert_int_eq(cdb_make_finish(&cm), 0);
	close(fd);
	ck_assert_int_eq(lookup_open(&lk, td_path("l.cdb")), -1);
	ck_assert_int_eq(errno, EPROTO);
	ck_assert_int_ge(fd = open(td_path("l.cdb"), O_WRONLY | O_CREAT |
	    O_TRUNC, 0644), 0);
	ck_assert_int_eq(cdb_make_start(&cm, fd), 0);
	cdb_make_add(&cm, "/format", 7, "1", 1);
	cdb_make_add(&cm, "/features", 9, "exempt dest", 11);
	ck_assert_int_eq(cdb_make_finish(&cm), 0);
	close(fd);
	ck_assert_int_eq(lookup_open(&lk, td_path("l.cdb")), -1);
	ck_assert_int_eq(errno, EPROTO);
	ident_free(&id);
}
END_TEST

/* ------------------------------------------------------------ model */

static const char *const locals[] = { "", "a", "ab", "A", "*", "a*", "*b",
	"x-y", "*a*" };
static const char *const domains[] = { "x.com", "y.x.com", "X.COM", "com",
	"*.com", "*", "x.*", ".x.com", ".com", "z.y.x.com", ".y.x.com" };
static const char *const rlocals[] = { "a", "ab", "AB", "b", "x-y", "",
	"\"a@b\"", "a%b" };
static const char *const rdomains[] = { "x.com", "y.x.com", "Z.Y.X.COM",
	"com", "x.com.", "x.org", "", "xx.com", "q.y.x.com" };

/* A random pattern that dest_pattern takes, into buf. */
static void
randpat(char *buf, size_t sz)
{
	const char *err;

	do {
		if (random() % 12 == 0)
			strlcpy(buf, "*", sz);
		else
			snprintf(buf, sz, "%s@%s", locals[random() % 9],
			    domains[random() % 11]);
	} while (dest_pattern(buf, strlen(buf), &err) < 0);
}

static void
randrcpt(char *buf, size_t sz)
{
	if (random() % 10 == 0)
		strlcpy(buf, rlocals[random() % 8], sz);
	else
		snprintf(buf, sz, "%s@%s", rlocals[random() % 8],
		    rdomains[random() % 9]);
}

/* The keyed lookup decides as the plain matcher tried on the set's
 * patterns in line order: 300 random sets, 40 recipients each. */
START_TEST(model_first_match)
{
	char pats[12][64], text[12 * 80], rcpt[64], want[64];
	int np, i, j, t, act[12];
	size_t o;

	srandom(4711);
	for (t = 0; t < 300; t++) {
		np = 1 + (int)(random() % 12);
		for (i = 0, o = 0; i < np; i++) {
			randpat(pats[i], sizeof(pats[i]));
			act[i] = (int)(random() % 2);
			o += (size_t)snprintf(text + o, sizeof(text) - o,
			    "u@t.example>%s:%s\n", pats[i], act[i] ? "deny" :
			    "allow");
		}
		openl(text);
		for (j = 0; j < 40; j++) {
			randrcpt(rcpt, sizeof(rcpt));
			strlcpy(want, "default", sizeof(want));
			for (i = 0; i < np; i++)
				if (m(pats[i], rcpt)) {
					snprintf(want, sizeof(want), "%d %s",
					    i + 1, act[i] ? "deny" : "allow");
					break;
				}
			ck_assert_msg(strcmp(decide("u@t.example", rcpt),
			    want) == 0, "set:\n%srecipient %s: %s, model %s",
			    text, rcpt, decide("u@t.example", rcpt), want);
		}
		lookup_close(&lk);
	}
}
END_TEST

Suite *
dest_suite(void)
{
	Suite *s = suite_create("dest");
	TCase *tc = tcase_create("matcher");

	tcase_add_test(tc, match_exact);
	tcase_add_test(tc, match_domains);
	tcase_add_test(tc, match_wildcards);
	tcase_add_test(tc, match_hostile);
	tcase_add_test(tc, pattern_kinds);
	tcase_add_test(tc, grammar_lines);
	tcase_add_test(tc, grammar_errors);
	suite_add_tcase(s, tc);
	tc = td_tcase("cdb", 60, mkdir_tc);
	tcase_add_test(tc, cdb_precedence);
	tcase_add_test(tc, cdb_first_match);
	tcase_add_test(tc, cdb_text_and_trace);
	tcase_add_test(tc, cdb_format);
	tcase_add_test(tc, compile_warnings);
	tcase_add_test(tc, compile_wildcard_cap);
	tcase_add_test(tc, cdb_corrupt);
	tcase_add_test(tc, model_first_match);
	suite_add_tcase(s, tc);
	return s;
}
