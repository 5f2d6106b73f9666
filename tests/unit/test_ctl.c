/*
 * gateway/ctl: the control socket's wire (requests parsed and built,
 * answers built) and its socket file (stale sockets replaced, a live one
 * or a file in the way refused, mode 0660, removed at the end).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "gateway/ctl/ctl.h"
#include "util/ctlwire.h"

static struct ctlwire_request req;
static char err[CTLWIRE_ERR_MAX];

static int
parse(const char *s)
{
	err[0] = '\0';
	return ctlwire_request_parse(s, strlen(s), &req, err, sizeof(err));
}

START_TEST(request_valid)
{
	ck_assert_int_eq(parse("{\"cmd\":\"status\"}\n"), 0);
	ck_assert_str_eq(req.cmd, "status");
	ck_assert_uint_eq(req.nargs, 0);
	ck_assert_int_eq(parse("{\"cmd\":\"queue\",\"args\":[\"failed\"]}"), 0);
	ck_assert_str_eq(req.cmd, "queue");
	ck_assert_uint_eq(req.nargs, 1);
	ck_assert_str_eq(req.args[0], "failed");
	/* Order, blanks and escapes are JSON's business. */
	ck_assert_int_eq(parse(" { \"args\" : [\"FAX=+1\\u0039@x\", \"b\"], \"cmd\":\"route\" } "),
	    0);
	ck_assert_str_eq(req.args[0], "FAX=+19@x");
	ck_assert_uint_eq(req.nargs, 2);
}
END_TEST

START_TEST(request_refused_with_reason)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "not JSON" },
		{ "status", "not JSON" },
		{ "{\"cmd\":\"status\"", "not JSON" },
		{ "{\"cmd\":\"status\"} {}", "not JSON" },
		{ "[\"status\"]", "JSON object" },
		{ "{\"cmd\":\"status\",\"x\":1}", "unknown member" },
		{ "{\"args\":[]}", "no \"cmd\"" },
		{ "{\"cmd\":7}", "no \"cmd\"" },
		{ "{\"cmd\":\"\"}", "command name" },
		{ "{\"cmd\":\"Status\"}", "command name" },
		{ "{\"cmd\":\"st atus\"}", "command name" },
		{ "{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "command name" },
		{ "{\"cmd\":\"show\",\"args\":\"x\"}", "not an array" },
		{ "{\"cmd\":\"show\",\"args\":[1]}", "not a string" },
		{ "{\"cmd\":\"show\",\"args\":[\"a\\nb\"]}", "control character" },
		{ "{\"cmd\":\"show\",\"args\":[\"a\\u0000b\"]}", "control character" },
		{ "{\"cmd\":\"show\",\"args\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}",
		  "too many" },
		{ "{\"cmd\":\"status\"}\n{\"cmd\":\"calls\"}", "one line" },
		{ "{\"cmd\":\"s\\u00e9\"}", "command name" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i].in) == -1, "accepted: %s", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: got '%s', want '%s'",
		    bad[i].in, err, bad[i].why);
		ck_assert_str_eq(req.cmd, "");
	}
}
END_TEST

