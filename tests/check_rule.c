/* check_rule.c: unit tests of src/rule.[ch] (DESIGN.md "Control file"). */
#include <sys/types.h>
#include <sys/socket.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

Suite	*rule_suite(void);

struct parsed {
	int		rc;
	struct rulekey	k;
	struct rule	r;
	const char	*err;
};

static struct parsed
parsen(const char *line, size_t len)
{
	struct parsed p;

	memset(&p, 0x5a, sizeof(p));
	p.err = NULL;
	p.rc = rule_parseline(line, len, 42, &p.k, &p.r, &p.err);
	return p;
}

static struct parsed
parse(const char *line)
{
	return parsen(line, strlen(line));
}

/* line parses to key/family/plen with the windows "N/P,N,..." in want. */
static void
ok(const char *line, const char *key, int family, int plen, const char *want)
{
	struct parsed p = parse(line);
	char v[RULE_VALMAX], w[RULE_VALMAX];

	ck_assert_msg(p.rc == RULE_OK, "\"%s\": rc %d (%s)", line, p.rc,
	    p.rc == RULE_ERR && p.err ? p.err : "-");
	ck_assert_msg(strcmp(p.k.key, key) == 0, "\"%s\": key \"%s\", want \"%s\"",
	    line, p.k.key, key);
	ck_assert_msg(p.k.family == family, "\"%s\": family %d, want %d", line,
	    p.k.family, family);
	ck_assert_msg(p.k.plen == plen, "\"%s\": plen %d, want %d", line,
	    p.k.plen, plen);
	ck_assert_uint_eq(p.r.line, 42);
	rule_fmtvalue(&p.r, v, sizeof(v));
	snprintf(w, sizeof(w), "42 %s", want);
	ck_assert_msg(strcmp(v, w) == 0, "\"%s\": value \"%s\", want \"%s\"",
	    line, v, w);
}

/* line is an error whose message contains what. */
static void
errn(const char *line, size_t len, const char *what)
{
	struct parsed p = parsen(line, len);

	ck_assert_msg(p.rc == RULE_ERR, "\"%.80s\": rc %d, want an error (%s)",
	    line, p.rc, what);
	ck_assert_msg(p.err != NULL, "\"%.80s\": no message", line);
	ck_assert_msg(strstr(p.err, what) != NULL,
	    "\"%.80s\": message \"%s\", want \"%s\"", line, p.err, what);
}

static void
err(const char *line, const char *what)
{
	errn(line, strlen(line), what);
}

static void
empty(const char *line)
{
	struct parsed p = parse(line);

	ck_assert_msg(p.rc == RULE_EMPTY, "\"%s\": rc %d (%s)", line, p.rc,
	    p.rc == RULE_ERR && p.err ? p.err : "-");
}

/* ---- valid lines ---- */

START_TEST(classic_forms)
{
	ok(":1000", "", 0, -1, "1000");
	ok(":0", "", 0, -1, "0");
	ok("1.2.3.4:3000", "1.2.3.4", AF_INET, -1, "3000");
	ok("test@example.com:0", "test@example.com", 0, -1, "0");
	ok("test@example.com:1000", "test@example.com", 0, -1, "1000");
	ok("x:1000000000", "x", 0, -1, "1000000000");
	ok("x:007", "x", 0, -1, "7");
}
END_TEST

START_TEST(blank_and_comments)
{
	empty("");
	empty(" ");
	empty("\t \t");
	empty("\r");
	empty(" \t\r");
	empty("#");
	empty("# a comment: with 1.2.3.4:5");
	empty("   # indented comment");
	empty("\t#x:1");
	ok("x:5 # a comment", "x", 0, -1, "5");
	ok("x:5\t#c:opt", "x", 0, -1, "5");
	ok("x : 5 #", "x", 0, -1, "5");
	ok("x:5 #\r", "x", 0, -1, "5");
	/* '#' not after white space is part of the text */
	ok("a#b:5", "a%23b", 0, -1, "5");
	err("x:5#c", "not a number");
}
END_TEST

START_TEST(white_space_and_crlf)
{
	ok(" test @ example.com\t:\t0 ", "test@example.com", 0, -1, "0");
	ok("\t1 . 2 . 3 . 4 : 3 000", "1.2.3.4", AF_INET, -1, "3000");
	ok("x:1 0 0 / 1 h , 5", "x", 0, -1, "100/3600,5");
	ok("x:5\r", "x", 0, -1, "5");
	ok(":1000\r", "", 0, -1, "1000");
	ok(" [ 2001:db8:: ] / 48 : 100 / 1h\r", "2001:db8::/48", AF_INET6, 48,
	    "100/3600");
	err("x:5\r\r", "control character");
	err("x\r:5", "control character");
}
END_TEST

START_TEST(user_keys_normalised)
{
	ok("User%Example.COM:5", "user@example.com", 0, -1, "5");
	ok("user/Example.com:5", "user@example.com", 0, -1, "5");
	ok("USER@EXAMPLE.COM:5", "user@example.com", 0, -1, "5");
	ok("a%b%c:5", "a@b%25c", 0, -1, "5");
	ok("@Example.ORG:5", "@example.org", 0, -1, "5");
	ok("@example.com:200/1d", "@example.com", 0, -1, "200/86400");
	ok(".hidden@x:5", "%2ehidden@x", 0, -1, "5");
	ok("1.2.3.4@x.com:5", "1.2.3.4@x.com", 0, -1, "5");
	ok("nodomain:5", "nodomain", 0, -1, "5");
	ok("a+b_c-d@e:5", "a+b_c-d@e", 0, -1, "5");
}
END_TEST

START_TEST(long_user_hashed)
{
	char line[600];
	struct parsed p;

	memset(line, 'u', 300);
	strcpy(line + 300, "@x.com:5");
	p = parse(line);
	ck_assert_int_eq(p.rc, RULE_OK);
	ck_assert_int_eq(p.k.key[0], '~');
	ck_assert_uint_eq(strlen(p.k.key), 65);
}
END_TEST

START_TEST(ip_prefixes)
{
	ok("192.168.1.:100/1h", "192.168.1.0/24", AF_INET, 24, "100/3600");
	ok("192.168.:5", "192.168.0.0/16", AF_INET, 16, "5");
	ok("10.:5", "10.0.0.0/8", AF_INET, 8, "5");
	ok("10.0.0.0/8:100/1h,1000/1d", "10.0.0.0/8", AF_INET, 8,
	    "100/3600,1000/86400");
	ok("10.1.0.0/16:5", "10.1.0.0/16", AF_INET, 16, "5");
	ok("192.168.1.128/25:5", "192.168.1.128/25", AF_INET, 25, "5");
	ok("0.0.0.0/0:5", "0.0.0.0/0", AF_INET, 0, "5");
	/* /32 is the exact key */
	ok("1.2.3.4/32:5", "1.2.3.4", AF_INET, -1, "5");
	ok("[2001:db8::]/48:100/1h", "2001:db8::/48", AF_INET6, 48, "100/3600");
	ok("[2001:db8::/48]:100/1h", "2001:db8::/48", AF_INET6, 48, "100/3600");
	ok("[2001:DB8:0:0::]/32:5", "2001:db8::/32", AF_INET6, 32, "5");
	ok("[::]/0:5", "::/0", AF_INET6, 0, "5");
	ok("[2001:db8::5]:50", "2001:db8::5", AF_INET6, -1, "50");
	ok("[2001:DB8:0::5]:50", "2001:db8::5", AF_INET6, -1, "50");
	ok("[2001:db8::5]/128:50", "2001:db8::5", AF_INET6, -1, "50");
	ok("[2001:db8::5/128]:50", "2001:db8::5", AF_INET6, -1, "50");
	/* an IPv4-mapped exact address is the IPv4 client */
	ok("[::ffff:1.2.3.4]:5", "1.2.3.4", AF_INET, -1, "5");
}
END_TEST

