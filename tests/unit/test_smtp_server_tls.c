/*
 * Session tests of smtp/server's STARTTLS in memory: the server's OpenSSL
 * filter and a client's OpenSSL filter over a bufferevent pair whose
 * callbacks are deferred, so what the client writes right behind its
 * handshake arrives in the same read as its Finished message (as GnuTLS
 * clients send EHLO). A self-signed certificate is made in memory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "smtp/smtp.h"
#include "tests/unit/smtp_server_harness.h"

struct tls_h {
	struct event_base *base;
	struct bufferevent *pair[2];
	struct bufferevent *ctls;       /* the client's filter over pair[1] */
	struct smtp_server *srv;
	SSL_CTX *sctx, *cctx;
	struct harness rx;              /* what the client received (out, closed) */
	int connected;
};

static void
t_connect(void *arg, const struct smtp_server_client *c, void **udata,
    struct smtp_server_reply *r)
{
	(void)c, (void)r;
	*udata = arg;
}

static void
t_mail(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_mail *m, struct smtp_server_reply *r)
{
	(void)arg, (void)udata, (void)c, (void)m, (void)r;
}

static void
t_rcpt(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r)
{
	(void)arg, (void)udata, (void)c, (void)rc, (void)r;
}

static void
t_data_start(void *arg, void *udata, const struct smtp_server_client *c,
    struct smtp_server_reply *r)
{
	(void)arg, (void)udata, (void)c, (void)r;
}

static void
t_data_chunk(void *arg, void *udata, const char *buf, size_t len)
{
	(void)arg, (void)udata, (void)buf, (void)len;
}

static int
t_data_end(void *arg, void *udata, const struct smtp_server_client *c, size_t size,
    struct smtp_server_reply *r)
{
	(void)arg, (void)udata, (void)c, (void)size;
	smtp_server_reply_set(r, 250, "2.0.0", "Ok: queued as T1");
	return 0;
}

static void
t_data_abort(void *arg, void *udata)
{
	(void)arg, (void)udata;
}

static const struct smtp_server_callbacks t_cb = {
	t_connect, NULL, t_mail, t_rcpt, t_data_start, t_data_chunk, t_data_end,
	t_data_abort, NULL,
};

/* A P-256 key and a self-signed certificate for CN=gw.test. */
static SSL_CTX *
server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"gw.test",
	    -1, -1, 0);
	X509_set_issuer_name(x, n);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static void
c_read(struct bufferevent *bev, void *arg)
{
	client_read(bev, &((struct tls_h *)arg)->rx);
}

static void
c_event(struct bufferevent *bev, short what, void *arg)
{
	struct tls_h *h = arg;

	if (what & BEV_EVENT_CONNECTED)
		h->connected = 1;
	client_event(bev, what, &h->rx);
}

/* Runs the loop until want is in the output (or 2 s pass). */
static void
tls_wait(struct tls_h *h, const char *want)
{
	struct timeval tv = { 0, 10000 };
	int i;

	for (i = 0; i < 200 && strstr(h->rx.out, want) == NULL && !h->rx.closed; i++) {
		event_base_loopexit(h->base, &tv);
		event_base_dispatch(h->base);
	}
}

static void
tls_setup(struct tls_h *h, int version)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .cmd_timeout = 10,
		.data_timeout = 10 };
	SSL *ssl;

	memset(h, 0, sizeof(*h));
	log_set_level(LOG_LVL_ERR);
	h->base = event_base_new();
	h->sctx = server_ctx();
	SSL_CTX_set_min_proto_version(h->sctx, version);
	SSL_CTX_set_max_proto_version(h->sctx, version);
	opt.tls = (struct ssl_ctx_st *)h->sctx;
	h->srv = smtp_server_new(h->base, &opt, &t_cb, h);
	ck_assert_ptr_nonnull(h->srv);
	ck_assert_int_eq(bufferevent_pair_new(h->base, BEV_OPT_DEFER_CALLBACKS, h->pair), 0);
	bufferevent_setcb(h->pair[1], c_read, NULL, c_event, h);
	bufferevent_enable(h->pair[1], EV_READ | EV_WRITE);
	ck_assert(smtp_server_attach(h->srv, h->pair[0], "192.0.2.1") != 0);
	bufferevent_write(h->pair[1], "EHLO c.test\r\nSTARTTLS\r\n", 23);
	tls_wait(h, "220 2.0.0 Ready");
	ck_assert_ptr_nonnull(strstr(h->rx.out, "220 2.0.0 Ready to start TLS\r\n"));
	/* the client's filter takes over the plain end */
	h->cctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(h->cctx, version);
	SSL_CTX_set_max_proto_version(h->cctx, version);
	ssl = SSL_new(h->cctx);
	h->ctls = bufferevent_openssl_filter_new(h->base, h->pair[1], ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	ck_assert_ptr_nonnull(h->ctls);
	bufferevent_setcb(h->ctls, c_read, NULL, c_event, h);
	bufferevent_enable(h->ctls, EV_READ | EV_WRITE);
	clear(&h->rx);
}

static void
tls_teardown(struct tls_h *h)
{
	struct timeval tv = { 0, 10000 };

	smtp_server_free(h->srv);
	bufferevent_free(h->ctls);      /* and pair[1] under it */
	event_base_loopexit(h->base, &tv);
	event_base_dispatch(h->base);
	event_base_free(h->base);
	SSL_CTX_free(h->sctx);
	SSL_CTX_free(h->cctx);
}

