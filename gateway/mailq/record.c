/*
 * gateway/mailq/record: the job record of a mail job that ended (see
 * gateway/cdr/cdr.h): delivered, bounced to the postmaster, or set aside
 * as failed. The envelope's reference tells the kind: the call id of a
 * received fax, or "offramp-JOB" for a report of the offramp. No I/O
 * here; the writer does it off the loop.
 */
#include <string.h>
#include <time.h>

#include "gateway/cdr/cdr.h"
#include "gateway/mailq/mailq_int.h"

#define MAILQ_REF_REPORT "offramp-"     /* the offramp's reports' references */

void
mailq_record(struct cdr *c, const struct mailq_ended *e)
{
	struct cdr_rcpt r;
	struct cdr_job j;
	int report;

	if (c == NULL)
		return;
	report = strncmp(e->ref, MAILQ_REF_REPORT, strlen(MAILQ_REF_REPORT)) == 0;
	memset(&r, 0, sizeof(r));
	r.address = e->rcpt;
	r.status = e->status;
	r.action = e->action;
	r.attempts = e->attempts;
	r.diag = e->diag;
	memset(&j, 0, sizeof(j));
	j.job = e->id;
	j.dir = "mail";
	j.kind = report ? "report" : "fax";
	j.call = report || e->ref[0] == '\0' ? NULL : e->ref;
	j.about = e->ref;
	j.sender = e->from;
	j.result = e->result;
	j.created_ms = (int64_t)e->created * 1000;
	j.end_ms = cdr_now_ms();
	j.attempts = e->attempts;
	j.rcpts = &r;
	j.nrcpts = 1;
	cdr_job(c, &j);
}
