/*
 * fuzz_rule: libFuzzer harness of the control-file grammar (src/grammar.c)
 * and the CDB value codec (src/codec.c), both driven by the table of
 * options (src/option.c); built by "make fuzz".
 *
 * The input is one control-file line. Invariants checked (abort = finding):
 *  - rule_parseline returns RULE_EMPTY, RULE_OK or RULE_ERR; RULE_ERR
 *    comes with a non-empty reason;
 *  - RULE_OK: 0..8 windows, each limit in 1..1000000000, each period in
 *    0..366d, no period twice; the key is NUL-terminated, at most 255
 *    bytes, and is the default (""), a domain key ("@..."), an IP or an
 *    IP prefix (family set) or a client name name_isclient() accepts;
 *  - the CDB value round-trips: rule_parsevalue(rule_fmtvalue(r)) == r
 *    (windows, options, signals, pool, setting),
 *    and fits RULE_VALMAX;
 *  - rule_fmtperiod round-trips through the parser: "x@y:N/PERIOD";
 *  - rule_parsevalue on the raw input: when it accepts, the value it
 *    read formats and re-parses to the same rule (limits and periods
 *    in range; a period given twice is not rejected by the value
 *    parser, which only ever reads what cdbmake-limits wrote), also
 *    one in the spelling of an older cdbmake-limits (mass=M/R/T,
 *    dormant=D/N/P).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "dest.h"
#include "rule.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_rule: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static int
samerule(const struct rule *a, const struct rule *b)
{
	int i;

	if (a->line != b->line || a->nwin != b->nwin)
		return 0;
	for (i = 0; i < a->nwin; i++)
		if (a->win[i].limit != b->win[i].limit ||
		    a->win[i].period != b->win[i].period)
			return 0;
	/* the options and the compromise signals come back too */
	if (a->flags != b->flags || a->reply != b->reply || a->ban != b->ban ||
	    a->warn != b->warn || strcmp(a->text, b->text) != 0 ||
	    a->msgmax != b->msgmax || a->nets != b->nets ||
	    a->netsper != b->netsper || a->massn != b->massn ||
	    a->massr != b->massr || a->massper != b->massper ||
	    a->dormant != b->dormant || a->warmn != b->warmn ||
	    a->warmper != b->warmper || a->npool != b->npool ||
	    a->setting != b->setting)
		return 0;
	for (i = 0; i < a->npool; i++)
		if (a->pool[i].limit != b->pool[i].limit ||
		    a->pool[i].period != b->pool[i].period)
			return 0;
	return 1;
}

static void
checkrule(const struct rule *r, int distinct)
{
	int i, j;

	REQUIRE(r->nwin >= 0 && r->nwin <= RULE_MAXWIN);
	for (i = 0; i < r->nwin; i++) {
		REQUIRE(r->win[i].limit >= 1 && r->win[i].limit <= RULE_MAXLIMIT);
		REQUIRE(r->win[i].period <= RULE_MAXPERIOD);
		for (j = 0; distinct && j < i; j++)
			REQUIRE(r->win[j].period != r->win[i].period);
	}
}

/* value round trip: fmt -> parse gives r back */
static void
roundtrip(const struct rule *r)
{
	char v[RULE_VALMAX];
	struct rule back;
	size_t n;

	memset(v, 0x55, sizeof(v));
	rule_fmtvalue(r, v, sizeof(v));
	n = strnlen(v, sizeof(v));
	REQUIRE(n < sizeof(v));
	REQUIRE(rule_parsevalue(v, n, &back) == 0);
	REQUIRE(samerule(r, &back));
}

