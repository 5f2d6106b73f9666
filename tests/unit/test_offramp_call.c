/*
 * Unit tests for gateway/offramp/call: policy and report settings from a
 * real config, dial requests through voip dial-peers, SIP outcomes as the
 * ladder sees them (table), and call admission.
 */
#include <check.h>
#include <string.h>

#include <glib.h>

#include "config/config.h"
#include "gateway/offramp/call.h"
#include "gateway/offramp/job.h"
#include "gateway/offramp/offramp.h"
#include "gateway/offramp/retry.h"
#include "mime/mime.h"
#include "sip/sip.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "sip\n"
    " t38 on\n"
    "trunk pstn\n"
    " proxy sip:127.0.0.1:5070\n"
    " max-calls 10\n"
    " t38 off\n"
    "mta send postmaster fax-admin@example.com\n"
    "mta receive generate permanent-error\n"
    "mta receive generate mdn\n"
    "mta receive disable-dsn\n"
    "fax send transmitting-subscriber +15551234567\n"
    "fax send max-speed 9600\n"
    "fax send retry busy 2 30\n"
    "fax send retry no-answer 1 60\n"
    "fax deny-pattern 1900.......\n"
    "dial-peer voice 300 voip\n"
    " destination-pattern 1919.......\n"
    " session target trunk pstn\n"
    " max-conn 10\n"
    "dial-peer voice 301 voip\n"
    " destination-pattern 555....\n"
    " session target sip:$d$@127.0.0.1:5070\n";

static struct config *
load(void)
{
	struct config_diag diag;
	struct config *cfg;

	config_diag_init(&diag);
	cfg = config_parse_buffer("t", conf_text, strlen(conf_text), &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	config_diag_clear(&diag);
	return cfg;
}

START_TEST(test_from_config)
{
	struct config *cfg = load();
	struct offramp_retry_policy p;
	struct offramp_report_cfg rc;
	struct offramp_call_params b;

	offramp_policy_from_config(cfg, &p);
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_BUSY], 2);
	ck_assert_uint_eq(p.delay[OFFRAMP_FAIL_BUSY], 30);
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_NOANSWER], 1);   /* one call, no retry */
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_FAILURE], 3);    /* the default */
	ck_assert_uint_eq(p.delay[OFFRAMP_FAIL_FAILURE], 60);
	ck_assert_int_eq(p.permanent_error, 1);
	offramp_report_cfg_from_config(cfg, &rc);
	ck_assert_str_eq(rc.hostname, "gw1.example.com");
	ck_assert_str_eq(rc.postmaster, "fax-admin@example.com");
	ck_assert_int_eq(rc.dsn.disable_dsn, 1);
	ck_assert_int_eq(rc.generate_mdn, 1);
	offramp_base_params(cfg, &b);
	ck_assert(b.t38 == 1 && b.ecm == 1 && b.max_speed == 9600);
	config_free(cfg);
}
END_TEST

START_TEST(test_dial_request)
{
	struct config *cfg = load();
	struct offramp_call_params prm = { .t38 = 1, .ecm = 0, .max_speed = 9600 };
	const struct config_dial_peer *peer = NULL;
	struct sip_dial_request req;
	struct mime_error err;

	ck_assert_int_eq(offramp_dial_request(cfg, "5551234", 77, "/s/fax.tif", &prm,
	    &req, &peer, &err), 0);
	ck_assert_str_eq(req.target, "sip:5551234@127.0.0.1:5070");
	ck_assert_str_eq(req.number, "5551234");
	ck_assert_str_eq(req.fax.ident, "+15551234567");
	ck_assert_str_eq(req.tx_path, "/s/fax.tif");
	ck_assert(req.job_id == 77 && req.fax.ecm == 0 && req.fax.max_rate == 9600);
	ck_assert(req.t38_allowed);
	ck_assert_uint_eq(peer->tag, 301);

	/* Through the trunk, whose T.38 is off. */
	ck_assert_int_eq(offramp_dial_request(cfg, "19195551234", 78, "/s/f.tif", &prm,
	    &req, &peer, &err), 0);
	ck_assert_str_eq(req.target, "pstn");
	ck_assert_str_eq(req.number, "19195551234");
	ck_assert(!req.t38_allowed);
	ck_assert_uint_eq(peer->tag, 300);

	ck_assert_int_eq(offramp_dial_request(cfg, "19005551234", 1, "/x", &prm, &req,
	    NULL, &err), -1);
	ck_assert_str_eq(err.status, "5.7.1");
	ck_assert_int_eq(offramp_dial_request(cfg, "4420712345", 1, "/x", &prm, &req,
	    NULL, &err), -1);
	ck_assert_str_eq(err.status, "5.1.1");
	config_free(cfg);
}
END_TEST

