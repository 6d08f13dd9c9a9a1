/* rule.c: control-file syntax (DESIGN.md "Control file") and CDB values. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define LINEMAX 4096	/* a longer line is an error */

/* Remove spaces and tabs (not inside "double quotes"), a comment ('#'
 * at the start or after white space) and a final CR. Returns the new
 * length, or -1 on a control character, a NUL or an open quote. */
static long
strip(const char *in, size_t len, char *out, const char **err)
{
	size_t i, o = 0;
	int white = 1, inq = 0;
	unsigned char c;

	if (len > 0 && in[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '\0') {
			*err = "NUL byte";
			return -1;
		}
		if (c < 0x20 && !(c == '\t' && !inq)) {
			*err = "control character";
			return -1;
		}
		if (c == 0x7f) {
			*err = "control character";
			return -1;
		}
		if (c == '"')
			inq = !inq;
		else if (!inq && (c == ' ' || c == '\t')) {
			white = 1;
			continue;
		} else if (!inq && c == '#' && white)
			break;
		white = 0;
		out[o++] = (char)c;
	}
	if (inq) {
		*err = "missing closing '\"'";
		return -1;
	}
	out[o] = '\0';
	return (long)o;
}

/* Parse decimal digits s[0..len) into *v (at most max). */
static const char *
number(const char *s, size_t len, unsigned long max, unsigned long *v)
{
	size_t i;

	if (len == 0)
		return "missing number";
	if (s[0] == '-')
		return "negative number";
	*v = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "not a number";
		*v = *v * 10 + (unsigned long)(s[i] - '0');
		if (*v > max)
			return "number too large";
	}
	return NULL;
}

static const char *
period(const char *s, size_t len, uint32_t *secs)
{
	unsigned long n = 1, unit = 1;
	const char *e;

	if (len > 0) {
		switch (s[len - 1]) {
		case 's': unit = 1; len--; break;
		case 'm': unit = 60; len--; break;
		case 'h': unit = 3600; len--; break;
		case 'd': unit = 86400; len--; break;
		case 'w': unit = 7 * 86400; len--; break;
		default:
			if (s[len - 1] < '0' || s[len - 1] > '9')
				return "bad period unit (use s, m, h, d or w)";
		}
	} else
		return "missing period";
	/* len is 0 after a bare unit ("h" = 1h); cppcheck 2.10 misses the
	 * len-- in the switch above */
	/* cppcheck-suppress knownConditionTrueFalse */
	if (len > 0 && (e = number(s, len, RULE_MAXPERIOD, &n)) != NULL)
		return strcmp(e, "number too large") == 0 ?
		    "period too long (at most 366d)" : "bad period";
	if (n == 0)
		return "period must not be zero";
	if (n * unit > RULE_MAXPERIOD)
		return "period too long (at most 366d)";
	*secs = (uint32_t)(n * unit);
	return NULL;
}

static const char *
limits(const char *s, size_t len, struct rule *r)
{
	const char *item, *end = s + len, *comma, *slash, *e;
	uint32_t p, seen[2 * RULE_MAXWIN];
	unsigned long n;
	int i, nseen = 0;

	r->nwin = 0;
	if (len == 0)
		return "missing limit";
	for (item = s; item <= end; item = comma + 1) {
		if ((comma = memchr(item, ',', (size_t)(end - item))) == NULL)
			comma = end;
		slash = memchr(item, '/', (size_t)(comma - item));
		if ((e = number(item, (size_t)((slash ? slash : comma) - item),
		    RULE_MAXLIMIT, &n)) != NULL)
			return strcmp(e, "number too large") == 0 ?
			    "limit too large (at most 1000000000)" :
			    strcmp(e, "negative number") == 0 ?
			    "negative limit" : "limit is not a number";
		p = 0;
		if (slash != NULL && (e = period(slash + 1,
		    (size_t)(comma - slash - 1), &p)) != NULL)
			return e;
		for (i = 0; i < nseen; i++)
			if (seen[i] == p)
				return p ? "period given twice" :
				    "plain limit given twice";
		if (nseen == 2 * RULE_MAXWIN)
			return "too many limits (at most 8)";
		seen[nseen++] = p;
		if (n == 0)
			continue;		/* 0 = no limit */
		if (r->nwin == RULE_MAXWIN)
			return "too many limits (at most 8)";
		r->win[r->nwin].limit = (uint32_t)n;
		r->win[r->nwin].period = p;
		r->nwin++;
	}
	return NULL;
}

