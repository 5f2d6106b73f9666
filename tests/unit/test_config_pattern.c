/* Unit tests for config/pattern: IOS patterns, dial-peer selection,
 * deny-patterns, number normalization and target expansion. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"

/* ---- Compiling ---- */

static const struct {
	const char *pattern;
	const char *error;      /* NULL: compiles */
} compile_cases[] = {
	{ "1919.......", NULL },
	{ "+1919T", NULL },
	{ "9[2-5][^01]%", NULL },
	{ "T", NULL },
	{ "12+3?", NULL },
	{ "", "empty pattern" },
	{ "+", "nothing after the leading '+'" },
	{ "12T3", "'T' must end the pattern" },
	{ "1[3", "unterminated class '['" },
	{ "1[a]", "bad character 'a' in class" },
	{ "1[5-3]", "backward range in class ending '3'" },
	{ "1[2-]", "bad range in class near ']'" },
	{ "[^0-9]", "class '[...]' matches no digit" },
	{ "?1", "'?' must follow a digit, '.' or class" },
	{ "1??", "'?' must follow a digit, '.' or class" },
	{ "1+%", "'%' must follow a digit, '.' or class" },
	{ "T%", "'T' must end the pattern" },
	{ "1*", "'*' is not supported (numbers are digits only)" },
	{ "1#", "'#' is not supported (numbers are digits only)" },
	{ "12x", "bad character 'x'" },
	{ "12\x01", "bad character 0x01" },
	{ "1111111111111111111111111111111111111111111111111111111111111111111111",
	  "pattern too long (at most 64 elements)" },
	{ "1111111111111111111111111111111111111111111111111111111111111111111111"
	  "11111111111111111111111111111111", "pattern too long (at most 95 characters)" },
};

START_TEST(test_pattern_compile)
{
	struct config_pattern p;
	char err[128] = "";
	int rc = config_pattern_compile(&p, compile_cases[_i].pattern, err, sizeof(err));

	if (compile_cases[_i].error == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", compile_cases[_i].pattern, err);
		ck_assert_str_eq(p.text, compile_cases[_i].pattern);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, compile_cases[_i].error);
	}
}
END_TEST

START_TEST(test_pattern_specificity_fields)
{
	struct config_pattern p;
	char err[128];

	ck_assert_int_eq(config_pattern_compile(&p, "1919[2-9]..", err, sizeof(err)), 0);
	ck_assert_uint_eq(p.explicit_digits, 4);
	ck_assert_uint_eq(p.narrowness, 2);
	ck_assert(!p.variable);
	ck_assert(!p.plus);
	ck_assert_uint_eq(p.n_elem, 7);
	ck_assert_int_eq(config_pattern_compile(&p, "+44T", err, sizeof(err)), 0);
	ck_assert(p.plus);
	ck_assert(p.variable);
	ck_assert_uint_eq(p.explicit_digits, 2);
}
END_TEST

/* ---- Matching ---- */

static const struct {
	const char *pattern;
	const char *number;
	bool match;
} match_cases[] = {
	{ "1919.......", "19195551234", true },
	{ "1919.......", "1919555123", false },
	{ "1919.......", "191955512345", false },
	{ "1919.......", "1-919-555-1234", true },
	{ "1919.......", "1 (919) 555.1234", true },
	{ "1919.......", "(919) 555-1234", false },
	{ "1919.......", "+19195551234", true },
	{ "1919.......", "1919abc1234", false },
	{ "1919.......", "", false },
	{ "1919.......", "1+9195551234", false },
	{ "+1919.......", "19195551234", false },
	{ "+1919.......", "+1 919 555 1234", true },
	{ "011T", "011", true },
	{ "011T", "01144207123456", true },
	{ "011T", "01", false },
	{ "011T", "+01144", true },
	{ "T", "5", true },
	{ "9[2-5]..", "9300", true },
	{ "9[2-5]..", "9600", false },
	{ "9[^2-5]..", "9600", true },
	{ "9[^2-5]..", "9300", false },
	{ "[0135]", "3", true },
	{ "[0135]", "2", false },
	{ "12?3", "123", true },
	{ "12?3", "13", true },
	{ "12?3", "1223", false },
	{ "12%3", "13", true },
	{ "12%3", "1222223", true },
	{ "12%3", "1242223", false },
	{ "12+3", "13", false },
	{ "12+3", "123", true },
	{ "12+3", "12223", true },
	{ ".+", "1234", true },
	{ "555....", "555-1234", true },
	{ "[0-9]T", "0", true },
	{ "+[^1]T", "+447700900123", true },
	{ "+[^1]T", "+19195551234", false },
	{ "+[^1]T", "447700900123", false },
};

