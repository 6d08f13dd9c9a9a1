/* lookup.c: see lookup.h and DESIGN.md "Lookup". */
#include <sys/types.h>
#include <sys/socket.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup.h"

/* The CDB is mapped (a lookup costs no system call) and read with every
 * offset checked and the probes bounded: a corrupt or hostile table fails
 * at once (EPROTO), never slowly. A file truncated in place while mapped
 * raises SIGBUS: the programs catch it (cdbmake-limits never does that:
 * it renames). */
#define MAXSIZE		(1ul << 30)	/* a larger "CDB" is not ours */
#define MINSIZE		2048		/* the 256 table pointers */
#define MAXPROBE	1000		/* tinycdb's tables are half empty */

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
corrupt(void)
{
	errno = EPROTO;
	return -1;
}

/* The value of key: 1 found (*val, *vlen in the map), 0 not, -1 corrupt. */
static int
find(const struct lookup *l, const char *key, size_t klen,
    const unsigned char **val, uint32_t *vlen)
{
	const unsigned char *m = l->map, *t;
	uint32_t h = 5381, pos, len, slot, i, rp, k, d;
	size_t j, size = l->size;

	for (j = 0; j < klen; j++)		/* cdb's hash */
		h = ((h << 5) + h) ^ (unsigned char)key[j];
	t = m + (h & 255) * 8;
	pos = get32(t);
	if ((len = get32(t + 4)) == 0)
		return 0;
	if (pos > size || len > (size - pos) / 8)
		return corrupt();
	slot = (h >> 8) % len;
	for (i = 0; i < len; i++) {
		if (i == MAXPROBE)
			return corrupt();
		t = m + pos + (size_t)slot * 8;
		if ((rp = get32(t + 4)) == 0)
			return 0;			/* an empty slot */
		if (get32(t) == h) {
			if (rp > size - 8)
				return corrupt();
			k = get32(m + rp);
			d = get32(m + rp + 4);
			if (k > size - rp - 8 || d > size - rp - 8 - k)
				return corrupt();
			if (k == klen && memcmp(m + rp + 8, key, klen) == 0) {
				*val = m + rp + 8 + k;
				*vlen = d;
				return 1;
			}
		}
		if (++slot == len)
			slot = 0;
	}
	return corrupt();			/* a table without empty slot */
}

int
lookup_find(struct lookup *l, const char *key, size_t klen, const char **val,
    size_t *vlen)
{
	const unsigned char *p;
	uint32_t n;
	int rc;

	if ((rc = find(l, key, klen, &p, &n)) == 1) {
		*val = (const char *)p;
		*vlen = n;
	}
	return rc;
}

/* Read the value of key into v (vsz bytes, NUL-terminated).
 * 1 found, 0 not found, -1 corrupt or value too long (errno EPROTO). */
static int
value(struct lookup *l, const char *key, char *v, size_t vsz)
{
	const unsigned char *p;
	uint32_t n;
	int rc;

	if ((rc = find(l, key, strlen(key), &p, &n)) <= 0)
		return rc;
	if (n >= vsz)
		return corrupt();
	memcpy(v, p, n);
	v[n] = '\0';
	return 1;
}

static const struct {
	const char	*word;
	unsigned	bit;
} features[] = {
	{ "exempt", LOOKUP_FEXEMPT },
	{ "mass", LOOKUP_FMASS },
	{ "dest", LOOKUP_FDEST },
	{ "domain", LOOKUP_FDOMAIN },
	{ "alias", LOOKUP_FALIAS },
	{ "msg", LOOKUP_FMSG },
};

/* The control file's features ("/features"): 0, or -1 corrupt. */
static int
readfeatures(struct lookup *l)
{
	char v[128], *w, *p;
	size_t i;
	int rc;

	if ((rc = value(l, "/features", v, sizeof(v))) <= 0) {
		l->features = LOOKUP_FALL;	/* older: everything */
		return rc;
	}
	l->features = 0;
	for (p = v; (w = strsep(&p, " ")) != NULL;)
		for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (strcmp(w, features[i].word) == 0)
				l->features |= features[i].bit;
	return 0;
}

void
lookup_fmtfeatures(unsigned f, char *buf, size_t bufsz)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (f & features[i].bit)
			o += (size_t)snprintf(buf + o, o < bufsz ? bufsz - o : 0,
			    "%s%s", o ? " " : "", features[i].word);
}