static int
alldigitsdots(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return len > 0;
}

/* An IP, a CIDR net or a tcprules-style prefix. */
static const char *
ipkey(const char *s, size_t len, int v6only, struct rulekey *k)
{
	char buf[64];
	const char *slash;
	struct ipaddr ip, m;
	unsigned long plen;
	int bits, dots = 0;
	size_t i;

	if (len > INET6_ADDRSTRLEN + 4)		/* address and "/128" */
		return "bad IP address";
	memcpy(buf, s, len);
	buf[len] = '\0';
	k->plen = -1;
	if (!v6only && len > 0 && buf[len - 1] == '.') {	/* 192.168.1. */
		for (i = 0; i < len; i++)
			dots += buf[i] == '.';
		if (dots > 3 || len > 12 || !alldigitsdots(buf, len))
			return "bad IP prefix";
		plen = 8 * (unsigned long)dots;
		while (dots++ < 4)
			strlcat(buf, dots == 4 ? "0" : "0.", sizeof(buf));
		if (name_parseip(buf, &ip) < 0 || ip.family != AF_INET)
			return "bad IP prefix";
		k->plen = (int)plen;
	} else if ((slash = strchr(buf, '/')) != NULL) {
		buf[slash - buf] = '\0';
		if (name_parseip(buf, &ip) < 0)
			return "bad IP address in CIDR";
		bits = ip.family == AF_INET ? 32 : 128;
		if (number(slash + 1, strlen(slash + 1), (unsigned long)bits,
		    &plen) != NULL)
			return "bad CIDR prefix length";
		m = ip;
		name_mask(&m, (int)plen);
		if (memcmp(m.a, ip.a, sizeof(ip.a)) != 0)
			return "host bits set in CIDR (write the network address)";
		if (strchr(buf, ':') != NULL && ip.family == AF_INET)
			return "IPv4-mapped CIDR: write it as IPv4";
		k->plen = (int)plen == bits ? -1 : (int)plen;
	} else if (name_parseip(buf, &ip) < 0)
		return v6only ? "bad IPv6 address" : "bad IPv4 address";
	if (v6only && strchr(buf, ':') == NULL)
		return "only IPv6 goes in brackets";
	k->family = ip.family;
	if (k->plen < 0)
		name_fmtip(&ip, k->key, sizeof(k->key));
	else
		name_fmtnet(&ip, k->plen, k->key, sizeof(k->key));
	return NULL;
}

static const char *
namekey(char *s, size_t len, struct rulekey *k)
{
	static const char bad[] = "\"[]\\,;<>()=/";
	char tmp[LINEMAX + 2];
	const char *slash;
	size_t i;

	k->family = 0;
	k->plen = -1;
	if (len == 0) {
		k->key[0] = '\0';		/* default */
		return NULL;
	}
	slash = memchr(s, '/', len);
	if (alldigitsdots(s, slash ? (size_t)(slash - s) : len))
		return ipkey(s, len, 0, k);
	if (s[0] == '@') {
		if (len == 1)
			return "empty domain";
		/* s[0..len) is strip()'s NUL-terminated output, all of it
		 * written: the analyzer loses track of it through strchr */
		for (i = 1; i < len; i++)
			/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
			if (s[i] == '@' || s[i] == '%' || strchr(bad, s[i]))
				return "bad character in domain";
		tmp[0] = 'x';
		memcpy(tmp + 1, s, len);
		name_normuser(tmp, len + 1);
		name_domainkey(tmp, len + 1, k->key);
		return NULL;
	}
	name_normuser(s, len);		/* the first '/' becomes '@' */
	for (i = 0; i < len; i++)
		if (strchr(bad, s[i]))
			return "bad character in name";
	if (s[len - 1] == '@')
		return "empty domain";
	name_encode(NAME_USER, s, len, k->key);
	return NULL;
}

