/* name.h: client identity -- normalise, encode into a file name / CDB key, decode. */
#ifndef NAME_H
#define NAME_H

#include <stddef.h>

#define NAME_ENCMAX 255		/* longest encoded name (NAME_MAX) */

enum name_kind { NAME_USER, NAME_IP };

struct ipaddr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	a[16];		/* 4 or 16 bytes, network order */
};

/* Parse an IP literal (IPv4, IPv6; IPv4-mapped IPv6 becomes IPv4).
 * Returns 0, or -1 when s is not an IP address. */
int	name_parseip(const char *s, struct ipaddr *ip);
/* Canonical text of ip into buf (at least 46 bytes). */
void	name_fmtip(const struct ipaddr *ip, char *buf, size_t bufsz);
/* Canonical text of the network ip/plen: "10.0.0.0/8", "2001:db8::/48". */
void	name_fmtnet(const struct ipaddr *ip, int plen, char *buf, size_t bufsz);
/* Zero the host bits of ip beyond plen. */
void	name_mask(struct ipaddr *ip, int plen);

/* Normalise an auth user name of len bytes in place: ASCII lower case,
 * the first of '@', '%', '/' becomes '@'. */
void	name_normuser(char *s, size_t len);

/* Encode a normalised name (len bytes, may hold any byte but NUL) of the
 * given kind into out (NAME_ENCMAX + 1 bytes). The result is never empty,
 * never ".", "..", never starts with '.', never holds '/'. */
void	name_encode(enum name_kind kind, const char *s, size_t len, char *out);

/* Encode the domain part of a user name as a domain key "@domain"
 * into out (NAME_ENCMAX + 1). Returns 0, or -1 when s has no domain. */
int	name_domainkey(const char *s, size_t len, char *out);

/* Decode an encoded name into out (outsz bytes). Returns the length,
 * or -1 when enc is not a name this encoding produces or out is too small.
 * Hashed names ("~...") decode to themselves. */
long	name_decode(const char *enc, char *out, size_t outsz);

/* The value of a lower-case hex digit, or -1. */
int	name_unhex(char c);

/* 1 if enc is a name name_encode can produce (a client file name). */
int	name_isclient(const char *enc);

/* Parse a counted IPv6 network "2001:db8:1:2::/64" (canonical, host
 * bits zero, length 1..127). Returns 0, or -1. */
int	name_parsenet(const char *s, struct ipaddr *ip, int *plen);

/* What a file in the overlimit directory is: NAME_FCLIENT (a client,
 * an IPv6 network included), NAME_FPOOL ("@domain"), NAME_FSERVER ("*"),
 * or 0 (not a counter file). */
enum { NAME_FCLIENT = 1, NAME_FPOOL, NAME_FSERVER };
int	name_isfile(const char *enc);

#endif
