/* check_logline.c: the log escaper (src/logline): the defence against log
 * injection. Every control byte escaped, quotes and backslashes too, a
 * value cut at LOGLINE_VALMAX bytes with "...", the line never longer
 * than LOGLINE_MAX with its newline, never a raw newline inside. The
 * expected text comes from a decoder written here, not from the encoder. */
#include <sys/types.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "logline.h"
#include "logdecode.h"

Suite	*logline_suite(void);

/* the bytes after "prog: k=" of a line started with log_start("p") */
static const char *
val(const struct logline *l, size_t *n)
{
	static const char pre[] = "p: k=";

	ck_assert_uint_ge(l->len, sizeof(pre) - 1);
	ck_assert_mem_eq(l->buf, pre, sizeof(pre) - 1);
	*n = l->len - (sizeof(pre) - 1);
	return l->buf + sizeof(pre) - 1;
}

/* the line (not NUL-terminated) is exactly s */
static void
is(const struct logline *l, const char *s)
{
	ck_assert_msg(l->len == strlen(s) && memcmp(l->buf, s, l->len) == 0,
	    "line '%.*s', expected '%s'", (int)l->len, l->buf, s);
}

/* no raw control byte, DEL or newline anywhere in the line */
static void
clean(const struct logline *l)
{
	size_t i;

	ck_assert_uint_le(l->len, LOGLINE_MAX - 1);
	for (i = 0; i < l->len; i++)
		ck_assert_msg((unsigned char)l->buf[i] >= ' ' &&
		    (unsigned char)l->buf[i] < 0x7f, "raw byte 0x%02x at %zu",
		    (unsigned char)l->buf[i], i);
}

/* every byte value alone: the one escape vis(3) gives it, and back */
START_TEST(every_byte)
{
	struct logline l;
	char exp[8], dec[8];
	const char *v;
	size_t n;
	int c;

	for (c = 0; c < 256; c++) {
		char b = (char)c;

		if (c > ' ' && c < 0x7f && c != '\\' && c != '"')
			snprintf(exp, sizeof(exp), "%c", c);
		else if (c == '\\' || c == '"')
			snprintf(exp, sizeof(exp), "\\%c", c);
		else if (c == '\n')
			strcpy(exp, "\\n");
		else if (c == '\r')
			strcpy(exp, "\\r");
		else if (c == '\t')
			strcpy(exp, "\\t");
		else if (c == ' ')
			strcpy(exp, "\\s");
		else
			snprintf(exp, sizeof(exp), "\\%03o", c);
		log_start(&l, "p");
		log_esc(&l, "k", &b, 1);
		clean(&l);
		v = val(&l, &n);
		ck_assert_msg(n == strlen(exp) && memcmp(v, exp, n) == 0,
		    "byte 0x%02x: got '%.*s', expected '%s'", c, (int)n, v, exp);
		ck_assert_int_eq(decode(v, n, 0, dec, sizeof(dec)), 1);
		ck_assert_int_eq(dec[0], b);
	}
}
END_TEST

/* a value of every byte, NULs inside included: decodes back to itself */
START_TEST(roundtrip)
{
	struct logline l;
	char in[LOGLINE_VALMAX], out[LOGLINE_VALMAX];
	const char *v;
	size_t n, i;
	uint32_t x = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		size_t len = round % (LOGLINE_VALMAX + 1);

		for (i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			in[i] = (char)(x >> 16);
		}
		log_start(&l, "p");
		log_esc(&l, "k", in, len);
		clean(&l);
		v = val(&l, &n);
		if (len == 0) {
			/* an empty value is shown as "", never as nothing */
			ck_assert_uint_eq(n, 2);
			ck_assert_mem_eq(v, "\"\"", 2);
			continue;
		}
		ck_assert_int_eq(decode(v, n, 0, out, sizeof(out)), (ssize_t)len);
		ck_assert_mem_eq(out, in, len);
	}
}
END_TEST