/* Next ':'-separated field of *p outside double quotes; NULL at the end. */
static char *
field(char **p)
{
	char *f = *p, *q;
	int inq = 0;

	if (f == NULL)
		return NULL;
	for (q = f; *q != '\0'; q++) {
		if (*q == '"')
			inq = !inq;
		else if (*q == ':' && !inq) {
			*q = '\0';
			*p = q + 1;
			return f;
		}
	}
	*p = NULL;
	return f;
}

/* "N/PERIOD" with 1 <= N <= max. */
static const char *
countper(const char *s, unsigned long max, uint32_t *n, uint32_t *per)
{
	const char *slash = strchr(s, '/');
	unsigned long v;

	if (slash == NULL || number(s, (size_t)(slash - s), max, &v) != NULL ||
	    v == 0)
		return "bad count";
	if (period(slash + 1, strlen(slash + 1), per) != NULL)
		return "bad period";
	*n = (uint32_t)v;
	return NULL;
}

static const char *
option(char *o, struct rule *r, unsigned *seen)
{
	static const unsigned codes[] = { 421, 450, 451, 452, 550, 552, 553,
	    554, 0 };
	char *v = strchr(o, '='), *x;
	struct rule tmp;
	const char *e;
	unsigned long n;
	size_t len;
	unsigned bit;
	int i;

	if (v != NULL)
		*v++ = '\0';
	if (strcmp(o, "reply") == 0)
		bit = 1;
	else if (strcmp(o, "text") == 0)
		bit = 2;
	else if (strcmp(o, "ban") == 0)
		bit = 4;
	else if (strcmp(o, "warn") == 0)
		bit = 8;
	else if (strcmp(o, "dryrun") == 0)
		bit = 16;
	else if (strcmp(o, "strict") == 0)
		bit = 32;
	else if (strcmp(o, "msg") == 0)
		bit = 64;
	else if (strcmp(o, "nets") == 0)
		bit = 128;
	else if (strcmp(o, "mass") == 0)
		bit = 256;
	else if (strcmp(o, "dormant") == 0)
		bit = 512;
	else if (strcmp(o, "pool") == 0)
		bit = 1024;
	else
		return o[0] == '\0' ? "empty option" :
		    "unknown option (reply=, text=, ban, warn=, dryrun, strict, "
		    "msg=, nets=, mass=, dormant=, pool=)";
	if (*seen & bit)
		return "option given twice";
	*seen |= bit;
	switch (bit) {
	case 1:
		if (v == NULL || number(v, strlen(v), 999, &n) != NULL)
			return "reply= needs a code: 421, 450, 451, 452, 550, "
			    "552, 553 or 554";
		for (i = 0; codes[i] != 0 && codes[i] != n; i++)
			;
		if (codes[i] == 0)
			return "reply= needs a code: 421, 450, 451, 452, 550, "
			    "552, 553 or 554";
		r->reply = (unsigned)n;
		return NULL;
	case 2:
		if (v == NULL || v[0] != '"' || (len = strlen(v)) < 3 ||
		    v[len - 1] != '"')
			return "text= needs a text in double quotes";
		if (len - 2 > RULE_TEXTMAX)
			return "text too long (at most 400 characters)";
		for (i = 1; i < (int)len - 1; i++)
			if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
				return "text: only printable ASCII";
		memcpy(r->text, v + 1, len - 2);
		r->text[len - 2] = '\0';
		return NULL;
	case 4:
		r->ban = 1;
		if (v != NULL) {
			len = strlen(v);
			if (len > 0 && v[len - 1] == 'x')
				len--;
			if (number(v, len, 100, &n) != NULL || n == 0)
				return "ban= needs a multiple of the limit from 1 "
				    "to 100, e.g. ban=2x";
			r->ban = (unsigned)n;
		}
		return NULL;
	case 8:
		if (v == NULL)
			return "warn= needs a percentage, e.g. warn=80%";
		len = strlen(v);
		if (len > 0 && v[len - 1] == '%')
			len--;
		if (number(v, len, 99, &n) != NULL || n == 0)
			return "warn= needs a percentage from 1 to 99, e.g. "
			    "warn=80%";
		r->warn = (unsigned)n;
		return NULL;
	case 16:
	case 32:
		if (v != NULL)
			return "dryrun and strict take no value";
		r->flags |= bit == 16 ? RULE_DRYRUN : RULE_STRICT;
		return NULL;
	case 64:
		if (v == NULL || number(v, strlen(v), RULE_MAXLIMIT, &n) != NULL ||
		    n == 0)
			return "msg= needs the most recipients of one message, "
			    "e.g. msg=100";
		r->msgmax = (uint32_t)n;
		return NULL;
	case 128:
		if (v == NULL || countper(v, RULE_SIGMAX, &r->nets,
		    &r->netsper) != NULL)
			return "nets= needs networks per period from 1 to 32, "
			    "e.g. nets=3/1h";
		return NULL;
	case 256:
		if (v == NULL || (x = strchr(v, 'x')) == NULL ||
		    number(v, (size_t)(x - v), RULE_SIGMAX, &n) != NULL ||
		    n == 0 || countper(x + 1, RULE_MAXLIMIT, &r->massr,
		    &r->massper) != NULL)
			return "mass= needs messages x recipients per period, "
			    "e.g. mass=3x50/1h (at most 32 messages)";
		r->massn = (uint32_t)n;
		return NULL;
	case 512:
		if (v == NULL || (x = strchr(v, ',')) == NULL ||
		    period(v, (size_t)(x - v), &r->dormant) != NULL ||
		    countper(x + 1, RULE_MAXLIMIT, &r->warmn,
		    &r->warmper) != NULL)
			return "dormant= needs the silence, then a limit per "
			    "period, e.g. dormant=30d,20/1d";
		return NULL;
	case 1024:
		if (v == NULL || (e = limits(v, strlen(v), &tmp)) != NULL)
			return v == NULL ? "pool= needs limits, e.g. pool=5000/1d" :
			    e;
		for (i = 0; i < tmp.nwin; i++)
			if (tmp.win[i].period == 0)
				return "pool= limits need a period, e.g. "
				    "pool=5000/1d";
		r->npool = tmp.nwin;
		memcpy(r->pool, tmp.win, sizeof(r->pool));
		return NULL;
	}
	return "unknown option";
}