START_TEST(windows_every_unit)
{
	ok("x:1/45s,2/90m,3/2h,4/2d,5/1w,6/100", "x", 0, -1,
	    "1/45,2/5400,3/7200,4/172800,5/604800,6/100");
	ok("x:5/1s", "x", 0, -1, "5/1");
	ok("x:5/1m", "x", 0, -1, "5/60");
	ok("x:5/1h", "x", 0, -1, "5/3600");
	ok("x:5/1d", "x", 0, -1, "5/86400");
	ok("x:5/1w", "x", 0, -1, "5/604800");
	ok("x:5/366d", "x", 0, -1, "5/31622400");
	ok("x:5/31622400", "x", 0, -1, "5/31622400");
	ok("x:5/52w", "x", 0, -1, "5/31449600");
	ok("x:5/527040m", "x", 0, -1, "5/31622400");
	ok("x:5/8784h", "x", 0, -1, "5/31622400");
}
END_TEST

START_TEST(several_windows)
{
	ok("x:100/1h,1000/1d", "x", 0, -1, "100/3600,1000/86400");
	ok("x:100/1h,1000/1d,5000", "x", 0, -1, "100/3600,1000/86400,5000");
	ok("x:5000,100/1h", "x", 0, -1, "5000,100/3600");
	ok("x:1,2/1s,3/2s,4/3s,5/4s,6/5s,7/6s,8/7s", "x", 0, -1,
	    "1,2/1,3/2,4/3,5/4,6/5,7/6,8/7");
	/* 0 items are dropped, and do not count toward the 8 */
	ok("x:0,1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s", "x", 0, -1,
	    "1/1,2/2,3/3,4/4,5/5,6/6,7/7,8/8");
}
END_TEST

START_TEST(zero_items_dropped)
{
	ok("x:0", "x", 0, -1, "0");
	ok("x:0/1h", "x", 0, -1, "0");
	ok("x:0,5/1h", "x", 0, -1, "5/3600");
	ok("x:5,0/1d,7/1h", "x", 0, -1, "5,7/3600");
	ok("x:0/1h,0/1d,0", "x", 0, -1, "0");
	ok(":0/1s", "", 0, -1, "0");
}
END_TEST

/* ---- errors ---- */

START_TEST(bad_limits)
{
	err("x:abc", "not a number");
	err("x:5x", "not a number");
	err("x:+5", "not a number");
	err("x:-5", "negative");
	err("x:1000000001", "too large");
	err("x:99999999999999999999999", "too large");
	err("x:", "missing limit");
	err("x:5,", "not a number");		/* trailing comma */
	err("x:,5", "not a number");
	err("x:5,,6/1h", "not a number");
	err("x:/1h", "not a number");
	err(":", "missing limit");
}
END_TEST

START_TEST(bad_periods)
{
	err("x:5/1y", "unit");
	err("x:5/1H", "unit");
	err("x:5/h1", "period");
	err("x:5/", "period");
	err("x:5/0", "zero");
	err("x:5/0h", "zero");
	err("x:5/0s,6/1h", "zero");
	err("x:5/367d", "366d");
	err("x:5/31622401", "366d");
	err("x:5/53w", "366d");
	err("x:5/8785h", "366d");
	err("x:5/99999999999999999999d", "366d");
	err("x:5/-1h", "period");
	err("x:5/1h/2", "period");
}
END_TEST

START_TEST(duplicate_periods)
{
	err("x:5/1h,6/60m", "twice");
	err("x:5/1h,6/3600", "twice");
	err("x:5/1d,6/24h", "twice");
	err("x:5/7d,6/1w", "twice");
	err("x:5,6", "twice");
	err("x:5,6/1h,7", "twice");
	err("x:5/1h,0/1h", "twice");
}
END_TEST

/* DESIGN.md: "one PERIOD at most once" -- whatever the order. */
START_TEST(duplicate_period_after_zero)
{
	err("x:0/1h,5/1h", "twice");
	err("x:0,5", "twice");
}
END_TEST

START_TEST(too_many_limits)
{
	err("x:1,2/1s,3/2s,4/3s,5/4s,6/5s,7/6s,8/7s,9/8s", "too many");
	err("x:1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s,9/9s", "too many");
}
END_TEST

START_TEST(bad_ips)
{
	err("1.2.3.256:5", "bad IPv4");
	err("1.2.3:5", "bad IPv4");
	err("1.2.3.4.5:5", "bad IPv4");
	err("999.1.1.1:5", "bad IPv4");
	err("1.2.3.4.:5", "prefix");
	err("1.2.256.:5", "prefix");
	err(".:5", "prefix");
	err("1..:5", "prefix");
	err("10.0.0.1/8:5", "host bits");
	err("192.168.1.1/24:5", "host bits");
	err("[2001:db8::1]/48:5", "host bits");
	err("[2001:db8::/48]/48:5", "CIDR");
	err("10.0.0.0/33:5", "prefix length");
	err("10.0.0.0/:5", "prefix length");
	err("10.0.0.0/x:5", "prefix length");
	err("10.0.0.0/-1:5", "prefix length");
	err("[2001:db8::]/129:5", "prefix length");
	err("1.2.3.999/8:5", "CIDR");
	err("[1.2.3.4]:5", "IPv6");
	err("[10.0.0.0/8]:5", "IPv6");
	err("[2001:db8::g]:5", "bad IPv6");
	err("[fe80::1%eth0]:5", "bad IPv6");
	err("[2001:db8::1:5", "]");
	err("[::ffff:1.2.3.0]/24:5", "IPv4");
}
END_TEST

/*
 * A long tcprules-style prefix ("111...1.") must be rejected without
 * writing past any buffer (run under ASan to see an overflow).
 */
START_TEST(long_prefix_no_overflow)
{
	char line[128];
	size_t len, i;
	int dots, d;

	for (len = 40; len < 100; len++)
		for (dots = 1; dots <= 3; dots++) {
			memset(line, '1', len);
			for (d = 0; d < dots; d++)	/* "11...1.1.1." */
				line[len - 1 - 2 * (size_t)d] = '.';
			strcpy(line + len, ":5");
			for (i = 0; i < len; i++)
				ck_assert(line[i] == '1' || line[i] == '.');
			err(line, "IP");
		}
}
END_TEST

START_TEST(unbracketed_ipv6)
{
	err("2001:db8::1:100", "IPv6 addresses go in brackets");
	err("2001:db8::1:100", "[2001:db8::1]:100");
	err("2001:db8::/48:100", "brackets");
	err("::1:5", "brackets");
	err("fe80::1:5", "brackets");
	err("FE80::1:5", "brackets");
}
END_TEST

START_TEST(missing_colon)
{
	err("user@example.com", "missing ':'");
	err("user@example.com 5", "missing ':'");
	err("1.2.3.4", "missing ':'");
	err("[2001:db8::1]", "missing ':'");
	err("[2001:db8::1]5", "missing ':'");
}
END_TEST

START_TEST(nul_and_control)
{
	errn("x:5\0", 4, "NUL");
	errn("x\0:5", 4, "NUL");
	errn("\0", 1, "NUL");
	err("x:5\x01", "control");
	err("x\x1b:5", "control");
	err("x\x7f:5", "control");
	err("x:5\n", "control");
	err("x\v:5", "control");
	err("x\f:5", "control");
	/* a comment hides them */
	ok("x:5 #\x01\x7f", "x", 0, -1, "5");
}
END_TEST

