/*
 * who.h - `peerline who`, the matcher's dry run (see who.c).
 */
#ifndef PEERLINE_WHO_H
#define PEERLINE_WHO_H

/* argv[0] is "who". Returns the exit code. */
int who_main(int argc, char **argv);

#endif
