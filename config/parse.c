/*
 * config/parse: reads t37gw.conf line by line, splits each line into words,
 * tracks the sub-mode (sip, trunk NAME, dial-peer voice TAG TYPE) from the
 * indentation, and dispatches each line through the keyword tables in
 * commands.c and dialpeer.c. It keeps going after an error, so one run
 * reports every mistake as "file:line: message"; validate.c then fills the
 * defaults and checks what spans several lines.
 *
 * It does not interpret any value itself (the handlers do) and never
 * touches anything but the config object it builds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

/* Largest config file accepted (bytes). */
#define CFG_FILE_MAX (4L * 1024 * 1024)

static void diag_add(struct config_diag *diag, char *msg, bool warning);
static void cfg_verr(struct cfg_parser *p, unsigned line, bool warning, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));
static const struct cfg_cmd *find_cmd(const struct cfg_cmd *tab, unsigned mode,
    int argc, char **argv, int *nwords);
static unsigned cmd_modes(int argc, char **argv, int *nwords);
static const struct cfg_unsupported *find_unsupported(int argc, char **argv, int *nwords);
static void unknown_command(struct cfg_parser *p, int argc, char **argv);
static void run_cmd(struct cfg_parser *p, const struct cfg_cmd *c, int nwords,
    int argc, char **argv);
static void parse_line(struct cfg_parser *p, char *line, size_t len);
static int error_order(const void *a, const void *b);
static void flush_errors(struct cfg_parser *p);
static const char *modes_text(unsigned modes, char *buf, size_t size);
static const char *join_words(int n, char **argv, char *buf, size_t size);
static struct config *cfg_alloc(void);
static struct cfg_box *cfg_box_of(const struct config *cfg);

/* ---- Diagnostics ---- */

void
config_diag_init(struct config_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
}

void
config_diag_clear(struct config_diag *diag)
{
	size_t i;

	if (diag == NULL)
		return;
	for (i = 0; i < diag->kept; i++)
		free(diag->msgs[i]);
	free(diag->msgs);
	free(diag->warning);
	diag->msgs = NULL;
	diag->warning = NULL;
	diag->kept = diag->cap = diag->count = diag->warnings = 0;
}

const char *
config_diag_get(const struct config_diag *diag, size_t i)
{
	if (diag == NULL || i >= diag->kept)
		return NULL;
	return diag->msgs[i];
}

bool
config_diag_is_warning(const struct config_diag *diag, size_t i)
{
	return diag != NULL && i < diag->kept && diag->warning[i];
}

/* Takes ownership of msg. */
static void
diag_add(struct config_diag *diag, char *msg, bool warning)
{
	char **n;
	bool *w;

	if (warning)
		diag->warnings++;
	else
		diag->count++;
	if (warning && diag->report_warning != NULL)
		diag->report_warning(diag->report_arg, msg);
	else if (diag->report != NULL)
		diag->report(diag->report_arg, msg);
	if (diag->kept >= CONFIG_DIAG_MAX) {
		free(msg);
		return;
	}
	if (diag->kept == diag->cap) {
		size_t cap = diag->cap ? diag->cap * 2 : 16;

		n = realloc(diag->msgs, cap * sizeof(*n));
		if (n == NULL) {
			free(msg);
			return;
		}
		diag->msgs = n;
		w = realloc(diag->warning, cap * sizeof(*w));
		if (w == NULL) {
			free(msg);
			return;
		}
		diag->warning = w;
		diag->cap = cap;
	}
	diag->warning[diag->kept] = warning;
	diag->msgs[diag->kept++] = msg;
}

/* Errors and warnings are kept with their line and sorted before they
 * reach diag. Only errors make the load fail. */
