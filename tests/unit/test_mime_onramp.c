/*
 * mime/onramp: the onramp message is built, written, then parsed back with
 * GMime and checked header by header and part by part; the raw text is
 * checked for line lengths (base64 76, headers folded to 78).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <tiffio.h>

#include "mime/mime.h"

struct fixture {
	char dir[64];
	char tiff[128];
	char out[128];
};

static struct fixture fx;

/* A two-page Profile S TIFF (MH, 1728 wide, 204x196). */
static void
make_tiff(const char *path, int pages)
{
	TIFF *t = TIFFOpen(path, "w");
	unsigned char row[216];
	int p, r;

	ck_assert_ptr_nonnull(t);
	for (p = 0; p < pages; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, 64);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, 0);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, pages);
		for (r = 0; r < 64; r++) {
			memset(row, (r + p) % 5 ? 0 : 0x5a, sizeof(row));
			TIFFWriteScanline(t, row, r, 0);
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
}

static void
setup(void)
{
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/t37mime.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.tiff, sizeof(fx.tiff), "%s/fax.tif", fx.dir);
	snprintf(fx.out, sizeof(fx.out), "%s/msg.eml", fx.dir);
	make_tiff(fx.tiff, 2);
	g_mime_init();
}

static void
teardown(void)
{
	unlink(fx.tiff);
	unlink(fx.out);
	rmdir(fx.dir);
}

static struct mime_onramp_info
base_info(void)
{
	struct mime_onramp_info i;

	memset(&i, 0, sizeof(i));
	i.hostname = "gw1.example.com";
	i.call_id = "7f3a21";
	i.job_id = "00000000000007f3";
	i.ani = "9194724118";
	i.dnis = "9913170";
	i.remote_csi = "+1 919 472 4118";
	i.pages = 2;
	i.rate = 14400;
	i.ecm = true;
	i.duration = 48;
	i.result = MIME_ONRAMP_OK;
	i.received = 1795000000;        /* fixed clock */
	i.to = "fax-9913170@example.com";
	i.with_subject = MIME_WITH_SUBJECT_BOTH;
	i.return_receipt_to = "fax-admin@example.com";
	i.tiff_path = fx.tiff;
	return i;
}

/* Writes the message to fx.out; returns the bytes written. */
static long
build(const struct mime_onramp_info *i, char *err, size_t errlen)
{
	int fd = open(fx.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	long n;

	ck_assert_int_ge(fd, 0);
	n = mime_onramp_write(i, fd, err, errlen);
	close(fd);
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static GMimeMessage *
parse(const char *path)
{
	GError *gerr = NULL;
	GMimeStream *st = g_mime_stream_fs_open(path, O_RDONLY, 0, &gerr);
	GMimeParser *p;
	GMimeMessage *m;

	ck_assert_ptr_nonnull(st);
	p = g_mime_parser_new_with_stream(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	ck_assert_ptr_nonnull(m);
	return m;
}

static const char *
hdr(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

START_TEST(headers_as_specified)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	GMimeMessage *m;
	InternetAddressList *from, *to;
	InternetAddress *a;
	const char *rcv;

	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	m = parse(fx.out);
	rcv = hdr(m, "Received");
	ck_assert_ptr_nonnull(rcv);
	ck_assert_ptr_nonnull(strstr(rcv, "from fax (ANI 9194724118 CSI +1 919 472 4118)"));
	ck_assert_ptr_nonnull(strstr(rcv, "by gw1.example.com"));
	ck_assert_ptr_nonnull(strstr(rcv, "id 7f3a21"));
	ck_assert_ptr_nonnull(strstr(rcv, "for <fax-9913170@example.com>;"));
	ck_assert_str_eq(hdr(m, "Subject"), "Incoming Fax[DNIS=9913170][ANI=9194724118]");
	ck_assert_str_eq(hdr(m, "MIME-Version"), "1.0");
	ck_assert_str_eq(hdr(m, "Message-Context"), "fax-message");
	ck_assert_str_eq(hdr(m, "Disposition-Notification-To"), "fax-admin@example.com");
	ck_assert_str_eq(g_mime_message_get_message_id(m),
	    "00000000000007f3.1795000000@gw1.example.com");
	ck_assert_int_eq(g_date_time_to_unix(g_mime_message_get_date(m)), 1795000000);
	ck_assert_str_eq(hdr(m, "X-Fax-Pages"), "2");
	ck_assert_str_eq(hdr(m, "X-Fax-Rate"), "14400");
	ck_assert_str_eq(hdr(m, "X-Fax-ECM"), "yes");
	ck_assert_str_eq(hdr(m, "X-Fax-CSI"), "+1 919 472 4118");
	ck_assert_str_eq(hdr(m, "X-Fax-Duration"), "48");
	ck_assert_str_eq(hdr(m, "X-Fax-Result"), "ok");

	from = g_mime_message_get_from(m);
	ck_assert_int_eq(internet_address_list_length(from), 1);
	a = internet_address_list_get_address(from, 0);
	ck_assert_str_eq(internet_address_get_name(a), "+1 919 472 4118");
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
	    "FAX=+9194724118@gw1.example.com");
	to = g_mime_message_get_to(m);
	ck_assert_int_eq(internet_address_list_length(to), 1);
	a = internet_address_list_get_address(to, 0);
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
	    "fax-9913170@example.com");
	g_object_unref(m);
}
END_TEST

START_TEST(no_mdn_no_dnt_and_fixed_from)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	GMimeMessage *m;
	InternetAddress *a;

	i.return_receipt_to = NULL;
	i.from = "fax-gw@example.com";
	i.remote_csi = "";
	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	m = parse(fx.out);
	ck_assert_ptr_null(hdr(m, "Disposition-Notification-To"));
	ck_assert_ptr_null(hdr(m, "X-Fax-CSI"));
	a = internet_address_list_get_address(g_mime_message_get_from(m), 0);
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
	    "fax-gw@example.com");
	g_object_unref(m);
}
END_TEST