int
rule_destkey(const char *addr, size_t len, int domain, char *out)
{
	char buf[1024];
	size_t i;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	for (i = 0; i < len; i++) {
		/* addr[0..len) is initialised (strip() wrote the line, len is
		 * its strlen); clang-analyzer loses that bound */
		unsigned char ch = (unsigned char)addr[i]; /* NOLINT(clang-analyzer-core.uninitialized.Assign) */

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		buf[i] = (char)ch;
	}
	out[0] = '>';
	if (domain)
		return name_domainkey(buf, len, out + 1);
	name_encode(NAME_USER, buf, len, out + 1);
	return 0;
}

/* ">abuse@provider.net", ">@helpdesk.example.com" */
static int
destline(char *s, struct rulekey *k, struct rule *r, const char **err)
{
	size_t len = strlen(s);

	k->family = 0;
	k->plen = -1;
	if (len == 0 || strpbrk(s, "\":/,;<>()[]\\") != NULL) {
		*err = len == 0 ? "empty destination" :
		    "a destination is an address or @domain, nothing else";
		return RULE_ERR;
	}
	if (s[0] == '@') {
		if (len == 1 || strchr(s + 1, '@') != NULL ||
		    rule_destkey(s, len, 1, k->key) < 0) {
			*err = "bad destination domain";
			return RULE_ERR;
		}
	} else if (strchr(s, '@') == NULL || s[len - 1] == '@' ||
	    rule_destkey(s, len, 0, k->key) < 0) {
		*err = "a destination is user@domain or @domain";
		return RULE_ERR;
	}
	r->flags = RULE_EXEMPT;
	return RULE_OK;
}