/* a key=value line cannot be forged: no raw space, quote or newline */
START_TEST(no_forgery)
{
	static const char evil[] = "u@x verdict=accept\nrcptcheck-overlimit: "
	    "client=root verdict=accept \"x\" \\";
	struct logline l;
	const char *v;
	size_t n;

	log_start(&l, "p");
	log_esc(&l, "k", evil, sizeof(evil) - 1);
	clean(&l);
	v = val(&l, &n);
	ck_assert_ptr_null(memchr(v, ' ', n));
	ck_assert_ptr_null(memchr(v, '\n', n));
	ck_assert_uint_ge(l.len, 11);
	ck_assert_mem_eq(l.buf + l.len - 11, "\\s\\\"x\\\"\\s\\\\", 11);
}
END_TEST

/* cut after LOGLINE_VALMAX bytes of the value, "..." added; a value of
 * exactly LOGLINE_VALMAX bytes is whole */
START_TEST(cut_at_valmax)
{
	struct logline l;
	char in[LOGLINE_VALMAX + 1], out[LOGLINE_VALMAX + 8];
	const char *v;
	size_t n;

	memset(in, 'a', sizeof(in));
	log_start(&l, "p");
	log_esc(&l, "k", in, LOGLINE_VALMAX);
	v = val(&l, &n);
	ck_assert_uint_eq(n, LOGLINE_VALMAX);
	ck_assert_int_eq(decode(v, n, 0, out, sizeof(out)), LOGLINE_VALMAX);

	log_start(&l, "p");
	log_esc(&l, "k", in, LOGLINE_VALMAX + 1);
	v = val(&l, &n);
	ck_assert_uint_eq(n, LOGLINE_VALMAX + 3);
	ck_assert_mem_eq(v + LOGLINE_VALMAX, "...", 3);

	/* the cut counts input bytes: 256 escaped bytes, then "..." */
	memset(in, '\n', sizeof(in));
	log_start(&l, "p");
	log_esc(&l, "k", in, sizeof(in));
	v = val(&l, &n);
	ck_assert_uint_eq(n, 2 * LOGLINE_VALMAX + 3);
	ck_assert_int_eq(decode(v, n - 3, 0, out, sizeof(out)), LOGLINE_VALMAX);
	ck_assert_mem_eq(v + n - 3, "...", 3);

	/* log_bytes and log_quote cut the same way */
	memset(in, 'b', sizeof(in));
	log_start(&l, "p:");
	log_bytes(&l, in, sizeof(in));
	ck_assert_uint_eq(l.len, 3 + LOGLINE_VALMAX + 3);
	ck_assert_mem_eq(l.buf + l.len - 4, "b...", 4);
}
END_TEST

/* log_quote: in double quotes, spaces kept, quotes and backslashes and
 * control bytes escaped; the quoted text decodes back */
START_TEST(quote)
{
	static const char msg[] = "cannot open \"x\\y\": No such file\r\n\001";
	struct logline l;
	char out[128];
	const char *v;
	size_t n;

	log_start(&l, "p");
	log_quote(&l, "k", msg);
	clean(&l);
	v = val(&l, &n);
	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(v[0], '"');
	ck_assert_int_eq(v[n - 1], '"');
	ck_assert_int_eq(decode(v + 1, n - 2, 1, out, sizeof(out)),
	    (ssize_t)strlen(msg));
	ck_assert_mem_eq(out, msg, strlen(msg));
	is(&l, "p: k=\"cannot open \\\"x\\\\y\\\": No such file"
	    "\\r\\n\\001\"");
	log_start(&l, "p");
	log_quote(&l, "k", "");
	is(&l, "p: k=\"\"");
}
END_TEST

/* the line never grows past LOGLINE_MAX - 1 bytes (room for its
 * newline), whatever is added; log_flush writes it and one newline in one
 * write and leaves it as it was */
