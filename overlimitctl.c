/*
 * overlimitctl: the admin command of rcptcheck-overlimit.
 *
 *	overlimitctl [-o table|tsv|json] list [--top N] [over|banned]
 *	overlimitctl [-o table|tsv|json] show CLIENT
 *	overlimitctl explain CLIENT [RECIPIENT]
 *	overlimitctl reset CLIENT
 *	overlimitctl raise CLIENT FACTOR UNTIL
 *	overlimitctl metrics [FILE]
 *	overlimitctl migrate [back]
 *	overlimitctl check [-u USER] [-s QMAIL-SMTPD]
 *
 * It reads the same store and CDB as the helper (OVERLIMIT_DIR,
 * OVERLIMIT_CDB) and locks each counter file as the helper does, briefly:
 * safe to run while mail flows. With OVERLIMIT_REDIS set, the counters in
 * Redis (SCAN, and the store's own script for each: read-only peeks, the
 * reset, the raise); migrate moves this host's counter files into Redis
 * (back: the other way). See overlimitctl(8).
 * Exit 0 ok, 1 "no such client" (show, reset) or a problem found
 * (check), 100 usage, 111 error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
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
#include "rstore.h"
#include "rule.h"
#include "selfcheck.h"
#include "side.h"
#include "tally.h"

#define PROG	"overlimitctl"
#define LIST_TOPMAX	100000000LL	/* list --top N: at most */

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
static struct rstore rs;
static int redis;		/* OVERLIMIT_REDIS: the counters are there */
static const char *dir, *cdb;
static time_t now;

static void usage(void) __attribute__((noreturn));
static void die(const char *, const char *, int) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr,
	    "usage: " PROG " [-o table|tsv|json] list [--top N] [over|banned]\n"
	    "       " PROG " [-o table|tsv|json] show CLIENT\n"
	    "       " PROG " explain CLIENT [RECIPIENT]\n"
	    "       " PROG " reset CLIENT\n"
	    "       " PROG " raise CLIENT FACTOR UNTIL   (UNTIL: +3d, +12h, "
	    "2026-12-24, 2026-12-24T18:00; UTC)\n"
	    "       " PROG " metrics [FILE]\n"
	    "       " PROG " migrate [back]   (with OVERLIMIT_REDIS)\n"
	    "       " PROG " load             (with OVERLIMIT_REDIS)\n"
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
	if (redis)
		return;
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

/* A counter in Redis, peeked at by the store's script ("show": its
 * state, its windows' counts by Redis's clock). 0, 1 absent, -1 error. */
