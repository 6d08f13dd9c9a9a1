/* tally.c: one byte per event (tally.h). */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tally.h"

int
tally_path(char *path, const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);

	if (d + 1 + n + 1 > TALLY_PATHMAX)
		return -1;
	memcpy(path, dir, d);
	path[d] = '/';
	memcpy(path + d + 1, name, n + 1);
	return 0;
}

void
tally_add(const char *path)
{
	char dir[TALLY_PATHMAX];
	struct stat st;
	const char *slash = strrchr(path, '/');
	int fd;

	/* only in a directory of ours: never a file root's helper creates
	 * where the smtpd user's could not append */
	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (stat(dir[0] ? dir : "/", &st) < 0 || st.st_uid != geteuid())
		return;
	if ((fd = open(path, O_WRONLY | O_APPEND |
	    O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
	    0600)) < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_nlink == 1 && st.st_uid == geteuid())
		(void)write(fd, "x", 1);
	close(fd);
}

int64_t
tally_get(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	return (int64_t)st.st_size;
}

int
tally_trim(int dirfd, const char *name)
{
	struct stat st;
	int fd, rc = 0;

	if ((fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) < 0)
		rc = -1;
	else if (S_ISREG(st.st_mode) && st.st_size > TALLY_MAX)
		rc = ftruncate(fd, 0) < 0 ? -1 : 1;
	close(fd);
	return rc;
}
