/*
 * sim.h - `peerline sim`: a loopback stand-in for the provider (SPEC
 * section 9): Twilio's Messages API and Voice (sim_voice*.c), or, with
 * provider.kind telnyx and --telnyx-signing-key FILE, Telnyx's /v2/messages
 * and Ed25519-signed webhooks (sim_telnyx.c). README lists every endpoint.
 *
 * It serves the Messages API the sender calls (checking what Twilio checks:
 * Basic auth, To, From, Body, ValidityPeriod, StatusCallback), the message
 * list reconciliation reads, and the numbers' webhook URLs; records every
 * text, answers status callbacks, delivers texts from pretend phones to the
 * gateway as correctly signed webhooks, and can be told to fail. Its control
 * API is what the tests and the demo drive (unauthenticated: so it listens on
 * loopback only, unless --unsafe-listen-anywhere):
 *
 *   POST /sim/sms        From, To, Body [, MessageSid, NumMedia]: a phone texts
 *                        the line; answers {"sid", "status"} (the gateway's
 *                        HTTP status)
 *   GET  /sim/messages   [?since=ID&phone=+1...]: every text both ways
 *   POST /sim/fault      mode=500|429|drop|down|none [&count=N],
 *                        latency_ms=MS, delivery=delivered|undelivered|failed
 *                        [&delivery_count=N]: fault switches (see set_fault)
 *   GET  /sim/fault      the switches' state
 *   POST /sim/optout     Phone, Number: the phone opts out of our number at the
 *                        carrier; sends to it then fail with 21610 (Telnyx: 40300)
 *   POST /sim/call...    calls: see sim_voice_ctl.c
 *   POST /sim/numbers    sms_url=URL: what IncomingPhoneNumbers reports
 *   GET  /sim/phones     the line's numbers and the roster's phones
 *   GET  /               the simulator page: every phone side by side
 *   GET  /healthz
 */
#ifndef PEERLINE_SIM_H
#define PEERLINE_SIM_H

/* argv[0] is "sim". Returns the exit code. */
int sim_main(int argc, char **argv);

#endif