static int
rreadrow(const struct ident *w, struct row *rw, int found)
{
	struct cstate *h = &rw->h;
	char rule[400];
	const char *args[1] = { rule };
	struct rrep *r;
	size_t i;
	int k;

	rstore_fmtrule(&rw->r, rule, sizeof(rule));
	if (rstore_op(&rs, "show", w->counter, 1, args, &r) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", rw->disp, rs.err);
		return -1;
	}
	for (i = 1; i < r->elements; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			break;
	if (i != r->elements || r->elements != 3 + 16 + 1 +
	    (size_t)rw->r.nwin + 5) {
		rrep_free(r);
		fprintf(stderr, PROG ": %s: unexpected reply\n", rw->disp);
		return -1;
	}
	if (r->element[2]->integer == 0) {
		rrep_free(r);
		return 1;
	}
	memset(h, 0, sizeof(*h));
	for (k = 0; k < 16; k++) {
		int64_t v = r->element[3 + k]->integer;

		switch (k) {
		case 0: h->flags = (uint32_t)v; break;
		case 1: h->total = (uint64_t)v; break;
		case 2: h->refused = (uint64_t)v; break;
		case 3: h->limref = (uint64_t)v; break;
		case 4: h->last_accept = v; break;
		case 5: h->reset = v; break;
		case 6: h->last_refuse = v; break;
		case 7: h->raise_until = v; break;
		case 8: h->raise_factor = (uint32_t)v; break;
		case 9: h->ban_since = v; break;
		case 10: h->notified = (uint32_t)v; break;
		case 11: h->warm_until = v; break;
		case 12: h->warm_count = (uint32_t)v; break;
		case 13: h->keep = (uint32_t)v; break;
		case 14: h->sidekeep = (uint32_t)v; break;
		default: h->hflags = (uint32_t)v; break;
		}
	}
	now = (time_t)r->element[1]->integer;	/* Redis's clock */
	rw->found = found;
	rw->usage = 0;
	rw->raised = policy_raised(h, now) != 0;
	rw->banned = (h->flags & POL_BANNED) != 0;
	for (k = 0; k < rw->r.nwin; k++) {
		rw->count[k] = (uint64_t)r->element[20 + k]->integer;
		rw->limit[k] = policy_limit(h, &rw->r, k, now);
		if ((double)rw->count[k] / rw->limit[k] > rw->usage)
			rw->usage = (double)rw->count[k] / rw->limit[k];
	}
	rw->over = policy_over(h, &rw->r, rw->count, now);
	rrep_free(r);
	return 0;
}

/* Read one client into rw; its name as shown too when disp (else the
 * file name stands for it, in messages). 0 ok, 1 no such client, -1
 * error (printed). */
static int
readrow(const struct ident *w, struct row *rw, int disp)
{
	struct counter c;
	int rc;

	strlcpy(rw->enc, w->counter, sizeof(rw->enc));
	if (disp)
		display(w, rw->disp);
	else
		strlcpy(rw->disp, w->counter, sizeof(rw->disp));
	rc = lookup(w, &rw->r, rw->matched, NULL, NULL);
	if (redis)
		return rreadrow(w, rw, rc);
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

/* ------------------------------------------------------------ the walk */

/* Names kept in blocks that never move (the Redis store's names, list's
 * sort keys): a name costs its bytes and no allocation of its own. */
#define ARENA_BLOCK	65536

struct arena {
	char	*block;		/* the newest block (its first bytes:
				 * the one before) */
	size_t	used;
};

static char *
arena_add(struct arena *a, const char *s)
{
	size_t l = strlen(s) + 1;
	char *b;

	if (a->block == NULL || a->used + l > ARENA_BLOCK) {
		if ((b = malloc(ARENA_BLOCK)) == NULL)
			die("out of memory", NULL, 0);
		memcpy(b, &a->block, sizeof(a->block));
		a->block = b;
		a->used = sizeof(a->block);
	}
	memcpy(a->block + a->used, s, l);
	a->used += l;
	return a->block + a->used - l;
}

static void
arena_free(struct arena *a)
{
	char *b;

	while ((b = a->block) != NULL) {
		memcpy(&a->block, b, sizeof(a->block));
		free(b);
	}
	a->used = 0;
}

/* The names of the counters in Redis, sorted, each once. */
struct names {
	struct arena	a;
	char		**v;
	size_t		n, cap;
};

static int
addname(void *arg, const char *name)
{
	struct names *nm = arg;
	char **p;

	if (!name_isfile(name))
		return 0;
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap + nm->cap / 2 : 1024;
		if ((p = reallocarray(nm->v, nm->cap, sizeof(*p))) == NULL)
			die("out of memory", NULL, 0);
		nm->v = p;
	}
	nm->v[nm->n++] = arena_add(&nm->a, name);
	return 0;
}

static int
bystr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
rnames(struct names *nm)
{
	size_t i, j;

	memset(nm, 0, sizeof(*nm));
	if (rstore_each(&rs, addname, nm) < 0)
		die(rs.err, NULL, 0);
	if (nm->n > 0)
		qsort(nm->v, nm->n, sizeof(*nm->v), bystr);
	for (i = j = 0; i < nm->n; i++)		/* SCAN may repeat one */
		if (j == 0 || strcmp(nm->v[j - 1], nm->v[i]) != 0)
			nm->v[j++] = nm->v[i];
	nm->n = j;
}

static void
namesfree(struct names *nm)
{
	arena_free(&nm->a);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* What is done with each client's row. */
typedef void	(*rowfn)(void *, const struct row *);

/* The counter name read into rw and handed to fn; a name that is no
 * client's is passed over, one that has gone meanwhile too. 1 read, 0
 * not, -1 error (reported). */
static int
readname(const char *name, struct row *rw, int disp)
{
	struct ident w;
	int rc;

	if (ident_fromfile(&w, name) < 0)
		return 0;
	rc = readrow(&w, rw, disp);
	ident_free(&w);
	return rc < 0 ? -1 : rc == 0;
}

/* fn for every counter, one after the other in one row: the memory does
 * not grow with their number (the file store: the directory as readdir
 * gives it; Redis: the names SCAN gives, sorted, each once, which are
 * kept). disp: the rows' names as shown (else the file name). Returns
 * how many could not be read (each reported). */
static unsigned long
eachrow(int disp, rowfn fn, void *arg)
{
	struct row rw;
	struct names nm;
	struct dirent *d;
	unsigned long errs = 0;
	DIR *dp;
	size_t i;
	int fd, rc;

	if (redis) {
		rnames(&nm);
		for (i = 0; i < nm.n; i++)
			if ((rc = readname(nm.v[i], &rw, disp)) < 0)
				errs++;
			else if (rc > 0)
				fn(arg, &rw);
		namesfree(&nm);
		return errs;
	}
	if ((fd = dup(st.dirfd)) < 0 || (dp = fdopendir(fd)) == NULL)
		die("unable to read", dir, errno);
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || !name_isfile(d->d_name))
			continue;
		if ((rc = readname(d->d_name, &rw, disp)) < 0)
			errs++;
		else if (rc > 0)
			fn(arg, &rw);
	}
	if (errno != 0)
		die("unable to read", dir, errno);
	closedir(dp);
	return errs;
}