START_TEST(bad_names)
{
	err("@:5", "empty domain");
	err("user@:5", "empty domain");
	err("user%:5", "empty domain");
	err("user/:5", "empty domain");
	err("@exa/mple:5", "bad character");
	err("@a@b:5", "bad character");
	err("@a%b:5", "bad character");
	err("user\"x@y:5", "missing closing");
	err("user\"x\"@y:5", "bad character");
	err("us,er@y:5", "bad character");
	err("a/b/c:5", "bad character");
	err("us(er)@y:5", "bad character");
}
END_TEST

START_TEST(trailing_option)
{
	err("x:5:foo", "option");
	err("x:5/1h:foo", "option");
	err("user@example.com:5:", "option");
	err("user@example.com:5/1h,10:x=1", "option");
	err("[2001:db8::1]:5:foo", "option");
	err("[2001:db8::]/48:5:foo", "option");
}
END_TEST

/*
 * The reason names the real problem: an option after the limit of the
 * default rule (or of a user whose name is all hex digits) is not an
 * unbracketed IPv6 address.
 */
START_TEST(option_message_not_ipv6_hint)
{
	err(":5:x", "option");
	err(":100/1h:notify=x", "option");
	err("cafe:5:foo", "option");
}
END_TEST

START_TEST(line_length)
{
	static char line[8192];

	memset(line, ' ', sizeof(line));
	memcpy(line, "x:5", 3);
	/* 4096 bytes (trailing blanks) is fine, 4097 is not */
	ck_assert_int_eq(parsen(line, 4096).rc, RULE_OK);
	errn(line, 4097, "too long");
	errn(line, sizeof(line), "too long");
	memset(line, 'a', sizeof(line));
	errn(line, sizeof(line), "too long");
}
END_TEST

START_TEST(lineno_recorded)
{
	struct rulekey k;
	struct rule r;
	const char *e = NULL;

	ck_assert_int_eq(rule_parseline("x:5", 3, 123456, &k, &r, &e), RULE_OK);
	ck_assert_uint_eq(r.line, 123456);
	ck_assert_int_eq(r.nwin, 1);
	ck_assert_uint_eq(r.win[0].limit, 5);
	ck_assert_uint_eq(r.win[0].period, 0);
}
END_TEST

/* ---- CDB values ---- */

static void
roundtrip(const struct rule *r)
{
	char v[RULE_VALMAX];
	struct rule back;
	int i;

	rule_fmtvalue(r, v, sizeof(v));
	ck_assert_msg(rule_parsevalue(v, strlen(v), &back) == 0, "\"%s\"", v);
	ck_assert_uint_eq(back.line, r->line);
	ck_assert_int_eq(back.nwin, r->nwin);
	for (i = 0; i < r->nwin; i++) {
		ck_assert_uint_eq(back.win[i].limit, r->win[i].limit);
		ck_assert_uint_eq(back.win[i].period, r->win[i].period);
	}
}

START_TEST(value_format)
{
	struct rule r;
	char v[RULE_VALMAX];

	memset(&r, 0, sizeof(r));
	r.line = 12;
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_str_eq(v, "12 0");
	r.nwin = 3;
	r.win[0].limit = 100;
	r.win[0].period = 3600;
	r.win[1].limit = 1000;
	r.win[1].period = 86400;
	r.win[2].limit = 500;
	r.win[2].period = 0;
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_str_eq(v, "12 100/3600,1000/86400,500");
}
END_TEST

START_TEST(value_roundtrip)
{
	struct rule r;
	uint32_t s = 12345;
	int i, n;

	memset(&r, 0, sizeof(r));
	roundtrip(&r);
	r.line = 4294967295UL;
	roundtrip(&r);
	for (n = 1; n <= RULE_MAXWIN; n++) {
		r.nwin = n;
		for (i = 0; i < n; i++) {
			s = s * 1103515245u + 12345u;
			r.win[i].limit = 1 + s % RULE_MAXLIMIT;
			r.win[i].period = i == 0 ? 0 : 1 + (s >> 3) % RULE_MAXPERIOD;
		}
		r.line = s % 100000;
		roundtrip(&r);
		r.win[0].limit = RULE_MAXLIMIT;
		r.win[n - 1].period = RULE_MAXPERIOD;
		r.line = 4294967295UL;
		roundtrip(&r);
	}
	/* every valid control line round-trips through its value */
	{
		static const char *lines[] = { ":1000", "x:0", "x:5/1h,6/1d,7",
		    "x:1,2/1s,3/2s,4/3s,5/4s,6/5s,7/6s,8/7s", "x:1000000000/366d" };
		struct rulekey k;
		const char *e;

		for (i = 0; i < (int)(sizeof(lines) / sizeof(lines[0])); i++) {
			ck_assert_int_eq(rule_parseline(lines[i], strlen(lines[i]),
			    99, &k, &r, &e), RULE_OK);
			roundtrip(&r);
		}
	}
}
END_TEST

static void
badvalue(const char *v)
{
	struct rule r;

	ck_assert_msg(rule_parsevalue(v, strlen(v), &r) == -1,
	    "value \"%s\" accepted", v);
}

START_TEST(value_malformed)
{
	struct rule r;

	badvalue("");
	badvalue("12");
	badvalue("12 ");
	badvalue(" 12 5");
	badvalue("x 5");
	badvalue("-1 5");
	badvalue("12 x");
	badvalue("12 -5");
	badvalue("12  5");
	badvalue("12 5 ");
	badvalue("12 5/0");
	badvalue("12 5/");
	badvalue("12 5/x");
	badvalue("12 5/1h");
	badvalue("12 5,");
	badvalue("12 ,5");
	badvalue("12 5,,6");
	badvalue("12 0,5");
	badvalue("12 00");
	badvalue("12 5 opt=1");
	badvalue("12\t5");
	badvalue("12 1,2/1,3/2,4/3,5/4,6/5,7/6,8/7,9/8");	/* 9 windows */
	badvalue("12 1000000001");			/* limit overflow */
	badvalue("12 99999999999999999999999");
	badvalue("12 5/31622401");			/* period overflow */
	badvalue("12 5/99999999999999999999");
	badvalue("4294967296 5");			/* line overflow */
	badvalue("99999999999999999999999 5");
	/* the length is honoured: no reading past it */
	ck_assert_int_eq(rule_parsevalue("12 5,6", 4, &r), 0);
	ck_assert_int_eq(r.nwin, 1);
	ck_assert_int_eq(rule_parsevalue("12 5,6", 5, &r), -1);
	ck_assert_int_eq(rule_parsevalue("12 0junk", 4, &r), 0);
	ck_assert_int_eq(r.nwin, 0);
	/* the largest values are fine */
	ck_assert_int_eq(rule_parsevalue("4294967295 1000000000/31622400",
	    30, &r), 0);
	ck_assert_uint_eq(r.line, 4294967295UL);
	ck_assert_uint_eq(r.win[0].limit, RULE_MAXLIMIT);
	ck_assert_uint_eq(r.win[0].period, RULE_MAXPERIOD);
}
END_TEST

/* ---- periods ---- */

