/*
 * util/log: the process's one logging facility, to stderr or syslog.
 *
 * Lines are `key=value` events, one per event, with the call, job or
 * session id first (t37gw(8) lists them). Any text that came from a peer
 * (SMTP arguments, SIP headers, CSI/TSI, file names) goes through log_esc()
 * first: it is escaped and truncated, so a hostile peer cannot forge log
 * lines or flood them.
 *
 * A utility below every folder: sip/, fax/, mime/, smtp/, config/ and
 * gateway/ include it; it includes nothing of theirs. Safe to call from
 * any thread. It does not decide what is logged, nor rotate files (syslog
 * or the service manager does).
 */
#ifndef T37_LOG_H
#define T37_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* Longest escaped peer value kept in a log line (before the "..." mark). */
#define LOG_ESC_MAX 200
/* Buffer size that always holds a log_esc() result (quotes, escapes, NUL). */
#define LOG_ESC_BUFSZ (LOG_ESC_MAX * 4 + 8)

/* Sets the destination: syslog (ident, LOG_DAEMON) when use_syslog, else
 * stderr with a timestamp. May be called again (reload, -d). */
void log_init(const char *ident, int use_syslog, enum log_level level);
void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* + ": strerror(errno)" */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Escapes len bytes of peer data s into buf (size >= LOG_ESC_BUFSZ is always
 * enough) as a log value: bare when it is printable ASCII without space,
 * quote, backslash or '=', else in double quotes with \" \\ \n \r \t and
 * \xHH escapes. More than LOG_ESC_MAX input bytes are cut and "..." appended.
 * s may be NULL (gives ""). Returns buf.
 */
const char *log_esc(char *buf, size_t size, const char *s, size_t len);
/* log_esc() of a NUL-terminated string. */
const char *log_str(char *buf, size_t size, const char *s);

#endif
