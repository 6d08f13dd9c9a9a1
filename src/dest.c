/*
 * dest.c: destination rules, the helper's side (dest.h): the pattern
 * syntax, the pure matcher, and the decision from the CDB.
 *
 * A set's patterns are CDB keys derived from what they match, so that a
 * recipient costs probes, not a scan: its exact address ("=#ID>a@b"), its
 * domain ("=#ID@b"), the suffixes of its domain with as many labels as the
 * set's "@.domain" patterns have ("=#ID.b"), and one list of at most
 * DEST_WILDMAX wildcard patterns ("=#ID*") matched in order. Every value
 * starts with its line; the lowest line among the matches wins (the first
 * that matches in the control file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dest.h"

/* bytes a pattern may hold besides letters and digits: RFC 5322 atext,
 * '.', '@' and '*' (no quotes, spaces, brackets, ':' or ',') */
static const char patchars[] = "!#$%&'*+-./=?^_`{|}~@";

static unsigned char
lc(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The domain's labels are not empty (a domain written without '*'). */
static int
labels(const char *d, size_t n)
{
	size_t i;

	if (n == 0 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (i = 1; i < n; i++)
		if (d[i] == '.' && d[i - 1] == '.')
			return 0;
	return 1;
}

/* The characters of a pattern: each allowed, at most one '@' (*at, NULL
 * for none). 0, or -1 with *err. */
static int
patscan(const char *s, size_t len, const char **at, const char **err)
{
	size_t i;

	*at = NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr(patchars, c) != NULL))) {
			*err = "bad character in destination pattern";
			return -1;
		}
		if (c == '@' && *at != NULL) {
			*err = "two '@' in destination pattern";
			return -1;
		}
		if (c == '@')
			*at = s + i;
	}
	return 0;
}

int
dest_pattern(const char *s, size_t len, const char **err)
{
	const char *at, *d;
	size_t dn;
	int lstar, dstar;

	if (len == 1 && s[0] == '*')
		return DESTP_ALL;
	if (len == 0 || len > DEST_PATMAX) {
		*err = len ? "destination pattern too long (at most 255)" :
		    "empty destination pattern";
		return -1;
	}
	if (patscan(s, len, &at, err) < 0)
		return -1;
	if (at == NULL || at == s + len - 1) {
		*err = "a destination pattern is user@domain, @domain, "
		    "@.domain or *, with * wildcards in either part";
		return -1;
	}
	d = at + 1;
	dn = (size_t)(s + len - d);
	lstar = memchr(s, '*', (size_t)(at - s)) != NULL;
	dstar = memchr(d, '*', dn) != NULL;
	if (dn > DEST_DOMMAX) {
		*err = "domain too long in destination pattern";
		return -1;
	}
	if (d[0] == '.' ? dstar || !labels(d + 1, dn - 1) :
	    !dstar && !labels(d, dn)) {
		*err = d[0] == '.' && dstar ?
		    "@.domain takes no '*' (write @*.domain)" :
		    "empty label in the domain of a destination pattern";
		return -1;
	}
	if (at == s)
		return d[0] == '.' ? DESTP_SUB : dstar ? DESTP_WILD :
		    DESTP_DOMAIN;
	return lstar || dstar || d[0] == '.' ? DESTP_WILD : DESTP_ADDR;
}

/* A recipient as the matcher sees it: lower-cased, split at its last
 * '@', one final '.' of the domain dropped. */
struct rview {
	char		buf[DEST_RCPTMAX + 1];
	size_t		len;		/* local '@' domain, in buf */
	size_t		llen;		/* the local part: buf[0..llen) */
	const char	*dom;		/* the domain, in buf */
	size_t		dlen;
	int		at;		/* it has an '@' */
	int		over;		/* longer than DEST_RCPTMAX */
};