static void
cfg_verr(struct cfg_parser *p, unsigned line, bool warning, const char *fmt, va_list ap)
{
	char text[CONFIG_LINE_MAX + 256];
	const char *kind = warning ? "warning: " : "";
	struct cfg_error *n;
	char *msg;

	if (!warning)
		p->errors++;
	if (p->diag == NULL)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (line > 0) {
		if (asprintf(&msg, "%s:%u: %s%s", p->file, line, kind, text) < 0)
			msg = NULL;
	} else if (asprintf(&msg, "%s: %s%s", p->file, kind, text) < 0)
		msg = NULL;
	if (p->n_errs == p->cap_errs) {
		size_t cap = p->cap_errs ? p->cap_errs * 2 : 16;

		n = realloc(p->errs, cap * sizeof(*n));
		if (n == NULL) {
			free(msg);
			if (warning)
				p->diag->warnings++;
			else
				p->diag->count++;
			return;
		}
		p->errs = n;
		p->cap_errs = cap;
	}
	p->errs[p->n_errs].warning = warning;
	p->errs[p->n_errs].line = line;
	p->errs[p->n_errs].seq = p->n_errs;
	p->errs[p->n_errs++].msg = msg;
}

static int
error_order(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands the errors to diag in line order; frees them. */
static void
flush_errors(struct cfg_parser *p)
{
	size_t i;

	if (p->n_errs > 1)
		qsort(p->errs, p->n_errs, sizeof(p->errs[0]), error_order);
	for (i = 0; i < p->n_errs; i++) {
		if (p->errs[i].msg != NULL)
			diag_add(p->diag, p->errs[i].msg, p->errs[i].warning);
		else if (p->errs[i].warning)
			p->diag->warnings++;
		else
			p->diag->count++;
	}
	free(p->errs);
	p->errs = NULL;
	p->n_errs = p->cap_errs = 0;
}

void
cfg_err(struct cfg_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, p->line, false, fmt, ap);
	va_end(ap);
}

void
cfg_warn(struct cfg_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, p->line, true, fmt, ap);
	va_end(ap);
}

void
cfg_warn_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, line, true, fmt, ap);
	va_end(ap);
}

void
cfg_err_line(struct cfg_parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, line, false, fmt, ap);
	va_end(ap);
}

const char *
cfg_mode_name(unsigned mode)
{
	switch (mode) {
	case CFG_MODE_SIP: return "sip";
	case CFG_MODE_TRUNK: return "trunk";
	case CFG_MODE_PEER: return "dial-peer voice";
	default: return "the top level";
	}
}

/* ---- Words ---- */

int
config_tokenize(char *line, char **argv, int max, char *err, size_t errsize)
{
	char *r = line, *w;
	int argc = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0' || *r == '!' || *r == '#')
			return argc;
		if (argc == max) {
			snprintf(err, errsize, "too many words (at most %d)", max);
			return -1;
		}
		argv[argc++] = w = r;
		if (*r == '"') {
			/* Quoted word: unescape in place. */
			argv[argc - 1] = w = ++r;
			for (;;) {
				if (*r == '\0') {
					snprintf(err, errsize, "unterminated quoted string");
					return -1;
				}
				if (*r == '"')
					break;
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				if ((unsigned char)*r < 0x20 && *r != '\t') {
					snprintf(err, errsize, "control character 0x%02x in line",
					    (unsigned char)*r);
					return -1;
				}
				*w++ = *r++;
			}
			r++;
			if (*r != '\0' && *r != ' ' && *r != '\t') {
				snprintf(err, errsize, "missing blank after quoted string");
				return -1;
			}
		} else {
			while (*r != '\0' && *r != ' ' && *r != '\t') {
				if ((unsigned char)*r < 0x20 || *r == 0x7f) {
					snprintf(err, errsize, "control character 0x%02x in line",
					    (unsigned char)*r);
					return -1;
				}
				if (*r == '"') {
					snprintf(err, errsize, "quote inside word '%.*s'",
					    (int)(r - w + 1), w);
					return -1;
				}
				r++;
			}
			w = r;
		}
		if (*r != '\0')
			r++;
		*w = '\0';
	}
}

/* ---- Command lookup ---- */

/* Number of words of `words` when they all match argv's first ones, else 0. */
int
cfg_words_match(const char *words, int argc, char **argv)
{
	const char *s = words;
	int n = 0;

	while (*s != '\0') {
		size_t len = strcspn(s, " ");

		if (n >= argc || strlen(argv[n]) != len || strncasecmp(s, argv[n], len) != 0)
			return 0;
		n++;
		s += len;
		if (*s == ' ')
			s++;
	}
	return n;
}