START_TEST(request_limits)
{
	char *big = malloc(CTLWIRE_REQUEST_MAX + 64), arg[CTLWIRE_ARG_MAX + 1];
	const char *args[1] = { arg };
	char *line;

	/* An argument of CTLWIRE_ARG_MAX-1 bytes fits; one more does not. */
	memset(arg, 'a', CTLWIRE_ARG_MAX - 1);
	arg[CTLWIRE_ARG_MAX - 1] = '\0';
	ck_assert_ptr_nonnull(line = ctlwire_request_format("show", args, 1));
	ck_assert_int_eq(parse(line), 0);
	ck_assert_uint_eq(strlen(req.args[0]), CTLWIRE_ARG_MAX - 1);
	free(line);
	arg[CTLWIRE_ARG_MAX - 1] = 'a';
	arg[CTLWIRE_ARG_MAX] = '\0';
	errno = 0;
	ck_assert_ptr_null(ctlwire_request_format("show", args, 1));
	ck_assert_int_eq(errno, EINVAL);
	snprintf(big, CTLWIRE_REQUEST_MAX + 64, "{\"cmd\":\"show\",\"args\":[\"%s\"]}", arg);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	/* A whole request over CTLWIRE_REQUEST_MAX, whatever it holds. */
	memset(big, ' ', CTLWIRE_REQUEST_MAX + 8);
	memcpy(big, "{\"cmd\":\"status\"", 15);
	memcpy(big + CTLWIRE_REQUEST_MAX + 6, "}", 2);
	ck_assert_int_eq(parse(big), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 4096"));
	ck_assert_ptr_null(ctlwire_request_format("Bad", NULL, 0));
	ck_assert_ptr_null(ctlwire_request_format("", NULL, 0));
	free(big);
}
END_TEST

START_TEST(request_round_trip)
{
	const char *args[] = { "FAX=\"+1 (919) 555\"@x", "\xc3\xa9t\xc3\xa9", "\\" };
	char *line = ctlwire_request_format("route", args, 3);

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
	ck_assert_ptr_null(strchr(line, '\n') == line + strlen(line) - 1 ? NULL : line);
	ck_assert_int_eq(parse(line), 0);
	ck_assert_str_eq(req.cmd, "route");
	ck_assert_uint_eq(req.nargs, 3);
	ck_assert_str_eq(req.args[0], args[0]);
	ck_assert_str_eq(req.args[1], args[1]);
	ck_assert_str_eq(req.args[2], args[2]);
	free(line);
}
END_TEST

START_TEST(response_lines)
{
	struct json_object *o = json_object_new_object(), *back, *v;
	size_t len = 0;
	char *line;

	json_object_object_add(o, "n", json_object_new_int(3));
	line = ctlwire_response_format(o, NULL, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(len, strlen(line));
	ck_assert_int_eq(line[len - 1], '\n');
	back = json_tokener_parse(line);
	ck_assert(json_object_get_boolean(json_object_object_get(back, "ok")));
	ck_assert(json_object_object_get_ex(back, "result", &v));
	ck_assert_int_eq(json_object_get_int(json_object_object_get(v, "n")), 3);
	json_object_put(back);
	free(line);
	/* An error quoting invalid UTF-8 still gives valid JSON text. */
	line = ctlwire_response_format(NULL, "no such job \xff\xfe", &len);
	ck_assert_ptr_nonnull(line);
	back = json_tokener_parse(line);
	ck_assert_ptr_nonnull(back);
	ck_assert(!json_object_get_boolean(json_object_object_get(back, "ok")));
	ck_assert_ptr_nonnull(strstr(json_object_get_string(json_object_object_get(back,
	    "error")), "no such job"));
	json_object_put(back);
	free(line);
}
END_TEST

static struct json_object *
answer(void *arg, const struct ctlwire_request *r, const struct ctl_peer *peer, char *e,
    size_t elen)
{
	(void)arg, (void)r, (void)peer, (void)e, (void)elen;
	return json_object_new_object();
}

START_TEST(socket_file)
{
	char dir[] = "/tmp/t37ctl-XXXXXX", path[128], e2[CTLWIRE_ERR_MAX];
	struct event_base *base = event_base_new();
	struct ctl *c, *c2;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/control", dir);
	c = ctl_new(base, path, answer, NULL, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	/* A second gateway on the same socket: refused, the first one's kept. */
	ck_assert_ptr_null(c2 = ctl_new(base, path, answer, NULL, e2, sizeof(e2)));
	ck_assert_ptr_nonnull(strstr(e2, "in use"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_ge(fd = ctlwire_connect(path, e2, sizeof(e2)), 0);
	close(fd);
	ctl_free(c);
	ck_assert_int_eq(stat(path, &st), -1);
	/* Left by a gateway that died: nobody answers, so it is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa;

		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, path, strlen(path) + 1);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	c = ctl_new(base, path, answer, NULL, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ctl_free(c);
	/* A file that is not a socket is never removed. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_ptr_null(ctl_new(base, path, answer, NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a socket"));
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);
	/* Nobody there: the client says so, naming the path. */
	ck_assert_int_eq(ctlwire_connect(path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "is t37gw running"));
	rmdir(dir);
	event_base_free(base);
}
END_TEST

Suite *
suite_ctl(void)
{
	Suite *s = suite_create("ctl");
	TCase *w = tcase_create("wire");
	TCase *f = tcase_create("socket");

	tcase_add_test(w, request_valid);
	tcase_add_test(w, request_refused_with_reason);
	tcase_add_test(w, request_limits);
	tcase_add_test(w, request_round_trip);
	tcase_add_test(w, response_lines);
	suite_add_tcase(s, w);
	tcase_add_test(f, socket_file);
	suite_add_tcase(s, f);
	return s;
}
