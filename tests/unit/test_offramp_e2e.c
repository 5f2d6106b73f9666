/*
 * End-to-end offramp test without SMTP: a job as the intake writes it,
 * the offramp runner with a real SIP line, and `t37fax answer` on
 * loopback as the remote fax machine. Run by
 * tests/integration/test_offramp_call.sh, which sets T37_OFFRAMP_E2E to
 * the t37fax binary and T37_E2E_PORTS to two free UDP ports; without them
 * the suite holds no tests (the plain unit run has no network peers).
 */
#include <check.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/intake/intake.h"
#include "gateway/offramp/offramp.h"
#include "gateway/mailq/mailq.h"
#include "gateway/spool/spool.h"
#include "sip/sip.h"

extern char **environ;

static char root[64], outdir[128];
static int port_remote, port_local;
static struct spool *sp;
static struct event_base *base;
static struct sip_line *line;
static struct chan *events;             /* the line's, to this loop */
static struct offramp *runner;

static int
line_dial(void *arg, const struct sip_dial_request *req)
{
	(void)arg;
	return sip_line_dial(line, req);
}

/* Line -> mail thread: the daemon's job, done here by hand. */
static void
line_events(evutil_socket_t fd, short what, void *arg)
{
	struct sip_event *ev;

	(void)fd;
	(void)what;
	(void)arg;
	while ((ev = sip_event_next(events)) != NULL) {
		if (ev->type == SIP_EV_CALL_FINISHED && ev->dir == SIP_DIR_OFFRAMP)
			offramp_call_finished(runner, ev);
		free(ev);
	}
}

static pid_t
spawn_answer(int busy, int count)
{
	char listen[64], cnt[16];
	char *argv[12];
	int argc = 0;
	pid_t pid;

	g_snprintf(listen, sizeof(listen), "127.0.0.1:%d", port_remote);
	g_snprintf(cnt, sizeof(cnt), "%d", count);
	argv[argc++] = (char *)getenv("T37_OFFRAMP_E2E");
	argv[argc++] = (char *)"answer";
	argv[argc++] = (char *)"--listen";
	argv[argc++] = listen;
	argv[argc++] = (char *)"--out";
	argv[argc++] = outdir;
	argv[argc++] = (char *)"--count";
	argv[argc++] = cnt;
	argv[argc++] = (char *)"--ident";
	argv[argc++] = (char *)"+1 555 1234";
	if (busy)
		argv[argc++] = (char *)"--busy";
	argv[argc] = NULL;
	ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
	usleep(500000);   /* let it bind */
	return pid;
}

