/* prog.c: see prog.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prog.h"

const char *progname = "rcptcheck-overlimit";

void
prog_init(const char *name)
{
	progname = name;
	prog_fds();
}

void
prog_fds(void)
{
	int fd;

	/* open returns the lowest free descriptor: while that is 0, 1 or
	 * 2, it fills a hole */
	while ((fd = open("/dev/null", O_RDWR | O_NOCTTY)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
onbus(int sig)
{
	static const char msg[] = ": fatal: the limits CDB was truncated "
	    "while read (replace it by rename, as cdbmake-limits does)\n";

	(void)sig;
	(void)write(2, progname, strlen(progname));
	(void)write(2, msg, sizeof(msg) - 1);
	_exit(111);
}

void
prog_onbus(void)
{
	(void)signal(SIGBUS, onbus);
}

const char *
prog_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

int
prog_envnum(const char *name, long lo, long hi, long dflt, long *n)
{
	const char *v = prog_env(name, NULL);
	char *end;
	long x;

	*n = dflt;
	if (v == NULL)
		return 0;
	errno = 0;
	x = strtol(v, &end, 10);
	if ((*v < '0' || *v > '9') && *v != '-')
		return -1;			/* no blanks, no '+' */
	if (errno || end == v || *end != '\0' || x < lo || x > hi)
		return -1;
	*n = x;
	return 0;
}

static void
say(const char *level, const char *what, const char *arg, int err)
{
	fprintf(stderr, "%s: %s: %s%s%s%s%s\n", progname, level, what,
	    arg != NULL ? " " : "", arg != NULL ? arg : "", err ? ": " : "",
	    err ? strerror(err) : "");
}

void
prog_die(int code, const char *what, const char *arg, int err)
{
	say("fatal", what, arg, err);
	exit(code);
}

void
prog_warn(const char *what, const char *arg, int err)
{
	say("warning", what, arg, err);
}

void
prog_fmttime(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "-");
}
