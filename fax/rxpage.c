/*
 * fax/rxpage: gives back the memory spandsp 0.0.6 keeps for a received page.
 *
 * The T.4 receiver decodes each page into one buffer of 216 bytes per row
 * (about 250 KB for a standard A4 page, 495 KB for a fine one) and writes
 * it to the TIFF at the end of the page, but frees the buffer only when the
 * session ends: seconds later (post-page exchange, phase E, the peer's
 * BYE). With ECM the whole page is decoded at its end, so on a busy
 * gateway every call in its last seconds holds a full page for nothing.
 * This is the one place the fax module reaches into spandsp's private
 * state (the layout of the installed headers, SPANDSP_EXPOSE_INTERNAL_
 * STRUCTURES); the buffer is only grown with realloc() from NULL and freed
 * with free(), so releasing it between pages is safe.
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <stdlib.h>
#include <tiffio.h>

#include <spandsp.h>

#include "fax/fax_int.h"

/* After a page ended (its rows written: image_size back to 0): free the
 * page buffer; the next page grows a new one. Returns the bytes freed. */
size_t
fax_rx_page_release(t30_state_t *t)
{
	t4_rx_state_t *rx = &t->t4.rx;
	size_t n;

	if (rx->image_size != 0 || rx->image_buffer == NULL)
		return 0;
	n = (size_t)rx->image_buffer_size;
	free(rx->image_buffer);
	rx->image_buffer = NULL;
	rx->image_buffer_size = 0;
	return n;
}
