/*
 * concurrent: start K copies of a RCPTCHECK program at the same moment.
 *
 * usage: concurrent K PROGRAM
 *
 * Forks K children. Each blocks reading a shared pipe (the barrier); once all
 * K exist the parent closes the pipe's write end, every read returns EOF at
 * once and each child does execv(PROGRAM, {PROGRAM, NULL}) with the current
 * environment, as qmail-smtpd would.
 *
 * Children: stdout and stderr go to /dev/null, or are appended to the file
 * named by CONCURRENT_LOG. stdin is left as inherited. When USE_FD4=1 is in
 * the environment fd 4 is opened on /dev/null (qmail-smtpd always gives the
 * helper a writable fd 4; its text is not collected here). SIGPIPE ignored,
 * signal mask cleared, as under qmail-smtpd. Exec failure: _exit(120).
 *
 * Parent: reaps every child and prints one line
 *     112=A 113=B other=C
 * (other: any other exit code or death by a signal) and exits 0.
 * Timeout: CONCURRENT_TIMEOUT seconds (default 60) for the whole run; the
 * children still running then are killed (SIGKILL), reaped and counted as
 * other, the line is printed all the same, a note goes to stderr and the exit
 * code is 1. Usage or system errors: exit 2, after killing and reaping every
 * child already forked. No zombie is left in any case.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define K_MAX 10000

static pid_t *pids;
static int npids;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void kill_all(void)
{
    int i;
    for (i = 0; i < npids; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    for (i = 0; i < npids; i++)
        if (pids[i] > 0) {
            while (waitpid(pids[i], NULL, 0) == -1 && errno == EINTR)
                ;
            pids[i] = 0;
        }
}

static void fail(const char *what)
{
    int e = errno;
    kill_all();
    fprintf(stderr, "concurrent: %s: %s\n", what, strerror(e));
    exit(2);
}

static int parse_k(const char *s)
{
    long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > K_MAX)
            return -1;
    }
    return (int)v;
}

static void child(int barrier, const char *prog, const sigset_t *mask)
{
    char *args[2];
    char c;
    int fd;
    const char *log = getenv("CONCURRENT_LOG");
    const char *u = getenv("USE_FD4");

    sigprocmask(SIG_SETMASK, mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (log && *log)
        fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    else
        fd = open("/dev/null", O_WRONLY);
    if (fd == -1)
        _exit(120);
    if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
        _exit(120);
    if (fd > 2)
        close(fd);
    if (u && strcmp(u, "1") == 0) {
        fd = open("/dev/null", O_WRONLY);
        if (fd == -1)
            _exit(120);
        if (fd != 4) {
            if (dup2(fd, 4) == -1)
                _exit(120);
            close(fd);
        }
    }
    /* the barrier: EOF once the parent has forked everyone */
    while (read(barrier, &c, 1) == -1 && errno == EINTR)
        ;
    close(barrier);
    args[0] = (char *)prog;
    args[1] = NULL;
    execv(prog, args);
    _exit(120);
}

int main(int argc, char **argv)
{
    int k, i, alive;
    int n112 = 0, n113 = 0, nother = 0, nkilled = 0;
    int bar[2];
    double timeout = 60, deadline;
    const char *t = getenv("CONCURRENT_TIMEOUT");
    sigset_t chld, old;

    if (argc != 3 || (k = parse_k(argv[1])) < 1 || !argv[2][0]) {
        fprintf(stderr, "usage: concurrent K PROGRAM   (1 <= K <= %d)\n",
                K_MAX);
        return 2;
    }
    if (t && *t) {
        char *end;
        timeout = strtod(t, &end);
        if (*end || !(timeout > 0)) {
            fprintf(stderr, "concurrent: bad CONCURRENT_TIMEOUT: %s\n", t);
            return 2;
        }
    }
    pids = calloc((size_t)k, sizeof *pids);
    if (!pids) {
        fprintf(stderr, "concurrent: out of memory\n");
        return 2;
    }

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old) == -1)
        fail("sigprocmask");
    if (pipe(bar) == -1)
        fail("pipe");
    /* keep the barrier off fd 4, which a child may need for USE_FD4 */
    for (i = 0; i < 2; i++)
        if (bar[i] <= 4) {
            int n = fcntl(bar[i], F_DUPFD, 5);
            if (n == -1)
                fail("fcntl");
            close(bar[i]);
            bar[i] = n;
        }
    fflush(NULL);

    for (i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid == -1)
            fail("fork");
        if (pid == 0) {
            close(bar[1]);
            child(bar[0], argv[2], &old);
        }
        pids[i] = pid;
        npids = i + 1;
    }
    close(bar[0]);
    deadline = now() + timeout;
    close(bar[1]); /* release them all */

    alive = k;
    while (alive > 0) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0) {
            for (i = 0; i < npids; i++)
                if (pids[i] == r) {
                    pids[i] = 0;
                    break;
                }
            if (i == npids)
                continue; /* not one of ours (cannot happen) */
            alive--;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 112)
                n112++;
            else if (WIFEXITED(status) && WEXITSTATUS(status) == 113)
                n113++;
            else
                nother++;
            continue;
        }
        if (r == -1 && errno != EINTR)
            fail("waitpid");
        {
            double left = deadline - now();
            struct timespec ts;
            if (left <= 0) {
                nkilled = alive;
                nother += alive;
                kill_all();
                alive = 0;
                break;
            }
            if (left > 0.1)
                left = 0.1;
            ts.tv_sec = (time_t)left;
            ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
            if (sigtimedwait(&chld, NULL, &ts) == -1 && errno != EAGAIN &&
                errno != EINTR)
                fail("sigtimedwait");
        }
    }

    printf("112=%d 113=%d other=%d\n", n112, n113, nother);
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "concurrent: write stdout: %s\n", strerror(errno));
        return 2;
    }
    if (nkilled) {
        fprintf(stderr,
                "concurrent: timeout after %gs: killed %d of %d children\n",
                timeout, nkilled, k);
        return 1;
    }
    return 0;
}
