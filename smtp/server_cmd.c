/*
 * smtp/server_cmd: the server's command table and handlers (RFC 5321 4.1,
 * RFC 3207 STARTTLS, RFC 4954 AUTH). Each command is {name, flags,
 * check_fn, proceed_fn}: the generic flags (sequence, arguments) are checked
 * first, then check_fn refuses with a reply or proceed_fn does the work.
 * Dispatch goes only through the table. Sessions, I/O and DATA are in
 * server.c; what to accept is the owner's (callbacks).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <openssl/evp.h>

#include "util/log.h"
#include "smtp/server_int.h"

/* Command flags. */
#define CMD_HELO     0x01       /* needs EHLO/HELO first */
#define CMD_TXN      0x02       /* needs MAIL first */
#define CMD_NOTXN    0x04       /* not inside a transaction */
#define CMD_NOARG    0x08       /* takes no argument */
#define CMD_ARG      0x10       /* needs an argument */
#define CMD_CLOSE    0x20       /* refused and closed (HTTP verbs) */
#define CMD_JUNK     0x40       /* moves nothing: counted, not progress */

/* Longest decoded AUTH response (RFC 4954 4: 12288 octet lines; ours is
 * bounded by the command line limit). */
#define AUTH_DECODED_MAX SMTP_SERVER_CMDLINE_DEFAULT

struct smtp_cmd {
	const char *name;
	int flags;
	int (*check)(struct smtp_session *s, const char *arg);  /* 0 ok, -1 replied */
	void (*proceed)(struct smtp_session *s, char *arg);
};

static int check_helo(struct smtp_session *s, const char *arg);
static int check_starttls(struct smtp_session *s, const char *arg);
static int check_auth(struct smtp_session *s, const char *arg);
static int check_mail(struct smtp_session *s, const char *arg);
static int check_rcpt(struct smtp_session *s, const char *arg);
static int check_data(struct smtp_session *s, const char *arg);
static void cmd_helo(struct smtp_session *s, char *arg);
static void cmd_ehlo(struct smtp_session *s, char *arg);
static void cmd_starttls(struct smtp_session *s, char *arg);
static void cmd_auth(struct smtp_session *s, char *arg);
static void cmd_mail(struct smtp_session *s, char *arg);
static void cmd_rcpt(struct smtp_session *s, char *arg);
static void cmd_data(struct smtp_session *s, char *arg);
static void cmd_rset(struct smtp_session *s, char *arg);
static void cmd_noop(struct smtp_session *s, char *arg);
static void cmd_vrfy(struct smtp_session *s, char *arg);
static void cmd_expn(struct smtp_session *s, char *arg);
static void cmd_help(struct smtp_session *s, char *arg);
static void cmd_quit(struct smtp_session *s, char *arg);
static void cmd_forbidden(struct smtp_session *s, char *arg);
static void helo_common(struct smtp_session *s, const char *arg, int esmtp);
static int auth_offered(struct smtp_session *s);
static int auth_decode(const char *in, char *out, size_t size);
static void auth_finish(struct smtp_session *s, const char *user, const char *pass);
static void auth_plain(struct smtp_session *s, const char *b64);
static int parse_flags(struct smtp_session *s);

static const struct smtp_cmd smtp_cmds[] = {
	{ "HELO",     CMD_ARG,                      check_helo,     cmd_helo },
	{ "EHLO",     CMD_ARG,                      check_helo,     cmd_ehlo },
	{ "STARTTLS", CMD_HELO | CMD_NOARG,         check_starttls, cmd_starttls },
	{ "AUTH",     CMD_HELO | CMD_NOTXN | CMD_ARG, check_auth,   cmd_auth },
	{ "MAIL",     CMD_HELO | CMD_NOTXN | CMD_ARG, check_mail,   cmd_mail },
	{ "RCPT",     CMD_HELO | CMD_TXN | CMD_ARG, check_rcpt,     cmd_rcpt },
	{ "DATA",     CMD_HELO | CMD_TXN | CMD_NOARG, check_data,   cmd_data },
	{ "RSET",     CMD_NOARG | CMD_JUNK,         NULL,           cmd_rset },
	{ "NOOP",     CMD_JUNK,                     NULL,           cmd_noop },
	{ "VRFY",     CMD_ARG | CMD_JUNK,           NULL,           cmd_vrfy },
	{ "EXPN",     CMD_JUNK,                     NULL,           cmd_expn },
	{ "HELP",     CMD_JUNK,                     NULL,           cmd_help },
	{ "QUIT",     CMD_NOARG,                    NULL,           cmd_quit },
	/* an HTTP request or proxy probe is no SMTP client (Postfix does the same) */
	{ "GET",      CMD_CLOSE,                    NULL,           cmd_forbidden },
	{ "POST",     CMD_CLOSE,                    NULL,           cmd_forbidden },
	{ "CONNECT",  CMD_CLOSE,                    NULL,           cmd_forbidden },
};

