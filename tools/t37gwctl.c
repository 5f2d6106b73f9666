/*
 * t37gwctl: the operator's client of a running t37gw. It finds the
 * control socket from the gateway's config (-c, `control socket` or
 * SPOOL/control) or takes it from -s, sends one request (util/ctlwire.h
 * says how), and prints the answer as a table or text, or as the JSON the
 * gateway sent (--json). Exit status: 0 done, 1 the gateway refused or
 * could not be reached (the reason on stderr), 2 bad usage; `route` exits
 * 1 too when the number or address would not be routed.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config/config.h"
#include "util/ctlwire.h"

#define GWCTL_EXIT_OK 0
#define GWCTL_EXIT_FAIL 1
#define GWCTL_EXIT_USAGE 2
#define GWCTL_DEFAULT_CONF "/etc/t37gw/t37gw.conf"
#define GWCTL_WAIT_S 60                   /* longest wait for an answer */
#define GWCTL_CHUNK 65536

static void usage(FILE *f);
static int socket_path(const char *conf, char *out, size_t size);
static char *exchange(const char *path, const char *line, size_t *len);
static const char *str(struct json_object *o, const char *key);
static long long num(struct json_object *o, const char *key);
static const char *when(long long t, char *buf, size_t size);
static const char *ago(long long secs, char *buf, size_t size);
static void print_status(struct json_object *r);
static void print_calls(struct json_object *r);
static void print_queue(struct json_object *r);
static void print_value(struct json_object *v, const char *key, int indent);
static void print_members(struct json_object *v, int indent);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: t37gwctl [-c FILE | -s SOCKET] [--json] COMMAND [ARG]\n"
	    "  status                      the gateway: listeners, trunks, calls, queues\n"
	    "  calls                       calls in progress\n"
	    "  queue [mail|onramp|offramp|failed|all]\n"
	    "                              jobs waiting, with attempts, next try, last error\n"
	    "  show ID                     one job: envelope, recipients, every attempt\n"
	    "  retry ID|all                try a waiting job (or all) now\n"
	    "  hold ID, release ID         stop and resume a job's attempts\n"
	    "  delete ID                   remove a job (its sender gets a DSN where one is due)\n"
	    "  requeue ID                  put a job of the failed queue back into its queue\n"
	    "  route NUMBER|ADDRESS        which dial-peers, patterns and targets apply\n"
	    "  -c FILE    the gateway's config (default " GWCTL_DEFAULT_CONF "), to find its socket\n"
	    "  -s SOCKET  the control socket itself\n"
	    "  --json     print the gateway's answer as JSON\n");
}

static int
socket_path(const char *conf, char *out, size_t size)
{
	struct config_diag diag;
	struct config *cfg;
	int rc = 0;

	config_diag_init(&diag);
	cfg = config_load(conf, &diag);
	if (cfg == NULL) {
		size_t i;

		fprintf(stderr, "t37gwctl: cannot read the gateway's config %s:\n", conf);
		for (i = 0; config_diag_get(&diag, i) != NULL; i++)
			if (!config_diag_is_warning(&diag, i))
				fprintf(stderr, "  %s\n", config_diag_get(&diag, i));
		config_diag_clear(&diag);
		return -1;
	}
	config_diag_clear(&diag);
	if (config_control_socket(cfg, out, size) == -1) {
		fprintf(stderr, "t37gwctl: %s: the control socket's name is too long\n", conf);
		rc = -1;
	}
	config_free(cfg);
	return rc;
}

/* Sends line, reads the answer to EOF (at most CTLWIRE_RESPONSE_MAX, within
 * GWCTL_WAIT_S). The answer malloc'd, or NULL after printing why. */
