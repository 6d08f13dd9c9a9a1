/* notify.h: run the admin's notification program, detached. */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Run prog with no arguments and the environment envp, in a new session,
 * stdin and stdout on /dev/null, stderr kept (the smtpd log), every other
 * descriptor closed (fd 4 above all: qmail-smtpd waits for its EOF), in a
 * process group of its own. A watcher process waits at most timeout
 * seconds, then kills that whole group (the program's children too), and logs a
 * failure on stderr as "prog: ..." one line. Returns at once: 0 when the
 * watcher was started, -1 (errno) when fork failed. */
int	notify_run(const char *prog, const char *logprefix, unsigned timeout,
	    char *const envp[]);

#endif