static const int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION };

/*
 * EHLO written before the handshake ends goes out right behind the
 * client's Finished. The server must answer it without waiting for more
 * bytes (before the fix it stayed unread until the client's timeout).
 */
START_TEST(test_command_with_handshake)
{
	struct tls_h h;

	tls_setup(&h, versions[_i]);
	bufferevent_write(h.ctls, "EHLO c.test\r\n", 13);
	tls_wait(&h, "250 ENHANCEDSTATUSCODES\r\n");
	ck_assert_int_eq(h.connected, 1);
	ck_assert_ptr_nonnull(strstr(h.rx.out, "250-gw.test\r\n"));
	ck_assert_ptr_nonnull(strstr(h.rx.out, "250 ENHANCEDSTATUSCODES\r\n"));
	ck_assert_ptr_null(strstr(h.rx.out, "STARTTLS"));  /* not offered twice */
	tls_teardown(&h);
}
END_TEST

/* A whole pipelined transaction right behind the handshake. */
START_TEST(test_transaction_with_handshake)
{
	static const char txn[] = "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n"
	    "RCPT TO:<FAX=+19195551234@fax.test>\r\nDATA\r\n"
	    "Subject: t\r\n\r\nbody\r\n.\r\nQUIT\r\n";
	struct tls_h h;

	tls_setup(&h, versions[_i]);
	bufferevent_write(h.ctls, txn, sizeof(txn) - 1);
	tls_wait(&h, "221 2.0.0");
	ck_assert_ptr_nonnull(strstr(h.rx.out, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 "));
	ck_assert_ptr_nonnull(strstr(h.rx.out, "250 2.0.0 Ok: queued as T1\r\n221 2.0.0 gw.test Bye\r\n"));
	tls_teardown(&h);
}
END_TEST

/* And a command after a pause, the case that always worked. */
START_TEST(test_command_after_handshake)
{
	struct tls_h h;

	tls_setup(&h, versions[_i]);
	tls_wait(&h, "never");
	ck_assert_int_eq(h.connected, 1);
	ck_assert_str_eq(h.rx.out, "");
	bufferevent_write(h.ctls, "NOOP\r\n", 6);
	tls_wait(&h, "250 2.0.0 Ok\r\n");
	ck_assert_str_eq(h.rx.out, "250 2.0.0 Ok\r\n");
	tls_teardown(&h);
}
END_TEST

/*
 * A session whose client asked for STARTTLS and then stalled is shed like
 * any idle one, and goes at once: no 421 can be sent in clear or through a
 * TLS that never came up, so its socket must not wait for one to drain.
 */
START_TEST(test_stalled_handshake_shed)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 1 };
	struct harness rx1, rx2;
	struct bufferevent *p1[2], *p2[2];
	struct event_base *base = event_base_new();
	struct smtp_server *srv;
	SSL_CTX *ctx = server_ctx();
	struct timeval tv = { 0, 20000 };
	int i;

	log_set_level(LOG_LVL_ERR);
	memset(&rx1, 0, sizeof(rx1));
	memset(&rx2, 0, sizeof(rx2));
	opt.tls = (struct ssl_ctx_st *)ctx;
	srv = smtp_server_new(base, &opt, &t_cb, NULL);
	ck_assert_int_eq(bufferevent_pair_new(base, 0, p1), 0);
	bufferevent_setcb(p1[1], client_read, NULL, client_event, &rx1);
	bufferevent_enable(p1[1], EV_READ | EV_WRITE);
	ck_assert(smtp_server_attach(srv, p1[0], "192.0.2.1") != 0);
	bufferevent_write(p1[1], "EHLO c.test\r\nSTARTTLS\r\n", 23);
	for (i = 0; i < (SMTP_SERVER_SHED_IDLE * 1000 + 300) / 20; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	ck_assert_ptr_nonnull(strstr(rx1.out, "220 2.0.0 Ready to start TLS\r\n"));
	ck_assert_int_eq(bufferevent_pair_new(base, 0, p2), 0);
	bufferevent_setcb(p2[1], client_read, NULL, client_event, &rx2);
	bufferevent_enable(p2[1], EV_READ | EV_WRITE);
	ck_assert(smtp_server_attach(srv, p2[0], "192.0.2.2") != 0);
	for (i = 0; i < 5; i++) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	ck_assert_str_eq(rx2.out, "220 gw.test ESMTP t37gw\r\n");
	ck_assert_ptr_null(strstr(rx1.out, "421"));
	ck_assert_uint_eq(smtp_server_sessions(srv), 1);        /* the victim is gone */
	smtp_server_free(srv);
	bufferevent_free(p1[1]);
	bufferevent_free(p2[1]);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	event_base_free(base);
	SSL_CTX_free(ctx);
}
END_TEST

Suite *
suite_smtp_server_tls(void)
{
	Suite *s = suite_create("smtp_server_tls");
	TCase *tc = tcase_create("starttls");

	tcase_add_loop_test(tc, test_command_with_handshake, 0, 2);
	tcase_add_loop_test(tc, test_transaction_with_handshake, 0, 2);
	tcase_add_loop_test(tc, test_command_after_handshake, 0, 2);
	tcase_add_test(tc, test_stalled_handshake_shed);
	suite_add_tcase(s, tc);
	return s;
}
