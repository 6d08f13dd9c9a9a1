/* check_notify.c: the notification program's environment (src/notify:
 * notify_env_init, notify_env_add, notify_env_pass): NAME=value with the
 * value escaped (vis(3), decoded here with strunvis), cut at NOTIFY_VALMAX
 * bytes, bounded by NOTIFY_ENVMAX entries and NOTIFY_ENVBUF bytes, what
 * does not fit dropped and counted, never an overflow (the unit tests run
 * under ASan and valgrind too). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <vis.h>

#include "notify.h"

Suite	*notify_suite(void);

/* the entry i is "name=" + an escape of val[0..len) that decodes back to
 * val[0..min(len, NOTIFY_VALMAX)), of printable ASCII without spaces */
static void
entry(const struct notify_env *e, int i, const char *name, const char *val,
    size_t len)
{
	static char dec[4 * NOTIFY_VALMAX + 1];
	const char *v = e->var[i];
	size_t nlen = strlen(name), k;
	int n;

	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strncmp(v, name, nlen) == 0 && v[nlen] == '=',
	    "entry %d: '%s' is not %s=...", i, v, name);
	v += nlen + 1;
	for (k = 0; v[k] != '\0'; k++)
		ck_assert_msg((unsigned char)v[k] > ' ' &&
		    (unsigned char)v[k] < 0x7f, "entry %d: raw byte 0x%02x", i,
		    (unsigned char)v[k]);
	if (len > NOTIFY_VALMAX)
		len = NOTIFY_VALMAX;
	n = strunvis(dec, v);
	ck_assert_int_eq(n, (int)len);
	ck_assert_mem_eq(dec, val, len);
}

START_TEST(init_empty)
{
	static struct notify_env e;

	memset(&e, 0x55, sizeof(e));
	notify_env_init(&e);
	ck_assert_int_eq(e.n, 0);
	ck_assert_int_eq(e.dropped, 0);
	ck_assert_uint_eq(e.used, 0);
	ck_assert_ptr_null(e.var[0]);
}
END_TEST

/* the escapes of the documented facts: white space and control bytes as
 * C-style or octal escapes, a backslash doubled, 8-bit bytes in octal */
START_TEST(escaped)
{
	static struct notify_env e;
	static const char nul[] = "a\0b";

	notify_env_init(&e);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_CLIENT", "u@x.com", 7), 0);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_SENDER", "evil\nsender",
	    11), 0);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_HELO", "a b\tc\\d\r", 8),
	    0);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_RECIPIENT",
	    "caf\303\251\377", 6), 0);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_IP", "", 0), 0);
	ck_assert_int_eq(notify_env_add(&e, "OVERLIMIT_RULE", nul, 3), 0);
	ck_assert_int_eq(e.n, 6);
	ck_assert_ptr_null(e.var[6]);
	ck_assert_str_eq(e.var[0], "OVERLIMIT_CLIENT=u@x.com");
	ck_assert_str_eq(e.var[1], "OVERLIMIT_SENDER=evil\\nsender");
	ck_assert_str_eq(e.var[2], "OVERLIMIT_HELO=a\\sb\\tc\\\\d\\r");
	ck_assert_str_eq(e.var[3], "OVERLIMIT_RECIPIENT=caf\\303\\251\\377");
	ck_assert_str_eq(e.var[4], "OVERLIMIT_IP=");
	entry(&e, 5, "OVERLIMIT_RULE", nul, 3);
	ck_assert_int_eq(e.dropped, 0);
}
END_TEST

/* every byte value, alone and in random values: decodes back */
START_TEST(roundtrip)
{
	static struct notify_env e;
	char in[NOTIFY_VALMAX + 1];
	uint32_t x = 99;
	size_t i, len;
	int c, k;

	/* NUL-terminated as every value the helper passes: strvisx
	 * (libbsd) looks one byte past len */
	for (c = 0; c < 256; c++) {
		char b[2] = { (char)c, '\0' };

		notify_env_init(&e);
		ck_assert_int_eq(notify_env_add(&e, "V", b, 1), 0);
		entry(&e, 0, "V", b, 1);
	}
	for (k = 0; k < 100; k++) {
		len = (size_t)k * 7 % (NOTIFY_VALMAX + 1);
		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (char)(x >> 16);
		}
		in[len] = '\0';
		notify_env_init(&e);
		ck_assert_int_eq(notify_env_add(&e, "NOTIFY_X", in, len), 0);
		entry(&e, 0, "NOTIFY_X", in, len);
	}
}
END_TEST