/* Options that only some lines may carry. */
static const char *
fits(const struct rulekey *k, const struct rule *r, unsigned seen)
{
	int i;

	if (r->npool && k->key[0] != '@')
		return "pool= belongs on an @domain line";
	if (r->nets && k->family != 0)
		return "nets= counts the networks of an auth user, not of an IP";
	if (strcmp(k->key, RULE_SERVERKEY) != 0)
		return NULL;
	if (seen & ~(1u | 2u | 8u | 16u))
		return "the * line takes only reply=, text=, warn= and dryrun";
	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period == 0)
			return "the * line's limits need a period, e.g. *:20000/1h";
	return NULL;
}

/* "!count6=64", "!nets4=24", "!nets6=64" */
static int
setting(char *s, struct rulekey *k, struct rule *r, const char **err)
{
	static const struct {
		const char	*name, *key;
		unsigned long	lo, hi;
	} set[] = {
		{ "count6", RULE_COUNT6KEY, 32, 128 },
		{ "nets4", RULE_NETS4KEY, 8, 32 },
		{ "nets6", RULE_NETS6KEY, 16, 128 },
	};
	char *v = strchr(s, '=');
	unsigned long n;
	size_t i;

	k->family = 0;
	k->plen = -1;
	if (v != NULL)
		*v++ = '\0';
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		if (strcmp(s, set[i].name) != 0)
			continue;
		if (v == NULL || number(v, strlen(v), set[i].hi, &n) != NULL ||
		    n < set[i].lo) {
			*err = i == 0 ? "!count6= needs a prefix length from 32 "
			    "to 128" : i == 1 ? "!nets4= needs a prefix length "
			    "from 8 to 32" : "!nets6= needs a prefix length "
			    "from 16 to 128";
			return RULE_ERR;
		}
		strlcpy(k->key, set[i].key, sizeof(k->key));
		r->flags = RULE_SETTING;
		r->setting = (uint32_t)n;
		return RULE_OK;
	}
	*err = "unknown setting (!count6=, !nets4=, !nets6=)";
	return RULE_ERR;
}

int
rule_parseline(const char *line, size_t len, unsigned long lineno,
    struct rulekey *k, struct rule *r, const char **err)
{
	char buf[LINEMAX + 1];
	char *name, *rest, *colon, *close, *lim, *o;
	unsigned seen = 0;
	long n;