/* ------------------------------------------------------------ list */

/* What list orders a client by, and nothing more: banned first, then the
 * fullest window, the most recipients, the name. */
struct key {
	double		usage;
	uint64_t	total;
	char		*name;		/* its counter */
	int		banned;
};

struct listing {
	int		onlyover, onlybanned;
	size_t		top;		/* --top N: N; else 0 */
	struct key	*k;		/* --top: a heap, last at [0] */
	size_t		n, cap;
	struct arena	a;		/* the names (without --top) */
};

static int
bykey(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->banned != y->banned)
		return y->banned - x->banned;
	if (x->usage != y->usage)
		return x->usage < y->usage ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
wanted(const struct listing *ls, const struct row *rw)
{
	return (!ls->onlyover || rw->over || rw->banned) &&
	    (!ls->onlybanned || rw->banned);
}

static void
swapkey(struct key *k, size_t i, size_t j)
{
	struct key t = k[i];

	k[i] = k[j];
	k[j] = t;
}

/* The heap of --top N: every key before (bykey) the one above it. */
static void
siftup(struct key *k, size_t i)
{
	for (; i > 0 && bykey(&k[i], &k[(i - 1) / 2]) > 0; i = (i - 1) / 2)
		swapkey(k, i, (i - 1) / 2);
}

static void
siftdown(struct key *k, size_t n, size_t i)
{
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && bykey(&k[c + 1], &k[c]) > 0)
			c++;
		if (bykey(&k[c], &k[i]) <= 0)
			break;
		swapkey(k, i, c);
		i = c;
	}
}

/* A client's key kept: every one, or with --top N the first N so far
 * (one that comes before the last of them takes its place). */
static void
addkey(void *arg, const struct row *rw)
{
	struct listing *ls = arg;
	struct key nk, *p;
	size_t cap;

	if (!wanted(ls, rw))
		return;
	nk.usage = rw->usage;
	nk.total = rw->h.total;
	nk.banned = rw->banned;
	nk.name = (char *)rw->enc;	/* compared only, until copied */
	if (ls->top > 0 && ls->n == ls->top) {
		if (bykey(&nk, &ls->k[0]) >= 0)
			return;
		free(ls->k[0].name);
		if ((nk.name = strdup(rw->enc)) == NULL)
			die("out of memory", NULL, 0);
		ls->k[0] = nk;
		siftdown(ls->k, ls->n, 0);
		return;
	}
	if (ls->n == ls->cap) {
		cap = ls->cap ? ls->cap + ls->cap / 2 : 1024;
		if (ls->top > 0 && cap > ls->top)
			cap = ls->top;
		if ((p = reallocarray(ls->k, cap, sizeof(*p))) == NULL)
			die("out of memory", NULL, 0);
		ls->k = p;
		ls->cap = cap;
	}
	if (ls->top == 0)
		nk.name = arena_add(&ls->a, rw->enc);
	else if ((nk.name = strdup(rw->enc)) == NULL)
		die("out of memory", NULL, 0);
	ls->k[ls->n] = nk;
	if (ls->top > 0)
		siftup(ls->k, ls->n);
	ls->n++;
}

/* list [--top N] [over|banned]: the keys of every client (or of the first
 * N, in a heap) sorted, then each row read again to be printed; a client
 * gone meanwhile, or no longer over or banned, is left out. */