START_TEST(test_pattern_match)
{
	struct config_pattern p;
	char err[128];

	ck_assert_int_eq(config_pattern_compile(&p, match_cases[_i].pattern, err, sizeof(err)), 0);
	ck_assert_msg(config_pattern_match(&p, match_cases[_i].number) == match_cases[_i].match,
	    "pattern %s number '%s': expected %d", match_cases[_i].pattern,
	    match_cases[_i].number, match_cases[_i].match);
}
END_TEST

/* ---- Numbers ---- */

static const struct {
	const char *in;
	const char *out;        /* NULL: rejected */
} digits_cases[] = {
	{ "+1 (919) 555-1234", "+19195551234" },
	{ "919.555.1234", "9195551234" },
	{ " +12 ", "+12" },
	{ "0", "0" },
	{ "", NULL },
	{ "+", NULL },
	{ "abc", NULL },
	{ "1+2", NULL },
	{ "++1", NULL },
	{ "12/34", NULL },
	{ "123456789012345678901234567890123", NULL },     /* 33 digits */
	{ "12345678901234567890123456789012", "12345678901234567890123456789012" },
};

START_TEST(test_number_digits)
{
	char out[64];
	int n = config_number_digits(digits_cases[_i].in, out, sizeof(out));

	if (digits_cases[_i].out == NULL)
		ck_assert_int_eq(n, -1);
	else {
		ck_assert_int_eq(n, (int)strlen(digits_cases[_i].out));
		ck_assert_str_eq(out, digits_cases[_i].out);
	}
}
END_TEST

START_TEST(test_number_digits_small_buffer)
{
	char out[4];

	ck_assert_int_eq(config_number_digits("123", out, sizeof(out)), 3);
	ck_assert_int_eq(config_number_digits("1234", out, sizeof(out)), -1);
	ck_assert_int_eq(config_number_digits(NULL, out, sizeof(out)), -1);
}
END_TEST

/* ---- Dial-peer selection ---- */

static const char peers_conf[] =
    "mta send maildir /tmp\n"
    "dial-peer voice 10 voip\n destination-pattern 1919T\n session target sip:$d$@h\n"
    "dial-peer voice 20 voip\n destination-pattern 1919.......\n session target sip:$d$@h\n"
    "dial-peer voice 60 voip\n destination-pattern 1919555....\n session target sip:$d$@h\n"
    "dial-peer voice 30 voip\n destination-pattern 1919555....\n session target sip:$d$@h\n"
    "dial-peer voice 40 voip\n destination-pattern 1919555....\n preference 1\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 5 voip\n destination-pattern 1919555....\n shutdown\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 50 voip\n destination-pattern 1919[5-6].......\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 51 voip\n destination-pattern 1919[5-6]......\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 80 voip\n destination-pattern +44T\n session target sip:$d$@h\n"
    "dial-peer voice 90 voip\n destination-pattern T\n preference 9\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 100 voip\n destination-pattern 777\n preference 2\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 110 voip\n destination-pattern 777\n preference 1\n"
    " session target sip:$d$@h\n"
    "dial-peer voice 300 mmoip\n incoming called-number 1919.......\n"
    " information-type fax\n"
    "dial-peer voice 310 mmoip\n incoming called-number 1919555....\n"
    " information-type fax\n"
    "dial-peer voice 400 mmoip\n destination-pattern 99131..\n information-type fax\n"
    " session target mailto:$d$@example.com\n";

