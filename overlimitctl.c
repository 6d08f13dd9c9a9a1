/*
 * overlimitctl: the admin command of rcptcheck-overlimit.
 *
 *	overlimitctl [-o table|tsv|json] list [over|banned]
 *	overlimitctl [-o table|tsv|json] show CLIENT
 *	overlimitctl explain CLIENT [RECIPIENT]
 *	overlimitctl reset CLIENT
 *	overlimitctl raise CLIENT FACTOR UNTIL
 *	overlimitctl metrics [FILE]
 *	overlimitctl check [-u USER] [-s QMAIL-SMTPD]
 *
 * It reads the same store and CDB as the helper (OVERLIMIT_DIR,
 * OVERLIMIT_CDB) and locks each counter file as the helper does, briefly:
 * safe to run while mail flows. See overlimitctl(8).
 * Exit 0 ok, 1 "no such client" (show, reset) or a problem found
 * (check), 100 usage, 111 error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vis.h>

#include "counter.h"
#include "dest.h"
#include "ident.h"
#include "lookup.h"
#include "name.h"
#include "policy.h"
#include "prog.h"
#include "rule.h"
#include "selfcheck.h"
#include "side.h"
#include "tally.h"

#define PROG	"overlimitctl"

enum fmt { TABLE, TSV, JSON };

struct row {
	char		enc[NAME_ENCMAX + 1];	/* file name */
	char		disp[4 * NAME_ENCMAX + 1]; /* client, vis-escaped */
	char		matched[NAME_ENCMAX + 2];
	int		found;			/* a rule matched */
	struct rule	r;
	struct cstate	h;
	uint64_t	count[RULE_MAXWIN];
	uint32_t	limit[RULE_MAXWIN];	/* effective (raise applied) */
	double		usage;			/* highest count/limit */
	int		over;
	int		raised;
	int		banned;
};

static enum fmt fmt = TABLE;
static struct lookup lim;
static struct store st;
static const char *dir, *cdb;
static time_t now;

static void usage(void) __attribute__((noreturn));
static void die(const char *, const char *, int) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-o table|tsv|json] list [over|banned]\n"
	    "       " PROG " [-o table|tsv|json] show CLIENT\n"
	    "       " PROG " explain CLIENT [RECIPIENT]\n"
	    "       " PROG " reset CLIENT\n"
	    "       " PROG " raise CLIENT FACTOR UNTIL   (UNTIL: +3d, +12h, "
	    "2026-12-24, 2026-12-24T18:00; UTC)\n"
	    "       " PROG " metrics [FILE]\n"
	    "       " PROG " check [-u USER] [-s QMAIL-SMTPD]\n");
	exit(100);
}

static void
die(const char *what, const char *arg, int err)
{
	prog_die(111, what, arg, err);
}

/* The CDB, opened once: 0, or -1 with errno. */
static int
trydb(void)
{
	static int opened;	/* 0 not tried, 1 open, -1 failed */
	static int err;

	if (opened == 0) {
		opened = lookup_open(&lim, cdb) < 0 ? -1 : 1;
		err = errno;
	}
	errno = err;
	return opened > 0 ? 0 : -1;
}

static void
opendb(void)
{
	if (trydb() < 0)
		die("unable to open", cdb, errno == EPROTO ? 0 : errno);
}

static void
openstore(void)
{
	if (store_open(&st, dir) < 0)
		die(st.err, NULL, 0);
}

/* The counter of a client an admin names: an IPv6 IP client is counted
 * per network (!count6=) unless its own line or a longer prefix says
 * otherwise, as the helper does. */
static void
parsewho(const char *arg, struct ident *w)
{
	struct rule r;
	struct match m;
	uint32_t bits;

	if (ident_fromarg(w, arg) < 0)
		die("out of memory", NULL, 0);
	/* as the helper counts it (without a CDB: as named) */
	if (trydb() == 0 && lookup_canon(&lim, w) < 0)
		die("corrupt limits CDB", cdb, 0);
	if (w->kind != NAME_IP || w->ip.family != AF_INET6 || w->plen >= 0)
		return;
	opendb();
	if (lookup_client(&lim, w, &r, &m) < 0 ||
	    lookup_setting(&lim, RULE_COUNT6KEY, 64, &bits) < 0)
		die("corrupt limits CDB", cdb, 0);
	ident_count6(w, !m.found || m.key[0] == '\0', m.plen, bits);
}

