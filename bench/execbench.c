/*
 * execbench N PROGRAM
 *
 * Runs PROGRAM N times the way qmail-smtpd runs $RCPTCHECK: pipe, fork, in
 * the child fd 4 = write end of the pipe and execv(PROGRAM, {PROGRAM, NULL})
 * with the current environment; the parent reads the pipe to EOF, then
 * waitpid.  Each call is timed from just before fork() to just after
 * waitpid() with CLOCK_MONOTONIC.
 *
 * stdout: mean_us=X median_us=Y n=N
 * stderr: a warning when some run did not exit 112 (with the counts), and
 *         how many bytes the program wrote to fd 4, if any.
 * Exit: 0 when every run exited 112, 1 otherwise, 2 usage, 111 system error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what)
{
	fprintf(stderr, "execbench: %s: %s\n", what, strerror(errno));
	exit(111);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double now_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		die("clock_gettime");
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One call; returns the wait status, adds the bytes read from fd 4. */
static int run_once(char *prog, unsigned long *fd4bytes)
{
	char *argv[2];
	char buf[4096];
	int pi[2];
	int wstat;
	pid_t pid;
	ssize_t r;

	argv[0] = prog;
	argv[1] = NULL;
	if (pipe(pi) == -1)
		die("pipe");
	pid = fork();
	if (pid == -1)
		die("fork");
	if (pid == 0) {
		close(pi[0]);
		if (pi[1] != 4) {
			if (dup2(pi[1], 4) == -1)
				_exit(120);
			close(pi[1]);
		} else if (fcntl(4, F_SETFD, 0) == -1) {
			_exit(120);
		}
		execv(prog, argv);
		_exit(120);
	}
	close(pi[1]);
	for (;;) {
		r = read(pi[0], buf, sizeof buf);
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		*fd4bytes += (unsigned long)r;
	}
	close(pi[0]);
	while (waitpid(pid, &wstat, 0) == -1)
		if (errno != EINTR)
			die("waitpid");
	return wstat;
}

int main(int argc, char **argv)
{
	unsigned long n, i, bad = 0, fd4bytes = 0, codes[257];
	double *t, sum = 0.0, median, t0;
	char *end;
	int wstat, k;

	if (argc != 3) {
		fprintf(stderr, "usage: execbench N PROGRAM\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[1] || n == 0 ||
	    n > 100000000UL) {
		fprintf(stderr, "execbench: bad N: %s\n", argv[1]);
		return 2;
	}
	if (access(argv[2], X_OK) == -1)
		die(argv[2]);
	t = malloc(n * sizeof *t);
	if (t == NULL)
		die("malloc");
	memset(codes, 0, sizeof codes);

	for (i = 0; i < n; i++) {
		t0 = now_us();
		wstat = run_once(argv[2], &fd4bytes);
		t[i] = now_us() - t0;
		sum += t[i];
		if (WIFEXITED(wstat))
			codes[WEXITSTATUS(wstat)]++;
		else
			codes[256]++;
		if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 112)
			bad++;
	}

	qsort(t, n, sizeof *t, cmp_double);
	if (n % 2)
		median = t[n / 2];
	else
		median = (t[n / 2 - 1] + t[n / 2]) / 2.0;
	printf("mean_us=%.1f median_us=%.1f n=%lu\n", sum / (double)n, median,
	    n);
	if (fflush(stdout) == EOF)
		die("stdout");

	if (bad) {
		fprintf(stderr, "execbench: %s: %lu of %lu runs did not exit 112:",
		    argv[2], bad, n);
		for (k = 0; k < 256; k++)
			if (k != 112 && codes[k])
				fprintf(stderr, " exit %d x%lu", k, codes[k]);
		if (codes[256])
			fprintf(stderr, " signal x%lu", codes[256]);
		fprintf(stderr, "\n");
	}
	if (fd4bytes)
		fprintf(stderr, "execbench: %s: %lu bytes written to fd 4\n",
		    argv[2], fd4bytes);
	free(t);
	return bad ? 1 : 0;
}