static int
cmd_list(int argc, char **argv)
{
	struct listing ls;
	struct row rw;
	const char *e;
	size_t i;
	unsigned long errs;
	int shown = 0, rc;

	memset(&ls, 0, sizeof(ls));
	argc--, argv++;
	if (argc >= 1 && strcmp(argv[0], "--top") == 0) {
		if (argc < 2)
			usage();
		ls.top = (size_t)strtonum(argv[1], 1, LIST_TOPMAX, &e);
		if (e != NULL) {
			fprintf(stderr, PROG ": --top N: N is %s: a whole "
			    "number from 1 to %lld\n", e, LIST_TOPMAX);
			usage();
		}
		argc -= 2, argv += 2;
	}
	if (argc > 1)
		usage();
	if (argc == 1 && strcmp(argv[0], "over") == 0)
		ls.onlyover = 1;
	else if (argc == 1 && strcmp(argv[0], "banned") == 0)
		ls.onlybanned = 1;
	else if (argc == 1)
		usage();
	opendb();
	openstore();
	errs = eachrow(0, addkey, &ls);
	if (ls.n > 0)
		qsort(ls.k, ls.n, sizeof(*ls.k), bykey);
	header();
	for (i = 0; i < ls.n; i++) {
		if ((rc = readname(ls.k[i].name, &rw, 1)) < 0)
			errs++;
		else if (rc > 0 && wanted(&ls, &rw))
			printrow(&rw, shown++ == 0);
		if (ls.top > 0)
			free(ls.k[i].name);
	}
	footer(shown);
	arena_free(&ls.a);
	free(ls.k);
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
	if ((rc = readrow(&w, &rw, 1)) < 0)
		return 111;
	if (rc == 1) {
		fprintf(stderr, PROG ": %s: no counter %s (nothing sent "
		    "since the last reset)\n", rw.disp, redis ? "in redis" :
		    "file");
		return 1;
	}
	if (fmt != TABLE) {
		header();
		printrow(&rw, 1);
		footer(1);
		return 0;
	}
	printf("client       %s\n", rw.disp);
	if (redis)
		printf("key          %sh:%s\n", rs.prefix, rw.enc);
	else
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

/* reset in Redis: the script deletes the counter's keys (keeping a raise
 * in force), in one step. */
static int
rreset(const struct ident *w, const char *disp)
{
	static const char *const none[1] = { "" };
	struct rrep *r, *s;
	int banned, n;

	/* whether it was banned: a read-only peek first (nothing of a
	 * helper's decision between the two matters: the reset wins) */
	if (rstore_op(&rs, "show", w->counter, 1, (const char *const[]){
	    "0 0 0 0 0 0 0 0 0 0 0 0" }, &s) < 0)
		die(rs.err, NULL, 0);
	banned = s->elements > 3 && s->element[3]->type == REDIS_REPLY_INTEGER &&
	    (s->element[3]->integer & POL_BANNED);
	rrep_free(s);
	if (rstore_op(&rs, "reset", w->counter, 0, none, &r) < 0)
		die(rs.err, NULL, 0);
	n = r->elements == 3 && r->element[2]->type == REDIS_REPLY_INTEGER ?
	    (int)r->element[2]->integer : 0;
	rrep_free(r);
	if (n == 0) {
		fprintf(stderr, PROG ": %s: no counter in redis\n", disp);
		return 1;
	}
	printf("%s: counters reset%s\n", disp, banned ? ", ban lifted" : "");
	return 0;
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
	if (redis)
		return rreset(&w, disp);
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
	if (redis) {
		char fs[24], us[24], ks[24];
		const char *args[3] = { fs, us, ks };
		struct rrep *r;

		snprintf(fs, sizeof(fs), "%lu", factor);
		snprintf(us, sizeof(us), "%lld", (long long)until);
		snprintf(ks, sizeof(ks), "%ld", rs.keep);
		if (rstore_op(&rs, "raise", w.counter, 3, args, &r) < 0)
			die(rs.err, NULL, 0);
		rrep_free(r);
	} else if (counter_lock(&st, w.counter, 1, &c) < 0 ||
	    (policy_raise(&c.s, (uint32_t)factor, until, now),
	    counter_commit(&c)) < 0) {
		fprintf(stderr, PROG ": %s\n", c.err);
		counter_unlock(&c);
		return 111;
	} else
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
	static int dfd = -1;
	int64_t n;

	/* with Redis, the helpers still count this host's errors in the
	 * counter directory, when there is one */
	if (dfd < 0)
		dfd = redis ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		    st.dirfd;
	if (dfd < 0)
		return 0;
	n = tally_get(dfd, name);
	return n > 0 ? (long long)n : 0;
}

/* What metrics adds up. */
struct sums {
	size_t		clients;
	unsigned long long total, refused;
	unsigned long	over, raised, banned, notified, aggover;
};

static void
addsums(void *arg, const struct row *rw)
{
	struct sums *m = arg;

	/* the pools and the server cap are not clients: their counts are
	 * the clients' again */
	if (name_isfile(rw->enc) != NAME_FCLIENT) {
		m->aggover += (unsigned long)rw->over;
		return;
	}
	m->clients++;
	m->total += rw->h.total;
	m->refused += rw->h.refused;
	m->over += (unsigned long)rw->over;
	m->raised += (unsigned long)rw->raised;
	m->banned += (unsigned long)rw->banned;
	m->notified += rw->h.notified;
}

/* Prometheus node_exporter textfile, written atomically; the sums taken
 * one client at a time (eachrow): constant memory. */
static int
cmd_metrics(int argc, char **argv)
{
	struct sums m;
	unsigned long errs;
	char tmp[4096];
	FILE *f = stdout;
	int fd = -1;

	if (argc > 2)
		usage();
	opendb();
	openstore();
	memset(&m, 0, sizeof(m));
	errs = eachrow(0, addsums, &m);
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
	    m.clients, m.over, m.raised, m.banned, m.aggover, m.total,
	    m.refused, m.notified, errs, tallyof(TALLY_ACCEPT),
	    tallyof(TALLY_DEFER), tallyof(TALLY_NOCOUNT), (long long)now);
	if (argc == 2) {
		if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0 ||
		    rename(tmp, argv[1]) < 0) {
			unlink(tmp);
			die("unable to write", argv[1], errno);
		}
	}
	return errs ? 111 : 0;
}

