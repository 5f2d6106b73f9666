/*
 * gateway/intake/faxaddr.h: RFC 3192 recipient addresses (faxaddr.c),
 * private to the intake and its tests.
 */
#ifndef T37_INTAKE_FAXADDR_H
#define T37_INTAKE_FAXADDR_H

#include <stddef.h>

#define INTAKE_FAXADDR_DIGITS_MIN 2
#define INTAKE_FAXADDR_DIGITS_MAX 20
#define INTAKE_FAXADDR_SUB_MAX    20

struct intake_faxaddr {
	int postmaster;                         /* postmaster, never dialed */
	int e164;                               /* written with a leading '+' */
	char number[INTAKE_FAXADDR_DIGITS_MAX + 1]; /* digits only */
	char dial[INTAKE_FAXADDR_DIGITS_MAX + 2];   /* number, '+' first when e164 */
	char subaddr[INTAKE_FAXADDR_SUB_MAX + 1];   /* T.33 subaddress or "" */
	int cover;                              /* /cover=yes 1, /cover=no 0, none -1 */
	char domain[256];                       /* the alias it was sent to */
};

enum intake_faxaddr_result {
	INTAKE_FAXADDR_OK = 0,      /* a number (or the postmaster) at an alias */
	INTAKE_FAXADDR_RELAY,       /* not ours to deliver: 550 5.7.1 relaying denied */
	INTAKE_FAXADDR_BADNUMBER,   /* a FAX= / digits form that is malformed: 553 5.1.3 */
	INTAKE_FAXADDR_UNKNOWN,     /* a mailbox name at an alias: 550 5.1.1 */
};

/*
 * Classifies path (an SMTP forward-path without <>, grammar already
 * checked) against the served aliases. Fills fa on INTAKE_FAXADDR_OK.
 */
enum intake_faxaddr_result intake_faxaddr_parse(const char *path, const char *const *aliases,
    size_t naliases, struct intake_faxaddr *fa);

#endif
