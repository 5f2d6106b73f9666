/* Unit tests for sip/t38sdp: T.38 SDP attribute parsing and negotiation. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sip/t38sdp.h"

static const struct {
	const char *name, *value;
	int ok;
	unsigned version, bitrate, datagram, buffer;
	int rate, ec;
} cases[] = {
	{ "T38FaxVersion", "1", 0, 1, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "t38faxversion", "0", 0, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxVersion", "4", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxVersion", "x", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38MaxBitRate", "9600", 0, 0, 9600, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38MaxBitRate", "99999999999999", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38MaxBitRate", "-1", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxRateManagement", "localTCF", 0, 0, 14400, 0, 0, SIP_T38_LOCAL_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxRateManagement", "bogus", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxMaxDatagram", "72", 0, 0, 14400, 72, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxMaxDatagram", "10", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxMaxDatagram", "", -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxMaxBuffer", "200", 0, 0, 14400, 0, 200, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "T38FaxUdpEC", "t38UDPRedundancy", 0, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_REDUNDANCY },
	{ "T38FaxUdpEC", "t38UDPFEC", 0, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_FEC },
	{ "T38FaxUdpEC", NULL, -1, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
	{ "X-Unknown", "whatever", 0, 0, 14400, 0, 0, SIP_T38_TRANSFERRED_TCF, SIP_UDPTL_EC_NONE },
};

START_TEST(test_sip_t38_attr_table)
{
	struct sip_t38_params p;

	sip_t38_params_peer_init(&p);
	ck_assert_int_eq(sip_t38_attr_apply(&p, cases[_i].name, cases[_i].value), cases[_i].ok);
	ck_assert_uint_eq(p.version, cases[_i].version);
	ck_assert_uint_eq(p.max_bitrate, cases[_i].bitrate);
	ck_assert_uint_eq(p.max_datagram, cases[_i].datagram);
	ck_assert_uint_eq(p.max_buffer, cases[_i].buffer);
	ck_assert_int_eq(p.rate, cases[_i].rate);
	ck_assert_int_eq(p.ec, cases[_i].ec);
}
END_TEST

START_TEST(test_sip_t38_flags)
{
	struct sip_t38_params p;

	sip_t38_params_peer_init(&p);
	ck_assert_int_eq(sip_t38_attr_apply(&p, "T38FaxFillBitRemoval", NULL), 0);
	ck_assert(p.fill_bit_removal);
	ck_assert_int_eq(sip_t38_attr_apply(&p, "T38FaxTranscodingMMR", "0"), 0);
	ck_assert(!p.mmr);
	ck_assert_int_eq(sip_t38_attr_apply(&p, "T38FaxTranscodingJBIG", "yes"), -1);
}
END_TEST

START_TEST(test_sip_t38_negotiate)
{
	struct sip_t38_params local, offer, answer;

	sip_t38_params_local(&local);
	sip_t38_params_peer_init(&offer);
	sip_t38_attr_apply(&offer, "T38FaxVersion", "3");
	sip_t38_attr_apply(&offer, "T38MaxBitRate", "9600");
	sip_t38_attr_apply(&offer, "T38FaxRateManagement", "localTCF");
	sip_t38_attr_apply(&offer, "T38FaxMaxDatagram", "72");
	sip_t38_attr_apply(&offer, "T38FaxUdpEC", "t38UDPFEC");
	sip_t38_attr_apply(&offer, "T38FaxFillBitRemoval", "");
	sip_t38_negotiate(&local, &offer, &answer);
	ck_assert_uint_eq(answer.version, 0);
	ck_assert_uint_eq(answer.max_bitrate, 9600);
	ck_assert_int_eq(answer.rate, SIP_T38_LOCAL_TCF);
	ck_assert_uint_eq(answer.max_datagram, local.max_datagram);
	ck_assert_int_eq(answer.ec, SIP_UDPTL_EC_REDUNDANCY);
	ck_assert(!answer.fill_bit_removal);
	/* no EC offered: none answered */
	sip_t38_params_peer_init(&offer);
	sip_t38_negotiate(&local, &offer, &answer);
	ck_assert_int_eq(answer.ec, SIP_UDPTL_EC_NONE);
	ck_assert_uint_eq(answer.max_bitrate, 14400);
	/* the answer may overwrite the local parameters in place */
	sip_t38_attr_apply(&offer, "T38MaxBitRate", "9600");
	sip_t38_negotiate(&local, &offer, &local);
	ck_assert_uint_eq(local.max_bitrate, 9600);
	ck_assert_uint_eq(local.max_datagram, 1400);
}
END_TEST

static int
collect(const char *name, const char *value, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 512 - n, "%s:%s;", name, value);
	return 0;
}

START_TEST(test_sip_t38_attrs_roundtrip)
{
	struct sip_t38_params local, back;
	char buf[512] = "", *p, *tok, *save = NULL;

	sip_t38_params_local(&local);
	ck_assert_int_eq(sip_t38_attrs_foreach(&local, collect, buf), 0);
	ck_assert_str_eq(buf, "T38FaxVersion:0;T38MaxBitRate:14400;"
	    "T38FaxRateManagement:transferredTCF;T38FaxMaxBuffer:2000;"
	    "T38FaxMaxDatagram:1400;T38FaxUdpEC:t38UDPRedundancy;");
	sip_t38_params_peer_init(&back);
	for (p = buf; (tok = strtok_r(p, ";", &save)) != NULL; p = NULL) {
		char *colon = strchr(tok, ':');
		*colon = '\0';
		ck_assert_int_eq(sip_t38_attr_apply(&back, tok, colon + 1), 0);
	}
	ck_assert_mem_eq(&back, &local, sizeof(local));
}
END_TEST

Suite *
suite_sip_t38sdp(void)
{
	Suite *s = suite_create("sip_t38sdp");
	TCase *tc = tcase_create("t38sdp");

	tcase_add_loop_test(tc, test_sip_t38_attr_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_sip_t38_flags);
	tcase_add_test(tc, test_sip_t38_negotiate);
	tcase_add_test(tc, test_sip_t38_attrs_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