	memset(r, 0, sizeof(*r));
	r->line = lineno;
	if (len > LINEMAX) {
		*err = "line too long";
		return RULE_ERR;
	}
	if ((n = strip(line, len, buf, err)) < 0)
		return RULE_ERR;
	if (n == 0)
		return RULE_EMPTY;
	if (buf[0] == '>')
		return destline(buf + 1, k, r, err);
	if (buf[0] == '!')
		return setting(buf + 1, k, r, err);
	name = buf;
	if (buf[0] == '[') {
		if ((close = strchr(buf, ']')) == NULL) {
			*err = "missing ']'";
			return RULE_ERR;
		}
		/* [2001:db8::]/48 or [2001:db8::/48] */
		if ((colon = strchr(close, ':')) == NULL) {
			*err = "missing ':' before the limit";
			return RULE_ERR;
		}
		*colon = '\0';
		rest = colon + 1;
		memmove(close, close + 1, strlen(close + 1) + 1);
		if ((*err = ipkey(buf + 1, strlen(buf + 1), 1, k)) != NULL)
			return RULE_ERR;
	} else {
		if ((colon = strchr(buf, ':')) == NULL) {
			*err = "missing ':' between name and limit";
			return RULE_ERR;
		}
		*colon = '\0';
		rest = colon + 1;
		if ((colon = strchr(rest, ':')) != NULL &&
		    limits(rest, (size_t)(colon - rest), r) != NULL) {
			/* "2001:db8::1:5", "::1:50": an IPv6 line */
			*err = "IPv6 addresses go in brackets, as in "
			    "[2001:db8::1]:100";
			return RULE_ERR;
		}
		if (strcmp(name, "*") == 0) {
			strlcpy(k->key, RULE_SERVERKEY, sizeof(k->key));
			k->family = 0;
			k->plen = -1;
		} else if ((*err = namekey(name, strlen(name), k)) != NULL)
			return RULE_ERR;
	}
	lim = field(&rest);
	if ((*err = limits(lim, strlen(lim), r)) != NULL)
		return RULE_ERR;
	while ((o = field(&rest)) != NULL)
		if ((*err = option(o, r, &seen)) != NULL)
			return RULE_ERR;
	if ((*err = fits(k, r, seen)) != NULL)
		return RULE_ERR;
	return RULE_OK;
}

void
rule_fmtvalue(const struct rule *r, char *buf, size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o, i;
	int w;

	o = (size_t)snprintf(buf, bufsz, "%lu ", r->line);
	if (r->flags & RULE_EXEMPT) {
		snprintf(buf + o, bufsz - o, "exempt");
		return;
	}
	if (r->flags & RULE_SETTING) {
		snprintf(buf + o, bufsz - o, "0 set=%lu", (unsigned long)r->setting);
		return;
	}
	if (r->nwin == 0)
		o += (size_t)snprintf(buf + o, bufsz - o, "0");
	for (w = 0; w < r->nwin && o < bufsz; w++) {
		if (r->win[w].period)
			o += (size_t)snprintf(buf + o, bufsz - o, "%s%lu/%lu",
			    w ? "," : "", (unsigned long)r->win[w].limit,
			    (unsigned long)r->win[w].period);
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "%s%lu",
			    w ? "," : "", (unsigned long)r->win[w].limit);
	}
	if (r->reply && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " reply=%u", r->reply);
	if (r->ban && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " ban=%u", r->ban);
	if (r->warn && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " warn=%u", r->warn);
	if ((r->flags & RULE_DRYRUN) && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " dryrun");
	if ((r->flags & RULE_STRICT) && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " strict");
	if (r->msgmax && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " msg=%lu",
		    (unsigned long)r->msgmax);
	if (r->nets && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " nets=%lu/%lu",
		    (unsigned long)r->nets, (unsigned long)r->netsper);
	if (r->massn && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " mass=%lu/%lu/%lu",
		    (unsigned long)r->massn, (unsigned long)r->massr,
		    (unsigned long)r->massper);
	if (r->dormant && o < bufsz)
		o += (size_t)snprintf(buf + o, bufsz - o, " dormant=%lu/%lu/%lu",
		    (unsigned long)r->dormant, (unsigned long)r->warmn,
		    (unsigned long)r->warmper);
	for (w = 0; w < r->npool && o < bufsz; w++)
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%lu/%lu",
		    w ? "," : " pool=", (unsigned long)r->pool[w].limit,
		    (unsigned long)r->pool[w].period);
	if (r->text[0] != '\0' && o + 6 + 2 * strlen(r->text) < bufsz) {
		memcpy(buf + o, " text=", 6);
		o += 6;
		for (i = 0; r->text[i] != '\0'; i++) {
			buf[o++] = hex[(unsigned char)r->text[i] >> 4];
			buf[o++] = hex[(unsigned char)r->text[i] & 15];
		}
		buf[o] = '\0';
	}
}

