/*
 * grammar.c: a control-file line (DESIGN.md "Control file and CDB") ->
 * its CDB key and its rule. The options come from the table (option.c).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dest.h"
#include "option.h"
#include "rule.h"

#define LINEMAX 4096	/* a longer line is an error */

/* the messages that list options (listmsg) */
static char	unknown[256], serveronly[128];

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
		if (opt_number(slash + 1, strlen(slash + 1),
		    (unsigned long)bits, &plen) != NULL)
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

/* The kind of line of k (LINE_*). */
static unsigned
linekind(const struct rulekey *k)
{
	if (strcmp(k->key, RULE_SERVERKEY) == 0)
		return LINE_SERVER;
	if (k->family != 0)
		return LINE_IP;
	if (k->key[0] == '@')
		return LINE_DOMAIN;
	return k->key[0] == '\0' ? LINE_DEFAULT : LINE_USER;
}

/* The names of the options that lines take, as the messages list them
 * ("reply=, text=, ban"), the last two joined by last. */
static void
optnames(unsigned lines, const char *last, char *buf, size_t bufsz)
{
	const struct option *o;
	int n = 0, i = 0;

	for (o = opt_table; o->name != NULL; o++)
		n += (o->lines & lines) != 0;
	for (o = opt_table; o->name != NULL; o++) {
		if (!(o->lines & lines))
			continue;
		if (i++ > 0)
			strlcat(buf, i == n ? last : ", ", bufsz);
		strlcat(buf, o->name, bufsz);
		if (o->value == OPT_VALUE)
			strlcat(buf, "=", bufsz);
	}
}

/* msg, made once: pre, the options that lines take, post. */
static const char *
listmsg(char *msg, size_t msz, const char *pre, unsigned lines,
    const char *last, const char *post)
{
	if (msg[0] == '\0') {
		strlcpy(msg, pre, msz);
		optnames(lines, last, msg, msz);
		strlcat(msg, post, msz);
	}
	return msg;
}

/* One option, "name" or "name=value", into r; seen: the options so far. */
static const char *
option(char *s, struct rule *r, unsigned *seen)
{
	const struct option *o;
	char *v = strchr(s, '=');

	if (v != NULL)
		*v++ = '\0';
	if ((o = opt_find(s, strlen(s))) == NULL)
		return s[0] == '\0' ? "empty option" : listmsg(unknown,
		    sizeof(unknown), "unknown option (", LINE_ANY, ", ", ")");
	if (*seen & opt_bit(o))
		return "option given twice";
	*seen |= opt_bit(o);
	if ((o->value == OPT_VALUE && v == NULL) ||
	    (o->value == OPT_NOVALUE && v != NULL))
		return o->novalue;
	return opt_parse(o, v, r);
}

/* The options that only some lines take: those r has, then on the *
 * line those given (seen). */
static const char *
fits(const struct rulekey *k, const struct rule *r, unsigned seen)
{
	char v[RULE_VALMAX];
	const struct option *o;
	unsigned kind = linekind(k);
	int i;

	for (o = opt_table; o->name != NULL; o++)
		if ((o->whyon & kind) && opt_fmt(o, r, v, sizeof(v)) >= 0)
			return o->why;
	if (kind != LINE_SERVER)
		return NULL;
	for (o = opt_table; o->name != NULL; o++)
		if ((seen & opt_bit(o)) && !(o->lines & LINE_SERVER))
			return listmsg(serveronly, sizeof(serveronly),
			    "the * line takes only ", LINE_SERVER, " and ", "");
	for (i = 0; i < r->nwin; i++)
		if (r->win[i].period == 0)
			return "the * line's limits need a period, e.g. *:20000/1h";
	return NULL;
}

/* "!count6=64", "!nets4=24", "!nets6=64" */
/* A domain name as a setting's value: lower-cased, no '@' or the like. */
static int
domainname(char *d)
{
	char *p;

	if (*d == '\0' || *d == '.' || strlen(d) > 253)
		return -1;
	for (p = d; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '-' || *p == '_'))
			return -1;
	}
	return 0;
}

/* "!domain=example.com": a login without a domain (vpopmail's default
 * domain) is user@example.com. "!alias=old.example:example.com": the
 * users of old.example are those of example.com. The target goes in the
 * rule's text (a value every codec reads: "LINE 0 text=HEX"). */