/* The client as shown: its name escaped, a hashed file name as it is. */
static void
display(const struct ident *w, char *out)
{
	if (w->counter[0] == '~')
		memcpy(out, w->counter, strlen(w->counter) + 1);
	else
		strvisx(out, w->norm, w->len, VIS_OCTAL | VIS_CSTYLE | VIS_WHITE);
}

/* Fill a row from a locked counter: its windows, with the policy's own
 * limits, raise and "over". */
static void
fillrow(struct row *rw, struct counter *c, int found)
{
	int i;

	rw->h = c->s;
	rw->found = found;
	rw->usage = 0;
	rw->raised = policy_raised(&c->s, now) != 0;
	rw->banned = (c->s.flags & POL_BANNED) != 0;
	for (i = 0; i < rw->r.nwin; i++) {
		if (counter_window(c, rw->r.win[i].period, now,
		    &rw->count[i]) < 0)
			rw->count[i] = 0;
		rw->limit[i] = policy_limit(&c->s, &rw->r, i, now);
		if ((double)rw->count[i] / rw->limit[i] > rw->usage)
			rw->usage = (double)rw->count[i] / rw->limit[i];
	}
	rw->over = policy_over(&c->s, &rw->r, rw->count, now);
}

/* The rule of the counter w, telling trace about every key tried. */
static int
lookup(const struct ident *w, struct rule *r, char *matched,
    lookup_tracefn trace, void *arg)
{
	struct match m;
	int rc;

	if ((rc = lookup_counter(&lim, w, r, &m, trace, arg)) < 0)
		die("corrupt limits CDB", cdb, 0);
	strlcpy(matched, w->file == NAME_FSERVER ? "*" : m.key,
	    NAME_ENCMAX + 2);
	return rc;
}

/* Read one client into rw. 0 ok, 1 no such client, -1 error (printed). */
static int
readrow(const struct ident *w, struct row *rw)
{
	struct counter c;
	int rc;

	strlcpy(rw->enc, w->counter, sizeof(rw->enc));
	display(w, rw->disp);
	rc = lookup(w, &rw->r, rw->matched, NULL, NULL);
	switch (counter_lock(&st, w->counter, 0, &c)) {
	case 1:
		return 1;
	case -1:
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, w->counter, c.err);
		return -1;
	}
	fillrow(rw, &c, rc);
	counter_unlock(&c);
	return 0;
}

static void
fmttime(int64_t t, char *buf, size_t sz)
{
	prog_fmttime(t, buf, sz);
}

static const char *
rulename(const struct row *rw)
{
	return !rw->found ? "none" : rw->matched[0] == '\0' ? "default" :
	    rw->matched;
}

static const char *
state(const struct row *rw)
{
	return rw->banned ? "banned" : rw->over ? "over" : rw->raised ?
	    "raised" : "ok";
}

/* "57/200/1h,311/1000/1d" (TSV) or "1h 57/200  1d 311/1000" (table) */
static void
windows(const struct row *rw, char *buf, size_t sz, int table)
{
	char per[16];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	if (rw->r.nwin == 0)
		snprintf(buf, sz, table ? "unlimited" : "");
	for (i = 0; i < rw->r.nwin && o < sz; i++) {
		rule_fmtperiod(rw->r.win[i].period, per, sizeof(per));
		if (table)
			o += (size_t)snprintf(buf + o, sz - o, "%s%s %llu/%lu",
			    i ? "  " : "", per[0] ? per : "total",
			    (unsigned long long)rw->count[i],
			    (unsigned long)rw->limit[i]);
		else
			o += (size_t)snprintf(buf + o, sz - o, "%s%s=%llu/%lu",
			    i ? "," : "", per[0] ? per : "total",
			    (unsigned long long)rw->count[i],
			    (unsigned long)rw->limit[i]);
	}
}

