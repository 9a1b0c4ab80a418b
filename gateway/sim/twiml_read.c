/*
 * twiml_read.c - see twiml_read.h.
 *
 * A recursive-descent reader over the bytes (the depth is capped, so is the
 * recursion). Everything it returns lives in one allocation: a fixed array
 * of nodes (so pointers between them never move), a pool of attributes, and
 * an arena for the decoded strings, sized so that it cannot run out (decoded
 * text is never longer than its source, and each string adds one NUL).
 */
#include "twiml_read.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALL_ATTRS (TWIML_READ_MAX_NODES * 4)

struct twiml_read_doc {
    struct twiml_read_node nodes[TWIML_READ_MAX_NODES];
    size_t nnodes;
    struct twiml_read_attr attrs[MAX_ALL_ATTRS];
    size_t nattrs;
    char *arena;
    size_t used, cap;
};

struct reader {
    const char *s;
    size_t len, pos;
    struct twiml_read_doc *d;
    char *err;
    size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills r->err with "line N: ..." for the current position; returns -1. */
static int fail(struct reader *r, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    size_t i;
    int line = 1;

    for (i = 0; i < r->pos && i < r->len; i++)
        line += r->s[i] == '\n';
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "line %d: %s", line, msg);
    return -1;
}

static int line_at(const struct reader *r)
{
    size_t i;
    int line = 1;

    for (i = 0; i < r->pos; i++)
        line += r->s[i] == '\n';
    return line;
}

static int at_end(const struct reader *r)
{
    return r->pos >= r->len;
}

static char peek(const struct reader *r)
{
    return at_end(r) ? '\0' : r->s[r->pos];
}

static int starts(const struct reader *r, const char *lit)
{
    size_t n = strlen(lit);

    return r->len - r->pos >= n && !memcmp(r->s + r->pos, lit, n);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(struct reader *r)
{
    while (!at_end(r) && is_space(peek(r)))
        r->pos++;
}

/* Bytes other than tab, newline and carriage return below 0x20 (and DEL) are not text. */
static int check_chars(struct reader *r)
{
    size_t i;

    for (i = 0; i < r->len;) {
        uint32_t cp;
        size_t n = utf8_next(r->s + i, r->len - i, &cp);
        if (!n || !cp) {
            r->pos = i;
            return fail(r, n ? "NUL byte" : "not valid UTF-8");
        }
        i += n;
    }
    for (i = 0; i < r->len; i++) {
        unsigned char c = (unsigned char)r->s[i];
        if ((c < 0x20 && !is_space((char)c)) || c == 0x7f) {
            r->pos = i;
            return fail(r, "control character 0x%02x", c);
        }
    }
    return 0;
}

/* ---- the arena ---- */

static char *arena_begin(struct reader *r)
{
    return r->d->arena + r->d->used;
}

/* Appends one byte to the string being built (the arena is sized so this cannot overflow). */
static void arena_put(struct reader *r, char c)
{
    if (r->d->used < r->d->cap)
        r->d->arena[r->d->used++] = c;
}

static char *arena_end(struct reader *r, char *start)
{
    arena_put(r, '\0');
    return start;
}

/* ---- lexical pieces ---- */

static int name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* An element or attribute name (no namespaces) into the arena. */
static int read_name(struct reader *r, const char **out)
{
    size_t start = r->pos;
    char *s;

    if (!name_start(peek(r)))
        return fail(r, "expected a name");
    while (!at_end(r) && name_char(peek(r)))
        r->pos++;
    if (peek(r) == ':')
        return fail(r, "namespaces are not accepted");
    if (r->pos - start > TWIML_READ_MAX_NAME)
        return fail(r, "name longer than %d characters", TWIML_READ_MAX_NAME);
    s = arena_begin(r);
    while (start < r->pos)
        arena_put(r, r->s[start++]);
    *out = arena_end(r, s);
    return 0;
}

/* At '&': one of the five predefined entities, decoded into the arena. */
static int read_entity(struct reader *r)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t i;

    for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        if (starts(r, ents[i].name)) {
            r->pos += strlen(ents[i].name);
            arena_put(r, ents[i].c);
            return 0;
        }
    }
    if (starts(r, "&#"))
        return fail(r, "character references (&#...;) are not accepted");
    return fail(r, "unknown entity (only &amp; &lt; &gt; &quot; &apos;)");
}

