/*
 * gateway/intake/intake_test.h: a hook for tests and fuzzers, kept out of
 * intake.h: a session served on a bufferevent the test made (a pair), as
 * if a client had connected from addr.
 */
#ifndef T37_INTAKE_TEST_H
#define T37_INTAKE_TEST_H

struct bufferevent;
struct intake;

/* smtp_server_attach() on the intake's server: the session id, 0 when it
 * is refused. */
unsigned long long intake_attach(struct intake *in, struct bufferevent *bev,
    const char *addr);

#endif