static void
jsonstr(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
printrow(const struct row *rw, int first)
{
	char w[512], la[32], lr[32], ru[32], per[16];
	int i;

	windows(rw, w, sizeof(w), fmt == TABLE);
	fmttime(rw->h.last_accept, la, sizeof(la));
	fmttime(rw->h.last_refuse, lr, sizeof(lr));
	fmttime(rw->h.raise_until, ru, sizeof(ru));
	switch (fmt) {
	case TABLE:
		printf("%-32s %-6s %8llu %7llu  %-20s  %-18s %s%s\n", rw->disp,
		    state(rw), (unsigned long long)rw->h.total,
		    (unsigned long long)rw->h.refused, la, rulename(rw), w,
		    rw->raised ? "  (raised)" : "");
		break;
	case TSV:
		printf("%s\t%s\t%s\t%lu\t%llu\t%llu\t%s\t%s\t%s\n", rw->disp,
		    state(rw), rulename(rw), rw->found ? rw->r.line : 0,
		    (unsigned long long)rw->h.total,
		    (unsigned long long)rw->h.refused, la, lr, w);
		break;
	case JSON:
		printf("%s{\"client\":", first ? "" : ",\n");
		jsonstr(rw->disp);
		printf(",\"file\":");
		jsonstr(rw->enc);
		printf(",\"state\":\"%s\",\"rule\":", state(rw));
		jsonstr(rulename(rw));
		printf(",\"line\":%lu,\"total\":%llu,\"refused\":%llu,"
		    "\"last_accept\":\"%s\",\"last_refuse\":\"%s\","
		    "\"raise_factor\":%lu,\"raise_until\":\"%s\",\"windows\":[",
		    rw->found ? rw->r.line : 0, (unsigned long long)rw->h.total,
		    (unsigned long long)rw->h.refused, la, lr,
		    rw->raised ? (unsigned long)rw->h.raise_factor : 1UL,
		    rw->raised ? ru : "-");
		for (i = 0; i < rw->r.nwin; i++) {
			rule_fmtperiod(rw->r.win[i].period, per, sizeof(per));
			printf("%s{\"period\":\"%s\",\"seconds\":%lu,"
			    "\"count\":%llu,\"limit\":%lu}", i ? "," : "",
			    per[0] ? per : "total",
			    (unsigned long)rw->r.win[i].period,
			    (unsigned long long)rw->count[i],
			    (unsigned long)rw->limit[i]);
		}
		printf("]}");
		break;
	}
}

static void
header(void)
{
	if (fmt == TABLE)
		printf("%-32s %-6s %8s %7s  %-20s  %-18s %s\n", "CLIENT",
		    "STATE", "TOTAL", "REFUSED", "LAST SENT", "RULE",
		    "WINDOWS (count/limit)");
	else if (fmt == TSV)
		printf("client\tstate\trule\tline\ttotal\trefused\tlast_accept"
		    "\tlast_refuse\twindows\n");
	else
		printf("[");
}

static void
footer(int n)
{
	if (fmt == JSON)
		printf("%s]\n", n ? "\n" : "");
}

/* Every client file, read into a malloc'd array. */
static struct row *
readall(size_t *np, unsigned long *errs)
{
	struct row *rows = NULL, *p;
	struct dirent *d;
	struct ident w;
	size_t n = 0, cap = 0;
	DIR *dp = NULL;
	int fd, rc;

	*errs = 0;
	if ((fd = dup(st.dirfd)) < 0 || (dp = fdopendir(fd)) == NULL)
		die("unable to read", dir, errno);
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || !name_isfile(d->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((p = reallocarray(rows, cap, sizeof(*rows))) == NULL)
				die("out of memory", NULL, 0);
			rows = p;
		}
		if (ident_fromfile(&w, d->d_name) < 0)
			continue;
		rc = readrow(&w, &rows[n]);
		ident_free(&w);
		switch (rc) {
		case 0:
			n++;
			break;
		case -1:
			(*errs)++;
			break;
		}
	}
	if (errno != 0)
		die("unable to read", dir, errno);
	closedir(dp);
	*np = n;
	return rows;
}

static int
byusage(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->banned != y->banned)
		return y->banned - x->banned;
	if (x->usage != y->usage)
		return x->usage < y->usage ? 1 : -1;
	if (x->h.total != y->h.total)
		return x->h.total < y->h.total ? 1 : -1;
	return strcmp(x->enc, y->enc);
}

static int
cmd_list(int argc, char **argv)
{
	struct row *rows;
	size_t n, i;
	unsigned long errs;
	int onlyover = 0, onlybanned = 0, shown = 0;

	if (argc > 2)
		usage();
	if (argc > 1 && strcmp(argv[1], "over") == 0)
		onlyover = 1;
	else if (argc > 1 && strcmp(argv[1], "banned") == 0)
		onlybanned = 1;
	else if (argc > 1)
		usage();
	opendb();
	openstore();
	rows = readall(&n, &errs);
	if (n > 0)
		qsort(rows, n, sizeof(*rows), byusage);
	header();
	for (i = 0; i < n; i++)
		if ((!onlyover || rows[i].over || rows[i].banned) &&
		    (!onlybanned || rows[i].banned))
			printrow(&rows[i], shown++ == 0);
	footer(shown);
	free(rows);
	return errs ? 111 : 0;
}