/* ------------------------------------------------------------ migrate */

/* A growing text. */
struct text {
	char	*s;
	size_t	n, cap;
};

static void
tput(struct text *t, const char *s)
{
	size_t l = strlen(s);
	char *p;

	if (t->n + l + 1 > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		while (t->cap < t->n + l + 1)
			t->cap *= 2;
		if ((p = realloc(t->s, t->cap)) == NULL)
			die("out of memory", NULL, 0);
		t->s = p;
	}
	memcpy(t->s + t->n, s, l + 1);
	t->n += l;
}

static int
recput(void *arg, int64_t t, uint64_t n)
{
	char b[48];

	snprintf(b, sizeof(b), "%lld %llu ", (long long)t,
	    (unsigned long long)n);
	tput(arg, b);
	return 0;
}

/* The store's state fields, in the script's order. */
static void
stateput(struct text *t, const struct cstate *h)
{
	char b[400];

	snprintf(b, sizeof(b), "%lu %llu %llu %llu %lld %lld %lld %lld %lu "
	    "%lld %lu %lld %lu %lu %lu %lu", (unsigned long)h->flags,
	    (unsigned long long)h->total, (unsigned long long)h->refused,
	    (unsigned long long)h->limref, (long long)h->last_accept,
	    (long long)h->reset, (long long)h->last_refuse,
	    (long long)h->raise_until, (unsigned long)h->raise_factor,
	    (long long)h->ban_since, (unsigned long)h->notified,
	    (long long)h->warm_until, (unsigned long)h->warm_count,
	    (unsigned long)h->keep, (unsigned long)h->sidekeep,
	    (unsigned long)h->hflags);
	tput(t, b);
}

/* A side file as the script keeps it (its session on host tag). */
static void
sideput(struct text *t, const char *name, const char *tag)
{
	struct side sd;
	char b[128];
	uint32_t i, j;

	sd.fd = -1;
	if (name_isfile(name) != NAME_FCLIENT ||
	    side_open(&st, name, 0, &sd) != 0 || sd.healed) {
		if (sd.fd >= 0)
			(void)side_close(&sd);
		return;
	}
	snprintf(b, sizeof(b), "1 %s:%lu %lu %lu %lu %lu", tag,
	    (unsigned long)sd.ppid, (unsigned long)sd.lastcount,
	    (unsigned long)sd.lastall, (unsigned long)sd.flags,
	    (unsigned long)sd.nnets);
	tput(t, b);
	for (i = 0; i < sd.nnets; i++) {
		tput(t, " ");
		for (j = 0; j < 16; j++) {
			snprintf(b, sizeof(b), "%02x", sd.net[i].a[j]);
			tput(t, b);
		}
		snprintf(b, sizeof(b), " %lld", (long long)sd.net[i].last);
		tput(t, b);
	}
	snprintf(b, sizeof(b), " %lu", (unsigned long)sd.nmass);
	tput(t, b);
	for (i = 0; i < sd.nmass; i++) {
		snprintf(b, sizeof(b), " %lld", (long long)sd.mass[i]);
		tput(t, b);
	}
	sd.dirty = 0;
	(void)side_close(&sd);
}

