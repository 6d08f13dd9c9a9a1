/*
 * overlimit-cleanup: the periodic job of the counter store.
 *
 *	overlimit-cleanup [-k]
 *
 * For every client file under OVERLIMIT_DIR, locked as the helper locks
 * it: reset the classic counter ("N recipients until the next reset"),
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
#include "rule.h"
#include "store.h"

#define PROG	"overlimit-cleanup"
#define STALE	3600	/* seconds before a temporary file is stale */

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* The rule of the client stored under enc. */
static int
ruleof(struct limits *lim, const char *enc, struct rule *r)
{
	char dec[NAME_ENCMAX + 1], matched[NAME_ENCMAX + 2];
	struct ipaddr ip;
	enum name_kind kind = NAME_USER;
	long len;

	memset(&ip, 0, sizeof(ip));
	if (enc[0] == '~')
		len = 0;			/* hashed: exact key or default */
	else if ((len = name_decode(enc, dec, sizeof(dec))) < 0)
		return -1;
	else if (enc[0] != '%' && name_parseip(dec, &ip) == 0)
		kind = NAME_IP;
	if (len == 0)
		dec[0] = '\0';
	memset(r, 0, sizeof(*r));
	return limits_lookup(lim, kind, dec, (size_t)len, &ip, enc, r, matched,
	    sizeof(matched)) < 0 ? -1 : 0;
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
	int c, keep = 0, keepit, gone, rc;

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
		if (!name_isclient(d->d_name)) {
			fprintf(stderr, PROG ": warning: not a counter file, "
			    "left alone: %s/%s\n", dir, d->d_name);
			other++;
			continue;
		}
		files++;
		if (ruleof(&lim, d->d_name, &r) < 0) {
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
