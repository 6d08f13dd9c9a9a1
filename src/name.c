/* name.c: client identity -- see name.h and DESIGN.md "Client identity". */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sha2.h>

#include "name.h"

static const char hex[] = "0123456789abcdef";

int
name_parseip(const char *s, struct ipaddr *ip)
{
	unsigned char a6[16];

	if (strlen(s) > INET6_ADDRSTRLEN)
		return -1;
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)(void *)a6)) {
		ip->family = AF_INET;
		memcpy(ip->a, a6 + 12, 4);
	} else {
		ip->family = AF_INET6;
		memcpy(ip->a, a6, 16);
	}
	return 0;
}

void
name_fmtip(const struct ipaddr *ip, char *buf, size_t bufsz)
{
	if (inet_ntop(ip->family, ip->a, buf, bufsz) == NULL && bufsz > 0)
		buf[0] = '\0';
}

void
name_fmtnet(const struct ipaddr *ip, int plen, char *buf, size_t bufsz)
{
	char a[INET6_ADDRSTRLEN];

	name_fmtip(ip, a, sizeof(a));
	snprintf(buf, bufsz, "%s/%d", a, plen);
}

void
name_mask(struct ipaddr *ip, int plen)
{
	int i, bits = ip->family == AF_INET ? 32 : 128;

	for (i = 0; i < bits / 8; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			ip->a[i] = 0;
		else
			ip->a[i] &= (unsigned char)(0xff << (8 - (plen - 8 * i)));
	}
}

void
name_normuser(char *s, size_t len)
{
	size_t i;
	int sep = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
		else if (!sep && (s[i] == '@' || s[i] == '%' || s[i] == '/')) {
			s[i] = '@';
			sep = 1;
		}
	}
}

static int
safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_' || c == '@' || c == ':' || c == '+';
}

/* 1 if the len bytes at s are an IP literal (any spelling). */
static int
looksip(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct ipaddr ip;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return name_parseip(buf, &ip) == 0;
}

static void
hashname(char tag, const char *s, size_t len, char *out)
{
	SHA2_CTX ctx;
	uint8_t d[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)&tag, 1);
	SHA256Update(&ctx, (const uint8_t *)s, len);
	SHA256Final(d, &ctx);
	out[0] = '~';
	for (i = 0; i < sizeof(d); i++) {
		out[1 + 2 * i] = hex[d[i] >> 4];
		out[2 + 2 * i] = hex[d[i] & 15];
	}
	out[1 + 2 * sizeof(d)] = '\0';
}

/* Encode len bytes of s into out (room for max bytes + NUL); escfirst
 * forces an escape of the first byte. Returns the length, or -1 if the
 * result would not fit. */
static long
encode(const char *s, size_t len, int escfirst, char *out, size_t max)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (safe(c) && !(i == 0 && escfirst)) {
			if (o + 1 > max)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 > max)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (long)o;
}

void
name_encode(enum name_kind kind, const char *s, size_t len, char *out)
{
	int escfirst = 0;

	if (kind == NAME_USER && len > 0)
		escfirst = s[0] == '.' || s[0] == '@' || s[0] == ':' ||
		    looksip(s, len);
	if (len == 0) {			/* an empty name is "%00"-free: "%" */
		memcpy(out, "%", 2);	/* never produced otherwise */
		return;
	}
	/* 2 bytes short of NAME_MAX: room for the side file's "#x" */
	if (encode(s, len, escfirst, out, NAME_ENCMAX - 2) < 0)
		hashname(kind == NAME_USER ? 'u' : 'i', s, len, out);
}

int
name_domainkey(const char *s, size_t len, char *out)
{
	const char *at = memchr(s, '@', len);
	size_t dlen;

	if (at == NULL || (dlen = len - (size_t)(at + 1 - s)) == 0)
		return -1;
	out[0] = '@';
	if (encode(at + 1, dlen, 0, out + 1, NAME_ENCMAX - 1) < 0)
		hashname('d', at + 1, dlen, out + 1);
	return 0;
}

int
name_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long
name_decode(const char *enc, char *out, size_t outsz)
{
	size_t o = 0;
	int hi, lo;

	if (enc[0] == '~') {
		size_t n = strlen(enc);

		if (n >= outsz)
			return -1;
		memcpy(out, enc, n + 1);
		return (long)n;
	}
	if (strcmp(enc, "%") == 0) {
		if (outsz < 1)
			return -1;
		out[0] = '\0';
		return 0;
	}
	for (; *enc != '\0'; enc++) {
		if (o + 1 >= outsz)
			return -1;
		if (*enc != '%') {
			if (!safe((unsigned char)*enc))
				return -1;
			out[o++] = *enc;
			continue;
		}
		if ((hi = name_unhex(enc[1])) < 0 ||
		    (lo = name_unhex(enc[2])) < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		enc += 2;
	}
	out[o] = '\0';
	return (long)o;
}

int
name_isclient(const char *enc)
{
	char dec[NAME_ENCMAX + 1], re[NAME_ENCMAX + 1];
	long n;
	size_t i;

	if (enc[0] == '~') {
		if (strlen(enc) != 1 + 2 * SHA256_DIGEST_LENGTH)
			return 0;
		for (i = 1; enc[i] != '\0'; i++)
			if (name_unhex(enc[i]) < 0)
				return 0;
		return 1;
	}
	if ((n = name_decode(enc, dec, sizeof(dec))) < 0)
		return 0;
	if (enc[0] != '%' && looksip(dec, (size_t)n)) {
		struct ipaddr ip;

		if (name_parseip(dec, &ip) < 0)	/* looksip said it is one */
			return 0;
		name_fmtip(&ip, re, sizeof(re));
	} else
		name_encode(NAME_USER, dec, (size_t)n, re);
	return strcmp(re, enc) == 0;
}

int
name_parsenet(const char *s, struct ipaddr *ip, int *plen)
{
	char buf[64], re[64];
	const char *slash = strchr(s, '/');
	struct ipaddr m;
	long n = 0;
	const char *p;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf) ||
	    slash[1] == '\0' || strlen(slash + 1) > 3)
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	for (p = slash + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (name_parseip(buf, ip) < 0 || ip->family != AF_INET6 || n < 1 ||
	    n > 127)
		return -1;
	m = *ip;
	name_mask(&m, (int)n);
	name_fmtnet(&m, (int)n, re, sizeof(re));
	if (strcmp(re, s) != 0)			/* canonical, host bits zero */
		return -1;
	*plen = (int)n;
	return 0;
}

int
name_isfile(const char *enc)
{
	char dec[NAME_ENCMAX + 1], re[NAME_ENCMAX + 1];
	long n;

	if (strcmp(enc, "*") == 0)
		return NAME_FSERVER;
	if (enc[0] == '@') {
		if (enc[1] == '~')		/* a hashed domain */
			return name_isclient(enc + 1) ? NAME_FPOOL : 0;
		if ((n = name_decode(enc + 1, dec + 2, sizeof(dec) - 2)) <= 0)
			return 0;
		dec[0] = 'x';
		dec[1] = '@';
		if (name_domainkey(dec, (size_t)n + 2, re) < 0 ||
		    strcmp(re, enc) != 0)
			return 0;
		return NAME_FPOOL;
	}
	if (!name_isclient(enc))
		return 0;
	return NAME_FCLIENT;
}
