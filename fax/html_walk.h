/*
 * fax/html_walk.h: private to the HTML walk (html_parse.c, html_attr.c,
 * html_table.c): the state of walking libxml2's tree into the document
 * model (html_int.h), and the functions the three files share.
 */
#ifndef FAX_HTML_WALK_H
#define FAX_HTML_WALK_H

#include <libxml/tree.h>

#include "fax/html_int.h"

/* Vertical space, in em of the body font (10 pt = 28.3 units). */
#define HTML_EM			(10.0 * 204.0 / 72.0)
#define HTML_PARA_GAP		(0.8 * HTML_EM)
/* A style attribute value looked at (bytes). */
#define HTML_STYLE_MAX		2048

/* An ordered or unordered list being walked. */
struct list_state {
	int ordered;
	char type;		/* '1', 'a', 'A', 'i', 'I' */
	long next;		/* number of the next item */
	unsigned depth;		/* lists around it, itself included */
};

/* What an element passes down to its content. */
struct ctx {
	struct html_style st;
	int pre;
	int align;		/* PangoAlignment */
	int heading;
	double indent;
	unsigned levels;	/* lists and quotes around (indentation) */
	unsigned nbars;
	double bars[HTML_QUOTE_BARS_MAX];
	struct list_state *list;	/* innermost list, or NULL */
	unsigned tables;	/* tables around */
	int flat_table;		/* inside a table printed cell by cell */
};

/* The walk: where blocks go, the paragraph being filled. */
struct builder {
	struct html_doc *d;
	GPtrArray *out;		/* the container blocks go to (borrowed) */
	struct html_block *cur;	/* the open paragraph, or NULL */
	double gap;		/* space owed above the next block */
	int space;		/* a collapsed space is owed */
	struct html_style space_st;	/* in the style of the text it ended */
	char *marker;		/* owed to the next block (owned), or NULL */
	unsigned depth;		/* elements open */
	unsigned col;		/* <pre>: column, for tabs */
};

/* html_parse.c: the walk itself. */
void	 html_walk(struct builder *, const xmlNode *, const struct ctx *);
void	 html_walk_children(struct builder *, const xmlNode *,
	    const struct ctx *);
/* Ends the open paragraph (an empty one is dropped). */
void	 html_flush(struct builder *);
/* Space above the next block: margins collapse to the largest. */
void	 html_gap(struct builder *, double);
/* A new block of the context's shape; NULL past FAX_HTML_MAX_BLOCKS. */
struct html_block *html_block_new(struct builder *, enum html_block_kind,
	    const struct ctx *);
/* Bold, italic, decoration and font from tag bits and the style
 * attribute (the S_* bits of html_parse.c; 0 for the attribute only). */
void	 html_inline_style(const xmlNode *, unsigned, struct ctx *);
/* Marks the document failed with the first reason. -1. */
int	 html_doc_fail(struct html_doc *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* html_attr.c: attributes and the style attribute. */
/* An attribute's value as written (entities decoded), or NULL; borrowed
 * from the tree. */
const char *html_attr(const xmlNode *, const char *);
/* One property of a style attribute, lower case, without !important,
 * into out. 0, or -1 when it is not there. */
int	 html_style(const char *, const char *, char *, size_t);
/* Hidden from readers (hidden attribute, display:none, ...). */
int	 html_hidden(const xmlNode *);
/* The align attribute or text-align as a PangoAlignment, else inherited. */
int	 html_align(const xmlNode *, int);
/* "120", "120px", "50%" (*pct), "2in", "3cm", "12pt", "1.5em" in layout
 * units (or percent), bounded; 0 when none of these. */
double	 html_length(const char *, int *);
/* The bullet or number of the next item of a list (NULL: a bullet).
 * Caller frees. */
char	*html_list_marker(const struct list_state *);

/* html_table.c */
/* A <table>: a TABLE block on its grid, or its cells' blocks one after
 * another when it is too wide. */
void	 html_table_do(struct builder *, const xmlNode *, const struct ctx *);
void	 html_table_free(struct html_table *);	/* accepts NULL */

#endif
