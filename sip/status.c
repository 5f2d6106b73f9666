/*
 * sip/status: what a line shows an operator (sip_line_calls(),
 * sip_line_trunks()): a status record per call in progress and per trunk,
 * published by the line thread and copied by any thread.
 *
 * Each call carries its record (struct sip_status_rec); the line thread
 * rebuilds it from the call and its fax session where the call changes
 * state and on every media frame, and takes the line's lock only when
 * something an operator sees changed: the copy under the lock is all
 * that happens there (no I/O, no allocation), so the line thread never
 * waits long on a reader. Trunk records live in the line and follow the
 * registrations' responses.
 *
 * It does not decide anything about calls or registrations: call.c,
 * media.c and line.c do, and call in here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sip/internal.h"

/* Table of contents. */
static int64_t sip_status_now_ms(void);
static int64_t sip_status_epoch(uint64_t mark);
static const char *sip_status_state(const struct sip_call *call, enum fax_phase phase);
static void sip_status_fill(const struct sip_call *call, struct sip_status_rec *rec,
    struct sip_call_status *s);
static void sip_status_reason(struct sip_trunk_status *t, int err,
    const struct sip_msg *msg);

static int64_t
sip_status_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A monotonic mark (tmr_jiffies) as wall-clock time, counted back from now. */
static int64_t
sip_status_epoch(uint64_t mark)
{
	return sip_status_now_ms() - (int64_t)(tmr_jiffies() - mark);
}

/* The state words of struct sip_call_status, from the SIP state and the
 * T.30 phase (T.30 clause 2.2). */
static const char *
sip_status_state(const struct sip_call *call, enum fax_phase phase)
{
	if (call->state < SIP_CALL_ACTIVE)
		return "ringing";
	if (call->state > SIP_CALL_ACTIVE || call->fax_done || phase == FAX_PHASE_E)
		return "ending";
	switch (phase) {
	case FAX_PHASE_A:
		return "answered";
	case FAX_PHASE_B:
		return "training";
	case FAX_PHASE_C:
	case FAX_PHASE_D:
		return call->dir == SIP_DIR_OFFRAMP ? "sending" : "receiving";
	case FAX_PHASE_E:
		break;
	}
	return "ending";
}

/* What the call shows now, into s (a copy of the published record). */
static void
sip_status_fill(const struct sip_call *call, struct sip_status_rec *rec,
    struct sip_call_status *s)
{
	const struct fax_result *r = call->fax != NULL ? fax_session_result(call->fax) : NULL;
	enum fax_phase phase = call->fax != NULL ? fax_session_phase(call->fax) : FAX_PHASE_A;
	unsigned confirmed = 0;

	if (!rec->listed) {
		memset(s, 0, sizeof(*s));
		snprintf(s->call_id, sizeof(s->call_id), "%s", call->id);
		s->dir = call->dir;
		s->job_id = call->job_id;
		snprintf(s->ani, sizeof(s->ani), "%s", call->ani);
		snprintf(s->dnis, sizeof(s->dnis), "%s", call->dnis);
		s->start_ms = sip_status_epoch(call->start_ms);
		snprintf(rec->trunk, sizeof(rec->trunk), "%s", call->trunk);
	}
	/* An outgoing call learns its peer from the answer. */
	if ((int)call->state != rec->seen_state && sa_isset(&call->src, SA_ADDR))
		re_snprintf(s->peer, sizeof(s->peer), "%J", &call->src);
	if (s->answer_ms == 0 && call->answer_ms != 0)
		s->answer_ms = sip_status_epoch(call->answer_ms);
	s->t38 = call->media == SIP_MEDIA_T38;
	if (r != NULL) {
		confirmed = (unsigned)(call->dir == SIP_DIR_OFFRAMP ? r->pages_tx : r->pages_rx);
		/* spandsp reports 14400 before anything was trained */
		s->rate = r->negotiated ? (unsigned)r->bit_rate : 0;
		s->ecm = r->negotiated && r->ecm;
		if (r->remote_ident[0] != '\0')
			snprintf(s->remote_ident, sizeof(s->remote_ident), "%s", r->remote_ident);
	}
	s->pages = confirmed;
	s->state = sip_status_state(call, phase);
	/* In phase C the page on the line is the one after those confirmed;
	 * it stays the page being transferred through its post-message
	 * exchange (phase D), where a receiver counts it before its MCF and
	 * a sender after. */
	if (strcmp(s->state, "sending") != 0 && strcmp(s->state, "receiving") != 0)
		s->page = 0;
	else if (phase == FAX_PHASE_C || s->page == 0)
		s->page = confirmed + 1;
	else if (s->page < confirmed)
		s->page = confirmed;
}