START_TEST(body_parts)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	GMimeMessage *m;
	GMimeObject *body, *p0, *p1;
	GMimeContentType *ct;
	GMimeStream *mem;
	GByteArray *ba;
	char *tiff, *text;
	size_t tlen;

	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	m = parse(fx.out);
	body = g_mime_message_get_mime_part(m);
	ck_assert(GMIME_IS_MULTIPART(body));
	ct = g_mime_object_get_content_type(body);
	ck_assert(g_mime_content_type_is_type(ct, "multipart", "mixed"));
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);

	p0 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	ck_assert(GMIME_IS_TEXT_PART(p0));
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(p0),
	    "text", "plain"));
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(p0));
	ck_assert_ptr_nonnull(strstr(text, "2 pages from +1 919 472 4118 (CSI +1 919 472 4118) received "));
	ck_assert_ptr_nonnull(strstr(text, " at 14400 bit/s with ECM, 48 s."));
	ck_assert_ptr_nonnull(strstr(text, "Called number: 9913170"));
	ck_assert_ptr_null(strstr(text, "PARTIAL"));
	g_free(text);

	p1 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	ck_assert(GMIME_IS_PART(p1));
	ct = g_mime_object_get_content_type(p1);
	ck_assert(g_mime_content_type_is_type(ct, "image", "tiff"));
	ck_assert_str_eq(g_mime_content_type_get_parameter(ct, "name"), "fax.tif");
	ck_assert_str_eq(g_mime_content_type_get_parameter(ct, "application"), "faxbw");
	ck_assert_str_eq(g_mime_part_get_filename(GMIME_PART(p1)), "fax.tif");
	ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(p1)),
	    GMIME_CONTENT_ENCODING_BASE64);

	/* The decoded attachment is the TIFF, byte for byte. */
	mem = g_mime_stream_mem_new();
	ck_assert_int_ge(g_mime_data_wrapper_write_to_stream(
	    g_mime_part_get_content(GMIME_PART(p1)), mem), 0);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	tiff = slurp(fx.tiff, &tlen);
	ck_assert_uint_eq(ba->len, tlen);
	ck_assert_int_eq(memcmp(ba->data, tiff, tlen), 0);
	free(tiff);
	g_object_unref(mem);
	g_object_unref(m);
}
END_TEST

/* The decoded content of a leaf (caller frees). */
static GByteArray *
leaf_bytes(GMimeObject *o)
{
	GByteArray *ba = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(ba);

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	ck_assert_int_ge(g_mime_data_wrapper_write_to_stream(
	    g_mime_part_get_content(GMIME_PART(o)), mem), 0);
	g_object_unref(mem);
	return ba;
}

static const char fake_pdf[] = "%PDF-1.4\n% a fax\n%%EOF\n";
static const unsigned char fake_png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
    0x1a, '\n', 0, 0, 0, 0 };

