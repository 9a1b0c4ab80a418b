/*
 * api.h - one blocking call to the provider's REST API with the account's
 * credentials, for the background jobs (redaction, reconciliation, the
 * start-up number check). The sender has its own curl multi handle.
 */
#ifndef PEERLINE_API_H
#define PEERLINE_API_H

#include <stddef.h>

struct buf;
struct config;

/*
 * GET url (form NULL), POST the form body to it, or DELETE it (form
 * API_DELETE), with HTTP Basic auth and
 * retry.request_timeout. The answer's body goes to out (if not NULL), up to
 * max bytes. Returns the HTTP status, or 0 when there was no answer (or the
 * body was over max).
 */
#define API_DELETE ((const char *)1)
long api_request(const struct config *cfg, const char *url, const char *form, struct buf *out,
                 size_t max);

#endif
