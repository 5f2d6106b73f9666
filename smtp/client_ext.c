/*
 * smtp/client_ext: the parts of the client session beyond plain SMTP:
 * STARTTLS (RFC 3207) with the OpenSSL bufferevent filter, AUTH PLAIN and
 * LOGIN (RFC 4954, 4616), EHLO keyword parsing. The message body is in
 * client_body.c, the state machine core in client.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "smtp/client_int.h"
#include "smtp/smtp.h"

void
smtp_client_enter_starttls(struct smtp_client *c)
{
	smtp_client_send(c, "STARTTLS");
}

void
smtp_client_reply_starttls(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2) {
		/* CVE-2011-0411: nothing read in clear counts after this. */
		evbuffer_drain(bufferevent_get_input(c->bev),
		    evbuffer_get_length(bufferevent_get_input(c->bev)));
		smtp_client_enter(c, CS_TLS);
	} else if (c->tls_mode == SMTP_TLS_REQUIRED) {
		smtp_client_fail_reply(c, SMTP_STEP_STARTTLS, r, true);
	} else {
		c->tls_declined = true;         /* opportunistic: go on in clear */
		smtp_client_after_hello(c);
	}
}

void
smtp_client_enter_tls(struct smtp_client *c)
{
	struct bufferevent *tb;
	SSL *ssl = SSL_new(c->tls_ctx);

	if (ssl == NULL)
		goto fail;
	if (c->server_name != NULL) {
		unsigned char addr[16];
		bool is_ip = inet_pton(AF_INET, c->server_name, addr) == 1 ||
		    inet_pton(AF_INET6, c->server_name, addr) == 1;
		int ok = 1;

		if (!is_ip)     /* RFC 6066 3: no literal addresses in SNI */
			SSL_set_tlsext_host_name(ssl, c->server_name);
		if (c->tls_verify)
			ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(ssl), c->server_name)
			    : SSL_set1_host(ssl, c->server_name);
		if (ok != 1) {
			SSL_free(ssl);
			goto fail;
		}
	}
	if (c->tls_verify)
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	tb = bufferevent_openssl_filter_new(c->base, c->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tb == NULL) {
		SSL_free(ssl);
		goto fail;
	}
	smtp_client_attach(c, tb);   /* the filter owns the plain bufferevent */
	{
		struct timeval tv;
		unsigned ms = smtp_client_timeout(c, CS_TLS);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		bufferevent_set_timeouts(tb, &tv, &tv);
	}
	return;
fail:
	smtp_client_fail_layer(c, SMTP_LAYER_TLS, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_TLS, "4.7.5",
	    "cannot set up TLS");
	smtp_client_finish(c);
}

void
smtp_client_enter_auth(struct smtp_client *c)
{
	char plain[2 * CLIENT_CRED_MAX + 3], b64[4 * sizeof(plain) / 3 + 8];
	size_t ul = strlen(c->auth_user), pl = strlen(c->auth_pass);

	if (c->caps.auth_plain) {       /* RFC 4616: authzid NUL authcid NUL passwd */
		c->auth_login = false;
		plain[0] = '\0';
		memcpy(plain + 1, c->auth_user, ul);
		plain[1 + ul] = '\0';
		memcpy(plain + 2 + ul, c->auth_pass, pl);
		smtp_client_b64(plain, ul + pl + 2, b64, sizeof(b64));
		smtp_client_send(c, "AUTH PLAIN %s", b64);
		explicit_bzero(plain, sizeof(plain));
		explicit_bzero(b64, sizeof(b64));
	} else {
		c->auth_login = true;
		smtp_client_send(c, "AUTH LOGIN");
	}
}

void
smtp_client_reply_auth(struct smtp_client *c, const struct client_reply *r)
{
	if (c->auth_login && r->code == 334)
		smtp_client_enter(c, CS_AUTH_USER);
	else if (!c->auth_login && r->code / 100 == 2) {
		c->authed = true;
		smtp_client_after_hello(c);
	} else
		smtp_client_fail_reply(c, SMTP_STEP_AUTH, r, true);
}

void
smtp_client_enter_auth_user(struct smtp_client *c)
{
	char b64[4 * CLIENT_CRED_MAX / 3 + 8];

	smtp_client_b64(c->auth_user, strlen(c->auth_user), b64, sizeof(b64));
	smtp_client_send(c, "%s", b64);
}

void
smtp_client_reply_auth_user(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code == 334)
		smtp_client_enter(c, CS_AUTH_PASS);
	else
		smtp_client_fail_reply(c, SMTP_STEP_AUTH, r, true);
}

void
smtp_client_enter_auth_pass(struct smtp_client *c)
{
	char b64[4 * CLIENT_CRED_MAX / 3 + 8];

	smtp_client_b64(c->auth_pass, strlen(c->auth_pass), b64, sizeof(b64));
	smtp_client_send(c, "%s", b64);
	explicit_bzero(b64, sizeof(b64));
}

void
smtp_client_reply_auth_pass(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2) {
		c->authed = true;
		smtp_client_after_hello(c);
	} else
		smtp_client_fail_reply(c, SMTP_STEP_AUTH, r, true);
}

/* One EHLO keyword line (RFC 5321 4.1.1.1). */
void
smtp_client_cap(struct smtp_client *c, const char *text)
{
	char kw[32];
	size_t k = strcspn(text, " =");
	const char *arg = text[k] ? text + k + 1 : "";

	if (k == 0 || k >= sizeof(kw))
		return;
	memcpy(kw, text, k);
	kw[k] = '\0';
	if (strcasecmp(kw, "PIPELINING") == 0)
		c->caps.pipelining = true;
	else if (strcasecmp(kw, "DSN") == 0)
		c->caps.dsn = true;
	else if (strcasecmp(kw, "STARTTLS") == 0)
		c->caps.starttls = true;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		c->caps.eightbit = true;
	else if (strcasecmp(kw, "SIZE") == 0) {
		c->caps.size = true;
		c->caps.size_max = strtoull(arg, NULL, 10);
	} else if (strcasecmp(kw, "AUTH") == 0) {
		char mechs[256], *m, *save = NULL;
		snprintf(mechs, sizeof(mechs), "%s", arg);
		for (m = strtok_r(mechs, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
			if (strcasecmp(m, "PLAIN") == 0)
				c->caps.auth_plain = true;
			else if (strcasecmp(m, "LOGIN") == 0)
				c->caps.auth_login = true;
		}
	}
}

void
smtp_client_b64(const char *in, size_t len, char *out, size_t size)
{
	if (size < 4 * ((len + 2) / 3) + 1) {
		out[0] = '\0';
		return;
	}
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)len);
}

SSL_CTX *
smtp_client_tls_ctx_new(bool verify, const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	unsigned long e;

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: cannot create a context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (verify) {
		int ok = ca_file && *ca_file
		    ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
		    : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			e = ERR_get_error();
			snprintf(err, errlen, "TLS: cannot load CA %s: %s",
			    ca_file && *ca_file ? ca_file : "(system store)",
			    ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "error");
			SSL_CTX_free(ctx);
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}
