/*
 * libFuzzer target: the server's MAIL FROM / RCPT TO argument parser and
 * the xtext decoder it relies on. The first byte picks the command and the
 * extension flags; the rest is the argument.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/server_int.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_mail m;
	struct smtp_server_rcpt r;
	struct smtp_server_reply reply;
	char arg[SMTP_SERVER_CMDLINE_DEFAULT + 1], buf[SMTP_SERVER_CMDLINE_DEFAULT + 1];
	char out[SMTP_SERVER_CMDLINE_DEFAULT + 1];
	int sel, rc;

	if (size < 1 || size > SMTP_SERVER_CMDLINE_DEFAULT)
		return 0;
	sel = data[0];
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';
	memset(&reply, 0, sizeof(reply));
	if (sel & 0x80) {
		rc = smtp_server_parse_rcpt(arg, sel & 7, &r, buf, sizeof(buf), &reply);
		if (rc == 0 && (strlen(r.to) >= sizeof(buf) || r.to[0] == '<'))
			abort();
		if (rc == -1 && (reply.code < 500 || reply.code > 555))
			abort();
	} else {
		rc = smtp_server_parse_mail(arg, sel & 7, (size_t)(sel & 0x70) << 10, &m, buf,
		    sizeof(buf), &reply);
		if (rc == 0 && m.envid != NULL && strlen(m.envid) > SMTP_ENVID_MAX)
			abort();
		if (rc == -1 && (reply.code < 500 || reply.code > 555))
			abort();
	}
	rc = smtp_xtext_decode(arg, out, sizeof(out));
	if (rc >= 0) {
		char back[3 * sizeof(out)];

		/* decode(encode(x)) == x for whatever decoded */
		if (smtp_xtext_encode(out, (size_t)rc, back, sizeof(back)) < 0 ||
		    smtp_xtext_decode(back, buf, sizeof(buf)) != rc || memcmp(buf, out, (size_t)rc) != 0)
			abort();
	}
	return 0;
}