/*
 * One command line (CRLF removed, no NUL, no bare CR/LF). Finds the verb in
 * the table, applies the flags, then check and proceed. Returns 1 when the
 * command moved the session on (idleness counts from such commands), 0
 * for an error or a junk command.
 */
int
smtp_session_command(struct smtp_session *s, char *line, size_t len)
{
	const struct smtp_cmd *cmd = NULL;
	char *arg;
	size_t vlen, i;
	int junk;

	(void)len;
	vlen = strcspn(line, " ");
	arg = line + vlen;
	if (*arg == ' ')
		*arg++ = '\0';
	for (i = 0; i < sizeof(smtp_cmds) / sizeof(smtp_cmds[0]); i++)
		if (strcasecmp(line, smtp_cmds[i].name) == 0) {
			cmd = &smtp_cmds[i];
			break;
		}
	if (cmd == NULL) {
		s->verb = "-";
		smtp_session_reply(s, 500, "5.5.2", "Command unrecognized");
		smtp_session_error(s);
		return 0;
	}
	s->verb = cmd->name;
	if (cmd->flags & CMD_CLOSE) {
		cmd->proceed(s, arg);
		return 0;
	}
	if ((cmd->flags & CMD_HELO) && s->phase != SMTP_PH_HELO) {
		smtp_session_reply(s, 503, "5.5.1", "Error: send EHLO/HELO first");
		smtp_session_error(s);
		return 0;
	}
	if ((cmd->flags & CMD_TXN) && s->txn == NULL) {
		smtp_session_reply(s, 503, "5.5.1", "Error: need MAIL command");
		smtp_session_error(s);
		return 0;
	}
	if ((cmd->flags & CMD_NOTXN) && s->txn != NULL) {
		smtp_session_reply(s, 503, "5.5.1", "Error: %s not allowed inside a transaction",
		    cmd->name);
		smtp_session_error(s);
		return 0;
	}
	if ((cmd->flags & CMD_NOARG) && *arg != '\0') {
		smtp_session_reply(s, 501, "5.5.4", "Syntax: %s (no parameters)", cmd->name);
		smtp_session_error(s);
		return 0;
	}
	if ((cmd->flags & CMD_ARG) && *arg == '\0') {
		smtp_session_reply(s, 501, "5.5.4", "Syntax: %s requires an argument", cmd->name);
		smtp_session_error(s);
		return 0;
	}
	if (cmd->check != NULL && cmd->check(s, arg) == -1) {
		smtp_session_error(s);
		return 0;
	}
	/* a greeting again, or a command that moves nothing (Postfix's junk
	 * commands): no progress, and past a limit each is an error */
	junk = (cmd->flags & CMD_JUNK) ||
	    ((cmd->proceed == cmd_helo || cmd->proceed == cmd_ehlo) && s->phase == SMTP_PH_HELO);
	cmd->proceed(s, arg);
	if (!junk)
		return 1;
	if (++s->junk > SMTP_SERVER_JUNK_MAX && s->phase != SMTP_PH_QUIT)
		smtp_session_error(s);
	return 0;
}

/* ---- checks ----------------------------------------------------------- */

