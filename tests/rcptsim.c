/*
 * rcptsim: run a RCPTCHECK program the way qmail-smtpd's addrvalid() does.
 *
 * usage: rcptsim PROGRAM
 *
 * Child:  stdout becomes a copy of stderr (qmail-smtpd: close(1); dup2(2,1)),
 *         fd 4 is the write end of a pipe when USE_FD4=1 is in the
 *         environment, SIGPIPE is ignored (qmail-smtpd runs that way), every
 *         other fd (0 included) is left as inherited, then
 *         execv(PROGRAM, {PROGRAM, NULL}) with the current environment;
 *         _exit(120) if the exec fails, as qmail-smtpd does.
 * Parent: like qmail-smtpd, waits for the child FIRST and only then reads
 *         fd 4 until EOF (so a helper that writes more than a pipe buffer
 *         hangs here exactly as it would hang a real session). Up to 64 KiB
 *         are kept. Then prints exactly two lines on stdout:
 *             exit=N        (or signal=N)
 *             fd4=TEXT      (non-printable bytes escaped C-style)
 *         and exits 0.
 * Timeout: RCPTSIM_TIMEOUT seconds (default 10) for the child and the fd-4
 *         read together. When it expires the child is killed (SIGKILL) and
 *         reaped, rcptsim prints "exit=timeout" and the fd-4 bytes read so
 *         far, and exits 1.
 * Other errors (usage, pipe, fork): message on stderr, exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FD4_MAX 65536

static unsigned char fd4buf[FD4_MAX];
static size_t fd4len;
static int fd4trunc;

static void die(const char *what)
{
    fprintf(stderr, "rcptsim: %s: %s\n", what, strerror(errno));
    exit(2);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_escaped(const unsigned char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                printf("\\x%02x", (unsigned)c);
            else
                putchar(c);
        }
    }
    if (fd4trunc)
        fputs("[truncated]", stdout);
}

/* Wait for pid until deadline. Returns 1 with *status set, 0 on timeout.
 * SIGCHLD must be blocked by the caller. */
static int wait_until(pid_t pid, int *status, double deadline)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r == -1 && errno != EINTR)
            die("waitpid");
        double left = deadline - now();
        if (left <= 0)
            return 0;
        if (left > 0.1)
            left = 0.1; /* re-poll now and then, whatever happens to signals */
        struct timespec ts;
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        if (sigtimedwait(&set, NULL, &ts) == -1 && errno != EAGAIN &&
            errno != EINTR)
            die("sigtimedwait");
    }
}

/* Read fd until EOF or deadline. Returns 1 on EOF, 0 on timeout. */
static int read_until(int fd, double deadline)
{
    for (;;) {
        double left = deadline - now();
        if (left <= 0)
            return 0;
        struct pollfd p;
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        int ms = (int)(left * 1000.0) + 1;
        int r = poll(&p, 1, ms);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (r == 0)
            continue;
        unsigned char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n == -1) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("read fd 4 pipe");
        }
        if (n == 0)
            return 1;
        size_t k = (size_t)n;
        if (k > FD4_MAX - fd4len) {
            k = FD4_MAX - fd4len;
            fd4trunc = 1;
        }
        memcpy(fd4buf + fd4len, tmp, k);
        fd4len += k;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '\0') {
        fprintf(stderr, "usage: rcptsim PROGRAM\n");
        return 2;
    }

    double timeout = 10;
    const char *t = getenv("RCPTSIM_TIMEOUT");
    if (t && *t) {
        char *end;
        timeout = strtod(t, &end);
        if (*end || !(timeout > 0)) {
            fprintf(stderr, "rcptsim: bad RCPTSIM_TIMEOUT: %s\n", t);
            return 2;
        }
    }

    const char *u = getenv("USE_FD4");
    int use_fd4 = u && strcmp(u, "1") == 0;
    int pfd[2] = { -1, -1 };
    if (use_fd4) {
        if (pipe(pfd) == -1)
            die("pipe");
        /* keep the read end away from fd 4 so the child's dup2 cannot clash */
        if (pfd[0] == 4) {
            int n = fcntl(pfd[0], F_DUPFD, 5);
            if (n == -1)
                die("fcntl");
            close(pfd[0]);
            pfd[0] = n;
        }
        if (fcntl(pfd[0], F_SETFD, FD_CLOEXEC) == -1)
            die("fcntl");
    }

    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, &old) == -1)
        die("sigprocmask");

    fflush(NULL);
    double deadline = now() + timeout;
    pid_t pid = fork();
    if (pid == -1)
        die("fork");
    if (pid == 0) {
        char *args[2];
        args[0] = argv[1];
        args[1] = NULL;
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGPIPE, SIG_IGN);
        close(1);
        dup2(2, 1);
        if (use_fd4) {
            close(pfd[0]);
            if (pfd[1] != 4) {
                if (dup2(pfd[1], 4) == -1)
                    _exit(120);
                close(pfd[1]);
            }
            /* fd 4 must survive the exec */
            fcntl(4, F_SETFD, 0);
        }
        execv(args[0], args);
        _exit(120);
    }

    if (use_fd4)
        close(pfd[1]);

    int status = 0;
    int timed_out = !wait_until(pid, &status, deadline);
    if (timed_out) {
        kill(pid, SIGKILL);
        if (waitpid(pid, &status, 0) == -1)
            die("waitpid");
    } else if (use_fd4) {
        timed_out = !read_until(pfd[0], deadline);
    }
    if (use_fd4) {
        if (timed_out) {
            /* take what is already there, without blocking */
            int fl = fcntl(pfd[0], F_GETFL);
            if (fl != -1)
                fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK);
            read_until(pfd[0], now() + 0.05);
        }
        close(pfd[0]);
    }

    if (timed_out)
        fputs("exit=timeout\n", stdout);
    else if (WIFEXITED(status))
        printf("exit=%d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("signal=%d\n", WTERMSIG(status));
    else
        printf("status=%d\n", status);
    fputs("fd4=", stdout);
    print_escaped(fd4buf, fd4len);
    putchar('\n');
    if (fflush(stdout) == EOF || ferror(stdout)) {
        fprintf(stderr, "rcptsim: write stdout: %s\n", strerror(errno));
        return 2;
    }
    return timed_out ? 1 : 0;
}
