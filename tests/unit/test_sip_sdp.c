/* Unit tests for sip/sdp: parsing offers (audio, T.38-only, audio+T.38,
 * hostile input) and writing offers and mirrored answers. */
#include <check.h>
#include <string.h>

#include "sip/sdp.h"

static const char offer_audio_t38[] =
    "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    "m=video 5000 RTP/AVP 31\r\n"
    "m=image 4002 udptl t38\r\nc=IN IP4 192.0.2.9\r\n"
    "a=T38FaxVersion:0\r\na=T38MaxBitRate:9600\r\na=T38FaxRateManagement:transferredTCF\r\n"
    "a=T38FaxMaxDatagram:160\r\na=T38FaxUdpEC:t38UDPRedundancy\r\na=T38FaxFillBitRemoval\r\n";

START_TEST(test_sip_sdp_parse_audio_t38)
{
	struct sip_sdp s;
	const char *why;
	int a, i;

	ck_assert_int_eq(sip_sdp_parse(offer_audio_t38, strlen(offer_audio_t38), &s, &why), 0);
	ck_assert_uint_eq(s.nmedia, 3);
	a = sip_sdp_find(&s, SIP_SDP_AUDIO);
	i = sip_sdp_find(&s, SIP_SDP_IMAGE);
	ck_assert_int_eq(a, 0);
	ck_assert_int_eq(i, 2);
	ck_assert_uint_eq(s.m[0].port, 4000);
	ck_assert_str_eq(s.m[0].addr, "192.0.2.1");
	ck_assert_int_eq(sip_sdp_pick_pt(&s.m[0], SIP_SDP_PT_PCMU), 0);
	ck_assert_int_eq(sip_sdp_pick_pt(&s.m[0], SIP_SDP_PT_PCMA), 8);
	ck_assert_str_eq(s.m[2].addr, "192.0.2.9");
	ck_assert_uint_eq(s.m[2].t38p.max_bitrate, 9600);
	ck_assert_uint_eq(s.m[2].t38p.max_datagram, 160);
	ck_assert_int_eq(s.m[2].t38p.ec, SIP_UDPTL_EC_REDUNDANCY);
	ck_assert(s.m[2].t38p.fill_bit_removal);
	ck_assert_int_eq(s.m[1].kind, SIP_SDP_OTHER);
}
END_TEST

START_TEST(test_sip_sdp_answer_mirrors)
{
	struct sip_sdp s, back;
	struct sip_sdp_local l;
	char out[2048];
	const char *why;
	int n;

	ck_assert_int_eq(sip_sdp_parse(offer_audio_t38, strlen(offer_audio_t38), &s, &why), 0);
	memset(&l, 0, sizeof(l));
	l.sess_id = 77;
	l.version = 3;
	strcpy(l.addr, "127.0.0.1");
	/* T.38 accepted, audio refused */
	l.image_port = 6000;
	sip_t38_params_local(&l.t38);
	n = sip_sdp_write_answer(out, sizeof(out), &l, &s);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "o=- 77 3 IN IP4 127.0.0.1\r\n"));
	ck_assert_int_eq(sip_sdp_parse(out, (size_t)n, &back, &why), 0);
	ck_assert_uint_eq(back.nmedia, 3);
	ck_assert_uint_eq(back.m[0].port, 0);
	ck_assert_str_eq(back.m[0].name, "audio");
	ck_assert_uint_eq(back.m[1].port, 0);
	ck_assert_str_eq(back.m[1].name, "video");
	ck_assert_uint_eq(back.m[2].port, 6000);
	ck_assert(back.m[2].t38);
	ck_assert_uint_eq(back.m[2].t38p.max_datagram, l.t38.max_datagram);
	/* a too small buffer is refused, not overrun */
	ck_assert_int_eq(sip_sdp_write_answer(out, 40, &l, &s), -1);
}
END_TEST

START_TEST(test_sip_sdp_offer_roundtrip)
{
	struct sip_sdp_local l;
	struct sip_sdp s;
	char out[2048];
	const char *why;
	int n;

	memset(&l, 0, sizeof(l));
	strcpy(l.addr, "127.0.0.1");
	l.audio_port = 4000;
	l.audio_pt = SIP_SDP_PT_PCMA;
	l.audio_pt2 = SIP_SDP_PT_PCMU;
	l.image_port = 4002;
	sip_t38_params_local(&l.t38);
	n = sip_sdp_write_offer(out, sizeof(out), &l);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sip_sdp_parse(out, (size_t)n, &s, &why), 0);
	ck_assert_uint_eq(s.nmedia, 2);
	ck_assert_int_eq(s.m[0].pts[0], 8);
	ck_assert_int_eq(s.m[0].pts[1], 0);
	ck_assert_int_eq(sip_sdp_find(&s, SIP_SDP_IMAGE), 1);
	ck_assert_int_eq(s.m[1].t38p.rate, SIP_T38_TRANSFERRED_TCF);
}
END_TEST

static const struct {
	const char *sdp;
	const char *why;
} bad[] = {
	{ "", "empty SDP" },
	{ "v=0\r\n", "no m= line" },
	{ "m=audio 4000 RTP/AVP 0\r\n", "no v= line" },
	{ "v=0\r\nm=audio 4000 RTP/AVP 0\r\n", "no c= line for a media" },
	{ "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n", "bad m= port" },
	{ "v=0\r\nc=IN XX 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n", "bad c= line" },
	{ "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio\r\n", "bad m= port" },
	{ "v=0\r\ngarbage\r\n", "malformed SDP line" },
};

START_TEST(test_sip_sdp_bad)
{
	struct sip_sdp s;
	const char *why = NULL;

	ck_assert_int_eq(sip_sdp_parse(bad[_i].sdp, strlen(bad[_i].sdp), &s, &why), -1);
	ck_assert_str_eq(why, bad[_i].why);
}
END_TEST

START_TEST(test_sip_sdp_t38_bad_value_not_usable)
{
	static const char o[] = "v=0\nc=IN IP4 1.2.3.4\nm=image 4000 udptl t38\n"
	    "a=T38FaxMaxDatagram:1\n";
	struct sip_sdp s;
	const char *why;

	ck_assert_int_eq(sip_sdp_parse(o, strlen(o), &s, &why), 0);
	ck_assert_int_eq(sip_sdp_find(&s, SIP_SDP_IMAGE), -1);
}
END_TEST

Suite *
suite_sip_sdp(void)
{
	Suite *s = suite_create("sip_sdp");
	TCase *tc = tcase_create("sdp");

	tcase_add_test(tc, test_sip_sdp_parse_audio_t38);
	tcase_add_test(tc, test_sip_sdp_answer_mirrors);
	tcase_add_test(tc, test_sip_sdp_offer_roundtrip);
	tcase_add_loop_test(tc, test_sip_sdp_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_sip_sdp_t38_bad_value_not_usable);
	suite_add_tcase(s, tc);
	return s;
}