static int
cmd_show(int argc, char **argv)
{
	struct row rw;
	static struct ident w;	/* static: reachable at exit */
	char t[32];
	int rc;

	if (argc != 2)
		usage();
	opendb();
	openstore();
	parsewho(argv[1], &w);
	if ((rc = readrow(&w, &rw)) < 0)
		return 111;
	if (rc == 1) {
		fprintf(stderr, PROG ": %s: no counter file (nothing sent "
		    "since the last reset)\n", rw.disp);
		return 1;
	}
	if (fmt != TABLE) {
		header();
		printrow(&rw, 1);
		footer(1);
		return 0;
	}
	printf("client       %s\n", rw.disp);
	printf("file         %s/%s\n", dir, rw.enc);
	printf("rule         %s", rulename(&rw));
	if (rw.found)
		printf(" (line %lu)", rw.r.line);
	printf("\nstate        %s\n", state(&rw));
	{
		char w2[512];

		windows(&rw, w2, sizeof(w2), 1);
		printf("windows      %s\n", w2);
	}
	printf("total        %llu since the last reset\n",
	    (unsigned long long)rw.h.total);
	printf("refused      %llu since the last reset\n",
	    (unsigned long long)rw.h.refused);
	printf("notified     %lu events since the last reset\n",
	    (unsigned long)rw.h.notified);
	fmttime(rw.h.last_accept, t, sizeof(t));
	printf("last sent    %s\n", t);
	fmttime(rw.h.last_refuse, t, sizeof(t));
	printf("last refused %s\n", t);
	fmttime(rw.h.reset, t, sizeof(t));
	printf("counting since %s\n", t);
	if (rw.banned) {
		fmttime(rw.h.ban_since, t, sizeof(t));
		printf("banned       since %s (overlimitctl reset lifts it)\n", t);
	}
	if (rw.raised) {
		fmttime(rw.h.raise_until, t, sizeof(t));
		printf("raised       x%lu until %s\n",
		    (unsigned long)rw.h.raise_factor, t);
	}
	if (rw.r.dormant && rw.h.warm_until > (int64_t)now) {
		fmttime(rw.h.warm_until, t, sizeof(t));
		printf("warm-up      %lu/%lu until %s (it had been dormant)\n",
		    (unsigned long)rw.h.warm_count,
		    (unsigned long)rw.r.warmn, t);
	}
	return 0;
}

static void
explainstep(void *arg, const char *what, const char *key, int found,
    const struct rule *r)
{
	char v[RULE_VALMAX];

	(void)arg;
	printf("  %-8s %-40s ", what, key[0] ? key : "(empty key)");
	if (!found) {
		printf("no line\n");
		return;
	}
	rule_fmtvalue(r, v, sizeof(v));
	printf("line %lu  ->  applies\n", r->line);
}

static void
deststep(void *arg, const char *what, const char *key, unsigned long line,
    int action)
{
	char disp[4 * DEST_PATMAX + 1];
	int set = what[0] != '@' && strcmp(what, "address") != 0 &&
	    strcmp(what, "wildcard") != 0;

	(void)arg;
	strvisx(disp, key, strnlen(key, DEST_PATMAX), VIS_OCTAL | VIS_CSTYLE |
	    VIS_WHITE);
	if (set)
		printf("  set %-9s %-36s %s", what, key[0] ? disp :
		    "(everyone)", line ? "" : "no set\n");
	else
		printf("    %-11s %-36s ", what, disp);
	if (set && line)
		printf("set from line %lu  ->  applies\n", line);
	else if (!set && line)
		printf("line %lu %s\n", line, action == DEST_DENY ? "deny" :
		    "allow");
	else if (!set)
		printf("no match\n");
}

