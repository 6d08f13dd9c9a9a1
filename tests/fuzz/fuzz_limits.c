/*
 * fuzz_limits: libFuzzer harness of src/limits.c (the lookup in the
 * compiled limits CDB, which every helper run reads), built by
 * "make fuzz".
 *
 * The input is written as the CDB file; then lookup_open and the lookups
 * of an auth user, an IPv4 and an IPv6 client. Invariants checked (abort
 * = finding), besides ASan + UBSan: lookup_open gives 0 or -1 (EPROTO for
 * what is not a limits CDB); a lookup gives -1, 0 or 1; a match is a rule
 * within the limits of rule.h and a NUL-terminated matched key; nothing
 * loops (libFuzzer's -timeout). A truncated or corrupt CDB must end in an
 * error, never in a crash: the helper then applies the failure policy.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "lookup.h"
#include "name.h"
#include "rule.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define REQUIRE(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_limits: %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

static char path[64];

static void
bye(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	/* under $TMPDIR: run.sh removes it even after an abort */
	snprintf(path, sizeof(path), "%.40s/fuzz_limits.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		abort();
	}
	close(fd);
	atexit(bye);
	return 0;
}

static void
lookup(struct lookup *l, enum name_kind kind, const char *client)
{
	struct ident id;
	struct match m;
	struct rule r;
	const char *err;
	int rc, i;

	REQUIRE(ident_fromenv(&id, kind == NAME_USER ? client : NULL,
	    kind == NAME_IP ? client : NULL, &err) == 0);
	memset(&m, 0x55, sizeof(m));
	rc = lookup_client(l, &id, &r, &m);
	REQUIRE(rc >= -1 && rc <= 1);
	if (rc == 1) {
		REQUIRE(memchr(m.key, '\0', sizeof(m.key)) != NULL);
		REQUIRE(m.found == 1);
		REQUIRE(r.nwin >= 0 && r.nwin <= RULE_MAXWIN);
		for (i = 0; i < r.nwin; i++) {
			REQUIRE(r.win[i].limit >= 1 &&
			    r.win[i].limit <= RULE_MAXLIMIT);
			REQUIRE(r.win[i].period <= RULE_MAXPERIOD);
		}
	}
	ident_free(&id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lookup l;
	int fd;

	REQUIRE((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	REQUIRE(write(fd, data, size) == (ssize_t)size);
	close(fd);
	if (lookup_open(&l, path) < 0) {
		REQUIRE(errno == EPROTO || errno == EIO);
		return 0;
	}
	lookup(&l, NAME_USER, "User@Example.ORG");
	lookup(&l, NAME_USER, "newsletter@example.com");
	lookup(&l, NAME_IP, "192.168.1.77");
	lookup(&l, NAME_IP, "10.1.2.3");
	lookup(&l, NAME_IP, "2001:db8::5");
	lookup(&l, NAME_IP, "203.0.113.9");
	lookup_close(&l);
	return 0;
}