/*
 * Who a call is from: the peer's clid network-number before the trunk's
 * calling-number; the TSI ($s$, the default) follows the calling number,
 * never empty when there is one; clid restrict asks for privacy; the
 * number is dialled in the form the peer's pattern matched.
 */
static const char ident_text[] =
    "fax numbering country-code 1\nfax numbering national-prefix 1\n"
    "fax numbering international-prefix 011\n"
    "trunk pstn\n proxy sip:127.0.0.1:5070\n calling-number +19195550100\n"
    " calling-name ACME Fax\n asserted-id pai\n"
    "dial-peer voice 1 voip\n destination-pattern 1919.......\n session target trunk pstn\n"
    "dial-peer voice 2 voip\n destination-pattern 1212.......\n session target trunk pstn\n"
    " clid network-number 2125550199\n"
    "dial-peer voice 3 voip\n destination-pattern 011T\n session target trunk pstn\n"
    " clid restrict\n"
    "dial-peer voice 4 voip\n destination-pattern 555....\n session target sip:$d$@h\n";

START_TEST(test_dial_identity)
{
	struct offramp_call_params prm = { .t38 = 1, .ecm = 1, .max_speed = 14400 };
	struct sip_dial_request req;
	struct mime_error err;
	struct config *cfg = config_parse_buffer("t", ident_text, sizeof(ident_text) - 1, NULL);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(offramp_dial_request(cfg, "+19195551234", 1, "/x", &prm, &req, NULL,
	    &err), 0);
	ck_assert_str_eq(req.from, "+19195550100");
	ck_assert_str_eq(req.from_name, "ACME Fax");
	ck_assert_str_eq(req.fax.ident, "+19195550100");
	ck_assert(!req.privacy);
	ck_assert_str_eq(req.number, "+19195551234");
	ck_assert_int_eq(offramp_dial_request(cfg, "12125551234", 1, "/x", &prm, &req, NULL,
	    &err), 0);
	ck_assert_str_eq(req.from, "2125550199");
	ck_assert_str_eq(req.fax.ident, "2125550199");
	/* +44... goes out as the 011 peer wants it, anonymously */
	ck_assert_int_eq(offramp_dial_request(cfg, "+442071234567", 1, "/x", &prm, &req, NULL,
	    &err), 0);
	ck_assert_str_eq(req.number, "011442071234567");
	ck_assert(req.privacy);
	ck_assert_str_eq(req.from, "+19195550100");
	/* no trunk, no clid: no calling number, and so no TSI */
	ck_assert_int_eq(offramp_dial_request(cfg, "5551234", 1, "/x", &prm, &req, NULL,
	    &err), 0);
	ck_assert_str_eq(req.target, "sip:5551234@h");
	ck_assert_str_eq(req.from, "");
	ck_assert_str_eq(req.fax.ident, "");
	config_free(cfg);
}
END_TEST