/* A quoted attribute value, decoded into the arena. */
static int read_value(struct reader *r, const char **out)
{
    char q = peek(r), *s;

    if (q != '"' && q != '\'')
        return fail(r, "attribute value must be quoted");
    r->pos++;
    s = arena_begin(r);
    for (;;) {
        char c = peek(r);
        if (at_end(r))
            return fail(r, "unterminated attribute value");
        if (c == q)
            break;
        if (c == '<')
            return fail(r, "'<' inside an attribute value");
        if (c == '&') {
            if (read_entity(r))
                return -1;
            continue;
        }
        arena_put(r, c);
        r->pos++;
    }
    r->pos++;
    *out = arena_end(r, s);
    return 0;
}

/* Attributes up to '>' or '/>' (not consumed); they go to the pool, contiguously. */
static int read_attrs(struct reader *r, struct twiml_read_node *n)
{
    struct twiml_read_doc *d = r->d;

    n->attrs = d->attrs + d->nattrs;
    for (;;) {
        struct twiml_read_attr a;
        size_t had = r->pos, i;
        skip_space(r);
        if (peek(r) == '>' || peek(r) == '/' || peek(r) == '?' || at_end(r))
            return 0;
        if (r->pos == had)
            return fail(r, "expected a space before an attribute");
        if (read_name(r, &a.name))
            return -1;
        skip_space(r);
        if (peek(r) != '=')
            return fail(r, "attribute %s has no value", a.name);
        r->pos++;
        skip_space(r);
        if (read_value(r, &a.value))
            return -1;
        for (i = 0; i < n->nattrs; i++)
            if (!strcmp(n->attrs[i].name, a.name))
                return fail(r, "attribute %s repeated", a.name);
        if (n->nattrs == TWIML_READ_MAX_ATTRS || d->nattrs == MAX_ALL_ATTRS)
            return fail(r, "too many attributes");
        d->attrs[d->nattrs++] = a;
        n->nattrs++;
    }
}

/* ---- structure ---- */

/* What XML offers that TwiML does not need, refused by name. */
static int refuse_markup(struct reader *r)
{
    if (starts(r, "<!--"))
        return fail(r, "comments are not accepted");
    if (starts(r, "<![CDATA["))
        return fail(r, "CDATA sections are not accepted");
    if (starts(r, "<!"))
        return fail(r, "DOCTYPE and other declarations are not accepted");
    if (starts(r, "<?"))
        return fail(r, "processing instructions are not accepted");
    return 0;
}

/* A run of text in n's content, up to the next '<'. Whitespace-only runs are dropped. */
static int read_text(struct reader *r, struct twiml_read_node *n)
{
    char *s = arena_begin(r), *a, *b;
    size_t mark = r->d->used;

    while (!at_end(r) && peek(r) != '<') {
        if (peek(r) == '&') {
            if (read_entity(r))
                return -1;
            continue;
        }
        arena_put(r, peek(r));
        r->pos++;
    }
    arena_end(r, s);
    for (a = s; *a && is_space(*a); a++)
        ;
    if (!*a) {
        r->d->used = mark; /* only whitespace */
        return 0;
    }
    if (n->kids || *n->text)
        return fail(r, "text mixed with elements in <%s>", n->name);
    for (b = a + strlen(a); b > a && is_space(b[-1]); b--)
        ;
    *b = '\0';
    n->text = a;
    return 0;
}

static int read_element(struct reader *r, int depth, struct twiml_read_node **out);

/* n's content up to and including its end tag. */
static int read_content(struct reader *r, struct twiml_read_node *n, int depth)
{
    struct twiml_read_node *last = NULL;

    for (;;) {
        if (at_end(r))
            return fail(r, "<%s> is not closed", n->name);
        if (peek(r) != '<') {
            if (read_text(r, n))
                return -1;
            continue;
        }
        if (starts(r, "</")) {
            const char *name;
            r->pos += 2;
            if (read_name(r, &name))
                return -1;
            skip_space(r);
            if (peek(r) != '>')
                return fail(r, "expected '>' to end </%s", name);
            r->pos++;
            if (strcmp(name, n->name))
                return fail(r, "</%s> closes <%s>", name, n->name);
            return 0;
        }
        if (refuse_markup(r))
            return -1;
        if (*n->text)
            return fail(r, "text mixed with elements in <%s>", n->name);
        {
            struct twiml_read_node *kid;
            if (read_element(r, depth + 1, &kid))
                return -1;
            if (last)
                last->next = kid;
            else
                n->kids = kid;
            last = kid;
        }
    }
}

