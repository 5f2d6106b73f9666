/*
 * config/ private: the parser state and the command tables shared by
 * parse.c (lines, words, dispatch), commands.c and dialpeer.c (one handler
 * per command), and validate.c (defaults and cross-checks after the pass).
 * Nothing outside config/ includes this header.
 */
#ifndef T37_CONFIG_INT_H
#define T37_CONFIG_INT_H

#include "config/config.h"

/* Where a line is: the top level or one of the sub-modes. */
enum cfg_mode {
	CFG_MODE_TOP   = 0x1,
	CFG_MODE_SIP   = 0x2,
	CFG_MODE_TRUNK = 0x4,
	CFG_MODE_PEER  = 0x8,
	CFG_MODE_SKIP  = 0x10,  /* body of a rejected block: lines ignored */
	CFG_MODE_BANNER = 0x20, /* text of an IOS banner, up to its delimiter */
};

/* Command flags beyond the mode. */
#define CFG_CMD_MMOIP_ONLY 0x1  /* dial-peer command valid on mmoip peers only */

struct cfg_parser;

/* A handler gets the words after the command's own words. */
typedef void cfg_handler(struct cfg_parser *p, int argc, char **argv);

struct cfg_cmd {
	const char *words;      /* "mta send server": matched case-insensitively */
	unsigned modes;         /* CFG_MODE_* where it is valid */
	unsigned flags;         /* CFG_CMD_* */
	int min_args;
	int max_args;
	cfg_handler *fn;
	const char *usage;      /* shown when the arguments are wrong */
};

/* Cisco commands t37gw knows but does not implement. */
struct cfg_unsupported {
	const char *words;
	bool block;             /* opens a sub-mode: its body is skipped */
	const char *why;
};

/* IOS lines of other features: ignored with a warning (cisco.c). */
struct cfg_ignored {
	const char *words;
	unsigned modes;         /* CFG_MODE_TOP and/or CFG_MODE_PEER */
	bool block;             /* opens a sub-mode: its body is skipped */
	const char *why;
};

/*
 * Lines (0: not seen) of settings that validate.c names in its messages,
 * and of lists whose first line replaces the default.
 */
struct cfg_seen {
	unsigned sip_listen, mta_listen, allow, mail_from_host, mail_from_user,
	    rr_host, rr_user, max_recipients, retry, give_up, auth_file,
	    recv_auth, recv_tls, send_tls, maildir, server, rtp, max_calls;
	unsigned max_per_client;
	unsigned national_prefix;
};

struct cfg_error {
	bool warning;                   /* the line is ignored; the load goes on */
	unsigned line;
	size_t seq;
	char *msg;                      /* owned; NULL when out of memory */
};

struct cfg_parser {
	struct config *cfg;             /* being filled; owned until returned */
	struct config_dial_peer *peers; /* owned; moved into cfg at the end */
	size_t n_peers, cap_peers;
	struct config_diag *diag;       /* may be NULL */
	const char *file;
	unsigned line;
	size_t errors;
	const struct cfg_cmd *cmd;      /* the command being run */
	struct cfg_error *errs;         /* owned; sorted into diag at the end */
	size_t n_errs, cap_errs;

	enum cfg_mode mode;
	int trunk;                      /* current trunk index, or -1 */
	struct config_trunk *tk;        /* trunks[trunk], or scratch_trunk */
	struct config_trunk scratch_trunk;
	bool trunk_t38_set[CONFIG_MAX_TRUNKS];
	/* The dial-peer being filled: peers[peer] or, for a rejected header, scratch. */
	struct config_dial_peer *peer;
	struct config_dial_peer scratch;
	struct cfg_seen seen;
	char banner_delim[3];           /* CFG_MODE_BANNER: where the text ends */
	unsigned banner_line;           /* where that banner started */
};

