/*
 * Fuzz target: an offramp job's state record as the spool holds it. The
 * file may be damaged; the loader must refuse it (leaving the job as it
 * was) or give a state that stores back to a record that loads to the
 * same state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "gateway/offramp/job.h"
#include "gateway/spool/spool.h"

#define FUZZ_RCPTS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct offramp_job *
fuzz_job(void)
{
	struct offramp_job *j = offramp_job_new();
	char err[128];
	int i;

	for (i = 0; i < FUZZ_RCPTS; i++)
		if (offramp_job_env(j, "rcpt", "FAX=+19195551234@fax.test", err, sizeof(err)) != 0)
			abort();
	return j;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct offramp_job *j, *k;
	struct spool_rec *rec, *again;
	struct offramp_rcpt_retry before[FUZZ_RCPTS];
	char err[256];
	const char *text;
	size_t len, i;

	if ((rec = spool_rec_parse((const char *)data, size, err, sizeof(err))) == NULL)
		return 0;
	j = fuzz_job();
	for (i = 0; i < FUZZ_RCPTS; i++)
		before[i] = j->rcpts[i].retry;
	if (offramp_job_state_load(j, rec, err, sizeof(err)) != 0) {
		for (i = 0; i < FUZZ_RCPTS; i++)
			if (memcmp(&before[i], &j->rcpts[i].retry, sizeof(before[i])) != 0)
				abort();        /* a refused record changed the job */
		goto out;
	}
	again = offramp_job_state(j);
	if (again == NULL)
		abort();
	text = spool_rec_data(again, &len);
	spool_rec_free(rec);
	if ((rec = spool_rec_parse(text, len, err, sizeof(err))) == NULL)
		abort();
	spool_rec_free(again);
	k = fuzz_job();
	if (offramp_job_state_load(k, rec, err, sizeof(err)) != 0)
		abort();
	for (i = 0; i < FUZZ_RCPTS; i++)
		if (memcmp(&j->rcpts[i].retry, &k->rcpts[i].retry, sizeof(k->rcpts[i].retry)) != 0)
			abort();
	offramp_job_free(k);
out:
	offramp_job_free(j);
	spool_rec_free(rec);
	return 0;
}