static const struct {
	enum sip_result result;
	enum sip_cause cause;       /* NONE: an event from before causes */
	int sip_status;
	unsigned pages, total;
	char phase;                 /* T.30 phase, 0: none ran */
	int t38_refused;
	const char *reason;         /* NULL: a default per result */
	enum offramp_call_outcome outcome;
	const char *status;
	const char *diag;           /* substring, NULL: no diagnostic */
	const char *words;          /* exact, NULL: none */
	int no_step;
} result_cases[] = {
	{ SIP_RESULT_OK, 0, 200, 3, 3, 'E', 0, NULL, OFFRAMP_CALL_OK, NULL, NULL, NULL, 0 },
	{ SIP_RESULT_OK, 0, 200, 2, 3, 'E', 0, NULL, OFFRAMP_CALL_FAILED, NULL, "only 2 of 3 pages",
	  "the remote fax machine did not confirm every page", 0 },
	{ SIP_RESULT_PARTIAL, 0, 200, 1, 3, 0, 0, NULL, OFFRAMP_CALL_FAILED, NULL,
	  "1 of 3 pages confirmed", NULL, 0 },
	{ SIP_RESULT_FAILED, 0, 200, 0, 3, 0, 0, NULL, OFFRAMP_CALL_FAILED, NULL, "T.30 error 49",
	  NULL, 0 },
	{ SIP_RESULT_BUSY, 0, 486, 0, 3, 0, 0, NULL, OFFRAMP_CALL_BUSY, NULL, "SIP 486: Reason",
	  "the line was busy", 0 },
	{ SIP_RESULT_NOANSWER, 0, 0, 0, 3, 0, 0, NULL, OFFRAMP_CALL_NOANSWER, NULL, "no answer",
	  "nobody answered", 0 },
	{ SIP_RESULT_REJECTED, 0, 404, 0, 3, 0, 0, NULL, OFFRAMP_CALL_PERMANENT, "5.1.1", "SIP 404",
	  NULL, 0 },
	{ SIP_RESULT_REJECTED, 0, 484, 0, 3, 0, 0, NULL, OFFRAMP_CALL_PERMANENT, "5.1.1", "SIP 484",
	  NULL, 0 },
	{ SIP_RESULT_REJECTED, 0, 603, 0, 3, 0, 0, "603 Decline", OFFRAMP_CALL_PERMANENT, "5.7.1",
	  "SIP 603 Decline", "the called side declined the call", 0 },
	{ SIP_RESULT_REJECTED, 0, 403, 0, 3, 0, 0, NULL, OFFRAMP_CALL_PERMANENT, "5.7.1", "SIP 403",
	  "the telephone network refused the call", 0 },
	{ SIP_RESULT_REJECTED, 0, 600, 0, 3, 0, 0, NULL, OFFRAMP_CALL_BUSY, NULL, "SIP 600", NULL, 0 },
	{ SIP_RESULT_REJECTED, 0, 480, 0, 3, 0, 0, NULL, OFFRAMP_CALL_NOANSWER, NULL, "SIP 480", NULL,
	  0 },
	{ SIP_RESULT_REJECTED, 0, 488, 0, 3, 0, 0, NULL, OFFRAMP_CALL_FAILED, NULL, "SIP 488", NULL,
	  0 },
	{ SIP_RESULT_REJECTED, 0, 503, 0, 3, 0, 0, NULL, OFFRAMP_CALL_FAILED, NULL, "SIP 503",
	  "the telephone network could not connect the call", 0 },
	/* with the line's cause */
	{ SIP_RESULT_FAILED, SIP_CAUSE_SIP_TIMEOUT, 0, 0, 3, 0, 0,
	  "no response to INVITE (SIP timeout)", OFFRAMP_CALL_FAILED, NULL,
	  "SIP timeout: no response to INVITE", "the telephone network did not respond "
	  "to the call", 1 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_NETWORK, 0, 0, 3, 0, 0, "network: Connection refused",
	  OFFRAMP_CALL_FAILED, NULL, "network: Connection refused",
	  "the gateway could not reach the telephone network", 1 },
	{ SIP_RESULT_REJECTED, SIP_CAUSE_MEDIA_REFUSED, 488, 0, 3, 0, 0,
	  "488 Not Acceptable Here", OFFRAMP_CALL_FAILED, NULL, "SIP 488 Not Acceptable Here",
	  "the called side could not take a fax connection", 0 },
	{ SIP_RESULT_PARTIAL, SIP_CAUSE_DEAD_CALL, 200, 2, 4, 'C', 0,
	  "dead call: no media either way for 30 s, no answer to OPTIONS in 8000 ms",
	  OFFRAMP_CALL_FAILED, NULL, "media: dead call: no media either way for 30 s",
	  "the connection was lost during the call", 0 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_HANGUP, 200, 0, 3, 'B', 0,
	  "peer hung up in T.30 phase B (negotiation)", OFFRAMP_CALL_FAILED, NULL,
	  "SIP BYE: peer hung up in T.30 phase B",
	  "the remote side hung up before the fax was complete", 0 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_NOT_FAX, 200, 0, 3, 'B', 0,
	  "Timed out waiting for the first message", OFFRAMP_CALL_NOANSWER, NULL,
	  "T.30 phase B code 49: Timed out waiting for the first message (no T.30 frame",
	  "the number answered, but not as a fax machine", 0 },
	{ SIP_RESULT_PARTIAL, SIP_CAUSE_T30, 200, 1, 3, 'D', 488,
	  "No response after sending a page", OFFRAMP_CALL_FAILED, NULL,
	  "T.30 phase D code 49: No response after sending a page; 1 of 3 pages confirmed; "
	  "T.38 refused (488), G.711 used", "the receiving fax machine did not confirm a page",
	  0 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_T30, 200, 0, 3, 'B', SIP_T38_REFUSE_SILENT,
	  "Received bad response to DCS or training", OFFRAMP_CALL_FAILED, NULL,
	  "T.30 phase B code 49: Received bad response to DCS or training; T.38 re-INVITE "
	  "unanswered, G.711 used", "the fax machines could not agree on how to send the fax",
	  0 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_T30, 200, 0, 3, 'C', 0, "Far end not ready",
	  OFFRAMP_CALL_FAILED, NULL, "T.30 phase C", "the connection failed while a page was being "
	  "sent", 0 },
	{ SIP_RESULT_FAILED, SIP_CAUSE_LOCAL, 200, 0, 3, 'C', 0, "maximum call duration",
	  OFFRAMP_CALL_FAILED, NULL, "gateway: maximum call duration",
	  "the gateway could not complete the call", 1 },
};