/* parse.c */
void cfg_err(struct cfg_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cfg_err_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A warning: reported like an error, but the file still loads. */
void cfg_warn(struct cfg_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cfg_warn_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *cfg_mode_name(unsigned mode);
/* Number of words of `words` ("mta send server") that argv starts with,
 * case-insensitively, when it starts with all of them; else 0. */
int cfg_words_match(const char *words, int argc, char **argv);

/* commands.c: value parsers (each reports its own error, returns -1) */
int cfg_uint(struct cfg_parser *p, const char *what, const char *word,
    unsigned long min, unsigned long max, unsigned long *out);
int cfg_copy(struct cfg_parser *p, const char *what, const char *word,
    char *dst, size_t size);
int cfg_keyword(struct cfg_parser *p, const char *what, const char *word,
    const char *const *names, int *out);
int cfg_listen(struct cfg_parser *p, const char *what, enum config_transport tr,
    const char *addr, const char *port, struct config_listen *out);
int cfg_cidr(struct cfg_parser *p, const char *word, struct config_cidr *out);
bool cfg_valid_hostname(const char *s);
bool cfg_valid_mailbox(const char *s);
/* TEXT: the words joined by single blanks. */
int cfg_text(struct cfg_parser *p, const char *what, int argc, char **argv,
    char *dst, size_t size);
int cfg_mail_addr(struct cfg_parser *p, const char *what, int argc, char **argv,
    struct config_mail_addr *a, unsigned *host_line, unsigned *user_line);
int cfg_subscriber(struct cfg_parser *p, const char *what, const char *tok,
    int argc, char **argv, char *dst, bool *use_token);
int cfg_header_text(struct cfg_parser *p, const char *what, int argc, char **argv,
    char *dst);
/* A calling number (digits, optional leading '+') into dst. */
int cfg_calling_number(struct cfg_parser *p, const char *what, const char *word,
    char *dst, size_t size);

/* mta.c: the mta send, mta receive and fax families. */
/* operator.c */
cfg_handler cfg_cdr, cfg_control_socket, cfg_metrics_listen;
/* mta.c */
cfg_handler cfg_send_server, cfg_send_maildir, cfg_send_mail_from,
    cfg_send_postmaster, cfg_send_subject, cfg_send_with_subject,
    cfg_send_return_receipt_to, cfg_send_origin_prefix, cfg_send_filename,
    cfg_send_success_fax_only, cfg_send_mime, cfg_send_tls, cfg_send_auth,
    cfg_send_retry, cfg_send_give_up, cfg_send_attachment, cfg_send_preview;
cfg_handler cfg_recv_listen, cfg_recv_aliases, cfg_recv_max_recipients,
    cfg_recv_max_size, cfg_recv_allow, cfg_recv_allow_sender, cfg_recv_auth,
    cfg_recv_auth_file, cfg_recv_auth_clear, cfg_recv_tls, cfg_recv_generate,
    cfg_recv_disable_dsn;
cfg_handler cfg_recv_bare_newline, cfg_recv_max_sessions, cfg_recv_max_per_client,
    cfg_recv_session_deadline, cfg_recv_min_rate;
cfg_handler cfg_fax_called_subscriber, cfg_fax_tsi, cfg_fax_max_speed,
    cfg_fax_ecm, cfg_fax_header, cfg_fax_coverpage, cfg_fax_retry,
    cfg_fax_max_pages, cfg_fax_hold, cfg_fax_deny_pattern, cfg_fax_numbering;
/* fax_render.c: the document worker's limits. */
cfg_handler cfg_fax_render;
/* fax_render.c: office documents and multipart/alternative. */
cfg_handler cfg_fax_office_converter, cfg_fax_alternative;

/* The tables (commands.c, dialpeer.c). */
extern const struct cfg_cmd cfg_top_commands[];
extern const struct cfg_cmd cfg_peer_commands[];
extern const struct cfg_unsupported cfg_unsupported[];

/* dialpeer.c: "dial-peer voice TAG TYPE" opens the sub-mode. */
void cfg_dial_peer(struct cfg_parser *p, int argc, char **argv);

/* pattern.c: one written form ('+'? digits) against a pattern; with
 * prefix, the deny-pattern rule (they agree as far as both go). */
bool cfg_pattern_match_form(const struct config_pattern *p, const char *form, bool prefix);
/* >0 when peer a (with pattern pa) beats b: the dial-peer selection order. */
int cfg_pattern_more_specific(const struct config_dial_peer *a, const struct config_pattern *pa,
    const struct config_dial_peer *b, const struct config_pattern *pb);

/* cisco.c: IOS lines of other features. */
extern const struct cfg_ignored cfg_ignored[];
/* The longest entry of cfg_ignored valid in mode that matches argv. */
const struct cfg_ignored *cfg_find_ignored(unsigned mode, int argc, char **argv,
    int *nwords);
/* Warns that the line is ignored; a block's body is skipped. */
void cfg_ignore(struct cfg_parser *p, const struct cfg_ignored *g, bool indented);
/* Banners, before the line is split into words: true when the line was
 * taken (a banner line or its text). */
bool cfg_cisco_raw_line(struct cfg_parser *p, const char *line, bool indented);
/* At the end of the file: a banner still open is an error. */
void cfg_cisco_end(struct cfg_parser *p);
/* "no ...": known says whether the rest is a t37gw command. */
void cfg_cisco_no(struct cfg_parser *p, int argc, char **argv, bool known);

/* validate.c: defaults and cross-references after the pass. */
void cfg_defaults(struct config *cfg);
void cfg_validate(struct cfg_parser *p);

#endif
