/* limits.c: the lookup of DESIGN.md "Lookup". */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"

/* Read the value of key into v (vsz bytes, NUL-terminated).
 * 1 found, 0 not found, -1 error or value too long (errno). */
static int
value(struct limits *l, const char *key, char *v, size_t vsz)
{
	unsigned vlen;
	int rc;

	if ((rc = cdb_seek(l->fd, key, (unsigned)strlen(key), &vlen)) <= 0) {
		if (rc < 0 && errno != EIO)
			return -1;
		if (rc < 0)
			errno = EPROTO;
		return rc;
	}
	if (vlen >= vsz || cdb_bread(l->fd, v, (int)vlen) < 0) {
		errno = EPROTO;
		return -1;
	}
	v[vlen] = '\0';
	return 1;
}

int
limits_open(struct limits *l, const char *path)
{
	char v[16];
	int err;

	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	if (value(l, "/format", v, sizeof(v)) != 1 ||
	    strcmp(v, LIMITS_FORMAT) != 0) {
		err = errno == EISDIR ? EISDIR : EPROTO;
		close(l->fd);
		errno = err;
		return -1;
	}
	return 0;
}

void
limits_close(struct limits *l)
{
	close(l->fd);
}

static const struct {
	const char	*word;
	unsigned	bit;
} features[] = {
	{ "exempt", LIMITS_FEXEMPT },
	{ "mass", LIMITS_FMASS },
};

int
limits_features(struct limits *l, unsigned *f)
{
	char v[128], *w, *p;
	size_t i;
	int rc;

	if ((rc = value(l, "/features", v, sizeof(v))) <= 0) {
		*f = LIMITS_FALL;		/* older: everything */
		return rc;
	}
	*f = 0;
	for (p = v; (w = strsep(&p, " ")) != NULL;)
		for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (strcmp(w, features[i].word) == 0)
				*f |= features[i].bit;
	return 0;
}

void
limits_fmtfeatures(unsigned f, char *buf, size_t bufsz)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (f & features[i].bit)
			o += (size_t)snprintf(buf + o, o < bufsz ? bufsz - o : 0,
			    "%s%s", o ? " " : "", features[i].word);
}

int
limits_get(struct limits *l, const char *key, struct rule *r)
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

struct lookup {
	struct limits	*l;
	struct rule	*r;
	char		*matched;
	size_t		msz;
	limits_tracefn	trace;
	void		*arg;
};

/* Try one key: 1 matched (r and matched filled), 0 not, -1 corrupt. */
static int
try(struct lookup *lk, const char *what, const char *key)
{
	int rc = limits_get(lk->l, key, lk->r);

	if (rc >= 0 && lk->trace != NULL)
		lk->trace(lk->arg, what, key, rc, lk->r);
	if (rc == 1)
		snprintf(lk->matched, lk->msz, "%s", key);
	return rc;
}

/* Longest matching prefix among the lengths listed under /4 or /6. */
static int
prefix(struct lookup *lk, const struct ipaddr *ip)
{
	char list[512], key[NAME_ENCMAX + 1];
	const char *p;
	int plen, rc, max = ip->family == AF_INET ? 32 : 128;
	struct ipaddr net;

	if ((rc = value(lk->l, ip->family == AF_INET ? "/4" : "/6", list,
	    sizeof(list))) <= 0)
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
		name_fmtnet(&net, plen, key, sizeof(key));
		if ((rc = try(lk, "prefix", key)) != 0)
			return rc;
	}
	return 0;
}

int
limits_trace(struct limits *l, enum name_kind kind, const char *norm,
    size_t len, const struct ipaddr *ip, const char *enc,
    struct rule *r, char *matched, size_t msz, limits_tracefn trace,
    void *arg)
{
	struct lookup lk = { l, r, matched, msz, trace, arg };
	char dom[NAME_ENCMAX + 2];
	int rc;

	memset(r, 0, sizeof(*r));		/* no rule: unlimited */
	matched[0] = '\0';
	if ((rc = try(&lk, kind == NAME_IP ? "ip" : "user", enc)) != 0)
		return rc;
	if (kind == NAME_USER && name_domainkey(norm, len, dom) == 0 &&
	    (rc = try(&lk, "domain", dom)) != 0)
		return rc;
	if (kind == NAME_IP && (rc = prefix(&lk, ip)) != 0)
		return rc;
	if ((rc = try(&lk, "default", "")) == 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

int
limits_lookup(struct limits *l, enum name_kind kind, const char *norm,
    size_t len, const struct ipaddr *ip, const char *enc,
    struct rule *r, char *matched, size_t msz)
{
	return limits_trace(l, kind, norm, len, ip, enc, r, matched, msz,
	    NULL, NULL);
}

int
limits_exempt(struct limits *l, const char *addr, size_t len, char *matched,
    size_t msz)
{
	char key[NAME_ENCMAX + 3];
	struct rule r;
	int d, rc;

	for (d = 0; d < 2; d++) {
		if (rule_destkey(addr, len, d, key) < 0)
			continue;
		if ((rc = limits_get(l, key, &r)) < 0)
			return -1;
		if (rc == 1 && (r.flags & RULE_EXEMPT)) {
			snprintf(matched, msz, "%s", key + 1);
			return 1;
		}
	}
	return 0;
}

int
limits_setting(struct limits *l, const char *key, uint32_t dflt,
    uint32_t *v)
{
	struct rule r;
	int rc;

	*v = dflt;
	if ((rc = limits_get(l, key, &r)) <= 0)
		return rc;
	if (!(r.flags & RULE_SETTING)) {
		errno = EPROTO;
		return -1;
	}
	*v = r.setting;
	return 1;
}

int
limits_fileof(struct limits *l, const char *enc, struct rule *r,
    char *matched, size_t msz)
{
	char dec[NAME_ENCMAX + 1], ipenc[NAME_ENCMAX + 1];
	struct ipaddr ip;
	struct rule src;
	enum name_kind kind = NAME_USER;
	long len;
	int rc, plen;

	memset(r, 0, sizeof(*r));
	memset(&ip, 0, sizeof(ip));
	switch (name_isfile(enc)) {
	case NAME_FSERVER:
	case NAME_FPOOL:
		strlcpy(matched, enc[0] == '*' ? RULE_SERVERKEY : enc, msz);
		if ((rc = limits_get(l, matched, &src)) <= 0)
			return rc;
		r->line = src.line;
		r->nwin = enc[0] == '*' ? src.nwin : src.npool;
		memcpy(r->win, enc[0] == '*' ? src.win : src.pool,
		    sizeof(r->win));
		return r->nwin > 0;
	case NAME_FCLIENT:
		break;
	default:
		errno = EINVAL;
		return -2;
	}
	if (enc[0] == '~')
		len = 0;			/* hashed: exact key or default */
	else if ((len = name_decode(enc, dec, sizeof(dec))) < 0) {
		errno = EINVAL;
		return -2;
	} else if (enc[0] != '%' && name_parseip(dec, &ip) == 0)
		kind = NAME_IP;
	else if (enc[0] != '%' && name_parsenet(dec, &ip, &plen) == 0) {
		/* an IPv6 network counted as one: the rule of its first
		 * address (an exact rule inside it is not seen here) */
		kind = NAME_IP;
		name_fmtip(&ip, dec, sizeof(dec));
		len = (long)strlen(dec);
		name_encode(NAME_IP, dec, (size_t)len, ipenc);
		enc = ipenc;
	}
	if (len == 0)
		dec[0] = '\0';
	return limits_lookup(l, kind, dec, (size_t)len, &ip, enc, r, matched,
	    msz);
}