static int
domainset(const char *name, char *v, struct rulekey *k, struct rule *r,
    const char **err)
{
	char *to = v, tmp[260], dk[NAME_ENCMAX + 1];

	if (name[0] == 'a') {
		if (v == NULL || (to = strchr(v, ':')) == NULL) {
			*err = "!alias= needs ALIAS:DOMAIN, e.g. "
			    "!alias=old.example:example.com";
			return RULE_ERR;
		}
		*to++ = '\0';
		if (domainname(v) < 0) {
			*err = "!alias=: bad alias domain";
			return RULE_ERR;
		}
		snprintf(tmp, sizeof(tmp), "x@%s", v);
		(void)name_domainkey(tmp, strlen(tmp), dk);
		/* the key must hold it whole (a long domain would not) */
		if (strlen(RULE_ALIASKEY) + strlen(dk) > NAME_ENCMAX) {
			*err = "!alias=: alias domain too long";
			return RULE_ERR;
		}
		strlcpy(k->key, RULE_ALIASKEY, sizeof(k->key));
		strlcat(k->key, dk, sizeof(k->key));
	} else
		strlcpy(k->key, RULE_DOMAINKEY, sizeof(k->key));
	if (to == NULL || domainname(to) < 0) {
		*err = name[0] == 'a' ? "!alias=: bad target domain" :
		    "!domain= needs a domain, e.g. !domain=example.com";
		return RULE_ERR;
	}
	if (name[0] == 'a' && strcmp(v, to) == 0) {
		*err = "!alias=: a domain is not its own alias";
		return RULE_ERR;
	}
	strlcpy(r->text, to, sizeof(r->text));
	return RULE_OK;
}

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
	if (strcmp(s, "domain") == 0 || strcmp(s, "alias") == 0)
		return domainset(s, v, k, r, err);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		if (strcmp(s, set[i].name) != 0)
			continue;
		if (v == NULL || opt_number(v, strlen(v), set[i].hi, &n) != NULL ||
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
	*err = "unknown setting (!count6=, !nets4=, !nets6=, !domain=, !alias=)";
	return RULE_ERR;
}

/* The first '>' of s outside double quotes, or NULL. */
static char *
arrow(char *s)
{
	int inq = 0;

	for (; *s != '\0'; s++) {
		if (*s == '"')
			inq = !inq;
		else if (*s == '>' && !inq)
			return s;
	}
	return NULL;
}

/* The client whose set a destination rule is in: as a limits line names
 * it (user, @domain, IP, prefix, [IPv6], empty: everyone). */
static const char *
whokey(char *s, size_t len, struct rulekey *k)
{
	char *close;

	if (len == 1 && s[0] == '*')
		return "the * line has no destination rules (an empty name: "
		    "everyone)";
	if (len == 0 || s[0] != '[')
		return namekey(s, len, k);
	if ((close = memchr(s, ']', len)) == NULL)
		return "missing ']'";
	memmove(close, close + 1, (size_t)(s + len - close - 1));
	return ipkey(s + 1, len - 2, 1, k);
}

/* "WHO>PATTERN:allow", "WHO>PATTERN:deny[:dryrun][:text="..."]"; s is the
 * line, gt its first '>' outside quotes. */
static int
destrule(char *s, char *gt, struct rulekey *k, struct rule *r,
    const char **err)
{
	const struct option *dry = opt_find("dryrun", 6),
	    *txt = opt_find("text", 4);
	char *rest = gt + 1, *pat, *act, *o;
	unsigned seen = 0;

	*gt = '\0';
	if ((*err = whokey(s, (size_t)(gt - s), k)) != NULL)
		return RULE_ERR;
	pat = field(&rest);
	if (dest_pattern(pat, strlen(pat), err) < 0)
		return RULE_ERR;
	strlcpy(k->pat, pat, sizeof(k->pat));
	if ((act = field(&rest)) == NULL ||
	    (strcmp(act, "allow") != 0 && strcmp(act, "deny") != 0)) {
		*err = "a destination rule ends in :allow or :deny";
		return RULE_ERR;
	}
	r->flags = RULE_DEST | (act[0] == 'd' ? RULE_DENY : 0);
	while ((o = field(&rest)) != NULL)
		if ((*err = option(o, r, &seen)) != NULL)
			return RULE_ERR;
	if (seen != 0 && !(r->flags & RULE_DENY)) {
		*err = "allow takes no options";
		return RULE_ERR;
	}
	if (seen & ~(opt_bit(dry) | opt_bit(txt))) {
		*err = "a destination rule takes only dryrun and text=";
		return RULE_ERR;
	}
	return RULE_OK;
}

/* A comment ('#' after blanks) or blank line, as the classic script
 * reads it whatever its length. */
static int
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i == len || s[i] == '#' || (s[i] == '\r' && i + 1 == len);
}

int
rule_parseline(const char *line, size_t len, unsigned long lineno,
    struct rulekey *k, struct rule *r, const char **err)
{
	char buf[LINEMAX + 1];
	char *name, *rest, *colon, *close, *lim, *o, *gt;
	unsigned seen = 0;
	long n;

	memset(r, 0, sizeof(*r));
	r->line = lineno;
	k->pat[0] = '\0';
	if (blank(line, len))
		return RULE_EMPTY;	/* a comment or blank line: any length */
	if (len > LINEMAX) {
		*err = "line too long";
		return RULE_ERR;
	}
	if ((n = strip(line, len, buf, err)) < 0)
		return RULE_ERR;
	if (n == 0)
		return RULE_EMPTY;
	/* ">abuse@x" exempt; ">PATTERN:deny" everyone's destination rule */
	if ((gt = arrow(buf)) != NULL && (gt > buf || strchr(buf, ':')))
		return destrule(buf, gt, k, r, err);
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
		    opt_limits(rest, (size_t)(colon - rest), &r->nwin,
		    r->win) != NULL) {
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
	if ((*err = opt_limits(lim, strlen(lim), &r->nwin, r->win)) != NULL)
		return RULE_ERR;
	while ((o = field(&rest)) != NULL)
		if ((*err = option(o, r, &seen)) != NULL)
			return RULE_ERR;
	if ((*err = fits(k, r, seen)) != NULL)
		return RULE_ERR;
	return RULE_OK;
}
