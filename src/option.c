/*
 * option.c: the table of rule options (option.h) and the control file's
 * words they are made of: numbers, periods, lists of limits.
 */
#include <stdio.h>
#include <string.h>

#include "option.h"

#define REPLY_NEED	"reply= needs a code: 421, 450, 451, 452, 550, 552, " \
			    "553 or 554"
#define MSG_NEED	"msg= needs the most recipients of one message, " \
			    "e.g. msg=100"
#define NETS_NEED	"nets= needs networks per period from 1 to 32, " \
			    "e.g. nets=3/1h"
#define MASS_NEED	"mass= needs messages x recipients per period, " \
			    "e.g. mass=3x50/1h (at most 32 messages)"
#define DORMANT_NEED	"dormant= needs the silence, then a limit per " \
			    "period, e.g. dormant=30d,20/1d"
#define FLAG_NOVALUE	"dryrun and strict take no value"

/* Parse decimal digits s[0..len) into *v (at most max). */
const char *
opt_number(const char *s, size_t len, unsigned long max, unsigned long *v)
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

const char *
opt_period(const char *s, size_t len, uint32_t *secs)
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
	if (len > 0 && (e = opt_number(s, len, RULE_MAXPERIOD, &n)) != NULL)
		return strcmp(e, "number too large") == 0 ?
		    "period too long (at most 366d)" : "bad period";
	if (n == 0)
		return "period must not be zero";
	if (n * unit > RULE_MAXPERIOD)
		return "period too long (at most 366d)";
	*secs = (uint32_t)(n * unit);
	return NULL;
}

const char *
opt_limits(const char *s, size_t len, int *nw, struct window *w)
{
	const char *item, *end = s + len, *comma, *slash, *e;
	uint32_t p, seen[2 * RULE_MAXWIN];
	unsigned long n;
	int i, nseen = 0;

	*nw = 0;
	if (len == 0)
		return "missing limit";
	for (item = s; item <= end; item = comma + 1) {
		if ((comma = memchr(item, ',', (size_t)(end - item))) == NULL)
			comma = end;
		slash = memchr(item, '/', (size_t)(comma - item));
		if ((e = opt_number(item, (size_t)((slash ? slash : comma) -
		    item), RULE_MAXLIMIT, &n)) != NULL)
			return strcmp(e, "number too large") == 0 ?
			    "limit too large (at most 1000000000)" :
			    strcmp(e, "negative number") == 0 ?
			    "negative limit" : "limit is not a number";
		p = 0;
		if (slash != NULL && (e = opt_period(slash + 1,
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
		if (*nw == RULE_MAXWIN)
			return "too many limits (at most 8)";
		w[*nw].limit = (uint32_t)n;
		w[*nw].period = p;
		(*nw)++;
	}
	return NULL;
}

/*
 * v[0], then sep[i - 1] and v[i] for each other, in decimal into buf
 * (bufsz bytes, NUL-terminated): the length, as snprintf counts it. Not
 * snprintf: the helper formats every option it reads back (codec.c),
 * and this costs a tenth of it.
 */
static int
nums(char *buf, size_t bufsz, const char *sep, const uint32_t *v, int n)
{
	char d[10];
	size_t o = 0, k;
	uint32_t x;
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0 && o + 1 < bufsz)
			buf[o] = sep[i - 1];
		o += i > 0;
		k = sizeof(d);
		x = v[i];
		do
			d[--k] = (char)('0' + x % 10);
		while ((x /= 10) != 0);
		for (; k < sizeof(d); k++, o++)
			if (o + 1 < bufsz)
				buf[o] = d[k];
	}
	if (bufsz > 0)
		buf[o < bufsz ? o : bufsz - 1] = '\0';
	return (int)o;
}

static int
num(char *buf, size_t bufsz, uint32_t v)
{
	return nums(buf, bufsz, "", &v, 1);
}

/* "N/PERIOD" with 1 <= N <= max. */
static const char *
countper(const char *s, unsigned long max, uint32_t *n, uint32_t *per)
{
	const char *slash = strchr(s, '/');
	unsigned long v;

	if (slash == NULL || opt_number(s, (size_t)(slash - s), max, &v) !=
	    NULL || v == 0)
		return "bad count";
	if (opt_period(slash + 1, strlen(slash + 1), per) != NULL)
		return "bad period";
	*n = (uint32_t)v;
	return NULL;
}

static const char *
reply_parse(const char *v, struct rule *r)
{
	static const unsigned codes[] = { 421, 450, 451, 452, 550, 552, 553,
	    554, 0 };
	unsigned long n;
	int i;

	if (opt_number(v, strlen(v), 999, &n) != NULL)
		return REPLY_NEED;
	for (i = 0; codes[i] != 0 && codes[i] != n; i++)
		;
	if (codes[i] == 0)
		return REPLY_NEED;
	r->reply = (unsigned)n;
	return NULL;
}

static int
reply_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	return r->reply ? num(buf, bufsz, r->reply) : -1;
}

