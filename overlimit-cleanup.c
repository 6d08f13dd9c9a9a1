/*
 * overlimit-cleanup: the periodic job of the counter store.
 *
 *	overlimit-cleanup [-k]
 *
 * For every counter under OVERLIMIT_DIR (clients, the domain pools
 * "@domain", the server's "*"), locked as the helper locks it: reset the
 * classic counter ("N recipients until the next reset"), drop the records
 * that have left every window of its rule and remove the files that hold
 * nothing any more. Window counts are never lost, so it may run at any
 * time. With -k, clients that have reached their plain limit keep their
 * counter (they stay refused until an admin removes the file): the
 * sagredo variant of the classic cron job. With OVERLIMIT_REDIS set, the
 * same for every counter in Redis, once for the whole farm (any one host
 * runs it): its keys expire by themselves, only the classic reset and
 * the end of a raise are its business there.
 * Exit 0, 100 usage, 111 when a file or the CDB could not be handled.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counter.h"
#include "ident.h"
#include "lookup.h"
#include "prog.h"
#include "rstore.h"
#include "side.h"
#include "tally.h"

#define STALE	3600	/* seconds before a temporary file is stale */

struct tally {
	unsigned long	files, reset, removed, kept, errors, other;
};

static struct store st;
static struct lookup lk;
static const char *dir;
static time_t now;

/* A file's trouble: "overlimit-cleanup: warning: DIR/NAME: what". */
static void
trouble(struct tally *t, const char *name, const char *what)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s:", dir, name);
	prog_warn(path, what, 0);
	t->errors++;
}

/* The rule of the counter name counts; -1 when the CDB is corrupt. */
static int
ruleof(const char *name, struct rule *r)
{
	struct ident id;
	struct match m;
	int rc;

	memset(r, 0, sizeof(*r));		/* none: unlimited */
	if (ident_fromfile(&id, name) < 0)
		return 0;
	rc = lookup_counter(&lk, &id, r, &m, NULL, NULL);
	ident_free(&id);
	return rc;
}

/* A side file NAME#x: removed (under NAME's lock, as the helper holds
 * it) when nothing in it is inside the rule's nets= and mass= periods. An
 * orphan's client file is created to lock it, and removed again. */
static void
side(const char *f, struct tally *t)
{
	char cname[NAME_ENCMAX + 1];
	struct counter c;
	struct side sd;
	struct rule r;
	uint32_t keep;
	int gone, orphan;

	strlcpy(cname, f, strlen(f) - strlen(SIDE_SUFFIX) + 1);
	t->files++;
	if (ruleof(cname, &r) < 0)
		prog_die(111, "corrupt limits CDB", NULL, 0);
	if ((orphan = counter_lock(&st, cname, 0, &c)) < 0 ||
	    (orphan == 1 && counter_lock(&st, cname, 1, &c) < 0)) {
		trouble(t, cname, c.err);
		return;
	}
	/* the rule's periods, or what the helper last used if longer (a
	 * hashed name's domain line, an edited CDB) */
	keep = r.netsper > r.massper ? r.netsper : r.massper;
	if (c.s.sidekeep > keep && c.s.sidekeep <= RULE_MAXPERIOD)
		keep = c.s.sidekeep;
	switch (side_open(&st, cname, 0, &sd)) {
	case 0:
		side_settle(&sd, now);
		if (!side_live(&sd, now, keep)) {
			if (unlinkat(st.dirfd, f, 0) < 0)
				trouble(t, f, strerror(errno));
			else
				t->removed++;
		}
		sd.dirty = 0;
		(void)side_close(&sd);
		break;
	case -1:
		trouble(t, f, sd.err);
	}
	/* a client file of its own is tidied in the walk, not twice */
	if (orphan && counter_tidy(&st, &c, &r, now, 0, &gone) < 0)
		trouble(t, cname, c.err);
	counter_unlock(&c);
}

static int
plainlimit(const struct rule *r, uint64_t total)
{
	int i;

	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period == 0 && total >= r->win[i].limit)
			return 1;
	return 0;
}

/* One counter file: its classic reset (unless -k keeps it), its tidying. */
static void
counter(const char *name, int keep, struct tally *t)
{
	struct counter c;
	struct rule r;
	int keepit, gone, rc;

	t->files++;
	if (ruleof(name, &r) < 0)
		prog_die(111, "corrupt limits CDB", NULL, 0);
	if ((rc = counter_lock(&st, name, 0, &c)) == 1)
		return;				/* removed meanwhile */
	if (rc < 0) {
		trouble(t, name, c.err);
		return;
	}
	keepit = keep && plainlimit(&r, c.s.total);
	if (counter_tidy(&st, &c, &r, now, !keepit, &gone) < 0)
		trouble(t, name, c.err);
	else {
		t->removed += (unsigned long)gone;
		t->reset += (unsigned long)!keepit;
		t->kept += (unsigned long)keepit;
	}
	counter_unlock(&c);
}

/* What a directory entry is: a side file of a client, a counter, a stale
 * temporary file of a compaction, or something else. */
