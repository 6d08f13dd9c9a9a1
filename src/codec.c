/*
 * codec.c: the CDB value of a rule (DESIGN.md "Control file and CDB"):
 * "LINE LIMITS OPTIONS", "LINE exempt" or "LINE 0 set=N". The options
 * come from the table (option.c), each as the control file spells it with
 * periods in seconds, a text in hex; a value is read back only as it is
 * written (and in the spelling of older CDBs, see option()).
 */
#include <stdio.h>
#include <string.h>

#include "name.h"
#include "option.h"
#include "rule.h"

/* " name" or " name=value" of o in r as the CDB holds it, into buf:
 * its length, or -1 when r does not have o or it does not fit. */
static int
encode(const struct option *o, const struct rule *r, char *buf,
    size_t bufsz)
{
	static const char hex[] = "0123456789abcdef";
	char v[RULE_VALMAX];
	int n, i, len;

	if ((n = opt_fmt(o, r, v, sizeof(v))) < 0 || (size_t)n >= sizeof(v))
		return -1;
	len = snprintf(buf, bufsz, " %s%s", o->name, n > 0 ? "=" : "");
	if (len < 0 || (size_t)len >= bufsz)
		return -1;
	if (!o->hex) {
		len += snprintf(buf + len, bufsz - (size_t)len, "%s", v);
		return (size_t)len < bufsz ? len : -1;
	}
	/* "text" -> its inside in hex: a value has no spaces of its own */
	if ((size_t)len + 2 * (size_t)n >= bufsz)
		return -1;
	for (i = 1; i < n - 1; i++) {
		buf[len++] = hex[(unsigned char)v[i] >> 4];
		buf[len++] = hex[(unsigned char)v[i] & 15];
	}
	buf[len] = '\0';
	return len;
}

void
rule_fmtvalue(const struct rule *r, char *buf, size_t bufsz)
{
	const struct option *o;
	char tok[RULE_VALMAX];
	size_t off;
	int w, hex, n;

	off = (size_t)snprintf(buf, bufsz, "%lu ", r->line);
	if (r->flags & RULE_EXEMPT) {
		snprintf(buf + off, bufsz - off, "exempt");
		return;
	}
	if (r->flags & RULE_SETTING) {
		snprintf(buf + off, bufsz - off, "0 set=%lu",
		    (unsigned long)r->setting);
		return;
	}
	if (r->nwin == 0)
		off += (size_t)snprintf(buf + off, bufsz - off, "0");
	for (w = 0; w < r->nwin && off < bufsz; w++) {
		if (r->win[w].period)
			off += (size_t)snprintf(buf + off, bufsz - off,
			    "%s%lu/%lu", w ? "," : "",
			    (unsigned long)r->win[w].limit,
			    (unsigned long)r->win[w].period);
		else
			off += (size_t)snprintf(buf + off, bufsz - off, "%s%lu",
			    w ? "," : "", (unsigned long)r->win[w].limit);
	}
	/* the texts, the longest part, last; an option that does not fit
	 * is left out whole */
	for (hex = 0; hex <= 1; hex++)
		for (o = opt_table; o->name != NULL; o++)
			if (o->hex == hex && off < bufsz &&
			    (n = encode(o, r, tok, sizeof(tok))) >= 0 &&
			    off + (size_t)n < bufsz) {
				memcpy(buf + off, tok, (size_t)n + 1);
				off += (size_t)n;
			}
}

/* Digits at *p (before end), at most max; advances *p. */
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

/* o's value v (NULL: none) into r, if it formats back to the wlen bytes
 * of want: 0, or -1. */
static int
exact(const struct option *o, const char *v, const char *want, size_t wlen,
    struct rule *r)
{
	char back[RULE_VALMAX];
	int n;

	if (opt_parse(o, v, r) != NULL ||
	    (n = opt_fmt(o, r, back, sizeof(back))) < 0)
		return -1;
	return (size_t)n == wlen && memcmp(back, want, wlen) == 0 ? 0 : -1;
}

