/* reply.h: the SMTP reply of a refusal, written to qmail-smtpd's fd 4. */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>

#include "rule.h"
#include "policy.h"

#define REPLY_MAX	1021	/* qmail-smtpd's limit for the fd-4 text */

/* The one-line reply (no CRLF) for a refusal of client (an encoded name:
 * safe ASCII) under r with verdict v into out (REPLY_MAX + 1 bytes):
 * "421 4.7.0 recipient limit 1000 per 1d reached for user@example.com,
 * retry after 2026-11-22 14:05 UTC", or the rule's text= with {client},
 * {limit}, {period}, {count} and {retry} filled in. Returns its length. */
size_t	reply_format(const struct rule *r, const struct verdict *v,
	    const char *client, char *out);

/* A recipient a destination rule denies: "550 5.7.1 sending to this
 * recipient is not allowed for user@example.com", or "550 5.7.1 " and the
 * rule's text (text, "" for ours) with {client} filled in. Its length. */
size_t	reply_deny(const char *text, const char *client, char *out);

#endif