/* The longest command of tab valid in mode that matches argv. */
static const struct cfg_cmd *
find_cmd(const struct cfg_cmd *tab, unsigned mode, int argc, char **argv, int *nwords)
{
	const struct cfg_cmd *best = NULL;
	int bestn = 0, n;

	for (; tab->words != NULL; tab++) {
		if ((tab->modes & mode) == 0)
			continue;
		n = cfg_words_match(tab->words, argc, argv);
		if (n > bestn) {
			best = tab;
			bestn = n;
		}
	}
	*nwords = bestn;
	return best;
}

/* The modes where some command spelled like argv is valid (0 if none). */
static unsigned
cmd_modes(int argc, char **argv, int *nwords)
{
	const struct cfg_cmd *tabs[] = { cfg_top_commands, cfg_peer_commands };
	const struct cfg_cmd *c;
	unsigned modes = 0;
	int bestn = 0, n;
	size_t t;

	for (t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++)
		for (c = tabs[t]; c->words != NULL; c++) {
			n = cfg_words_match(c->words, argc, argv);
			if (n > bestn) {
				bestn = n;
				modes = 0;
			}
			if (n > 0 && n == bestn)
				modes |= c->modes;
		}
	*nwords = bestn;
	return modes;
}

static const struct cfg_unsupported *
find_unsupported(int argc, char **argv, int *nwords)
{
	const struct cfg_unsupported *u, *best = NULL;
	int bestn = 0, n;

	for (u = cfg_unsupported; u->words != NULL; u++) {
		n = cfg_words_match(u->words, argc, argv);
		if (n > bestn) {
			best = u;
			bestn = n;
		}
	}
	*nwords = bestn;
	return best;
}

/*
 * "unknown command 'mta send frob'": the words that are a prefix of some
 * command, plus the first word that is not.
 */
static void
unknown_command(struct cfg_parser *p, int argc, char **argv)
{
	const struct cfg_cmd *tabs[] = { cfg_top_commands, cfg_peer_commands };
	const struct cfg_cmd *c;
	char shown[CONFIG_LINE_MAX];
	int known = 0, i, n;
	size_t t, off = 0;

	for (t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++)
		for (c = tabs[t]; c->words != NULL; c++) {
			const char *s = c->words;

			for (n = 0; n < argc && *s != '\0'; n++) {
				size_t len = strcspn(s, " ");

				if (strlen(argv[n]) != len || strncasecmp(s, argv[n], len) != 0)
					break;
				s += len + (s[len] == ' ');
			}
			if (n > known)
				known = n;
		}
	shown[0] = '\0';
	for (i = 0; i <= known && i < argc && off < sizeof(shown); i++)
		off += snprintf(shown + off, sizeof(shown) - off, "%s%s",
		    i ? " " : "", argv[i]);
	if (known >= argc)
		cfg_err(p, "incomplete command '%s'", shown);
	else
		cfg_err(p, "unknown command '%s'", shown);
}

static void
run_cmd(struct cfg_parser *p, const struct cfg_cmd *c, int nwords, int argc, char **argv)
{
	int nargs = argc - nwords;

	if (p->mode == CFG_MODE_PEER && (c->flags & CFG_CMD_MMOIP_ONLY) &&
	    p->peer->type != CONFIG_PEER_MMOIP) {
		cfg_err(p, "'%s' is only valid under a mmoip dial-peer", c->words);
		return;
	}
	if (nargs < c->min_args) {
		cfg_err(p, "'%s' is incomplete (usage: %s)", c->words, c->usage);
		return;
	}
	if (c->max_args >= 0 && nargs > c->max_args) {
		cfg_err(p, "unexpected '%s' after '%s' (usage: %s)",
		    argv[nwords + c->max_args], c->words, c->usage);
		return;
	}
	p->cmd = c;
	c->fn(p, nargs, argv + nwords);
}

/* ---- Lines ---- */