START_TEST(test_call_result)
{
	struct sip_event ev;
	struct offramp_call_result res;
	char diag[160];

	memset(&ev, 0, sizeof(ev));
	ev.result = result_cases[_i].result;
	ev.cause = result_cases[_i].cause;
	ev.sip_status = result_cases[_i].sip_status;
	ev.pages = result_cases[_i].pages;
	ev.pages_total = result_cases[_i].total;
	ev.t30_phase = result_cases[_i].phase;
	ev.t38_refused = result_cases[_i].t38_refused;
	ev.t30_code = 49;
	ev.secs = 40;
	g_strlcpy(ev.remote_ident, "+1 919 555 1234", sizeof(ev.remote_ident));
	g_strlcpy(ev.reason, result_cases[_i].reason != NULL ? result_cases[_i].reason :
	    ev.result == SIP_RESULT_NOANSWER ? "no answer" :
	    ev.result == SIP_RESULT_FAILED ? "The call dropped prematurely" : "Reason",
	    sizeof(ev.reason));
	offramp_call_result_from_event(&ev, &res, diag, sizeof(diag));
	ck_assert_int_eq(res.outcome, result_cases[_i].outcome);
	if (result_cases[_i].status != NULL)
		ck_assert_str_eq(res.status, result_cases[_i].status);
	else
		ck_assert_ptr_null(res.status);
	if (result_cases[_i].diag == NULL) {
		ck_assert_ptr_null(res.diag);
	} else {
		ck_assert_ptr_nonnull(res.diag);
		ck_assert_msg(strstr(res.diag, result_cases[_i].diag) != NULL, "diag: %s", res.diag);
	}
	if (result_cases[_i].words != NULL)
		ck_assert_str_eq(res.words, result_cases[_i].words);
	ck_assert_int_eq(res.no_step, result_cases[_i].no_step);
	ck_assert_uint_eq(res.pages_sent, result_cases[_i].pages);
	ck_assert_uint_eq(res.duration, 40);
	ck_assert_str_eq(res.csi, "+1 919 555 1234");
}
END_TEST

START_TEST(test_calls_admission)
{
	struct offramp_calls *c = offramp_calls_new();

	ck_assert_int_eq(offramp_calls_acquire(c, "+19195551234", "pstn", 300, 3, 2, 0), OFFRAMP_CALLS_OK);
	/* One call per number, whatever the route. */
	ck_assert_int_eq(offramp_calls_acquire(c, "+19195551234", "", 301, 3, 0, 0),
	    OFFRAMP_CALLS_NUMBER_BUSY);
	ck_assert_int_eq(offramp_calls_acquire(c, "+19195550001", "pstn", 300, 3, 2, 0), OFFRAMP_CALLS_OK);
	ck_assert_int_eq(offramp_calls_acquire(c, "+19195550002", "pstn", 300, 3, 2, 0),
	    OFFRAMP_CALLS_TRUNK_FULL);
	ck_assert_int_eq(offramp_calls_acquire(c, "5550003", "", 301, 3, 0, 1), OFFRAMP_CALLS_OK);
	ck_assert_int_eq(offramp_calls_acquire(c, "5550004", "", 301, 4, 0, 1), OFFRAMP_CALLS_PEER_FULL);
	ck_assert_int_eq(offramp_calls_acquire(c, "5550004", "", 302, 3, 0, 0), OFFRAMP_CALLS_GLOBAL_FULL);
	ck_assert_uint_eq(offramp_calls_active(c), 3);
	offramp_calls_release(c, "+19195550001", "pstn", 300);
	offramp_calls_release(c, "+19195550001", "pstn", 300);   /* twice: no effect */
	ck_assert_uint_eq(offramp_calls_active(c), 2);
	ck_assert_int_eq(offramp_calls_acquire(c, "+19195550002", "pstn", 300, 3, 2, 0), OFFRAMP_CALLS_OK);
	offramp_calls_release(c, "+19195551234", "pstn", 300);
	offramp_calls_release(c, "+19195550002", "pstn", 300);
	offramp_calls_release(c, "5550003", "", 301);
	ck_assert_uint_eq(offramp_calls_active(c), 0);
	ck_assert_int_eq(offramp_calls_acquire(c, "5550004", "", 301, 1, 0, 1), OFFRAMP_CALLS_OK);
	offramp_calls_free(c);
	offramp_calls_free(NULL);
}
END_TEST

Suite *
suite_offramp_call(void)
{
	Suite *s = suite_create("offramp_call");
	TCase *tc = tcase_create("call");

	tcase_add_test(tc, test_from_config);
	tcase_add_test(tc, test_dial_request);
	tcase_add_test(tc, test_dial_identity);
	tcase_add_loop_test(tc, test_call_result, 0, G_N_ELEMENTS(result_cases));
	tcase_add_test(tc, test_calls_admission);
	suite_add_tcase(s, tc);
	return s;
}