/* The destination rules for the client w and recipient rcpt. */
static int
explaindest(const struct ident *w, const char *rcpt)
{
	char disp[4 * 256 + 4], m[NAME_ENCMAX + 2];
	struct dest d;
	int rc;

	strvisx(disp, rcpt, strnlen(rcpt, 256), VIS_OCTAL | VIS_CSTYLE |
	    VIS_WHITE);
	printf("destination %s%s:\n", disp, strlen(rcpt) > 256 ? "..." : "");
	if (!(lim.features & LOOKUP_FDEST)) {
		printf("result: allowed: the control file has no destination "
		    "rules\n");
		return 0;
	}
	if ((rc = lookup_exempt(&lim, rcpt, strlen(rcpt), m, sizeof(m))) < 0)
		die("corrupt limits CDB", cdb, 0);
	if (rc == 1) {
		printf("result: allowed: an exempt destination (>%s), never "
		    "denied\n", m);
		return 0;
	}
	printf("sets, most specific first; then the patterns of the first "
	    "that exists:\n");
	if (dest_lookup(&lim, w, rcpt, strlen(rcpt), &d, deststep, NULL) < 0)
		die("corrupt limits CDB", cdb, 0);
	if (!d.set)
		printf("result: allowed: no destination set for this client\n");
	else if (d.line == 0)
		printf("result: allowed: no pattern of the set of %s matches "
		    "(its default)\n", d.setkey[0] ? d.setkey : "everyone");
	else
		printf("result: %s by line %lu (the set of %s)%s\n",
		    d.action == DEST_DENY ? "denied" : "allowed", d.line,
		    d.setkey[0] ? d.setkey : "everyone",
		    d.action == DEST_DENY && d.dryrun ? ", a dry run" : "");
	return 0;
}

static int
cmd_explain(int argc, char **argv)
{
	static struct ident w;	/* static: reachable at exit */
	struct rule r;
	char matched[NAME_ENCMAX + 2], disp[4 * NAME_ENCMAX + 1], per[16];
	int rc, i;

	if (argc != 2 && argc != 3)
		usage();
	opendb();
	parsewho(argv[1], &w);
	display(&w, disp);
	if (argc == 3 && w.file != NAME_FCLIENT)
		usage();
	printf("client %s: %s, counter file %s\n", disp,
	    w.file == NAME_FSERVER ? "the server-wide cap (the * line)" :
	    w.file == NAME_FPOOL ? "a domain pool (pool= of its @domain line)" :
	    w.kind == NAME_IP ? "an IP client (no SMTP auth)" :
	    "an SMTP-auth user", w.counter);
	printf("lookup, most specific first:\n");
	rc = lookup(&w, &r, matched, explainstep, NULL);
	if (rc == 0) {
		printf("result: no line matches: unlimited (counted, never "
		    "refused)\n");
		return argc == 3 ? explaindest(&w, argv[2]) : 0;
	}
	printf("result: line %lu: ", r.line);
	if (r.nwin == 0)
		printf("0 = unlimited");
	for (i = 0; i < r.nwin; i++) {
		rule_fmtperiod(r.win[i].period, per, sizeof(per));
		if (r.win[i].period)
			printf("%s%lu in any %s", i ? ", " : "",
			    (unsigned long)r.win[i].limit, per);
		else
			printf("%s%lu until the next reset", i ? ", " : "",
			    (unsigned long)r.win[i].limit);
	}
	printf("\n");
	rule_describe(&r, stdout);
	return argc == 3 ? explaindest(&w, argv[2]) : 0;
}

