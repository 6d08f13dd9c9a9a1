/*
 * fuzz_name: libFuzzer harness of src/name.c (client identity: normalise,
 * encode into a file name / CDB key, decode), built by "make fuzz".
 *
 * The input is split at its first 0xff byte (if any) into two names a and
 * b. Invariants checked (abort = finding):
 *  - name_normuser keeps the length, leaves no ASCII upper case and is
 *    idempotent;
 *  - name_encode (user and IP kinds): never empty, never ".", "..", no
 *    leading '.', no '/', no NUL inside, at most 255 bytes, only the
 *    bytes of the encoding ("a-z 0-9 . - _ @ : + %" and "~" for a hash);
 *    a non-hashed name decodes back to exactly the input
 *    (decode(encode(x)) == x) and name_isclient() accepts it; a user name
 *    never encodes to the name of an IP client, nor to a domain key;
 *  - injective: encode(a) == encode(b) iff a == b (for non-hashed names);
 *  - an IP literal parses, formats canonically (parse(fmt(ip)) == ip) and
 *    encodes to that text; name_mask/name_fmtnet never overflow;
 *  - name_domainkey: "@" + a name with the same properties;
 *  - name_decode / name_isclient on arbitrary bytes: whatever the cleanup
 *    job would take for a client file is a safe file name.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_name: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static int
encbyte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_' || c == '@' || c == ':' ||
	    c == '+' || c == '%';
}

/* what every file name the store may use must satisfy */
static void
safename(const char *e)
{
	size_t n = strlen(e), i;

	REQUIRE(n > 0 && n <= NAME_ENCMAX);
	REQUIRE(strcmp(e, ".") != 0 && strcmp(e, "..") != 0);
	REQUIRE(e[0] != '.');
	REQUIRE(strchr(e, '/') == NULL);
	for (i = e[0] == '~' ? 1 : 0; i < n; i++)
		REQUIRE(encbyte((unsigned char)e[i]));
}

/* encode a user name; returns 1 when it was hashed */
static int
encuser(const char *s, size_t len, char *out)
{
	char dec[NAME_ENCMAX + 1];
	long n;

	memset(out, 0x55, NAME_ENCMAX + 1);
	name_encode(NAME_USER, s, len, out);
	REQUIRE(memchr(out, '\0', NAME_ENCMAX + 1) != NULL);
	safename(out);
	REQUIRE(out[0] != '@');			/* not a domain key */
	REQUIRE(name_isclient(out));
	if (out[0] == '~') {
		REQUIRE(strlen(out) == 65);
		return 1;
	}
	n = name_decode(out, dec, sizeof(dec));
	REQUIRE(n >= 0 && (size_t)n == len);
	REQUIRE(memcmp(dec, s, len) == 0);
	return 0;
}

static void
ip(const char *s, size_t len)
{
	char buf[128], txt[64], enc[NAME_ENCMAX + 1], net[80];
	struct ipaddr a, b;
	int plen;

	if (len >= sizeof(buf))
		return;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (name_parseip(buf, &a) < 0)
		return;
	REQUIRE(a.family == AF_INET || a.family == AF_INET6);
	name_fmtip(&a, txt, sizeof(txt));
	REQUIRE(txt[0] != '\0');
	REQUIRE(name_parseip(txt, &b) == 0);
	REQUIRE(b.family == a.family && memcmp(a.a, b.a, sizeof(a.a)) == 0);
	name_encode(NAME_IP, txt, strlen(txt), enc);
	REQUIRE(strcmp(enc, txt) == 0);		/* canonical text is its name */
	safename(enc);
	REQUIRE(name_isclient(enc));
	/* a user of the same spelling is another client */
	name_encode(NAME_USER, txt, strlen(txt), enc);
	REQUIRE(strcmp(enc, txt) != 0);
	for (plen = 0; plen <= (a.family == AF_INET ? 32 : 128); plen += 7) {
		b = a;
		name_mask(&b, plen);
		name_fmtnet(&b, plen, net, sizeof(net));
		REQUIRE(strchr(net, '/') != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *a, *b, *n2, ea[NAME_ENCMAX + 1], eb[NAME_ENCMAX + 1];
	char dk[NAME_ENCMAX + 1], dec[NAME_ENCMAX + 1];
	const uint8_t *sep = memchr(data, 0xff, size);
	size_t la = sep ? (size_t)(sep - data) : size;
	size_t lb = sep ? size - la - 1 : 0, i;
	int ha, hb;
	long n;

	if ((a = malloc(la + 1)) == NULL || (b = malloc(lb + 1)) == NULL ||
	    (n2 = malloc(la + 1)) == NULL)
		abort();
	memcpy(a, data, la);
	a[la] = '\0';
	if (sep)
		memcpy(b, sep + 1, lb);
	b[lb] = '\0';

	/* the IP path on the raw text */
	ip(a, la);

	/* normalisation */
	name_normuser(a, la);
	for (i = 0; i < la; i++)
		REQUIRE(!(a[i] >= 'A' && a[i] <= 'Z'));
	memcpy(n2, a, la + 1);
	name_normuser(n2, la);
	REQUIRE(memcmp(n2, a, la + 1) == 0);
	name_normuser(b, lb);

	/* encoding, decoding, injectivity */
	ha = encuser(a, la, ea);
	hb = encuser(b, lb, eb);
	if (!ha && !hb)
		REQUIRE((strcmp(ea, eb) == 0) == (la == lb &&
		    memcmp(a, b, la) == 0));
	if (ha != hb)
		REQUIRE(strcmp(ea, eb) != 0);

	/* domain keys */
	memset(dk, 0x55, sizeof(dk));
	if (name_domainkey(a, la, dk) == 0) {
		REQUIRE(memchr(dk, '\0', sizeof(dk)) != NULL);
		REQUIRE(dk[0] == '@');
		REQUIRE(strlen(dk) >= 2 && strlen(dk) <= NAME_ENCMAX);
		REQUIRE(strchr(dk, '/') == NULL);
	} else
		REQUIRE(memchr(a, '@', la) == NULL ||
		    memchr(a, '@', la) == a + la - 1);

	/* decode / isclient on raw bytes (what overlimit-cleanup reads
	 * from the directory) */
	memcpy(n2, data, la);
	n2[la] = '\0';
	n = name_decode(n2, dec, sizeof(dec));
	REQUIRE(n >= -1 && n < (long)sizeof(dec));
	if (name_isclient(n2))
		safename(n2);
	free(a);
	free(b);
	free(n2);
	return 0;
}
