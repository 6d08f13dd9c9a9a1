/*
 * overlimit-cleanup: the periodic job of the counter store.
 *
 *	overlimit-cleanup [-k]
 *
 * For every client file under OVERLIMIT_DIR (and the domain pools "@domain"
 * and the server's "*"), locked as the helper locks it: reset the classic counter ("N recipients until the next reset"),
 * drop the records that have left every window of the client's rule and
 * remove the files that hold nothing any more. Window counts are never
 * lost, so it may run at any time. With -k, clients that have reached
 * their plain limit keep their counter (they stay refused until an admin
 * removes the file): the sagredo variant of the classic cron job.
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

#include "limits.h"
#include "name.h"
#include "prog.h"
#include "rule.h"
#include "store.h"
#include "track.h"

#define PROG	"overlimit-cleanup"
#define STALE	3600	/* seconds before a temporary file is stale */

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* A side file NAME#x: removed (under NAME's lock, as the helper holds
 * it) when nothing in it is inside the rule's nets= and mass= periods.
 * Returns 0, or -1 (printed). */
static int
side(struct store *st, struct limits *lim, const char *dir, const char *f,
    time_t now, unsigned long *removed)
{
	char cname[NAME_ENCMAX + 1], matched[NAME_ENCMAX + 2];
	size_t n = strlen(f) - strlen(TRACK_SUFFIX);
	struct client cl;
	struct track t;
	struct rule r;
	uint32_t keep;
	int gone, orphan, rc = 0;

	memcpy(cname, f, n);
	cname[n] = '\0';
	if (limits_fileof(lim, cname, &r, matched, sizeof(matched)) == -1) {
		fprintf(stderr, PROG ": corrupt limits CDB\n");
		return -1;
	}
	/* an orphan (no client file): create it, so that a helper waits
	 * for us, and remove it again below */
	if ((orphan = store_lock(st, cname, 0, &cl)) < 0 ||
	    (orphan == 1 && store_lock(st, cname, 1, &cl) < 0)) {
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, cname, cl.err);
		return -1;
	}
	/* the rule's periods, or what the helper last used if longer (a
	 * hashed name's domain line, an edited CDB) */
	keep = r.netsper > r.massper ? r.netsper : r.massper;
	if (cl.h.sidekeep > keep && cl.h.sidekeep <= RULE_MAXPERIOD)
		keep = cl.h.sidekeep;
	switch (track_open(st, cname, 0, &t)) {
	case 0:
		track_settle(&t, now);
		if (!track_live(&t, now, keep)) {
			if (unlinkat(st->dirfd, f, 0) < 0) {
				fprintf(stderr, PROG ": %s/%s: remove: %s\n",
				    dir, f, strerror(errno));
				rc = -1;
			} else
				++*removed;
		}
		t.dirty = 0;
		(void)track_close(&t);
		break;
	case -1:
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, f, t.err);
		rc = -1;
	}
	/* a client file of its own is tidied in the walk, not twice */
	if (orphan && store_tidy(st, &cl, &r, now, 0, &gone) < 0) {
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, cname, cl.err);
		rc = -1;
	}
	store_unlock(&cl);
	return rc;
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

int
main(int argc, char **argv)
{
	struct limits lim;
	struct store st;
	struct client cl;
	struct rule r;
	struct dirent *d;
	struct stat sb;
	DIR *dp;
	const char *dir, *cdb;
	time_t now = time(NULL);
	unsigned long files = 0, reset = 0, removed = 0, kept = 0, errors = 0,
	    other = 0;
	char mainname[NAME_ENCMAX + 1], matched[NAME_ENCMAX + 2];
	size_t len;
	int c, keep = 0, keepit, gone, rc;

	prog_fds();
	while ((c = getopt(argc, argv, "k")) != -1) {
		if (c != 'k') {
			fprintf(stderr, "usage: " PROG " [-k]\n");
			return 100;
		}
		keep = 1;
	}
	dir = env("OVERLIMIT_DIR", "/var/qmail/overlimit");
	cdb = env("OVERLIMIT_CDB", "/var/qmail/control/relaylimits.cdb");
	if (limits_open(&lim, cdb) < 0) {
		fprintf(stderr, PROG ": fatal: unable to open %s: %s\n", cdb,
		    errno == EPROTO ? "not a limits CDB" : strerror(errno));
		return 111;
	}
	if (store_open(&st, dir) < 0 || (dp = fdopendir(dup(st.dirfd))) == NULL) {
		fprintf(stderr, PROG ": fatal: unable to open %s: %s\n", dir,
		    strerror(errno));
		return 111;
	}
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.') {
			if (strncmp(d->d_name, ".cmp.", 5) == 0 &&
			    fstatat(st.dirfd, d->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0 && sb.st_mtime < now - STALE)
				unlinkat(st.dirfd, d->d_name, 0);
			continue;
		}
		if ((len = strlen(d->d_name)) > 2 &&
		    strcmp(d->d_name + len - 2, TRACK_SUFFIX) == 0 &&
		    len - 2 <= NAME_ENCMAX &&
		    (memcpy(mainname, d->d_name, len - 2),
		    mainname[len - 2] = '\0',
		    name_isfile(mainname) == NAME_FCLIENT)) {
			files++;
			if (side(&st, &lim, dir, d->d_name, now, &removed) < 0)
				errors++;
			continue;
		}
		if (!name_isfile(d->d_name)) {
			fprintf(stderr, PROG ": warning: not a counter file, "
			    "left alone: %s/%s\n", dir, d->d_name);
			other++;
			continue;
		}
		files++;
		if (limits_fileof(&lim, d->d_name, &r, matched,
		    sizeof(matched)) == -1) {
			fprintf(stderr, PROG ": corrupt limits CDB %s\n", cdb);
			errors++;
			break;
		}
		if ((rc = store_lock(&st, d->d_name, 0, &cl)) == 1)
			continue;		/* removed meanwhile */
		if (rc < 0) {
			fprintf(stderr, PROG ": %s/%s: %s\n", dir, d->d_name,
			    cl.err);
			errors++;
			continue;
		}
		keepit = keep && plainlimit(&r, cl.h.total);
		if (store_tidy(&st, &cl, &r, now, !keepit, &gone) < 0) {
			fprintf(stderr, PROG ": %s/%s: %s\n", dir, d->d_name,
			    cl.err);
			errors++;
		} else {
			removed += gone;
			reset += !keepit;
			kept += keepit;
		}
		store_unlock(&cl);
	}
	if (errno != 0) {
		fprintf(stderr, PROG ": unable to read %s: %s\n", dir,
		    strerror(errno));
		errors++;
	}
	closedir(dp);
	printf(PROG ": %lu files, %lu reset, %lu removed, %lu kept over "
	    "limit, %lu other, %lu errors\n", files, reset, removed, kept,
	    other, errors);
	return errors ? 111 : 0;
}
