/*
 * reconcile.h - texts the provider received that the webhook never stored.
 *
 * Twilio does not retry a failed SMS webhook: a text that arrived while
 * the gateway was down, restarting or unable to write is gone unless
 * someone asks. reconcile_run() lists, for each of the line's numbers, the
 * texts the provider received in the last reconcile.window
 * (GET .../Messages.json?To=...&DateSent>=...) and stores any the database
 * does not have, deduplicated by MessageSid exactly as webhooks are. The
 * running server does it at start and every reconcile.every (on the
 * janitor's thread, see retention.h).
 */
#ifndef PEERLINE_RECONCILE_H
#define PEERLINE_RECONCILE_H

#include <stdint.h>

struct config;
struct store;

/*
 * One look. *found counts texts stored now that the webhook missed.
 * Returns 0, or -1 when the provider or the database could not be read
 * (said in the log; the next look tries again).
 */
int reconcile_run(const struct config *cfg, struct store *st, int64_t now, int *found);

/*
 * Asks the provider where each of the line's numbers sends its texts
 * (ListIncomingPhoneNumber) and warns, in the log, for each number whose
 * SMS URL is not public_url + /twilio/sms (a mismatch fails every text's
 * signature, or sends texts elsewhere) or that has no Fallback URL.
 * Returns how many numbers need attention, or -1 when the provider could
 * not be asked.
 */
int reconcile_check_numbers(const struct config *cfg);

#endif