/* each window written back in control-file syntax parses to itself */
static void
periods(const struct rule *r)
{
	char line[64], per[16];
	struct rulekey k;
	struct rule back;
	const char *err = NULL;
	int i, n;

	for (i = 0; i < r->nwin; i++) {
		rule_fmtperiod(r->win[i].period, per, sizeof(per));
		REQUIRE((r->win[i].period == 0) == (per[0] == '\0'));
		n = snprintf(line, sizeof(line), "x@y:%lu%s%s",
		    (unsigned long)r->win[i].limit, per[0] ? "/" : "", per);
		REQUIRE(n > 0 && (size_t)n < sizeof(line));
		REQUIRE(rule_parseline(line, (size_t)n, 1, &k, &back, &err) ==
		    RULE_OK);
		REQUIRE(back.nwin == 1);
		REQUIRE(back.win[0].limit == r->win[i].limit);
		REQUIRE(back.win[0].period == r->win[i].period);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rulekey k;
	struct rule r;
	const char *err = NULL;
	unsigned long lineno;
	size_t klen;
	int rc;

	/* the line number: 1 .. 2^32-1, as cdbmake-limits counts them */
	lineno = 1 + (size > 0 ? data[0] : 0) * 16777215UL;
	memset(&k, 0x55, sizeof(k));
	rc = rule_parseline((const char *)data, size, lineno, &k, &r, &err);
	REQUIRE(rc == RULE_EMPTY || rc == RULE_OK || rc == RULE_ERR);
	if (rc == RULE_ERR)
		REQUIRE(err != NULL && err[0] != '\0');
	if (rc == RULE_OK && (r.flags & RULE_DEST)) {
		/* a destination rule: its own keys (destset.c), no value */
		REQUIRE(r.line == lineno && r.nwin == 0);
		REQUIRE((r.flags & ~(RULE_DEST | RULE_DENY | RULE_DRYRUN)) == 0);
		REQUIRE(dest_pattern(k.pat, strnlen(k.pat, sizeof(k.pat)),
		    &err) >= 0);
		REQUIRE((r.flags & RULE_DENY) || (!(r.flags & RULE_DRYRUN) &&
		    r.text[0] == '\0'));
		REQUIRE(strnlen(k.key, sizeof(k.key)) <= NAME_ENCMAX);
		rc = RULE_EMPTY;
	}
	if (rc == RULE_OK) {
		REQUIRE(r.line == lineno);
		checkrule(&r, 1);
		roundtrip(&r);
		periods(&r);
		klen = strnlen(k.key, sizeof(k.key));
		REQUIRE(klen <= NAME_ENCMAX + (k.key[0] == '>'));
		REQUIRE(memchr(k.key, '\n', klen) == NULL);
		if (k.family != 0) {		/* an IP or a prefix */
			REQUIRE(klen > 0);
			REQUIRE((k.plen >= 0) == (strchr(k.key, '/') != NULL));
			if (k.plen < 0)
				REQUIRE(name_isclient(k.key));
		} else if (klen > 0 && (strcmp(k.key, RULE_DOMAINKEY) == 0 ||
		    strncmp(k.key, RULE_ALIASKEY "@",
		    strlen(RULE_ALIASKEY) + 1) == 0)) {	/* !domain=, !alias= */
			REQUIRE(!(r.flags & RULE_SETTING) && r.text[0] != '\0');
			REQUIRE(strchr(r.text, '@') == NULL);
		} else if (klen > 0 && k.key[0] == '/') {	/* * and ! lines */
			REQUIRE(strcmp(k.key, RULE_SERVERKEY) == 0 ?
			    !(r.flags & RULE_SETTING) :
			    (r.flags & RULE_SETTING) &&
			    (strcmp(k.key, RULE_COUNT6KEY) == 0 ||
			    strcmp(k.key, RULE_NETS4KEY) == 0 ||
			    strcmp(k.key, RULE_NETS6KEY) == 0));
		} else if (klen > 0 && k.key[0] == '>') {	/* exempt */
			REQUIRE(r.flags == RULE_EXEMPT && r.nwin == 0);
			REQUIRE(klen > 1);
			REQUIRE(strchr(k.key, '/') == NULL);
		} else if (klen > 0 && k.key[0] != '@') {
			REQUIRE(k.plen == -1);
			REQUIRE(strchr(k.key, '/') == NULL);
			REQUIRE(name_isclient(k.key));
		} else if (klen > 0) {		/* a domain key */
			REQUIRE(klen > 1);
			REQUIRE(strchr(k.key, '/') == NULL);
		}
	}

	/* the CDB value parser on untrusted bytes (a corrupt CDB) */
	if (rule_parsevalue((const char *)data, size, &r) == 0) {
		/* cdbmake-limits never writes a period twice, but a
		 * value need not say so: not checked here */
		checkrule(&r, 0);
		roundtrip(&r);
	}
	return 0;
}
