/* rule.c: control-file syntax (DESIGN.md "Control file") and CDB values. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

#define LINEMAX 4096	/* a longer line is an error */

/* Remove spaces and tabs, a comment ('#' at the start or after white
 * space) and a final CR. Returns the new length, or -1 on a control
 * character or NUL. */
static long
strip(const char *in, size_t len, char *out, const char **err)
{
	size_t i, o = 0;
	int white = 1;
	unsigned char c;

	if (len > 0 && in[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == ' ' || c == '\t') {
			white = 1;
			continue;
		}
		if (c == '#' && white)
			break;
		white = 0;
		if (c == '\0') {
			*err = "NUL byte";
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			*err = "control character";
			return -1;
		}
		out[o++] = (char)c;
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

int
rule_parseline(const char *line, size_t len, unsigned long lineno,
    struct rulekey *k, struct rule *r, const char **err)
{
	char buf[LINEMAX + 1];
	char *name, *rest, *colon, *close;
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
		if ((colon = strchr(rest, ':')) != NULL) {
			/* "2001:db8::1:5", "::1:50": an IPv6 line, not options */
			*err = limits(rest, (size_t)(colon - rest), r) == NULL ?
			    "unknown option after the limit" :
			    "IPv6 addresses go in brackets, as in [2001:db8::1]:100";
			return RULE_ERR;
		}
		if ((*err = namekey(name, strlen(name), k)) != NULL)
			return RULE_ERR;
	}
	if (strchr(rest, ':') != NULL) {
		*err = "unknown option after the limit";
		return RULE_ERR;
	}
	if ((*err = limits(rest, strlen(rest), r)) != NULL)
		return RULE_ERR;
	return RULE_OK;
}

void
rule_fmtvalue(const struct rule *r, char *buf, size_t bufsz)
{
	size_t o;
	int i;

	o = (size_t)snprintf(buf, bufsz, "%lu ", r->line);
	if (r->nwin == 0)
		snprintf(buf + o, bufsz - o, "0");
	for (i = 0; i < r->nwin && o < bufsz; i++) {
		if (r->win[i].period)
			o += (size_t)snprintf(buf + o, bufsz - o, "%s%lu/%lu",
			    i ? "," : "", (unsigned long)r->win[i].limit,
			    (unsigned long)r->win[i].period);
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "%s%lu",
			    i ? "," : "", (unsigned long)r->win[i].limit);
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

int
rule_parsevalue(const char *v, size_t len, struct rule *r)
{
	const char *p = v, *end = v + len;
	unsigned long n, per;

	memset(r, 0, sizeof(*r));
	if (scan(&p, end, 0xffffffffUL, &r->line) < 0 || p >= end || *p++ != ' ')
		return -1;
	if (end - p == 1 && *p == '0')
		return 0;
	for (;;) {
		if (r->nwin == RULE_MAXWIN || scan(&p, end, RULE_MAXLIMIT, &n) < 0 ||
		    n == 0)
			return -1;
		per = 0;
		if (p < end && *p == '/' && (++p, scan(&p, end, RULE_MAXPERIOD,
		    &per) < 0 || per == 0))
			return -1;
		r->win[r->nwin].limit = (uint32_t)n;
		r->win[r->nwin].period = (uint32_t)per;
		r->nwin++;
		if (p == end)
			return 0;
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
