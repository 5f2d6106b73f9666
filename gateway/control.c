/*
 * gateway/control: what t37gwctl's commands mean. The control socket
 * (gateway/ctl) hands each request here, on the mail thread; the answers
 * come from the parts as they are in memory (the line's snapshot of its
 * calls, the queues' jobs) and the operations go to the room that owns
 * the job (gateway/mailq or gateway/offramp), found by the spool queue it
 * is in. It keeps no state of its own.
 *
 *   status                      the daemon, its listeners, trunks, queues
 *   calls                       calls in progress
 *   queue [mail|onramp|offramp|failed|all]    jobs, one summary each
 *   show ID                     one job in full
 *   retry ID|all, hold ID, release ID, delete ID, requeue ID
 *   route NUMBER|ADDRESS        how the current config routes it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config/config.h"
#include "gateway/ctl/ctl.h"
#include "util/ctlwire.h"
#include "gateway/gw.h"
#include "gateway/mailq/mailq.h"
#include "gateway/offramp/offramp.h"
#include "gateway/onramp/onramp.h"
#include "gateway/parts_int.h"
#include "gateway/spool/spool.h"
#include "sip/sip.h"

#define CONTROL_CALLS_MAX 4096          /* calls a `calls` answer lists */
#define CONTROL_ROUTE_MAX (64u << 10)   /* bytes of a route explanation */

/* Which room owns a job, from the spool queue it is in. */
enum control_owner {
	CONTROL_NONE = 0,
	CONTROL_MAIL,                   /* mail/ */
	CONTROL_OFFRAMP,                /* offramp/ */
	CONTROL_FAILED_MAIL,            /* failed/, a mail job */
	CONTROL_FAILED_OFFRAMP,         /* failed/, an offramp job */
};

typedef struct json_object *(control_cmd_fn)(struct gw_parts *p,
    const struct ctlwire_request *req, char *err, size_t errlen);

static control_cmd_fn cmd_status, cmd_calls, cmd_queue, cmd_show, cmd_retry, cmd_hold,
    cmd_release, cmd_delete, cmd_requeue, cmd_route;
static enum control_owner control_owner(struct gw_parts *p, const char *id);
static int control_id(const struct ctlwire_request *req, char *err, size_t errlen);
static int control_exists(struct gw_parts *p, const char *queue, const char *id,
    const char *file);
static struct json_object *control_done(const char *id, const char *what);
static struct json_object *control_listeners(const struct config *cfg,
    const char *ctl_path);
static struct json_object *control_trunks(struct gw_parts *p);
static void control_failed(struct gw_parts *p, struct json_object *jobs);
static int control_failed_one(const char *id, void *arg);
static int control_hold(struct gw_parts *p, const char *id, int hold, char *err,
    size_t errlen);

static const struct {
	const char *name;
	control_cmd_fn *fn;
	unsigned min_args, max_args;
	const char *usage;
} control_cmds[] = {
	{ "status", cmd_status, 0, 0, "status" },
	{ "calls", cmd_calls, 0, 0, "calls" },
	{ "queue", cmd_queue, 0, 1, "queue [mail|onramp|offramp|failed|all]" },
	{ "show", cmd_show, 1, 1, "show ID" },
	{ "retry", cmd_retry, 1, 1, "retry ID|all" },
	{ "hold", cmd_hold, 1, 1, "hold ID" },
	{ "release", cmd_release, 1, 1, "release ID" },
	{ "delete", cmd_delete, 1, 1, "delete ID" },
	{ "requeue", cmd_requeue, 1, 1, "requeue ID" },
	{ "route", cmd_route, 1, 1, "route NUMBER|ADDRESS" },
};

struct json_object *
gw_control_handle(void *arg, const struct ctlwire_request *req, const struct ctl_peer *peer,
    char *err, size_t errlen)
{
	struct gw_parts *p = arg;
	size_t i;

	(void)peer;     /* the socket's mode decides who may ask; ctl logs who did */
	for (i = 0; i < sizeof(control_cmds) / sizeof(control_cmds[0]); i++) {
		if (strcmp(req->cmd, control_cmds[i].name) != 0)
			continue;
		if (req->nargs < control_cmds[i].min_args || req->nargs > control_cmds[i].max_args) {
			snprintf(err, errlen, "usage: %s", control_cmds[i].usage);
			return NULL;
		}
		return control_cmds[i].fn(p, req, err, errlen);
	}
	snprintf(err, errlen, "unknown command '%s' (status, calls, queue, show, retry, "
	    "hold, release, delete, requeue, route)", req->cmd);
	return NULL;
}

