/* testdir.c: see testdir.h. */
#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counter.h"
#include "testdir.h"

char	td_dir[64];
struct store td_st;

static void
rmtree(const char *d)
{
	DIR *dp;
	struct dirent *e;
	char p[512];

	if ((dp = opendir(d)) == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		if (unlink(p) < 0)
			rmtree(p);		/* a directory */
	}
	closedir(dp);
	rmdir(d);
}

void
td_mkdir(const char *tag)
{
	int n;

	n = snprintf(td_dir, sizeof(td_dir), "/tmp/ck_%s.XXXXXX", tag);
	if (n < 0 || (size_t)n >= sizeof(td_dir)) {
		fprintf(stderr, "td_mkdir: tag too long: %s\n", tag);
		abort();
	}
	if (mkdtemp(td_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
}

void
td_rmdir(void)
{
	rmtree(td_dir);
}

static void
empty(void)
{
	DIR *dp;
	struct dirent *e;
	char p[512];

	ck_assert_ptr_nonnull(dp = opendir(td_dir));
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", td_dir, e->d_name);
		if (unlink(p) < 0)
			rmtree(p);
	}
	closedir(dp);
}

void
td_setup(void)
{
	empty();
	ck_assert_int_eq(store_open(&td_st, td_dir), 0);
}

void
td_teardown(void)
{
	store_close(&td_st);
	empty();
}

TCase *
td_tcase(const char *name, int timeout, void (*mkdir_tc)(void))
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, timeout);
	tcase_add_unchecked_fixture(tc, mkdir_tc, td_rmdir);
	tcase_add_checked_fixture(tc, td_setup, td_teardown);
	return tc;
}

const char *
td_path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", td_dir, name);
	return p[i];
}

int
td_exists(const char *name)
{
	struct stat sb;

	return lstat(td_path(name), &sb) == 0;
}

off_t
td_fsize(const char *name)
{
	struct stat sb;

	ck_assert_int_eq(lstat(td_path(name), &sb), 0);
	return sb.st_size;
}

void
td_writeraw(const char *name, const void *b, size_t n)
{
	int fd = open(td_path(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
}
