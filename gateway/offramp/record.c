/*
 * gateway/offramp/record: the offramp's call and job records (see
 * gateway/cdr/cdr.h). A call record for each call the line reports, with
 * the job, message and recipient it was for; a job record when a job
 * ends, with each recipient's number, final status, DSN action, calls
 * and the last call's pages, CSI and id. The ids are those of the log
 * lines (job=, call=). No I/O here.
 */
#include <glib.h>

#include "gateway/cdr/cdr.h"
#include "gateway/offramp/run_int.h"
#include "mime/mime.h"
#include "sip/sip.h"

static const char *record_action(const struct offramp_rcpt *r);

void
offramp_set_cdr(struct offramp *o, struct cdr *c)
{
	o->cdr = c;
}

void
offramp_record_call(struct offramp *o, const struct sip_event *ev, struct ojob *j,
    size_t rcpt, unsigned peer)
{
	struct cdr_call_link link = { .rcpt = -1 };
	const struct offramp_rcpt *r;

	link.dial = ev->job_id;
	link.peer = peer;
	if (j != NULL && rcpt < j->job->nrcpts) {
		r = &j->job->rcpts[rcpt];
		link.job = j->id;
		link.message_id = j->msg != NULL ? mime_offramp_message_id(j->msg) : NULL;
		link.rcpt = (int)rcpt;
		link.number = r->number;
		link.attempt = r->retry.attempts;
	}
	cdr_call(o->cdr, ev, &link);
}

/* What the DSN says (RFC 3464 2.3.3) of a recipient at the end. */
static const char *
record_action(const struct offramp_rcpt *r)
{
	if (r->postmaster)
		return "relayed";
	switch (r->retry.phase) {
	case OFFRAMP_RCPT_DELIVERED:
		return "delivered";
	case OFFRAMP_RCPT_FAILED:
		return "failed";
	default:
		return "delayed";
	}
}

void
offramp_record_job(struct ojob *j, const char *result)
{
	struct cdr_rcpt *rs;
	struct cdr_job rec = { 0 };
	size_t i, n;

	if (j->o->cdr == NULL)
		return;
	n = MIN(j->job->nrcpts, (size_t)CDR_RCPT_MAX);
	rs = g_new0(struct cdr_rcpt, n > 0 ? n : 1);
	for (i = 0; i < n; i++) {
		const struct offramp_rcpt *r = &j->job->rcpts[i];

		rs[i].address = r->addr;
		rs[i].number = r->postmaster ? NULL : (r->number ? r->number : "");
		rs[i].status = r->retry.status;
		rs[i].action = record_action(r);
		rs[i].diag = r->retry.phase == OFFRAMP_RCPT_DELIVERED ? NULL : r->retry.diag;
		rs[i].call = r->last_call;
		rs[i].attempts = r->retry.attempts;
		rs[i].pages = r->retry.pages_sent;
		rs[i].pages_total = r->retry.pages_total;
		rs[i].remote_ident = r->retry.csi;
	}
	rec.job = j->id;
	rec.dir = "offramp";
	rec.message_id = j->msg != NULL ? mime_offramp_message_id(j->msg) : NULL;
	rec.sender = j->job->from;
	rec.result = result;
	rec.created_ms = (int64_t)j->job->received * 1000;
	rec.end_ms = cdr_now_ms();
	rec.pages = j->pages;
	rec.rcpts = rs;
	rec.nrcpts = j->job->nrcpts;            /* the record says how many it left out */
	cdr_job(j->o->cdr, &rec);
	g_free(rs);
}

void
offramp_record_unreadable(struct offramp *o, const char *id)
{
	struct cdr_job rec = { 0 };

	rec.job = id;
	rec.dir = "offramp";
	rec.result = "failed";
	rec.end_ms = cdr_now_ms();
	cdr_job(o->cdr, &rec);
}