static void
view(struct rview *v, const char *r, size_t n)
{
	size_t i;

	v->at = v->over = 0;
	v->len = v->llen = v->dlen = 0;
	v->dom = v->buf;
	v->buf[0] = '\0';
	if (n > DEST_RCPTMAX) {
		v->over = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		v->buf[i] = (char)lc((unsigned char)r[i]);
		if (r[i] == '@') {
			v->at = 1;
			v->llen = i;
		}
	}
	v->len = n;
	if (!v->at)
		v->llen = n;
	else if (n > v->llen + 1 && v->buf[n - 1] == '.')
		v->len = n - 1;			/* "example.com." */
	v->buf[v->len] = '\0';
	v->dom = v->buf + v->llen + (v->at ? 1 : 0);
	v->dlen = v->len - (size_t)(v->dom - v->buf);
}

/* The glob p[0..pn) ('*': any run of bytes; case-insensitive) against
 * the lower-cased s[0..sn). One backtracking point: at most pn x sn. */
static int
glob(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && lc((unsigned char)p[pi]) ==
		    (unsigned char)s[si]) {
			pi++;
			si++;
		} else if (star == (size_t)-1)
			return 0;
		else {
			pi = star + 1;
			si = ++mark;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Is the lower-cased domain d[0..dn) s[0..sn) (any case) or a subdomain
 * of it? */
static int
subdomain(const char *s, size_t sn, const char *d, size_t dn)
{
	size_t i;

	if (dn < sn || (dn > sn && d[dn - sn - 1] != '.'))
		return 0;
	for (i = 0; i < sn; i++)
		if (lc((unsigned char)s[i]) != (unsigned char)d[dn - sn + i])
			return 0;
	return 1;
}

static int
matchview(const char *pat, size_t plen, const struct rview *v)
{
	const char *at;

	if (plen == 1 && pat[0] == '*')
		return 1;
	if (v->over || !v->at)
		return 0;
	for (at = pat + plen; at > pat && at[-1] != '@'; at--)
		;
	if (at == pat)
		return 0;			/* no '@' */
	if (at - 1 > pat && !glob(pat, (size_t)(at - 1 - pat), v->buf, v->llen))
		return 0;
	if (at < pat + plen && *at == '.')
		return subdomain(at + 1, (size_t)(pat + plen - at - 1), v->dom,
		    v->dlen);
	return glob(at, (size_t)(pat + plen - at), v->dom, v->dlen);
}

int
dest_match(const char *pat, size_t plen, const char *rcpt, size_t rlen)
{
	struct rview v;

	view(&v, rcpt, rlen);
	return matchview(pat, plen, &v);
}

/* ------------------------------------------------------------ the CDB */

static int
corrupt(void)
{
	errno = EPROTO;
	return -1;
}

/* Decimal digits at *p before end, at most max (not 0): 0, or -1. */
static int
num(const char **p, const char *end, unsigned long max, unsigned long *v)
{
	const char *s = *p;

	for (*v = 0; s < end && *s >= '0' && *s <= '9'; s++)
		if ((*v = *v * 10 + (unsigned long)(*s - '0')) > max)
			return -1;
	if (s == *p || *v == 0)
		return -1;
	*p = s;
	return 0;
}

/* One pattern's value "LINE allow" or "LINE deny[ dryrun][ text=HEX]"
 * (the words before a wildcard's pattern): the match it makes. */
struct pick {
	unsigned long	line;
	int		action, dryrun;
	const char	*hex;		/* text= in hex, or NULL */
	size_t		hexlen;
};

/* v[0..n) into e; 0, or -1 (malformed). */
static int
entry(const char *v, size_t n, struct pick *e)
{
	const char *p = v, *end = v + n, *w;
	size_t wl;

	memset(e, 0, sizeof(*e));
	if (num(&p, end, 0xffffffffUL, &e->line) < 0)
		return -1;
	while (p < end) {
		if (*p++ != ' ')
			return -1;
		for (w = p; p < end && *p != ' '; p++)
			;
		wl = (size_t)(p - w);
		if (e->action == 0 && wl == 5 && memcmp(w, "allow", 5) == 0)
			e->action = DEST_ALLOW;
		else if (e->action == 0 && wl == 4 && memcmp(w, "deny", 4) == 0)
			e->action = DEST_DENY;
		else if (e->action == DEST_DENY && !e->dryrun && !e->hex &&
		    wl == 6 && memcmp(w, "dryrun", 6) == 0)
			e->dryrun = 1;
		else if (e->action == DEST_DENY && !e->hex && wl > 5 &&
		    memcmp(w, "text=", 5) == 0 && (wl - 5) % 2 == 0 &&
		    (wl - 5) / 2 <= RULE_TEXTMAX) {
			e->hex = w + 5;
			e->hexlen = wl - 5;
		} else
			return -1;
	}
	return e->action ? 0 : -1;
}

/* The winner's text= into out: 0, or -1 (not printable ASCII hex). */
static int
unhex(const struct pick *e, char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < e->hexlen; i += 2) {
		if ((hi = name_unhex(e->hex[i])) < 0 ||
		    (lo = name_unhex(e->hex[i + 1])) < 0 ||
		    (hi << 4 | lo) < 0x20 || (hi << 4 | lo) > 0x7e)
			return -1;
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[e->hexlen / 2] = '\0';
	return 0;
}

/* The set that applies: its header "LINE ID [a] [d] [s=N,N...] [w]". */
struct set {
	struct lookup	*l;
	unsigned long	line, id;
	int		a, d, w;	/* it has addresses, domains, a list */
	unsigned char	sub[129];	/* label counts of its @.domains */
	char		key[NAME_ENCMAX + 8];	/* "=" + the client key */
	char		pre[32];	/* its patterns' keys: "=#ID" */
	size_t		prelen;
	dest_tracefn	trace;
	void		*arg;
};

/* "s=3,2": the label counts. 0, or -1. */
static int
sublist(const char *p, const char *end, struct set *s)
{
	unsigned long n;

	for (p += 2;;) {
		if (num(&p, end, 128, &n) < 0)
			return -1;
		s->sub[n] = 1;
		if (p == end)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static int
header(const char *v, size_t n, struct set *s)
{
	const char *p = v, *end = v + n, *w;

	if (num(&p, end, 0xffffffffUL, &s->line) < 0 || p == end ||
	    *p++ != ' ' || num(&p, end, 0xffffffffUL, &s->id) < 0)
		return -1;
	while (p < end) {
		if (*p++ != ' ')
			return -1;
		for (w = p; p < end && *p != ' '; p++)
			;
		if (p - w == 1 && (*w == 'a' || *w == 'd' || *w == 'w'))
			*(*w == 'a' ? &s->a : *w == 'd' ? &s->d : &s->w) = 1;
		else if (p - w > 2 && memcmp(w, "s=", 2) == 0) {
			if (sublist(w, p, s) < 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* lookup_keys' visitor: is there a set under key? */
static int
findset(void *arg, const char *what, const char *key, int plen)
{
	struct set *s = arg;
	const char *v;
	size_t n;
	int rc;

	(void)plen;
	if ((rc = lookup_find(s->l, key, strlen(key), &v, &n)) < 0)
		return -1;
	if (rc == 1 && header(v, n, s) < 0)
		return corrupt();
	if (s->trace != NULL)
		s->trace(s->arg, what, key + 1, rc ? s->line : 0, 0);
	if (rc == 1)
		strlcpy(s->key, key, sizeof(s->key));
	return rc;
}

/* Probe "=#ID" + kind + str[0..n); a match with a lower line than *best
 * replaces it. 0, or -1. */
static int
probe(struct set *s, char kind, const char *str, size_t n, const char *what,
    struct pick *best)
{
	char key[DEST_RCPTMAX + 32];
	const char *v;
	size_t vn, o;
	struct pick e;
	int rc;

	memset(&e, 0, sizeof(e));
	memcpy(key, s->pre, s->prelen);		/* no printf per probe */
	key[s->prelen] = kind;
	o = s->prelen + 1;
	memcpy(key + o, str, n);
	if ((rc = lookup_find(s->l, key, o + n, &v, &vn)) < 0)
		return -1;
	if (rc == 1 && entry(v, vn, &e) < 0)
		return corrupt();
	if (s->trace != NULL) {
		key[o + n] = '\0';
		s->trace(s->arg, what, key + o - (kind == '>' ? 0 : 1),
		    e.line, e.action);
	}
	if (rc == 1 && (best->line == 0 || e.line < best->line))
		*best = e;
	return 0;
}

/* The wildcard list: "ENTRY PATTERN" lines in line order; the first that
 * matches, if it comes before *best. */
static int
wildlist(struct set *s, const struct rview *rv, struct pick *best)
{
	char key[32];
	const char *v, *end, *nl, *sp;
	size_t vn;
	struct pick e;
	int rc, i, m;

	memcpy(key, s->pre, s->prelen);
	key[s->prelen] = '*';
	if ((rc = lookup_find(s->l, key, s->prelen + 1, &v, &vn)) <= 0)
		return rc < 0 ? -1 : corrupt();	/* the header said "w" */
	for (end = v + vn, i = 0; v < end; v = nl + 1, i++) {
		if ((nl = memchr(v, '\n', (size_t)(end - v))) == NULL)
			nl = end;
		for (sp = nl; sp > v && sp[-1] != ' '; sp--)
			;
		if (i == DEST_WILDMAX || sp <= v + 1 || sp == nl ||
		    entry(v, (size_t)(sp - 1 - v), &e) < 0)
			return corrupt();
		if (best->line != 0 && e.line >= best->line)
			return 0;		/* in line order: none earlier */
		m = matchview(sp, (size_t)(nl - sp), rv);
		if (s->trace != NULL) {
			char pat[DEST_PATMAX + 1];

			snprintf(pat, sizeof(pat), "%.*s", (int)(nl - sp), sp);
			s->trace(s->arg, "wildcard", pat, m ? e.line : 0,
			    m ? e.action : 0);
		}
		if (m) {
			*best = e;
			return 0;
		}
	}
	return 0;
}

/* The suffixes of the domain with as many labels as the set's @.domain
 * patterns have, each one probe. */
static int
suffixes(struct set *s, const struct rview *rv, struct pick *best)
{
	size_t i = rv->dlen;
	int nl = 1;

	if (i == 0)
		return 0;
	while (nl <= 128) {
		/* rv->dom[i..dlen) has nl labels when i is 0 or after a '.' */
		while (i > 0 && rv->dom[i - 1] != '.')
			i--;
		if (s->sub[nl] && probe(s, '.', rv->dom + i, rv->dlen - i,
		    "@.domain", best) < 0)
			return -1;
		if (i == 0)
			return 0;
		i--;
		nl++;
	}
	return 0;
}

int
dest_lookup(struct lookup *l, const struct ident *id, const char *rcpt,
    size_t len, struct dest *d, dest_tracefn trace, void *arg)
{
	static struct rview rv;		/* 1 KB: off the stack */
	struct set s;
	struct pick best;
	int rc;

	memset(d, 0, sizeof(*d));
	d->action = DEST_ALLOW;
	memset(&s, 0, sizeof(s));
	s.l = l;
	s.trace = trace;
	s.arg = arg;
	if ((rc = lookup_keys(l, id, DEST_PRE, findset, &s)) <= 0)
		return rc;
	d->set = 1;
	s.prelen = (size_t)snprintf(s.pre, sizeof(s.pre), DEST_PATPRE "%lu",
	    s.id);
	strlcpy(d->setkey, s.key + 1, sizeof(d->setkey));
	d->setline = s.line;
	view(&rv, rcpt, len);
	memset(&best, 0, sizeof(best));
	if (!rv.over && rv.at) {
		if (s.a && probe(&s, '>', rv.buf, rv.len, "address", &best) < 0)
			return -1;
		if (s.d && probe(&s, '@', rv.dom, rv.dlen, "@domain", &best) < 0)
			return -1;
		if (suffixes(&s, &rv, &best) < 0)
			return -1;
	}
	if (s.w && wildlist(&s, &rv, &best) < 0)
		return -1;
	if (best.line == 0)
		return 1;			/* the set's default: allow */
	d->action = best.action;
	d->line = best.line;
	d->dryrun = best.dryrun;
	if (best.hex != NULL && unhex(&best, d->text) < 0)
		return corrupt();
	return 1;
}
