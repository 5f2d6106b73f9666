/*
 * mime/: building onramp messages and DSN/MDN reports, and parsing
 * offramp mail, with GMime. No I/O beyond the files it is given and no
 * policy: gateway/ decides what to build and where it goes.
 */
#ifndef T37_MIME_H
#define T37_MIME_H

/* ---- onramp message (mime/onramp*.c) ---------------------------------- */

/* ---- offramp parsing and reports (mime/offramp*.c, mime/report*.c) ---- */

#endif
