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
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decide.h"
#include "dest.h"
#include "ident.h"
#include "logline.h"
#include "lookup.h"
#include "prog.h"
#include "reply.h"
#include "report.h"
#include "rstore.h"
#include "tally.h"

#define TIMEOUT		10	/* seconds, OVERLIMIT_TIMEOUT */
#define NOTIFY_TIMEOUT	30	/* seconds, OVERLIMIT_NOTIFY_TIMEOUT */

static int onerror = EX_ACCEPT;
static int localfb;		/* OVERLIMIT_ONERROR=local */
static struct logline wd, bus;	/* what the signal handlers write */
static const char *dir = "";	/* the counter directory, for tally() */

/* One more event of a kind no counter file holds (tally.h): an error's
 * verdict, a missing SMTPRCPTCOUNT. Async-signal-safe. */
static void
tally(const char *name)
{
	char path[TALLY_PATHMAX];

	/* both use only strlen, strrchr, memcpy, stat, open, fstat, geteuid,
	 * write and close: async-signal-safe (tally.h) */
	if (tally_path(path, dir, name) == 0) /* NOLINT(bugprone-signal-handler,cert-sig30-c) */
		tally_add(path); /* NOLINT(bugprone-signal-handler,cert-sig30-c) */
}

/* The watchdog (SIGALRM), and the CDB truncated in place under its
 * mapping (SIGBUS): one log line, then the failure policy. */
static void
caught(int sig)
{
	struct logline *l = sig == SIGBUS ? &bus : &wd;

	if (l->len > 0) {
		l->buf[l->len] = '\n';
		(void)write(2, l->buf, l->len + 1);
	}
	tally(onerror == EX_ACCEPT ? TALLY_ACCEPT : TALLY_DEFER);
	_exit(onerror);
}

