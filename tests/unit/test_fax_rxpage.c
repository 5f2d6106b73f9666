/*
 * Unit tests for fax/rxpage: spandsp's page buffer is freed only once the
 * page has been written (image_size back to 0), and a freed buffer grows
 * again from NULL for the next page. The multi-page receive through a real
 * session is covered by the fax_session suite and the SIP tests (pages
 * compared row by row).
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <check.h>
#include <stdlib.h>
#include <tiffio.h>

#include <spandsp.h>

#include "fax/fax_int.h"

START_TEST(test_fax_rx_page_release)
{
	fax_state_t *fax = fax_init(NULL, 0);
	t30_state_t *t;
	t4_rx_state_t *rx;

	ck_assert_ptr_nonnull(fax);
	t = fax_get_t30_state(fax);
	rx = &t->t4.rx;
	/* nothing allocated yet */
	ck_assert_uint_eq(fax_rx_page_release(t), 0);
	/* a page being received: kept */
	rx->image_buffer = malloc(21600);
	rx->image_buffer_size = 21600;
	rx->image_size = 216;
	ck_assert_uint_eq(fax_rx_page_release(t), 0);
	ck_assert_ptr_nonnull(rx->image_buffer);
	/* the page written: freed, ready to grow again */
	rx->image_size = 0;
	ck_assert_uint_eq(fax_rx_page_release(t), 21600);
	ck_assert_ptr_null(rx->image_buffer);
	ck_assert_int_eq(rx->image_buffer_size, 0);
	fax_free(fax);
}
END_TEST

Suite *
suite_fax_rxpage(void)
{
	Suite *s = suite_create("fax_rxpage");
	TCase *tc = tcase_create("rxpage");

	tcase_add_test(tc, test_fax_rx_page_release);
	suite_add_tcase(s, tc);
	return s;
}
