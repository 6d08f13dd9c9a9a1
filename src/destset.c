/*
 * destset.c: destination rules -> CDB keys (destset.h; the keys and
 * values are read by dest.c). Per set "=" + client key: "LINE ID [a] [d]
 * [s=N,...] [w]" (its first line, its number, what kinds of pattern it
 * has, the label counts of its @.domain patterns); per pattern
 * "=#ID>address", "=#ID@domain", "=#ID.domain": "LINE allow" or "LINE
 * deny[ dryrun][ text=HEX]"; "=#ID*": the wildcard patterns, one a line,
 * in line order, each "LINE allow|deny ... PATTERN".
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "dest.h"
#include "destset.h"

void
destset_init(struct destset *d, int errfd)
{
	memset(d, 0, sizeof(*d));
	d->errfd = errfd;
}

int
destset_add(struct destset *d, const struct rulekey *k, const struct rule *r)
{
	struct destpat *p, *e;
	const char *err;
	size_t cap, i;

	if (d->n == d->cap) {
		cap = d->cap ? 2 * d->cap : 256;
		if ((p = reallocarray(d->p, cap, sizeof(*p))) == NULL)
			return -1;
		d->p = p;
		d->cap = cap;
	}
	e = &d->p[d->n];
	memset(e, 0, sizeof(*e));
	e->line = r->line;
	e->family = k->family;
	e->plen = k->plen;
	e->kind = dest_pattern(k->pat, strlen(k->pat), &err);
	e->deny = (r->flags & RULE_DENY) != 0;
	e->dryrun = (r->flags & RULE_DRYRUN) != 0;
	if ((e->set = strdup(k->key)) == NULL ||
	    (e->pat = strdup(k->pat)) == NULL ||
	    (r->text[0] != '\0' && (e->text = strdup(r->text)) == NULL)) {
		free(e->set);
		free(e->pat);
		return -1;
	}
	for (i = 0; e->pat[i] != '\0'; i++)
		if (e->pat[i] >= 'A' && e->pat[i] <= 'Z')
			e->pat[i] = (char)(e->pat[i] - 'A' + 'a');
	d->n++;
	return 0;
}

void
destset_free(struct destset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->p[i].set);
		free(d->p[i].pat);
		free(d->p[i].text);
	}
	free(d->p);
	d->p = NULL;
	d->n = d->cap = 0;
}

static int
byset(const void *a, const void *b)
{
	const struct destpat *x = a, *y = b;
	int c = strcmp(x->set, y->set);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* the index of a set's keyed patterns: by kind, pattern, line */