void
sip_status_call(struct sip_call *call)
{
	struct sip_line *line = call->line;
	struct sip_status_rec *rec = &call->status;
	struct sip_call_status s = rec->pub;

	if (call->state >= SIP_CALL_CLOSING || call->state == SIP_CALL_NEW) {
		if (call->state != SIP_CALL_NEW)
			sip_status_call_gone(call);
		return;
	}
	sip_status_fill(call, rec, &s);
	rec->seen_state = (int)call->state;
	if (rec->listed && memcmp(&s, &rec->pub, sizeof(s)) == 0)
		return;
	pthread_mutex_lock(&line->lock);
	rec->pub = s;
	if (!rec->listed)
		list_append(&line->status_calls, &rec->le, rec);
	pthread_mutex_unlock(&line->lock);
	rec->listed = true;
}

void
sip_status_call_gone(struct sip_call *call)
{
	struct sip_status_rec *rec = &call->status;

	if (!rec->listed)
		return;
	pthread_mutex_lock(&call->line->lock);
	list_unlink(&rec->le);
	pthread_mutex_unlock(&call->line->lock);
	rec->listed = false;
}

size_t
sip_line_calls(struct sip_line *line, struct sip_call_status *out, size_t max)
{
	struct le *le;
	size_t n = 0;

	pthread_mutex_lock(&line->lock);
	for (le = list_head(&line->status_calls); le != NULL; le = le->next, n++) {
		const struct sip_status_rec *rec = le->data;
		if (n < max)
			out[n] = rec->pub;
	}
	pthread_mutex_unlock(&line->lock);
	return n;
}

/* --- trunks ------------------------------------------------------------- */

void
sip_status_trunks_set(struct sip_line *line)
{
	const struct sip_line_options *o = &line->opts;
	unsigned i, n = o->ntrunks < SIP_MAX_TRUNKS ? o->ntrunks : SIP_MAX_TRUNKS;

	pthread_mutex_lock(&line->lock);
	for (i = 0; i < n; i++) {
		struct sip_trunk_status *t = &line->trunk_status[i];
		if (i >= line->ntrunk_status || strcmp(t->name, o->trunks[i].name) != 0) {
			memset(t, 0, sizeof(*t));
			snprintf(t->name, sizeof(t->name), "%s", o->trunks[i].name);
			t->state = "off";
		}
		t->do_register = o->trunks[i].do_register;
	}
	line->ntrunk_status = n;
	pthread_mutex_unlock(&line->lock);
}

void
sip_status_reg_started(struct sip_line *line, unsigned i, int err)
{
	struct sip_trunk_status *t;

	if (i >= SIP_MAX_TRUNKS)
		return;
	t = &line->trunk_status[i];
	pthread_mutex_lock(&line->lock);
	t->state = err == 0 ? "registering" : "failed";
	if (err != 0)
		snprintf(t->reason, sizeof(t->reason), "cannot send REGISTER: %s",
		    strerror(err));
	pthread_mutex_unlock(&line->lock);
}

/* Why the last REGISTER failed: the registrar's status line, or what
 * libre's transaction ended with (no answer, an unreachable address). */
static void
sip_status_reason(struct sip_trunk_status *t, int err, const struct sip_msg *msg)
{
	if (msg != NULL)
		snprintf(t->reason, sizeof(t->reason), "%u %.*s", msg->scode,
		    (int)(msg->reason.l < SIP_REASON_MAX ? msg->reason.l : SIP_REASON_MAX - 1),
		    msg->reason.p);
	else
		snprintf(t->reason, sizeof(t->reason), "%s", strerror(err != 0 ? err : EPROTO));
}

void
sip_status_reg_response(struct sip_line *line, unsigned i, int err,
    const struct sip_msg *msg, uint32_t expires_s)
{
	struct sip_trunk_status *t;
	int64_t now = sip_status_now_ms();

	if (i >= SIP_MAX_TRUNKS || (err == 0 && msg != NULL && msg->scode < 200))
		return;
	t = &line->trunk_status[i];
	pthread_mutex_lock(&line->lock);
	if (err == 0 && msg != NULL)
		t->last_status = msg->scode;
	if (err == 0 && msg != NULL && msg->scode < 300 && expires_s > 0) {
		t->state = "registered";
		t->registered_ms = now;
		t->expires_ms = now + (int64_t)expires_s * 1000;
		t->reason[0] = '\0';
	} else {
		t->state = "failed";
		sip_status_reason(t, err, msg);
		if (err == 0 && msg != NULL && msg->scode < 300)
			snprintf(t->reason, sizeof(t->reason), "%u: the registrar granted no time",
			    msg->scode);
	}
	pthread_mutex_unlock(&line->lock);
}

size_t
sip_line_trunks(struct sip_line *line, struct sip_trunk_status *out, size_t max)
{
	struct le *le;
	size_t n, i;

	pthread_mutex_lock(&line->lock);
	n = line->ntrunk_status;
	for (i = 0; i < n && i < max; i++) {
		out[i] = line->trunk_status[i];
		out[i].calls = 0;
		for (le = list_head(&line->status_calls); le != NULL; le = le->next) {
			const struct sip_status_rec *rec = le->data;
			if (rec->trunk[0] != '\0' && strcmp(rec->trunk, out[i].name) == 0)
				out[i].calls++;
		}
	}
	pthread_mutex_unlock(&line->lock);
	return n;
}