int
lookup_open(struct lookup *l, const char *path)
{
	struct stat st;
	char v[16];
	void *m;
	int err;

	l->map = NULL;
	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	if (fstat(l->fd, &st) < 0) {
		err = errno;
		goto bad;
	}
	/* a regular file of a sane size: not a FIFO, a device, a directory */
	err = S_ISDIR(st.st_mode) ? EISDIR : EPROTO;
	if (!S_ISREG(st.st_mode) || st.st_size < MINSIZE ||
	    (uint64_t)st.st_size > MAXSIZE)
		goto bad;
	l->size = (size_t)st.st_size;
	if ((m = mmap(NULL, l->size, PROT_READ, MAP_SHARED, l->fd, 0)) ==
	    MAP_FAILED) {
		err = errno;
		goto bad;
	}
	l->map = m;
	/* format 2 has destination rules, and says so: an older helper
	 * refuses it (its failure policy), never ignores them */
	if (value(l, "/format", v, sizeof(v)) == 1 && readfeatures(l) == 0 &&
	    ((strcmp(v, LOOKUP_FORMAT) == 0 && !(l->features & LOOKUP_FDEST)) ||
	    (strcmp(v, LOOKUP_FORMAT_DEST) == 0 &&
	    (l->features & LOOKUP_FDEST))))
		return 0;
	err = EPROTO;
	munmap(m, l->size);
	l->map = NULL;
bad:
	close(l->fd);
	l->fd = -1;
	errno = err;
	return -1;
}