/* One counter file of this host added into Redis, once per host (tag). */
static int
migrate1(const char *name, const char *tag, unsigned long *done)
{
	struct text hdr = { NULL, 0, 0 }, recs = { NULL, 0, 0 },
	    side = { NULL, 0, 0 };
	char keep[24];
	const char *args[5];
	struct counter c;
	struct rrep *r;
	int rc = 0;

	if ((rc = counter_lock(&st, name, 0, &c)) != 0) {
		if (rc < 0)
			fprintf(stderr, PROG ": %s/%s: %s\n", dir, name, c.err);
		return rc < 0 ? -1 : 0;
	}
	stateput(&hdr, &c.s);
	tput(&recs, "");
	tput(&side, "");
	if (c.s.keep > 0 && counter_each(&c, (int64_t)now - c.s.keep, recput,
	    &recs) < 0)
		rc = -1;
	sideput(&side, name, tag);
	counter_unlock(&c);
	snprintf(keep, sizeof(keep), "%ld", rs.keep);
	args[0] = tag;
	args[1] = keep;
	args[2] = hdr.s;
	args[3] = recs.s;
	args[4] = side.s;
	if (rc < 0)
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, name, c.err);
	else if (rstore_op(&rs, "merge", name, 5, args, &r) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, rs.err);
		rc = -1;
	} else {
		*done += r->elements == 3 && r->element[2]->integer == 1;
		rrep_free(r);
	}
	free(hdr.s);
	free(recs.s);
	free(side.s);
	return rc;
}

/* This host's name, as the helper's sessions are named. */
static void
tagof(char *tag, size_t sz)
{
	const char *h = prog_env("OVERLIMIT_HOST", NULL);
	char node[256];
	size_t i, j = 0;

	if (h == NULL && gethostname(node, sizeof(node)) == 0)
		node[sizeof(node) - 1] = '\0', h = node;
	for (i = 0; h != NULL && h[i] != '\0' && j + 1 < sz; i++)
		if (isalnum((unsigned char)h[i]) || strchr(".-_", h[i]))
			tag[j++] = h[i];
	if (j == 0)
		tag[j++] = '-';
	tag[j] = '\0';
}

/* back: every counter in Redis written into this host's directory (its
 * state and its records inside its windows), replacing its file. */
static int
back1(const char *name, unsigned long *done)
{
	char key[sizeof(rs.prefix) + NAME_ENCMAX + 4];
	const char *zr[5] = { "ZRANGE", key, "0", "-1", "WITHSCORES" };
	struct rrep *z = NULL;
	struct counter c;
	struct cstate h;
	struct row rw;
	struct ident w;
	uint64_t prev = 0, n;
	size_t i;
	int rc = -1;

	if (ident_fromfile(&w, name) < 0)
		return 0;
	memset(&rw, 0, sizeof(rw));		/* nwin 0: the state alone */
	if ((rc = rreadrow(&w, &rw, 0)) != 0) {
		ident_free(&w);
		return rc > 0 ? 0 : -1;
	}
	ident_free(&w);
	h = rw.h;
	snprintf(key, sizeof(key), "%sr:%s", rs.prefix, name);
	if (rstore_cmd(&rs, 5, zr, &z) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, rs.err);
		return -1;
	}
	if (counter_lock(&st, name, 1, &c) < 0 || counter_reset(&st, &c,
	    now) < 0 || (counter_unlock(&c), counter_lock(&st, name, 1,
	    &c)) < 0)
		goto out;
	c.s = h;
	for (i = 0; i + 1 < z->elements; i += 2) {
		n = strtoull(z->element[i]->str, NULL, 10) - prev;
		prev += n;
		while (n-- > 0)
			if (counter_record(&c, (time_t)strtoll(
			    z->element[i + 1]->str, NULL, 10)) < 0)
				goto out;
	}
	if (counter_commit(&c) == 0) {
		rc = 0;
		(*done)++;
	}