static char *
exchange(const char *path, const char *line, size_t *len)
{
	char err[CTLWIRE_ERR_MAX], *buf = NULL, *nb;
	size_t have = 0, cap = 0, off = 0, n = strlen(line);
	struct pollfd pfd;
	ssize_t r;
	int fd;

	if ((fd = ctlwire_connect(path, err, sizeof(err))) == -1) {
		fprintf(stderr, "t37gwctl: %s\n", err);
		return NULL;
	}
	while (off < n) {
		if ((r = write(fd, line + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "t37gwctl: %s: %s\n", path, strerror(errno));
			close(fd);
			return NULL;
		}
		off += (size_t)r;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int pr = poll(&pfd, 1, GWCTL_WAIT_S * 1000);

		if (pr == 0) {
			fprintf(stderr, "t37gwctl: no answer from the gateway in %d s\n",
			    GWCTL_WAIT_S);
			goto fail;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (have + GWCTL_CHUNK + 1 > cap) {
			if (cap >= CTLWIRE_RESPONSE_MAX) {
				fprintf(stderr, "t37gwctl: the answer is longer than %u bytes\n",
				    CTLWIRE_RESPONSE_MAX);
				goto fail;
			}
			cap = cap == 0 ? GWCTL_CHUNK * 2 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((r = read(fd, buf + have, cap - have - 1)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "t37gwctl: %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	if (have == 0) {
		fprintf(stderr, "t37gwctl: the gateway closed the connection without an "
		    "answer\n");
		free(buf);
		return NULL;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

static long long
num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

static const char *
when(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* 42s, 5m02s, 3h04m, 2d03h */
static const char *
ago(long long s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

static void
print_list(const char *label, struct json_object *a)
{
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;

	printf("%-10s ", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i > 0 ? ", " : "", json_object_get_string(
		    json_object_array_get_idx(a, i)));
	printf("%s\n", n == 0 ? "-" : "");
}

static void
print_status(struct json_object *r)
{
	struct json_object *l = NULL, *t = NULL, *q = NULL, *a = NULL, *b = NULL, *c = NULL;
	char t1[32], t2[32];
	time_t now = time(NULL);
	size_t i;

	printf("t37gw %s on %s, pid %lld, %s, up %s (since %s)\n", str(r, "version"),
	    str(r, "hostname"), num(r, "pid"), str(r, "state"), ago(num(r, "uptime"), t1,
	    sizeof(t1)), when(num(r, "started"), t2, sizeof(t2)));
	printf("%-10s %s, loaded %s\n", "config", str(r, "config"),
	    when(num(r, "config_loaded"), t1, sizeof(t1)));
	printf("%-10s %s\n", "spool", str(r, "spool"));
	if (json_object_object_get_ex(r, "listeners", &l)) {
		printf("%-10s %s\n", "control", str(l, "control"));
		json_object_object_get_ex(l, "sip", &a);
		print_list("sip", a);
		json_object_object_get_ex(l, "smtp", &a);
		print_list("smtp", a);
		json_object_object_get_ex(l, "metrics", &a);
		print_list("metrics", a);
	}
	if (json_object_object_get_ex(r, "hold", &a) && json_object_get_boolean(a))
		printf("%-10s held (fax send hold): mail is accepted, no call is placed\n",
		    "offramp");
	json_object_object_get_ex(r, "trunks", &t);
	for (i = 0; t != NULL && i < json_object_array_length(t); i++) {
		struct json_object *k = json_object_array_get_idx(t, i);

		printf("%-10s %s %s", "trunk", str(k, "name"), str(k, "state"));
		if (num(k, "last_status") != 0)
			printf(" (last %lld)", num(k, "last_status"));
		if (num(k, "expires") > 0)
			printf(", expires in %s", ago(num(k, "expires") - now, t1, sizeof(t1)));
		if (str(k, "reason")[0] != '\0')
			printf(", %s", str(k, "reason"));
		printf(", %lld call(s)\n", num(k, "calls"));
	}
	printf("%-10s %lld in progress\n", "calls", num(r, "calls"));
	if (json_object_object_get_ex(r, "queues", &q)) {
		json_object_object_get_ex(q, "mail", &a);
		json_object_object_get_ex(q, "offramp", &b);
		json_object_object_get_ex(q, "failed", &c);
		printf("%-10s mail %lld", "queues", num(a, "jobs"));
		if (num(a, "oldest") > 0)
			printf(" (oldest %s)", ago(now - num(a, "oldest"), t1, sizeof(t1)));
		printf(", offramp %lld", num(b, "jobs"));
		if (num(b, "oldest") > 0)
			printf(" (oldest %s)", ago(now - num(b, "oldest"), t1, sizeof(t1)));
		printf(", failed %lld\n", num(c, "jobs"));
		/* Incoming jobs made ahead of the calls: none ready means the
		 * next call is refused with 486 (the spool is behind). */
		if (json_object_object_get_ex(q, "onramp", &a))
			printf("%-10s %lld of %lld incoming jobs ready for calls\n", "spare",
			    num(a, "spare"), num(a, "spare_target"));
	}
}

static void
print_calls(struct json_object *r)
{
	size_t i, n = json_object_array_length(r);
	char t[32];

	if (n == 0) {
		printf("no calls in progress\n");
		return;
	}
	printf("%-12s %-7s %-15s %-15s %-5s %5s %-3s %-5s %-8s %-10s %s\n", "CALL", "DIR",
	    "ANI", "DNIS", "MEDIA", "RATE", "ECM", "PAGE", "ELAPSED", "STATE", "REMOTE");
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(r, i);
		char page[24];

		snprintf(page, sizeof(page), "%lld/%lld", num(c, "page"), num(c, "pages"));
		printf("%-12s %-7s %-15s %-15s %-5s %5lld %-3s %-5s %-8s %-10s %s\n",
		    str(c, "id"), str(c, "dir"), str(c, "ani"), str(c, "dnis"), str(c, "media"),
		    num(c, "rate"), num(c, "rate") == 0 ? "-" : (json_object_get_boolean(
		    json_object_object_get(c, "ecm")) ? "yes" : "no"), page,
		    ago(num(c, "elapsed"), t, sizeof(t)), str(c, "state"), str(c, "remote_ident"));
	}
	printf("%zu call(s)\n", n);
}

static void
print_queue(struct json_object *r)
{
	size_t i, j, n = json_object_array_length(r);
	time_t now = time(NULL);
	char t1[32], t2[32];

	if (n == 0) {
		printf("no jobs\n");
		return;
	}
	printf("%-16s %-7s %-10s %-7s %5s %-8s %-9s %s\n", "JOB", "QUEUE", "KIND", "AGE",
	    "TRIES", "NEXT", "STATE", "FROM -> TO");
	for (i = 0; i < n; i++) {
		struct json_object *q = json_object_array_get_idx(r, i), *to = NULL;
		long long next = num(q, "next");

		printf("%-16s %-7s %-10s %-7s %5lld %-8s %-9s <%s> ->", str(q, "id"),
		    str(q, "queue"), str(q, "kind"), num(q, "created") > 0 ?
		    ago(now - num(q, "created"), t1, sizeof(t1)) : "-", num(q, "attempts"),
		    next <= 0 ? "-" : next <= now ? "now" : ago(next - now, t2, sizeof(t2)),
		    str(q, "state"), str(q, "from"));
		if (json_object_object_get_ex(q, "to", &to) &&
		    json_object_is_type(to, json_type_array))
			for (j = 0; j < json_object_array_length(to); j++)
				printf(" %s", json_object_get_string(json_object_array_get_idx(to, j)));
		else
			printf(" %s", str(q, "to"));
		printf("\n");
		if (str(q, "error")[0] != '\0')
			printf("%18s(%s)\n", "", str(q, "error"));
	}
	printf("%zu job(s)\n", n);
}

/* A time field is shown as a date; the rest as it is. */
static int
is_time_key(const char *key)
{
	static const char *const keys[] = { "created", "next", "at", "started", "received",
	    "registered", "expires", "since", "requeued", "last_attempt", "give_up",
	    "config_loaded" };
	size_t i;

	for (i = 0; key != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

static void
print_value(struct json_object *v, const char *key, int indent)
{
	char t[32];
	size_t i;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (key != NULL)
			printf("%*s%s:\n", indent, "", key);
		print_members(v, key != NULL ? indent + 2 : indent);
		break;
	case json_type_array:
		printf("%*s%s:%s\n", indent, "", key != NULL ? key : "",
		    json_object_array_length(v) == 0 ? " -" : "");
		for (i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (json_object_is_type(e, json_type_object)) {
				printf("%*s[%zu]\n", indent + 2, "", i + 1);
				print_members(e, indent + 4);
			} else {
				printf("%*s%s\n", indent + 2, "", json_object_get_string(e));
			}
		}
		break;
	case json_type_int:
		if (is_time_key(key)) {
			printf("%*s%s: %s\n", indent, "", key, when(json_object_get_int64(v), t,
			    sizeof(t)));
			break;
		}
		/* fall through */
	default:
		printf("%*s%s: %s\n", indent, "", key != NULL ? key : "",
		    v == NULL ? "-" : json_object_get_string(v));
		break;
	}
}

static void
print_members(struct json_object *v, int indent)
{
	json_object_object_foreach(v, k, val)
		print_value(val, k, indent);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = GWCTL_DEFAULT_CONF, *sock = NULL, *cmd;
	char path[CONFIG_PATH_MAX], *line, *answer;
	struct json_object *resp, *ok, *result;
	size_t len = 0;
	int json = 0, c, rc;

	while ((c = getopt_long(argc, argv, "+c:s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return GWCTL_EXIT_OK;
		default: usage(stderr); return GWCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return GWCTL_EXIT_USAGE;
	}
	cmd = argv[optind];
	if ((line = ctlwire_request_format(cmd, (const char *const *)argv + optind + 1,
	    (unsigned)(argc - optind - 1))) == NULL) {
		fprintf(stderr, "t37gwctl: %s\n", errno == EINVAL ? "bad command or argument "
		    "(too many, too long, or a control character)" : strerror(errno));
		return GWCTL_EXIT_USAGE;
	}
	if (sock != NULL)
		snprintf(path, sizeof(path), "%s", sock);
	else if (socket_path(conf, path, sizeof(path)) == -1) {
		free(line);
		return GWCTL_EXIT_FAIL;
	}
	answer = exchange(path, line, &len);
	free(line);
	if (answer == NULL)
		return GWCTL_EXIT_FAIL;
	resp = json_tokener_parse(answer);
	if (resp == NULL || !json_object_object_get_ex(resp, "ok", &ok)) {
		fprintf(stderr, "t37gwctl: the gateway's answer is not what it should be\n");
		free(answer);
		json_object_put(resp);
		return GWCTL_EXIT_FAIL;
	}
	if (!json_object_get_boolean(ok)) {
		fprintf(stderr, "t37gwctl: %s\n", str(resp, "error"));
		rc = GWCTL_EXIT_FAIL;
	} else {
		json_object_object_get_ex(resp, "result", &result);
		rc = GWCTL_EXIT_OK;
		if (json)
			printf("%s\n", json_object_to_json_string_ext(result,
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		else if (strcmp(cmd, "status") == 0)
			print_status(result);
		else if (strcmp(cmd, "calls") == 0)
			print_calls(result);
		else if (strcmp(cmd, "queue") == 0)
			print_queue(result);
		else if (strcmp(cmd, "route") == 0)
			fputs(str(result, "text"), stdout);
		else if (json_object_object_get_ex(result, "done", NULL))
			printf("%s: %s\n", str(result, "id"), str(result, "done"));
		else
			print_value(result, NULL, 0);
		if (strcmp(cmd, "route") == 0 && !json_object_get_boolean(
		    json_object_object_get(result, "routed")))
			rc = GWCTL_EXIT_FAIL;
	}
	json_object_put(resp);
	free(answer);
	return rc;
}
