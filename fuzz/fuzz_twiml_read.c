/*
 * fuzz_twiml_read.c - the simulator's TwiML reader (gateway/sim/twiml_read.c)
 * on arbitrary bytes. It may not crash or leak; a refusal must say where
 * ("line N: ..."); a document it accepts must be a <Response> tree within
 * the depth and size bounds, every string in it a C string.
 */
#include "fuzz.h"
#include "twiml_read.h"

#include <stdlib.h>
#include <string.h>

/* Walks n and its siblings at depth; aborts on anything out of bounds. */
static size_t walk(const struct twiml_read_node *n, int depth)
{
    size_t count = 0, i;

    for (; n; n = n->next) {
        if (depth > TWIML_READ_MAX_DEPTH || n->nattrs > TWIML_READ_MAX_ATTRS ||
            strlen(n->name) > TWIML_READ_MAX_NAME)
            abort();
        (void)strlen(n->text);
        for (i = 0; i < n->nattrs; i++)
            if (twiml_read_value(n, n->attrs[i].name) == NULL)
                abort();
        count += 1 + walk(n->kids, depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct twiml_read_doc *d = NULL;
    char err[256] = "";

    if (twiml_read((const char *)data, size, &d, err, sizeof(err)) == 0) {
        const struct twiml_read_node *root = twiml_read_root(d);
        if (!root || strcmp(root->name, "Response") || root->next ||
            walk(root, 1) > TWIML_READ_MAX_NODES)
            abort();
        twiml_read_free(d);
    } else if (d || strncmp(err, "line ", 5)) {
        abort();
    }
    return 0;
}