static void
setup(void)
{
	const char *ports = getenv("T37_E2E_PORTS");
	char err[256];

	ck_assert_ptr_nonnull(ports);
	ck_assert_int_eq(sscanf(ports, "%d %d", &port_remote, &port_local), 2);
	g_strlcpy(root, "/tmp/t37e2eXXXXXX", sizeof(root));
	ck_assert_ptr_nonnull(mkdtemp(root));
	g_snprintf(outdir, sizeof(outdir), "%s/received", root);
	ck_assert_int_eq(mkdir(outdir, 0700), 0);
	sp = spool_open(root, err, sizeof(err));
	ck_assert_msg(sp != NULL, "%s", err);
	evthread_use_pthreads();
	base = event_base_new();
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", root);

	spool_free(sp);
	event_base_free(base);
	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* The runner, the line and the config for one test. */
static struct config *
start(const char *retry, struct event **ev)
{
	char *text = g_strdup_printf(
	    "hostname gw1.example.com\n%s\n"
	    "fax send left-header $d$\n"
	    "fax send transmitting-subscriber +15550000\n"
	    "dial-peer voice 301 voip\n"
	    " destination-pattern 555....\n"
	    " session target sip:$d$@127.0.0.1:%d\n", retry, port_remote);
	struct config *cfg = config_parse_buffer("t", text, strlen(text), NULL);
	struct sip_line_options lo;
	char err[256];

	ck_assert_ptr_nonnull(cfg);
	g_free(text);
	ck_assert_ptr_nonnull(events = chan_new());
	*ev = event_new(base, chan_fd(events), EV_READ | EV_PERSIST, line_events, NULL);
	ck_assert_int_eq(event_add(*ev, NULL), 0);
	sip_line_options_init(&lo);
	g_snprintf(lo.listen_udp[0], sizeof(lo.listen_udp[0]), "127.0.0.1:%d", port_local);
	lo.nlisten_udp = 1;
	line = sip_line_start(&lo, events);
	ck_assert_ptr_nonnull(line);
	runner = offramp_new(base, sp, NULL, cfg, line_dial, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(runner);
	return cfg;
}

static void
stop(struct config *cfg, struct event *ev)
{
	offramp_free(runner);
	sip_line_stop(line);
	event_free(ev);
	chan_free(events, NULL);
	config_free(cfg);
}

static void
intake_job(const char *msg, const char *notify)
{
	char id[SPOOL_ID_LEN + 1];
	struct spool_job *job = spool_job_new(sp, SPOOL_Q_OFFRAMP, id);
	struct spool_rec *env = spool_rec_new();
	const char *data;
	size_t len;

	spool_rec_add(env, "from", "alice@example.com");
	spool_rec_add_u64(env, "received", (uint64_t)time(NULL));
	spool_rec_add(env, "rcpt", "FAX=5551234@fax.example.com");
	spool_rec_add(env, "rcpt.kind", "fax");
	spool_rec_add(env, "rcpt.number", "5551234");
	spool_rec_add(env, "rcpt.notify", notify);
	data = spool_rec_data(env, &len);
	ck_assert_int_eq(spool_job_write(job, "msg", msg, strlen(msg)), 0);
	ck_assert_int_eq(spool_job_write(job, "env", data, len), 0);
	ck_assert_int_eq(spool_job_commit(job), 0);
	spool_rec_free(env);
	offramp_add(runner, id);
}

static void
run_until_done(int secs)
{
	int i;

	for (i = 0; i < secs * 50 && offramp_jobs(runner) > 0; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(20000);
	}
	ck_assert_msg(offramp_jobs(runner) == 0, "the job did not finish in %d s", secs);
}

static int
collect(const char *id, void *arg)
{
	char *buf = NULL;
	size_t len;

	if (spool_read(sp, SPOOL_Q_MAIL, id, "message", &buf, &len) == 0)
		g_string_append((GString *)arg, buf);
	free(buf);
	return 0;
}

static char *
reports(void)
{
	GString *s = g_string_new(NULL);

	spool_scan(sp, SPOOL_Q_MAIL, collect, s);
	return g_string_free(s, FALSE);
}

/* The pages t37fax received (the one .tif in outdir), or -1. */
static int
received_pages(void)
{
	GDir *d = g_dir_open(outdir, 0, NULL);
	const char *n;
	int pages = -1;
	char err[128];

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		if (g_str_has_suffix(n, ".tif")) {
			char *p = g_build_filename(outdir, n, NULL);

			pages = fax_tiff_count_pages(p, err, sizeof(err));
			g_free(p);
		}
	}
	if (d != NULL)
		g_dir_close(d);
	return pages;
}

START_TEST(test_e2e_text_and_tiff_delivered)
{
	struct event *ev;
	struct config *cfg = start("", &ev);
	char tif[256], err[128], *data, *b64, *msg, *rep;
	gsize len;
	int status;
	pid_t pid = spawn_answer(0, 1);

	/* A two-page scan and a line of text: three pages. */
	g_snprintf(tif, sizeof(tif), "%s/scan.tif", root);
	ck_assert_int_eq(fax_text_render("page one\fpage two\n", 18, NULL, tif, NULL, err,
	    sizeof(err)), 0);
	ck_assert(g_file_get_contents(tif, &data, &len, NULL));
	b64 = g_base64_encode((const guchar *)data, len);
	msg = g_strdup_printf("From: Alice <alice@example.com>\nSubject: Scan\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nTwo pages follow.\n"
	    "--m\nContent-Type: image/tiff; name=scan.tif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n--m--\n", b64);
	intake_job(msg, "SUCCESS,FAILURE");
	run_until_done(120);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "t37fax: %d", status);
	ck_assert_int_eq(received_pages(), 3);
	rep = reports();
	ck_assert_ptr_nonnull(strstr(rep, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(rep, "X-Fax-Pages: 3 of 3"));
	ck_assert_ptr_nonnull(strstr(rep, "X-Fax-CSI: +1 555 1234"));
	g_free(rep);
	g_free(msg);
	g_free(b64);
	g_free(data);
	stop(cfg, ev);
}
END_TEST

START_TEST(test_e2e_busy_then_failed)
{
	struct event *ev;
	struct config *cfg = start("fax send retry busy 2 10", &ev);
	char *rep;
	int status;
	pid_t pid = spawn_answer(1, 2);

	intake_job("From: alice@example.com\nSubject: x\n\nHello\n", "FAILURE");
	run_until_done(90);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(received_pages(), -1);
	rep = reports();
	g_strdelimit(rep, "\n", ' ');
	ck_assert_ptr_nonnull(strstr(rep, "Action: failed"));
	ck_assert_ptr_nonnull(strstr(rep, "Status: 4.4.1"));
	ck_assert_ptr_nonnull(strstr(rep, "busy on all 2 attempts"));
	g_free(rep);
	stop(cfg, ev);
}
END_TEST

Suite *
suite_offramp_e2e(void)
{
	Suite *s = suite_create("offramp_e2e");
	TCase *tc = tcase_create("e2e");

	if (getenv("T37_OFFRAMP_E2E") == NULL)
		return s;
	tcase_set_timeout(tc, 200);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_e2e_text_and_tiff_delivered);
	tcase_add_test(tc, test_e2e_busy_then_failed);
	suite_add_tcase(s, tc);
	return s;
}
