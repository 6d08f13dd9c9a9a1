/* notify.h: run the admin's notification program, detached, with an
 * environment built in caller-owned, bounded storage. */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>

#define NOTIFY_ENVMAX	64	/* variables passed to the program */
#define NOTIFY_VALMAX	256	/* untrusted bytes shown per value */
/* room for 24 escaped values of NOTIFY_VALMAX bytes (4 bytes each at
 * worst) and their names: every fact the helper passes fits */
#define NOTIFY_ENVBUF	(24 * (4 * NOTIFY_VALMAX + 64))

/* The program's environment: "NAME=value" entries, NULL-terminated. */
struct notify_env {
	char	*var[NOTIFY_ENVMAX + 1];
	int	n;
	size_t	used;
	int	dropped;		/* entries that did not fit */
	char	buf[NOTIFY_ENVBUF];
};

void	notify_env_init(struct notify_env *e);
/* Add NAME=value, the value (len bytes, untrusted) escaped as vis(3)
 * with VIS_OCTAL | VIS_CSTYLE | VIS_WHITE, cut at NOTIFY_VALMAX bytes.
 * Returns 0, or -1 when it does not fit (e->dropped counts it). */
int	notify_env_add(struct notify_env *e, const char *name, const char *val,
	    size_t len);
/* Pass an entry of the caller's own environment ("NOTIFY_TO=...") as it
 * is, not copied. Returns 0, or -1 when it does not fit (counted). */
int	notify_env_pass(struct notify_env *e, char *entry);

/* Run prog with no arguments and the environment e, in a new session,
 * stdin and stdout on /dev/null, stderr kept (the smtpd log), every other
 * descriptor closed (fd 4 above all: qmail-smtpd waits for its EOF), in a
 * process group of its own. A watcher process waits at most timeout
 * seconds, then kills that whole group (the program's children too), and logs a
 * failure on stderr as "prog: ..." one line. Returns at once: 0 when the
 * watcher was started, -1 (errno) when fork failed. */
int	notify_run(const char *prog, const char *logprefix, unsigned timeout,
	    char *const envp[]);

#endif
