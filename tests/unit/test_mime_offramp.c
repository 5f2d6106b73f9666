/*
 * Unit tests for mime/offramp: hand-written ordinary and hostile messages,
 * each parsed from a file, checked for the parts delivered (kind, text,
 * file contents) or for the status and words of the failure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "mime/mime.h"

#define TIFF_B64 "SUkqAAgAAAA="           /* "II*\0" + offset 8 */
#define PDF_B64 "JVBERi0xLjQKJSVFT0YK"    /* "%PDF-1.4\n%%EOF\n" */
#define PNG_B64 "iVBORw0KGgo="            /* the PNG signature */
#define JPEG_B64 "/9j/4A=="               /* SOI and APP0 */
#define GIF_B64 "R0lGODlh"                /* "GIF89a" */

struct offramp_case {
	const char *name;
	const char *msg;
	const char *status;     /* NULL: must parse */
	const char *errword;    /* a word the error text must contain */
	const char *kinds;      /* one letter per part: T text, I tiff, P pdf,
	                         * G image (PNG, JPEG, GIF, BMP), H html,
	                         * O office document, S not faxed (listed) */
	const char *text0;      /* the first text part must equal this (an
	                         * HTML part must contain it) */
	const char *filename0;  /* the first file part's decoded name */
};

static const struct offramp_case offramp_cases[] = {
	{ "plain ascii",
	  "From: a@example.com\nTo: FAX=+19195551234@fax.example.com\n"
	  "Subject: hi\n\nHello fax.\n",
	  NULL, NULL, "T", "Hello fax.\n", NULL },
	{ "quoted-printable latin-1",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: text/plain; charset=ISO-8859-1\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  "caf=E9 cr=E8me, long=\n line\n",
	  NULL, NULL, "T", "caf\xc3\xa9 cr\xc3\xa8me, long line\n", NULL },
	{ "upper-case type and charset",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: TEXT/PLAIN; CHARSET=\"iso-8859-1\"\n"
	  "Content-Transfer-Encoding: 8bit\n\n"
	  "Gr\xfc\xdf" "e\n",
	  NULL, NULL, "T", "Gr\xc3\xbc\xc3\x9f" "e\n", NULL },
	{ "iso-2022-jp body",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: text/plain; charset=ISO-2022-JP\n"
	  "Content-Transfer-Encoding: 7bit\n\n"
	  "\x1b$B$3$s$K$A$O\x1b(B\n",
	  NULL, NULL, "T",
	  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n", NULL },
	{ "unlabelled 8-bit is windows-1252",
	  "From: a@example.com\n\ncaf\xe9 \x80" "5\n",
	  NULL, NULL, "T", "caf\xc3\xa9 \xe2\x82\xac" "5\n", NULL },
	{ "CRLF line ends and NULs",
	  "From: a@example.com\r\nSubject: x\r\n\r\nline1\r\nli\0ne2\r\n",
	  NULL, NULL, "T", "line1\nline2\n", NULL },
	{ "base64 utf-8 text",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "w6l0w6kK\n",
	  NULL, NULL, "T", "\xc3\xa9t\xc3\xa9\n", NULL },
	{ "mixed text and tiff",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
	  "preamble\n--b1\nContent-Type: text/plain\n\nCover note\n"
	  "--b1\nContent-Type: image/tiff; name=\"scan.tif\"\n"
	  "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n--b1--\n",
	  NULL, NULL, "TI", "Cover note\n", "scan.tif" },
	{ "cisco fax-message with two tiffs",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/fax-message; boundary=\"yradnuoB\"\n\n"
	  "--yradnuoB\nContent-Type: image/tiff; application=faxbw\n"
	  "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n"
	  "--yradnuoB\nContent-Type: image/tiff\n"
	  "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n--yradnuoB--\n",
	  NULL, NULL, "II", NULL, NULL },
	{ "alternative: the richest one, HTML",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=alt\n\n"
	  "--alt\nContent-Type: text/plain\n\nPlain version\n"
	  "--alt\nContent-Type: text/html\n\n<p>HTML version</p>\n--alt--\n",
	  NULL, NULL, "H", "<p>HTML version</p>", NULL },
	{ "alternative: an empty HTML one gives way to the text",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=alt\n\n"
	  "--alt\nContent-Type: text/plain\n\nPlain version\n"
	  "--alt\nContent-Type: text/html\n\n<html><head><title>t</title></head>"
	  "<body> <!-- x --> </body></html>\n--alt--\n",
	  NULL, NULL, "T", "Plain version\n", NULL },
	{ "alternative without text/plain takes the last faxable",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/alternative; boundary=alt\n\n"
	  "--alt\nContent-Type: text/html\n\n<p>HTML &amp; more</p>\n"
	  "--alt\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n--alt--\n",
	  NULL, NULL, "H", "HTML &amp; more", NULL },
	{ "nested mixed/alternative/related and pdf",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/plain; charset=us-ascii\n\nSee the PDF.\n"
	  "--a\nContent-Type: multipart/related; boundary=r\n\n"
	  "--r\nContent-Type: text/html\n\n<img src=cid:x>\n"
	  "--r\nContent-Type: image/png\n\nPNG\n--r--\n"
	  "--a--\n"
	  "--m\nContent-Type: application/pdf; name=doc.pdf\n"
	  "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n--m--\n",
	  NULL, NULL, "HSP", "<img src=cid:x>", "doc.pdf" },
	/* RFC 2387: a related's other parts serve its root. */
	{ "outlook: a signature logo beside the alternative",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/related; boundary=r; type=\"multipart/alternative\"\n\n"
	  "--r\nContent-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/plain\n\nRegards, John\n"
	  "--a\nContent-Type: text/html\n\n<p>Regards, John<img src=cid:logo></p>\n--a--\n"
	  "--r\nContent-Type: image/png; name=image001.png\nContent-ID: <logo>\n"
	  "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n",
	  NULL, NULL, "H", "Regards, John<img src=cid:logo>", NULL },
	{ "gmail: html root with an inline image",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/related; boundary=r\n\n"
	  "--r\nContent-Type: text/html\n\n<p>See <img src=cid:x> here</p>\n"
	  "--r\nContent-Type: image/jpeg\nContent-ID: <x>\n\nJPEG\n--r--\n",
	  NULL, NULL, "HS", "See <img src=cid:x> here", NULL },
	{ "related: the start parameter names the root",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/related; boundary=r; start=\"<root@x>\"\n\n"
	  "--r\nContent-Type: image/gif\nContent-ID: <img@x>\n\nGIF89a\n"
	  "--r\nContent-Type: text/plain\nContent-ID: <root@x>\n\nThe root\n--r--\n",
	  NULL, NULL, "TG", "The root\n", NULL },
	{ "related: a TIFF among the resources is a page",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/related; boundary=r\n\n"
	  "--r\nContent-Type: text/plain\n\nCover\n"
	  "--r\nContent-Type: image/tiff\nContent-Transfer-Encoding: base64\n\n"
	  TIFF_B64 "\n--r--\n",
	  NULL, NULL, "TI", "Cover\n", NULL },
	{ "related: an unfaxable root still fails",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/related; boundary=r\n\n"
	  "--r\nContent-Type: application/msword\n\nxx\n"
	  "--r\nContent-Type: image/png\n\nPNG\n--r--\n",
	  "5.6.1", "application/msword", NULL, NULL, NULL },
	{ "octet-stream named .TIF",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=\"SCAN.TIF\"\n"
	  "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n",
	  NULL, NULL, "I", NULL, "SCAN.TIF" },
	{ "RFC 2231 file name",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename*=UTF-8''%C3%A9t%C3%A9.tiff\n"
	  "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n",
	  NULL, NULL, "I", NULL, "\xc3\xa9t\xc3\xa9.tiff" },
	{ "signed: the signature is not content",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
	  " micalg=sha-256; boundary=s\n\n"
	  "--s\nContent-Type: text/plain\n\nSigned text\n"
	  "--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
	  "Content-Transfer-Encoding: base64\n\nAAAA\n--s--\n",
	  NULL, NULL, "TS", "Signed text\n", NULL },
	{ "white-space text part is skipped",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/plain\n\n \n\n\t\n"
	  "--m\nContent-Type: image/tiff\nContent-Transfer-Encoding: base64\n\n"
	  TIFF_B64 "\n--m--\n",
	  NULL, NULL, "I", NULL, NULL },
	{ "winmail.dat",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/plain\n\nsee attached\n"
	  "--m\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\n"
	  "Content-Transfer-Encoding: base64\n\neJ8+IhAA\n--m--\n",
	  "5.6.1", "winmail.dat", NULL, NULL, NULL },
	{ "word document names its type",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: image/tiff\nContent-Transfer-Encoding: base64\n\n"
	  TIFF_B64 "\n"
	  "--m\nContent-Type: application/msword; name=\"letter.doc\"\n\nxx\n--m--\n",
	  "5.6.1", "application/msword", NULL, NULL, NULL },
	{ "office documents by type, by name, RTF",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: application/octet-stream; name=\"Q3.XLSX\"\n"
	  "Content-Transfer-Encoding: base64\n\nUEsDBAoAAAAAAA==\n"
	  "--m\nContent-Type: application/vnd.openxmlformats-officedocument."
	  "wordprocessingml.document\nContent-Transfer-Encoding: base64\n\n"
	  "UEsDBAoAAAAAAA==\n"
	  "--m\nContent-Type: application/rtf\n\n{\\rtf1 x}\n"
	  "--m\nContent-Type: application/vnd.ms-excel; name=old.xls\n"
	  "Content-Transfer-Encoding: base64\n\n0M8R4KGxGuEAAAAA\n--m--\n",
	  NULL, NULL, "OOOO", NULL, "Q3.XLSX" },
	{ "missing boundary parameter",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed\n\n"
	  "--xx\nContent-Type: text/plain\n\nhi\n--xx--\n",
	  "5.6.1", "boundary", NULL, NULL, NULL },
	{ "wrong boundary",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=yy\n\n"
	  "--xx\nContent-Type: text/plain\n\nhi\n--xx--\n",
	  "5.6.1", "boundary", NULL, NULL, NULL },
	{ "corrupt base64",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/tiff; name=x.tif\n"
	  "Content-Transfer-Encoding: base64\n\nSUkq!!AAgAAAA=\n",
	  "5.6.1", "corrupt base64", NULL, NULL, NULL },
	{ "base64 data after padding",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/tiff\n"
	  "Content-Transfer-Encoding: base64\n\nSUkqAA==gAAAA\n",
	  "5.6.1", "corrupt base64", NULL, NULL, NULL },
	{ "tiff that is not a tiff",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/tiff; name=x.tif\n"
	  "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQK\n",
	  "5.6.1", "not a TIFF", NULL, NULL, NULL },
	{ "pdf that is not a pdf",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: application/pdf\n\nhello\n",
	  "5.6.1", "not a PDF", NULL, NULL, NULL },
	{ "unknown transfer encoding",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: text/plain\nContent-Transfer-Encoding: x-rot13\n\nuryyb\n",
	  "5.6.1", "x-rot13", NULL, NULL, NULL },
	{ "forwarded message/rfc822: its headers above its text",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: message/rfc822\n\nFrom: b@example.com\n"
	  "Subject: old one\n\nold\n--m--\n",
	  NULL, NULL, "T", "---------- Forwarded message ----------\n"
	  "From: b@example.com\nSubject: old one\n\nold\n", NULL },
	{ "forwarded message with only a PDF: headers, then the PDF",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: message/rfc822\n\nFrom: b@example.com\n"
	  "MIME-Version: 1.0\nContent-Type: application/pdf\n"
	  "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n",
	  NULL, NULL, "TP", "---------- Forwarded message ----------\n"
	  "From: b@example.com\n\n", NULL },
	{ "message/partial cannot be faxed",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: message/partial; id=\"x\"; number=1; total=2\n\nxx\n",
	  "5.6.1", "message/partial", NULL, NULL, NULL },
	{ "html charset from meta",
	  "From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/html\n\n"
	  "<html><head><meta http-equiv=\"Content-Type\" "
	  "content=\"text/html; charset=ISO-8859-5\"></head><body>\xd0</body></html>\n",
	  NULL, NULL, "H", "<body>\xd0\xb0</body>", NULL },   /* not windows-1252's U+00D0 */
	{ "html5 meta charset",
	  "From: a@example.com\nMIME-Version: 1.0\nContent-Type: text/html\n\n"
	  "<meta charset='iso-8859-7'><p>\xe1\xe2</p>\n",
	  NULL, NULL, "H", "<p>\xce\xb1\xce\xb2</p>", NULL },   /* Greek alpha beta */
	{ "png image",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/plain\n\nSee the screenshot.\n"
	  "--m\nContent-Type: image/png; name=\"shot.png\"\n"
	  "Content-Transfer-Encoding: base64\n\n" PNG_B64 "\n--m--\n",
	  NULL, NULL, "TG", "See the screenshot.\n", "shot.png" },
	{ "jpeg as octet-stream named .JPG, and a gif",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=IMG_0001.JPG\n"
	  "Content-Transfer-Encoding: base64\n\n" JPEG_B64 "\n"
	  "--m\nContent-Type: image/gif\n"
	  "Content-Transfer-Encoding: base64\n\n" GIF_B64 "\n--m--\n",
	  NULL, NULL, "GG", NULL, "IMG_0001.JPG" },
	{ "image/png holding a JPEG is read as what it is",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	  JPEG_B64 "\n",
	  NULL, NULL, "G", NULL, NULL },
	{ "png that is no image",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/png; name=x.png\n"
	  "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQK\n",
	  "5.6.1", "not a PNG, JPEG, GIF or BMP image", NULL, NULL, NULL },
	{ "webp is not faxed",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: image/webp; name=x.webp\n\nRIFF\n",
	  "5.6.1", "PNG, JPEG, GIF, BMP", NULL, NULL, NULL },
	{ "empty html part without a charset",
	  "From: a@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/plain\n\nhi\n"
	  "--m\nContent-Type: text/html\n--m--\n",
	  NULL, NULL, "T", "hi\n", NULL },
	{ "nothing to fax",
	  "From: a@example.com\nSubject: empty\n\n\n",
	  "5.6.1", "no text", NULL, NULL, NULL },
	{ "headers only, no body separator",
	  "From: a@example.com\nSubject: none\n",
	  "5.6.1", NULL, NULL, NULL, NULL },
};

static char tmpdir[64];

static void
setup_tmp(void)
{
	g_strlcpy(tmpdir, "/tmp/t37mimeXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_tmp(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* Writes msg (len bytes) to tmpdir/msg.eml and returns its path (static). */
static const char *
write_msg(const char *msg, size_t len)
{
	static char path[128];
	FILE *f;

	g_snprintf(path, sizeof(path), "%s/msg.eml", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(msg, 1, len, f), len);
	fclose(f);
	return path;
}

static size_t
case_len(const struct offramp_case *c)
{
	/* The CRLF/NUL case carries one embedded NUL. */
	if (strstr(c->name, "NUL") != NULL)
		return strlen(c->msg) + 1 + strlen(c->msg + strlen(c->msg) + 1);
	return strlen(c->msg);
}

START_TEST(test_offramp_cases)
{
	const struct offramp_case *c = &offramp_cases[_i];
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m;
	const char *path = write_msg(c->msg, case_len(c));
	size_t i, file0 = (size_t)-1;

	m = mime_offramp_parse_file(path, &opts, &err);
	if (c->status != NULL) {
		ck_assert_msg(m == NULL, "%s: parsed but should fail", c->name);
		ck_assert_str_eq(err.status, c->status);
		ck_assert_msg(err.text[0] != '\0', "%s: no error text", c->name);
		if (c->errword != NULL)
			ck_assert_msg(strstr(err.text, c->errword) != NULL,
			    "%s: error \"%s\" lacks \"%s\"", c->name, err.text, c->errword);
		return;
	}
	ck_assert_msg(m != NULL, "%s: failed: %s %s", c->name, err.status, err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), strlen(c->kinds));
	for (i = 0; i < strlen(c->kinds); i++) {
		const struct mime_part *p = mime_offramp_part(m, i);
		int want = c->kinds[i] == 'T' ? MIME_PART_TEXT :
		    c->kinds[i] == 'I' ? MIME_PART_TIFF :
		    c->kinds[i] == 'G' ? MIME_PART_IMAGE :
		    c->kinds[i] == 'H' ? MIME_PART_HTML :
		    c->kinds[i] == 'O' ? MIME_PART_OFFICE :
		    c->kinds[i] == 'S' ? MIME_PART_SKIPPED : MIME_PART_PDF;

		ck_assert_msg((int)p->kind == want, "%s: part %zu is kind %d, not %c",
		    c->name, i, p->kind, c->kinds[i]);
		ck_assert_ptr_nonnull(p->label);
		ck_assert(g_utf8_validate(p->label, -1, NULL));
		if (p->kind == MIME_PART_TEXT || p->kind == MIME_PART_HTML) {
			ck_assert_ptr_nonnull(p->text);
			ck_assert_uint_eq(strlen(p->text), p->text_len);
			ck_assert(g_utf8_validate(p->text, -1, NULL));
			if (i == 0 && c->text0 != NULL && p->kind == MIME_PART_TEXT)
				ck_assert_str_eq(p->text, c->text0);
			if (i == 0 && c->text0 != NULL && p->kind == MIME_PART_HTML)
				ck_assert_msg(strstr(p->text, c->text0) != NULL, "%s: %s",
				    c->name, p->text);
		} else if (p->kind == MIME_PART_SKIPPED) {
			ck_assert_ptr_nonnull(p->reason);
			ck_assert_ptr_null(p->path);
		} else {
			char *data = NULL;
			gsize len = 0;

			ck_assert_ptr_nonnull(p->path);
			ck_assert(g_file_get_contents(p->path, &data, &len, NULL));
			ck_assert_uint_eq(len, p->size);
			if (p->kind == MIME_PART_TIFF)
				ck_assert(len == 8 && memcmp(data, "II*\0\x08\0\0\0", 8) == 0);
			else if (p->kind == MIME_PART_OFFICE)
				ck_assert(p->ext != NULL && g_str_has_suffix(p->path, p->ext));
			else if (p->kind == MIME_PART_IMAGE)
				/* named by what the content is */
				ck_assert((memcmp(data, "\x89PNG", 4) == 0 &&
				    g_str_has_suffix(p->path, ".png")) ||
				    (memcmp(data, "\xff\xd8\xff", 3) == 0 &&
				    g_str_has_suffix(p->path, ".jpg")) ||
				    (memcmp(data, "GIF89a", 6) == 0 &&
				    g_str_has_suffix(p->path, ".gif")));
			else
				ck_assert(len >= 5 && memcmp(data, "%PDF-", 5) == 0);
			g_free(data);
			if (file0 == (size_t)-1)
				file0 = i;
		}
	}
	ck_assert_ptr_null(mime_offramp_part(m, i));
	if (c->filename0 != NULL) {
		ck_assert(file0 != (size_t)-1);
		ck_assert_str_eq(mime_offramp_part(m, file0)->filename, c->filename0);
	}
	mime_offramp_free(m);
}
END_TEST

START_TEST(test_offramp_headers)
{
	static const char msg[] =
	    "Return-Path: <alice@example.com>\n"
	    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\n"
	    "To: FAX=+19195551234@fax.example.com\n"
	    "Subject: =?UTF-8?B?w6l0w6k=?= report\n"
	    "Date: Mon, 23 Nov 2026 14:05:00 +0000\n"
	    "Message-ID: <abc.123@example.com>\n"
	    "Disposition-Notification-To: Alice <alice@example.com>\n"
	    "X-Eight: caf\xe9\n"
	    "\n"
	    "Body\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m = mime_offramp_parse_file(write_msg(msg, strlen(msg)),
	    &opts, &err);

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(mime_offramp_from(m), "Andr\xc3\xa9 <andre@example.com>");
	ck_assert_str_eq(mime_offramp_to(m), "FAX=+19195551234@fax.example.com");
	ck_assert_str_eq(mime_offramp_subject(m), "\xc3\xa9t\xc3\xa9 report");
	ck_assert_str_eq(mime_offramp_date(m), "Mon, 23 Nov 2026 14:05:00 +0000");
	ck_assert_int_eq(mime_offramp_date_time(m), 1795442700);
	ck_assert_str_eq(mime_offramp_message_id(m), "<abc.123@example.com>");
	ck_assert_int_eq(mime_offramp_dnt_count(m), 1);
	ck_assert_str_eq(mime_offramp_dnt_addr(m), "alice@example.com");
	ck_assert_str_eq(mime_offramp_return_path(m), "alice@example.com");
	ck_assert_int_eq(mime_offramp_is_report(m), 0);
	/* The block as received, 8-bit octets masked, no body. */
	ck_assert_ptr_nonnull(strstr(mime_offramp_headers(m),
	    "Subject: =?UTF-8?B?w6l0w6k=?= report\n"));
	ck_assert_ptr_nonnull(strstr(mime_offramp_headers(m), "X-Eight: caf?\n"));
	ck_assert_ptr_null(strstr(mime_offramp_headers(m), "Body"));
	mime_offramp_free(m);
}
END_TEST

START_TEST(test_offramp_headers_dnt_rules)
{
	static const char two[] =
	    "From: a@example.com\n"
	    "Disposition-Notification-To: a@example.com, b@example.com\n"
	    "Return-Path: <>\n\nx\n";
	static const char twice[] =
	    "From: a@example.com\n"
	    "Disposition-Notification-To: a@example.com\n"
	    "Disposition-Notification-To: a@example.com\n\nx\n";
	static const char report[] =
	    "From: MAILER-DAEMON@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
	    "--r\nContent-Type: text/plain\n\nfailed\n--r--\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m;

	m = mime_offramp_parse_file(write_msg(two, strlen(two)), &opts, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mime_offramp_dnt_count(m), 2);
	ck_assert_ptr_null(mime_offramp_dnt_addr(m));
	ck_assert_str_eq(mime_offramp_return_path(m), "");
	ck_assert_ptr_null(mime_offramp_subject(m));
	ck_assert_ptr_null(mime_offramp_message_id(m));
	mime_offramp_free(m);

	m = mime_offramp_parse_file(write_msg(twice, strlen(twice)), &opts, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mime_offramp_dnt_count(m), 2);
	ck_assert_ptr_null(mime_offramp_dnt_addr(m));
	ck_assert_ptr_null(mime_offramp_return_path(m));
	mime_offramp_free(m);

	m = mime_offramp_parse_file(write_msg(report, strlen(report)), &opts, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mime_offramp_is_report(m), 1);
	mime_offramp_free(m);
}
END_TEST

START_TEST(test_offramp_limits)
{
	struct mime_offramp_opts opts = { .out_dir = tmpdir, .max_part_bytes = 4 };
	struct mime_error err;
	GString *deep = g_string_new("From: a@example.com\nMIME-Version: 1.0\n");
	static const char tiff[] =
	    "From: a@example.com\nMIME-Version: 1.0\nContent-Type: image/tiff\n"
	    "Content-Transfer-Encoding: base64\n\n" TIFF_B64 "\n";
	int i;

	ck_assert_ptr_null(mime_offramp_parse_file(write_msg(tiff, strlen(tiff)),
	    &opts, &err));
	ck_assert_str_eq(err.status, "5.3.4");

	for (i = 0; i < MIME_OFFRAMP_MAX_DEPTH + 4; i++)
		g_string_append_printf(deep, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(deep, "Content-Type: text/plain\n\ndeep\n");
	opts.max_part_bytes = 0;
	ck_assert_ptr_null(mime_offramp_parse_file(write_msg(deep->str, deep->len),
	    &opts, &err));
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_ptr_nonnull(strstr(err.text, "nested"));
	g_string_free(deep, TRUE);

	ck_assert_ptr_null(mime_offramp_parse_file("/nonexistent/msg.eml", &opts, &err));
	ck_assert_str_eq(err.status, "4.3.0");
}
END_TEST

/* A hostile header line: cut in the kept block, never a crash. */
START_TEST(test_offramp_long_header)
{
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	GString *msg = g_string_new("From: a@example.com\nX-Long: ");
	struct mime_offramp *m;
	const char *h;
	int i;

	for (i = 0; i < 200000; i++)
		g_string_append_c(msg, 'x');
	g_string_append(msg, "\nSubject: after\n\nBody\n");
	m = mime_offramp_parse_file(write_msg(msg->str, msg->len), &opts, &err);
	ck_assert_msg(m != NULL, "%s", err.text);
	h = mime_offramp_headers(m);
	ck_assert_uint_le(strlen(h), MIME_OFFRAMP_MAX_HEADERS);
	ck_assert_ptr_nonnull(strstr(h, "Subject: after\n"));
	ck_assert_str_eq(mime_offramp_subject(m), "after");
	mime_offramp_free(m);
	g_string_free(msg, TRUE);
}
END_TEST

START_TEST(test_offramp_allow_empty)
{
	static const char msg[] = "From: a@example.com\nSubject: cover only\n\n\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir, .allow_empty = 1 };
	struct mime_error err;
	struct mime_offramp *m = mime_offramp_parse_file(write_msg(msg, strlen(msg)),
	    &opts, &err);

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(mime_offramp_nparts(m), 0);
	ck_assert_str_eq(mime_offramp_subject(m), "cover only");
	mime_offramp_free(m);
}
END_TEST

/* An HTML part without a charset and without a body: GMime hands over no
 * bytes at all (found by fuzz_mime_offramp; crashed the parser). */
START_TEST(test_offramp_empty_html_part)
{
	static const char msg[] = "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n--m\n"
	    "Content-Type: text/html; charset=iso-8859-1\n\n<p>x</p>\n--m\n"
	    "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n--m--\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir, .allow_empty = 1 };
	struct mime_error err;
	struct mime_offramp *m = mime_offramp_parse_file(write_msg(msg, strlen(msg)),
	    &opts, &err);

	if (m != NULL)
		mime_offramp_free(m);
	else
		ck_assert(err.status[0] == '4' || err.status[0] == '5');
}
END_TEST

/* A forward as Thunderbird and Outlook send it: the note, then the
 * forwarded message's headers above its HTML and its attachment, each
 * named in the DSN as being in it. */
START_TEST(test_offramp_forward)
{
	static const char msg[] =
	    "From: a@example.com\nMIME-Version: 1.0\nSubject: Fwd: Order\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nSee below.\n"
	    "--m\nContent-Type: message/rfc822\nContent-Disposition: attachment; "
	    "filename=\"Order.eml\"\n\n"
	    "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>\nTo: sales@example.com\n"
	    "Cc: boss@example.com\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n"
	    "Subject: Order 42\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=i\n\n"
	    "--i\nContent-Type: text/html; charset=utf-8\n\n<p>One box</p>\n"
	    "--i\nContent-Type: application/pdf; name=order.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n" PDF_B64 "\n--i--\n--m--\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m = mime_offramp_parse_file(write_msg(msg, strlen(msg)),
	    &opts, &err);
	const struct mime_part *p;

	ck_assert_msg(m != NULL, "%s", err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), 3);
	p = mime_offramp_part(m, 0);
	ck_assert_str_eq(p->label, "the text");
	p = mime_offramp_part(m, 1);
	ck_assert_int_eq(p->kind, MIME_PART_HTML);
	ck_assert_str_eq(p->label, "the forwarded message \"Order 42\": the HTML text");
	ck_assert_str_eq(p->preface, "---------- Forwarded message ----------\n"
	    "From: J\xc3\xbcrgen <j@example.com>\nTo: sales@example.com\n"
	    "Cc: boss@example.com\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n"
	    "Subject: Order 42\n\n");
	p = mime_offramp_part(m, 2);
	ck_assert_int_eq(p->kind, MIME_PART_PDF);
	ck_assert_str_eq(p->label, "the forwarded message \"Order 42\": the "
	    "attachment \"order.pdf\" (application/pdf)");
	/* the outer message's facts are its own */
	ck_assert_str_eq(mime_offramp_subject(m), "Fwd: Order");
	mime_offramp_free(m);
}
END_TEST

