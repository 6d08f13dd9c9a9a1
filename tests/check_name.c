/* check_name.c: unit tests of src/name.[ch] (DESIGN.md "Client identity"). */
#include <sys/types.h>
#include <sys/socket.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

Suite	*name_suite(void);

/* A cheap check for hot loops: ck_assert marks a point per call. */
#define CHECK(c, ...) do { if (!(c)) ck_abort_msg(__VA_ARGS__); } while (0)

/* Printable form of len bytes for failure messages (static buffer). */
static const char *
show(const char *s, size_t len)
{
	static char buf[4 * 512 + 8];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len && o + 5 < sizeof(buf); i++) {
		c = (unsigned char)s[i];
		if (c >= 0x21 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* ---- normalisation ---- */

static void
norm(const char *in, const char *want)
{
	char buf[256];
	size_t len = strlen(in);

	memcpy(buf, in, len + 1);
	name_normuser(buf, len);
	ck_assert_str_eq(buf, want);
}

START_TEST(normuser_case_and_separators)
{
	norm("User@Example.COM", "user@example.com");
	norm("User%Example.COM", "user@example.com");
	norm("user/example.com", "user@example.com");
	norm("user@example.com", "user@example.com");
	norm("ABCXYZ", "abcxyz");
	norm("nosep", "nosep");
	norm("", "");
	/* only the first of @ % / becomes @; later ones stay */
	norm("a%b@c/d", "a@b@c/d");
	norm("a/b/c", "a@b/c");
	norm("a@b%c", "a@b%c");
	norm("a%b%c", "a@b%c");
	norm("@x", "@x");
	norm("%X", "@x");
	norm("/", "@");
	norm("%%//@@", "@%//@@");
	/* only ASCII letters change */
	norm("\xc3\x84Q[`{~", "\xc3\x84q[`{~");
}
END_TEST

START_TEST(normuser_len_bounded)
{
	char buf[16] = "ABC%DEF";
	char nul[5] = { 'A', '\0', 'B', '%', 'C' };

	name_normuser(buf, 3);
	ck_assert_str_eq(buf, "abc%DEF");
	name_normuser(nul, sizeof(nul));	/* NUL is just a byte */
	ck_assert_mem_eq(nul, "a\0b@c", 5);
}
END_TEST

/* ---- IP parsing ---- */

static void
ipok(const char *in, int family, const char *want)
{
	struct ipaddr ip;
	char buf[64];

	ck_assert_msg(name_parseip(in, &ip) == 0, "rejected %s", in);
	ck_assert_int_eq(ip.family, family);
	name_fmtip(&ip, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

static void
ipbad(const char *in)
{
	struct ipaddr ip;

	ck_assert_msg(name_parseip(in, &ip) == -1, "accepted %s",
	    show(in, strlen(in) > 200 ? 200 : strlen(in)));
}

START_TEST(parseip_ipv4)
{
	struct ipaddr ip;

	ipok("1.2.3.4", AF_INET, "1.2.3.4");
	ipok("0.0.0.0", AF_INET, "0.0.0.0");
	ipok("255.255.255.255", AF_INET, "255.255.255.255");
	ipok("192.168.1.10", AF_INET, "192.168.1.10");
	ck_assert_int_eq(name_parseip("10.20.30.40", &ip), 0);
	ck_assert_mem_eq(ip.a, "\x0a\x14\x1e\x28", 4);
}
END_TEST

START_TEST(parseip_ipv6_canonical)
{
	ipok("2001:db8::1", AF_INET6, "2001:db8::1");
	ipok("2001:DB8::1", AF_INET6, "2001:db8::1");
	ipok("2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6, "2001:db8::1");
	ipok("2001:DB8:0:0:1:0:0:1", AF_INET6, "2001:db8::1:0:0:1");
	ipok("FE80:0:0:0:0:0:0:ABCD", AF_INET6, "fe80::abcd");
	ipok("::", AF_INET6, "::");
	ipok("::1", AF_INET6, "::1");
	ipok("0:0:0:0:0:0:0:1", AF_INET6, "::1");
	ipok("1:0:0:1:0:0:0:1", AF_INET6, "1:0:0:1::1");
	ipok("2001:db8:1:2:3:4:5:6", AF_INET6, "2001:db8:1:2:3:4:5:6");
}
END_TEST

START_TEST(parseip_v4mapped)
{
	struct ipaddr ip;

	ipok("::ffff:1.2.3.4", AF_INET, "1.2.3.4");
	ipok("::FFFF:10.0.0.1", AF_INET, "10.0.0.1");
	ipok("0:0:0:0:0:ffff:c0a8:0101", AF_INET, "192.168.1.1");
	ipok("0000:0000:0000:0000:0000:ffff:255.255.255.255", AF_INET,
	    "255.255.255.255");
	ck_assert_int_eq(name_parseip("::ffff:1.2.3.4", &ip), 0);
	ck_assert_mem_eq(ip.a, "\1\2\3\4", 4);
	/* not mapped: stays IPv6 */
	ck_assert_int_eq(name_parseip("::fffe:1.2.3.4", &ip), 0);
	ck_assert_int_eq(ip.family, AF_INET6);
}
END_TEST

START_TEST(parseip_rejects)
{
	char *big;
	size_t n = 100 * 1024;

	ipbad("1.2.3.256");
	ipbad("1.2.3");
	ipbad("1.2.3.4.5");
	ipbad("1.2.3.");
	ipbad("");
	ipbad("garbage");
	ipbad("localhost");
	ipbad(" 1.2.3.4");
	ipbad("1.2.3.4 ");
	ipbad("1.2.3.4\n");
	ipbad("-1.2.3.4");
	ipbad("1.2.3.4/32");
	ipbad("fe80::1%eth0");
	ipbad("fe80::1%1");
	ipbad("[2001:db8::1]");
	ipbad("2001:db8::1::2");
	ipbad("2001:db8:::1");
	ipbad("12345::1");
	ipbad("g::1");
	ipbad("::ffff:1.2.3.256");
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '1', n);
	big[n] = '\0';
	ipbad(big);
	memcpy(big, "1.2.3.4", 7);		/* an IP followed by 100 KB */
	ipbad(big);
	memset(big, ':', n);
	ipbad(big);
	memset(big, 'a', n);
	ipbad(big);
	free(big);
}
END_TEST

START_TEST(fmtip_small_buffer)
{
	struct ipaddr ip;
	char buf[4] = "zzz";

	ck_assert_int_eq(name_parseip("1.2.3.4", &ip), 0);
	name_fmtip(&ip, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- mask and network text ---- */

static void
net(const char *in, int plen, const char *want)
{
	struct ipaddr ip;
	char buf[80];

	ck_assert_int_eq(name_parseip(in, &ip), 0);
	name_mask(&ip, plen);
	name_fmtnet(&ip, plen, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
}

START_TEST(mask_and_fmtnet)
{
	net("10.1.2.3", 8, "10.0.0.0/8");
	net("10.1.2.3", 16, "10.1.0.0/16");
	net("10.1.2.3", 24, "10.1.2.0/24");
	net("10.1.2.3", 32, "10.1.2.3/32");
	net("10.1.2.3", 0, "0.0.0.0/0");
	net("192.168.1.255", 25, "192.168.1.128/25");
	net("192.168.1.255", 31, "192.168.1.254/31");
	net("255.255.255.255", 1, "128.0.0.0/1");
	net("255.255.255.255", 12, "255.240.0.0/12");
	net("2001:db8:1234:5678::1", 48, "2001:db8:1234::/48");
	net("2001:db8:1234:5678::1", 32, "2001:db8::/32");
	net("2001:db8:1234:5678::1", 64, "2001:db8:1234:5678::/64");
	net("2001:db8:1234:5678::1", 0, "::/0");
	net("2001:db8:1234:5678::1", 128, "2001:db8:1234:5678::1/128");
	net("2001:db8:1234:5678::3", 127, "2001:db8:1234:5678::2/127");
	net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65,
	    "ffff:ffff:ffff:ffff:8000::/65");
	net("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::/1");
}
END_TEST

START_TEST(mask_every_length)
{
	struct ipaddr ip, m;
	int plen, i, bits;

	ck_assert_int_eq(name_parseip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &ip), 0);
	for (plen = 0; plen <= 128; plen++) {
		m = ip;
		name_mask(&m, plen);
		for (i = 0; i < 128; i++) {
			bits = m.a[i / 8] >> (7 - i % 8) & 1;
			ck_assert_msg(bits == (i < plen), "plen %d bit %d", plen, i);
		}
	}
	ck_assert_int_eq(name_parseip("255.255.255.255", &ip), 0);
	for (plen = 0; plen <= 32; plen++) {
		m = ip;
		name_mask(&m, plen);
		for (i = 0; i < 32; i++) {
			bits = m.a[i / 8] >> (7 - i % 8) & 1;
			ck_assert_msg(bits == (i < plen), "plen %d bit %d", plen, i);
		}
		for (i = 4; i < 16; i++)
			ck_assert_int_eq(m.a[i], 0);
	}
}
END_TEST

/* ---- encoding ---- */

static void
enc(enum name_kind kind, const char *in, const char *want)
{
	char out[NAME_ENCMAX + 1];

	name_encode(kind, in, strlen(in), out);
	ck_assert_str_eq(out, want);
}

START_TEST(encode_examples)
{
	enc(NAME_USER, "user@example.com", "user@example.com");
	enc(NAME_USER, "a-b_c+d:e.f", "a-b_c+d:e.f");
	enc(NAME_USER, "User", "%55ser");
	enc(NAME_USER, "a b", "a%20b");
	enc(NAME_USER, "a/b", "a%2fb");
	enc(NAME_USER, "a%b", "a%25b");
	enc(NAME_USER, "~x", "%7ex");
	enc(NAME_USER, "\xff", "%ff");
	enc(NAME_USER, ".", "%2e");
	enc(NAME_USER, "..", "%2e.");
	enc(NAME_USER, ".hidden", "%2ehidden");
	enc(NAME_USER, "@example.com", "%40example.com");
	enc(NAME_USER, ":x", "%3ax");
	/* an auth user that looks like an IP is never the IP client */
	enc(NAME_USER, "1.2.3.4", "%31.2.3.4");
	enc(NAME_USER, "2001:db8::1", "%32001:db8::1");
	enc(NAME_USER, "::1", "%3a:1");
	enc(NAME_IP, "1.2.3.4", "1.2.3.4");
	enc(NAME_IP, "2001:db8::1", "2001:db8::1");
	enc(NAME_IP, "::", "::");
	/* the empty name */
	enc(NAME_USER, "", "%");
	/* not IP literals: nothing escaped */
	enc(NAME_USER, "1.2.3.4.5", "1.2.3.4.5");
	enc(NAME_USER, "1.2.3.4@x", "1.2.3.4@x");
}
END_TEST

static int
ishashed(const char *e)
{
	size_t i;

	if (e[0] != '~' || strlen(e) != 65)
		return 0;
	for (i = 1; i < 65; i++)
		if (!((e[i] >= '0' && e[i] <= '9') || (e[i] >= 'a' && e[i] <= 'f')))
			return 0;
	return 1;
}

START_TEST(encode_long_names_hashed)
{
	char in[1024], out[NAME_ENCMAX + 1], out2[NAME_ENCMAX + 1];

	/* at most 253 bytes: 2 left for the side file's "#x" */
	memset(in, 'a', sizeof(in));
	name_encode(NAME_USER, in, 253, out);		/* exactly fits */
	ck_assert_uint_eq(strlen(out), 253);
	ck_assert_int_eq(out[0], 'a');
	name_encode(NAME_USER, in, 254, out);
	ck_assert_msg(ishashed(out), "254 bytes: %s", out);
	name_encode(NAME_USER, in, 1024, out2);
	ck_assert_msg(ishashed(out2), "1024 bytes: %s", out2);
	ck_assert_str_ne(out, out2);

	memset(in, 1, sizeof(in));			/* 3 bytes each */
	name_encode(NAME_USER, in, 84, out);
	ck_assert_uint_eq(strlen(out), 252);
	name_encode(NAME_USER, in, 85, out);
	ck_assert(ishashed(out));

	in[0] = '.';				/* escaped first byte: 3 + 250 */
	memset(in + 1, 'b', 300);
	name_encode(NAME_USER, in, 251, out);
	ck_assert_uint_eq(strlen(out), 253);
	ck_assert_mem_eq(out, "%2ebbb", 6);
	name_encode(NAME_USER, in, 252, out);
	ck_assert(ishashed(out));

	/* user and IP kinds of the same long bytes differ */
	memset(in, 'c', 300);
	name_encode(NAME_USER, in, 300, out);
	name_encode(NAME_IP, in, 300, out2);
	ck_assert(ishashed(out) && ishashed(out2));
	ck_assert_str_ne(out, out2);
	/* deterministic */
	name_encode(NAME_USER, in, 300, out2);
	ck_assert_str_eq(out, out2);
	/* hashed names decode to themselves */
	ck_assert_int_eq(name_decode(out, out2, sizeof(out2)), 65);
	ck_assert_str_eq(out, out2);
	ck_assert_int_eq(name_decode(out, out2, 65), -1);
}
END_TEST

/* ---- the generated set ---- */

typedef void (*visit)(enum name_kind, const char *, size_t, void *);

static void
randip(char *buf, size_t bufsz, int v6)
{
	struct ipaddr ip;
	int i;

	memset(&ip, 0, sizeof(ip));
	ip.family = v6 ? AF_INET6 : AF_INET;
	for (i = 0; i < (v6 ? 16 : 4); i++)
		ip.a[i] = (unsigned char)rnd();
	if (v6) {
		for (i = 0; i < 16; i += 2)	/* zero runs: "::" forms */
			if (rnd() % 3 == 0)
				ip.a[i] = ip.a[i + 1] = 0;
		if (rnd() % 5 == 0)
			memset(ip.a, 0, 12);	/* "::a.b.c.d" forms */
		if (ip.a[10] == 0xff && ip.a[11] == 0xff)
			ip.a[10] = 0;		/* not a mapped one */
	}
	name_fmtip(&ip, buf, bufsz);
}

/* Every name of the test set, with its kind. */
static void
generate(visit fn, void *arg)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789"
	    ".-_@:+%/~ ABZ\x01\x7f\x80\xff";
	char s[512], ip[64];
	int a, b, i, j, len;

	fn(NAME_USER, "", 0, arg);
	for (a = 1; a < 256; a++) {		/* every 1- and 2-byte name */
		s[0] = (char)a;
		fn(NAME_USER, s, 1, arg);
		for (b = 1; b < 256; b++) {
			s[1] = (char)b;
			fn(NAME_USER, s, 2, arg);
		}
	}
	rng = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 20000; i++) {		/* random names */
		len = 3 + (int)(rnd() % 40);
		for (j = 0; j < len; j++)
			s[j] = i % 2 ? alpha[rnd() % (sizeof(alpha) - 1)] :
			    (char)(1 + rnd() % 255);
		fn(NAME_USER, s, (size_t)len, arg);
	}
	for (i = 0; i < 300; i++) {		/* long names: hashed */
		len = 200 + (int)(rnd() % 300);
		for (j = 0; j < len; j++)
			s[j] = alpha[rnd() % (sizeof(alpha) - 1)];
		fn(NAME_USER, s, (size_t)len, arg);
		s[len - 1] ^= 1;
		fn(NAME_USER, s, (size_t)len, arg);
	}
	for (i = 0; i < 3000; i++) {		/* IPs: both kinds */
		randip(ip, sizeof(ip), i % 2);
		fn(NAME_IP, ip, strlen(ip), arg);
		fn(NAME_USER, ip, strlen(ip), arg);
	}
	for (i = 0; i < 6; i++) {
		static const char *fixed[] = { "1.2.3.4", "::", "::1",
		    "0.0.0.0", "2001:db8::1", "255.255.255.255" };
		fn(NAME_IP, fixed[i], strlen(fixed[i]), arg);
		fn(NAME_USER, fixed[i], strlen(fixed[i]), arg);
	}
}

static void
props(enum name_kind kind, const char *s, size_t len, void *arg)
{
	char out[NAME_ENCMAX + 1 + 16], dec[NAME_ENCMAX + 1];
	size_t n;
	long dn;

	(void)arg;
	memset(out, 0x5a, sizeof(out));
	name_encode(kind, s, len, out);
	n = strnlen(out, sizeof(out));
	CHECK(n < sizeof(out) - 16, "not terminated in bounds: %s",
	    show(s, len));
	CHECK(n > 0, "empty encoding of %s", show(s, len));
	CHECK(n <= NAME_ENCMAX, "encoding of %s too long: %zu", show(s, len), n);
	CHECK(strcmp(out, ".") != 0 && strcmp(out, "..") != 0,
	    "encoding of %s is %s", show(s, len), out);
	CHECK(out[0] != '.', "encoding of %s starts with '.': %s",
	    show(s, len), out);
	CHECK(strchr(out, '/') == NULL, "encoding of %s has '/': %s",
	    show(s, len), out);
	CHECK(name_isclient(out) == 1, "name_isclient(%s) is 0 (from %s)",
	    out, show(s, len));
	if (out[0] == '~') {
		CHECK(ishashed(out), "bad hashed name %s", out);
		CHECK(len * 1 > 80, "short name %s hashed", show(s, len));
		return;
	}
	if (kind == NAME_USER)
		CHECK(out[0] != '@', "user %s encodes like a domain key: %s",
		    show(s, len), out);
	dn = name_decode(out, dec, sizeof(dec));
	CHECK(dn == (long)len && memcmp(dec, s, len) == 0,
	    "decode(encode(%s)) = %ld bytes", show(s, len), dn);
}

START_TEST(encode_properties)
{
	generate(props, NULL);
}
END_TEST

struct set {
	char	**v;
	size_t	n, cap;
};

static void
collect(enum name_kind kind, const char *s, size_t len, void *arg)
{
	struct set *st = arg;
	char out[NAME_ENCMAX + 1];
	char *e;

	name_encode(kind, s, len, out);
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 1 << 16;
		st->v = realloc(st->v, st->cap * sizeof(*st->v));
		CHECK(st->v != NULL, "out of memory");
	}
	/* kind and bytes kept after the name, for the message */
	e = malloc(strlen(out) + 1 + 1 + len + 1);
	CHECK(e != NULL, "out of memory");
	strcpy(e, out);
	e[strlen(out) + 1] = kind == NAME_USER ? 'u' : 'i';
	memcpy(e + strlen(out) + 2, s, len);
	e[strlen(out) + 2 + len] = '\0';	/* names hold no NUL */
	st->v[st->n++] = e;
}

static int
bystr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(encode_injective)
{
	struct set st = { NULL, 0, 0 };
	const char *x, *y;
	size_t i;

	generate(collect, &st);
	ck_assert_uint_gt(st.n, 65025 + 20000);
	qsort(st.v, st.n, sizeof(*st.v), bystr);
	for (i = 1; i < st.n; i++) {
		if (strcmp(st.v[i - 1], st.v[i]) != 0)
			continue;
		x = st.v[i - 1] + strlen(st.v[i - 1]) + 1;
		y = st.v[i] + strlen(st.v[i]) + 1;
		/* the generator repeats a few names: same kind and bytes */
		CHECK(strcmp(x, y) == 0, "%s encodes both %c:%s and %c:%s",
		    st.v[i], x[0], show(x + 1, strlen(x + 1)), y[0], y + 1);
	}
	for (i = 0; i < st.n; i++)
		free(st.v[i]);
	free(st.v);
}
END_TEST

START_TEST(encode_user_vs_ip)
{
	static const char *ips[] = { "1.2.3.4", "10.0.0.1", "::1", "::",
	    "2001:db8::1", "fe80::abcd", "::1.2.3.4", "0.0.0.0" };
	char u[NAME_ENCMAX + 1], i4[NAME_ENCMAX + 1];
	size_t i;

	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		name_encode(NAME_USER, ips[i], strlen(ips[i]), u);
		name_encode(NAME_IP, ips[i], strlen(ips[i]), i4);
		ck_assert_str_eq(i4, ips[i]);
		ck_assert_msg(strcmp(u, i4) != 0, "user %s = IP %s", ips[i], i4);
		ck_assert_int_eq(name_isclient(u), 1);
		ck_assert_int_eq(name_isclient(i4), 1);
	}
}
END_TEST

/* ---- decoding and name_isclient ---- */

START_TEST(decode_examples)
{
	char out[NAME_ENCMAX + 1];

	ck_assert_int_eq(name_decode("a%20b", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "a b");
	ck_assert_int_eq(name_decode("%", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(name_decode("%31.2.3.4", out, sizeof(out)), 7);
	ck_assert_str_eq(out, "1.2.3.4");
	ck_assert_int_eq(name_decode("abc", out, 4), 3);
	ck_assert_int_eq(name_decode("abc", out, 3), -1);	/* too small */
	ck_assert_int_eq(name_decode("%4", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("%zz", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("%4A", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("A", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("a/b", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("a b", out, sizeof(out)), -1);
	ck_assert_int_eq(name_decode("ab%", out, sizeof(out)), -1);
}
END_TEST

START_TEST(isclient_rejects)
{
	static const char *bad[] = {
		".", "..", ".cmp.123", ".hidden", "A", "%4", "%zz", "%61",
		"%2E", "%2e%2e", "", "a/b", "a b", "~", "~abc",
		"@example.com", "::ffff:1.2.3.4", "2001:DB8::1", "2001:0db8::1",
		"%7", "%%", "a%", "user%40x",
		"~0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
		"~0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF",
		"~0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(name_isclient(bad[i]) == 0, "name_isclient(%s) = 1",
		    bad[i]);
}
END_TEST

START_TEST(isclient_accepts)
{
	static const char *good[] = {
		"user@example.com", "%31.2.3.4", "1.2.3.4", "::1", "::",
		"2001:db8::1", "%2e.", "%2ehidden", "%40example.com", "a%20b",
		"%55ser", "%3ax", "%",
		"~0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(name_isclient(good[i]) == 1, "name_isclient(%s) = 0",
		    good[i]);
}
END_TEST

START_TEST(isclient_long_input)
{
	char *big = malloc(100 * 1024 + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 100 * 1024);
	big[100 * 1024] = '\0';
	ck_assert_int_eq(name_isclient(big), 0);
	big[0] = '~';
	ck_assert_int_eq(name_isclient(big), 0);
	free(big);
}
END_TEST

/* ---- domain keys ---- */

static void
dom(const char *in, int rc, const char *want)
{
	char out[NAME_ENCMAX + 2];

	ck_assert_int_eq(name_domainkey(in, strlen(in), out), rc);
	if (rc == 0)
		ck_assert_str_eq(out, want);
}

START_TEST(domainkey)
{
	char in[600], out[NAME_ENCMAX + 2];

	dom("user@example.com", 0, "@example.com");
	dom("info@x.com", 0, "@x.com");
	dom("a@b@c", 0, "@b@c");
	dom("a@b/c", 0, "@b%2fc");
	dom("x@ex ample", 0, "@ex%20ample");
	dom("@example.com", 0, "@example.com");
	dom("user", -1, NULL);
	dom("user@", -1, NULL);
	dom("", -1, NULL);
	dom("@", -1, NULL);
	/* a domain key is never a client name */
	ck_assert_int_eq(name_isclient("@example.com"), 0);
	/* the same domain gives the same key whatever the user */
	memset(in, 'd', sizeof(in));
	memcpy(in, "u@", 2);
	ck_assert_int_eq(name_domainkey(in, sizeof(in), out), 0);
	ck_assert_int_eq(out[0], '@');
	ck_assert_msg(ishashed(out + 1), "long domain key %s", out);
	ck_assert_uint_le(strlen(out), NAME_ENCMAX);
	{
		char out2[NAME_ENCMAX + 2];

		memcpy(in, "v@", 2);
		ck_assert_int_eq(name_domainkey(in, sizeof(in), out2), 0);
		ck_assert_str_eq(out, out2);
	}
	/* exactly NAME_ENCMAX bytes: "@" + 254 */
	memset(in, 'e', sizeof(in));
	memcpy(in, "u@", 2);
	ck_assert_int_eq(name_domainkey(in, 2 + 254, out), 0);
	ck_assert_uint_eq(strlen(out), 255);
	ck_assert_int_eq(name_domainkey(in, 2 + 255, out), 0);
	ck_assert_msg(ishashed(out + 1), "%s", out);
}
END_TEST

Suite *
name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc;

	tc = tcase_create("normalise");
	tcase_add_test(tc, normuser_case_and_separators);
	tcase_add_test(tc, normuser_len_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, parseip_ipv4);
	tcase_add_test(tc, parseip_ipv6_canonical);
	tcase_add_test(tc, parseip_v4mapped);
	tcase_add_test(tc, parseip_rejects);
	tcase_add_test(tc, fmtip_small_buffer);
	tcase_add_test(tc, mask_and_fmtnet);
	tcase_add_test(tc, mask_every_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, encode_examples);
	tcase_add_test(tc, encode_long_names_hashed);
	tcase_add_test(tc, encode_properties);
	tcase_add_test(tc, encode_injective);
	tcase_add_test(tc, encode_user_vs_ip);
	tcase_add_test(tc, decode_examples);
	tcase_add_test(tc, isclient_rejects);
	tcase_add_test(tc, isclient_accepts);
	tcase_add_test(tc, isclient_long_input);
	tcase_add_test(tc, domainkey);
	suite_add_tcase(s, tc);
	return s;
}
