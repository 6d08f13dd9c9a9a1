/*
 * fuzz_logline: libFuzzer harness of the log escaper (src/logline.c) and
 * the notification program's environment (src/notify.c: notify_env_*),
 * the two places untrusted bytes (client names, envelope, HELO) leave the
 * helper. Built by "make fuzz".
 *
 * The input is a list of operations: one byte selects the operation, one
 * or two bytes give a length, then that many value bytes (cut at the end
 * of the input). Invariants checked after every operation (abort =
 * finding):
 *  - the line is at most LOGLINE_MAX - 1 bytes (its newline fits) and
 *    holds no control byte, DEL or 8-bit byte;
 *  - a value escaped by log_esc into a fresh line decodes back to its
 *    first min(len, LOGLINE_VALMAX) bytes, with "..." exactly when it was
 *    cut, and holds no raw space or quote (a line cannot be forged);
 *    log_quote's text is in quotes, its inside decodes back likewise;
 *  - log_flush writes the line and one newline, the only newline;
 *  - notify_env: at most NOTIFY_ENVMAX entries, NULL-terminated, the
 *    buffer never overrun (ASan), every entry NAME=escape of printable
 *    ASCII that decodes (strunvis) to the value's first
 *    min(len, NOTIFY_VALMAX) bytes, or the entry dropped and counted.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vis.h>

#include "logline.h"
#include "notify.h"
#include "../logdecode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_logline: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

/* l->buf[from..len): no control byte, DEL or 8-bit byte; the line fits */
static void
lineok(const struct logline *l, size_t from)
{
	size_t i;

	REQUIRE(l->len <= LOGLINE_MAX - 1);
	for (i = from; i < l->len; i++)
		REQUIRE((unsigned char)l->buf[i] >= ' ' &&
		    (unsigned char)l->buf[i] < 0x7f);
}

/* a value alone in a fresh line: "p: k=" + its escape (+ "...") */
static void
alone(const char *v, size_t len, int quoted)
{
	static char dec[LOGLINE_MAX];
	struct logline l;
	size_t want = len > LOGLINE_VALMAX ? LOGLINE_VALMAX : len, n;
	const char *s;
	int cut = len > LOGLINE_VALMAX;

	log_start(&l, "p");
	if (quoted)
		log_quote(&l, "k", v);
	else
		log_esc(&l, "k", v, len);
	lineok(&l, 0);
	REQUIRE(l.len >= 5 && memcmp(l.buf, "p: k=", 5) == 0);
	s = l.buf + 5;
	n = l.len - 5;
	if (quoted) {
		REQUIRE(n >= 2 && s[0] == '"' && s[n - 1] == '"');
		s++;
		n -= 2;
	} else if (len == 0) {
		REQUIRE(n == 2 && memcmp(s, "\"\"", 2) == 0);
		return;
	}
	if (cut) {
		REQUIRE(n >= 3 && memcmp(s + n - 3, "...", 3) == 0);
		n -= 3;
	}
	REQUIRE(decode(s, n, quoted, dec, sizeof(dec)) == (ssize_t)want);
	REQUIRE(memcmp(dec, v, want) == 0);
}

static void
envok(const struct notify_env *e)
{
	int i;

	REQUIRE(e->n >= 0 && e->n <= NOTIFY_ENVMAX);
	REQUIRE(e->var[e->n] == NULL);
	REQUIRE(e->used <= sizeof(e->buf));
	for (i = 0; i < e->n; i++)
		REQUIRE(e->var[i] != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct notify_env e;
	static char val[LOGLINE_MAX + 1], dec[4 * NOTIFY_VALMAX + 1];
	static char passed[] = "NOTIFY_TO=postmaster";
	struct logline l;
	size_t i = 0, len, from;
	int op, fd[2], dropped;
	char rd[LOGLINE_MAX + 1];
	ssize_t r;

	notify_env_init(&e);
	log_start(&l, "rcptcheck-overlimit");
	while (i < size) {
		op = data[i++] % 8;
		len = 0;
		if (i < size)
			len = data[i++];
		if (op >= 4 && i < size)		/* long values too */
			len = len * 8 + (data[i++] & 7);
		if (len > size - i)
			len = size - i;
		if (len > LOGLINE_MAX)
			len = LOGLINE_MAX;
		memcpy(val, data + i, len);
		val[len] = '\0';
		i += len;
		from = l.len;
		switch (op) {
		case 0: case 4:
			log_esc(&l, "client", val, len);
			alone(val, len, 0);
			break;
		case 1: case 5:
			log_quote(&l, "error", val);
			alone(val, strlen(val), 1);
			break;
		case 2:
			log_bytes(&l, val, len);
			break;
		case 3:
			log_add(&l, "verdict", "accept");
			log_fmt(&l, "n", "%zu", len);
			break;
		case 6: {
			int n0 = e.n;

			dropped = e.dropped;
			if (notify_env_add(&e, "OVERLIMIT_CLIENT", val, len) == 0) {
				size_t want = len > NOTIFY_VALMAX ? NOTIFY_VALMAX : len;
				const char *v = e.var[e.n - 1];

				REQUIRE(e.n == n0 + 1 && e.dropped == dropped);
				REQUIRE(strncmp(v, "OVERLIMIT_CLIENT=", 17) == 0);
				for (v += 17; *v != '\0'; v++)
					REQUIRE((unsigned char)*v > ' ' &&
					    (unsigned char)*v < 0x7f);
				REQUIRE(strunvis(dec, e.var[e.n - 1] + 17) ==
				    (int)want);
				REQUIRE(memcmp(dec, val, want) == 0);
			} else
				REQUIRE(e.n == n0 && e.dropped == dropped + 1);
			envok(&e);
			break;
		}
		case 7:
			dropped = e.dropped;
			if (notify_env_pass(&e, passed) == 0)
				REQUIRE(e.var[e.n - 1] == passed);
			else
				REQUIRE(e.n == NOTIFY_ENVMAX &&
				    e.dropped == dropped + 1);
			envok(&e);
			break;
		}
		REQUIRE(l.len >= from);		/* it only grows */
		lineok(&l, from);
	}
	/* the line as written: itself and one newline, the only one */
	if (pipe(fd) == 0) {
		log_flush(&l, fd[1]);
		close(fd[1]);
		r = read(fd[0], rd, sizeof(rd));
		close(fd[0]);
		REQUIRE(r == (ssize_t)l.len + 1);
		REQUIRE(rd[l.len] == '\n');
		REQUIRE(memchr(rd, '\n', l.len) == NULL);
		REQUIRE(memcmp(rd, l.buf, l.len) == 0);
	}
	return 0;
}
