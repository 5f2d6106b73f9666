/*
 * mime/offramp_private: what the offramp parser and the report builders
 * share inside mime/. Not for use outside this folder.
 */
#ifndef T37_MIME_OFFRAMP_PRIVATE_H
#define T37_MIME_OFFRAMP_PRIVATE_H

/* Initializes GMime once per process (thread-safe, idempotent). */
void mime_gmime_init(void);

#endif