/* Forwards in forwards: each one's headers, up to the limit. */
START_TEST(test_offramp_forward_nested)
{
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m;
	GString *msg = g_string_new("From: a@example.com\nMIME-Version: 1.0\n");
	int i;

	for (i = 0; i < 2; i++)
		g_string_append_printf(msg, "Content-Type: message/rfc822\n\n"
		    "From: f%d@example.com\nSubject: level %d\nMIME-Version: 1.0\n", i, i);
	g_string_append(msg, "Content-Type: text/plain\n\ninnermost\n");
	m = mime_offramp_parse_file(write_msg(msg->str, msg->len), &opts, &err);
	ck_assert_msg(m != NULL, "%s", err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), 1);
	ck_assert_str_eq(mime_offramp_part(m, 0)->text,
	    "---------- Forwarded message ----------\nFrom: f0@example.com\n"
	    "Subject: level 0\n\n---------- Forwarded message ----------\n"
	    "From: f1@example.com\nSubject: level 1\n\ninnermost\n");
	ck_assert_str_eq(mime_offramp_part(m, 0)->label,
	    "the forwarded message \"level 1\": the text");
	mime_offramp_free(m);

	g_string_assign(msg, "From: a@example.com\nMIME-Version: 1.0\n");
	for (i = 0; i < MIME_OFFRAMP_MAX_FORWARDS + 1; i++)
		g_string_append(msg, "Content-Type: message/rfc822\n\n"
		    "From: f@example.com\nMIME-Version: 1.0\n");
	g_string_append(msg, "Content-Type: text/plain\n\ninnermost\n");
	ck_assert_ptr_null(mime_offramp_parse_file(write_msg(msg->str, msg->len),
	    &opts, &err));
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_ptr_nonnull(strstr(err.text, "forwarded messages are nested"));
	g_string_free(msg, TRUE);
}
END_TEST