static void
parse_line(struct cfg_parser *p, char *line, size_t len)
{
	char *argv[CONFIG_ARGS_MAX];
	char err[128];
	const struct cfg_cmd *c;
	const struct cfg_unsupported *u;
	const struct cfg_ignored *g;
	bool indented = line[0] == ' ' || line[0] == '\t';
	char where[64], name[CONFIG_LINE_MAX + 1];
	unsigned modes;
	int argc, nwords, un, gn;

	if (len > CONFIG_LINE_MAX) {
		cfg_err(p, "line too long (%zu bytes, at most %d)", len, CONFIG_LINE_MAX);
		return;
	}
	if (strlen(line) != len) {
		cfg_err(p, "NUL byte in line");
		return;
	}
	if (indented && p->mode == CFG_MODE_SKIP)
		return;         /* body of a block already reported */
	if (cfg_cisco_raw_line(p, line, indented))
		return;         /* an IOS banner */
	argc = config_tokenize(line, argv, CONFIG_ARGS_MAX, err, sizeof(err));
	if (argc < 0) {
		cfg_err(p, "%s", err);
		if (!indented)
			p->mode = CFG_MODE_TOP;
		return;
	}
	if (argc == 0)
		return;         /* blank lines and comments keep the sub-mode */
	if (!indented)
		p->mode = CFG_MODE_TOP;

	if (strcasecmp(argv[0], "exit") == 0 && argc == 1) {
		if (p->mode == CFG_MODE_TOP && indented)
			cfg_err(p, "'exit' outside a sub-mode");
		p->mode = CFG_MODE_TOP;
		return;
	}
	if (indented && p->mode == CFG_MODE_TOP) {
		cfg_err(p, "indented line '%s' but no sub-mode is open", argv[0]);
		return;
	}

	c = find_cmd(p->mode == CFG_MODE_PEER ? cfg_peer_commands : cfg_top_commands,
	    p->mode, argc, argv, &nwords);
	if (c != NULL) {
		run_cmd(p, c, nwords, argc, argv);
		return;
	}
	if (strcasecmp(argv[0], "no") == 0 && argc > 1) {
		cfg_cisco_no(p, argc, argv, cmd_modes(argc - 1, argv + 1, &nwords) != 0);
		return;
	}
	modes = cmd_modes(argc, argv, &nwords);
	u = find_unsupported(argc, argv, &un);
	g = cfg_find_ignored(p->mode, argc, argv, &gn);
	/* A line of another feature, unless a t37gw or an unsupported fax
	 * command is spelled by as many words. */
	if (g != NULL && gn >= nwords && gn > un) {
		cfg_ignore(p, g, indented);
		return;
	}
	if (modes == 0) {
		if (u == NULL) {
			unknown_command(p, argc, argv);
			return;
		}
		cfg_err(p, "'%s' is not supported: %s", u->words, u->why);
		if (u->block && !indented)
			p->mode = CFG_MODE_SKIP;
		return;
	}
	join_words(nwords, argv, name, sizeof(name));
	if (modes & CFG_MODE_TOP)
		cfg_err(p, "'%s' is a top-level command, not valid under %s",
		    name, cfg_mode_name(p->mode));
	else if (p->mode == CFG_MODE_TOP)
		cfg_err(p, "'%s' is only valid under %s", name,
		    modes_text(modes, where, sizeof(where)));
	else
		cfg_err(p, "'%s' is only valid under %s, not under %s", name,
		    modes_text(modes, where, sizeof(where)), cfg_mode_name(p->mode));
}

/* The first n words joined by blanks ("incoming called-number"). */
static const char *
join_words(int n, char **argv, char *buf, size_t size)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i ? " " : "", argv[i]);
	return buf;
}

/* "sip or trunk" for a set of sub-modes. */
static const char *
modes_text(unsigned modes, char *buf, size_t size)
{
	static const unsigned order[] = { CFG_MODE_SIP, CFG_MODE_TRUNK, CFG_MODE_PEER };
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (modes & order[i])
			off += snprintf(buf + off, off < size ? size - off : 0, "%s%s",
			    off ? " or " : "", cfg_mode_name(order[i]));
	return buf;
}