/* a value is cut after NOTIFY_VALMAX bytes */
START_TEST(cut_at_valmax)
{
	static struct notify_env e;
	char in[NOTIFY_VALMAX + 50];

	memset(in, 'a', sizeof(in));
	notify_env_init(&e);
	ck_assert_int_eq(notify_env_add(&e, "V", in, sizeof(in)), 0);
	ck_assert_uint_eq(strlen(e.var[0]), 2 + NOTIFY_VALMAX);
	memset(in, '\001', sizeof(in));
	ck_assert_int_eq(notify_env_add(&e, "W", in, sizeof(in)), 0);
	ck_assert_uint_eq(strlen(e.var[1]), 2 + 4 * NOTIFY_VALMAX);
	entry(&e, 1, "W", in, sizeof(in));
}
END_TEST

/* every fact the helper passes fits, escaped at the worst (4 bytes a
 * byte): 24 values of NOTIFY_VALMAX bytes with names of up to 62 bytes */
START_TEST(worst_case_fits)
{
	static struct notify_env e;
	char in[NOTIFY_VALMAX + 1], name[80];
	int i;

	memset(in, 0xff, NOTIFY_VALMAX);
	in[NOTIFY_VALMAX] = '\0';
	notify_env_init(&e);
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "OVERLIMIT_%02d_%049d", i, 0);
		ck_assert_uint_eq(strlen(name), 62);
		ck_assert_int_eq(notify_env_add(&e, name, in, NOTIFY_VALMAX), 0);
	}
	ck_assert_int_eq(e.dropped, 0);
	ck_assert_uint_le(e.used, sizeof(e.buf));
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof(name), "OVERLIMIT_%02d_%049d", i, 0);
		entry(&e, i, name, in, NOTIFY_VALMAX);
	}
}
END_TEST

/* what no longer fits in the buffer is dropped and counted; what is in
 * it stays intact; small values still fit where a big one did not */
START_TEST(buffer_full)
{
	static struct notify_env e;
	char in[NOTIFY_VALMAX + 1];
	int i, added = 0, drops = 0;

	memset(in, '\377', NOTIFY_VALMAX);
	in[NOTIFY_VALMAX] = '\0';
	notify_env_init(&e);
	for (i = 0; i < NOTIFY_ENVMAX; i++) {
		if (notify_env_add(&e, "OVERLIMIT_X", in, NOTIFY_VALMAX) == 0)
			added++;
		else
			drops++;
		ck_assert_uint_le(e.used, sizeof(e.buf));
		ck_assert_ptr_null(e.var[e.n]);
	}
	ck_assert_int_eq(added, e.n);
	ck_assert_int_gt(drops, 0);
	ck_assert_int_eq(e.dropped, drops);
	ck_assert_int_eq(added, (int)(sizeof(e.buf) /
	    (strlen("OVERLIMIT_X=") + 1 + 4 * NOTIFY_VALMAX)));
	for (i = 0; i < e.n; i++)
		entry(&e, i, "OVERLIMIT_X", in, NOTIFY_VALMAX);
	/* a short one may still fit */
	ck_assert_int_eq(notify_env_add(&e, "S", "1", 1), 0);
	ck_assert_str_eq(e.var[e.n - 1], "S=1");
}
END_TEST

/* at most NOTIFY_ENVMAX entries, added or passed; the rest dropped and
 * counted; passed entries are the caller's, not copied */
START_TEST(entries_full)
{
	static struct notify_env e;
	static char mine[] = "NOTIFY_TO=postmaster@example.com";
	int i;

	notify_env_init(&e);
	ck_assert_int_eq(notify_env_pass(&e, mine), 0);
	ck_assert_ptr_eq(e.var[0], mine);
	for (i = 1; i < NOTIFY_ENVMAX; i++)
		ck_assert_int_eq(notify_env_add(&e, "V", "1", 1), 0);
	ck_assert_int_eq(e.n, NOTIFY_ENVMAX);
	ck_assert_int_eq(notify_env_add(&e, "V", "1", 1), -1);
	ck_assert_int_eq(notify_env_pass(&e, mine), -1);
	ck_assert_int_eq(notify_env_add(&e, "V", "", 0), -1);
	ck_assert_int_eq(e.dropped, 3);
	ck_assert_int_eq(e.n, NOTIFY_ENVMAX);
	ck_assert_ptr_null(e.var[NOTIFY_ENVMAX]);
	ck_assert_ptr_eq(e.var[0], mine);
	ck_assert_str_eq(e.var[NOTIFY_ENVMAX - 1], "V=1");
}
END_TEST

Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("env");

	tcase_add_test(tc, init_empty);
	tcase_add_test(tc, escaped);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, cut_at_valmax);
	tcase_add_test(tc, worst_case_fits);
	tcase_add_test(tc, buffer_full);
	tcase_add_test(tc, entries_full);
	suite_add_tcase(s, tc);
	return s;
}
