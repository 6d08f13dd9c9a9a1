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
	return s;
}