static const char *
text_parse(const char *v, struct rule *r)
{
	size_t len = strlen(v), i;

	if (v[0] != '"' || len < 3 || v[len - 1] != '"')
		return "text= needs a text in double quotes";
	if (len - 2 > RULE_TEXTMAX)
		return "text too long (at most 400 characters)";
	for (i = 1; i < len - 1; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return "text: only printable ASCII";
	memcpy(r->text, v + 1, len - 2);
	r->text[len - 2] = '\0';
	return NULL;
}

static int
text_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	return r->text[0] ? snprintf(buf, bufsz, "\"%s\"", r->text) : -1;
}

/* A number from 1 to max, then the unit suffix or nothing: 0, or -1. */
static int
suffixed(const char *v, char suffix, unsigned long max, unsigned long *n)
{
	size_t len = strlen(v);

	if (len > 0 && v[len - 1] == suffix)
		len--;
	return opt_number(v, len, max, n) != NULL || *n == 0 ? -1 : 0;
}

/* "ban" (= 1x), "ban=2x", "ban=2" */
static const char *
ban_parse(const char *v, struct rule *r)
{
	unsigned long n = 1;

	if (v != NULL && suffixed(v, 'x', 100, &n) < 0)
		return "ban= needs a multiple of the limit from 1 to 100, e.g. "
		    "ban=2x";
	r->ban = (unsigned)n;
	return NULL;
}

static int
ban_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	return r->ban ? num(buf, bufsz, r->ban) : -1;
}

/* "warn=80%", "warn=80" */
static const char *
warn_parse(const char *v, struct rule *r)
{
	unsigned long n;

	if (suffixed(v, '%', 99, &n) < 0)
		return "warn= needs a percentage from 1 to 99, e.g. warn=80%";
	r->warn = (unsigned)n;
	return NULL;
}

static int
warn_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	return r->warn ? num(buf, bufsz, r->warn) : -1;
}

static const char *
msg_parse(const char *v, struct rule *r)
{
	unsigned long n;

	if (opt_number(v, strlen(v), RULE_MAXLIMIT, &n) != NULL || n == 0)
		return MSG_NEED;
	r->msgmax = (uint32_t)n;
	return NULL;
}

static int
msg_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	return r->msgmax ? num(buf, bufsz, r->msgmax) : -1;
}

static void
msg_describe(const struct rule *r, FILE *out)
{
	fprintf(out, "per message: at most %lu recipients (452)\n",
	    (unsigned long)r->msgmax);
}

/* "nets=M/T" */
static const char *
nets_parse(const char *v, struct rule *r)
{
	if (countper(v, RULE_SIGMAX, &r->nets, &r->netsper) != NULL)
		return NETS_NEED;
	return NULL;
}

static int
nets_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	const uint32_t v[] = { r->nets, r->netsper };

	return r->nets ? nums(buf, bufsz, "/", v, 2) : -1;
}

static void
nets_describe(const struct rule *r, FILE *out)
{
	char a[16];

	rule_fmtperiod(r->netsper, a, sizeof(a));
	fprintf(out, "networks: refused when seen from more than %lu in any "
	    "%s\n", (unsigned long)r->nets, a);
}