static void
per(uint32_t secs, const char *want)
{
	char buf[32], line[64];
	struct rulekey k;
	struct rule r;
	const char *e;

	rule_fmtperiod(secs, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	if (secs == 0)
		return;
	/* what it prints is what the control file reads */
	snprintf(line, sizeof(line), "x:5/%s", buf);
	ck_assert_int_eq(rule_parseline(line, strlen(line), 1, &k, &r, &e),
	    RULE_OK);
	ck_assert_uint_eq(r.win[0].period, secs);
}

START_TEST(fmtperiod)
{
	uint32_t s;

	per(0, "");
	per(1, "1s");
	per(45, "45s");
	per(59, "59s");
	per(60, "1m");
	per(90, "90s");
	per(5400, "90m");
	per(3600, "1h");
	per(7200, "2h");
	per(86400, "1d");
	per(86401, "86401s");
	per(90000, "25h");
	per(604800, "7d");
	per(RULE_MAXPERIOD, "366d");
	for (s = 1; s <= RULE_MAXPERIOD; s = s * 3 + 7) {
		char b[32];

		rule_fmtperiod(s, b, sizeof(b));
		per(s, b);			/* parses back to s */
	}
}
END_TEST

/* ---- compromise signals, aggregates, settings (DESIGN.md "Compromise
 * signals and aggregate limits") ---- */

static struct parsed
okp(const char *line)
{
	struct parsed p = parse(line);

	ck_assert_msg(p.rc == RULE_OK, "\"%s\": rc %d (%s)", line, p.rc,
	    p.rc == RULE_ERR && p.err ? p.err : "-");
	return p;
}

START_TEST(signal_options)
{
	struct parsed p;

	ok("x:5:msg=100", "x", 0, -1, "5 msg=100");
	ok("x:5:msg=1000000000", "x", 0, -1, "5 msg=1000000000");
	ok("x:5/1h:nets=3/1h", "x", 0, -1, "5/3600 nets=3/3600");
	ok("x:5:nets=1/1s", "x", 0, -1, "5 nets=1/1");
	ok("x:5:nets=32/366d", "x", 0, -1, "5 nets=32/31622400");
	ok("x:5:mass=3x50/1h", "x", 0, -1, "5 mass=3x50/3600");
	ok("x:5:mass=32x1000000000/366d", "x", 0, -1,
	    "5 mass=32x1000000000/31622400");
	ok("x:5:mass=1x1/90m", "x", 0, -1, "5 mass=1x1/5400");
	ok("x:5:dormant=30d,20/1d", "x", 0, -1, "5 dormant=2592000,20/86400");
	ok("x:5:dormant=1s,1/1s", "x", 0, -1, "5 dormant=1,1/1");
	ok("x:5:dormant=366d,1000000000/366d", "x", 0, -1,
	    "5 dormant=31622400,1000000000/31622400");
	ok("x:5:dormant=100,2/50", "x", 0, -1, "5 dormant=100,2/50");
	/* the design's example default line, in another order, spaced */
	ok(":1000/1d : nets=3/1h : dormant=30d,20/1d : msg=100 : mass=3x50/1h",
	    "", 0, -1, "1000/86400 msg=100 nets=3/3600 mass=3x50/3600 "
	    "dormant=2592000,20/86400");
	/* with the classic options */
	ok("x:5/1h:reply=451:msg=7:ban=2x:nets=2/1d:warn=80%:dryrun", "x", 0,
	    -1, "5/3600 reply=451 ban=2 warn=80 dryrun msg=7 nets=2/86400");
	/* nets= belongs to auth users: user, @domain and default lines */
	ok("@example.com:5:nets=3/1h", "@example.com", 0, -1,
	    "5 nets=3/3600");
	ok(":5:nets=3/1h", "", 0, -1, "5 nets=3/3600");
	/* the others also fit IP lines */
	ok("1.2.3.4:5:msg=10:mass=2x10/1h:dormant=1d,5/1h", "1.2.3.4", AF_INET,
	    -1, "5 msg=10 mass=2x10/3600 dormant=86400,5/3600");
	ok("10.0.0.0/8:5:msg=10", "10.0.0.0/8", AF_INET, 8, "5 msg=10");

	/* the fields themselves */
	p = okp("x:0:msg=9:nets=4/2h:mass=5x60/3h:dormant=7d,8/4h");
	ck_assert_int_eq(p.r.nwin, 0);
	ck_assert_uint_eq(p.r.msgmax, 9);
	ck_assert_uint_eq(p.r.nets, 4);
	ck_assert_uint_eq(p.r.netsper, 7200);
	ck_assert_uint_eq(p.r.massn, 5);
	ck_assert_uint_eq(p.r.massr, 60);
	ck_assert_uint_eq(p.r.massper, 10800);
	ck_assert_uint_eq(p.r.dormant, 7 * 86400);
	ck_assert_uint_eq(p.r.warmn, 8);
	ck_assert_uint_eq(p.r.warmper, 4 * 3600);
	ck_assert_int_eq(p.r.npool, 0);
	ck_assert_uint_eq(p.r.flags, 0);
	/* a line without them has them all off */
	p = okp("x:5/1h:ban:warn=50%");
	ck_assert_uint_eq(p.r.msgmax, 0);
	ck_assert_uint_eq(p.r.nets, 0);
	ck_assert_uint_eq(p.r.massn, 0);
	ck_assert_uint_eq(p.r.dormant, 0);
	ck_assert_int_eq(p.r.npool, 0);
}
END_TEST

START_TEST(pool_option)
{
	struct parsed p;

	ok("@example.com:500/1d:pool=5000/1d", "@example.com", 0, -1,
	    "500/86400 pool=5000/86400");
	ok("@Example.COM:500/1d:pool=5000/1d,300/1h", "@example.com", 0, -1,
	    "500/86400 pool=5000/86400,300/3600");
	ok("@x:0:pool=1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s", "@x", 0, -1,
	    "0 pool=1/1,2/2,3/3,4/4,5/5,6/6,7/7,8/8");
	p = okp("@example.com:10:pool=5000/1d,300/1h");
	ck_assert_int_eq(p.r.nwin, 1);
	ck_assert_uint_eq(p.r.win[0].limit, 10);
	ck_assert_uint_eq(p.r.win[0].period, 0);
	ck_assert_int_eq(p.r.npool, 2);
	ck_assert_uint_eq(p.r.pool[0].limit, 5000);
	ck_assert_uint_eq(p.r.pool[0].period, 86400);
	ck_assert_uint_eq(p.r.pool[1].limit, 300);
	ck_assert_uint_eq(p.r.pool[1].period, 3600);

	/* only on @domain lines */
	err("user@example.com:5:pool=50/1d", "@domain");
	err("x:5:pool=50/1d", "@domain");
	err(":5:pool=50/1d", "@domain");
	err("1.2.3.4:5:pool=50/1d", "@domain");
	err("10.0.0.0/8:5:pool=50/1d", "@domain");
	err("[2001:db8::]/48:5:pool=50/1d", "@domain");
	err("*:5/1h:pool=50/1d", "@domain");
	/* sliding windows only */
	err("@example.com:5:pool=50", "need a period");
	err("@example.com:5:pool=50/1d,100", "need a period");
	err("@example.com:5:pool=100,50/1d", "need a period");
	/* malformed */
	err("@example.com:5:pool", "pool= needs limits");
	err("@example.com:5:pool=", "missing limit");
	err("@example.com:5:pool=50/", "period");
	err("@example.com:5:pool=50/0", "zero");
	err("@example.com:5:pool=x/1d", "not a number");
	err("@example.com:5:pool=50/1d,60/24h", "twice");
	err("@example.com:5:pool=1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/8s,9/9s",
	    "too many");
}
END_TEST

START_TEST(server_line)
{
	struct parsed p;
	char v[RULE_VALMAX];

	ok("*:20000/1h", RULE_SERVERKEY, 0, -1, "20000/3600");
	ok(" * : 20000/1h , 100000/1d # the server", RULE_SERVERKEY, 0, -1,
	    "20000/3600,100000/86400");
	p = okp("*:20000/1h:reply=451:text=\"busy\":warn=80%:dryrun");
	ck_assert_str_eq(p.k.key, RULE_SERVERKEY);
	ck_assert_int_eq(p.k.family, 0);
	ck_assert_int_eq(p.k.plen, -1);
	ck_assert_uint_eq(p.r.reply, 451);
	ck_assert_str_eq(p.r.text, "busy");
	ck_assert_uint_eq(p.r.warn, 80);
	ck_assert_uint_eq(p.r.flags, RULE_DRYRUN);
	rule_fmtvalue(&p.r, v, sizeof(v));
	ck_assert_str_eq(v, "42 20000/3600 reply=451 warn=80 dryrun "
	    "text=62757379");
	/* its limits need a period */
	err("*:20000", "need a period");
	err("*:20000/1h,500", "need a period");
	err("*:500,20000/1h", "need a period");
	/* only reply=, text=, warn=, dryrun */
	err("*:20000/1h:ban", "the * line takes only");
	err("*:20000/1h:ban=2x", "the * line takes only");
	err("*:20000/1h:strict", "the * line takes only");
	err("*:20000/1h:msg=5", "the * line takes only");
	err("*:20000/1h:nets=3/1h", "the * line takes only");
	err("*:20000/1h:mass=3x50/1h", "the * line takes only");
	err("*:20000/1h:dormant=30d,20/1d", "the * line takes only");
	err("*:20000/1h:reply=451:strict", "the * line takes only");
	/* still the usual limit errors */
	err("*:", "missing limit");
	err("*:x/1h", "not a number");
}
END_TEST

/* A "!name=value" line: key, RULE_SETTING and the value. */
static void
setok(const char *line, const char *key, uint32_t want)
{
	struct parsed p = okp(line);
	char v[RULE_VALMAX], w[64];

	ck_assert_msg(strcmp(p.k.key, key) == 0, "\"%s\": key \"%s\", want \"%s\"",
	    line, p.k.key, key);
	ck_assert_int_eq(p.k.family, 0);
	ck_assert_int_eq(p.k.plen, -1);
	ck_assert_uint_eq(p.r.flags, RULE_SETTING);
	ck_assert_uint_eq(p.r.setting, want);
	ck_assert_int_eq(p.r.nwin, 0);
	ck_assert_uint_eq(p.r.line, 42);
	rule_fmtvalue(&p.r, v, sizeof(v));
	snprintf(w, sizeof(w), "42 0 set=%lu", (unsigned long)want);
	ck_assert_str_eq(v, w);
}

START_TEST(setting_lines)
{
	setok("!count6=64", RULE_COUNT6KEY, 64);
	setok("!count6=32", RULE_COUNT6KEY, 32);
	setok("!count6=128", RULE_COUNT6KEY, 128);
	setok("!nets4=24", RULE_NETS4KEY, 24);
	setok("!nets4=8", RULE_NETS4KEY, 8);
	setok("!nets4=32", RULE_NETS4KEY, 32);
	setok("!nets6=64", RULE_NETS6KEY, 64);
	setok("!nets6=16", RULE_NETS6KEY, 16);
	setok("!nets6=128", RULE_NETS6KEY, 128);
	setok(" ! count6 = 0064 # one counter per /64\r", RULE_COUNT6KEY, 64);
	/* out of range */
	err("!count6=31", "!count6= needs a prefix length from 32 to 128");
	err("!count6=129", "!count6= needs");
	err("!count6=0", "!count6= needs");
	err("!nets4=7", "!nets4= needs a prefix length from 8 to 32");
	err("!nets4=33", "!nets4= needs");
	err("!nets6=15", "!nets6= needs a prefix length from 16 to 128");
	err("!nets6=129", "!nets6= needs");
	/* malformed */
	err("!count6", "!count6= needs");
	err("!count6=", "!count6= needs");
	err("!count6=x", "!count6= needs");
	err("!count6=-64", "!count6= needs");
	err("!count6=64/1h", "!count6= needs");
	err("!nets4=24:dryrun", "!nets4= needs");
	err("!count6=99999999999999999999", "!count6= needs");
	/* unknown */
	err("!count4=24", "unknown setting");
	err("!nets=24", "unknown setting");
	err("!server=5", "unknown setting");
	err("!=5", "unknown setting");
	err("!", "unknown setting");
}
END_TEST

START_TEST(signal_errors)
{
	static const char *const nets[] = { "nets", "nets=", "nets=33/1h",
	    "nets=0/1h", "nets=3", "nets=3/", "nets=/1h", "nets=3/0",
	    "nets=3/1y", "nets=3/367d", "nets=x/1h", "nets=-3/1h",
	    "nets=99999999999999999999/1h", NULL };
	static const char *const mass[] = { "mass", "mass=", "mass=33x50/1h",
	    "mass=0x50/1h", "mass=3x0/1h", "mass=3x50", "mass=3x/1h",
	    "mass=x50/1h", "mass=50/1h", "mass=3x50/", "mass=3x50/0",
	    "mass=3/50/1h", "mass=3x1000000001/1h", NULL };
	static const char *const dormant[] = { "dormant", "dormant=",
	    "dormant=30d", "dormant=30d,20", "dormant=,20/1d",
	    "dormant=30d,/1d", "dormant=0,20/1d", "dormant=30d,0/1d",
	    "dormant=30d,20/", "dormant=30d,20/0", "dormant=367d,20/1d",
	    "dormant=30x,20/1d", "dormant=30d/20/1d", NULL };
	static const char *const msg[] = { "msg", "msg=", "msg=0", "msg=x",
	    "msg=-1", "msg=1000000001", "msg=10/1h", NULL };
	char line[128];
	int i;

	for (i = 0; nets[i] != NULL; i++) {
		snprintf(line, sizeof(line), "x:5:%s", nets[i]);
		err(line, "nets= needs networks per period from 1 to 32");
	}
	for (i = 0; mass[i] != NULL; i++) {
		snprintf(line, sizeof(line), "x:5:%s", mass[i]);
		err(line, "mass= needs");
	}
	for (i = 0; dormant[i] != NULL; i++) {
		snprintf(line, sizeof(line), "x:5:%s", dormant[i]);
		err(line, "dormant= needs");
	}
	for (i = 0; msg[i] != NULL; i++) {
		snprintf(line, sizeof(line), "x:5:%s", msg[i]);
		err(line, "msg= needs");
	}
	/* nets= on an IP line */
	err("1.2.3.4:5:nets=3/1h", "nets= counts the networks of an auth user");
	err("10.0.0.0/8:5:nets=3/1h", "nets= counts");
	err("192.168.1.:5:nets=3/1h", "nets= counts");
	err("[2001:db8::5]:5:nets=3/1h", "nets= counts");
	err("[2001:db8::]/48:5:nets=3/1h", "nets= counts");
	/* each option once */
	err("x:5:msg=1:msg=2", "option given twice");
	err("x:5:msg=1:msg=1", "option given twice");
	err("x:5:nets=1/1h:nets=2/1d", "option given twice");
	err("x:5:mass=1x2/1h:mass=2x2/1h", "option given twice");
	err("x:5:dormant=1d,2/1h:dormant=2d,2/1h", "option given twice");
	err("@x:5:pool=1/1h:pool=2/1d", "option given twice");
	err("*:5/1h:warn=50%:warn=60%", "option given twice");
	/* the unknown-option message names the new ones */
	err("x:5:netz=3/1h", "nets=");
	err("x:5:netz=3/1h", "pool=");
}
END_TEST

/* A rule and its value's parse agree in every field. */
static void
samerule(const struct rule *a, const struct rule *b, const char *v)
{
	int i;

	ck_assert_msg(a->line == b->line, "%s: line", v);
	ck_assert_msg(a->nwin == b->nwin, "%s: nwin %d/%d", v, a->nwin, b->nwin);
	for (i = 0; i < a->nwin; i++)
		ck_assert_msg(a->win[i].limit == b->win[i].limit &&
		    a->win[i].period == b->win[i].period, "%s: window %d", v, i);
	ck_assert_msg(a->flags == b->flags, "%s: flags %#x/%#x", v, a->flags,
	    b->flags);
	ck_assert_msg(a->reply == b->reply, "%s: reply", v);
	ck_assert_msg(a->ban == b->ban, "%s: ban", v);
	ck_assert_msg(a->warn == b->warn, "%s: warn", v);
	ck_assert_msg(strcmp(a->text, b->text) == 0, "%s: text", v);
	ck_assert_msg(a->msgmax == b->msgmax, "%s: msg %u/%u", v, a->msgmax,
	    b->msgmax);
	ck_assert_msg(a->nets == b->nets && a->netsper == b->netsper,
	    "%s: nets %u/%u, %u/%u", v, a->nets, a->netsper, b->nets,
	    b->netsper);
	ck_assert_msg(a->massn == b->massn && a->massr == b->massr &&
	    a->massper == b->massper, "%s: mass", v);
	ck_assert_msg(a->dormant == b->dormant && a->warmn == b->warmn &&
	    a->warmper == b->warmper, "%s: dormant", v);
	ck_assert_msg(a->npool == b->npool, "%s: npool %d/%d", v, a->npool,
	    b->npool);
	for (i = 0; i < a->npool; i++)
		ck_assert_msg(a->pool[i].limit == b->pool[i].limit &&
		    a->pool[i].period == b->pool[i].period, "%s: pool %d", v, i);
	ck_assert_msg(a->setting == b->setting, "%s: setting", v);
}

static void
roundtrip2(const struct rule *r)
{
	char v[RULE_VALMAX];
	struct rule back;

	rule_fmtvalue(r, v, sizeof(v));
	memset(&back, 0x5a, sizeof(back));
	ck_assert_msg(rule_parsevalue(v, strlen(v), &back) == 0,
	    "value \"%s\" rejected", v);
	samerule(r, &back, v);
}

START_TEST(signal_value_roundtrip)
{
	static const char *const lines[] = {
	    "x:5:msg=100",
	    "x:5/1h:nets=3/1h",
	    ":1000/1d:nets=3/1h:dormant=30d,20/1d:msg=100:mass=3x50/1h",
	    "x:1000000000/366d:nets=32/366d:mass=32x1000000000/366d:"
		"dormant=366d,1000000000/366d:msg=1000000000",
	    "x:0:mass=1x1/1s:dormant=1s,1/1s:nets=1/1s:msg=1",
	    "@example.com:500/1d:pool=5000/1d",
	    "@example.com:0:pool=5000/1d,300/1h:nets=2/1d",
	    "@x:1,2/1s:pool=1/1s,2/2s,3/3s,4/4s,5/5s,6/6s,7/7s,8/366d",
	    "x:5/1h,6/1d,7:reply=553:text=\"no {limit}\":ban=3x:warn=90%:"
		"dryrun:strict:msg=4:nets=5/6h:mass=7x8/9h:dormant=10d,11/12h",
	    "*:20000/1h",
	    "*:20000/1h,100000/1d:reply=451:text=\"busy\":warn=80%:dryrun",
	    "!count6=64", "!count6=128", "!nets4=24", "!nets4=8", "!nets6=64",
	    "!nets6=16",
	};
	struct rulekey k;
	struct rule r;
	const char *e;
	uint32_t s = 777;
	size_t i;
	int j;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		e = NULL;
		ck_assert_msg(rule_parseline(lines[i], strlen(lines[i]), 1000 + i,
		    &k, &r, &e) == RULE_OK, "%s: %s", lines[i], e ? e : "-");
		roundtrip2(&r);
	}
	/* random rules with every new field */
	for (i = 0; i < 2000; i++) {
		memset(&r, 0, sizeof(r));
#define RND(m)	((s = s * 1103515245u + 12345u), 1 + (s >> 4) % (m))
		r.line = RND(100000);
		r.nwin = (int)RND(RULE_MAXWIN) - 1;
		for (j = 0; j < r.nwin; j++) {
			r.win[j].limit = RND(RULE_MAXLIMIT);
			r.win[j].period = j == 0 ? 0 : RND(RULE_MAXPERIOD);
		}
		if (RND(2) == 1)
			r.msgmax = RND(RULE_MAXLIMIT);
		if (RND(2) == 1) {
			r.nets = RND(RULE_SIGMAX);
			r.netsper = RND(RULE_MAXPERIOD);
		}
		if (RND(2) == 1) {
			r.massn = RND(RULE_SIGMAX);
			r.massr = RND(RULE_MAXLIMIT);
			r.massper = RND(RULE_MAXPERIOD);
		}
		if (RND(2) == 1) {
			r.dormant = RND(RULE_MAXPERIOD);
			r.warmn = RND(RULE_MAXLIMIT);
			r.warmper = RND(RULE_MAXPERIOD);
		}
		r.npool = (int)RND(RULE_MAXWIN + 1) - 1;
		for (j = 0; j < r.npool; j++) {
			r.pool[j].limit = RND(RULE_MAXLIMIT);
			r.pool[j].period = RND(RULE_MAXPERIOD);
		}
		if (RND(3) == 1)
			r.flags |= RULE_DRYRUN;
		if (RND(3) == 1)
			r.ban = RND(100);
		if (RND(4) == 1)
			strcpy(r.text, "over {limit} in {period}");
#undef RND
		roundtrip2(&r);
	}
}
END_TEST

