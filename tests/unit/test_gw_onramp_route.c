/*
 * gateway/onramp_route: routing of incoming fax calls through dial-peers
 * (table-driven), max-conn with release, the CSI and the receive path.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "gateway/queue.h"
#include "sip/sip.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "mta send maildir inbox\n"
    "fax receive called-subscriber +1 919 555 0000\n"
    "dial-peer voice 10 voip\n"
    " incoming called-number 9913...\n"
    "dial-peer voice 20 voip\n"
    " incoming called-number 55501..\n"
    "dial-peer voice 200 mmoip\n"
    " destination-pattern 99131..\n"
    " information-type fax\n"
    " session target mailto:fax-$d$@example.com\n"
    " max-conn 2\n"
    "dial-peer voice 201 mmoip\n"
    " destination-pattern 991317.\n"
    " information-type fax\n"
    " session target mailto:sales@example.com\n";

static struct config *
load(void)
{
	struct config_diag diag;
	struct config *cfg;

	config_diag_init(&diag);
	cfg = config_parse_buffer("route", conf_text, strlen(conf_text), &diag);
	ck_assert_msg(cfg != NULL, "%s", diag.kept ? config_diag_get(&diag, 0) : "?");
	config_diag_clear(&diag);
	return cfg;
}

static const struct {
	const char *dnis;
	enum sip_route_action action;
	unsigned tag;
} route_cases[] = {
	{ "9913170", SIP_ROUTE_ACCEPT, 201 },           /* most specific peer */
	{ "9913120", SIP_ROUTE_ACCEPT, 200 },
	{ "5550100", SIP_ROUTE_REJECT_NOT_FOUND, 0 },   /* voip ok, no mmoip */
	{ "8005551", SIP_ROUTE_REJECT_NOT_FOUND, 0 },   /* no voip incoming match */
	{ "", SIP_ROUTE_REJECT_NOT_FOUND, 0 },
};

START_TEST(routes_by_dial_peer)
{
	struct config *cfg = load();
	struct gw_onramp_conns *c = gw_onramp_conns_new();
	struct sip_call_info info;
	struct sip_route_decision d;
	unsigned tag;

	memset(&info, 0, sizeof(info));
	info.call_id = "a1b2c3d4e5f6";
	info.ani = "9194724118";
	info.dnis = route_cases[_i].dnis;
	tag = gw_onramp_route(cfg, c, "/var/spool/t37gw/rx", &info, &d);
	ck_assert_int_eq(d.action, route_cases[_i].action);
	ck_assert_uint_eq(tag, route_cases[_i].tag);
	if (d.action == SIP_ROUTE_ACCEPT) {
		ck_assert_str_eq(d.rx_path, "/var/spool/t37gw/rx/a1b2c3d4e5f6.tif");
		ck_assert_str_eq(d.fax.ident, "+1 919 555 0000");
		ck_assert(d.fax.ecm);
	}
	gw_onramp_conns_free(c);
	config_free(cfg);
}
END_TEST

START_TEST(max_conn_enforced_and_released)
{
	struct config *cfg = load();
	struct gw_onramp_conns *c = gw_onramp_conns_new();
	struct sip_call_info info;
	struct sip_route_decision d;
	static const char *ids[] = { "000000000001", "000000000002", "000000000003" };
	int i;

	memset(&info, 0, sizeof(info));
	info.ani = "9194724118";
	info.dnis = "9913120";                  /* peer 200: max-conn 2 */
	for (i = 0; i < 3; i++) {
		info.call_id = ids[i];
		gw_onramp_route(cfg, c, "/rx", &info, &d);
		ck_assert_int_eq(d.action, i < 2 ? SIP_ROUTE_ACCEPT : SIP_ROUTE_REJECT_BUSY);
	}
	/* Another peer is not affected. */
	info.call_id = "000000000004";
	info.dnis = "9913171";
	gw_onramp_route(cfg, c, "/rx", &info, &d);
	ck_assert_int_eq(d.action, SIP_ROUTE_ACCEPT);
	/* One call of peer 200 ends: a new one fits again. */
	gw_onramp_call_ended(c, "000000000001");
	info.call_id = "000000000005";
	info.dnis = "9913120";
	gw_onramp_route(cfg, c, "/rx", &info, &d);
	ck_assert_int_eq(d.action, SIP_ROUTE_ACCEPT);
	gw_onramp_conns_free(c);
	config_free(cfg);
}
END_TEST

Suite *
suite_gw_onramp_route(void)
{
	Suite *s = suite_create("gw_onramp_route");
	TCase *tc = tcase_create("route");

	tcase_add_loop_test(tc, routes_by_dial_peer, 0,
	    sizeof(route_cases) / sizeof(route_cases[0]));
	tcase_add_test(tc, max_conn_enforced_and_released);
	suite_add_tcase(s, tc);
	return s;
}
