/*
 * report.h - `peerline report`: what funders and coordinators ask for,
 * from the conversations table and the counts of peers' tools (SPEC
 * sections 2 and 11), never message text or a phone number.
 *
 *   peerline report -c FILE [--since YYYY-MM-DD] [--format csv|json]
 *
 * The figures, for every conversation and then by channel (sms, or voice:
 * calls are filed as conversations once over), topic, language, hour of
 * day (the line's zone; "abandoned" there is the missed contacts by hour)
 * and peer: contacts, answered (reached a peer), abandoned (joined the line
 * and closed without one), still waiting; the median and 90th percentile of
 * the wait for a peer and the median length of a chat (nearest-rank, in
 * seconds); ratings given and their mean; chats a peer in training read
 * along with (shadowed); and how many of each rating. Then the other
 * peers' tools (SPEC section 11): notes written, debriefs offered and
 * asked, and resources sent by id.
 *
 * The aggregation is pure: rows in (report_add), text out.
 */
#ifndef PEERLINE_REPORT_H
#define PEERLINE_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct store_report_row;
struct store_tool_counts;
struct tz;

struct report;

/* Hours of day are read in zone tz (kept by the caller). NULL when out of memory. */
struct report *report_new(const struct tz *tz);
void report_free(struct report *r);
int report_add(struct report *r, const struct store_report_row *row);
/* Peers' tools in the period (store_tool_counts), and resources sent by id (any order). */
void report_add_tools(struct report *r, const struct store_tool_counts *t);
int report_add_resource(struct report *r, const char *id, int64_t n);

/* One line per group and key, after a header line; then ratings, then the tools. */
int report_csv(struct report *r, struct buf *out);
/*
 * {"since": ..., "groups": [...], "ratings": {"1": n, ...}, "tools": {"notes_written": n,
 * "debriefs_offered": n, "debriefs_asked": n, "resources_sent": {ID: n}}}
 */
int report_json(struct report *r, const char *since, struct buf *out);

/* The nearest-rank p-th percentile (0 < p <= 100) of v (sorted in place); -1 when n == 0. */
int64_t report_percentile(int64_t *v, size_t n, int p);

int report_main(int argc, char **argv);

#endif
