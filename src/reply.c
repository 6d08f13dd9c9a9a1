/* reply.c: see reply.h. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reply.h"

struct buf {
	char	*p;
	size_t	len;
};

static void
add(struct buf *b, const char *s, size_t n)
{
	if (n > REPLY_MAX - b->len)
		n = REPLY_MAX - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void
retrytext(const struct verdict *v, char *out, size_t sz)
{
	/* to the minute, rounded up: a client that obeys it is let through */
	time_t t = (time_t)(v->retry % 60 == 0 || v->retry > INT64_MAX - 60 ?
	    v->retry : v->retry + 60 - v->retry % 60);
	struct tm tm;

	if (v->banned)
		snprintf(out, sz, "when the postmaster lifts the block");
	else if (v->retry <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, sz, "the next reset");
	else
		(void)strftime(out, sz, "%Y-%m-%d %H:%M UTC", &tm);
}

/* text with its {placeholders} filled in from ph (client, limit, period,
 * count, retry; NULL: left as it is). */
static void
expand(struct buf *b, const char *text, const char *const ph[5])
{
	static const char *const name[5] = { "{client}", "{limit}",
		"{period}", "{count}", "{retry}" };
	const char *p, *e;
	size_t i, n;

	for (p = text; *p != '\0'; p = e) {
		if (*p != '{' || (e = strchr(p, '}')) == NULL) {
			e = strchr(p + 1, '{');
			if (e == NULL)
				e = p + strlen(p);
			add(b, p, (size_t)(e - p));
			continue;
		}
		n = (size_t)(++e - p);
		for (i = 0; i < 5; i++)
			if (ph[i] != NULL && strlen(name[i]) == n &&
			    strncmp(p, name[i], n) == 0)
				break;
		if (i < 5)
			adds(b, ph[i]);
		else
			add(b, p, n);
	}
}

size_t
reply_format(const struct rule *r, const struct verdict *v,
    const char *client, char *out)
{
	char limit[16], period[16], count[24], retry[64], who[210], code[24];
	struct buf b = { out, 0 };
	const char *ph[5] = { who, limit, NULL, count, retry };
	unsigned rc = r->reply ? r->reply : 421;

	out[0] = '\0';
	snprintf(who, sizeof(who), "%.200s%s", client,
	    strlen(client) > 200 ? "..." : "");
	snprintf(limit, sizeof(limit), "%lu", (unsigned long)v->olimit);
	snprintf(count, sizeof(count), "%llu", (unsigned long long)v->ocount);
	rule_fmtperiod(v->operiod, period, sizeof(period));
	retrytext(v, retry, sizeof(retry));
	ph[2] = period[0] ? period : "reset";
	snprintf(code, sizeof(code), "%u %c.7.0 ", rc, rc >= 500 ? '5' : '4');
	adds(&b, code);
	if (r->text[0] == '\0') {
		if (v->banned) {
			adds(&b, "sending blocked for ");
			adds(&b, who);
			adds(&b, " after too many recipients; contact your "
			    "postmaster");
		} else {
			adds(&b, v->why == WHY_NETS ? "network limit " :
			    v->why == WHY_WARMUP ? "warm-up limit " :
			    v->why == WHY_POOL ? "domain recipient limit " :
			    v->why == WHY_SERVER ? "server recipient limit " :
			    "recipient limit ");
			adds(&b, limit);
			if (period[0] != '\0') {
				adds(&b, " per ");
				adds(&b, period);
			}
			adds(&b, " reached for ");
			adds(&b, who);
			adds(&b, ", retry after ");
			adds(&b, retry);
		}
		return b.len;
	}
	expand(&b, r->text, ph);
	return b.len;
}

size_t
reply_deny(const char *text, const char *client, char *out)
{
	struct buf b = { out, 0 };
	char who[210];
	const char *ph[5] = { NULL, NULL, NULL, NULL, NULL };

	out[0] = '\0';
	snprintf(who, sizeof(who), "%.200s%s", client,
	    strlen(client) > 200 ? "..." : "");
	ph[0] = who;
	adds(&b, "550 5.7.1 ");
	if (text[0] == '\0') {
		adds(&b, "sending to this recipient is not allowed for ");
		adds(&b, who);
	} else
		expand(&b, text, ph);
	return b.len;
}
