/* fakeclock.c: an LD_PRELOAD shim that sets redis-server's wall clock
 * for tests/property (PROP_STORE=redis): gettimeofday(2) -- what Redis's
 * TIME, and so the store's script, and its key expiry read -- answers the
 * whole second written in the file $FAKECLOCK_FILE (re-read at every
 * call), microseconds 0; the monotonic clock stays real. libfaketime
 * cannot be used there: its start-up recurses with Debian's jemalloc.
 * No allocation, no stdio: safe at any point of the server's life. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int
gettimeofday(struct timeval *tv, void *tz)
{
	const char *path = getenv("FAKECLOCK_FILE");
	char buf[32];
	long long t = 0;
	ssize_t n, i;
	int fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (int)syscall(SYS_gettimeofday, tv, tz);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		t = t * 10 + (buf[i] - '0');
	if (i == 0)
		return (int)syscall(SYS_gettimeofday, tv, tz);
	tv->tv_sec = (time_t)t;
	tv->tv_usec = 0;
	return 0;
}
