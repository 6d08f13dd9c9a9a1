/*
 * floor.c: the system calls of one relayed recipient and nothing else.
 *
 * The helper's relay path (see bench/README.md, "system calls") makes,
 * beyond what a static no-op's start-up makes, these calls: the SIGBUS and
 * SIGALRM handlers, the watchdog set and cleared, the CDB opened, stat'ed
 * and mapped, the counter directory opened and stat'ed, the euid (the
 * directory's owner check), the counter opened, stat'ed, locked and
 * re-stat'ed by name, its header and records read in one call, one record
 * and the header written, the file closed, one log line. This program
 * makes exactly those, with no parsing, no lookup and no decision: the
 * floor under any helper that keeps the same guarantees. bench/run.sh
 * times it beside the no-op and the helper: helper/floor is the cost of
 * our own code, floor/noop the cost of the job's system calls.
 *
 * Environment: OVERLIMIT_CDB, OVERLIMIT_DIR (its own directory: it writes
 * a file "floor" there that is not a counter). Inbound (no RELAYCLIENT):
 * exits at once, as the helper does.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
onsig(int sig)
{
	(void)sig;
	_exit(112);
}

int
main(void)
{
	static const char line[] = "rcptcheck-overlimit: client=user@example.com"
	    " ip=192.0.2.10 rule=user@example.com line=3 1h=1/100000000"
	    " 1d=1/100000000 total=1 verdict=accept\n";
	static unsigned char hdr[256], rec[4096];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { rec, sizeof(rec) } };
	struct sigaction sa;
	struct flock fl;
	struct stat st;
	volatile const unsigned char *m;
	const char *cdb, *dir;
	time_t t;
	int fd, dfd, cfd;

	if (getenv("RELAYCLIENT") == NULL ||
	    (cdb = getenv("OVERLIMIT_CDB")) == NULL ||
	    (dir = getenv("OVERLIMIT_DIR")) == NULL)
		return 112;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsig;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm(10);
	if ((fd = open(cdb, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || st.st_size < 2048 ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
	    0)) == MAP_FAILED)
		return 112;
	(void)m[0];			/* the table pointers, a slot */
	(void)m[st.st_size - 1];
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(dfd, &st) < 0 || st.st_uid != geteuid())
		return 112;
	if ((cfd = openat(dfd, "floor", O_RDWR | O_CREAT | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 || fstat(cfd, &st) < 0)
		return 112;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	if (fcntl(cfd, F_SETLKW, &fl) < 0 ||
	    fstatat(dfd, "floor", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    preadv(cfd, iov, 2, 0) < 0)
		return 112;
	t = time(NULL);
	memcpy(rec, &t, sizeof(t));
	hdr[0]++;
	if (pwrite(cfd, rec, 16, 256) != 16 || pwrite(cfd, hdr, 256, 0) != 256)
		return 112;
	close(cfd);
	alarm(0);
	if (write(2, line, sizeof(line) - 1) < 0)
		return 112;
	return 112;
}
