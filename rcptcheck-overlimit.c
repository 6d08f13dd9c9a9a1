/*
 * rcptcheck-overlimit: the RCPTCHECK helper of qmail-smtpd.
 *
 * Run once per accepted RCPT TO with no arguments; counts the recipient
 * for the relay client (the SMTP-auth user, else the client IP) and
 * exits 112 (go on) or 113 (over the limit: 421). On any error: one log
 * line, then 112 (OVERLIMIT_ONERROR=accept, the default) or 111 (defer).
 * See rcptcheck-overlimit(8) and DESIGN.md.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "logline.h"
#include "name.h"
#include "rule.h"
#include "store.h"

#define PROG		"rcptcheck-overlimit"
#define EX_ACCEPT	112
#define EX_REFUSE	113
#define EX_DEFER	111

#ifndef OVERLIMIT_DIR
#define OVERLIMIT_DIR	"/var/qmail/overlimit"
#endif
#ifndef OVERLIMIT_CDB
#define OVERLIMIT_CDB	"/var/qmail/control/relaylimits.cdb"
#endif
#define TIMEOUT		10	/* seconds, OVERLIMIT_TIMEOUT */

static int onerror = EX_ACCEPT;
static struct logline wd;	/* what the watchdog writes */

static void
watchdog(int sig)
{
	(void)sig;
	wd.buf[wd.len] = '\n';
	(void)write(2, wd.buf, wd.len + 1);
	_exit(onerror);
}

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* The client part of every log line. */
static void
who(struct logline *l, const char *client, size_t len, const char *ip)
{
	log_start(l, PROG);
	log_esc(l, "client", client, len);
	if (ip != NULL)
		log_esc(l, "ip", ip, strlen(ip));
}

static int
failed(struct logline *l, const char *what, const char *arg, int err)
{
	char msg[512];

	if (err)
		snprintf(msg, sizeof(msg), "%s %s: %s", what, arg, strerror(err));
	else if (arg != NULL)
		snprintf(msg, sizeof(msg), "%s %s", what, arg);
	else
		snprintf(msg, sizeof(msg), "%s", what);
	log_quote(l, "error", msg);
	log_add(l, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	log_flush(l, 2);
	return onerror;
}

static void
showcounts(struct logline *l, const struct rule *r, const struct verdict *v,
    const struct client *c)
{
	char per[16];
	int i, total = 0;

	for (i = 0; i < r->nwin; i++) {
		rule_fmtperiod(r->win[i].period, per, sizeof(per));
		if (r->win[i].period == 0) {
			total = 1;
			log_fmt(l, "total", "%llu/%lu",
			    (unsigned long long)v->count[i],
			    (unsigned long)r->win[i].limit);
		} else
			log_fmt(l, per, "%llu/%lu",
			    (unsigned long long)v->count[i],
			    (unsigned long)r->win[i].limit);
	}
	if (!total)
		log_fmt(l, "total", "%llu", (unsigned long long)c->h.total);
}

int
main(void)
{
	struct logline lg;
	struct limits lim;
	struct store st;
	struct client cl;
	struct rule rule;
	struct verdict v;
	struct ipaddr ip = { 0, { 0 } };
	struct sigaction sa;
	char enc[NAME_ENCMAX + 1], matched[NAME_ENCMAX + 2], per[16];
	const char *user, *rip, *dir, *cdb, *e;
	static char *norm;	/* static: reachable at exit for leak checkers */
	static char ipbuf[64];	/* static: norm, a static, may point here */
	size_t len;
	long timeout;
	enum name_kind kind;
	int rc;

	if (getenv("RELAYCLIENT") == NULL)
		return EX_ACCEPT;		/* inbound: not ours to count */
	if (getenv("RCPTHOSTS") != NULL &&
	    strcmp(env("OVERLIMIT_COUNT_LOCAL", "0"), "0") == 0)
		return EX_ACCEPT;		/* to our own domains: free */

	e = env("OVERLIMIT_ONERROR", "accept");
	if (strcmp(e, "defer") == 0)
		onerror = EX_DEFER;

	user = env("SMTPAUTHUSER", NULL);
	if ((rip = env("TCPREMOTEIP", NULL)) == NULL)
		rip = env("TCP6REMOTEIP", NULL);
	if (user != NULL) {
		kind = NAME_USER;
		len = strlen(user);
		if ((norm = malloc(len + 1)) == NULL)
			return failed((who(&lg, user, len, rip), &lg),
			    "out of memory", NULL, 0);
		memcpy(norm, user, len + 1);
		name_normuser(norm, len);
	} else {
		kind = NAME_IP;
		if (rip == NULL) {
			who(&lg, "", 0, NULL);
			return failed(&lg, "no client identity (neither "
			    "SMTPAUTHUSER nor TCPREMOTEIP)", NULL, 0);
		}
		if (name_parseip(rip, &ip) < 0) {
			who(&lg, rip, strlen(rip), NULL);
			return failed(&lg, "bad client IP address", NULL, 0);
		}
		name_fmtip(&ip, ipbuf, sizeof(ipbuf));
		norm = ipbuf;
		len = strlen(ipbuf);
	}
	name_encode(kind, norm, len, enc);

	who(&lg, norm, len, kind == NAME_USER ? rip : NULL);
	if (onerror != EX_DEFER && strcmp(e, "accept") != 0)
		return failed(&lg, "OVERLIMIT_ONERROR is neither accept nor "
		    "defer:", e, 0);
	timeout = strtol(env("OVERLIMIT_TIMEOUT", "10"), NULL, 10);
	if (timeout < 1 || timeout > 3600)
		timeout = TIMEOUT;
	wd = lg;
	log_fmt(&wd, "error", "\"timeout after %lds\"", timeout);
	log_add(&wd, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);

	cdb = env("OVERLIMIT_CDB", OVERLIMIT_CDB);
	if (limits_open(&lim, cdb) < 0)
		return failed(&lg, errno == EPROTO ? "not a limits CDB (run "
		    "cdbmake-limits):" : "cannot open limits", cdb,
		    errno == EPROTO ? 0 : errno);
	rc = limits_lookup(&lim, kind, norm, len, &ip, enc, &rule, matched,
	    sizeof(matched));
	if (rc < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	log_add(&lg, "rule", rc == 0 ? "none" : matched[0] == '\0' ?
	    "default" : matched);
	if (rc == 1)
		log_fmt(&lg, "line", "%lu", rule.line);

	dir = env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	if (store_open(&st, dir) < 0)
		return failed(&lg, "cannot open directory", dir, errno);
	if (store_lock(&st, enc, 1, &cl) < 0 ||
	    store_count(&st, &cl, &rule, time(NULL), &v) < 0)
		return failed(&lg, cl.err, NULL, 0);
	store_unlock(&cl);
	alarm(0);

	showcounts(&lg, &rule, &v, &cl);
	if (!v.accepted) {
		rule_fmtperiod(rule.win[v.over].period, per, sizeof(per));
		log_fmt(&lg, "over", "%lu%s%s",
		    (unsigned long)rule.win[v.over].limit, per[0] ? "/" : "",
		    per);
	}
	log_add(&lg, "verdict", v.accepted ? "accept" : "refuse");
	log_flush(&lg, 2);
	return v.accepted ? EX_ACCEPT : EX_REFUSE;
}
