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

#include <fcntl.h>
#include <stdio.h>
#include <vis.h>

#include "limits.h"
#include "logline.h"
#include "name.h"
#include "notify.h"
#include "reply.h"
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
#define NOTIFY_TIMEOUT	30	/* seconds, OVERLIMIT_NOTIFY_TIMEOUT */
#define NOTIFY_ENVMAX	64	/* variables passed to the program */

extern char **environ;

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
			    (unsigned long)v->limit[i]);
		} else
			log_fmt(l, per, "%llu/%lu",
			    (unsigned long long)v->count[i],
			    (unsigned long)v->limit[i]);
	}
	if (!total)
		log_fmt(l, "total", "%llu", (unsigned long long)c->h.total);
	if (v->raised)
		log_fmt(l, "raised", "x%lu", (unsigned long)v->raised);
}

/* A number from env name in [lo, hi]; dflt when unset; -1 when bad. */
static long
envnum(const char *name, long lo, long hi, long dflt)
{
	const char *v = env(name, NULL);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0' || n < lo || n > hi)
		return -1;
	return n;
}

/* The rule-wide options that the environment sets for every rule. */
static const char *
globals(struct rule *r)
{
	long n;

	if (strcmp(env("OVERLIMIT_DRYRUN", "0"), "0") != 0)
		r->flags |= RULE_DRYRUN;
	if (strcmp(env("OVERLIMIT_STRICT", "0"), "0") != 0)
		r->flags |= RULE_STRICT;
	if ((n = envnum("OVERLIMIT_BAN", 0, 100, 0)) < 0)
		return "OVERLIMIT_BAN is not a number from 0 to 100";
	if (r->ban == 0)
		r->ban = (unsigned)n;
	if ((n = envnum("OVERLIMIT_WARN", 0, 99, 0)) < 0)
		return "OVERLIMIT_WARN is not a percentage from 0 to 99";
	if (r->warn == 0)
		r->warn = (unsigned)n;
	return NULL;
}

/* The refusal's text on fd 4, when qmail-smtpd reads it (USE_FD4=1). */
static void
fd4reply(const struct rule *r, const struct verdict *v, const char *enc)
{
	char out[REPLY_MAX + 1];
	size_t n;

	if (strcmp(env("USE_FD4", ""), "1") != 0 || fcntl(4, F_GETFD) < 0)
		return;
	n = reply_format(r, v, enc, out);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)write(4, out, n);		/* one line, at most 1021 bytes */
}

/* "NAME=value" with value vis-escaped (no control bytes), cut. */
static char *
envvar(const char *name, const char *val, size_t len)
{
	static char store[16][1200];
	static int n;
	char *e = store[n++ % 16];
	size_t o = (size_t)snprintf(e, 64, "%s=", name);

	if (len > 256)
		len = 256;
	strvisx(e + o, val, len, VIS_OCTAL | VIS_CSTYLE | VIS_WHITE);
	return e;
}

static const char *const evname[] = { "none", "warn", "over", "ban" };

static void
notify(const struct rule *r, const struct verdict *v, enum name_kind kind,
    const char *norm, size_t len, const char *matched, const char *rip,
    struct logline *lg)
{
	const char *prog = env("OVERLIMIT_NOTIFY", NULL), *e;
	char *envp[NOTIFY_ENVMAX], **ep, per[16], num[5][32];
	long timeout = envnum("OVERLIMIT_NOTIFY_TIMEOUT", 1, 3600,
	    NOTIFY_TIMEOUT);
	int n = 0, w = v->evwin;