static int
check_helo(struct smtp_session *s, const char *arg)
{
	const char *p;

	if (strlen(arg) > SMTP_SESSION_HELO_MAX) {
		smtp_session_reply(s, 501, "5.5.4", "Syntax: EHLO hostname (too long)");
		return -1;
	}
	for (p = arg; *p; p++)
		if (*p <= ' ' || *p > '~') {
			smtp_session_reply(s, 501, "5.5.4", "Syntax: EHLO hostname");
			return -1;
		}
	return 0;
}

static int
check_starttls(struct smtp_session *s, const char *arg)
{
	(void)arg;
	if (s->tls) {
		smtp_session_reply(s, 503, "5.5.1", "Error: TLS already active");
		return -1;
	}
	if (smtp_server_opts(s->srv)->tls == NULL) {
		smtp_session_reply(s, 454, "4.7.0", "TLS not available");
		return -1;
	}
	return 0;
}

static int
auth_offered(struct smtp_session *s)
{
	const struct smtp_server_options *o = smtp_server_opts(s->srv);

	return o->auth && smtp_server_cbs(s->srv)->auth != NULL;
}

static int
check_auth(struct smtp_session *s, const char *arg)
{
	const struct smtp_server_options *o = smtp_server_opts(s->srv);
	size_t n = strcspn(arg, " ");

	if (!auth_offered(s) || !s->esmtp) {
		smtp_session_reply(s, 503, "5.5.1", "Error: authentication not enabled");
		return -1;
	}
	if (s->auth_user != NULL) {
		smtp_session_reply(s, 503, "5.5.1", "Error: already authenticated");
		return -1;
	}
	if (!s->tls && !o->auth_in_clear) {
		/* RFC 4954 6 */
		smtp_session_reply(s, 538, "5.7.11",
		    "Encryption required for requested authentication mechanism");
		return -1;
	}
	if (!((n == 5 && strncasecmp(arg, "PLAIN", 5) == 0) ||
	    (n == 5 && strncasecmp(arg, "LOGIN", 5) == 0))) {
		smtp_session_reply(s, 504, "5.5.4", "Unrecognized authentication type");
		return -1;
	}
	return 0;
}

/* Which optional parameters this session may use (EHLO + offered). */
static int
parse_flags(struct smtp_session *s)
{
	const struct smtp_server_options *o = smtp_server_opts(s->srv);
	int f = 0;

	if (!s->esmtp)
		return SMTP_PARSE_NO8BIT;
	if (!o->no_dsn)
		f |= SMTP_PARSE_DSN;
	if (auth_offered(s))
		f |= SMTP_PARSE_AUTH;
	if (o->no_8bitmime)
		f |= SMTP_PARSE_NO8BIT;
	return f;
}

static int
check_mail(struct smtp_session *s, const char *arg)
{
	(void)s;
	(void)arg;
	return 0;       /* parsing needs the transaction's buffer: in cmd_mail */
}

static int
check_rcpt(struct smtp_session *s, const char *arg)
{
	(void)arg;
	if (s->txn->rcpts >= smtp_server_opts(s->srv)->max_recipients) {
		/* RFC 5321 4.5.3.1.10: 452, not 552 */
		smtp_session_reply(s, 452, "4.5.3", "Error: too many recipients");
		return -1;
	}
	return 0;
}

static int
check_data(struct smtp_session *s, const char *arg)
{
	(void)arg;
	if (s->txn->rcpts == 0) {
		/* RFC 2920 3.1: 354 only when a recipient was accepted */
		smtp_session_reply(s, 503, "5.5.1", "Error: no valid recipients");
		return -1;
	}
	return 0;
}

/* ---- commands --------------------------------------------------------- */

static void
helo_common(struct smtp_session *s, const char *arg, int esmtp)
{
	/* RFC 5321 4.1.4: a second EHLO resets the state like RSET */
	smtp_session_txn_free(s);
	snprintf(s->helo, sizeof(s->helo), "%s", arg);
	s->esmtp = esmtp;
	smtp_session_enter_state(s, SMTP_PH_HELO);
}

static void
cmd_helo(struct smtp_session *s, char *arg)
{
	helo_common(s, arg, 0);
	/* RFC 2034: no enhanced code on the HELO reply */
	smtp_session_reply(s, 250, NULL, "%s", smtp_server_opts(s->srv)->hostname);
}

