/*
 * serve.h - `peerline serve`: the daemon's top, where every long-lived piece
 * is created, wired together and torn down.
 */
#ifndef PEERLINE_SERVE_H
#define PEERLINE_SERVE_H

/* Runs the gateway in the foreground until SIGTERM/SIGINT. Returns the exit code. */
int serve_main(const char *config_path);

#endif