/* At '<': one element and everything inside it. */
static int read_element(struct reader *r, int depth, struct twiml_read_node **out)
{
    struct twiml_read_node *n;

    if (depth > TWIML_READ_MAX_DEPTH)
        return fail(r, "nested deeper than %d levels", TWIML_READ_MAX_DEPTH);
    if (r->d->nnodes == TWIML_READ_MAX_NODES)
        return fail(r, "more than %d elements", TWIML_READ_MAX_NODES);
    n = &r->d->nodes[r->d->nnodes++];
    memset(n, 0, sizeof(*n));
    n->text = "";
    n->line = line_at(r);
    r->pos++; /* '<' */
    if (read_name(r, &n->name) || read_attrs(r, n))
        return -1;
    *out = n;
    if (starts(r, "/>")) {
        r->pos += 2;
        return 0;
    }
    if (peek(r) != '>')
        return fail(r, "expected '>' to end <%s", n->name);
    r->pos++;
    return read_content(r, n, depth);
}

/* <?xml version="1.0" encoding="UTF-8"?>: version 1.0, UTF-8 if it names an encoding. */
static int read_decl(struct reader *r)
{
    struct twiml_read_node decl;
    size_t i;

    memset(&decl, 0, sizeof(decl));
    decl.name = "?xml";
    r->pos += 5;
    if (read_attrs(r, &decl))
        return -1;
    if (!starts(r, "?>"))
        return fail(r, "expected '?>' to end the XML declaration");
    r->pos += 2;
    for (i = 0; i < decl.nattrs; i++) {
        const struct twiml_read_attr *a = &decl.attrs[i];
        if (!strcmp(a->name, "version") && strcmp(a->value, "1.0"))
            return fail(r, "XML version %s (only 1.0)", a->value);
        if (!strcmp(a->name, "encoding") && strcmp(a->value, "UTF-8") && strcmp(a->value, "utf-8"))
            return fail(r, "encoding %s (only UTF-8)", a->value);
        if (strcmp(a->name, "version") && strcmp(a->name, "encoding") &&
            strcmp(a->name, "standalone"))
            return fail(r, "unknown %s in the XML declaration", a->name);
    }
    r->d->nattrs -= decl.nattrs; /* the pool keeps only elements' attributes */
    return 0;
}

static int read_document(struct reader *r)
{
    struct twiml_read_node *root;

    if (starts(r, "\xEF\xBB\xBF"))
        r->pos += 3; /* a byte order mark */
    if (starts(r, "<?xml") && r->len - r->pos > 5 && is_space(r->s[r->pos + 5]) && read_decl(r))
        return -1;
    skip_space(r);
    if (refuse_markup(r))
        return -1;
    if (peek(r) != '<')
        return fail(r, "expected <Response>");
    if (read_element(r, 1, &root))
        return -1;
    if (strcmp(root->name, "Response")) {
        r->pos = 0;
        return fail(r, "the document is <%s>, not <Response>", root->name);
    }
    skip_space(r);
    if (!at_end(r))
        return fail(r, "content after </Response>");
    return 0;
}

int twiml_read(const char *xml, size_t len, struct twiml_read_doc **out, char *err, size_t errlen)
{
    struct reader r = {xml, len, 0, NULL, err, errlen};

    *out = NULL;
    if (len > TWIML_READ_MAX_DOC)
        return fail(&r, "document larger than %d bytes", TWIML_READ_MAX_DOC);
    if (check_chars(&r))
        return -1;
    r.d = calloc(1, sizeof(*r.d));
    if (!r.d)
        return fail(&r, "out of memory");
    r.d->cap = 2 * len + 16;
    r.d->arena = malloc(r.d->cap);
    if (!r.d->arena) {
        fail(&r, "out of memory");
        goto fail;
    }
    if (read_document(&r))
        goto fail;
    *out = r.d;
    return 0;
fail:
    twiml_read_free(r.d);
    return -1;
}

const struct twiml_read_node *twiml_read_root(const struct twiml_read_doc *d)
{
    return d && d->nnodes ? &d->nodes[0] : NULL;
}

const char *twiml_read_value(const struct twiml_read_node *n, const char *name)
{
    size_t i;

    for (i = 0; n && i < n->nattrs; i++)
        if (!strcmp(n->attrs[i].name, name))
            return n->attrs[i].value;
    return NULL;
}

void twiml_read_free(struct twiml_read_doc *d)
{
    if (!d)
        return;
    free(d->arena);
    free(d);
}
