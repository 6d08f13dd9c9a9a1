/*
 * compile.c: the control file -> the limits CDB (compile.h), the way
 * tcprules does: every bad line is reported with its number and nothing
 * is written unless the whole file is good; the CDB is written to the
 * temporary name, fsynced and renamed over the target, so that readers
 * see the old or the new file, whole.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "lookup.h"
#include "logline.h"
#include "rule.h"

/* "cdbmake-limits: fatal: what arg: error"; the exit code. */
static int
fatal(int fd, const char *what, const char *arg)
{
	dprintf(fd, COMPILE_PROG ": fatal: %s%s%s%s%s\n", what,
	    arg ? " " : "", arg ? arg : "", errno ? ": " : "",
	    errno ? strerror(errno) : "");
	return COMPILE_SYS;
}

static void
badline(int fd, unsigned long n, const char *why, const char *line,
    size_t len)
{
	struct logline l;
	char pre[64];

	snprintf(pre, sizeof(pre), COMPILE_PROG ": line %lu", n);
	log_start(&l, pre);
	log_str(&l, " ");
	log_str(&l, why);
	log_str(&l, ": ");
	log_bytes(&l, line, len);
	log_flush(&l, fd);
}

void
compile_init(struct compile *c, int errfd)
{
	memset(c, 0, sizeof(*c));
	c->errfd = errfd;
	destset_init(&c->dest, errfd);
}

/* A new entry at the end of c: NULL when out of memory. */
static struct compile_ent *
grow(struct compile *c)
{
	struct compile_ent *p;
	size_t cap;

	if (c->n == c->cap) {
		cap = c->cap ? 2 * c->cap : 1024;
		if ((p = reallocarray(c->ents, cap, sizeof(*p))) == NULL)
			return NULL;
		c->ents = p;
		c->cap = cap;
	}
	return &c->ents[c->n];
}

int
compile_line(struct compile *c, const char *line, size_t len)
{
	struct compile_ent *e;
	struct rulekey k;
	struct rule r;
	char val[RULE_VALMAX];
	const char *why;

	c->lineno++;
	switch (rule_parseline(line, len, c->lineno, &k, &r, &why)) {
	case RULE_EMPTY:
		return 0;
	case RULE_ERR:
		badline(c->errfd, c->lineno, why, line, len);
		c->errors++;
		return 0;
	}
	if (r.flags & RULE_DEST) {
		c->feat |= LOOKUP_FDEST;
		return destset_add(&c->dest, &k, &r);
	}
	if (r.flags & RULE_EXEMPT)
		c->feat |= LOOKUP_FEXEMPT;
	if (strcmp(k.key, RULE_DOMAINKEY) == 0)
		c->feat |= LOOKUP_FDOMAIN;
	if (strncmp(k.key, RULE_ALIASKEY, strlen(RULE_ALIASKEY)) == 0)
		c->feat |= LOOKUP_FALIAS;
	if (r.massn)
		c->feat |= LOOKUP_FMASS;
	if (r.msgmax)
		c->feat |= LOOKUP_FMSG;
	if ((e = grow(c)) == NULL)
		return -1;
	rule_fmtvalue(&r, val, sizeof(val));
	if ((e->key = strdup(k.key)) == NULL)
		return -1;
	if ((e->val = strdup(val)) == NULL) {
		free(e->key);
		return -1;
	}
	e->line = c->lineno;
	e->family = k.family;
	e->plen = k.plen;
	c->n++;
	return 0;
}

