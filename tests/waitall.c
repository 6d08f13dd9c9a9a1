/*
 * waitall: run a command, then wait for it and for every process it left
 * behind: the notification programs the helper starts detached (setsid,
 * a watcher that forks the program), so that a test looks at their
 * effects once they are all done, never after a guessed sleep.
 *
 *	waitall [-t SECONDS] COMMAND [ARG...]
 *
 * It makes itself a child subreaper (Linux, prctl PR_SET_CHILD_SUBREAPER):
 * every orphaned descendant is reparented to it, whatever session or
 * process group it moved to. Standard input, output and error are passed
 * on. Exit: the command's exit status (128 + the signal when it was
 * killed). When descendants still run at the deadline (default 30 s), it
 * kills them (SIGKILL), writes "waitall: N processes left after S s" on
 * stderr and exits 99: a bound against a hang, not a timing assertion.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t expired;

static void
onalarm(int sig)
{
	(void)sig;
	expired = 1;
}

/* SIGKILL every process whose parent is this one; how many */
static int
killchildren(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[64], buf[512], *p;
	FILE *f;
	long pid, ppid;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &p, 10);
		if (*p != '\0' || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == (long)getpid()) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	unsigned secs = 30;
	pid_t cmd, p;
	int st, rc = 111, left = 0, i = 1;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		secs = (unsigned)strtoul(argv[2], NULL, 10);
		i = 3;
	}
	if (i >= argc || secs == 0) {
		fprintf(stderr, "usage: waitall [-t SECONDS] COMMAND [ARG...]\n");
		return 100;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		perror("waitall: prctl");
		return 111;
	}
	if ((cmd = fork()) < 0) {
		perror("waitall: fork");
		return 111;
	}
	if (cmd == 0) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "waitall: cannot run %s: %s\n", argv[i],
		    strerror(errno));
		_exit(127);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onalarm;		/* no SA_RESTART: waitpid ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
	for (;;) {
		p = waitpid(-1, &st, 0);
		if (p == cmd)
			rc = WIFEXITED(st) ? WEXITSTATUS(st) :
			    WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 111;
		if (p >= 0)
			continue;
		if (errno == ECHILD)
			break;
		if (errno == EINTR && expired) {
			left += killchildren();
			alarm(1);		/* reparented grandchildren next */
			expired = 0;
		}
	}
	if (left > 0) {
		fprintf(stderr, "waitall: %d processes left after %u s\n", left,
		    secs);
		return 99;
	}
	return rc;
}
