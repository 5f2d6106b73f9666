/*
 * gateway/mailq/mailq_test.h: a hook for tests and test drivers, kept out
 * of mailq.h: the SMTP client's timeouts are RFC 5321's in the gateway,
 * shortened only where a test waits for one to fire.
 */
#ifndef T37_MAILQ_TEST_H
#define T37_MAILQ_TEST_H

struct mailq;
struct smtp_client_timeouts;

/* Overrides the SMTP client timeouts of the next attempts. NULL: the
 * RFC 5321 defaults again. */
void mailq_set_timeouts(struct mailq *q, const struct smtp_client_timeouts *t);

#endif