out:
	if (rc < 0)
		fprintf(stderr, PROG ": %s/%s: %s\n", dir, name, c.err);
	counter_unlock(&c);
	rrep_free(z);
	return rc;
}

static int
cmd_migrate(int argc, char **argv)
{
	unsigned long n = 0, done = 0, errs = 0;
	struct names nm;
	struct dirent *d;
	char tag[64];
	DIR *dp;
	size_t i;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "back") != 0))
		usage();
	if (!redis)
		die("migrate: OVERLIMIT_REDIS is not set", NULL, 0);
	if (store_open(&st, dir) < 0)
		die("unable to open", dir, errno);
	if (argc == 2) {
		rnames(&nm);
		for (i = 0; i < nm.n; i++, n++)
			errs += back1(nm.v[i], &done) < 0;
		namesfree(&nm);
		printf("%lu counters in redis, %lu written to %s, %lu errors\n",
		    n, done, dir, errs);
		return errs ? 111 : 0;
	}
	tagof(tag, sizeof(tag));
	if ((dp = fdopendir(dup(st.dirfd))) == NULL)
		die("unable to read", dir, errno);
	while ((errno = 0, d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.' && name_isfile(d->d_name)) {
			n++;
			errs += migrate1(d->d_name, tag, &done) < 0;
		}
	closedir(dp);
	printf("%lu counter files, %lu added to redis as host %s (the others "
	    "were already), %lu errors\n", n, done, tag, errs);
	return errs ? 111 : 0;
}

/* The decision's function library into Redis (FUNCTION LOAD), once per
 * upgrade, on one host: replicated and persisted with the data. */
static int
cmd_load(int argc, char **argv)
{
	int rc;

	(void)argv;
	if (argc != 1)
		usage();
	if (!redis)
		die("load: OVERLIMIT_REDIS is not set", NULL, 0);
	if ((rc = rstore_load(&rs)) < 0)
		die(rs.err, NULL, 0);
	printf("function library %s %s\n", rstore_libname(), rc ?
	    "loaded" : "was loaded already");
	return 0;
}

/* The connection to Redis, closed at exit (no buffer left behind). */
static void
closeredis(void)
{
	rstore_close(&rs);
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

/* With OVERLIMIT_REDIS: its settings, read as the helper reads them (the
 * password file too), and the server reached. */
static void
checkredis(struct selfcheck *sc)
{
	const char *argv[1] = { "TIME" };
	struct rrep *r;

	if (redis)
		rstore_close(&rs);	/* opened before we became the user */
	if (rstore_init(&rs, dir) == 1)
		return;
	redis = 1;
	if (rs.fail != 0 || rstore_cmd(&rs, 1, argv, &r) < 0) {
		selfcheck_say(sc, "FAIL", "%s", rs.err);
		selfcheck_fix(sc, "the OVERLIMIT_REDIS settings "
		    "(rcptcheck-overlimit(8)), the password file readable by "
		    "%s alone, the server and its ACL (INSTALL)", sc->user);
		return;
	}
	rrep_free(r);
	selfcheck_say(sc, "ok", "redis %s", rs.cur.text);
	switch (rstore_haslib(&rs)) {
	case 1:
		selfcheck_say(sc, "ok", "redis function library %s",
		    rstore_libname());
		break;
	case 0:
		selfcheck_say(sc, "warn", "redis: no function library %s, or "
		    "no +fcall for this user: each decision costs a round "
		    "trip and the script's set-up more", rstore_libname());
		selfcheck_fix(sc, "overlimitctl load, with the admin user "
		    "(INSTALL, \"Several servers\")%s", "");
		break;
	default:
		selfcheck_say(sc, "FAIL", "%s", rs.err);
	}
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
	(void)selfcheck(&sc);
	checkredis(&sc);
	if (sc.problems == 0) {
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
	if ((c = rstore_init(&rs, dir)) < 0)
		die(rs.err, NULL, 0);
	redis = (c == 0);
	if (redis && atexit(closeredis) != 0)
		die("atexit", NULL, 0);
	if (strcmp(argv[0], "migrate") == 0)
		return cmd_migrate(argc, argv);
	if (strcmp(argv[0], "load") == 0)
		return cmd_load(argc, argv);
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
