/* selfcheck.c: would the helper work (selfcheck.h)? */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vis.h>

#include "counter.h"
#include "lookup.h"
#include "name.h"
#include "selfcheck.h"
#include "tally.h"

#define SHOWMAX	3	/* bad counter files named in full */

#define say	selfcheck_say
#define fix	selfcheck_fix

void
say(struct selfcheck *sc, const char *level, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(level, "FAIL") == 0)
		sc->problems++;
	else if (strcmp(level, "warn") == 0)
		sc->warnings++;
	fprintf(sc->out, "%-4s ", level);
	va_start(ap, fmt);
	vfprintf(sc->out, fmt, ap);
	va_end(ap);
	fputc('\n', sc->out);
}

void
fix(struct selfcheck *sc, const char *fmt, ...)
{
	va_list ap;

	fputs("     fix: ", sc->out);
	va_start(ap, fmt);
	vfprintf(sc->out, fmt, ap);
	va_end(ap);
	fputc('\n', sc->out);
}

/* The CDB, opened as the helper opens it; its features in *feat. */
static int
checkcdb(struct selfcheck *sc, unsigned *feat)
{
	struct lookup l;
	struct stat cs, ts;
	char words[100], text[4096];
	size_t n = strlen(sc->cdb);
	int err;

	if (lookup_open(&l, sc->cdb) < 0) {
		err = errno;
		if (err == EPROTO) {
			say(sc, "FAIL", "limits CDB %s: not a limits CDB, or "
			    "one this version cannot read", sc->cdb);
			fix(sc, "compile the control file with this version's "
			    "cdbmake-limits (INSTALL, step 3)");
		} else {
			say(sc, "FAIL", "limits CDB %s: %s", sc->cdb,
			    strerror(err));
			if (err == ENOENT)
				fix(sc, "cdbmake-limits relaylimits.cdb "
				    "relaylimits.tmp < relaylimits, in its "
				    "directory (INSTALL, step 3)");
			else if (err == EACCES && stat(sc->cdb, &cs) < 0)
				fix(sc, "let %s search every directory above "
				    "%s", sc->user, sc->cdb);
			else if (err == EACCES)
				fix(sc, "chmod 644 %s (cdbmake-limits writes "
				    "it so)", sc->cdb);
		}
		fprintf(sc->out, "     the helper now accepts every relayed "
		    "recipient unlimited, logging error=\n");
		return -1;
	}
	*feat = l.features;
	lookup_fmtfeatures(l.features, words, sizeof(words));
	say(sc, "ok", "limits CDB %s (features: %s)", sc->cdb,
	    words[0] ? words : "none");
	if (fstat(l.fd, &cs) == 0 && n > 4 &&
	    strcmp(sc->cdb + n - 4, ".cdb") == 0 && n - 4 < sizeof(text)) {
		memcpy(text, sc->cdb, n - 4);
		text[n - 4] = '\0';
		if (stat(text, &ts) == 0 && ts.st_mtime > cs.st_mtime) {
			say(sc, "warn", "control file %s is newer than the "
			    "CDB: its changes are not in force", text);
			fix(sc, "cdbmake-limits (INSTALL, step 3)");
		}
	}
	lookup_close(&l);
	return 0;
}

/* A probe counter, created, locked, written and removed as the helper
 * does with a client's. */
static void
probe(struct selfcheck *sc, struct store *st)
{
	static struct counter c;	/* large */
	char name[64];

	snprintf(name, sizeof(name), ".check.%ld", (long)getpid());
	if (counter_lock(st, name, 1, &c) < 0) {
		say(sc, "FAIL", "probe counter %s/%s: %s", sc->dir, name,
		    c.err);
		fix(sc, "%s must be able to create files in %s (mode 700, "
		    "its owner), on a file system with space", sc->user,
		    sc->dir);
		return;
	}
	if (counter_record(&c, sc->now) < 0 || counter_commit(&c) < 0) {
		say(sc, "FAIL", "probe counter %s/%s: %s", sc->dir, name,
		    c.err);
		fix(sc, "free space on the file system of %s", sc->dir);
	} else
		say(sc, "ok", "probe counter: created, locked, written");
	if (unlinkat(st->dirfd, name, 0) < 0)
		say(sc, "FAIL", "probe counter %s/%s: cannot remove: %s",
		    sc->dir, name, strerror(errno));
	counter_unlock(&c);
}