/* Outlook's related(alternative(plain, html), logo, style sheet): the
 * HTML takes the logo (Content-ID and Content-Location kept), the style
 * sheet is listed, the text alternative is not used. */
START_TEST(test_offramp_related_resources)
{
	static const char msg[] =
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/related; boundary=r; type=\"multipart/alternative\"\n\n"
	    "--r\nContent-Type: multipart/alternative; boundary=a\n\n"
	    "--a\nContent-Type: text/plain\n\nRegards\n"
	    "--a\nContent-Type: text/html\n\n<p>Regards<img src=\"cid:image001.png@01DB\"></p>\n"
	    "--a--\n"
	    "--r\nContent-Type: image/png; name=image001.png\n"
	    "Content-ID: <image001.png@01DB>\nContent-Location: image001.png\n"
	    "Content-Transfer-Encoding: base64\n\n" PNG_B64 "\n"
	    "--r\nContent-Type: text/css\n\np { }\n--r--\n";
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m = mime_offramp_parse_file(write_msg(msg, strlen(msg)),
	    &opts, &err);
	const struct mime_part *p;

	ck_assert_msg(m != NULL, "%s", err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), 2);
	p = mime_offramp_part(m, 0);
	ck_assert_int_eq(p->kind, MIME_PART_HTML);
	ck_assert_uint_eq(p->nres, 1);
	ck_assert_str_eq(p->res[0].cid, "image001.png@01DB");
	ck_assert_str_eq(p->res[0].location, "image001.png");
	ck_assert_str_eq(p->res[0].type, "image/png");
	ck_assert_str_eq(p->res[0].label, "the attachment \"image001.png\" (image/png)");
	ck_assert_int_eq(access(p->res[0].path, R_OK), 0);
	p = mime_offramp_part(m, 1);
	ck_assert_int_eq(p->kind, MIME_PART_SKIPPED);
	ck_assert_int_eq(p->lossy, 0);
	ck_assert_str_eq(p->type, "text/css");
	mime_offramp_free(m);

	/* `fax send alternative text`: the plain one; the logo then is a
	 * page of its own, after it */
	opts.prefer_text = 1;
	m = mime_offramp_parse_file(write_msg(msg, strlen(msg)), &opts, &err);
	ck_assert_msg(m != NULL, "%s", err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), 3);
	ck_assert_int_eq(mime_offramp_part(m, 0)->kind, MIME_PART_TEXT);
	ck_assert_int_eq(mime_offramp_part(m, 1)->kind, MIME_PART_IMAGE);
	ck_assert_uint_gt(mime_offramp_part(m, 1)->size, 0);
	mime_offramp_free(m);
}
END_TEST

