/*
 * cdbmake-limits: compile the limits control file into the CDB that
 * rcptcheck-overlimit reads, the way tcprules does:
 *
 *	cdbmake-limits relaylimits.cdb relaylimits.tmp < relaylimits
 *
 * Every bad line is reported with its number; nothing is written unless
 * the whole file is good. The CDB is written to the temporary name,
 * fsynced and renamed over the target: readers see the old or the new
 * file, whole. Exit 0 ok, 100 bad input or usage, 111 system error.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup.h"
#include "logline.h"
#include "prog.h"
#include "rule.h"

#define PROG	"cdbmake-limits"

struct entry {
	char		*key;
	char		*val;
	unsigned long	line;
	int		family, plen;
};

static const char *tmpname;

static void	die(int, const char *, const char *)
		    __attribute__((noreturn));

static void
die(int code, const char *what, const char *arg)
{
	fprintf(stderr, PROG ": fatal: %s%s%s%s%s\n", what, arg ? " " : "",
	    arg ? arg : "", errno ? ": " : "", errno ? strerror(errno) : "");
	if (tmpname != NULL)
		unlink(tmpname);
	exit(code);
}

static int
bykey(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void
badline(unsigned long n, const char *why, const char *line, size_t len)
{
	struct logline l;
	char pre[64];

	snprintf(pre, sizeof(pre), PROG ": line %lu", n);
	log_start(&l, pre);
	log_str(&l, " ");
	log_str(&l, why);
	log_str(&l, ": ");
	log_bytes(&l, line, len);
	log_flush(&l, 2);
}

/* "24,16,8": the prefix lengths of family, longest first. */
static void
plens(const struct entry *e, size_t n, int family, char *out, size_t outsz)
{
	char seen[129] = { 0 };
	size_t i, o = 0;
	int p;

	for (i = 0; i < n; i++)
		if (e[i].family == family && e[i].plen >= 0)
			seen[e[i].plen] = 1;
	out[0] = '\0';
	for (p = 128; p >= 0; p--)
		if (seen[p])
			o += (size_t)snprintf(out + o, outsz - o, "%s%d",
			    o ? "," : "", p);
}

static void
add(struct cdb_make *cm, const char *k, const char *v)
{
	if (cdb_make_add(cm, k, (unsigned)strlen(k), v, (unsigned)strlen(v)) < 0)
		die(111, "unable to write", tmpname);
}

int
main(int argc, char **argv)
{
	struct entry *ents = NULL, *p;
	struct rulekey k;
	char val[RULE_VALMAX];
	struct rule r;
	struct cdb_make cm;
	char *line = NULL, list[512], *dir;
	size_t cap = 0, lcap = 0, n = 0, i, j, keep;
	ssize_t len;
	unsigned long lineno = 0, errors = 0;
	unsigned feat = 0;
	const char *why;
	int fd;

	prog_fds();
	if (argc != 3) {
		fprintf(stderr, "usage: " PROG " limits.cdb limits.tmp < limits\n");
		return 100;
	}
	errno = 0;
	while ((len = getline(&line, &lcap, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		switch (rule_parseline(line, (size_t)len, lineno, &k, &r, &why)) {
		case RULE_EMPTY:
			continue;
		case RULE_ERR:
			badline(lineno, why, line, (size_t)len);
			errors++;
			continue;
		}
		if (r.flags & RULE_EXEMPT)
			feat |= LOOKUP_FEXEMPT;
		if (r.massn)
			feat |= LOOKUP_FMASS;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((p = reallocarray(ents, cap, sizeof(*ents))) == NULL)
				die(111, "out of memory", NULL);
			ents = p;
		}
		if ((ents[n].key = strdup(k.key)) == NULL)
			die(111, "out of memory", NULL);
		rule_fmtvalue(&r, val, sizeof(val));
		if ((ents[n].val = strdup(val)) == NULL)
			die(111, "out of memory", NULL);
		ents[n].line = lineno;
		ents[n].family = k.family;
		ents[n].plen = k.plen;
		n++;
	}
	if (ferror(stdin))
		die(111, "unable to read the control file", NULL);
	free(line);
	line = NULL;
	if (errors) {
		fprintf(stderr, PROG ": %lu bad line%s, %s not written\n",
		    errors, errors == 1 ? "" : "s", argv[1]);
		for (i = 0; i < n; i++)
			free(ents[i].key), free(ents[i].val);
		free(ents);
		return 100;
	}

	/* duplicates: the last line wins, as in the classic script */
	if (n > 0)
		qsort(ents, n, sizeof(*ents), bykey);
	for (i = 0, keep = 0; i < n; i = j) {
		/* compare with ents[j - 1], the one repetition not freed */
		for (j = i + 1; j < n &&
		    strcmp(ents[j].key, ents[j - 1].key) == 0; j++) {
			fprintf(stderr, PROG ": warning: line %lu repeats line "
			    "%lu (%s); line %lu wins\n", ents[j].line,
			    ents[j - 1].line, ents[j].key[0] ? ents[j].key :
			    "the default", ents[j].line);
			free(ents[j - 1].key), free(ents[j - 1].val);
		}
		ents[keep++] = ents[j - 1];
	}
	n = keep;

	errno = 0;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		die(111, "unable to create", argv[2]);
	tmpname = argv[2];
	if (cdb_make_start(&cm, fd) < 0)
		die(111, "unable to write", tmpname);
	for (i = 0; i < n; i++)
		add(&cm, ents[i].key, ents[i].val);
	plens(ents, n, AF_INET, list, sizeof(list));
	if (list[0] != '\0')
		add(&cm, "/4", list);
	plens(ents, n, AF_INET6, list, sizeof(list));
	if (list[0] != '\0')
		add(&cm, "/6", list);
	lookup_fmtfeatures(feat, list, sizeof(list));
	add(&cm, "/features", list);
	add(&cm, "/format", LOOKUP_FORMAT);
	if (cdb_make_finish(&cm) < 0 || fsync(fd) < 0 || close(fd) < 0)
		die(111, "unable to write", tmpname);
	if (rename(tmpname, argv[1]) < 0)
		die(111, "unable to move temporary file to", argv[1]);
	tmpname = NULL;
	if ((dir = strdup(argv[1])) != NULL &&
	    (fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);		/* make the rename durable */
		close(fd);
	}
	free(dir);
	for (i = 0; i < n; i++)
		free(ents[i].key), free(ents[i].val);
	free(ents);
	free(line);
	return 0;
}