static void
cmd_ehlo(struct smtp_session *s, char *arg)
{
	const struct smtp_server_options *o = smtp_server_opts(s->srv);
	struct evbuffer *out = bufferevent_get_output(s->bev);

	helo_common(s, arg, 1);
	evbuffer_add_printf(out, "250-%s\r\n", o->hostname);
	if (!o->no_pipelining)
		evbuffer_add_printf(out, "250-PIPELINING\r\n");
	if (o->max_message_size > 0)
		evbuffer_add_printf(out, "250-SIZE %zu\r\n", o->max_message_size);
	else
		evbuffer_add_printf(out, "250-SIZE\r\n");
	if (!o->no_8bitmime)
		evbuffer_add_printf(out, "250-8BITMIME\r\n");
	if (!o->no_dsn)
		evbuffer_add_printf(out, "250-DSN\r\n");
	if (o->tls != NULL && !s->tls)
		evbuffer_add_printf(out, "250-STARTTLS\r\n");
	if (auth_offered(s) && (s->tls || o->auth_in_clear))
		evbuffer_add_printf(out, "250-AUTH PLAIN LOGIN\r\n");
	evbuffer_add_printf(out, "250 ENHANCEDSTATUSCODES\r\n");
}

static void
cmd_starttls(struct smtp_session *s, char *arg)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t n = evbuffer_get_length(in);

	(void)arg;
	/* CVE-2011-0411: nothing sent in clear after STARTTLS may count */
	if (n > 0) {
		log_info("smtp=%llx client=%s event=starttls-injection discarded=%zu",
		    s->id, s->addr, n);
		evbuffer_drain(in, n);
	}
	smtp_session_txn_free(s);
	smtp_session_reply(s, 220, "2.0.0", "Ready to start TLS");
	if (smtp_session_starttls(s) == -1) {
		smtp_session_reply(s, 454, "4.7.0", "TLS not available");
		smtp_session_close(s);
	}
}

static void
cmd_auth(struct smtp_session *s, char *arg)
{
	char *ir = strchr(arg, ' ');
	char user[SMTP_SESSION_USER_MAX + 1];

	if (ir != NULL)
		*ir++ = '\0';
	if (strcasecmp(arg, "PLAIN") == 0) {
		if (ir == NULL || *ir == '\0') {
			smtp_session_reply_raw(s, "334 \r\n");
			smtp_session_enter_state(s, SMTP_PH_AUTH_PLAIN);
			return;
		}
		auth_plain(s, ir);
		return;
	}
	/* LOGIN, with an optional initial response holding the user name */
	if (ir != NULL && *ir != '\0') {
		if (strcmp(ir, "=") == 0 ||
		    auth_decode(ir, user, sizeof(user)) < 0) {
			smtp_session_reply(s, 501, "5.5.2", "Invalid base64 data");
			smtp_session_error(s);
			return;
		}
		snprintf(s->auth_login_user, sizeof(s->auth_login_user), "%s", user);
		smtp_session_reply_raw(s, "334 UGFzc3dvcmQ6\r\n");      /* Password: */
		smtp_session_enter_state(s, SMTP_PH_AUTH_PASS);
		return;
	}
	smtp_session_reply_raw(s, "334 VXNlcm5hbWU6\r\n");              /* Username: */
	smtp_session_enter_state(s, SMTP_PH_AUTH_USER);
}

/*
 * Strict base64 (RFC 4648 4) into out, NUL-terminated; the decoded octets
 * must not contain NUL unless allow is set by the caller (PLAIN). Returns
 * the decoded length or -1.
 */
static int
auth_decode(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), pad = 0;
	int r;

	if (n == 0 || n % 4 != 0 || (n / 4) * 3 + 1 > size)
		return -1;
	if (in[n - 1] == '=')
		pad++;
	if (in[n - 2] == '=')
		pad++;
	if (strchr(in, '=') != in + n - pad && pad > 0)
		return -1;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
	if (r < 0 || (size_t)r < pad)
		return -1;
	r -= (int)pad;
	out[r] = '\0';
	return r;
}