/* A CDB option's value s[0..len) into v (vsz bytes), as the control file
 * spells it: a hex text back in double quotes. Its length, or -1 (a NUL
 * byte, too long). */
static long
decode(const struct option *o, const char *s, size_t len, char *v,
    size_t vsz)
{
	size_t i, n = 0;
	int hi, lo;

	if (!o->hex) {
		if (len >= vsz || memchr(s, '\0', len) != NULL)
			return -1;
		memcpy(v, s, len);
		v[len] = '\0';
		return (long)len;
	}
	if (len % 2 != 0 || len / 2 + 3 > vsz)
		return -1;
	v[n++] = '"';
	for (i = 0; i < len; i += 2) {
		if ((hi = name_unhex(s[i])) < 0 ||
		    (lo = name_unhex(s[i + 1])) < 0 || (hi | lo) == 0)
			return -1;
		v[n++] = (char)(hi << 4 | lo);
	}
	v[n++] = '"';
	v[n] = '\0';
	return (long)n;
}

/* One option "name" or "name=value" (s[0..len)) into r, at most once. */
static int
option(const char *s, size_t len, struct rule *r, unsigned *seen)
{
	const char *eq = memchr(s, '=', len);
	const struct option *o;
	char v[RULE_VALMAX], *slash;
	long vlen;

	if ((o = opt_find(s, eq ? (size_t)(eq - s) : len)) == NULL ||
	    (*seen & opt_bit(o)))
		return -1;
	*seen |= opt_bit(o);
	if (eq == NULL)
		return o->value == OPT_VALUE ? -1 : exact(o, NULL, "", 0, r);
	if (o->value == OPT_NOVALUE || (vlen = decode(o, eq + 1,
	    len - (size_t)(eq + 1 - s), v, sizeof(v))) < 0)
		return -1;
	if (exact(o, v, v, (size_t)vlen, r) == 0)
		return 0;
	/*
	 * Compatibility: cdbmake-limits before the unified spelling wrote
	 * mass=M/R/T and dormant=D/N/P. A CDB it wrote is still read (else
	 * every recipient went to the failure policy until the admin
	 * recompiled): its first '/' stands for the 'x' or ',' of today.
	 */
	if (o->oldsep == '\0' || (slash = strchr(v, '/')) == NULL)
		return -1;
	*slash = o->oldsep;
	return exact(o, v, v, (size_t)vlen, r);
}

/* " name=value" options of a CDB value, from p to end. */
static int
parseopts(const char *p, const char *end, struct rule *r)
{
	const char *sp;
	unsigned seen = 0;

	while (p < end) {
		if (*p++ != ' ')
			return -1;
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if (option(p, (size_t)(sp - p), r, &seen) < 0)
			return -1;
		p = sp;
	}
	return 0;
}

/* "LIMITS" ("0", or "N/SECS,N,...") and the options after them. */
static int
parsewindows(const char *p, const char *end, struct rule *r)
{
	const char *sp;
	unsigned long n, per;

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

int
rule_parsevalue(const char *v, size_t len, struct rule *r)
{
	static const char set[] = "0 set=";
	const char *p = v, *end = v + len;
	unsigned long n;

	memset(r, 0, sizeof(*r));
	if (scan(&p, end, 0xffffffffUL, &r->line) < 0 || p >= end ||
	    *p++ != ' ')
		return -1;
	if (end - p == 6 && memcmp(p, "exempt", 6) == 0) {
		r->flags = RULE_EXEMPT;
		return 0;
	}
	/* a setting's value is "LINE 0 set=N" and nothing else */
	if ((size_t)(end - p) >= sizeof(set) - 1 &&
	    memcmp(p, set, sizeof(set) - 1) == 0) {
		p += sizeof(set) - 1;
		if (scan(&p, end, 128, &n) < 0 || n == 0 || p != end)
			return -1;
		r->flags = RULE_SETTING;
		r->setting = (uint32_t)n;
		return 0;
	}
	return parsewindows(p, end, r);
}