START_TEST(bounded)
{
	struct logline l;
	char in[LOGLINE_VALMAX + 100], rd[LOGLINE_MAX + 16];
	int i, fd[2];
	ssize_t r;

	memset(in, 0xff, sizeof(in));		/* 4 bytes each, escaped */
	log_start(&l, "rcptcheck-overlimit");
	for (i = 0; i < 20; i++) {
		log_esc(&l, "key", in, sizeof(in));
		log_quote(&l, "msg", "a message with spaces");
		log_add(&l, "verdict", "accept");
		log_fmt(&l, "n", "%d/%d", i, 100);
		log_bytes(&l, in, sizeof(in));
		log_str(&l, " x");
		clean(&l);
	}
	ck_assert_uint_eq(l.len, LOGLINE_MAX - 1);
	ck_assert_int_eq(pipe(fd), 0);
	log_flush(&l, fd[1]);
	ck_assert_uint_eq(l.len, LOGLINE_MAX - 1);
	close(fd[1]);
	r = read(fd[0], rd, sizeof(rd));
	close(fd[0]);
	ck_assert_int_eq(r, LOGLINE_MAX);
	ck_assert_int_eq(rd[LOGLINE_MAX - 1], '\n');
	ck_assert_ptr_eq(memchr(rd, '\n', (size_t)r), rd + LOGLINE_MAX - 1);
}
END_TEST

/* the other writers: log_add and log_str as they are, log_fmt cut at 255
 * bytes, the separators */
START_TEST(plain_parts)
{
	struct logline l;
	char big[400];
	int fd[2];
	char rd[64];

	log_start(&l, "prog");
	log_add(&l, "a", "1");
	log_fmt(&l, "b", "%s-%d", "x", 7);
	log_str(&l, " c");
	log_esc(&l, "e", "", 0);
	ck_assert_uint_eq(l.len, strlen("prog: a=1 b=x-7 c e=\"\""));
	ck_assert_mem_eq(l.buf, "prog: a=1 b=x-7 c e=\"\"", l.len);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_start(&l, "p");
	log_fmt(&l, "k", "%s", big);
	ck_assert_uint_eq(l.len, strlen("p: k=") + 255);
	log_start(&l, "p");
	log_add(&l, "k", "v");
	ck_assert_int_eq(pipe(fd), 0);
	log_flush(&l, fd[1]);
	close(fd[1]);
	ck_assert_int_eq(read(fd[0], rd, sizeof(rd)), 7);
	close(fd[0]);
	ck_assert_mem_eq(rd, "p: k=v\n", 7);
}
END_TEST

/* log_num and log_frac print what printf's %llu prints, at every length */
START_TEST(numbers)
{
	struct logline l;
	char want[128];
	uint64_t v[64], x;
	size_t i, n = 0;

	v[n++] = 0;
	v[n++] = UINT64_MAX;
	for (x = 1; n + 3 <= 64 && x <= UINT64_MAX / 10; x *= 10) {
		v[n++] = x - 1;
		v[n++] = x;
		v[n++] = x * 7 + 3;
	}
	for (i = 0; i < n; i++) {
		log_start(&l, "p");
		log_num(&l, "n", v[i]);
		log_frac(&l, "f", v[i], v[n - 1 - i]);
		log_str(&l, " ");
		log_u64(&l, v[i]);
		snprintf(want, sizeof(want), "p: n=%llu f=%llu/%llu %llu",
		    (unsigned long long)v[i], (unsigned long long)v[i],
		    (unsigned long long)v[n - 1 - i], (unsigned long long)v[i]);
		ck_assert_uint_eq(l.len, strlen(want));
		ck_assert_mem_eq(l.buf, want, l.len);
	}
}
END_TEST

Suite *
logline_suite(void)
{
	Suite *s = suite_create("logline");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, every_byte);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, no_forgery);
	tcase_add_test(tc, cut_at_valmax);
	tcase_add_test(tc, quote);
	tcase_add_test(tc, bounded);
	tcase_add_test(tc, plain_parts);
	tcase_add_test(tc, numbers);
	suite_add_tcase(s, tc);
	return s;
}