static int
cmd_reset(int argc, char **argv)
{
	static struct ident w;	/* static: reachable at exit */
	struct counter c;
	char disp[4 * NAME_ENCMAX + 1], side[NAME_ENCMAX + 3];
	struct stat sb;
	int rc, banned;

	if (argc != 2)
		usage();
	openstore();
	parsewho(argv[1], &w);
	display(&w, disp);
	snprintf(side, sizeof(side), "%s%s", w.counter, SIDE_SUFFIX);
	if ((rc = counter_lock(&st, w.counter, 0, &c)) == 1) {
		/* only a side file left (networks seen, mass messages):
		 * lock the client as the helper would, creating it */
		if (fstatat(st.dirfd, side, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			fprintf(stderr, PROG ": %s: no counter file\n", disp);
			return 1;
		}
		rc = counter_lock(&st, w.counter, 1, &c);
	}
	banned = rc == 0 && (c.s.flags & POL_BANNED);
	/* the side file first: a helper that comes next must find neither */
	if (rc == 0 && unlinkat(st.dirfd, side, 0) < 0 && errno != ENOENT) {
		fprintf(stderr, PROG ": %s/%s: remove: %s\n", dir, side,
		    strerror(errno));
		counter_unlock(&c);
		return 111;
	}
	if (rc < 0 || counter_reset(&st, &c, now) < 0) {
		fprintf(stderr, PROG ": %s\n", c.err);
		counter_unlock(&c);
		return 111;
	}
	counter_unlock(&c);
	printf("%s: counters reset%s\n", disp, banned ? ", ban lifted" : "");
	return 0;
}

/* "+3d", "+12h", "+90m", "2026-12-24", "2026-12-24T18:00" (UTC) */
static int
parseuntil(const char *s, time_t *t)
{
	struct tm tm, back;
	char *end;
	long n;
	int y, mo, d, h = 0, mi = 0;
	size_t sl = strlen(s);

	if (s[0] == '+') {
		errno = 0;
		n = strtol(s + 1, &end, 10);
		if (errno || n <= 0 || end == s + 1 || end[0] == '\0' ||
		    end[1] != '\0' || n > 366 * 24 * 60)
			return -1;
		switch (*end) {
		case 'm': *t = now + n * 60; return 0;
		case 'h': *t = now + n * 3600; return 0;
		case 'd': *t = now + n * 86400; return 0;
		}
		return -1;
	}
	/* YYYY-MM-DD or YYYY-MM-DDTHH:MM, digits checked one by one */
	if ((sl != 10 && !(sl == 16 && s[10] == 'T' && s[13] == ':')) ||
	    s[4] != '-' || s[7] != '-')
		return -1;
	for (n = 0; n < (long)sl; n++)
		if (n != 4 && n != 7 && n != 10 && n != 13 &&
		    (s[n] < '0' || s[n] > '9'))
			return -1;
#define D2(p)	((s[p] - '0') * 10 + (s[(p) + 1] - '0'))
	y = D2(0) * 100 + D2(2);
	mo = D2(5);
	d = D2(8);
	if (sl == 16) {
		h = D2(11);
		mi = D2(14);
	}
#undef D2
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	*t = timegm(&tm);
	if (gmtime_r(t, &back) == NULL || back.tm_mday != d ||
	    back.tm_mon != mo - 1 || back.tm_hour != h || back.tm_min != mi)
		return -1;			/* 2026-02-30, 25:00 */
	return *t > now ? 0 : -1;
}

static int
cmd_raise(int argc, char **argv)
{
	static struct ident w;	/* static: reachable at exit */
	struct counter c;
	char disp[4 * NAME_ENCMAX + 1], t[32], *end;
	unsigned long factor;
	time_t until;

	if (argc != 4)
		usage();
	errno = 0;
	factor = strtoul(argv[2][0] == 'x' ? argv[2] + 1 : argv[2], &end, 10);
	if (errno || *end != '\0' || factor < 2 || factor > 1000) {
		fprintf(stderr, PROG ": FACTOR must be a whole number from 2 "
		    "to 1000 (e.g. 10 or x10)\n");
		return 100;
	}
	now = time(NULL);
	if (parseuntil(argv[3], &until) < 0) {
		fprintf(stderr, PROG ": UNTIL must be in the future: +3d, "
		    "+12h, +90m, 2026-12-24 or 2026-12-24T18:00 (UTC)\n");
		return 100;
	}
	openstore();
	parsewho(argv[1], &w);
	display(&w, disp);
	if (counter_lock(&st, w.counter, 1, &c) < 0 ||
	    (policy_raise(&c.s, (uint32_t)factor, until, now),
	    counter_commit(&c)) < 0) {
		fprintf(stderr, PROG ": %s\n", c.err);
		counter_unlock(&c);
		return 111;
	}
	counter_unlock(&c);
	fmttime(until, t, sizeof(t));
	printf("%s: limits x%lu until %s\n", disp, factor, t);
	return 0;
}

/* A tally of the helper's (tally.h); 0 for none, or one that is not a
 * plain file. */
static long long
tallyof(const char *name)
{
	int64_t n = tally_get(st.dirfd, name);

	return n > 0 ? (long long)n : 0;
}

/* Prometheus node_exporter textfile, written atomically. */
static int
cmd_metrics(int argc, char **argv)
{
	struct row *rows;
	size_t n, i;
	unsigned long errs, over = 0, raised = 0, banned = 0, notified = 0;
	unsigned long aggover = 0;
	size_t nclients = 0;
	unsigned long long total = 0, refused = 0;
	char tmp[4096];
	FILE *f = stdout;
	int fd = -1;

	if (argc > 2)
		usage();
	opendb();
	openstore();
	rows = readall(&n, &errs);
	for (i = 0; i < n; i++) {
		/* the pools and the server cap are not clients: their counts
		 * are the clients' again */
		if (name_isfile(rows[i].enc) != NAME_FCLIENT) {
			aggover += (unsigned long)rows[i].over;
			continue;
		}
		nclients++;
		total += rows[i].h.total;
		refused += rows[i].h.refused;
		over += (unsigned long)rows[i].over;
		raised += (unsigned long)rows[i].raised;
		banned += (unsigned long)rows[i].banned;
		notified += rows[i].h.notified;
	}
	free(rows);
	if (argc == 2) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", argv[1],
		    (long)getpid()) >= (int)sizeof(tmp))
			die("name too long:", argv[1], 0);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
		    0644)) < 0 || (f = fdopen(fd, "w")) == NULL)
			die("unable to create", tmp, errno);
	}
	fprintf(f,
	    "# HELP rcptcheck_overlimit_clients Clients with a counter file.\n"
	    "# TYPE rcptcheck_overlimit_clients gauge\n"
	    "rcptcheck_overlimit_clients %zu\n"
	    "# HELP rcptcheck_overlimit_clients_over_limit Clients at or over "
	    "a limit now.\n"
	    "# TYPE rcptcheck_overlimit_clients_over_limit gauge\n"
	    "rcptcheck_overlimit_clients_over_limit %lu\n"
	    "# HELP rcptcheck_overlimit_clients_raised Clients with a "
	    "temporary raise in force.\n"
	    "# TYPE rcptcheck_overlimit_clients_raised gauge\n"
	    "rcptcheck_overlimit_clients_raised %lu\n"
	    "# HELP rcptcheck_overlimit_clients_banned Clients banned until an "
	    "admin resets them.\n"
	    "# TYPE rcptcheck_overlimit_clients_banned gauge\n"
	    "rcptcheck_overlimit_clients_banned %lu\n"
	    "# HELP rcptcheck_overlimit_aggregates_over_limit Domain pools "
	    "and the server cap at or over a limit now.\n"
	    "# TYPE rcptcheck_overlimit_aggregates_over_limit gauge\n"
	    "rcptcheck_overlimit_aggregates_over_limit %lu\n"
	    "# HELP rcptcheck_overlimit_recipients Recipients since each "
	    "client's last reset, by verdict.\n"
	    "# TYPE rcptcheck_overlimit_recipients gauge\n"
	    "rcptcheck_overlimit_recipients{verdict=\"accepted\"} %llu\n"
	    "rcptcheck_overlimit_recipients{verdict=\"refused\"} %llu\n"
	    "# HELP rcptcheck_overlimit_notifications Events (warn, over, ban) "
	    "notified since each client's last reset.\n"
	    "# TYPE rcptcheck_overlimit_notifications gauge\n"
	    "rcptcheck_overlimit_notifications %lu\n"
	    "# HELP rcptcheck_overlimit_store_errors Counter files that could "
	    "not be read.\n"
	    "# TYPE rcptcheck_overlimit_store_errors gauge\n"
	    "rcptcheck_overlimit_store_errors %lu\n"
	    "# HELP rcptcheck_overlimit_errors_total Recipients the helper "
	    "accepted (or deferred) because of an error (OVERLIMIT_ONERROR); "
	    "the log's error= lines say why.\n"
	    "# TYPE rcptcheck_overlimit_errors_total counter\n"
	    "rcptcheck_overlimit_errors_total{verdict=\"accept\"} %lld\n"
	    "rcptcheck_overlimit_errors_total{verdict=\"defer\"} %lld\n"
	    "# HELP rcptcheck_overlimit_no_rcptcount_total Recipients under "
	    "msg= or mass= without qmail-smtpd's SMTPRCPTCOUNT (those "
	    "options did nothing).\n"
	    "# TYPE rcptcheck_overlimit_no_rcptcount_total counter\n"
	    "rcptcheck_overlimit_no_rcptcount_total %lld\n"
	    "# HELP rcptcheck_overlimit_scrape_time Unix time of this report.\n"
	    "# TYPE rcptcheck_overlimit_scrape_time gauge\n"
	    "rcptcheck_overlimit_scrape_time %lld\n",
	    nclients, over, raised, banned, aggover, total, refused, notified,
	    errs, tallyof(TALLY_ACCEPT), tallyof(TALLY_DEFER),
	    tallyof(TALLY_NOCOUNT), (long long)now);
	if (argc == 2) {
		if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0 ||
		    rename(tmp, argv[1]) < 0) {
			unlink(tmp);
			die("unable to write", argv[1], errno);
		}
	}
	return errs ? 111 : 0;
}

