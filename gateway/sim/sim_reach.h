/*
 * sim_reach.h - where the simulator may send a request. Its control API has
 * no authentication, and every request it sends is signed with the line's
 * token, so it sends them only to the gateway (a URL under public_url) or to
 * this machine's loopback: never to another host on the network, whatever
 * URL a control call, a REST call or a TwiML document names.
 */
#ifndef PEERLINE_SIM_REACH_H
#define PEERLINE_SIM_REACH_H

/*
 * 1 when url is http(s) and its host, as libcurl reads it (the same parser
 * that will send the request), is loopback (parse_loopback); else 0.
 */
int sim_reach_loopback(const char *url);

/*
 * 1 when the simulator may send a request to url: under public_url (the
 * gateway's, followed by a '/', a '?' or nothing), or to a loopback host.
 * 0 otherwise, with *why saying so.
 */
int sim_reach_allowed(const char *public_url, const char *url, const char **why);

#endif
