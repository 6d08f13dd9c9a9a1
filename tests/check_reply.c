/* check_reply.c: per-rule options (control file <-> CDB value) and the
 * fd-4 reply text. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "rule.h"

Suite	*reply_suite(void);

static struct rule
line(const char *l)
{
	struct rulekey k;
	struct rule r;
	const char *err = NULL;
	int rc = rule_parseline(l, strlen(l), 7, &k, &r, &err);

	ck_assert_msg(rc == RULE_OK, "%s: %s", l, err ? err : "?");
	return r;
}

START_TEST(options_roundtrip)
{
	struct rule r = line("a@x.com : 5/1h,9 : reply=451 : "
	    "text=\"Hi {client}: 1:2 # x\" : ban=3x : warn=80% : dryrun : strict");
	struct rule back;
	char v[RULE_VALMAX];

	ck_assert_uint_eq(r.reply, 451);
	ck_assert_uint_eq(r.ban, 3);
	ck_assert_uint_eq(r.warn, 80);
	ck_assert_uint_eq(r.flags, RULE_DRYRUN | RULE_STRICT);
	ck_assert_str_eq(r.text, "Hi {client}: 1:2 # x");
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_int_eq(rule_parsevalue(v, strlen(v), &back), 0);
	ck_assert_mem_eq(&r, &back, sizeof(r));
	r = line("a@x.com:5:ban");
	ck_assert_uint_eq(r.ban, 1);
	r = line(":0:dryrun");
	ck_assert_int_eq(r.nwin, 0);
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_str_eq(v, "7 0 dryrun");
	ck_assert_int_eq(rule_parsevalue(v, strlen(v), &back), 0);
	ck_assert_uint_eq(back.flags, RULE_DRYRUN);
}
END_TEST

START_TEST(bad_values)
{
	static const char *bad[] = { "1 5 reply=399", "1 5 reply=600",
	    "1 5 ban=0", "1 5 ban=101", "1 5 warn=100", "1 5 text=", "1 5 text=4",
	    "1 5 text=0a", "1 5 text=zz", "1 5 bogus", "1 5  dryrun",
	    "1 5 dryrunx", "1 5 reply=451x", "1 exempt x", "1 exemp", NULL };
	struct rule r;
	int i;

	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(rule_parsevalue(bad[i], strlen(bad[i]), &r) < 0,
		    "accepted %s", bad[i]);
	ck_assert_int_eq(rule_parsevalue("1 exempt", 8, &r), 0);
	ck_assert_uint_eq(r.flags, RULE_EXEMPT);
}
END_TEST

START_TEST(destinations)
{
	struct rulekey k;
	struct rule r;
	const char *err;
	char key[NAME_ENCMAX + 3];

	ck_assert_int_eq(rule_parseline(">Abuse@Provider.NET", 19, 1, &k, &r,
	    &err), RULE_OK);
	ck_assert_str_eq(k.key, ">abuse@provider.net");
	ck_assert_int_eq(rule_destkey("ABUSE@provider.net", 18, 0, key), 0);
	ck_assert_str_eq(key, k.key);
	ck_assert_int_eq(rule_parseline(">@Help.Example", 14, 1, &k, &r, &err),
	    RULE_OK);
	ck_assert_str_eq(k.key, ">@help.example");
	ck_assert_int_eq(rule_destkey("x@HELP.example", 14, 1, key), 0);
	ck_assert_str_eq(key, k.key);
	ck_assert_int_eq(rule_destkey("nodomain", 8, 1, key), -1);
	ck_assert_int_eq(rule_parseline(">x", 2, 1, &k, &r, &err), RULE_ERR);
	ck_assert_int_eq(rule_parseline(">@", 2, 1, &k, &r, &err), RULE_ERR);
	ck_assert_int_eq(rule_parseline(">a@b:5", 6, 1, &k, &r, &err), RULE_ERR);
}
END_TEST

START_TEST(reply_texts)
{
	struct rule r;
	struct verdict v;
	char out[REPLY_MAX + 1];
	size_t n;

	memset(&v, 0, sizeof(v));
	r = line("a@x.com:100/1d");
	v.over = 0;
	v.why = WHY_LIMIT;
	v.ocount = 100;
	v.olimit = 100;
	v.operiod = 86400;
	v.retry = 1795356300;			/* 2026-11-22 14:05 UTC */
	n = reply_format(&r, &v, "user@example.com", out);
	ck_assert_str_eq(out, "421 4.7.0 recipient limit 100 per 1d reached "
	    "for user@example.com, retry after 2026-11-22 14:05 UTC");
	ck_assert_uint_eq(n, strlen(out));
	v.retry = 0;
	r = line("a@x.com:7:reply=552");
	v.olimit = 7;
	v.operiod = 0;
	reply_format(&r, &v, "u@x", out);
	ck_assert_str_eq(out, "552 5.7.0 recipient limit 7 reached for u@x, "
	    "retry after the next reset");
	v.banned = 1;
	reply_format(&r, &v, "u@x", out);
	ck_assert_str_eq(out, "552 5.7.0 sending blocked for u@x after too "
	    "many recipients; contact your postmaster");
	v.banned = 0;
	r = line("a@x.com:7/90m:text=\"{client} {limit}/{period} {count} "
	    "{retry} {x} {\"");
	v.ocount = 9;
	v.operiod = 5400;
	v.retry = 1795356300;
	reply_format(&r, &v, "u@x", out);
	ck_assert_str_eq(out, "421 4.7.0 u@x 7/90m 9 2026-11-22 14:05 UTC {x} {");
}
END_TEST

START_TEST(reply_bounded)
{
	char text[RULE_TEXTMAX + 20], client[600], out[REPLY_MAX + 1], l[600];
	struct rule r;
	struct verdict v;
	size_t n;

	memset(&v, 0, sizeof(v));
	memset(text, 0, sizeof(text));
	for (n = 0; n < 50; n++)
		strcat(text, "{client}");
	snprintf(l, sizeof(l), "a@x.com:1:text=\"%s\"", text);
	r = line(l);
	memset(client, 'c', sizeof(client) - 1);
	client[sizeof(client) - 1] = '\0';
	v.olimit = 1;
	n = reply_format(&r, &v, client, out);
	ck_assert_uint_eq(n, REPLY_MAX);
	ck_assert_uint_eq(strlen(out), REPLY_MAX);
	ck_assert_ptr_null(strchr(out, '\n'));
	ck_assert_ptr_null(strchr(out, '\r'));
	/* the client is cut at 200 bytes plus "..." */
	ck_assert_ptr_nonnull(strstr(out, "ccc...ccc"));
}
END_TEST

Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("reply");

	tcase_add_test(tc, options_roundtrip);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, destinations);
	tcase_add_test(tc, reply_texts);
	tcase_add_test(tc, reply_bounded);
	suite_add_tcase(s, tc);
	return s;
}