/* Become user (root only; anyone may check as himself). */
static void
become(const struct passwd *pw)
{
	if (pw->pw_uid == geteuid())
		return;
	if (geteuid() != 0)
		prog_die(100, "only root can check as another user:",
		    pw->pw_name, 0);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0 ||
	    getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
		die("unable to become", pw->pw_name, errno);
}

/* Would the helper work, run as the smtpd user with this environment? */
static int
cmd_check(int argc, char **argv)
{
	struct selfcheck sc;
	const char *user = NULL;
	struct passwd *pw;
	struct group *gr;
	char uname[64], gname[64];
	int i;

	memset(&sc, 0, sizeof(sc));
	sc.smtpd = QMAIL_SMTPD;
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "-u") == 0)
			user = argv[i + 1];
		else if (strcmp(argv[i], "-s") == 0)
			sc.smtpd = argv[i + 1];
		else
			usage();
	}
	/* root checks as the smtpd user: root would pass every permission */
	if (user == NULL && geteuid() == 0)
		user = SMTPD_USER;
	errno = 0;
	if ((pw = user ? getpwnam(user) : getpwuid(geteuid())) == NULL)
		die(user ? "no such user:" : "who am I? uid", user ? user :
		    "unknown", errno);
	if ((gr = getgrgid(pw->pw_gid)) != NULL)
		strlcpy(gname, gr->gr_name, sizeof(gname));
	else
		snprintf(gname, sizeof(gname), "%lu", (unsigned long)pw->pw_gid);
	strlcpy(uname, pw->pw_name, sizeof(uname));
	become(pw);
	sc.user = uname;
	sc.group = gname;
	sc.dir = dir;
	sc.cdb = cdb;
	sc.notify = prog_env("OVERLIMIT_NOTIFY", NULL);
	sc.now = now;
	sc.out = stdout;
	printf("checking as %s (uid %lu, gid %lu): OVERLIMIT_DIR=%s "
	    "OVERLIMIT_CDB=%s\n", sc.user, (unsigned long)getuid(),
	    (unsigned long)getgid(), dir, cdb);
	if (selfcheck(&sc) == 0) {
		printf("the helper would work as %s (%u warnings)\n", sc.user,
		    sc.warnings);
		return 0;
	}
	printf("%u problem%s: fix, then check again\n", sc.problems,
	    sc.problems == 1 ? "" : "s");
	return 1;
}