struct config *
config_parse_buffer(const char *name, const char *text, size_t len,
    struct config_diag *diag)
{
	struct cfg_parser p;
	char *buf;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	p.diag = diag;
	p.file = name != NULL ? name : "(config)";
	p.mode = CFG_MODE_TOP;
	p.trunk = -1;
	p.cfg = cfg_alloc();
	buf = malloc(CONFIG_LINE_MAX + 2);
	if (p.cfg == NULL || buf == NULL) {
		cfg_err(&p, "out of memory");
		flush_errors(&p);
		config_free(p.cfg);
		free(buf);
		return NULL;
	}
	snprintf(p.cfg->file, sizeof(p.cfg->file), "%s", p.file);
	cfg_defaults(p.cfg);

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t linelen = nl ? (size_t)(nl - (text + off)) : len - off;
		size_t keep = linelen;

		p.line++;
		if (keep > 0 && text[off + keep - 1] == '\r')
			keep--;
		if (keep > CONFIG_LINE_MAX) {
			cfg_err(&p, "line too long (%zu bytes, at most %d)", keep,
			    CONFIG_LINE_MAX);
		} else {
			memcpy(buf, text + off, keep);
			buf[keep] = '\0';
			parse_line(&p, buf, keep);
		}
		off += linelen + (nl != NULL);
	}
	free(buf);
	cfg_cisco_end(&p);
	cfg_validate(&p);

	flush_errors(&p);
	p.cfg->peers = p.peers;
	p.cfg->n_peers = p.n_peers;
	if (p.errors > 0) {
		config_free(p.cfg);
		return NULL;
	}
	return p.cfg;
}

struct config *
config_load(const char *path, struct config_diag *diag)
{
	struct cfg_parser p;
	struct config *cfg;
	FILE *f;
	char *text = NULL;
	size_t len = 0, cap = 0, n;

	memset(&p, 0, sizeof(p));
	p.diag = diag;
	p.file = path;
	f = fopen(path, "r");
	if (f == NULL) {
		cfg_err(&p, "cannot open: %s", strerror(errno));
		flush_errors(&p);
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *t;

			if (cap > (size_t)CFG_FILE_MAX) {
				cfg_err(&p, "file too large (more than %ld bytes)", CFG_FILE_MAX);
				free(text);
				fclose(f);
				flush_errors(&p);
				return NULL;
			}
			cap = cap ? cap * 2 : 16384;
			if (cap > (size_t)CFG_FILE_MAX)
				cap = (size_t)CFG_FILE_MAX + 1;   /* one more byte says "too large" */
			t = realloc(text, cap);
			if (t == NULL) {
				cfg_err(&p, "out of memory");
				free(text);
				fclose(f);
				flush_errors(&p);
				return NULL;
			}
			text = t;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		cfg_err(&p, "cannot read: %s", strerror(errno));
		free(text);
		fclose(f);
		flush_errors(&p);
		return NULL;
	}
	fclose(f);
	cfg = config_parse_buffer(path, text, len, diag);
	free(text);
	return cfg;
}

/*
 * A config and the count of its holders. The object is immutable, so the
 * count is its only mutable part: it lives outside struct config, in the
 * box around it, and changes atomically (holders are on any thread).
 */
struct cfg_box {
	atomic_uint refs;
	struct config cfg;
};

static atomic_uint cfg_live;            /* boxes allocated and not freed */

static struct config *
cfg_alloc(void)
{
	struct cfg_box *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	atomic_init(&b->refs, 1);
	atomic_fetch_add(&cfg_live, 1);
	return &b->cfg;
}

static struct cfg_box *
cfg_box_of(const struct config *cfg)
{
	return (struct cfg_box *)(void *)((char *)(uintptr_t)cfg - offsetof(struct cfg_box, cfg));
}

const struct config *
config_hold(const struct config *cfg)
{
	atomic_fetch_add(&cfg_box_of(cfg)->refs, 1);
	return cfg;
}

void
config_free(const struct config *cfg)
{
	struct cfg_box *b;

	if (cfg == NULL)
		return;
	b = cfg_box_of(cfg);
	if (atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	free((void *)b->cfg.peers);
	free(b);
	atomic_fetch_sub(&cfg_live, 1);
}

unsigned
config_live(void)
{
	return atomic_load(&cfg_live);
}