static int
bykey(const void *a, const void *b)
{
	const struct compile_ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

void
compile_sort(struct compile *c)
{
	struct compile_ent *e = c->ents;
	size_t i, j, keep;

	/* duplicates: the last line wins, as in the classic script */
	if (c->n > 0)
		qsort(e, c->n, sizeof(*e), bykey);
	for (i = 0, keep = 0; i < c->n; i = j) {
		/* compare with e[j - 1], the one repetition not freed */
		for (j = i + 1; j < c->n &&
		    strcmp(e[j].key, e[j - 1].key) == 0; j++) {
			dprintf(c->errfd, COMPILE_PROG ": warning: line %lu "
			    "repeats line %lu (%s); line %lu wins\n", e[j].line,
			    e[j - 1].line, e[j].key[0] ? e[j].key :
			    "the default", e[j].line);
			free(e[j - 1].key);
			free(e[j - 1].val);
		}
		e[keep++] = e[j - 1];
	}
	c->n = keep;
	c->errors += destset_finish(&c->dest);
}

/* "24,16,8": the prefix lengths of family, longest first. */
static void
plens(const struct compile *c, int family, char *out, size_t outsz)
{
	char seen[129] = { 0 };
	size_t i, o = 0;
	int p;

	for (i = 0; i < c->n; i++)
		if (c->ents[i].family == family && c->ents[i].plen >= 0)
			seen[c->ents[i].plen] = 1;
	out[0] = '\0';
	for (p = 128; p >= 0; p--)
		if (seen[p])
			o += (size_t)snprintf(out + o, outsz - o, "%s%d",
			    o ? "," : "", p);
}

static int
add(struct cdb_make *cm, const char *k, const char *v)
{
	return cdb_make_add(cm, k, (unsigned)strlen(k), v,
	    (unsigned)strlen(v));
}

int
compile_add(const struct compile *c, struct cdb_make *cm)
{
	char list[512];
	size_t i;

	for (i = 0; i < c->n; i++)
		if (add(cm, c->ents[i].key, c->ents[i].val) < 0)
			return -1;
	if (destset_write(&c->dest, cm) < 0)
		return -1;
	plens(c, AF_INET, list, sizeof(list));
	if (list[0] != '\0' && add(cm, "/4", list) < 0)
		return -1;
	plens(c, AF_INET6, list, sizeof(list));
	if (list[0] != '\0' && add(cm, "/6", list) < 0)
		return -1;
	lookup_fmtfeatures(c->feat, list, sizeof(list));
	return add(cm, "/features", list);
}

void
compile_free(struct compile *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->ents[i].key);
		free(c->ents[i].val);
	}
	free(c->ents);
	c->ents = NULL;
	c->n = c->cap = 0;
	destset_free(&c->dest);
}

const char *
compile_format(const struct compile *c)
{
	return c->dest.n > 0 ? LOOKUP_FORMAT_DEST : LOOKUP_FORMAT;
}

/* Every line of in into c. COMPILE_OK, or COMPILE_SYS (said). */
static int
readall(struct compile *c, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	errno = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (compile_line(c, line, (size_t)len) < 0) {
			free(line);
			return fatal(c->errfd, "out of memory", NULL);
		}
	}
	free(line);
	if (ferror(in))
		return fatal(c->errfd, "unable to read the control file", NULL);
	return COMPILE_OK;
}

/* Make the rename of path durable: fsync its directory. */
static void
syncdir(const char *path)
{
	char *dir;
	int fd;

	if ((dir = strdup(path)) != NULL &&
	    (fd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The CDB of c at tmp, then renamed to cdb. COMPILE_OK or COMPILE_SYS. */
static int
writecdb(const struct compile *c, const char *cdb, const char *tmp)
{
	struct cdb_make cm;
	int fd, rc;

	struct stat st;

	/* O_NONBLOCK: a FIFO planted at the temporary name must not hang
	 * us; only a regular file (or nothing) is written over */
	errno = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return fatal(c->errfd, "unable to create", tmp);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (errno == 0)
			errno = EINVAL;
		rc = fatal(c->errfd, "not a regular file:", tmp);
		close(fd);
		return rc;
	}
	/* readable by the helper's user whatever the umask (a 027 umask
	 * made it 0640 root: every recipient unlimited) */
	if (ftruncate(fd, 0) < 0 || fchmod(fd, 0644) < 0) {
		rc = fatal(c->errfd, "unable to write", tmp);
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (cdb_make_start(&cm, fd) < 0 || compile_add(c, &cm) < 0 ||
	    add(&cm, "/format", compile_format(c)) < 0 ||
	    cdb_make_finish(&cm) < 0 || fsync(fd) < 0) {
		rc = fatal(c->errfd, "unable to write", tmp);
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) < 0) {
		rc = fatal(c->errfd, "unable to write", tmp);
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, cdb) < 0) {
		rc = fatal(c->errfd, "unable to move temporary file to", cdb);
		unlink(tmp);
		return rc;
	}
	syncdir(cdb);
	return COMPILE_OK;
}

int
compile(FILE *in, const char *cdb, const char *tmp, int errfd)
{
	struct compile c;
	int rc;

	compile_init(&c, errfd);
	if ((rc = readall(&c, in)) == COMPILE_OK)	/* destination sets */
		c.errors += destset_finish(&c.dest);
	if (rc == COMPILE_OK && c.errors > 0) {
		dprintf(errfd, COMPILE_PROG ": %lu bad line%s, %s not written\n",
		    c.errors, c.errors == 1 ? "" : "s", cdb);
		rc = COMPILE_BAD;
	}
	if (rc == COMPILE_OK) {
		compile_sort(&c);
		rc = writecdb(&c, cdb, tmp);
	}
	compile_free(&c);
	return rc;
}