START_TEST(signal_value_format)
{
	struct rule r;
	char v[RULE_VALMAX];

	memset(&r, 0, sizeof(r));
	r.line = 7;
	r.nwin = 1;
	r.win[0].limit = 1000;
	r.win[0].period = 86400;
	r.msgmax = 100;
	r.nets = 3;
	r.netsper = 3600;
	r.massn = 3;
	r.massr = 50;
	r.massper = 3600;
	r.dormant = 2592000;
	r.warmn = 20;
	r.warmper = 86400;
	r.npool = 2;
	r.pool[0].limit = 5000;
	r.pool[0].period = 86400;
	r.pool[1].limit = 300;
	r.pool[1].period = 3600;
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_str_eq(v, "7 1000/86400 msg=100 nets=3/3600 mass=3x50/3600 "
	    "dormant=2592000,20/86400 pool=5000/86400,300/3600");
	memset(&r, 0, sizeof(r));
	r.line = 8;
	r.flags = RULE_SETTING;
	r.setting = 64;
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_str_eq(v, "8 0 set=64");
	ck_assert_int_eq(rule_parsevalue(v, strlen(v), &r), 0);
	ck_assert_uint_eq(r.flags, RULE_SETTING);
	ck_assert_uint_eq(r.setting, 64);
	ck_assert_int_eq(r.nwin, 0);
}
END_TEST