	if (prog == NULL || v->event == EV_NONE)
		return;
	if (timeout < 0)
		timeout = NOTIFY_TIMEOUT;
	rule_fmtperiod(r->win[w].period, per, sizeof(per));
	snprintf(num[0], sizeof(num[0]), "%lu", r->line);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)v->count[w]);
	snprintf(num[2], sizeof(num[2]), "%lu", (unsigned long)v->limit[w]);
	snprintf(num[3], sizeof(num[3]), "%lld", (long long)time(NULL));
	envp[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[n++] = envvar("OVERLIMIT_EVENT", evname[v->event],
	    strlen(evname[v->event]));
	envp[n++] = envvar("OVERLIMIT_CLIENT", norm, len);
	envp[n++] = envvar("OVERLIMIT_KIND", kind == NAME_IP ? "ip" : "user",
	    kind == NAME_IP ? 2 : 4);
	e = matched[0] ? matched : "default";
	envp[n++] = envvar("OVERLIMIT_RULE", e, strlen(e));
	envp[n++] = envvar("OVERLIMIT_LINE", num[0], strlen(num[0]));
	envp[n++] = envvar("OVERLIMIT_COUNT", num[1], strlen(num[1]));
	envp[n++] = envvar("OVERLIMIT_LIMIT", num[2], strlen(num[2]));
	e = per[0] ? per : "reset";
	envp[n++] = envvar("OVERLIMIT_PERIOD", e, strlen(e));
	envp[n++] = envvar("OVERLIMIT_BANNED", v->banned ? "1" : "0", 1);
	envp[n++] = envvar("OVERLIMIT_DRYRUN", v->dryrun ? "1" : "0", 1);
	envp[n++] = envvar("OVERLIMIT_TIME", num[3], strlen(num[3]));
	e = rip ? rip : "";
	envp[n++] = envvar("OVERLIMIT_IP", e, strlen(e));
	e = env("SENDER", "");
	envp[n++] = envvar("OVERLIMIT_SENDER", e, strlen(e));
	e = env("HELO", "");
	envp[n++] = envvar("OVERLIMIT_HELO", e, strlen(e));
	e = env("RECIPIENT", "");
	envp[n++] = envvar("OVERLIMIT_RECIPIENT", e, strlen(e));
	if ((e = env("OVERLIMIT_HOST", NULL)) != NULL)
		envp[n++] = envvar("OVERLIMIT_HOST", e, strlen(e));
	/* the admin's settings for the program (run file, tcprules) */
	for (ep = environ; *ep != NULL && n < NOTIFY_ENVMAX - 1; ep++)
		if (strncmp(*ep, "NOTIFY_", 7) == 0 && strlen(*ep) < 4096)
			envp[n++] = *ep;
	envp[n] = NULL;
	log_add(lg, "notify", evname[v->event]);
	if (notify_run(prog, PROG ":", (unsigned)timeout, envp) < 0)
		log_add(lg, "notify_error", "fork");
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
	if ((e = env("RECIPIENT", NULL)) != NULL) {
		switch (limits_exempt(&lim, e, strlen(e), matched,
		    sizeof(matched))) {
		case -1:
			return failed(&lg, "corrupt limits CDB", cdb, 0);
		case 1:				/* never counted, never refused */
			log_add(&lg, "exempt", matched);
			log_add(&lg, "verdict", "exempt");
			log_flush(&lg, 2);
			return EX_ACCEPT;
		}
	}
	rc = limits_lookup(&lim, kind, norm, len, &ip, enc, &rule, matched,
	    sizeof(matched));
	if (rc < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	if ((e = globals(&rule)) != NULL)
		return failed(&lg, e, NULL, 0);
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
	if (v.over >= 0 && !v.banned) {
		rule_fmtperiod(rule.win[v.over].period, per, sizeof(per));
		log_fmt(&lg, "over", "%lu%s%s",
		    (unsigned long)v.limit[v.over], per[0] ? "/" : "",
		    per);
	}
	if (v.newban)
		log_add(&lg, "ban", "new");
	else if (v.banned)
		log_add(&lg, "ban", "yes");
	if (v.dryrun)
		log_add(&lg, "dryrun", "would-refuse");
	if (!v.accepted && !v.banned) {
		char t[32];
		time_t rt = (time_t)v.retry;
		struct tm tm;

		if (v.retry > 0 && gmtime_r(&rt, &tm) != NULL) {
			(void)strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
			log_add(&lg, "retry", t);
		} else
			log_add(&lg, "retry", "reset");
	}
	notify(&rule, &v, kind, norm, len, matched, rip, &lg);
	log_add(&lg, "verdict", v.accepted ? "accept" : "refuse");
	log_flush(&lg, 2);
	if (!v.accepted)
		fd4reply(&rule, &v, enc);
	return v.accepted ? EX_ACCEPT : EX_REFUSE;
}
