/*
 * util/ctlwire: what t37gwctl and the gateway say on the control socket
 * (ctlwire.h): the request line, parsed and built, the answer line, and
 * the socket's address and the client's connect.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-c/json.h>

#include "util/ctlwire.h"

static int cmd_valid(const char *s, size_t len);
static int arg_valid(const char *s, size_t len);

/* A command name: 1..CTLWIRE_CMD_MAX-1 of [a-z-]. */
static int
cmd_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= CTLWIRE_CMD_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

/* An argument: under CTLWIRE_ARG_MAX bytes, no NUL or other control byte (an
 * argument is a job id, a queue name, a number or an address; none holds
 * one, and the log line quotes them). */
static int
arg_valid(const char *s, size_t len)
{
	size_t i;

	if (len >= CTLWIRE_ARG_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
ctlwire_request_parse(const char *buf, size_t len, struct ctlwire_request *r, char *err,
    size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *obj = NULL, *v;
	enum json_tokener_error je = json_tokener_success;
	const char *s;
	size_t i, n;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len + 1 > CTLWIRE_REQUEST_MAX) {
		snprintf(err, errlen, "request longer than %u bytes", CTLWIRE_REQUEST_MAX);
		return -1;
	}
	if (memchr(buf, '\n', len) != NULL || memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "a request is one line of JSON");
		return -1;
	}
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	je = json_tokener_get_error(tok);
	if (obj != NULL && je == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "not JSON: text after the object");
		goto out;
	}
	if (obj == NULL || je != json_tokener_success) {
		snprintf(err, errlen, "not JSON: %s", je == json_tokener_continue ?
		    "the object is not complete" : json_tokener_error_desc(je));
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "a request is a JSON object");
		goto out;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0) {
			snprintf(err, errlen, "unknown member \"%.32s\" (a request has "
			    "\"cmd\" and \"args\")", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(obj, "cmd", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "no \"cmd\" string");
		goto out;
	}
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (!cmd_valid(s, n)) {
		snprintf(err, errlen, "\"cmd\" is not a command name (1 to %d of a-z and -)",
		    CTLWIRE_CMD_MAX - 1);
		goto out;
	}
	memcpy(r->cmd, s, n);
	if (json_object_object_get_ex(obj, "args", &v)) {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "\"args\" is not an array");
			goto out;
		}
		if (json_object_array_length(v) > CTLWIRE_ARGS_MAX) {
			snprintf(err, errlen, "too many arguments (at most %d)", CTLWIRE_ARGS_MAX);
			goto out;
		}
		for (i = 0; i < json_object_array_length(v); i++) {
			struct json_object *a = json_object_array_get_idx(v, i);

			if (!json_object_is_type(a, json_type_string)) {
				snprintf(err, errlen, "argument %zu is not a string", i + 1);
				goto out;
			}
			s = json_object_get_string(a);
			n = (size_t)json_object_get_string_len(a);
			if (!arg_valid(s, n)) {
				snprintf(err, errlen, "argument %zu is longer than %d bytes or "
				    "holds a control character", i + 1, CTLWIRE_ARG_MAX - 1);
				goto out;
			}
			memcpy(r->args[i], s, n);
			r->nargs++;
		}
	}
	rc = 0;
out:
	if (rc != 0)
		memset(r, 0, sizeof(*r));
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}

char *
ctlwire_request_format(const char *cmd, const char *const *args, unsigned nargs)
{
	struct json_object *obj, *arr;
	const char *s;
	char *line = NULL;
	size_t n;
	unsigned i;

	if (!cmd_valid(cmd, strlen(cmd)) || nargs > CTLWIRE_ARGS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < nargs; i++)
		if (!arg_valid(args[i], strlen(args[i]))) {
			errno = EINVAL;
			return NULL;
		}
	if ((obj = json_object_new_object()) == NULL || (arr = json_object_new_array()) == NULL) {
		json_object_put(obj);
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(obj, "cmd", json_object_new_string(cmd));
	for (i = 0; i < nargs; i++)
		json_object_array_add(arr, json_object_new_string(args[i]));
	json_object_object_add(obj, "args", arr);
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	n = s != NULL ? strlen(s) : 0;
	if (s != NULL && n + 1 < CTLWIRE_REQUEST_MAX && (line = malloc(n + 2)) != NULL) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	} else {
		errno = s == NULL ? ENOMEM : EINVAL;
	}
	json_object_put(obj);
	return line;
}

char *
ctlwire_response_format(struct json_object *result, const char *err, size_t *len)
{
	struct json_object *obj = json_object_new_object();
	const char *s;
	char *line = NULL;
	size_t n;

	if (obj == NULL) {
		json_object_put(result);
		return NULL;
	}
	if (result != NULL) {
		json_object_object_add(obj, "ok", json_object_new_boolean(1));
		json_object_object_add(obj, "result", result);
	} else {
		/* An error may quote peer data: valid UTF-8 for the client's parser. */
		char *valid = g_utf8_make_valid(err != NULL && err[0] != '\0' ? err : "failed",
		    -1);

		json_object_object_add(obj, "ok", json_object_new_boolean(0));
		json_object_object_add(obj, "error", json_object_new_string(valid));
		g_free(valid);
	}
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL && (line = malloc((n = strlen(s)) + 2)) != NULL) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		*len = n + 1;
	}
	json_object_put(obj);
	return line;
}

struct json_object *
ctlwire_str(const char *s)
{
	char *valid = g_utf8_make_valid(s != NULL ? s : "", -1);
	struct json_object *v = json_object_new_string(valid);

	g_free(valid);
	return v;
}

void
ctlwire_add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, ctlwire_str(s));
}

int
ctlwire_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "control socket %s: name longer than %zu bytes", path,
		    sizeof(sa->sun_path) - 1);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int
ctlwire_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (ctlwire_addr(path, &sa, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		snprintf(err, errlen, "cannot connect to %s: %s%s", path, strerror(e),
		    e == ENOENT || e == ECONNREFUSED ? " (is t37gw running with this "
		    "configuration?)" : e == EACCES || e == EPERM ? " (only the gateway's user "
		    "and group may use it)" : "");
		close(fd);
		return -1;
	}
	return fd;
}