START_TEST(signal_value_malformed)
{
	struct rule r;

	/* nets= */
	badvalue("1 0 nets=0/60");
	badvalue("1 0 nets=33/60");
	badvalue("1 0 nets=3");
	badvalue("1 0 nets=3/");
	badvalue("1 0 nets=3/0");
	badvalue("1 0 nets=/60");
	badvalue("1 0 nets=3/60/5");
	badvalue("1 0 nets=3/31622401");
	badvalue("1 0 nets=3/1h");
	badvalue("1 0 nets=3/60x");
	badvalue("1 0 nets");
	/* mass= */
	badvalue("1 0 mass=2/3");
	badvalue("1 0 mass=2x3");
	badvalue("1 0 mass=0/3/60");
	badvalue("1 0 mass=33/3/60");
	badvalue("1 0 mass=2/0/60");
	badvalue("1 0 mass=2/3/0");
	badvalue("1 0 mass=2/1000000001/60");
	badvalue("1 0 mass=2/3/60/4");
	/* dormant= */
	badvalue("1 0 dormant=100/2");
	badvalue("1 0 dormant=0/2/50");
	badvalue("1 0 dormant=100/0/50");
	badvalue("1 0 dormant=100/2/0");
	badvalue("1 0 dormant=100,2");
	badvalue("1 0 dormant=31622401/2/50");
	/* msg= */
	badvalue("1 0 msg=0");
	badvalue("1 0 msg=");
	badvalue("1 0 msg=1000000001");
	badvalue("1 0 msg=5x");
	/* pool= */
	badvalue("1 0 pool=5/");
	badvalue("1 0 pool=5");
	badvalue("1 0 pool=");
	badvalue("1 0 pool=0/60");
	badvalue("1 0 pool=5/60,");
	badvalue("1 0 pool=5/60,,6/60");
	badvalue("1 0 pool=5/60;6/60");
	badvalue("1 0 pool=5/0");
	badvalue("1 0 pool=1/1,2/2,3/3,4/4,5/5,6/6,7/7,8/8,9/9");	/* 9 */
	/* set= */
	badvalue("1 0 set=0");
	badvalue("1 0 set=129");
	badvalue("1 0 set=");
	badvalue("1 0 set=x");
	/* the options' values end at a space */
	badvalue("1 0 msg=5nets=3/60");
	badvalue("1 0 msg=5  nets=3/60");
	/* but the good ones parse */
	ck_assert_int_eq(rule_parsevalue("1 0 nets=32/31622400", 20, &r), 0);
	ck_assert_uint_eq(r.nets, 32);
	ck_assert_uint_eq(r.netsper, RULE_MAXPERIOD);
	{
		static const char v8[] =
		    "1 0 pool=1/1,2/2,3/3,4/4,5/5,6/6,7/7,8/8";

		ck_assert_int_eq(rule_parsevalue(v8, strlen(v8), &r), 0);
	}
	ck_assert_int_eq(r.npool, 8);
	ck_assert_uint_eq(r.pool[7].limit, 8);
	ck_assert_uint_eq(r.pool[7].period, 8);
	ck_assert_int_eq(rule_parsevalue("1 0 set=128", 11, &r), 0);
	ck_assert_uint_eq(r.setting, 128);
	/* the length is honoured */
	ck_assert_int_eq(rule_parsevalue("1 0 nets=3/600", 13, &r), 0);
	ck_assert_uint_eq(r.netsper, 60);
	ck_assert_int_eq(rule_parsevalue("1 0 mass=2/3/60", 12, &r), -1);
}
END_TEST