/* attachment pdf: the PDF replaces the TIFF, named after it. */
START_TEST(attach_pdf_only)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	GMimeMessage *m;
	GMimeObject *body, *p1;
	GByteArray *ba;

	i.attach = MIME_ONRAMP_ATTACH_PDF;
	i.pdf = fake_pdf;
	i.pdf_len = sizeof(fake_pdf) - 1;
	i.filename = "scan.tif";
	ck_assert_msg(build(&i, err, sizeof(err)) > 0, "%s", err);
	m = parse(fx.out);
	body = g_mime_message_get_mime_part(m);
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(GMIME_MULTIPART(body), 0)), "text", "plain"));
	p1 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(p1),
	    "application", "pdf"));
	ck_assert_str_eq(g_mime_part_get_filename(GMIME_PART(p1)), "scan.pdf");
	ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(p1)),
	    GMIME_CONTENT_ENCODING_BASE64);
	ba = leaf_bytes(p1);
	ck_assert_uint_eq(ba->len, sizeof(fake_pdf) - 1);
	ck_assert_int_eq(memcmp(ba->data, fake_pdf, ba->len), 0);
	g_byte_array_free(ba, TRUE);
	g_object_unref(m);
	/* PDF asked for, none given: refused, never a mail without the fax */
	i.pdf = NULL;
	ck_assert_int_eq(build(&i, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no PDF to attach");
}
END_TEST

/* attachment both with a preview: an alternative of the text and an HTML
 * page showing the PNG by Content-ID, then the TIFF, then the PDF. */
START_TEST(attach_both_with_preview)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX], *html, want[160];
	GMimeMessage *m;
	GMimeObject *body, *alt, *rel, *h, *png;
	GMimeContentType *ct;
	GByteArray *ba;
	const char *cid;

	i.attach = MIME_ONRAMP_ATTACH_BOTH;
	i.pdf = fake_pdf;
	i.pdf_len = sizeof(fake_pdf) - 1;
	i.preview_png = fake_png;
	i.preview_len = sizeof(fake_png);
	i.remote_csi = "<b>ACME</b> & Co";
	ck_assert_msg(build(&i, err, sizeof(err)) > 0, "%s", err);
	m = parse(fx.out);
	body = g_mime_message_get_mime_part(m);
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 3);
	alt = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(alt),
	    "multipart", "alternative"));
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(alt)), 2);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(GMIME_MULTIPART(alt), 0)), "text", "plain"));
	rel = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1);
	ct = g_mime_object_get_content_type(rel);
	ck_assert(g_mime_content_type_is_type(ct, "multipart", "related"));
	ck_assert_str_eq(g_mime_content_type_get_parameter(ct, "type"), "text/html");
	h = g_mime_multipart_get_part(GMIME_MULTIPART(rel), 0);
	png = g_mime_multipart_get_part(GMIME_MULTIPART(rel), 1);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(h),
	    "text", "html"));
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(png),
	    "image", "png"));
	cid = g_mime_object_get_content_id(png);
	ck_assert_ptr_nonnull(cid);
	ck_assert_str_eq(cid, "page1.00000000000007f3.1795000000@gw1.example.com");
	ck_assert_str_eq(g_mime_object_get_disposition(png), "inline");
	html = g_mime_text_part_get_text(GMIME_TEXT_PART(h));
	snprintf(want, sizeof(want), "<img src=\"cid:%s\"", cid);
	ck_assert_ptr_nonnull(strstr(html, want));
	/* peer data is escaped, not markup */
	ck_assert_ptr_nonnull(strstr(html, "&lt;b&gt;ACME&lt;/b&gt; &amp; Co"));
	ck_assert_ptr_null(strstr(html, "<b>"));
	g_free(html);
	ba = leaf_bytes(png);
	ck_assert_uint_eq(ba->len, sizeof(fake_png));
	g_byte_array_free(ba, TRUE);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(GMIME_MULTIPART(body), 1)), "image", "tiff"));
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(GMIME_MULTIPART(body), 2)), "application", "pdf"));
	ck_assert_str_eq(g_mime_part_get_filename(GMIME_PART(
	    g_mime_multipart_get_part(GMIME_MULTIPART(body), 2))), "fax.pdf");
	g_object_unref(m);
}
END_TEST

START_TEST(fax_message_mode_and_dated_name)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX], want[64];
	GMimeMessage *m;
	GMimeObject *body, *p1;
	struct tm tm;

	i.mode = MIME_ONRAMP_FAX_MESSAGE;
	i.filename = "Cisco_fax.tif";
	i.filename_date = true;
	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	m = parse(fx.out);
	body = g_mime_message_get_mime_part(m);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(body),
	    "multipart", "fax-message"));
	p1 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	localtime_r(&i.received, &tm);
	strftime(want, sizeof(want), "Cisco_fax-%Y%m%d-%H%M%S.tif", &tm);
	ck_assert_str_eq(g_mime_part_get_filename(GMIME_PART(p1)), want);
	g_object_unref(m);
}
END_TEST