/* Parse digits at *p up to a byte in stop; advances *p. */
static int
scan(const char **p, const char *end, unsigned long max, unsigned long *v)
{
	const char *s = *p;

	*v = 0;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		*v = *v * 10 + (unsigned long)(*s - '0');
		if (*v > max)
			return -1;
	}
	*p = s;
	return 0;
}


/* "A/B/C" (or "A/C" when b is NULL), each in [1, its max]; advances *p. */
static int
triple(const char **p, const char *end, unsigned long amax,
    unsigned long bmax, unsigned long cmax, uint32_t *a, uint32_t *b,
    uint32_t *c)
{
	unsigned long v[3];

	if (scan(p, end, amax, &v[0]) < 0 || v[0] == 0 || *p >= end ||
	    *(*p)++ != '/')
		return -1;
	if (b != NULL && (scan(p, end, bmax, &v[1]) < 0 || v[1] == 0 ||
	    *p >= end || *(*p)++ != '/'))
		return -1;
	if (scan(p, end, cmax, &v[2]) < 0 || v[2] == 0)
		return -1;
	*a = (uint32_t)v[0];
	if (b != NULL)
		*b = (uint32_t)v[1];
	*c = (uint32_t)v[2];
	return 0;
}

/* " name=value" options of a CDB value, from p to end. */
static int
parseopts(const char *p, const char *end, struct rule *r)
{
	unsigned long n;
	size_t t;
	int hi, lo;

	while (p < end) {
		if (*p++ != ' ')
			return -1;
		if (end - p >= 6 && memcmp(p, "reply=", 6) == 0) {
			p += 6;
			if (scan(&p, end, 599, &n) < 0 || n < 400)
				return -1;
			r->reply = (unsigned)n;
		} else if (end - p >= 4 && memcmp(p, "ban=", 4) == 0) {
			p += 4;
			if (scan(&p, end, 100, &n) < 0 || n == 0)
				return -1;
			r->ban = (unsigned)n;
		} else if (end - p >= 5 && memcmp(p, "warn=", 5) == 0) {
			p += 5;
			if (scan(&p, end, 99, &n) < 0 || n == 0)
				return -1;
			r->warn = (unsigned)n;
		} else if (end - p >= 6 && memcmp(p, "dryrun", 6) == 0) {
			p += 6;
			r->flags |= RULE_DRYRUN;
		} else if (end - p >= 6 && memcmp(p, "strict", 6) == 0) {
			p += 6;
			r->flags |= RULE_STRICT;
		} else if (end - p >= 4 && memcmp(p, "msg=", 4) == 0) {
			p += 4;
			if (scan(&p, end, RULE_MAXLIMIT, &n) < 0 || n == 0)
				return -1;
			r->msgmax = (uint32_t)n;
		} else if (end - p >= 5 && memcmp(p, "nets=", 5) == 0) {
			p += 5;
			if (triple(&p, end, RULE_SIGMAX, 0, RULE_MAXPERIOD,
			    &r->nets, NULL, &r->netsper) < 0)
				return -1;
		} else if (end - p >= 5 && memcmp(p, "mass=", 5) == 0) {
			p += 5;
			if (triple(&p, end, RULE_SIGMAX, RULE_MAXLIMIT,
			    RULE_MAXPERIOD, &r->massn, &r->massr,
			    &r->massper) < 0)
				return -1;
		} else if (end - p >= 8 && memcmp(p, "dormant=", 8) == 0) {
			p += 8;
			if (triple(&p, end, RULE_MAXPERIOD, RULE_MAXLIMIT,
			    RULE_MAXPERIOD, &r->dormant, &r->warmn,
			    &r->warmper) < 0)
				return -1;
		} else if (end - p >= 5 && memcmp(p, "pool=", 5) == 0) {
			p += 5;
			if (r->npool != 0)
				return -1;		/* given twice */
			for (;;) {
				if (r->npool == RULE_MAXWIN || triple(&p, end,
				    RULE_MAXLIMIT, 0, RULE_MAXPERIOD,
				    &r->pool[r->npool].limit, NULL,
				    &r->pool[r->npool].period) < 0)
					return -1;
				r->npool++;
				if (p >= end || *p != ',')
					break;
				p++;
			}
		} else if (end - p >= 4 && memcmp(p, "set=", 4) == 0) {
			p += 4;
			if (scan(&p, end, 128, &n) < 0 || n == 0)
				return -1;
			r->flags |= RULE_SETTING;
			r->setting = (uint32_t)n;
		} else if (end - p >= 5 && memcmp(p, "text=", 5) == 0) {
			p += 5;
			for (t = 0; p + 1 < end && *p != ' '; p += 2) {
				if (t == RULE_TEXTMAX || (hi = name_unhex(p[0])) < 0 ||
				    (lo = name_unhex(p[1])) < 0 ||
				    (hi << 4 | lo) < 0x20 || (hi << 4 | lo) > 0x7e)
					return -1;
				r->text[t++] = (char)(hi << 4 | lo);
			}
			if (t == 0 || (p < end && *p != ' '))
				return -1;
			r->text[t] = '\0';
		} else
			return -1;
		if (p < end && *p != ' ')
			return -1;
	}
	return 0;
}

