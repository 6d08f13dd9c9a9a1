/* logline.h: one "prog: key=value ..." line per event, untrusted bytes escaped. */
#ifndef LOGLINE_H
#define LOGLINE_H

#include <stddef.h>
#include <stdint.h>

#define LOGLINE_MAX	2048	/* one write(2), below PIPE_BUF on every system */
#define LOGLINE_VALMAX	256	/* untrusted bytes shown per value */

struct logline {
	char	buf[LOGLINE_MAX];
	size_t	len;
};

void	log_start(struct logline *l, const char *prog);
/* A value known to be safe (no white space, no control bytes). */
void	log_add(struct logline *l, const char *key, const char *val);
/* Untrusted bytes: escaped as vis(3) does (\s \t \n \r \\ \" \ooo),
 * cut after LOGLINE_VALMAX bytes with "..." added. */
void	log_esc(struct logline *l, const char *key, const char *val, size_t len);
/* A message with spaces: in double quotes, escaped. */
void	log_quote(struct logline *l, const char *key, const char *val);
/* Text as it is / untrusted bytes escaped as in log_esc, with no key. */
void	log_str(struct logline *l, const char *s);
void	log_bytes(struct logline *l, const char *val, size_t len);
/* key=N, key=N/D and N with no key, in decimal (no printf: the relay
 * path's counts) */
void	log_num(struct logline *l, const char *key, uint64_t n);
void	log_frac(struct logline *l, const char *key, uint64_t n, uint64_t d);
void	log_u64(struct logline *l, uint64_t n);
void	log_fmt(struct logline *l, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Write the line and a newline to fd in one write(2). */
void	log_flush(struct logline *l, int fd);

#endif