START_TEST(base64_lines_are_76)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	char *raw, *line, *save = NULL, *b64;
	int in_b64 = 0, full = 0, shorter = 0;

	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	raw = slurp(fx.out, NULL);
	b64 = strstr(raw, "Content-Transfer-Encoding: base64\n\n");
	ck_assert_ptr_nonnull(b64);
	for (line = strtok_r(b64, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Content-Transfer-Encoding", 25) == 0) {
			in_b64 = 1;
			continue;
		}
		if (strncmp(line, "--", 2) == 0)
			break;
		ck_assert(in_b64);
		ck_assert_int_le(strlen(line), 76);
		if (strlen(line) == 76)
			full++;
		else
			shorter++;
	}
	ck_assert_int_gt(full, 10);
	ck_assert_int_le(shorter, 1);   /* only the last line is short */
	free(raw);
}
END_TEST

START_TEST(headers_folded)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	char *raw, *line, *save = NULL, *end;
	GMimeMessage *m;
	int folds = 0;

	i.origin_prefix = "incoming fax relayed through the gateway of the third "
	    "floor print room at the west building";
	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	raw = slurp(fx.out, NULL);
	end = strstr(raw, "\n\n");
	ck_assert_ptr_nonnull(end);
	end[1] = '\0';
	for (line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(strlen(line) <= 78, "header line over 78: %s", line);
		if (line[0] == '\t' || line[0] == ' ')
			folds++;
	}
	ck_assert_int_ge(folds, 2);
	free(raw);
	/* Unfolded, the comment is whole again. */
	m = parse(fx.out);
	ck_assert_ptr_nonnull(strstr(hdr(m, "Received"),
	    "(incoming fax relayed through the gateway of the third floor "
	    "print room at the west building)"));
	g_object_unref(m);
}
END_TEST

START_TEST(non_ascii_csi_rfc2047)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	char *raw, *x;
	GMimeMessage *m;
	InternetAddress *a;
	size_t k, hlen;

	/* UTF-8, a control byte, a lone Latin-1 byte, padding spaces. */
	i.remote_csi = "  B\xc3\xbcro M\xc3\xbcller\x01 \xe9  ";
	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	raw = slurp(fx.out, NULL);
	hlen = strstr(raw, "\n\n") - raw;
	for (k = 0; k < hlen; k++)
		ck_assert_msg((unsigned char)raw[k] < 0x80, "8-bit byte in header");
	x = strstr(raw, "\nX-Fax-CSI: =?");
	ck_assert_ptr_nonnull(x);
	free(raw);
	m = parse(fx.out);
	ck_assert_str_eq(hdr(m, "X-Fax-CSI"), "B\xc3\xbcro M\xc3\xbcller \xc3\xa9");
	a = internet_address_list_get_address(g_mime_message_get_from(m), 0);
	ck_assert_str_eq(internet_address_get_name(a), "B\xc3\xbcro M\xc3\xbcller \xc3\xa9");
	/* Received: stays ASCII with the station in a comment. */
	ck_assert_ptr_nonnull(strstr(hdr(m, "Received"), "CSI B??ro M??ller ?" "?)"));
	g_object_unref(m);
}
END_TEST

START_TEST(partial_fax_wording)
{
	struct mime_onramp_info i = base_info();
	char err[MIME_ONRAMP_ERR_MAX];
	GMimeMessage *m;
	GMimeObject *p0;
	char *text;

	i.pages = 1;
	i.result = MIME_ONRAMP_PARTIAL;
	i.reason = "the sender hung up during page 2";
	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	m = parse(fx.out);
	ck_assert_str_eq(hdr(m, "X-Fax-Result"), "partial; the sender hung up during page 2");
	ck_assert_str_eq(hdr(m, "X-Fax-Pages"), "1");
	p0 = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(m)), 0);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(p0));
	ck_assert_ptr_nonnull(strstr(text, "PARTIAL FAX: the call ended before the whole "
	    "fax was received (the sender hung up during page 2)."));
	ck_assert_ptr_nonnull(strstr(text, "1 page from +1 919 472 4118"));
	g_free(text);
	g_object_unref(m);
}
END_TEST

