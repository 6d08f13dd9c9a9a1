/* logdecode.h: a decoder of the log escaper's output (src/logline.c),
 * written apart from the encoder, for tests/check_logline.c and
 * tests/fuzz/fuzz_logline.c. */
#ifndef LOGDECODE_H
#define LOGDECODE_H

#include <sys/types.h>

/* Decode the escapes of log_esc/log_quote/log_bytes (\\ \" \n \r \t \s
 * \ooo) of s[0..n) into out; returns the decoded length, or -1 on a bad
 * escape or a raw byte the escaper must never leave (a control byte, DEL,
 * a byte over 0x7e, a bare quote; a bare space unless spok). */
static inline ssize_t
decode(const char *s, size_t n, int spok, char *out, size_t outsz)
{
	size_t i = 0, o = 0;
	unsigned char c;

	while (i < n) {
		if (o == outsz)
			return -1;
		c = (unsigned char)s[i++];
		if (c != '\\') {
			if (c < ' ' || c > '~' || c == '"' || (c == ' ' && !spok))
				return -1;
			out[o++] = (char)c;
			continue;
		}
		if (i == n)
			return -1;
		c = (unsigned char)s[i++];
		switch (c) {
		case '\\': case '"':
			out[o++] = (char)c;
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 's':
			out[o++] = ' ';
			break;
		case '0': case '1': case '2': case '3':
			if (i + 2 > n || s[i] < '0' || s[i] > '7' || s[i + 1] < '0' ||
			    s[i + 1] > '7')
				return -1;
			out[o++] = (char)(((c - '0') << 6) | ((s[i] - '0') << 3) |
			    (s[i + 1] - '0'));
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)o;
}

#endif
