/* prog.h: what every program of the suite does the same way: its
 * descriptors, its name in diagnostics, its environment, its times and
 * its default paths. Diagnostics are one line on stderr in one grammar:
 * "PROG: fatal: unable to open X: reason", "PROG: warning: ...". */
#ifndef PROG_H
#define PROG_H

#include <stddef.h>
#include <stdint.h>

/* The default paths of every program, one definition (make
 * OVERLIMIT_DIR= OVERLIMIT_CDB= SMTPD_USER= QMAIL_SMTPD=, or PREFIX=,
 * passes -DOVERLIMIT_DIR=... and the others); the environment's
 * OVERLIMIT_DIR and OVERLIMIT_CDB override them at run time. */
#ifndef OVERLIMIT_DIR
#define OVERLIMIT_DIR	"/var/qmail/overlimit"
#endif
#ifndef OVERLIMIT_CDB
#define OVERLIMIT_CDB	"/var/qmail/control/relaylimits.cdb"
#endif
/* the user qmail-smtpd runs the helper as (overlimitctl check) */
#ifndef SMTPD_USER
#define SMTPD_USER	"vpopmail"
#endif
/* qmail-smtpd itself (overlimitctl check: does it set SMTPRCPTCOUNT?) */
#ifndef QMAIL_SMTPD
#define QMAIL_SMTPD	"/var/qmail/bin/qmail-smtpd"
#endif

extern const char *progname;

/* Name the program for its diagnostics and make descriptors 0, 1 and 2
 * safe (prog_fds). Call first in main. */
void	prog_init(const char *name);

/* Make descriptors 0, 1 and 2 safe: any of them closed is opened on
 * /dev/null, so that no file the program opens later takes its number
 * (a log line would land in a counter file). */
void	prog_fds(void);

/* The limits CDB is mapped: a file truncated in place under a reader
 * raises SIGBUS. An admin tool then says so and exits 111. */
void	prog_onbus(void);

/* The variable when set and not empty, else dflt. */
const char *prog_env(const char *name, const char *dflt);
/* A whole number in [lo, hi] from the variable: 0 and *n set (dflt when
 * unset or empty); -1 when set to anything else (*n = dflt). */
int	prog_envnum(const char *name, long lo, long hi, long dflt, long *n);

/* "PROG: fatal: WHAT ARG: strerror(err)" (ARG, err optional), exit code. */
void	prog_die(int code, const char *what, const char *arg, int err)
	    __attribute__((noreturn));
/* "PROG: warning: WHAT ARG: strerror(err)". */
void	prog_warn(const char *what, const char *arg, int err);

#define PROG_TIMEMAX	32
/* "2026-11-22T14:05:00Z" (UTC), or "-" for t <= 0. */
void	prog_fmttime(int64_t t, char *buf, size_t bufsz);

#endif
