/*
 * admingen: a counter directory of N clients for bench/admin.sh.
 *
 *	admingen DIR CDB N [SEED]
 *
 * The first TEMPLATES clients are made by the helper's own decision
 * (decide(), the file store, the rule that CDB gives each), one recipient
 * at a time, at seconds spread over the 24 hours before now: the counter
 * files the helper writes, records and header alike. Their histories are
 * skewed as a server's are: most clients send a few recipients, some
 * hundreds, a few cross a limit, a few get banned. Every other client i
 * gets a byte copy of the file of template i % TEMPLATES, which has the
 * same kind of name (i % 4) and so the same rule: a counter file holds
 * no name, so the copy is the file the helper would have written for that
 * client with that history. Exit 0, or 1 with a message.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counter.h"
#include "decide.h"
#include "ident.h"
#include "lookup.h"

#define TEMPLATES	400	/* a multiple of the 4 kinds of name */

static void
die(const char *what, const char *arg)
{
	fprintf(stderr, "admingen: %s%s%s\n", what, arg ? ": " : "",
	    arg ? arg : "");
	exit(1);
}

/* Client i's name (user) or address (ip): four kinds, one rule each. */
static void
client(unsigned long i, char *user, char *ip, size_t sz)
{
	user[0] = ip[0] = '\0';
	switch (i % 4) {
	case 0:
	case 1:
		snprintf(user, sz, "user%06lu@example.com", i);
		break;
	case 2:
		snprintf(user, sz, "%s%06lu@%s.example", i % 8 == 2 ?
		    "big" : "ban", i, i % 8 == 2 ? "big" : "ban");
		break;
	default:
		snprintf(ip, sz, "10.%lu.%lu.%lu", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		break;
	}
}

static int
bytime(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return x < y ? -1 : x > y;
}

/* One template: n recipients over the day before now (a burst of them
 * inside one hour for the heavy ones), each decided by decide(). */
static void
template(struct store *st, struct lookup *lk, unsigned long i, time_t now)
{
	struct ident id;
	struct rule r;
	struct match m;
	struct request rq;
	struct outcome out;
	char user[64], ip[64];
	const char *err;
	time_t *t, burst;
	unsigned long n, k, roll = (unsigned long)random() % 100;

	client(i, user, ip, sizeof(user));
	if (ident_fromenv(&id, user[0] ? user : NULL, ip[0] ? ip : NULL,
	    &err) < 0)
		die("ident", err);
	if (lookup_client(lk, &id, &r, &m) < 0)
		die("corrupt CDB", NULL);
	/* 70 %: 1-20; 20 %: 20-200; 8 %: 200-1200; 2 %: a burst of 300 */
	n = roll < 70 ? 1 + (unsigned long)random() % 20 :
	    roll < 90 ? 20 + (unsigned long)random() % 180 :
	    roll < 98 ? 200 + (unsigned long)random() % 1000 : 300;
	if ((t = calloc(n, sizeof(*t))) == NULL)
		die("out of memory", NULL);
	burst = now - (time_t)(random() % 3000);
	for (k = 0; k < n; k++)
		t[k] = roll >= 98 ? burst - (time_t)(random() % 600) :
		    now - 1 - (time_t)(random() % 86400);
	qsort(t, n, sizeof(*t), bytime);
	memset(&rq, 0, sizeof(rq));
	rq.id = &id;
	rq.rule = &r;
	rq.match = &m;
	rq.count = rq.all = -1;
	rq.kind = RCPT_RELAYED;
	for (k = 0; k < n; k++) {
		rq.now = t[k];
		if (decide(st, &rq, &out) < 0)
			die("decide", out.fail);
	}
	free(t);
	ident_free(&id);
}

/* The file name of client i (its counter). */
static void
fileof(struct lookup *lk, unsigned long i, char *name, size_t sz)
{
	struct ident id;
	char user[64], ip[64];
	const char *err;

	(void)lk;
	client(i, user, ip, sizeof(user));
	if (ident_fromenv(&id, user[0] ? user : NULL, ip[0] ? ip : NULL,
	    &err) < 0)
		die("ident", err);
	snprintf(name, sz, "%s", id.counter);
	ident_free(&id);
}

int
main(int argc, char **argv)
{
	static char buf[TEMPLATES][256 + 16 * 1300];
	static size_t len[TEMPLATES];
	struct store st;
	struct lookup lk;
	char name[NAME_ENCMAX + 1];
	unsigned long n, i;
	time_t now = time(NULL);
	ssize_t got;
	int fd;

	if (argc != 4 && argc != 5)
		die("usage: admingen DIR CDB N [SEED]", NULL);
	n = strtoul(argv[3], NULL, 10);
	srandom(argc == 5 ? (unsigned)strtoul(argv[4], NULL, 10) : 1);
	if (store_open(&st, argv[1]) < 0)
		die(st.err, NULL);
	if (lookup_open(&lk, argv[2]) < 0)
		die("cannot open", argv[2]);
	for (i = 0; i < n && i < TEMPLATES; i++) {
		template(&st, &lk, i, now);
		fileof(&lk, i, name, sizeof(name));
		if ((fd = openat(st.dirfd, name, O_RDONLY)) < 0 ||
		    (got = read(fd, buf[i], sizeof(buf[i]))) < 0 ||
		    (size_t)got == sizeof(buf[i]))
			die("cannot read back", name);
		len[i] = (size_t)got;
		close(fd);
	}
	for (; i < n; i++) {
		fileof(&lk, i, name, sizeof(name));
		if ((fd = openat(st.dirfd, name, O_WRONLY | O_CREAT | O_EXCL,
		    0600)) < 0 || write(fd, buf[i % TEMPLATES],
		    len[i % TEMPLATES]) != (ssize_t)len[i % TEMPLATES] ||
		    close(fd) < 0)
			die("cannot write", name);
	}
	return 0;
}
