/*
 * mime/diag: the words of a failure, as DSNs, logs and the job state carry
 * them. Every fixed-size text on the way from a parsed part to a DSN is
 * filled through mime_text_fit(), so that a long diagnostic loses whole
 * words at its end, marked with "...", and never half a MIME type or half
 * a file name; and parts are named the same way everywhere
 * (mime_part_name()).
 *
 * Not here: what the words say (the parser, the renderer and the ladder
 * write them) and the DSN layout (mime/report.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "mime/mime.h"

#define FIT_ELLIPSIS "..."
/* File names longer than this (characters) keep their start and end. */
#define NAME_SHOWN_MAX 60
#define NAME_TAIL 16

char *
mime_text_fit(char *dst, size_t size, const char *src)
{
	size_t len, room, cut;

	if (size == 0)
		return dst;
	if (src == NULL)
		src = "";
	len = strlen(src);
	if (len < size) {
		memmove(dst, src, len + 1);
		return dst;
	}
	if (size <= sizeof(FIT_ELLIPSIS)) {
		dst[0] = '\0';
		return dst;
	}
	/* Room for the text before the ellipsis and its NUL. */
	room = size - sizeof(FIT_ELLIPSIS);
	/* The last blank at or before room ends the last whole word. */
	for (cut = room; cut > 0 && src[cut] != ' '; cut--)
		;
	if (cut == 0) {
		/* One word longer than the buffer: cut on a character
		 * boundary (never inside a UTF-8 sequence). */
		cut = room;
		while (cut > 0 && ((unsigned char)src[cut] & 0xc0) == 0x80)
			cut--;
	}
	while (cut > 0 && (src[cut - 1] == ' ' || src[cut - 1] == ',' ||
	    src[cut - 1] == ';' || src[cut - 1] == ':'))
		cut--;
	memmove(dst, src, cut);
	memcpy(dst + cut, FIT_ELLIPSIS, sizeof(FIT_ELLIPSIS));
	return dst;
}

int
mime_error_set(struct mime_error *err, const char *status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mime_error_vset(err, status, fmt, ap);
	va_end(ap);
	return -1;
}

int
mime_error_vset(struct mime_error *err, const char *status, const char *fmt,
    va_list ap)
{
	char *text = g_strdup_vprintf(fmt, ap);

	mime_text_fit(err->status, sizeof(err->status), status);
	mime_text_fit(err->text, sizeof(err->text), text);
	g_free(text);
	return -1;
}

char *
mime_part_name(const char *type, const char *filename)
{
	char *t, *out;

	/* RFC 6838 4.2 bounds a legitimate type; a longer one is hostile
	 * and is shown fitted (and marked). */
	t = g_malloc(MIME_TYPE_NAME_MAX + 1);
	mime_text_fit(t, MIME_TYPE_NAME_MAX + 1, type ? type : "");
	if (filename == NULL || *filename == '\0') {
		out = g_strdup_printf("a part of type %s", t);
	} else {
		char *valid = g_utf8_make_valid(filename, -1);
		glong n = g_utf8_strlen(valid, -1);
		char *shown;

		if (n > NAME_SHOWN_MAX) {
			/* Keep the start and the end (the extension says what
			 * it is); the middle goes. */
			char *head = g_utf8_substring(valid, 0,
			    NAME_SHOWN_MAX - NAME_TAIL - 3);
			char *tail = g_utf8_substring(valid, n - NAME_TAIL, n);

			shown = g_strconcat(head, FIT_ELLIPSIS, tail, NULL);
			g_free(head);
			g_free(tail);
		} else {
			shown = g_strdup(valid);
		}
		g_strdelimit(shown, "\r\n\t\"", ' ');
		out = g_strdup_printf("the attachment \"%s\" (%s)", shown, t);
		g_free(valid);
		g_free(shown);
	}
	g_free(t);
	return out;
}