/* ---- charsets ---- */

static const struct {
	const char *in;
	const char *charset;
	const char *out;
} charset_cases[] = {
	{ "caf\xe9", "iso-8859-1", "caf\xc3\xa9" },
	{ "caf\xe9", "latin1", "caf\xc3\xa9" },
	{ "\xa4", "iso-8859-15", "\xe2\x82\xac" },
	{ "\x93q\x94", "windows-1252", "\xe2\x80\x9cq\xe2\x80\x9d" },
	{ "caf\xe9", "x-no-such-charset", "caf\xc3\xa9" },
	{ "caf\xc3\xa9", NULL, "caf\xc3\xa9" },
	{ "caf\xc3\xa9", "us-ascii", "caf\xc3\xa9" },
	{ "bad\xff" "utf8", "utf-8", "bad\xef\xbf\xbdutf8" },
	{ "\x1b$B$3$s\x1b(B", "iso-2022-jp", "\xe3\x81\x93\xe3\x82\x93" },
	{ "\xb0\xa1", "euc-kr", "\xea\xb0\x80" },
	{ "a\r\nb\rc\x01\x7f" "d\fe", "us-ascii", "a\nb\nc\x7f" "d\fe" },
};

START_TEST(test_text_to_utf8)
{
	size_t len = 0;
	char *t = mime_text_to_utf8(charset_cases[_i].in, strlen(charset_cases[_i].in),
	    charset_cases[_i].charset, &len);

	ck_assert_str_eq(t, charset_cases[_i].out);
	ck_assert_uint_eq(len, strlen(t));
	g_free(t);
}
END_TEST

Suite *
suite_mime_offramp(void)
{
	Suite *s = suite_create("mime_offramp");
	TCase *tc = tcase_create("parse");
	TCase *tt = tcase_create("text");

	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_loop_test(tc, test_offramp_cases, 0, G_N_ELEMENTS(offramp_cases));
	tcase_add_test(tc, test_offramp_headers);
	tcase_add_test(tc, test_offramp_headers_dnt_rules);
	tcase_add_test(tc, test_offramp_limits);
	tcase_add_test(tc, test_offramp_allow_empty);
	tcase_add_test(tc, test_offramp_long_header);
	tcase_add_test(tc, test_offramp_empty_html_part);
	tcase_add_test(tc, test_offramp_forward);
	tcase_add_test(tc, test_offramp_forward_nested);
	tcase_add_test(tc, test_offramp_related_resources);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tt, test_text_to_utf8, 0, G_N_ELEMENTS(charset_cases));
	suite_add_tcase(s, tt);
	return s;
}
