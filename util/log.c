/*
 * util/log: formatting and writing of log lines (see log.h). Does not
 * decide what is logged; callers build the key=value text.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "util/log.h"

static void log_vwrite(enum log_level lvl, const char *suffix, const char *fmt, va_list ap);

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_to_syslog;
static enum log_level log_level = LOG_LVL_INFO;

static const char *const log_names[] = { "err", "warn", "info", "debug" };

void
log_init(const char *ident, int use_syslog, enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	if (log_to_syslog)
		closelog();
	log_to_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	pthread_mutex_unlock(&log_lock);
}

void
log_set_level(enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	log_level = level;
	pthread_mutex_unlock(&log_lock);
}

static void
log_vwrite(enum log_level lvl, const char *suffix, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[4096];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&log_lock);
	if (lvl > log_level) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	if (log_to_syslog) {
		syslog(prio[lvl], "%s%s%s", msg, suffix ? ": " : "", suffix ? suffix : "");
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s%s%s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_names[lvl], msg,
		    suffix ? ": " : "", suffix ? suffix : "");
		fflush(stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

#define LOG_FN(name, lvl)                                   \
	void name(const char *fmt, ...)                     \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		log_vwrite(lvl, NULL, fmt, ap);             \
		va_end(ap);                                 \
	}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_err, LOG_LVL_ERR)

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	char err[128];

	snprintf(err, sizeof(err), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_WARN, err, fmt, ap);
	va_end(ap);
}

const char *
log_esc(char *buf, size_t size, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, n = len > LOG_ESC_MAX ? LOG_ESC_MAX : len;
	int quote = (n == 0);
	unsigned char c;

	if (size == 0)
		return buf;
	if (s == NULL) {
		len = n = 0;
		quote = 1;
	}
	for (i = 0; i < n && !quote; i++) {
		c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '=')
			quote = 1;
	}
	/* Worst case per byte is 4 output bytes, plus quotes, "..." and NUL. */
	if (quote && o + 1 < size)
		buf[o++] = '"';
	for (i = 0; i < n && o + 6 < size; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			buf[o++] = '\\';
			buf[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c < ' ' || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	if ((i < n || len > n) && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quote && o + 1 < size)
		buf[o++] = '"';
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}

const char *
log_str(char *buf, size_t size, const char *s)
{
	return log_esc(buf, size, s, s ? strlen(s) : 0);
}
