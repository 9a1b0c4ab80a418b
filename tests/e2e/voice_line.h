/*
 * voice_line.h - the roster both voice test files call: three topics, and
 * Alex (anxiety, general) and Blair (anxiety, grief) on shift all day and
 * taking calls; Sam the on-call coordinator. Each file adds what it needs
 * between VOICE_PEERS and VOICE_COORDINATORS (another peer, a blocked list).
 */
#ifndef PEERLINE_VOICE_LINE_H
#define PEERLINE_VOICE_LINE_H

#include "harness.h"

#define VOICE_ALL_DAY                                                                              \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

#define VOICE_PEERS                                                                                \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"                            \
    "  - {id: general, label: Something else}\n"                                                   \
    "peers:\n"                                                                                     \
    "  - id: alex\n    name: Alex\n    phone: \"" ALEX "\"\n    topics: [anxiety, general]\n"      \
    "    voice: true\n" VOICE_ALL_DAY "  - id: blair\n    name: Blair\n    phone: \"" BLAIR        \
    "\"\n    topics: [anxiety, grief]\n    voice: true\n" VOICE_ALL_DAY

#define VOICE_COORDINATORS                                                                         \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"

#endif
