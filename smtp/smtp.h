/*
 * smtp/: ESMTP server and client state machines on libevent bufferevents,
 * and the small codecs both sides share (xtext of RFC 3461). No policy
 * lives here: the server asks its owner (gateway/) through callbacks, the
 * client is told what to send by its owner.
 */
#ifndef T37_SMTP_H
#define T37_SMTP_H

#include <stddef.h>

/* ---- shared codecs ---------------------------------------------------- */

/* Longest ENVID / ORCPT value accepted (RFC 3461 4.4, 4.2), in xtext form. */
#define SMTP_ENVID_MAX 100
#define SMTP_ORCPT_MAX 500

/*
 * RFC 3461 4 xtext: '+', '=' and octets outside 33..126 become "+XX"
 * (upper-case hex). Encodes len bytes of in into out (NUL-terminated).
 * Returns the encoded length, or -1 when out (size bytes) is too small.
 */
int smtp_xtext_encode(const char *in, size_t len, char *out, size_t size);
/*
 * Decodes xtext; returns the decoded length (out NUL-terminated), or -1 when
 * the input is not valid xtext (a bare '+' / '=' , a bad or lower-case hex
 * pair, an octet outside 33..126) or out is too small.
 */
int smtp_xtext_decode(const char *in, char *out, size_t size);

/* ---- server (smtp/server*.c) ------------------------------------------ */

/* ---- client (smtp/client*.c) ------------------------------------------ */

#endif