/* One error line, then the failure policy. */
static int
failed(struct logline *l, const char *what, const char *arg, int err)
{
	char msg[512];

	if (err)
		snprintf(msg, sizeof(msg), "%s %s: %s", what, arg, strerror(err));
	else
		snprintf(msg, sizeof(msg), "%s%s%s", what, arg ? " " : "",
		    arg ? arg : "");
	log_quote(l, "error", msg);
	log_add(l, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	log_flush(l, 2);
	tally(onerror == EX_ACCEPT ? TALLY_ACCEPT : TALLY_DEFER);
	return onerror;
}

/* The run file's settings (rcptcheck-overlimit(8), ENVIRONMENT); the
 * bad one's message, or NULL. */
static const char *
settings(struct notifyto *to, long *timeout)
{
	static char bad[160];
	const char *e = prog_env("OVERLIMIT_ONERROR", "accept");
	long n;

	if (strcmp(e, "defer") == 0)
		onerror = EX_DEFER;
	localfb = strcmp(e, "local") == 0;
	to->prog = prog_env("OVERLIMIT_NOTIFY", NULL);
	/* one rule for every setting: a bad value is an error line and the
	 * failure policy, never a silent default */
	if (prog_envnum("OVERLIMIT_TIMEOUT", 1, 3600, TIMEOUT, timeout) < 0)
		return "OVERLIMIT_TIMEOUT is not a number of seconds from 1 "
		    "to 3600";
	if (prog_envnum("OVERLIMIT_NOTIFY_TIMEOUT", 1, 3600, NOTIFY_TIMEOUT,
	    &n) < 0)
		return "OVERLIMIT_NOTIFY_TIMEOUT is not a number of seconds "
		    "from 1 to 3600";
	to->timeout = (unsigned)n;
	if (prog_envnum("OVERLIMIT_COUNT_LOCAL", 0, 1, 0, &n) < 0)
		return "OVERLIMIT_COUNT_LOCAL is neither 0 nor 1";
	if (strcmp(e, "accept") != 0 && strcmp(e, "defer") != 0 && !localfb) {
		snprintf(bad, sizeof(bad), "OVERLIMIT_ONERROR is not accept, "
		    "defer or local: %.100s", e);
		return bad;
	}
	return NULL;
}

/* The options the environment sets for every rule without its own. */
struct defaults {
	long	dryrun, strict, ban, warn;
};

/* Read once: NULL, or the bad one's message. */
static const char *
defaults(struct defaults *d)
{
	if (prog_envnum("OVERLIMIT_DRYRUN", 0, 1, 0, &d->dryrun) < 0)
		return "OVERLIMIT_DRYRUN is neither 0 nor 1";
	if (prog_envnum("OVERLIMIT_STRICT", 0, 1, 0, &d->strict) < 0)
		return "OVERLIMIT_STRICT is neither 0 nor 1";
	if (prog_envnum("OVERLIMIT_BAN", 0, 100, 0, &d->ban) < 0)
		return "OVERLIMIT_BAN is not a number from 0 to 100";
	if (prog_envnum("OVERLIMIT_WARN", 0, 99, 0, &d->warn) < 0)
		return "OVERLIMIT_WARN is not a percentage from 0 to 99";
	return NULL;
}

static void
apply(struct rule *r, const struct defaults *d)
{
	if (d->dryrun)
		r->flags |= RULE_DRYRUN;
	if (d->strict)
		r->flags |= RULE_STRICT;
	if (r->ban == 0)
		r->ban = (unsigned)d->ban;
	if (r->warn == 0)
		r->warn = (unsigned)d->warn;
}

/* An aggregate's rule: the environment's defaults as for every rule, but
 * only its dry run; it never bans. */
static const struct rule *
aggregate(int on, struct rule *r, const struct defaults *d)
{
	if (on <= 0)
		return NULL;
	apply(r, d);
	r->flags &= RULE_DRYRUN;
	r->ban = 0;
	return r;
}

/* The CDB, on a descriptor above 2: the first file opened tells whether
 * 0, 1 or 2 was closed (then they are opened on /dev/null, so that no
 * log line lands in a counter file), at no cost when they are open. */
static int
cdbopen(struct lookup *l, const char *path)
{
	if (lookup_open(l, path) < 0)
		return -1;
	if (l->fd > 2)
		return 0;
	lookup_close(l);
	prog_fds();
	return lookup_open(l, path);
}

/* What the lookup gives the decision. */
struct rules {
	struct rule	client, pool, server;
	struct match	m;
	char		poolkey[NAME_ENCMAX + 2];
};

/* The request for this recipient: the client's rule (the environment's
 * defaults applied), the counter that counts it, the aggregates, the
 * network for nets=, the message, the session. NULL or the error. */
static const char *
request(struct lookup *lk, struct ident *id, const char *rip,
    struct rules *ru, struct request *rq, struct logline *lg)
{
	struct defaults d;
	const char *e;
	struct ipaddr ip;
	uint32_t bits;
	long n;
	int p, s;

	if (lookup_client(lk, id, &ru->client, &ru->m) < 0 ||
	    (p = lookup_pool(lk, id, &ru->client, &ru->m, &ru->pool,
	    ru->poolkey)) < 0 || (s = lookup_server(lk, &ru->server)) < 0)
		return "corrupt limits CDB";
	rq->id = id;
	rq->rule = &ru->client;
	rq->match = &ru->m;
	if ((e = defaults(&d)) != NULL)
		return e;
	rq->pool = aggregate(p, &ru->pool, &d);
	rq->poolkey = ru->poolkey;
	rq->server = aggregate(s, &ru->server, &d);
	/* an IPv6 client is counted per network (!count6=) */
	if (id->kind == NAME_IP && id->ip.family == AF_INET6) {
		if (lookup_setting(lk, RULE_COUNT6KEY, 64, &bits) < 0)
			return "corrupt limits CDB";
		ident_count6(id, !ru->m.found || ru->m.key[0] == '\0',
		    ru->m.plen, bits);
	}
	/* what a network is, for nets= */
	if (ru->client.nets && id->kind == NAME_USER && rip != NULL &&
	    name_parseip(rip, &ip) == 0) {
		if (lookup_setting(lk, ip.family == AF_INET ? RULE_NETS4KEY :
		    RULE_NETS6KEY, ip.family == AF_INET ? 24 : 64, &bits) < 0)
			return "corrupt limits CDB";
		name_mask(&ip, (int)bits);
		memset(rq->net, 0, sizeof(rq->net));
		if (ip.family == AF_INET) {
			rq->net[10] = rq->net[11] = 0xff;
			memcpy(rq->net + 12, ip.a, 4);
		} else
			memcpy(rq->net, ip.a, 16);
		rq->havenet = 1;
	}
	/* qmail-smtpd's counts: a bad one is logged, and msg= and mass=
	 * are left out for this recipient */
	if (prog_envnum("SMTPRCPTCOUNT", 0, 1000000000L, -1, &n) < 0)
		log_quote(lg, "env_error", "SMTPRCPTCOUNT is not a number "
		    "from 0 to 1000000000: msg= and mass= left out");
	else if (n < 0 && (ru->client.msgmax || ru->client.massn)) {
		log_quote(lg, "env_error", "SMTPRCPTCOUNT is not set (a "
		    "qmail-smtpd without it, INSTALL): msg= and mass= left "
		    "out");
		tally(TALLY_NOCOUNT);
	}
	rq->count = n;
	if (prog_envnum("SMTPRCPTCOUNTALL", 0, 1000000000L, -1, &n) < 0)
		log_quote(lg, "env_error", "SMTPRCPTCOUNTALL is not a number "
		    "from 0 to 1000000000");
	rq->all = n;
	if (ru->client.massn)
		rq->session = (uint32_t)getppid();	/* qmail-smtpd */
	apply(&ru->client, &d);
	return NULL;
}

/* The refusal's text on fd 4, when qmail-smtpd reads it (USE_FD4=1). */
static void
reply(const struct request *rq, const struct outcome *out)
{
	char text[REPLY_MAX + 1];
	size_t n;

	if (strcmp(prog_env("USE_FD4", ""), "1") != 0 ||
	    (n = report_reply(rq, out, text)) == 0 || fcntl(4, F_GETFD) < 0)
		return;
	(void)signal(SIGPIPE, SIG_IGN);
	(void)write(4, text, n);
}

/* To our own domains (RCPTHOSTS): free, but under mass= a recipient of
 * the message, and destination rules apply. 1 local, to be looked at (lk
 * open); 0 not local; -1 local and nothing to do (no mass= and no
 * destination rule anywhere; a relayed recipient after it logs any
 * error). */
static int
local(struct lookup *lk, const char *cdb)
{
	long n;

	/* counted like any other (or a bad setting: then its error line) */
	if (getenv("RCPTHOSTS") == NULL ||
	    prog_envnum("OVERLIMIT_COUNT_LOCAL", 0, 1, 0, &n) < 0 || n)
		return 0;
	(void)signal(SIGBUS, caught);	/* quietly: never refused */
	if (cdbopen(lk, cdb) < 0 ||
	    !(lk->features & (LOOKUP_FMASS | LOOKUP_FDEST)))
		return -1;
	return 1;
}

/* The relay client, and the start of every log line. 0, or -1 (its
 * reason in *err). */
static int
identify(struct logline *lg, struct ident *id, struct notifyto *to,
    const char **err)
{
	const char *rip;

	if ((rip = to->rip = prog_env("TCPREMOTEIP", NULL)) == NULL)
		rip = to->rip = prog_env("TCP6REMOTEIP", NULL);
	log_start(lg, "rcptcheck-overlimit");
	if (ident_fromenv(id, prog_env("SMTPAUTHUSER", NULL), rip, err) < 0) {
		log_esc(lg, "client", rip ? rip : "", rip ? strlen(rip) : 0);
		return -1;
	}
	log_esc(lg, "client", id->norm, id->len);
	if (id->kind == NAME_USER && rip != NULL)
		log_esc(lg, "ip", rip, strlen(rip));
	return 0;
}

/* The watchdog bounds the whole run, lock waits included: after timeout
 * seconds it writes lg's line with the error and the failure policy. */
static void
arm(const struct logline *lg, long timeout)
{
	wd = bus = *lg;
	log_add(&wd, "error", "\"timeout");	/* "timeout after Ns" */
	log_str(&wd, " after ");
	log_u64(&wd, (uint64_t)timeout);
	log_str(&wd, "s\"");
	log_add(&wd, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	log_add(&bus, "error", "\"limits CDB truncated while read (replace "
	    "it by rename, as cdbmake-limits does)\"");
	log_add(&bus, "verdict", onerror == EX_ACCEPT ? "accept" : "defer");
	(void)signal(SIGBUS, caught);
	(void)signal(SIGALRM, caught);
	alarm((unsigned)timeout);
}

/* An exempt destination (">" lines) is never counted, never refused; it
 * is looked at only under mass=. 1 done (logged), 0 go on, -1 corrupt. */
static int
exempt(struct lookup *lk, struct logline *lg, struct request *rq)
{
	static char matched[NAME_ENCMAX + 2];
	const char *to = prog_env("RECIPIENT", NULL);
	int rc;

	if (rq->kind != RCPT_RELAYED || !(lk->features & LOOKUP_FEXEMPT) ||
	    to == NULL)
		return 0;
	if ((rc = lookup_exempt(lk, to, strlen(to), matched,
	    sizeof(matched))) <= 0)
		return rc;
	log_add(lg, "exempt", matched);
	rq->kind = RCPT_EXEMPT;
	onerror = EX_ACCEPT;		/* never refused */
	if (lk->features & LOOKUP_FMASS)
		return 0;
	log_add(lg, "verdict", "exempt");
	log_flush(lg, 2);
	return 1;
}

/* The decision: in Redis when OVERLIMIT_REDIS is set (when it fails,
 * OVERLIMIT_ONERROR=local decides with this host's file store, the line
 * saying so), else in the counter directory. NULL, or what failed. */
static const char *
decision(struct logline *lg, const struct request *rq, struct outcome *out)
{
	static struct rstore rs;	/* static: reachable at exit, and */
	static struct store st;		/* their reasons outlive the call */
	int rc;

	if ((rc = rstore_init(&rs, dir)) == 0) {
		(void)signal(SIGPIPE, SIG_IGN);
		rc = rstore_decide(&rs, rq, out);
		rstore_close(&rs);
		if (rc == 0 || !localfb)
			return rc == 0 ? NULL : out->fail;
	}
	if (rc < 0) {
		if (!localfb)
			return rs.err;
		log_quote(lg, "redis_error", rs.err);
		log_add(lg, "store", "local");
	}
	if (store_open(&st, dir) < 0)
		return st.err;
	return decide(&st, rq, out) < 0 ? out->fail : NULL;
}

/* A denied recipient's reply on fd 4, when qmail-smtpd reads it. */
static void
denyreply(const struct ident *id, const struct dest *d)
{
	char text[REPLY_MAX + 1];
	size_t n;

	if (strcmp(prog_env("USE_FD4", ""), "1") != 0 || fcntl(4, F_GETFD) < 0)
		return;
	n = reply_deny(d->text, id->key, text);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)write(4, text, n);
}

/* Destination rules (relaylimits(5)): the client's set may deny this
 * recipient for good (exit 100, 550 5.7.1), counted nowhere; exempt
 * destinations never. 0: go on (allowed, or a dry run's would-deny in
 * rq->destdry); else the exit code, logged. */
static int
destination(struct lookup *lk, struct logline *lg, const struct ident *id,
    struct request *rq, const char *cdb)
{
	static struct dest d;
	char m[NAME_ENCMAX + 2];
	const char *to;
	int rc;

	if (!(lk->features & LOOKUP_FDEST) || rq->kind == RCPT_EXEMPT)
		return 0;
	to = prog_env("RECIPIENT", "");
	if (rq->kind == RCPT_LOCAL && (lk->features & LOOKUP_FEXEMPT) &&
	    (rc = lookup_exempt(lk, to, strlen(to), m, sizeof(m))) != 0)
		return rc < 0 ? failed(lg, "corrupt limits CDB", cdb, 0) : 0;
	if (dest_lookup(lk, id, to, strlen(to), &d, NULL, NULL) < 0)
		return failed(lg, "corrupt limits CDB", cdb, 0);
	if (!d.set)
		return 0;
	if (d.action == DEST_ALLOW) {
		if (d.line)
			log_fmt(lg, "dest", "allow:%lu", d.line);
		else
			log_add(lg, "dest", "allow:default");
		return 0;
	}
	log_fmt(lg, "dest", "deny:%lu", d.line);
	log_esc(lg, "rcpt", to, strlen(to));
	if (d.dryrun || strcmp(prog_env("OVERLIMIT_DRYRUN", "0"), "0") != 0) {
		rq->destdry = 1;
		return 0;
	}
	log_add(lg, "verdict", "deny");
	log_flush(lg, 2);
	denyreply(id, &d);
	return EX_DENY;
}

int
main(void)
{
	/* static: reachable at exit, and a small frame for the inbound
	 * path (a 5 KB one costs it a page fault) */
	static struct ident id;
	static struct rules ru;
	static struct request rq;
	static struct outcome out;
	static struct notifyto to;
	static struct logline lg;
	static struct lookup lk;
	const char *cdb, *e;
	long timeout;
	int rc;

	if (getenv("RELAYCLIENT") == NULL)
		return EX_ACCEPT;		/* inbound: not ours to count */
	memset(&rq, 0, sizeof(rq));
	cdb = prog_env("OVERLIMIT_CDB", OVERLIMIT_CDB);
	dir = prog_env("OVERLIMIT_DIR", OVERLIMIT_DIR);
	if ((rc = local(&lk, cdb)) < 0)
		return EX_ACCEPT;
	rq.kind = rc ? RCPT_LOCAL : RCPT_RELAYED;
	e = settings(&to, &timeout);
	if (rq.kind == RCPT_LOCAL)
		onerror = EX_ACCEPT;		/* never refused */
	if (identify(&lg, &id, &to, &e) < 0 || e != NULL)
		return failed(&lg, e, NULL, 0);
	arm(&lg, timeout);

	if (rq.kind != RCPT_LOCAL && cdbopen(&lk, cdb) < 0)
		return failed(&lg, errno == EPROTO ? "not a limits CDB (run "
		    "cdbmake-limits):" : "cannot open limits", cdb,
		    errno == EPROTO ? 0 : errno);
	/* a vpopmail login without its domain, or in an alias domain: the
	 * mailbox it reaches (!domain=, !alias=) */
	if ((rc = lookup_canon(&lk, &id)) < 0)
		return failed(&lg, "corrupt limits CDB", cdb, 0);
	if (rc > 0)
		log_esc(&lg, "as", id.norm, id.len);
	if ((rc = exempt(&lk, &lg, &rq)) != 0)
		return rc > 0 ? EX_ACCEPT : failed(&lg, "corrupt limits CDB",
		    cdb, 0);
	if ((rc = destination(&lk, &lg, &id, &rq, cdb)) != 0)
		return rc;
	if (rq.kind == RCPT_LOCAL && !(lk.features & LOOKUP_FMASS)) {
		if (rq.destdry) {	/* nothing else to do for it */
			log_add(&lg, "dryrun", "would-deny");
			log_add(&lg, "verdict", "local");
			log_flush(&lg, 2);
		}
		return EX_ACCEPT;
	}
	if ((e = request(&lk, &id, to.rip, &ru, &rq, &lg)) != NULL)
		return failed(&lg, e, strcmp(e, "corrupt limits CDB") == 0 ?
		    cdb : NULL, 0);
	if (rq.kind == RCPT_RELAYED)
		report_rule(&lg, &rq);
	rq.strict = onerror == EX_DEFER;
	rq.now = time(NULL);
	if ((e = decision(&lg, &rq, &out)) != NULL)
		return failed(&lg, e, NULL, 0);
	alarm(0);

	report_log(&lg, &rq, &out);
	report_notify(&lg, &rq, &out, &to);
	if (rq.kind != RCPT_LOCAL || out.v.newban || rq.destdry) {
		log_add(&lg, "verdict", report_verdict(&rq, &out));
		log_flush(&lg, 2);
	}
	reply(&rq, &out);
	return report_exit(&out);
}
