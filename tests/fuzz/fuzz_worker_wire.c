/*
 * libFuzzer target: the records between the daemon and its document
 * workers, decoded from arbitrary bytes. The result decoder is where the
 * daemon reads what a process that parsed hostile mail wrote: it must
 * never crash, leak, or accept something that does not encode back to an
 * equal record; the request decoder is the worker's side of the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "gateway/offramp/worker.h"
#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct offramp_worker_res res, again;
	struct offramp_worker_req req, req2;
	char err[256], *text;
	size_t len;

	if (offramp_worker_res_decode((const char *)data, size, &res, err, sizeof(err)) == 0) {
		if (res.rc != 0 && (res.err.status[0] == '\0' || res.err.text[0] == '\0'))
			abort();
		if (!g_utf8_validate(res.err.text, -1, NULL) ||
		    !g_utf8_validate(res.parts, -1, NULL))
			abort();
		text = offramp_worker_res_encode(&res, res.facts, &len);
		if (text == NULL || offramp_worker_res_decode(text, len, &again, err,
		    sizeof(err)) != 0)
			abort();
		if (again.rc != res.rc || again.pages != res.pages ||
		    strcmp(again.err.text, res.err.text) != 0 ||
		    (again.facts == NULL) != (res.facts == NULL))
			abort();
		g_free(text);
		offramp_worker_res_clear(&again);
		offramp_worker_res_clear(&res);
	} else if (res.facts != NULL) {
		abort();   /* a refused record leaves nothing behind */
	}
	if (offramp_worker_req_decode((const char *)data, size, &req, err, sizeof(err)) == 0) {
		text = offramp_worker_req_encode(&req, &len);
		if (text == NULL || offramp_worker_req_decode(text, len, &req2, err,
		    sizeof(err)) != 0 || memcmp(&req, &req2, sizeof(req)) != 0)
			abort();
		g_free(text);
	}
	return 0;
}
