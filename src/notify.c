/* notify.c: see notify.h. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vis.h>

#include "notify.h"

static volatile sig_atomic_t timedout;

void
notify_env_init(struct notify_env *e)
{
	e->n = 0;
	e->used = 0;
	e->dropped = 0;
	e->var[0] = NULL;
}

static int
full(struct notify_env *e)
{
	e->dropped++;
	return -1;
}

int
notify_env_add(struct notify_env *e, const char *name, const char *val,
    size_t len)
{
	size_t nlen = strlen(name), room = sizeof(e->buf) - e->used;
	char *p = e->buf + e->used, v[NOTIFY_VALMAX + 1];

	if (len > NOTIFY_VALMAX)
		len = NOTIFY_VALMAX;
	/* NAME=, at most 4 bytes per value byte, NUL */
	if (e->n == NOTIFY_ENVMAX || nlen + 2 + 4 * len > room)
		return full(e);
	/* strvisx looks one byte past len: give it a NUL there */
	memcpy(v, val, len);
	v[len] = '\0';
	(void)snprintf(p, room, "%s=", name);
	strvisx(p + nlen + 1, v, len, VIS_OCTAL | VIS_CSTYLE | VIS_WHITE);
	e->used += nlen + 2 + strlen(p + nlen + 1);
	e->var[e->n++] = p;
	e->var[e->n] = NULL;
	return 0;
}

int
notify_env_pass(struct notify_env *e, char *entry)
{
	if (e->n == NOTIFY_ENVMAX)
		return full(e);
	e->var[e->n++] = entry;
	e->var[e->n] = NULL;
	return 0;
}

static void
onalarm(int sig)
{
	(void)sig;
	timedout = 1;
}

static void
say(const char *prefix, const char *prog, const char *what, int n)
{
	char buf[512];
	int len;

	len = snprintf(buf, sizeof(buf), "%s notify=\"%s\" error=\"%s %d\"\n",
	    prefix, prog, what, n);
	if (len > 0)
		(void)write(2, buf, (size_t)len < sizeof(buf) ? (size_t)len :
		    sizeof(buf) - 1);
}

int
notify_run(const char *prog, const char *logprefix, unsigned timeout,
    char *const envp[])
{
	struct sigaction sa;
	pid_t w, p;
	int fd, st;

	if ((w = fork()) < 0)
		return -1;
	if (w > 0)
		return 0;		/* the helper goes on; never waits */

	/* the watcher: detached, holding nothing of the SMTP session */
	(void)setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	closefrom(3);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	if ((p = fork()) < 0) {
		say(logprefix, prog, "cannot fork, errno", errno);
		_exit(111);
	}
	if (p == 0) {
		char *argv[2];

		(void)setpgid(0, 0);	/* its own group: a timeout kills all */
		argv[0] = (char *)(uintptr_t)prog;
		argv[1] = NULL;
		execve(prog, argv, envp);
		say(logprefix, prog, "cannot run, errno", errno);
		_exit(127);
	}
	sa.sa_handler = onalarm;		/* no SA_RESTART: waitpid ends */
	sigaction(SIGALRM, &sa, NULL);
	alarm(timeout);
	while (waitpid(p, &st, 0) < 0) {
		if (errno != EINTR)
			_exit(111);
		if (timedout) {
			kill(-p, SIGKILL);	/* the program and its children */
			kill(p, SIGKILL);
			say(logprefix, prog, "killed after seconds:", (int)timeout);
			timedout = 0;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127)
		say(logprefix, prog, "exit code", WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		say(logprefix, prog, "killed by signal", WTERMSIG(st));
	_exit(0);
}