START_TEST(refuses_bad_input)
{
	struct mime_onramp_info i;
	char err[MIME_ONRAMP_ERR_MAX];
	struct stat st;

	i = base_info();
	i.pages = 0;
	err[0] = '\0';
	ck_assert_int_eq(build(&i, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no page"));
	ck_assert_int_eq(stat(fx.out, &st), 0);
	ck_assert_int_eq(st.st_size, 0);        /* nothing written */

	i = base_info();
	i.to = "not-an-address";
	ck_assert_int_eq(build(&i, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "target address"));

	i = base_info();
	i.tiff_path = "/nonexistent/fax.tif";
	ck_assert_int_eq(build(&i, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/fax.tif"));

	i = base_info();
	i.hostname = NULL;
	ck_assert_int_eq(build(&i, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "hostname"));
}
END_TEST

static const struct {
	enum mime_with_subject mode;
	const char *subject;
	const char *want;
} subject_cases[] = {
	{ MIME_WITH_SUBJECT_NONE, NULL, "Incoming Fax" },
	{ MIME_WITH_SUBJECT_DNIS, NULL, "Incoming Fax[DNIS=9913170]" },
	{ MIME_WITH_SUBJECT_ANI, "Fax", "Fax[ANI=9194724118]" },
	{ MIME_WITH_SUBJECT_BOTH, "Fax Message", "Fax Message[DNIS=9913170][ANI=9194724118]" },
};

START_TEST(subject_modes)
{
	struct mime_onramp_info i = base_info();
	char out[256];

	i.with_subject = subject_cases[_i].mode;
	i.subject = subject_cases[_i].subject;
	mime_onramp_subject(&i, out, sizeof(out));
	ck_assert_str_eq(out, subject_cases[_i].want);
	/* Hostile numbers from the line side lose their specials. */
	i.ani = "919\r\n472[4118]";
	i.with_subject = MIME_WITH_SUBJECT_ANI;
	i.subject = NULL;
	mime_onramp_subject(&i, out, sizeof(out));
	ck_assert_str_eq(out, "Incoming Fax[ANI=9194724118]");
}
END_TEST

START_TEST(bounce_wraps_the_fax)
{
	struct mime_onramp_info i = base_info();
	struct mime_onramp_bounce b;
	char err[MIME_ONRAMP_ERR_MAX], bpath[160];
	GMimeMessage *m, *inner;
	GMimeObject *body, *p0, *p1;
	char *text;
	int fd;

	ck_assert_int_gt(build(&i, err, sizeof(err)), 0);
	snprintf(bpath, sizeof(bpath), "%s/bounce.eml", fx.dir);
	memset(&b, 0, sizeof(b));
	b.hostname = "gw1.example.com";
	b.job_id = "00000000000007f3";
	b.postmaster = "postmaster@example.com";
	b.rcpt = "fax-9913170@example.com";
	b.reason = "550 5.1.1 <fax-9913170@example.com>: Recipient address rejected";
	b.when = 1795000100;
	b.msg_path = fx.out;
	fd = open(bpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_gt(mime_onramp_bounce_write(&b, fd, err, sizeof(err)), 0);
	close(fd);
	m = parse(bpath);
	unlink(bpath);
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
	    internet_address_list_get_address(g_mime_message_get_to(m), 0))),
	    "postmaster@example.com");
	body = g_mime_message_get_mime_part(m);
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	p0 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(p0));
	ck_assert_ptr_nonnull(strstr(text, "Reason: 550 5.1.1"));
	ck_assert_ptr_nonnull(strstr(text, "Job: 00000000000007f3"));
	g_free(text);
	p1 = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	ck_assert(GMIME_IS_MESSAGE_PART(p1));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(p1));
	ck_assert_str_eq(g_mime_object_get_header(GMIME_OBJECT(inner), "Subject"),
	    "Incoming Fax[DNIS=9913170][ANI=9194724118]");
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(
	    g_mime_message_get_mime_part(inner))), 2);
	g_object_unref(m);
}
END_TEST

Suite *
suite_mime_onramp(void)
{
	Suite *s = suite_create("mime_onramp");
	TCase *tc = tcase_create("build");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, headers_as_specified);
	tcase_add_test(tc, no_mdn_no_dnt_and_fixed_from);
	tcase_add_test(tc, body_parts);
	tcase_add_test(tc, fax_message_mode_and_dated_name);
	tcase_add_test(tc, attach_pdf_only);
	tcase_add_test(tc, attach_both_with_preview);
	tcase_add_test(tc, base64_lines_are_76);
	tcase_add_test(tc, headers_folded);
	tcase_add_test(tc, non_ascii_csi_rfc2047);
	tcase_add_test(tc, partial_fax_wording);
	tcase_add_test(tc, refuses_bad_input);
	tcase_add_loop_test(tc, subject_modes, 0,
	    sizeof(subject_cases) / sizeof(subject_cases[0]));
	tcase_add_test(tc, bounce_wraps_the_fax);
	suite_add_tcase(s, tc);
	return s;
}