/* A setting's value is "LINE 0 set=N" and nothing else. */
static int
setting_alone(const struct rule *r)
{
	if (!(r->flags & RULE_SETTING))
		return 0;
	return r->flags == RULE_SETTING && r->nwin == 0 && r->reply == 0 &&
	    r->ban == 0 && r->warn == 0 && r->text[0] == '\0' &&
	    r->msgmax == 0 && r->nets == 0 && r->massn == 0 &&
	    r->dormant == 0 && r->npool == 0 ? 0 : -1;
}

static int
parsevalue(const char *v, size_t len, struct rule *r);

int
rule_parsevalue(const char *v, size_t len, struct rule *r)
{
	if (parsevalue(v, len, r) < 0 || setting_alone(r) < 0)
		return -1;
	return 0;
}

static int
parsevalue(const char *v, size_t len, struct rule *r)
{
	const char *p = v, *end = v + len, *sp;
	unsigned long n, per;

	memset(r, 0, sizeof(*r));
	if (scan(&p, end, 0xffffffffUL, &r->line) < 0 || p >= end || *p++ != ' ')
		return -1;
	if (end - p == 6 && memcmp(p, "exempt", 6) == 0) {
		r->flags = RULE_EXEMPT;
		return 0;
	}
	if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
		sp = end;
	if (sp - p == 1 && *p == '0')
		return parseopts(sp, end, r);
	for (;;) {
		if (r->nwin == RULE_MAXWIN || scan(&p, sp, RULE_MAXLIMIT, &n) < 0 ||
		    n == 0)
			return -1;
		per = 0;
		if (p < sp && *p == '/' && (++p, scan(&p, sp, RULE_MAXPERIOD,
		    &per) < 0 || per == 0))
			return -1;
		r->win[r->nwin].limit = (uint32_t)n;
		r->win[r->nwin].period = (uint32_t)per;
		r->nwin++;
		if (p == sp)
			return parseopts(sp, end, r);
		if (*p++ != ',')
			return -1;
	}
}

void
rule_fmtperiod(uint32_t secs, char *buf, size_t bufsz)
{
	if (secs == 0)
		snprintf(buf, bufsz, "%s", "");
	else if (secs % 86400 == 0)
		snprintf(buf, bufsz, "%lud", (unsigned long)secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(buf, bufsz, "%luh", (unsigned long)secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, bufsz, "%lum", (unsigned long)secs / 60);
	else
		snprintf(buf, bufsz, "%lus", (unsigned long)secs);
}