/*
 * A CDB of an older cdbmake-limits spelled mass=M/R/T and dormant=D/N/P:
 * it is read as it always was (the helper would otherwise send every
 * recipient to the failure policy until the admin recompiled).
 */
START_TEST(old_spellings_read)
{
	static const char *const pairs[][2] = {
	    { "1 0 mass=3/50/3600", "1 0 mass=3x50/3600" },
	    { "1 0 dormant=2592000/20/86400", "1 0 dormant=2592000,20/86400" },
	    { "7 1000/86400 msg=100 nets=3/3600 mass=3/50/3600 "
		"dormant=2592000/20/86400 pool=5000/86400,300/3600",
	      "7 1000/86400 msg=100 nets=3/3600 mass=3x50/3600 "
		"dormant=2592000,20/86400 pool=5000/86400,300/3600" },
	    { "9 5/3600 reply=451 ban=2 mass=32/1000000000/31622400 "
		"dormant=31622400/1000000000/31622400 text=6869",
	      "9 5/3600 reply=451 ban=2 mass=32x1000000000/31622400 "
		"dormant=31622400,1000000000/31622400 text=6869" },
	};
	struct rule a, b;
	char v[RULE_VALMAX];
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_msg(rule_parsevalue(pairs[i][0], strlen(pairs[i][0]),
		    &a) == 0, "old \"%s\" rejected", pairs[i][0]);
		ck_assert_msg(rule_parsevalue(pairs[i][1], strlen(pairs[i][1]),
		    &b) == 0, "new \"%s\" rejected", pairs[i][1]);
		samerule(&a, &b, pairs[i][0]);
		/* and it is written back in today's spelling */
		rule_fmtvalue(&a, v, sizeof(v));
		ck_assert_str_eq(v, pairs[i][1]);
	}
	ck_assert_int_eq(rule_parsevalue(pairs[0][0], strlen(pairs[0][0]), &a),
	    0);
	ck_assert_uint_eq(a.massn, 3);
	ck_assert_uint_eq(a.massr, 50);
	ck_assert_uint_eq(a.massper, 3600);
	ck_assert_int_eq(rule_parsevalue(pairs[1][0], strlen(pairs[1][0]), &a),
	    0);
	ck_assert_uint_eq(a.dormant, 2592000);
	ck_assert_uint_eq(a.warmn, 20);
	ck_assert_uint_eq(a.warmper, 86400);
	/* nothing but those two has an old spelling */
	badvalue("1 0 nets=3/60/5");
	badvalue("1 0 mass=3/50");
	badvalue("1 0 mass=3/50/3600/4");
	badvalue("1 0 dormant=100/2");
}
END_TEST

/* A value reads back only as rule_fmtvalue writes it: each option once,
 * numbers without leading zeros, periods in seconds, lower-case hex. */
START_TEST(value_only_as_written)
{
	struct rule r;

	badvalue("1 0 mass=2x3/1h");			/* periods in seconds */
	badvalue("1 0 mass=2x3/60x");
	badvalue("1 0 mass=2/3x60");
	badvalue("1 0 mass=2x3x60");
	badvalue("1 0 dormant=1d,2/50");
	badvalue("1 0 dormant=100,2/1h");
	badvalue("1 0 dormant=100/2,50");
	badvalue("1 0 dormant=100,2,50");
	badvalue("1 5 ban=2x");
	badvalue("1 5 ban");
	badvalue("1 5 warn=80%");
	badvalue("1 5 reply=0451");
	badvalue("1 5 reply=499");
	badvalue("1 5 msg=0100");
	badvalue("1 5 nets=03/60");
	badvalue("1 5 dryrun=");
	badvalue("1 5 dryrun=1");
	badvalue("1 5 text=4A");
	badvalue("1 5 text=\"Hi\"");
	badvalue("1 5 reply=451 reply=452");
	badvalue("1 5 dryrun dryrun");
	badvalue("1 5 text=41 text=41");
	badvalue("1 5 pool=5/60 pool=6/3600");
	badvalue("1 5 pool=5/60,6/60");
	badvalue("1 5 pool=0/60");
	badvalue("1 5 mass=3x50/3600 mass=3/50/3600");
	badvalue("1 0 set=64 dryrun");
	badvalue("1 0 dryrun set=64");
	badvalue("1 5 set=64");
	/* a NUL byte inside an option's value, also hex-encoded */
	ck_assert_int_eq(rule_parsevalue("1 5 msg=5\0007", 11, &r), -1);
	ck_assert_int_eq(rule_parsevalue("1 5 text=41\0000", 13, &r), -1);
	ck_assert_int_eq(rule_parsevalue("1 5 text=41220041", 17, &r), -1);
	ck_assert_int_eq(rule_parsevalue("1 5 text=412241", 15, &r), 0);
	ck_assert_str_eq(r.text, "A\"A");
}
END_TEST