void
lookup_close(struct lookup *l)
{
	if (l->map != NULL)
		munmap((void *)(uintptr_t)l->map, l->size);
	l->map = NULL;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int
lookup_get(struct lookup *l, const char *key, struct rule *r)
{
	char v[RULE_VALMAX];
	int rc;

	if ((rc = value(l, key, v, sizeof(v))) <= 0)
		return rc;
	if (rule_parsevalue(v, strlen(v), r) < 0) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

struct walk {
	struct lookup	*l;
	struct rule	*r;
	struct match	*m;
	lookup_tracefn	trace;
	void		*arg;
};

/* Try one key: 1 matched (r and m filled), 0 not, -1 corrupt. */
static int
try(void *arg, const char *what, const char *key, int plen)
{
	struct walk *w = arg;
	int rc = lookup_get(w->l, key, w->r);

	if (rc >= 0 && w->trace != NULL)
		w->trace(w->arg, what, key, rc, w->r);
	if (rc == 1) {
		w->m->found = 1;
		w->m->plen = plen;
		strlcpy(w->m->key, key, sizeof(w->m->key));
	}
	return rc;
}

/* The longest prefixes first, among the lengths listed under pre + "/4"
 * or "/6". */
static int
prefix(struct lookup *l, const struct ipaddr *ip, const char *pre,
    lookup_visitfn visit, void *arg)
{
	char list[512], key[NAME_ENCMAX + 8];
	const char *p;
	size_t o;
	int plen, rc, max = ip->family == AF_INET ? 32 : 128;
	struct ipaddr net;

	o = strlcpy(key, pre, sizeof(key));
	strlcpy(key + o, ip->family == AF_INET ? "/4" : "/6", sizeof(key) - o);
	if ((rc = value(l, key, list, sizeof(list))) <= 0)
		return rc;
	for (p = list; *p != '\0';) {		/* "24,16,8" */
		for (plen = 0; *p >= '0' && *p <= '9' && plen <= max; p++)
			plen = plen * 10 + (*p - '0');
		if (plen > max || (*p != ',' && *p != '\0')) {
			errno = EPROTO;
			return -1;
		}
		if (*p == ',')
			p++;
		net = *ip;
		name_mask(&net, plen);
		name_fmtnet(&net, plen, key + o, sizeof(key) - o);
		if ((rc = visit(arg, "prefix", key, plen)) != 0)
			return rc;
	}
	return 0;
}

int
lookup_keys(struct lookup *l, const struct ident *id, const char *pre,
    lookup_visitfn visit, void *arg)
{
	char key[NAME_ENCMAX + 8];
	size_t o = strlcpy(key, pre, sizeof(key));
	int rc;

	if (o > 0)		/* the limits' own keys: no copy */
		strlcpy(key + o, id->key, sizeof(key) - o);
	if ((rc = visit(arg, id->kind == NAME_IP ? "ip" : "user", o > 0 ? key :
	    id->key, -1)) != 0)
		return rc;
	if (id->kind == NAME_USER && name_domainkey(id->norm, id->len,
	    key + o) == 0 && (rc = visit(arg, "domain", key, -1)) != 0)
		return rc;
	if (id->kind == NAME_IP && (rc = prefix(l, &id->ip, pre, visit,
	    arg)) != 0)
		return rc;
	key[o] = '\0';
	return visit(arg, "default", key, -1);
}

int
lookup_trace(struct lookup *l, const struct ident *id, struct rule *r,
    struct match *m, lookup_tracefn trace, void *arg)
{
	struct walk w;
	int rc;

	memset(r, 0, sizeof(*r));		/* no rule: unlimited */
	memset(m, 0, sizeof(*m));
	m->plen = -1;
	w.l = l;
	w.r = r;
	w.m = m;
	w.trace = trace;
	w.arg = arg;
	if ((rc = lookup_keys(l, id, "", try, &w)) == 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

int
lookup_client(struct lookup *l, const struct ident *id, struct rule *r,
    struct match *m)
{
	return lookup_trace(l, id, r, m, NULL, NULL);
}

int
lookup_counter(struct lookup *l, const struct ident *id, struct rule *r,
    struct match *m, lookup_tracefn trace, void *arg)
{
	struct rule src;
	int rc, server = id->file == NAME_FSERVER;

	if (id->file == NAME_FCLIENT)
		return lookup_trace(l, id, r, m, trace, arg);
	memset(r, 0, sizeof(*r));
	memset(m, 0, sizeof(*m));
	m->plen = -1;
	strlcpy(m->key, server ? RULE_SERVERKEY : id->key, sizeof(m->key));
	if ((rc = lookup_get(l, m->key, &src)) < 0)
		return rc;
	if (rc == 1) {
		r->line = src.line;
		r->nwin = server ? src.nwin : src.npool;
		memcpy(r->win, server ? src.win : src.pool, sizeof(r->win));
	}
	m->found = rc == 1 && r->nwin > 0;
	if (trace != NULL)
		trace(arg, server ? "server" : "pool", server ? "*" : m->key,
		    m->found, r);
	return m->found;
}

/* An aggregate's windows rule from its line src. */
static void
aggrule(struct rule *a, const struct rule *src, int pool)
{
	memset(a, 0, sizeof(*a));
	a->line = src->line;
	a->nwin = pool ? src->npool : src->nwin;
	memcpy(a->win, pool ? src->pool : src->win, sizeof(a->win));
	a->reply = src->reply;
	memcpy(a->text, src->text, sizeof(a->text));
	a->warn = src->warn;
	a->flags = src->flags & RULE_DRYRUN;
}

int
lookup_pool(struct lookup *l, const struct ident *id, const struct rule *r,
    const struct match *m, struct rule *pool, char *poolkey)
{
	struct rule src;
	int rc;

	if (id->kind != NAME_USER ||
	    name_domainkey(id->norm, id->len, poolkey) < 0)
		return 0;
	/* the lookup tried the @domain line before the default: only a
	 * user matched by its own line needs another probe */
	if (strcmp(m->key, poolkey) == 0)
		src = *r;
	else if (!m->found || m->key[0] == '\0')
		return 0;			/* no @domain line */
	else if ((rc = lookup_get(l, poolkey, &src)) <= 0)
		return rc;
	aggrule(pool, &src, 1);
	return pool->nwin > 0;
}

int
lookup_server(struct lookup *l, struct rule *server)
{
	struct rule src;
	int rc;

	if ((rc = lookup_get(l, RULE_SERVERKEY, &src)) <= 0)
		return rc;
	aggrule(server, &src, 0);
	return server->nwin > 0;
}

int
lookup_canon(struct lookup *l, struct ident *id)
{
	char key[NAME_ENCMAX + 16], *name;
	const char *at, *dom;
	struct rule r;
	size_t n;
	int rc;

	if (id->kind != NAME_USER || id->file != NAME_FCLIENT ||
	    !(l->features & (LOOKUP_FDOMAIN | LOOKUP_FALIAS)))
		return 0;
	at = memchr(id->norm, '@', id->len);
	if (at == NULL && (l->features & LOOKUP_FDOMAIN))
		rc = lookup_get(l, RULE_DOMAINKEY, &r);
	else if (at != NULL && at + 1 < id->norm + id->len &&
	    (l->features & LOOKUP_FALIAS)) {
		strlcpy(key, RULE_ALIASKEY, sizeof(key));
		if (name_domainkey(id->norm, id->len, key +
		    strlen(RULE_ALIASKEY)) < 0)
			return 0;
		rc = lookup_get(l, key, &r);
	} else
		return 0;
	if (rc <= 0 || r.text[0] == '\0')
		return rc;
	/* user@D: the login's local part, the target domain */
	n = at != NULL ? (size_t)(at - id->norm) : id->len;
	dom = r.text;
	if ((name = malloc(n + 2 + strlen(dom))) == NULL)
		return -1;
	memcpy(name, id->norm, n);
	name[n] = '@';
	strlcpy(name + n + 1, dom, strlen(dom) + 1);
	rc = ident_rename(id, name);
	free(name);
	return rc < 0 ? -1 : 1;
}

int
lookup_exempt(struct lookup *l, const char *addr, size_t len, char *matched,
    size_t msz)
{
	char key[NAME_ENCMAX + 3];
	struct rule r;
	int d, rc;

	for (d = 0; d < 2; d++) {
		if (rule_destkey(addr, len, d, key) < 0)
			continue;
		if ((rc = lookup_get(l, key, &r)) < 0)
			return -1;
		if (rc == 1 && (r.flags & RULE_EXEMPT)) {
			snprintf(matched, msz, "%s", key + 1);
			return 1;
		}
	}
	return 0;
}

int
lookup_setting(struct lookup *l, const char *key, uint32_t dflt,
    uint32_t *v)
{
	struct rule r;
	int rc;

	*v = dflt;
	if ((rc = lookup_get(l, key, &r)) <= 0)
		return rc;
	if (!(r.flags & RULE_SETTING)) {
		errno = EPROTO;
		return -1;
	}
	*v = r.setting;
	return 1;
}
