/*
 * Fuzz target: the retry record codec. A spool record may be damaged; the
 * decoder must reject it or give a state that encodes back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/offramp/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[OFFRAMP_RETRY_ENC_MAX + 1], again[OFFRAMP_RETRY_ENC_MAX];
	struct offramp_rcpt_retry r, r2;

	if (size > OFFRAMP_RETRY_ENC_MAX)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (offramp_retry_decode(line, &r) != 0)
		return 0;
	if (offramp_retry_encode(&r, again, sizeof(again)) < 0)
		abort();
	if (offramp_retry_decode(again, &r2) != 0 || memcmp(&r, &r2, sizeof(r)) != 0)
		abort();
	return 0;
}