/* line is an error, and its message is exactly want. */
static void
errexact(const char *line, const char *want)
{
	struct parsed p = parse(line);

	ck_assert_msg(p.rc == RULE_ERR, "\"%s\": rc %d", line, p.rc);
	ck_assert_str_eq(p.err, want);
}

/* The messages that list options are made from the table: the same as
 * they always were. So are the others of options. */
START_TEST(option_messages)
{
	static const char *const star = "the * line takes only reply=, text=, "
	    "warn= and dryrun";

	errexact("x:5:bogus", "unknown option (reply=, text=, ban, warn=, "
	    "dryrun, strict, msg=, nets=, mass=, dormant=, pool=)");
	errexact("*:5/1h:strict", star);
	errexact("x:5:", "empty option");
	errexact("x:5:dryrun=1", "dryrun and strict take no value");
	errexact("x:5:strict=", "dryrun and strict take no value");
	errexact("x:5:warn", "warn= needs a percentage, e.g. warn=80%");
	errexact("x:5:warn=0", "warn= needs a percentage from 1 to 99, e.g. "
	    "warn=80%");
	errexact("x:5:warn=80x", "warn= needs a percentage from 1 to 99, e.g. "
	    "warn=80%");
	errexact("x:5:ban=0x", "ban= needs a multiple of the limit from 1 to "
	    "100, e.g. ban=2x");
	errexact("x:5:ban=2%", "ban= needs a multiple of the limit from 1 to "
	    "100, e.g. ban=2x");
	errexact("x:5:reply", "reply= needs a code: 421, 450, 451, 452, 550, "
	    "552, 553 or 554");
	errexact("x:5:reply=500", "reply= needs a code: 421, 450, 451, 452, "
	    "550, 552, 553 or 554");
	errexact("x:5:text=\"\"", "text= needs a text in double quotes");
	errexact("x:5:msg=1:msg=1", "option given twice");
	/* where an option goes: its own reason before the * line's */
	errexact("*:5/1h:pool=5/1d", "pool= belongs on an @domain line");
	errexact("*:5/1h:nets=3/1h", star);
	errexact("1.2.3.4:5:nets=3/1h", "nets= counts the networks of an auth "
	    "user, not of an IP");
	errexact("*:5", "the * line's limits need a period, e.g. *:20000/1h");
	/* pool=0/1d sets no pool: fine on any client line, as always, but
	 * the * line takes no pool= at all */
	ok("x:5:pool=0/1d", "x", 0, -1, "5");
	errexact("*:5/1h:pool=0/1d", star);
}
END_TEST

/* "overlimitctl explain" of line's rule is want. */
static void
described(const char *line, const char *want)
{
	struct parsed p = okp(line);
	char *buf = NULL;
	size_t sz = 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = open_memstream(&buf, &sz));
	rule_describe(&p.r, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(buf, want);
	free(buf);
}

/* one line per signal and for the pool, nothing for the rest */
START_TEST(describe)
{
	described("@x:0:msg=100:nets=3/1h:mass=3x50/1h:dormant=30d,20/1d:"
	    "pool=5000/1d,300/1h:reply=451:ban=2x:dryrun",
	    "per message: at most 100 recipients (452)\n"
	    "networks: refused when seen from more than 3 in any 1h\n"
	    "mass mail: banned at the 3rd message of 50 or more recipients "
	    "in any 1h\n"
	    "dormant: after 30d without a recipient, at most 20 in the first "
	    "1d back\n"
	    "domain pool: 5000 in any 1d, 300 in any 1h for all its users "
	    "together\n");
	described("x:5/1h:mass=1x2/90m:reply=451:text=\"t\":warn=5",
	    "mass mail: banned at the 1st message of 2 or more recipients in "
	    "any 90m\n");
	described("x:5/1h:mass=2x2/1h", "mass mail: banned at the 2nd message "
	    "of 2 or more recipients in any 1h\n");
	described("x:5/1h:mass=11x2/1h", "mass mail: banned at the 11th "
	    "message of 2 or more recipients in any 1h\n");
	described("x:5/1h:ban:strict:dryrun", "");
}
END_TEST

/*
 * The longest line rule_parseline accepts (every window and option at its
 * largest, a 400-character text=) fits RULE_VALMAX and keeps its text
 * (it did not when RULE_VALMAX was 1024: rule_fmtvalue dropped the text).
 */
START_TEST(long_value_keeps_text)
{
	static const char w8[] = "1000000000/366d,1000000000/365d,"
	    "1000000000/364d,1000000000/363d,1000000000/362d,1000000000/361d,"
	    "1000000000/360d,1000000000/359d";
	char line[2048], text[RULE_TEXTMAX + 1], v[RULE_VALMAX];
	struct rulekey k;
	struct rule r, back;
	const char *e = NULL;

	memset(text, 'a', RULE_TEXTMAX);
	text[RULE_TEXTMAX] = '\0';
	snprintf(line, sizeof(line), "x:%s:reply=553:ban=100x:warn=99%%:dryrun:"
	    "strict:msg=1000000000:nets=32/366d:mass=32x1000000000/366d:"
	    "dormant=366d,1000000000/366d:text=\"%s\"", w8, text);
	ck_assert_int_eq(rule_parseline(line, strlen(line), 4000000000UL, &k,
	    &r, &e), RULE_OK);
	ck_assert_uint_eq(strlen(r.text), RULE_TEXTMAX);
	rule_fmtvalue(&r, v, sizeof(v));
	ck_assert_int_eq(rule_parsevalue(v, strlen(v), &back), 0);
	/* fails: back.text is "" */
	ck_assert_str_eq(back.text, r.text);
}
END_TEST

Suite *
rule_suite(void)
{
	Suite *s = suite_create("rule");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, classic_forms);
	tcase_add_test(tc, blank_and_comments);
	tcase_add_test(tc, white_space_and_crlf);
	tcase_add_test(tc, user_keys_normalised);
	tcase_add_test(tc, long_user_hashed);
	tcase_add_test(tc, ip_prefixes);
	tcase_add_test(tc, windows_every_unit);
	tcase_add_test(tc, several_windows);
	tcase_add_test(tc, zero_items_dropped);
	tcase_add_test(tc, lineno_recorded);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bad_limits);
	tcase_add_test(tc, bad_periods);
	tcase_add_test(tc, duplicate_periods);
	tcase_add_test(tc, duplicate_period_after_zero);
	tcase_add_test(tc, too_many_limits);
	tcase_add_test(tc, bad_ips);
	tcase_add_test(tc, long_prefix_no_overflow);
	tcase_add_test(tc, unbracketed_ipv6);
	tcase_add_test(tc, missing_colon);
	tcase_add_test(tc, nul_and_control);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, trailing_option);
	tcase_add_test(tc, option_message_not_ipv6_hint);
	tcase_add_test(tc, line_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("value");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, value_format);
	tcase_add_test(tc, value_roundtrip);
	tcase_add_test(tc, value_malformed);
	tcase_add_test(tc, fmtperiod);
	suite_add_tcase(s, tc);

	tc = tcase_create("signals");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, signal_options);
	tcase_add_test(tc, pool_option);
	tcase_add_test(tc, server_line);
	tcase_add_test(tc, setting_lines);
	tcase_add_test(tc, signal_errors);
	tcase_add_test(tc, signal_value_format);
	tcase_add_test(tc, signal_value_roundtrip);
	tcase_add_test(tc, signal_value_malformed);
	tcase_add_test(tc, old_spellings_read);
	tcase_add_test(tc, value_only_as_written);
	tcase_add_test(tc, option_messages);
	tcase_add_test(tc, describe);
	suite_add_tcase(s, tc);
	tc = tcase_create("long_value");
	tcase_add_test(tc, long_value_keeps_text);
	suite_add_tcase(s, tc);
	return s;
}