int
main(int argc, char **argv)
{
	int c, n;

	prog_init(PROG);
	prog_onbus();
	/* the options before the command only (GNU getopt would take a
	 * command's own, check -u, as ours) */
	for (n = 1; n < argc && argv[n][0] == '-' && argv[n][1] != '\0'; n++)
		if (strcmp(argv[n], "-o") == 0)
			n++;
		else if (strcmp(argv[n], "--") == 0)
			break;
	if (n > argc)
		n = argc;
	while ((c = getopt(n, argv, "o:")) != -1) {
		if (c != 'o')
			usage();
		if (strcmp(optarg, "table") == 0)
			fmt = TABLE;
		else if (strcmp(optarg, "tsv") == 0)
			fmt = TSV;
		else if (strcmp(optarg, "json") == 0)
			fmt = JSON;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	dir = prog_env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	cdb = prog_env("OVERLIMIT_CDB", OVERLIMIT_CDB);
	now = time(NULL);
	if (strcmp(argv[0], "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(argv[0], "explain") == 0)
		return cmd_explain(argc, argv);
	if (strcmp(argv[0], "reset") == 0)
		return cmd_reset(argc, argv);
	if (strcmp(argv[0], "raise") == 0)
		return cmd_raise(argc, argv);
	if (strcmp(argv[0], "metrics") == 0)
		return cmd_metrics(argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return cmd_check(argc, argv);
	usage();
	return 100;
}