static void
auth_plain(struct smtp_session *s, const char *b64)
{
	char buf[AUTH_DECODED_MAX];
	const char *authz, *user, *pass;
	int n;

	if ((n = auth_decode(b64, buf, sizeof(buf))) < 0) {
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_reply(s, 501, "5.5.2", "Invalid base64 data");
		smtp_session_error(s);
		return;
	}
	/* RFC 4616: [authzid] NUL authcid NUL passwd */
	authz = buf;
	user = memchr(buf, '\0', (size_t)n);
	pass = user ? memchr(user + 1, '\0', (size_t)(buf + n - user - 1)) : NULL;
	if (user == NULL || pass == NULL || memchr(pass + 1, '\0', (size_t)(buf + n - pass - 1))) {
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_reply(s, 501, "5.5.2", "Invalid PLAIN response");
		smtp_session_error(s);
		return;
	}
	user++;
	pass++;
	if (*authz != '\0' && strcmp(authz, user) != 0) {
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_reply(s, 535, "5.7.8", "Authentication credentials invalid");
		smtp_session_error(s);
		return;
	}
	auth_finish(s, user, pass);
	explicit_bzero(buf, sizeof(buf));
}

static void
auth_finish(struct smtp_session *s, const char *user, const char *pass)
{
	struct smtp_server_client c;
	char esc[LOG_ESC_BUFSZ];
	int r = -1, quiet = s->quiet;

	smtp_session_enter_state(s, SMTP_PH_HELO);
	smtp_session_client(s, &c);
	if (strlen(user) <= SMTP_SESSION_USER_MAX && *user != '\0')
		r = smtp_server_cbs(s->srv)->auth(smtp_server_cbarg(s->srv), s->udata, &c,
		    user, pass);
	if (r == 1) {
		/* throttled by the owner, credentials unchecked (RFC 4954 6:
		 * 454 4.7.0); the owner logged it once, not every attempt */
		s->quiet = 1;
		smtp_session_reply(s, 454, "4.7.0",
		    "Too many failed authentications, try again later");
		s->quiet = quiet;
		smtp_session_error(s);
		return;
	}
	if (r != 0) {
		log_info("smtp=%llx client=%s auth=failed user=%s", s->id, s->addr,
		    log_str(esc, sizeof(esc), user));
		smtp_session_reply(s, 535, "5.7.8", "Authentication credentials invalid");
		smtp_session_error(s);
		return;
	}
	free(s->auth_user);
	s->auth_user = strdup(user);
	if (s->auth_user == NULL) {
		smtp_session_reply(s, 454, "4.7.0", "Temporary authentication failure");
		return;
	}
	log_info("smtp=%llx client=%s auth=ok user=%s", s->id, s->addr,
	    log_str(esc, sizeof(esc), user));
	smtp_session_reply(s, 235, "2.7.0", "Authentication successful");
}

/* A continuation line of AUTH (RFC 4954 4). */
void
smtp_session_auth_line(struct smtp_session *s, char *line)
{
	char buf[AUTH_DECODED_MAX];
	int n;

	s->verb = "AUTH";
	if (strcmp(line, "*") == 0) {
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_reply(s, 501, "5.7.0", "Authentication cancelled");
		smtp_session_error(s);
		return;
	}
	if (s->phase == SMTP_PH_AUTH_PLAIN) {
		auth_plain(s, line);
		return;
	}
	n = auth_decode(line, buf, sizeof(buf));
	if (n < 0 || (int)strlen(buf) != n) {
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_reply(s, 501, "5.5.2", "Invalid base64 data");
		smtp_session_error(s);
		return;
	}
	if (s->phase == SMTP_PH_AUTH_USER) {
		if ((size_t)n >= sizeof(s->auth_login_user))
			n = 0;          /* over-long: an empty name fails in auth_finish() */
		memcpy(s->auth_login_user, buf, (size_t)n);
		s->auth_login_user[n] = '\0';
		smtp_session_reply_raw(s, "334 UGFzc3dvcmQ6\r\n");
		smtp_session_enter_state(s, SMTP_PH_AUTH_PASS);
		return;
	}
	auth_finish(s, s->auth_login_user, buf);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(s->auth_login_user, sizeof(s->auth_login_user));
}