static void
entry(const char *name, int keep, struct tally *t)
{
	char cname[NAME_ENCMAX + 1], path[4096];
	size_t len = strlen(name), sl = strlen(SIDE_SUFFIX);
	struct stat sb;

	if (name[0] == '.') {
		if (strcmp(name, TALLY_ACCEPT) == 0 ||
		    strcmp(name, TALLY_DEFER) == 0 ||
		    strcmp(name, TALLY_NOCOUNT) == 0)
			(void)tally_trim(st.dirfd, name);
		else if (strncmp(name, ".cmp.", 5) == 0 &&
		    fstatat(st.dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    sb.st_mtime < now - STALE)
			unlinkat(st.dirfd, name, 0);
		return;
	}
	if (len > sl && len - sl <= NAME_ENCMAX &&
	    strcmp(name + len - sl, SIDE_SUFFIX) == 0 &&
	    (strlcpy(cname, name, len - sl + 1),
	    name_isfile(cname) == NAME_FCLIENT)) {
		side(name, t);
		return;
	}
	if (!name_isfile(name)) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		prog_warn("not a counter file, left alone:", path, 0);
		t->other++;
		return;
	}
	counter(name, keep, t);
}

/* A counter in Redis: the script tidies it, under the rule found here. */
struct rtidy {
	struct rstore	*rs;
	struct tally	*t;
	int		keep;
};

static int
rcounter(void *arg, const char *name)
{
	struct rtidy *a = arg;
	char rule[400], keep[24];
	const char *args[4] = { rule, "1", keep, a->keep ? "1" : "0" };
	struct rrep *r;
	struct rule ru;

	if (!name_isfile(name))
		return 0;			/* not ours */
	a->t->files++;
	if (ruleof(name, &ru) < 0)
		prog_die(111, "corrupt limits CDB", NULL, 0);
	rstore_fmtrule(&ru, rule, sizeof(rule));
	snprintf(keep, sizeof(keep), "%ld", a->rs->keep);
	if (rstore_op(a->rs, "tidy", name, 4, args, &r) < 0) {
		if (a->rs->fail == RSTORE_ECONNECT ||
		    a->rs->fail == RSTORE_EUNKNOWN)
			prog_die(111, a->rs->err, NULL, 0);
		trouble(a->t, name, a->rs->err);
		return 0;
	}
	if (r->elements == 4 && r->element[2]->type == REDIS_REPLY_INTEGER &&
	    r->element[3]->type == REDIS_REPLY_INTEGER) {
		a->t->removed += r->element[2]->integer == 2;
		a->t->reset += r->element[3]->integer == 1;
		a->t->kept += r->element[2]->integer != 0 &&
		    r->element[3]->integer == 0;
	}
	rrep_free(r);
	return 0;
}

static int
redis(struct tally *t, int keep)
{
	static struct rstore rs;
	struct rtidy a = { &rs, t, keep };
	int rc;

	if ((rc = rstore_init(&rs, dir)) != 0) {
		if (rc < 0)
			prog_die(111, rs.err, NULL, 0);
		return 0;
	}
	if (rstore_each(&rs, rcounter, &a) < 0)
		prog_die(111, rs.err, NULL, 0);
	rstore_close(&rs);
	printf("overlimit-cleanup: %lu counters in redis, %lu reset, %lu "
	    "removed, %lu kept over limit, %lu errors\n", t->files, t->reset,
	    t->removed, t->kept, t->errors);
	return 1;
}

int
main(int argc, char **argv)
{
	struct tally t = { 0, 0, 0, 0, 0, 0 };
	const char *cdb;
	struct dirent *d;
	DIR *dp;
	int c, keep = 0;

	prog_init("overlimit-cleanup");
	prog_onbus();
	while ((c = getopt(argc, argv, "k")) != -1) {
		if (c != 'k') {
			fprintf(stderr, "usage: overlimit-cleanup [-k]\n");
			return 100;
		}
		keep = 1;
	}
	dir = prog_env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	cdb = prog_env("OVERLIMIT_CDB", OVERLIMIT_CDB);
	now = time(NULL);
	if (lookup_open(&lk, cdb) < 0)
		prog_die(111, "unable to open", cdb,
		    errno == EPROTO ? 0 : errno);
	if (redis(&t, keep))
		return t.errors ? 111 : 0;
	if (store_open(&st, dir) < 0)
		prog_die(111, st.err, NULL, 0);
	if ((dp = fdopendir(dup(st.dirfd))) == NULL)
		prog_die(111, "unable to open", dir, errno);
	while ((errno = 0, d = readdir(dp)) != NULL)
		entry(d->d_name, keep, &t);
	if (errno != 0)
		trouble(&t, ".", strerror(errno));
	closedir(dp);
	printf("overlimit-cleanup: %lu files, %lu reset, %lu removed, %lu "
	    "kept over limit, %lu other, %lu errors\n", t.files, t.reset,
	    t.removed, t.kept, t.other, t.errors);
	return t.errors ? 111 : 0;
}
