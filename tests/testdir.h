/* testdir.h: the temporary directory of the Check suites that work on
 * files (check_store.c, check_track.c): one directory per test case,
 * emptied around every test, a store open on it, files in it by name. */
#ifndef TESTDIR_H
#define TESTDIR_H

#include <sys/types.h>
#include <check.h>
#include <stddef.h>

#include "counter.h"

extern char td_dir[64];		/* the test case's directory */
extern struct store td_st;	/* open on td_dir during each test */

/* Unchecked fixture (made and removed by the runner, so it goes even
 * when a forked test fails): td_mkdir("TAG") makes /tmp/ck_TAG.XXXXXX,
 * td_rmdir removes it and what is in it. */
void	td_mkdir(const char *tag);
void	td_rmdir(void);

/* Checked fixture: empty td_dir and open td_st on it; close, empty. */
void	td_setup(void);
void	td_teardown(void);

/* The test case name, timed out after timeout seconds, with the
 * unchecked fixture mkdir_tc (the suite's call of td_mkdir) and
 * td_rmdir, and the checked one td_setup and td_teardown. */
TCase	*td_tcase(const char *name, int timeout, void (*mkdir_tc)(void));

/* td_dir/name, in one of 4 rotating static buffers. */
const char *td_path(const char *name);
int	td_exists(const char *name);		/* lstat succeeds */
off_t	td_fsize(const char *name);		/* lstat's size, asserted */
/* Create or truncate the file and write n bytes of b, asserted. */
void	td_writeraw(const char *name, const void *b, size_t n);

#endif
