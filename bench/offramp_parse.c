/*
 * Benchmark: the offramp parser (mime_offramp_parse_file: structure walk,
 * base64 check, decoding, charset conversion, HTML reduction, TIFF file
 * written) against a reference measured in the same run: GMime alone
 * parsing the same file and decoding every leaf to a null stream, the
 * least any GMime-based parser must do. Prints both rates and the ratio.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime/mime.h"

#define BENCH_ROUNDS 300
#define BENCH_TIFF_BYTES (256 * 1024)

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
decode_all(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	if (GMIME_IS_PART(part)) {
		GMimeStream *null = g_mime_stream_null_new();
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(part));

		if (dw != NULL)
			g_mime_data_wrapper_write_to_stream(dw, null);
		g_object_unref(null);
		(*(int *)data)++;
	}
}

static void
reference_parse(const char *path)
{
	int fd = open(path, O_RDONLY);
	GMimeStream *s = g_mime_stream_fs_new(fd);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	int n = 0;

	g_mime_message_foreach(m, decode_all, &n);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
}

int
main(void)
{
	char dir[] = "/tmp/t37benchXXXXXX", path[64];
	GString *msg = g_string_new(NULL);
	guchar *tiff = g_malloc0(BENCH_TIFF_BYTES);
	char *b64;
	struct mime_offramp_opts opts = { 0 };
	struct mime_error err;
	double t0, ours, ref;
	int i;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	memcpy(tiff, "II*\0\x08\0\0\0", 8);
	for (i = 8; i < BENCH_TIFF_BYTES; i++)
		tiff[i] = (guchar)(i * 7);
	b64 = g_base64_encode(tiff, BENCH_TIFF_BYTES);
	g_string_append(msg, "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\n"
	    "To: FAX=+19195551234@fax.example.com\nSubject: Quarterly figures\n"
	    "Date: Mon, 23 Nov 2026 13:58:00 +0000\nMessage-ID: <b@example.com>\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	    "--a\nContent-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n");
	for (i = 0; i < 60; i++)
		g_string_append(msg, "Caf=E9 cr=E8me figures for the quarter, line after line.\n");
	g_string_append(msg, "--a\nContent-Type: text/html\n\n<p>HTML</p>\n--a--\n"
	    "--m\nContent-Type: image/tiff; name=scan.tif\n"
	    "Content-Transfer-Encoding: base64\n\n");
	{
		int blen = (int)strlen(b64);

		for (i = 0; i < blen; i += 76) {
			g_string_append_len(msg, b64 + i, MIN(76, blen - i));
			g_string_append_c(msg, '\n');
		}
	}
	g_string_append(msg, "--m--\n");
	snprintf(path, sizeof(path), "%s/msg.eml", dir);
	f = fopen(path, "w");
	fwrite(msg->str, 1, msg->len, f);
	fclose(f);
	opts.out_dir = dir;

	g_mime_init();
	reference_parse(path);   /* warm up both */
	mime_offramp_free(mime_offramp_parse_file(path, &opts, &err));

	t0 = now_s();
	for (i = 0; i < BENCH_ROUNDS; i++)
		reference_parse(path);
	ref = BENCH_ROUNDS / (now_s() - t0);
	t0 = now_s();
	for (i = 0; i < BENCH_ROUNDS; i++) {
		struct mime_offramp *m = mime_offramp_parse_file(path, &opts, &err);

		if (m == NULL) {
			fprintf(stderr, "offramp_parse: %s %s\n", err.status, err.text);
			return 1;
		}
		mime_offramp_free(m);
	}
	ours = BENCH_ROUNDS / (now_s() - t0);
	printf("offramp_parse: %.0f messages/s (%zu KiB each: text, HTML, 256 KiB TIFF)\n",
	    ours, msg->len / 1024);
	printf("reference GMime parse + decode: %.0f messages/s\n", ref);
	printf("ratio offramp_parse/reference: %.2f\n", ours / ref);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 1;
	g_free(b64);
	g_free(tiff);
	g_string_free(msg, TRUE);
	return 0;
}