/* ---- what runs ------------------------------------------------------------ */

static struct json_object *
cmd_status(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const struct config *cfg = gw_config_hold(p->gw);
	struct json_object *o = json_object_new_object(), *q, *qq;
	time_t now = time(NULL);
	unsigned failed = 0, spare_target = 0;

	(void)req, (void)err, (void)errlen;
	json_object_object_add(o, "version", json_object_new_string(T37GW_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "hostname", json_object_new_string(cfg->hostname));
	json_object_object_add(o, "started", json_object_new_int64(gw_started(p->gw)));
	json_object_object_add(o, "uptime", json_object_new_int64(now - gw_started(p->gw)));
	json_object_object_add(o, "config", json_object_new_string(gw_config_path(p->gw)));
	json_object_object_add(o, "config_loaded", json_object_new_int64(gw_loaded(p->gw)));
	json_object_object_add(o, "spool", json_object_new_string(p->start_cfg->spool));
	json_object_object_add(o, "state", json_object_new_string(gw_stopping(p->gw) ?
	    "draining" : "running"));
	json_object_object_add(o, "hold", json_object_new_boolean(cfg->fax_send.hold));
	json_object_object_add(o, "listeners", control_listeners(p->start_cfg,
	    ctl_path(p->ctl)));
	json_object_object_add(o, "trunks", control_trunks(p));
	json_object_object_add(o, "calls", json_object_new_int64(
	    sip_line_active_calls(p->line)));
	q = json_object_new_object();
	qq = json_object_new_object();
	json_object_object_add(qq, "jobs", json_object_new_int64(mailq_jobs(p->mailq)));
	json_object_object_add(qq, "oldest", json_object_new_int64(mailq_oldest(p->mailq)));
	json_object_object_add(q, "mail", qq);
	qq = json_object_new_object();
	json_object_object_add(qq, "jobs", json_object_new_int64(offramp_jobs(p->offramp)));
	json_object_object_add(qq, "oldest", json_object_new_int64(
	    offramp_oldest(p->offramp)));
	json_object_object_add(qq, "calls", json_object_new_int64(
	    offramp_calls(p->offramp)));
	json_object_object_add(q, "offramp", qq);
	if (p->onramp != NULL) {
		qq = json_object_new_object();
		json_object_object_add(qq, "spare", json_object_new_int64(
		    onramp_spare(p->onramp, &spare_target)));
		json_object_object_add(qq, "spare_target", json_object_new_int64(spare_target));
		json_object_object_add(q, "onramp", qq);
	}
	qq = json_object_new_object();
	(void)spool_scan(gw_spool(p->gw), SPOOL_Q_FAILED, control_failed_one, &failed);
	json_object_object_add(qq, "jobs", json_object_new_int64(failed));
	json_object_object_add(q, "failed", qq);
	json_object_object_add(o, "queues", q);
	gw_config_release(p->gw, cfg);
	return o;
}

static struct json_object *
control_listen_list(const struct config_listen *l, size_t n, const char *proto)
{
	struct json_object *a = json_object_new_array();
	char buf[CONFIG_ADDR_MAX + 32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), strchr(l[i].addr, ':') != NULL ? "%s [%s]:%u" :
		    "%s %s:%u", proto != NULL ? proto : l[i].transport == CONFIG_TRANSPORT_TCP ?
		    "tcp" : "udp", l[i].addr, l[i].port);
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

static struct json_object *
control_listeners(const struct config *cfg, const char *ctl_path)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "sip", control_listen_list(cfg->sip.listen,
	    cfg->sip.n_listen, NULL));
	json_object_object_add(o, "smtp", control_listen_list(cfg->mta_receive.listen,
	    cfg->mta_receive.n_listen, "smtp"));
	json_object_object_add(o, "metrics", control_listen_list(cfg->metrics.listen,
	    cfg->metrics.n_listen, "http"));
	json_object_object_add(o, "control", json_object_new_string(ctl_path));
	return o;
}

