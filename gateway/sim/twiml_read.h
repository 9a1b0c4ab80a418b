/*
 * twiml_read.h - a small, strict reader for TwiML documents (the XML a voice
 * webhook answers with), for the simulator's voice side. Pure: bytes in, a
 * read-only tree out, no I/O.
 *
 * It reads exactly what TwiML needs and refuses the rest of XML, saying
 * where: an optional <?xml version="1.0" encoding="UTF-8"?> declaration, then
 * one <Response> element holding elements, attributes (single or double
 * quotes) and text, with the five predefined entities (&amp; &lt; &gt; &quot;
 * &apos;). Comments, DOCTYPE, CDATA, processing instructions, numeric
 * character references, namespaces, text mixed with elements, invalid UTF-8
 * and control characters are refused. Bounded: TWIML_READ_MAX_DOC bytes,
 * TWIML_READ_MAX_DEPTH levels (Response is level 1), TWIML_READ_MAX_NODES elements,
 * TWIML_READ_MAX_ATTRS attributes per element.
 *
 * Which verbs and attributes mean what is the caller's business (sim_voice_run.c);
 * this only checks the document is well formed.
 */
#ifndef PEERLINE_TWIML_READ_H
#define PEERLINE_TWIML_READ_H

#include <stddef.h>

#define TWIML_READ_MAX_DOC   (64 * 1024)
#define TWIML_READ_MAX_DEPTH 4
#define TWIML_READ_MAX_NODES 256
#define TWIML_READ_MAX_ATTRS 16
#define TWIML_READ_MAX_NAME  32

struct twiml_read_attr {
    const char *name;
    const char *value; /* entities decoded */
};

struct twiml_read_node {
    const char *name;
    const char *text; /* character data, entities decoded, trimmed; "" when none */
    const struct twiml_read_attr *attrs;
    size_t nattrs;
    const struct twiml_read_node *kids; /* first child element, or NULL */
    const struct twiml_read_node *next; /* next sibling, or NULL */
    int line;                           /* where its start tag is (1-based) */
};

struct twiml_read_doc;

/*
 * Reads xml[0..len). Returns 0 with *out set (free with twiml_read_free), or -1
 * with *out NULL and err filled ("line N: what is wrong").
 */
int twiml_read(const char *xml, size_t len, struct twiml_read_doc **out, char *err, size_t errlen);

/* The <Response> element. */
const struct twiml_read_node *twiml_read_root(const struct twiml_read_doc *d);

/* The value of attribute `name` (case-sensitive, as XML is), or NULL. */
const char *twiml_read_value(const struct twiml_read_node *n, const char *name);

void twiml_read_free(struct twiml_read_doc *d);

#endif
