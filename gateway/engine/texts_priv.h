/*
 * texts_priv.h - the shipped template tables, for texts.c and the files that
 * hold them (texts_en.c, texts_es.c).
 */
#ifndef PEERLINE_TEXTS_PRIV_H
#define PEERLINE_TEXTS_PRIV_H

#include "texts.h"

extern const char *const texts_en[TX_COUNT];
extern const char *const texts_es[TX_COUNT];

#endif