static const struct {
	enum config_peer_type type;
	enum config_match_field field;
	const char *number;
	unsigned tag;           /* 0: no match */
} select_cases[] = {
	/* 30, 40, 60 share 7 explicit digits: preference, then tag. 5 is shut down. */
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19195551234", 30 },
	/* 51 is narrower than 20 (class [5-6]) at the same explicit digits. */
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19196001234", 51 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "1-919-700-1234", 20 },
	/* Only the variable-length patterns take 12 digits; 10 has more digits. */
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "191970012345", 10 },
	/* Fixed length beats T at equal explicit digits: 20 vs 10. */
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19197001234", 20 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "+447700900123", 80 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "447700900123", 90 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "12", 90 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "777", 110 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "not-a-number", 0 },
	{ CONFIG_PEER_VOIP, CONFIG_MATCH_INCOMING, "19195551234", 0 },
	{ CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING, "19195551234", 310 },
	{ CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING, "19196661234", 300 },
	{ CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING, "9913170", 0 },
	{ CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, "9913170", 400 },
	{ CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, "99131700", 0 },
};

START_TEST(test_match_peer)
{
	struct config_diag diag;
	struct config *cfg;
	const struct config_dial_peer *d;

	config_diag_init(&diag);
	cfg = config_parse_buffer("peers", peers_conf, sizeof(peers_conf) - 1, &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	d = config_match_peer(cfg, select_cases[_i].type, select_cases[_i].field,
	    select_cases[_i].number);
	ck_assert_msg((d ? d->tag : 0) == select_cases[_i].tag, "number %s: got %u want %u",
	    select_cases[_i].number, d ? d->tag : 0, select_cases[_i].tag);
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* ---- Deny-patterns ---- */

static const char deny_conf[] =
    "fax deny-pattern 1900.......\nfax deny-pattern 011T\nfax deny-pattern +[^1]T\n";

static const struct {
	const char *number;
	bool denied;
} deny_cases[] = {
	{ "19005551234", true },
	{ "+1 900 555 1234", true },
	{ "01144207123456", true },
	{ "+447700900123", true },
	{ "+19195551234", false },
	{ "19195551234", false },
	/* The pattern and the number agree as far as both go: over- and
	 * underdialled numbers are denied too. */
	{ "1900555123", true },
	{ "+1900555123", true },
	{ "+190055512345", true },
	{ "1900555123456789", true },
	{ "(1) 900-555.12345", true },
	{ "1900", true },
	{ "19", true },
	{ "1901555123", false },
	{ "+1901555123", false },
	{ "011", true },
	{ "0115", true },
	{ "010", false },
	{ "+4", true },
	{ "+1", true },
	{ "+2", true },                         /* +[^1]T */
	{ "junk", true },
	{ "1900abc1234", true },
	{ "", true },
	{ "+", true },
	{ "1+900", true },
	{ "123456789012345678901234567890123", true },
};

START_TEST(test_denied)
{
	struct config *cfg = config_parse_buffer("deny", deny_conf, sizeof(deny_conf) - 1, NULL);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->n_deny, 3);
	ck_assert_msg(config_number_denied(cfg, deny_cases[_i].number) == deny_cases[_i].denied,
	    "number '%s'", deny_cases[_i].number);
	config_free(cfg);
}
END_TEST

/*
 * With a numbering plan, every way of writing a number is matched alike:
 * here North America (country code 1, "1" national, "011" international).
 */
static const char nanp_conf[] =
    "fax numbering country-code 1\nfax numbering national-prefix 1\n"
    "fax numbering international-prefix 011\n"
    "fax deny-pattern 1900.......\nfax deny-pattern +44T\n";

static const struct {
	const char *number;
	bool denied;
} nanp_cases[] = {
	{ "01119005551234", true },             /* international prefix + E.164 */
	{ "011 1 900 555 1234", true },
	{ "+011 1 900 555 1234", true },        /* '+' and the prefix, by habit */
	{ "011190055512345", true },            /* overdialled */
	{ "011190055512", true },               /* underdialled */
	{ "011442071234567", true },            /* +44 dialled internationally */
	{ "+442071234567", true },
	{ "01119195551234", false },
	{ "0119005551234", false },             /* +900..., not +1 900 */
	{ "19195551234", false },
	{ "+19195551234", false },
	{ "011", false },                       /* nothing after the prefix */
};

START_TEST(test_denied_numbering)
{
	struct config_diag diag;
	struct config *cfg;

	config_diag_init(&diag);
	cfg = config_parse_buffer("nanp", nanp_conf, sizeof(nanp_conf) - 1, &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	ck_assert_msg(config_number_denied(cfg, nanp_cases[_i].number) == nanp_cases[_i].denied,
	    "number '%s'", nanp_cases[_i].number);
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* The one normalization: forms of a number, with and without a plan. */
static const struct {
	const char *plan;       /* country-code national-prefix international-prefix */
	const char *number;
	const char *forms[CONFIG_NUMBER_FORMS];     /* NULL forms[0]: not a number */
	int e164;
} form_cases[] = {
	{ NULL, "+1 (919) 555-1234", { "+19195551234" }, 0 },
	{ NULL, "919.555.1234", { "9195551234" }, -1 },
	{ NULL, "0119195551234", { "0119195551234" }, -1 },
	{ NULL, "91a", { NULL }, -1 },
	{ NULL, "+", { NULL }, -1 },
	{ NULL, "1-2+3", { NULL }, -1 },
	{ "1 1 011", "01119195551234", { "01119195551234", "+19195551234", "19195551234" }, 1 },
	{ "1 1 011", "19195551234", { "19195551234", "+19195551234" }, 1 },
	{ "1 1 011", "+19195551234", { "+19195551234", "19195551234" }, 0 },
	{ "1 1 011", "+442071234567", { "+442071234567", "011442071234567" }, 0 },
	{ "1 1 011", "+01119195551234", { "+01119195551234", "+19195551234", "19195551234" }, 1 },
	{ "1 1 011", "9195551234", { "9195551234" }, -1 },
	{ "44 0 00", "02071234567", { "02071234567", "+442071234567" }, 1 },
	{ "44 0 00", "00442071234567", { "00442071234567", "+442071234567", "02071234567" }, 1 },
	{ "44 0 00", "0033123456789", { "0033123456789", "+33123456789" }, 1 },
	{ "44 0 00", "+33123456789", { "+33123456789", "0033123456789" }, 0 },
	{ "44 0 00", "00", { "00" }, -1 },
	{ "44 0 00", "0", { "0" }, -1 },
};

START_TEST(test_number_forms)
{
	struct config_number n;
	struct config *cfg = NULL;
	char text[256];
	unsigned i, want = 0;
	int rc;

	if (form_cases[_i].plan != NULL) {
		char cc[8], np[8], ip[8];

		ck_assert_int_eq(sscanf(form_cases[_i].plan, "%7s %7s %7s", cc, np, ip), 3);
		snprintf(text, sizeof(text), "fax numbering country-code %s\n"
		    "fax numbering national-prefix %s\nfax numbering international-prefix %s\n",
		    cc, np, ip);
		cfg = config_parse_buffer("plan", text, strlen(text), NULL);
		ck_assert_ptr_nonnull(cfg);
	}
	rc = config_number_parse(cfg, form_cases[_i].number, &n);
	if (form_cases[_i].forms[0] == NULL) {
		ck_assert_int_eq(rc, -1);
		config_free(cfg);
		return;
	}
	ck_assert_int_eq(rc, 0);
	while (want < CONFIG_NUMBER_FORMS && form_cases[_i].forms[want] != NULL)
		want++;
	ck_assert_uint_eq(n.n_forms, want);
	for (i = 0; i < want; i++)
		ck_assert_str_eq(n.forms[i], form_cases[_i].forms[i]);
	ck_assert_int_eq(n.e164, form_cases[_i].e164);
	config_free(cfg);
}
END_TEST

/* A peer's pattern says how it wants numbers written: the form it matched
 * is the one to dial. */
static const char route_conf[] =
    "fax numbering country-code 1\nfax numbering national-prefix 1\n"
    "fax numbering international-prefix 011\n"
    "dial-peer voice 1 voip\n destination-pattern 011T\n session target sip:$d$@intl\n"
    "dial-peer voice 2 voip\n destination-pattern 1[2-9]..[2-9]......\n"
    " session target sip:$d$@nanp\n"
    "dial-peer voice 3 mmoip\n destination-pattern +19913170\n information-type fax\n"
    " session target mailto:fax@example.com\n"
    "mta send maildir m\n";

static const struct {
	enum config_peer_type type;
	const char *number;
	unsigned tag;
	const char *form;
} route_cases[] = {
	{ CONFIG_PEER_VOIP, "+442071234567", 1, "011442071234567" },
	{ CONFIG_PEER_VOIP, "011442071234567", 1, "011442071234567" },
	{ CONFIG_PEER_VOIP, "+19195551234", 2, "+19195551234" },
	{ CONFIG_PEER_VOIP, "19195551234", 2, "19195551234" },
	{ CONFIG_PEER_VOIP, "01119195551234", 1, "01119195551234" },   /* as written */
	{ CONFIG_PEER_VOIP, "+1 919 555 1234", 2, "+19195551234" },
	{ CONFIG_PEER_VOIP, "9195551234", 0, "" },
	{ CONFIG_PEER_MMOIP, "19913170", 3, "+19913170" },
	{ CONFIG_PEER_MMOIP, "9913170", 0, "" },
};

START_TEST(test_route_form)
{
	struct config_diag diag;
	struct config *cfg;
	const struct config_dial_peer *d;
	char form[CONFIG_FORM_MAX] = "x";

	config_diag_init(&diag);
	cfg = config_parse_buffer("route", route_conf, sizeof(route_conf) - 1, &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	d = config_route_number(cfg, route_cases[_i].type, CONFIG_MATCH_DESTINATION,
	    route_cases[_i].number, form, sizeof(form));
	ck_assert_uint_eq(d ? d->tag : 0, route_cases[_i].tag);
	ck_assert_str_eq(form, route_cases[_i].form);
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* ---- Target templates ---- */

static const struct {
	const char *tmpl, *d, *s, *m;
	size_t size;
	const char *out;        /* NULL: -1 */
} expand_cases[] = {
	{ "$d$@example.com", "9913170", "9194724118", NULL, 64, "9913170@example.com" },
	{ "fax-$m$@x", "123", "9", "456", 64, "fax-456@x" },
	{ "$m$@x", "123", "9", "", 64, "123@x" },
	{ "$m$@x", "123", "9", NULL, 64, "123@x" },
	{ "$s$@x", "1", NULL, NULL, 64, "@x" },
	{ "sip:$d$@h:5070", "+15551234", "", NULL, 64, "sip:+15551234@h:5070" },
	{ "a$x$b$d", "1", "2", NULL, 64, "a$x$b$d" },
	{ "$d$$s$", "12", "34", NULL, 64, "1234" },
	{ "$d$@x", "1@evil", "2", NULL, 64, NULL },
	{ "$d$@x", "1", "a>b", NULL, 64, NULL },
	{ "$d$", "12345", "", NULL, 6, "12345" },
	{ "$d$", "12345", "", NULL, 5, NULL },
	{ "abc", "", "", NULL, 0, NULL },
};

START_TEST(test_expand_target)
{
	char out[64] = "x";
	int n = config_expand_target(expand_cases[_i].tmpl, expand_cases[_i].d,
	    expand_cases[_i].s, expand_cases[_i].m, out, expand_cases[_i].size);

	if (expand_cases[_i].out == NULL) {
		ck_assert_int_eq(n, -1);
		if (expand_cases[_i].size > 0)
			ck_assert_str_eq(out, "");
	} else {
		ck_assert_int_eq(n, (int)strlen(expand_cases[_i].out));
		ck_assert_str_eq(out, expand_cases[_i].out);
	}
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *
suite_config_pattern(void)
{
	Suite *s = suite_create("config_pattern");
	TCase *tc = tcase_create("pattern");

	tcase_add_loop_test(tc, test_pattern_compile, 0, N(compile_cases));
	tcase_add_test(tc, test_pattern_specificity_fields);
	tcase_add_loop_test(tc, test_pattern_match, 0, N(match_cases));
	tcase_add_loop_test(tc, test_number_digits, 0, N(digits_cases));
	tcase_add_test(tc, test_number_digits_small_buffer);
	tcase_add_loop_test(tc, test_match_peer, 0, N(select_cases));
	tcase_add_loop_test(tc, test_denied, 0, N(deny_cases));
	tcase_add_loop_test(tc, test_denied_numbering, 0, N(nanp_cases));
	tcase_add_loop_test(tc, test_number_forms, 0, N(form_cases));
	tcase_add_loop_test(tc, test_route_form, 0, N(route_cases));
	tcase_add_loop_test(tc, test_expand_target, 0, N(expand_cases));
	suite_add_tcase(s, tc);
	return s;
}