/* "mass=MxR/T" */
static const char *
mass_parse(const char *v, struct rule *r)
{
	const char *x = strchr(v, 'x');
	unsigned long n;

	if (x == NULL || opt_number(v, (size_t)(x - v), RULE_SIGMAX, &n) !=
	    NULL || n == 0 || countper(x + 1, RULE_MAXLIMIT, &r->massr,
	    &r->massper) != NULL)
		return MASS_NEED;
	r->massn = (uint32_t)n;
	return NULL;
}

static int
mass_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	const uint32_t v[] = { r->massn, r->massr, r->massper };

	return r->massn ? nums(buf, bufsz, "x/", v, 3) : -1;
}

static void
mass_describe(const struct rule *r, FILE *out)
{
	char a[16];

	rule_fmtperiod(r->massper, a, sizeof(a));
	fprintf(out, "mass mail: banned at the %lu%s message of %lu or more "
	    "recipients in any %s\n", (unsigned long)r->massn,
	    r->massn == 1 ? "st" : r->massn == 2 ? "nd" :
	    r->massn == 3 ? "rd" : "th", (unsigned long)r->massr, a);
}

/* "dormant=D,N/P" */
static const char *
dormant_parse(const char *v, struct rule *r)
{
	const char *comma = strchr(v, ',');

	if (comma == NULL || opt_period(v, (size_t)(comma - v),
	    &r->dormant) != NULL || countper(comma + 1, RULE_MAXLIMIT,
	    &r->warmn, &r->warmper) != NULL)
		return DORMANT_NEED;
	return NULL;
}

static int
dormant_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	const uint32_t v[] = { r->dormant, r->warmn, r->warmper };

	return r->dormant ? nums(buf, bufsz, ",/", v, 3) : -1;
}

static void
dormant_describe(const struct rule *r, FILE *out)
{
	char a[16], b[16];

	rule_fmtperiod(r->dormant, a, sizeof(a));
	rule_fmtperiod(r->warmper, b, sizeof(b));
	fprintf(out, "dormant: after %s without a recipient, at most %lu in "
	    "the first %s back\n", a, (unsigned long)r->warmn, b);
}

/* "pool=N/PERIOD,..." */
static const char *
pool_parse(const char *v, struct rule *r)
{
	const char *e;
	int i;

	if ((e = opt_limits(v, strlen(v), &r->npool, r->pool)) != NULL)
		return e;
	for (i = 0; i < r->npool; i++)
		if (r->pool[i].period == 0)
			return "pool= limits need a period, e.g. pool=5000/1d";
	return NULL;
}

static int
pool_fmt(const struct rule *r, char *buf, size_t bufsz)
{
	uint32_t v[2 * RULE_MAXWIN];
	char sep[2 * RULE_MAXWIN];
	int i;

	if (r->npool <= 0 || r->npool > RULE_MAXWIN)
		return -1;
	for (i = 0; i < r->npool; i++) {
		v[2 * i] = r->pool[i].limit;
		v[2 * i + 1] = r->pool[i].period;
		sep[2 * i] = '/';
		sep[2 * i + 1] = ',';
	}
	return nums(buf, bufsz, sep, v, 2 * r->npool);
}

static void
pool_describe(const struct rule *r, FILE *out)
{
	char a[16];
	int i;

	for (i = 0; i < r->npool; i++) {
		rule_fmtperiod(r->pool[i].period, a, sizeof(a));
		fprintf(out, "%s%lu in any %s", i ? ", " : "domain pool: ",
		    (unsigned long)r->pool[i].limit, a);
	}
	fprintf(out, " for all its users together\n");
}

/*
 * Every option, once. The order is the order of the control-file
 * messages that list them and of "overlimitctl explain"; the CDB value
 * writes them in this order too, the hex texts last.
 */
