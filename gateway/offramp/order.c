/*
 * gateway/offramp/order: jobs to one number go out in arrival order. Per
 * destination number, the jobs that still owe it a fax, sorted by arrival
 * (then job id, which sorts by creation time); only the first may call the
 * number. Whatever delays the first one (a slow document, a busy line and
 * its retry wait, a restart that loads jobs in directory order), a later
 * mail to the same number waits behind it.
 *
 * Not here: when a recipient is final (the ladder), waking the job that
 * becomes first (the runner), calls in progress (offramp_calls).
 */
#include <string.h>
#include <time.h>

#include <glib.h>

#include "gateway/offramp/order.h"

struct order_entry {
	time_t arrival;
	char *id;                 /* owned */
};

struct offramp_order {
	GHashTable *numbers;      /* number (owned) -> GQueue of struct order_entry */
};

static void order_queue_free(gpointer p);
static int order_before(const struct order_entry *a, time_t arrival, const char *id);

struct offramp_order *
offramp_order_new(void)
{
	struct offramp_order *o = g_new0(struct offramp_order, 1);

	o->numbers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    order_queue_free);
	return o;
}

void
offramp_order_free(struct offramp_order *o)
{
	if (o == NULL)
		return;
	g_hash_table_destroy(o->numbers);
	g_free(o);
}

static void
order_queue_free(gpointer p)
{
	GQueue *q = p;
	struct order_entry *e;

	while ((e = g_queue_pop_head(q)) != NULL) {
		g_free(e->id);
		g_free(e);
	}
	g_queue_free(q);
}

/* Does a come before (arrival, id)? */
static int
order_before(const struct order_entry *a, time_t arrival, const char *id)
{
	if (a->arrival != arrival)
		return a->arrival < arrival;
	return strcmp(a->id, id) < 0;
}

void
offramp_order_add(struct offramp_order *o, const char *number, time_t arrival, const char *id)
{
	GQueue *q = g_hash_table_lookup(o->numbers, number);
	struct order_entry *e;
	GList *l;

	if (q == NULL) {
		q = g_queue_new();
		g_hash_table_insert(o->numbers, g_strdup(number), q);
	}
	for (l = q->head; l != NULL; l = l->next)
		if (strcmp(((struct order_entry *)l->data)->id, id) == 0)
			return;   /* once per job and number */
	e = g_new0(struct order_entry, 1);
	e->arrival = arrival;
	e->id = g_strdup(id);
	/* New mail is the common case: it sorts last; search from the tail. */
	for (l = q->tail; l != NULL; l = l->prev)
		if (order_before(l->data, arrival, id))
			break;
	if (l == NULL)
		g_queue_push_head(q, e);
	else
		g_queue_insert_after(q, l, e);
}

int
offramp_order_first(const struct offramp_order *o, const char *number, const char *id)
{
	GQueue *q = g_hash_table_lookup(o->numbers, number);
	GList *l;

	if (q == NULL || q->head == NULL)
		return 1;
	if (strcmp(((struct order_entry *)q->head->data)->id, id) == 0)
		return 1;
	for (l = q->head; l != NULL; l = l->next)
		if (strcmp(((struct order_entry *)l->data)->id, id) == 0)
			return 0;
	return 1;   /* not queued for this number: nothing to wait for */
}

const char *
offramp_order_remove(struct offramp_order *o, const char *number, const char *id)
{
	GQueue *q = g_hash_table_lookup(o->numbers, number);
	GList *l;

	if (q == NULL)
		return NULL;
	for (l = q->head; l != NULL; l = l->next) {
		struct order_entry *e = l->data;
		int was_first = l == q->head;

		if (strcmp(e->id, id) != 0)
			continue;
		g_queue_delete_link(q, l);
		g_free(e->id);
		g_free(e);
		if (q->head == NULL) {
			g_hash_table_remove(o->numbers, number);   /* frees q */
			return NULL;
		}
		return was_first ? ((struct order_entry *)q->head->data)->id : NULL;
	}
	return NULL;
}

unsigned
offramp_order_waiting(const struct offramp_order *o, const char *number)
{
	GQueue *q = g_hash_table_lookup(o->numbers, number);

	return q != NULL ? q->length : 0;
}