/* Every file of the directory as the helper would take it: a regular
 * file of this user with one link. */
static void
files(struct selfcheck *sc, struct store *st)
{
	char vis[4 * NAME_MAX + 1], first[SHOWMAX][4 * NAME_MAX + 64];
	unsigned long bad = 0, n = 0;
	struct dirent *d;
	struct stat fs;
	DIR *dp;
	int fd;

	if ((fd = dup(st->dirfd)) < 0 || (dp = fdopendir(fd)) == NULL) {
		say(sc, "FAIL", "counter directory %s: cannot list: %s",
		    sc->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dp);
	while ((d = readdir(dp)) != NULL) {
		const char *why = NULL;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		n++;
		if (fstatat(st->dirfd, d->d_name, &fs, AT_SYMLINK_NOFOLLOW) < 0)
			continue;		/* gone meanwhile */
		if (S_ISLNK(fs.st_mode))
			why = "a symlink";
		else if (!S_ISREG(fs.st_mode))
			why = "not a regular file";
		else if (fs.st_uid != geteuid())
			why = "owned by another user";
		else if (fs.st_nlink != 1)
			why = "a hard link";
		if (why == NULL)
			continue;
		if (bad < SHOWMAX) {
			strnvis(vis, d->d_name, sizeof(vis),
			    VIS_OCTAL | VIS_CSTYLE | VIS_WHITE);
			snprintf(first[bad], sizeof(first[bad]), "%s (%s, uid "
			    "%lu)", vis, why, (unsigned long)fs.st_uid);
		}
		bad++;
	}
	closedir(dp);
	if (bad == 0) {
		say(sc, "ok", "counter files: %lu, all %s's", n, sc->user);
		return;
	}
	say(sc, "FAIL", "counter files: %lu of %lu the helper cannot use "
	    "(its clients' recipients accepted unlimited):", bad, n);
	for (n = 0; n < bad && n < SHOWMAX; n++)
		fprintf(sc->out, "     %s/%s\n", sc->dir, first[n]);
	if (bad > SHOWMAX)
		fprintf(sc->out, "     and %lu more\n", bad - SHOWMAX);
	fix(sc, "chown %s:%s each (as root, overlimit-cleanup does it for "
	    "every counter file); remove links and anything else", sc->user,
	    sc->group);
}

/* Events the helper counted (tally.h). */
static void
tallies(struct selfcheck *sc, struct store *st)
{
	int64_t a = tally_get(st->dirfd, TALLY_ACCEPT);
	int64_t d = tally_get(st->dirfd, TALLY_DEFER);

	if (a > 0 || d > 0) {
		say(sc, "warn", "errors so far: %lld recipients accepted, "
		    "%lld deferred because of an error (%s/%s, %s)",
		    (long long)a, (long long)d, sc->dir, TALLY_ACCEPT,
		    TALLY_DEFER);
		fix(sc, "the log's error= lines say why; remove the two "
		    "files once solved");
	}
}

static int
checkdir(struct selfcheck *sc, struct store *st)
{
	struct stat ds;

	if (store_open(st, sc->dir) < 0) {
		int r = stat(sc->dir, &ds) < 0 ? errno : 0;

		say(sc, "FAIL", "%s", st->err);
		if (r == ENOENT)
			fix(sc, "install -d -m 700 -o %s -g %s %s", sc->user,
			    sc->group, sc->dir);
		else if (r == EACCES)
			fix(sc, "let %s search every directory above %s",
			    sc->user, sc->dir);
		else
			fix(sc, "chown %s:%s %s; chmod 700 %s", sc->user,
			    sc->group, sc->dir, sc->dir);
		fprintf(sc->out, "     the helper now accepts every relayed "
		    "recipient unlimited, logging error=\n");
		return -1;
	}
	say(sc, "ok", "counter directory %s", sc->dir);
	probe(sc, st);
	files(sc, st);
	tallies(sc, st);
	return 0;
}

/* The program the helper starts for a notification: run by execve from
 * qmail-smtpd's directory, so an absolute path, and executable (a
 * script also readable) by this user. */
static void
checknotify(struct selfcheck *sc)
{
	struct stat ns;

	if (sc->notify == NULL) {
		say(sc, "ok", "notification program: none (OVERLIMIT_NOTIFY "
		    "not set)");
		return;
	}
	if (sc->notify[0] != '/') {
		say(sc, "FAIL", "notification program %s: not an absolute "
		    "path", sc->notify);
		fix(sc, "OVERLIMIT_NOTIFY=/var/qmail/bin/%s", sc->notify);
	} else if (stat(sc->notify, &ns) < 0) {
		say(sc, "FAIL", "notification program %s: %s", sc->notify,
		    strerror(errno));
		fix(sc, "make install puts notify-mail, notify-sms and "
		    "notify-vpopmail-disable beside the helper; or correct "
		    "OVERLIMIT_NOTIFY");
	} else if (!S_ISREG(ns.st_mode)) {
		say(sc, "FAIL", "notification program %s: not a regular "
		    "file", sc->notify);
		fix(sc, "correct OVERLIMIT_NOTIFY");
	} else if (access(sc->notify, R_OK | X_OK) < 0) {
		say(sc, "FAIL", "notification program %s: %s cannot read "
		    "and run it: %s", sc->notify, sc->user, strerror(errno));
		fix(sc, "chmod 755 %s", sc->notify);
	} else
		say(sc, "ok", "notification program %s", sc->notify);
}

/* Is s (k bytes) in buf (n bytes)? (memmem is not POSIX) */
static int
within(const char *buf, size_t n, const char *s, size_t k)
{
	size_t i;

	for (i = 0; i + k <= n; i++)
		if (buf[i] == s[0] && memcmp(buf + i, s, k) == 0)
			return 1;
	return 0;
}

/* Does the file name the string? 1 yes, 0 no, -1 unreadable. */
static int
names(const char *path, const char *s)
{
	char buf[65536];
	size_t k = strlen(s), have = 0;
	ssize_t r;
	int fd, found = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	while (!found && (r = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)r;
		found = within(buf, have, s, k);
		if (have >= k) {		/* keep a tail: s may straddle */
			memmove(buf, buf + have - (k - 1), k - 1);
			have = k - 1;
		}
	}
	close(fd);
	return found;
}

/* msg= and mass= count a message's recipients by SMTPRCPTCOUNT, which
 * only a qmail-smtpd that sets it gives the helper. */
static void
checkcount(struct selfcheck *sc, unsigned feat, struct store *st, int dirok)
{
	int64_t miss = dirok ? tally_get(st->dirfd, TALLY_NOCOUNT) : 0;
	int rc;

	if (!(feat & (LOOKUP_FMSG | LOOKUP_FMASS))) {
		say(sc, "ok", "SMTPRCPTCOUNT: not needed (no msg= or mass=)");
		return;
	}
	if (miss > 0) {
		say(sc, "FAIL", "SMTPRCPTCOUNT: %lld recipients under msg= or "
		    "mass= came without it (%s/%s): these options do nothing",
		    (long long)miss, sc->dir, TALLY_NOCOUNT);
		fix(sc, "a qmail-smtpd that sets SMTPRCPTCOUNT before "
		    "RCPTCHECK (sagredo's patch), or no msg=/mass=; then rm "
		    "%s/%s", sc->dir, TALLY_NOCOUNT);
		return;
	}
	if ((rc = names(sc->smtpd, "SMTPRCPTCOUNT")) == 1)
		say(sc, "ok", "SMTPRCPTCOUNT: %s sets it (msg=, mass=)",
		    sc->smtpd);
	else if (rc == 0) {
		say(sc, "FAIL", "SMTPRCPTCOUNT: %s does not set it: msg= and "
		    "mass= would do nothing", sc->smtpd);
		fix(sc, "a qmail-smtpd that sets SMTPRCPTCOUNT before "
		    "RCPTCHECK (sagredo's patch), or no msg=/mass=");
	} else
		say(sc, "warn", "SMTPRCPTCOUNT: cannot read %s (%s) to see "
		    "whether it sets it; a helper run without it logs "
		    "env_error= and this check then says so", sc->smtpd,
		    strerror(errno));
}

unsigned
selfcheck(struct selfcheck *sc)
{
	struct store st;
	unsigned feat = 0;
	int dirok;

	int cdbok;

	sc->problems = sc->warnings = 0;
	cdbok = checkcdb(sc, &feat) == 0;
	dirok = checkdir(sc, &st) == 0;
	checknotify(sc);
	if (cdbok)
		checkcount(sc, feat, &st, dirok);
	if (dirok)
		store_close(&st);
	return sc->problems;
}