static int
bykey(const void *a, const void *b)
{
	const struct destpat *x = *(struct destpat *const *)a,
	    *y = *(struct destpat *const *)b;
	int c = x->kind - y->kind;

	if (c == 0)
		c = strcmp(x->pat, y->pat);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static const char *
who(const struct destpat *e)
{
	return e->set[0] ? e->set : "everyone";
}

/* One set's patterns e[0..n) (in line order) and its index ix (by key). */
struct group {
	struct destpat	*e, **ix, **w;
	size_t		n, nix, nw;	/* w: its wildcard patterns and "*" */
	int		errfd;
};

/* The earliest line of kind with the pattern pat: 0 if none. */
static unsigned long
first(const struct group *g, int kind, const char *pat)
{
	size_t lo = 0, hi = g->nix, mid;
	const struct destpat *p;
	int c;

	while (lo < hi) {			/* the first not below it */
		mid = lo + (hi - lo) / 2;
		p = g->ix[mid];
		if ((c = p->kind - kind) == 0)
			c = strcmp(p->pat, pat);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == g->nix)
		return 0;
	p = g->ix[lo];
	return p->kind == kind && strcmp(p->pat, pat) == 0 ? p->line : 0;
}

static void
earlier(unsigned long *best, unsigned long line, unsigned long than)
{
	if (line != 0 && line < than && (*best == 0 || line < *best))
		*best = line;
}

/* The earliest @.domain pattern of g that takes the domain d, before
 * line than (self: d itself is e's own pattern, not counted). */
static unsigned long
subs(const struct group *g, const char *d, int self, unsigned long than)
{
	char pat[DEST_PATMAX + 3];
	unsigned long best = 0;
	const char *p;

	for (p = d; p != NULL; p = (p = strchr(p, '.')) ? p + 1 : NULL) {
		if (self && p == d)
			continue;
		snprintf(pat, sizeof(pat), "@.%s", p);
		earlier(&best, first(g, DESTP_SUB, pat), than);
	}
	return best;
}

/* A wildcard pattern whose local part takes every local part. */
static int
anylocal(const char *pat)
{
	for (; *pat == '*'; pat++)
		;
	return *pat == '@';
}

/* Does the earlier wildcard pattern q take every recipient e takes? An
 * address: q matches it; a domain: q takes every local part and matches
 * it; a domain and its subdomains: q takes every local part and domain;
 * a wildcard: q is the same. */
static int
takes(const struct destpat *q, const struct destpat *e, const char *probe)
{
	const char *qd = strchr(q->pat, '@');

	switch (e->kind) {
	case DESTP_ADDR:
		return dest_match(q->pat, strlen(q->pat), e->pat,
		    strlen(e->pat));
	case DESTP_DOMAIN:
		return anylocal(q->pat) && dest_match(q->pat, strlen(q->pat),
		    probe, strlen(probe));
	case DESTP_SUB:
		return anylocal(q->pat) && qd != NULL &&
		    strspn(qd + 1, "*") == strlen(qd + 1);
	default:
		return strcmp(q->pat, e->pat) == 0;
	}
}

/* The earliest pattern of g before e that takes every recipient e takes
 * (or has e's key: then e is dead, never written): 0 if none found.
 * Exact for addresses; for the others the cases a key or a match tells. */
static unsigned long
shadow(const struct group *g, struct destpat *e)
{
	char probe[DEST_PATMAX + 3];
	const char *at = strchr(e->pat, '@'), *d;
	unsigned long best = 0, dup;
	size_t i;

	d = at == NULL ? e->pat : e->kind == DESTP_SUB ? at + 2 : at + 1;
	if (e->kind == DESTP_ADDR || e->kind == DESTP_DOMAIN ||
	    e->kind == DESTP_SUB) {
		if ((dup = first(g, e->kind, e->pat)) != 0 && dup < e->line) {
			e->dead = 1;
			best = dup;
		}
		snprintf(probe, sizeof(probe), "@%s", d);
		if (e->kind == DESTP_ADDR)
			earlier(&best, first(g, DESTP_DOMAIN, probe), e->line);
		earlier(&best, subs(g, d, e->kind == DESTP_SUB, e->line),
		    e->line);
	}
	snprintf(probe, sizeof(probe), "x@%s", d);
	for (i = 0; i < g->nw && g->w[i]->line < e->line; i++)
		if (g->w[i]->kind == DESTP_WILD && takes(g->w[i], e, probe))
			earlier(&best, g->w[i]->line, e->line);
	return best;
}

/* The warnings of one set (its wildcards within the cap). */
static void
warnings(struct group *g)
{
	unsigned long all = 0, b, allow = 0;
	struct destpat *e;
	size_t i;

	for (i = 0; i < g->nw; i++)
		if (g->w[i]->kind == DESTP_ALL && all == 0)
			all = g->w[i]->line;
	for (i = 0; i < g->n; i++) {
		e = &g->e[i];
		if (!e->deny && allow == 0)
			allow = e->line;
		b = all != 0 && e->line > all ? all : shadow(g, e);
		if (b != 0)
			dprintf(g->errfd, COMPILE_PROG ": warning: line %lu: %s "
			    "never matches: line %lu comes first in the "
			    "destination set of %s\n", e->line, e->pat, b,
			    who(e));
	}
	for (i = 0; all != 0 && i < g->n; i++)
		if (g->e[i].line == all && g->e[i].deny &&
		    (allow == 0 || allow > all))
			dprintf(g->errfd, COMPILE_PROG ": warning: line %lu: "
			    "the destination set of %s allows nothing: only "
			    "exempt destinations (> lines) stay reachable\n",
			    all, who(&g->e[i]));
}

/* One set e[0..n), in line order: 0, or 1 (an error, said). */
static int
group(struct destset *d, struct destpat *e, size_t n)
{
	struct group g;
	size_t i;
	int rc = 0;

	memset(&g, 0, sizeof(g));
	g.e = e;
	g.n = n;
	g.errfd = d->errfd;
	if ((g.ix = calloc(n, sizeof(struct destpat *))) == NULL ||
	    (g.w = calloc(n, sizeof(struct destpat *))) == NULL) {
		dprintf(d->errfd, COMPILE_PROG ": fatal: out of memory\n");
		rc = 1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (e[i].kind == DESTP_WILD || e[i].kind == DESTP_ALL)
			g.w[g.nw++] = &e[i];
		else
			g.ix[g.nix++] = &e[i];
		if (g.nw == DEST_WILDMAX + 1 && rc == 0) {
			dprintf(d->errfd, COMPILE_PROG ": line %lu: more than "
			    "%d patterns with '*' in the destination set of %s "
			    "(an address, @domain or @.domain has a key of its "
			    "own)\n", e[i].line, DEST_WILDMAX, who(&e[i]));
			rc = 1;
		}
	}
	if (rc == 0) {
		if (g.nix > 0)
			qsort(g.ix, g.nix, sizeof(struct destpat *), bykey);
		warnings(&g);
	}
out:
	free(g.ix);
	free(g.w);
	return rc;
}

unsigned long
destset_finish(struct destset *d)
{
	unsigned long errors = 0, id = 0;
	size_t i, j, k;

	if (d->done++)
		return 0;
	if (d->n > 0)
		qsort(d->p, d->n, sizeof(*d->p), byset);
	for (i = 0; i < d->n; i = j) {
		for (j = i + 1; j < d->n && strcmp(d->p[j].set,
		    d->p[i].set) == 0; j++)
			;
		id++;
		for (k = i; k < j; k++)
			d->p[k].id = id;
		errors += (unsigned long)group(d, d->p + i, j - i);
	}
	return errors;
}

/* ------------------------------------------------------------ writing */

static int
put(struct cdb_make *cm, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	return cdb_make_add(cm, k, (unsigned)klen, v, (unsigned)vlen);
}

/* "LINE allow" or "LINE deny[ dryrun][ text=HEX]" into buf: its length. */
static size_t
value(const struct destpat *e, char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t n, i;

	n = (size_t)snprintf(buf, bufsz, "%lu %s%s%s", e->line,
	    e->deny ? "deny" : "allow", e->dryrun ? " dryrun" : "",
	    e->text ? " text=" : "");
	for (i = 0; e->text != NULL && e->text[i] != '\0' && n + 2 < bufsz;
	    i++) {
		buf[n++] = hex[(unsigned char)e->text[i] >> 4];
		buf[n++] = hex[(unsigned char)e->text[i] & 15];
	}
	buf[n] = '\0';
	return n;
}

/* The set e[0..n) (id, line order): its header, keyed patterns, list. */
static int
writeset(struct cdb_make *cm, const struct destpat *e, size_t n)
{
	char key[DEST_PATMAX + 64], val[2 * RULE_TEXTMAX + 64], *list = NULL;
	unsigned char sub[129] = { 0 };
	size_t i, o, ko, lo = 0;
	int a = 0, dm = 0, l;
	const char *p;

	if ((list = malloc(DEST_WILDMAX * (sizeof(val) + DEST_PATMAX + 2) +
	    1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		ko = (size_t)snprintf(key, sizeof(key), DEST_PATPRE "%lu",
		    e[i].id);
		o = value(&e[i], val, sizeof(val));
		if (e[i].kind == DESTP_WILD || e[i].kind == DESTP_ALL) {
			lo += (size_t)sprintf(list + lo, "%s%s %s", lo ? "\n" :
			    "", val, e[i].pat);
			continue;
		}
		if (e[i].dead)
			continue;
		a |= e[i].kind == DESTP_ADDR;
		dm |= e[i].kind == DESTP_DOMAIN;
		if (e[i].kind == DESTP_SUB) {
			for (l = 1, p = e[i].pat + 2; (p = strchr(p, '.')) !=
			    NULL; p++)
				l++;
			sub[l] = 1;
		}
		ko += (size_t)snprintf(key + ko, sizeof(key) - ko, "%c%s",
		    e[i].kind == DESTP_ADDR ? '>' : e[i].kind == DESTP_DOMAIN ?
		    '@' : '.', e[i].pat + (e[i].kind == DESTP_ADDR ? 0 :
		    e[i].kind == DESTP_DOMAIN ? 1 : 2));
		if (put(cm, key, ko, val, o) < 0)
			goto fail;
	}
	if (lo > 0) {
		ko = (size_t)snprintf(key, sizeof(key), DEST_PATPRE "%lu*",
		    e[0].id);
		if (put(cm, key, ko, list, lo) < 0)
			goto fail;
	}
	o = (size_t)snprintf(val, sizeof(val), "%lu %lu%s%s", e[0].line,
	    e[0].id, a ? " a" : "", dm ? " d" : "");
	for (l = 128, p = " s="; l > 0; l--)
		if (sub[l]) {
			o += (size_t)snprintf(val + o, sizeof(val) - o, "%s%d",
			    p, l);
			p = ",";
		}
	o += (size_t)snprintf(val + o, sizeof(val) - o, "%s", lo ? " w" : "");
	ko = (size_t)snprintf(key, sizeof(key), DEST_PRE "%s", e[0].set);
	free(list);
	return put(cm, key, ko, val, o);
fail:
	free(list);
	return -1;
}

/* "=/4", "=/6": the prefix lengths of the IP sets of family, longest
 * first, as lookup_keys reads them. */
static int
plens(const struct destset *d, int family, struct cdb_make *cm)
{
	char seen[129] = { 0 }, list[512];
	size_t i, o = 0;
	int p;

	for (i = 0; i < d->n; i++)
		if (d->p[i].family == family && d->p[i].plen >= 0)
			seen[d->p[i].plen] = 1;
	for (p = 128; p >= 0; p--)
		if (seen[p])
			o += (size_t)snprintf(list + o, sizeof(list) - o,
			    "%s%d", o ? "," : "", p);
	if (o == 0)
		return 0;
	return put(cm, family == AF_INET ? DEST_PRE "/4" : DEST_PRE "/6", 3,
	    list, o);
}

int
destset_write(const struct destset *d, struct cdb_make *cm)
{
	size_t i, j;

	for (i = 0; i < d->n; i = j) {
		for (j = i + 1; j < d->n && d->p[j].id == d->p[i].id; j++)
			;
		if (writeset(cm, d->p + i, j - i) < 0)
			return -1;
	}
	if (plens(d, AF_INET, cm) < 0)
		return -1;
	return plens(d, AF_INET6, cm);
}