const struct option opt_table[] = {
	{ .name = "reply", .value = OPT_VALUE, .lines = LINE_ANY,
	    .novalue = REPLY_NEED, .parse = reply_parse, .fmt = reply_fmt },
	{ .name = "text", .value = OPT_VALUE, .hex = 1, .lines = LINE_ANY,
	    .novalue = "text= needs a text in double quotes",
	    .parse = text_parse, .fmt = text_fmt },
	{ .name = "ban", .value = OPT_MAYVALUE, .lines = LINE_CLIENT,
	    .parse = ban_parse, .fmt = ban_fmt },
	{ .name = "warn", .value = OPT_VALUE, .lines = LINE_ANY,
	    .novalue = "warn= needs a percentage, e.g. warn=80%",
	    .parse = warn_parse, .fmt = warn_fmt },
	{ .name = "dryrun", .value = OPT_NOVALUE, .lines = LINE_ANY,
	    .novalue = FLAG_NOVALUE, .flag = RULE_DRYRUN },
	{ .name = "strict", .value = OPT_NOVALUE, .lines = LINE_CLIENT,
	    .novalue = FLAG_NOVALUE, .flag = RULE_STRICT },
	{ .name = "msg", .value = OPT_VALUE, .lines = LINE_CLIENT,
	    .novalue = MSG_NEED, .parse = msg_parse, .fmt = msg_fmt,
	    .describe = msg_describe },
	{ .name = "nets", .value = OPT_VALUE,
	    .lines = LINE_USER | LINE_DOMAIN | LINE_DEFAULT, .whyon = LINE_IP,
	    .why = "nets= counts the networks of an auth user, not of an IP",
	    .novalue = NETS_NEED, .parse = nets_parse, .fmt = nets_fmt,
	    .describe = nets_describe },
	{ .name = "mass", .value = OPT_VALUE, .lines = LINE_CLIENT,
	    .novalue = MASS_NEED, .parse = mass_parse, .fmt = mass_fmt,
	    .describe = mass_describe, .oldsep = 'x' },
	{ .name = "dormant", .value = OPT_VALUE, .lines = LINE_CLIENT,
	    .novalue = DORMANT_NEED, .parse = dormant_parse,
	    .fmt = dormant_fmt, .describe = dormant_describe, .oldsep = ',' },
	{ .name = "pool", .value = OPT_VALUE, .lines = LINE_DOMAIN,
	    .whyon = LINE_ANY & ~LINE_DOMAIN,
	    .why = "pool= belongs on an @domain line",
	    .novalue = "pool= needs limits, e.g. pool=5000/1d",
	    .parse = pool_parse, .fmt = pool_fmt, .describe = pool_describe },
	{ .name = NULL }
};

const struct option *
opt_find(const char *name, size_t len)
{
	const struct option *o;

	if (len == 0)
		return NULL;
	for (o = opt_table; o->name != NULL; o++)
		if (o->name[0] == name[0] && strlen(o->name) == len &&
		    memcmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

unsigned
opt_bit(const struct option *o)
{
	return 1u << (o - opt_table);
}

const char *
opt_parse(const struct option *o, const char *v, struct rule *r)
{
	if (o->parse != NULL)
		return o->parse(v, r);
	r->flags |= o->flag;
	return NULL;
}

int
opt_fmt(const struct option *o, const struct rule *r, char *buf,
    size_t bufsz)
{
	if (o->fmt != NULL)
		return o->fmt(r, buf, bufsz);
	if (!(r->flags & o->flag))
		return -1;
	buf[0] = '\0';
	return 0;
}

void
rule_describe(const struct rule *r, FILE *out)
{
	char v[RULE_VALMAX];
	const struct option *o;

	for (o = opt_table; o->name != NULL; o++)
		if (o->describe != NULL && opt_fmt(o, r, v, sizeof(v)) >= 0)
			o->describe(r, out);
}

void
rule_fmtperiod(uint32_t secs, char *buf, size_t bufsz)
{
	static const struct { uint32_t secs; char unit; } u[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	char d[12];
	size_t i = sizeof(d), k = 0;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	if (secs == 0)
		return;
	while (secs % u[k].secs != 0)	/* no printf: see nums() */
		k++;
	secs /= u[k].secs;
	d[--i] = u[k].unit;
	do
		d[--i] = (char)('0' + secs % 10);
	while ((secs /= 10) != 0);
	if (sizeof(d) - i < bufsz) {
		memcpy(buf, d + i, sizeof(d) - i);
		buf[sizeof(d) - i] = '\0';
	}
}