static void
cmd_mail(struct smtp_session *s, char *arg)
{
	const struct smtp_server_options *o = smtp_server_opts(s->srv);
	struct smtp_server_reply reply;
	struct smtp_server_client c;
	struct smtp_txn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->chunk = malloc(SMTP_SESSION_CHUNK)) == NULL) {
		free(t);
		smtp_session_reply(s, 452, "4.3.1", "Insufficient system resources");
		return;
	}
	memset(&reply, 0, sizeof(reply));
	if (smtp_server_parse_mail(arg, parse_flags(s), o->max_message_size, &t->mail,
	    t->mailbuf, sizeof(t->mailbuf), &reply) == -1) {
		smtp_session_reply_owner(s, &reply, 501, "5.5.4", "Syntax error");
		if (reply.code != 552)
			smtp_session_error(s);
		free(t->chunk);
		free(t);
		return;
	}
	smtp_session_client(s, &c);
	smtp_server_cbs(s->srv)->mail(smtp_server_cbarg(s->srv), s->udata, &c, &t->mail, &reply);
	if (reply.code >= 400) {
		smtp_session_reply_owner(s, &reply, 550, "5.7.1", "Sender refused");
		free(t->chunk);
		free(t);
		return;
	}
	s->txn = t;
	smtp_session_reply_owner(s, &reply, 250, "2.1.0", "Ok");
}

static void
cmd_rcpt(struct smtp_session *s, char *arg)
{
	struct smtp_server_reply reply;
	struct smtp_server_client c;
	struct smtp_server_rcpt r;
	char buf[SMTP_SERVER_CMDLINE_DEFAULT + 1];

	memset(&reply, 0, sizeof(reply));
	if (smtp_server_parse_rcpt(arg, parse_flags(s), &r, buf, sizeof(buf), &reply) == -1) {
		smtp_session_reply_owner(s, &reply, 501, "5.5.4", "Syntax error");
		smtp_session_error(s);
		return;
	}
	smtp_session_client(s, &c);
	smtp_server_cbs(s->srv)->rcpt(smtp_server_cbarg(s->srv), s->udata, &c, &r, &reply);
	if (reply.code >= 400) {
		smtp_session_reply_owner(s, &reply, 550, "5.1.1", "Recipient refused");
		return;
	}
	s->txn->rcpts++;
	smtp_session_reply_owner(s, &reply, 250, "2.1.5", "Ok");
}

static void
cmd_data(struct smtp_session *s, char *arg)
{
	struct smtp_server_reply reply;
	struct smtp_server_client c;

	(void)arg;
	memset(&reply, 0, sizeof(reply));
	smtp_session_client(s, &c);
	smtp_server_cbs(s->srv)->data_start(smtp_server_cbarg(s->srv), s->udata, &c, &reply);
	if (reply.code >= 400) {
		smtp_session_reply_owner(s, &reply, 451, "4.3.0", "Cannot accept the message now");
		return;
	}
	s->txn->sink_open = 1;
	smtp_session_data_begin(s);
	smtp_session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

static void
cmd_rset(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_txn_free(s);
	smtp_session_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_noop(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_vrfy(struct smtp_session *s, char *arg)
{
	(void)arg;
	/* RFC 5321 3.5.3: 252 when VRFY is not offered */
	smtp_session_reply(s, 252, "2.5.0",
	    "Cannot VRFY user, but will accept message and attempt delivery");
}

static void
cmd_expn(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_reply(s, 502, "5.5.1", "EXPN not supported");
}

static void
cmd_help(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_reply(s, 214, "2.0.0",
	    "Commands: HELO EHLO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY QUIT");
}

static void
cmd_quit(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_txn_free(s);
	smtp_session_reply(s, 221, "2.0.0", "%s Bye", smtp_server_opts(s->srv)->hostname);
	smtp_session_close(s);
}

static void
cmd_forbidden(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_session_reply(s, 521, "5.7.0", "%s Not an SMTP client, closing",
	    smtp_server_opts(s->srv)->hostname);
	smtp_session_close(s);
}