static struct json_object *
control_trunks(struct gw_parts *p)
{
	struct sip_trunk_status st[SIP_MAX_TRUNKS];
	struct json_object *a = json_object_new_array(), *t;
	size_t i, n = sip_line_trunks(p->line, st, SIP_MAX_TRUNKS);

	for (i = 0; i < n && i < SIP_MAX_TRUNKS; i++) {
		t = json_object_new_object();
		ctlwire_add_str(t, "name", st[i].name);
		json_object_object_add(t, "register", json_object_new_boolean(st[i].do_register));
		json_object_object_add(t, "state", json_object_new_string(st[i].state));
		json_object_object_add(t, "last_status", json_object_new_int(st[i].last_status));
		json_object_object_add(t, "registered", json_object_new_int64(
		    st[i].registered_ms / 1000));
		json_object_object_add(t, "expires", json_object_new_int64(
		    st[i].expires_ms / 1000));
		ctlwire_add_str(t, "reason", st[i].reason);
		json_object_object_add(t, "calls", json_object_new_int64(st[i].calls));
		json_object_array_add(a, t);
	}
	return a;
}

static struct json_object *
cmd_calls(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	struct sip_call_status *cs;
	struct json_object *a, *c;
	int64_t now = (int64_t)time(NULL) * 1000;
	size_t i, n;

	(void)req;
	if ((cs = calloc(CONTROL_CALLS_MAX, sizeof(*cs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = sip_line_calls(p->line, cs, CONTROL_CALLS_MAX);
	a = json_object_new_array();
	for (i = 0; i < n && i < CONTROL_CALLS_MAX; i++) {
		c = json_object_new_object();
		json_object_object_add(c, "id", json_object_new_string(cs[i].call_id));
		json_object_object_add(c, "dir", json_object_new_string(
		    cs[i].dir == SIP_DIR_ONRAMP ? "onramp" : "offramp"));
		if (cs[i].dir == SIP_DIR_OFFRAMP) {
			char job[SPOOL_ID_LEN + 1];

			snprintf(job, sizeof(job), "%016llx", (unsigned long long)cs[i].job_id);
			json_object_object_add(c, "job", json_object_new_string(job));
		}
		ctlwire_add_str(c, "ani", cs[i].ani);
		ctlwire_add_str(c, "dnis", cs[i].dnis);
		json_object_object_add(c, "peer", json_object_new_string(cs[i].peer));
		json_object_object_add(c, "state", json_object_new_string(cs[i].state));
		json_object_object_add(c, "media", json_object_new_string(cs[i].t38 ?
		    "t38" : "g711"));
		json_object_object_add(c, "rate", json_object_new_int64(cs[i].rate));
		json_object_object_add(c, "ecm", json_object_new_boolean(cs[i].ecm));
		json_object_object_add(c, "page", json_object_new_int64(cs[i].page));
		json_object_object_add(c, "pages", json_object_new_int64(cs[i].pages));
		json_object_object_add(c, "started", json_object_new_int64(
		    cs[i].start_ms / 1000));
		json_object_object_add(c, "elapsed", json_object_new_int64(
		    cs[i].start_ms > 0 && now > cs[i].start_ms ? (now - cs[i].start_ms) / 1000 : 0));
		ctlwire_add_str(c, "remote_ident", cs[i].remote_ident);
		json_object_array_add(a, c);
	}
	free(cs);
	return a;
}

/* ---- queues ----------------------------------------------------------- */

static int
control_failed_one(const char *id, void *arg)
{
	(void)id;
	(*(unsigned *)arg)++;
	return 0;
}

struct control_failed_scan {
	struct gw_parts *p;
	struct json_object *jobs;
};

static int
control_failed_add(const char *id, void *arg)
{
	struct control_failed_scan *s = arg;
	struct json_object *j = mailq_ctl_failed(s->p->mailq, id);

	if (j == NULL)
		j = offramp_ctl_failed(s->p->offramp, id);
	if (j == NULL) {
		/* Neither room's: still shown, so that nothing in failed/ is hidden. */
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(id));
		json_object_object_add(j, "queue", json_object_new_string(SPOOL_Q_FAILED));
		json_object_object_add(j, "kind", json_object_new_string("unknown"));
		json_object_object_add(j, "error", json_object_new_string(
		    "not a job of this gateway's kinds (unreadable)"));
	}
	json_object_array_add(s->jobs, j);
	return 0;
}

static void
control_failed(struct gw_parts *p, struct json_object *jobs)
{
	struct control_failed_scan s = { p, jobs };

	(void)spool_scan(gw_spool(p->gw), SPOOL_Q_FAILED, control_failed_add, &s);
}

static void
control_append(struct json_object *to, struct json_object *from)
{
	size_t i;

	for (i = 0; from != NULL && i < json_object_array_length(from); i++)
		json_object_array_add(to, json_object_get(json_object_array_get_idx(from, i)));
	json_object_put(from);
}

static struct json_object *
cmd_queue(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const char *which = req->nargs > 0 ? req->args[0] : "all";
	int all = strcmp(which, "all") == 0;
	struct json_object *jobs;

	if (!all && strcmp(which, "mail") != 0 && strcmp(which, "onramp") != 0 &&
	    strcmp(which, "offramp") != 0 && strcmp(which, "failed") != 0) {
		snprintf(err, errlen, "unknown queue '%s' (mail, onramp, offramp, failed, all)",
		    which);
		return NULL;
	}
	jobs = json_object_new_array();
	/* "onramp" is the name an operator looks for: the received faxes are
	 * jobs of the outbound mail queue. */
	if (all || strcmp(which, "mail") == 0 || strcmp(which, "onramp") == 0)
		control_append(jobs, mailq_ctl_list(p->mailq));
	if (all || strcmp(which, "offramp") == 0)
		control_append(jobs, offramp_ctl_list(p->offramp));
	if (all || strcmp(which, "failed") == 0)
		control_failed(p, jobs);
	return jobs;
}

/* ---- one job ----------------------------------------------------------- */

static int
control_id(const struct ctlwire_request *req, char *err, size_t errlen)
{
	if (!spool_id_valid(req->args[0])) {
		snprintf(err, errlen, "'%s' is not a job id (%d lower-case hex digits, as "
		    "'queue' lists them)", req->args[0], SPOOL_ID_LEN);
		return -1;
	}
	return 0;
}

static int
control_exists(struct gw_parts *p, const char *queue, const char *id, const char *file)
{
	char path[CONFIG_PATH_MAX + 64];
	struct stat st;

	return spool_path(gw_spool(p->gw), queue, id, file, path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0;
}

static enum control_owner
control_owner(struct gw_parts *p, const char *id)
{
	if (control_exists(p, SPOOL_Q_OFFRAMP, id, NULL))
		return CONTROL_OFFRAMP;
	if (control_exists(p, SPOOL_Q_MAIL, id, NULL))
		return CONTROL_MAIL;
	if (!control_exists(p, SPOOL_Q_FAILED, id, NULL))
		return CONTROL_NONE;
	return control_exists(p, SPOOL_Q_FAILED, id, MAILQ_FILE_ENVELOPE) ?
	    CONTROL_FAILED_MAIL : CONTROL_FAILED_OFFRAMP;
}

static struct json_object *
control_done(const char *id, const char *what)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "done", json_object_new_string(what));
	return o;
}

static struct json_object *
cmd_show(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const char *id = req->args[0];

	if (control_id(req, err, errlen) == -1)
		return NULL;
	switch (control_owner(p, id)) {
	case CONTROL_OFFRAMP:
	case CONTROL_FAILED_OFFRAMP:
		return offramp_ctl_show(p->offramp, id, err, errlen);
	case CONTROL_MAIL:
	case CONTROL_FAILED_MAIL:
		return mailq_ctl_show(p->mailq, id, err, errlen);
	case CONTROL_NONE:
		break;
	}
	snprintf(err, errlen, "no such job %s", id);
	return NULL;
}

static struct json_object *
cmd_retry(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const char *id = req->args[0];
	unsigned a = 0, b = 0;
	struct json_object *o;
	int rc;

	if (strcmp(id, "all") == 0) {
		if (mailq_retry(p->mailq, NULL, &a, err, errlen) == -1 ||
		    offramp_retry(p->offramp, NULL, &b, err, errlen) == -1)
			return NULL;
		o = json_object_new_object();
		json_object_object_add(o, "retried", json_object_new_int64(a + b));
		return o;
	}
	if (control_id(req, err, errlen) == -1)
		return NULL;
	switch (control_owner(p, id)) {
	case CONTROL_OFFRAMP:
		rc = offramp_retry(p->offramp, id, &a, err, errlen);
		break;
	case CONTROL_MAIL:
		rc = mailq_retry(p->mailq, id, &a, err, errlen);
		break;
	case CONTROL_FAILED_MAIL:
	case CONTROL_FAILED_OFFRAMP:
		snprintf(err, errlen, "job %s is in the failed queue: requeue it to try it "
		    "again", id);
		return NULL;
	default:
		snprintf(err, errlen, "no such job %s", id);
		return NULL;
	}
	return rc == 0 ? control_done(id, a > 0 ? "retrying" : "nothing to retry") : NULL;
}

static int
control_hold(struct gw_parts *p, const char *id, int hold, char *err, size_t errlen)
{
	switch (control_owner(p, id)) {
	case CONTROL_OFFRAMP:
		return offramp_hold(p->offramp, id, hold, err, errlen);
	case CONTROL_MAIL:
		return mailq_hold(p->mailq, id, hold, err, errlen);
	case CONTROL_FAILED_MAIL:
	case CONTROL_FAILED_OFFRAMP:
		snprintf(err, errlen, "job %s is in the failed queue: nothing is tried there "
		    "(requeue or delete it)", id);
		return -1;
	default:
		snprintf(err, errlen, "no such job %s", id);
		return -1;
	}
}

static struct json_object *
cmd_hold(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	if (control_id(req, err, errlen) == -1 ||
	    control_hold(p, req->args[0], 1, err, errlen) == -1)
		return NULL;
	return control_done(req->args[0], "held");
}

static struct json_object *
cmd_release(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	if (control_id(req, err, errlen) == -1 ||
	    control_hold(p, req->args[0], 0, err, errlen) == -1)
		return NULL;
	return control_done(req->args[0], "released");
}

static struct json_object *
cmd_delete(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const char *id = req->args[0];
	int rc;

	if (control_id(req, err, errlen) == -1)
		return NULL;
	switch (control_owner(p, id)) {
	case CONTROL_OFFRAMP:
	case CONTROL_FAILED_OFFRAMP:
		rc = offramp_delete(p->offramp, id, err, errlen);
		break;
	case CONTROL_MAIL:
	case CONTROL_FAILED_MAIL:
		rc = mailq_delete(p->mailq, id, err, errlen);
		break;
	default:
		snprintf(err, errlen, "no such job %s", id);
		return NULL;
	}
	return rc == 0 ? control_done(id, "deleted") : NULL;
}

static struct json_object *
cmd_requeue(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const char *id = req->args[0];
	int rc;

	if (control_id(req, err, errlen) == -1)
		return NULL;
	switch (control_owner(p, id)) {
	case CONTROL_FAILED_OFFRAMP:
		rc = offramp_requeue(p->offramp, id, err, errlen);
		break;
	case CONTROL_FAILED_MAIL:
		rc = mailq_requeue(p->mailq, id, err, errlen);
		break;
	case CONTROL_NONE:
		snprintf(err, errlen, "no such job %s", id);
		return NULL;
	default:
		snprintf(err, errlen, "job %s is not in the failed queue (retry it instead)",
		    id);
		return NULL;
	}
	return rc == 0 ? control_done(id, "requeued") : NULL;
}

/* ---- the dial plan ---------------------------------------------------- */

static struct json_object *
cmd_route(struct gw_parts *p, const struct ctlwire_request *req, char *err, size_t errlen)
{
	const struct config *cfg = gw_config_hold(p->gw);
	struct json_object *o = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL) {
		gw_config_release(p->gw, cfg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = gw_route_explain(cfg, req->args[0], f);
	gw_config_release(p->gw, cfg);
	if (fclose(f) != 0 || text == NULL || len > CONTROL_ROUTE_MAX) {
		free(text);
		snprintf(err, errlen, "cannot explain the route");
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "query", json_object_new_string(req->args[0]));
	json_object_object_add(o, "routed", json_object_new_boolean(rc == 0));
	json_object_object_add(o, "text", json_object_new_string_len(text, (int)len));
	free(text);
	return o;
}
