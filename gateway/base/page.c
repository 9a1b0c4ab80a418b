/*
 * page.c - see page.h. A small scanner over the page's own markup (ours,
 * compiled in, not anyone's input): outside <script> and <style> it reads
 * each tag's attribute names; inside, it hashes the content exactly as
 * served, between the start tag's '>' and the end tag's '<'.
 */
#include "page.h"
#include "buf.h"
#include "http.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIXED_POLICY                                                                               \
    "default-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "                \
    "frame-ancestors 'none'"

struct scan {
    const char *html;
    char scripts[PAGE_MAX_BLOCKS][64], styles[PAGE_MAX_BLOCKS][64];
    int nscripts, nstyles;
    char *err;
    size_t errlen;
};

static int line_of(const char *html, const char *at)
{
    int line = 1;

    for (; html < at; html++)
        line += *html == '\n';
    return line;
}

static int problem(struct scan *sc, const char *at, const char *what)
{
    snprintf(sc->err, sc->errlen, "line %d: %s", line_of(sc->html, at), what);
    return -1;
}

/* "'sha256-BASE64'" of n bytes at p into out (44 base64 characters: 53 in all). */
static void hash_source(const char *p, size_t n, char out[64])
{
    unsigned char md[EVP_MAX_MD_SIZE], b64[48] = "";
    unsigned int mdlen = 0;

    if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
        EVP_EncodeBlock(b64, md, (int)mdlen);
    snprintf(out, 64, "'sha256-%.44s'", (const char *)b64);
}

/* 1 when s starts with the tag name (case-insensitive) followed by '>', space or '/'. */
static int is_tag(const char *s, const char *name)
{
    size_t n = strlen(name);

    return !strncasecmp(s, name, n) && (s[n] == '>' || isspace((unsigned char)s[n]) || s[n] == '/');
}

/*
 * A <script> or <style> element at p (just past '<'): hashed into the list;
 * *next is past its end tag.
 */
static int block(struct scan *sc, const char *p, const char *name, char (*list)[64], int *n,
                 const char **next)
{
    size_t len = strlen(name);
    const char *body = p + len, *end;
    char close[16];

    if (*body != '>')
        return problem(sc, p, "a <script> or <style> with attributes: only a bare one is hashed");
    body++;
    snprintf(close, sizeof(close), "</%s", name);
    for (end = body; *end && strncasecmp(end, close, strlen(close)); end++)
        ;
    if (!*end)
        return problem(sc, p, "a <script> or <style> without its end tag");
    if (*n == PAGE_MAX_BLOCKS)
        return problem(sc, p, "more inline scripts or styles than the policy names");
    hash_source(body, (size_t)(end - body), list[(*n)++]);
    end = strchr(end, '>');
    *next = end ? end + 1 : body + strlen(body);
    return 0;
}

/* A tag's attributes (p just past its name): none that the policy would block. */
static int attributes(struct scan *sc, const char *p, const char **next)
{
    while (*p && *p != '>') {
        const char *name;
        size_t n;

        while (isspace((unsigned char)*p) || *p == '/')
            p++;
        name = p;
        while (*p && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        n = (size_t)(p - name);
        if (n > 2 && !strncasecmp(name, "on", 2))
            return problem(sc, name, "an inline event handler (on...=): use addEventListener");
        if (n == 5 && !strncasecmp(name, "style", 5))
            return problem(sc, name, "a style=\"...\" attribute: use a class");
        if (*p == '=') {
            const char *v;
            char q = 0;
            p++;
            if (*p == '"' || *p == '\'')
                q = *p++;
            for (v = p; isspace((unsigned char)*v); v++)
                ;
            if (!strncasecmp(v, "javascript:", 11))
                return problem(sc, v, "a javascript: URL");
            while (*p && (q ? *p != q : !isspace((unsigned char)*p) && *p != '>'))
                p++;
            if (q && *p)
                p++;
        } else if (!n && *p && *p != '>') {
            p++; /* a stray character: step over it */
        }
    }
    *next = *p ? p + 1 : p;
    return 0;
}

static int scan(struct scan *sc)
{
    const char *p = sc->html, *next;

    while ((p = strchr(p, '<'))) {
        p++;
        if (!strncmp(p, "!--", 3)) {
            const char *end = strstr(p, "-->");
            p = end ? end + 3 : p + strlen(p);
            continue;
        }
        if (*p == '!' || *p == '/' || *p == '?') {
            p += strcspn(p, ">");
            continue;
        }
        if (is_tag(p, "script")) {
            if (block(sc, p, "script", sc->scripts, &sc->nscripts, &next))
                return -1;
        } else if (is_tag(p, "style")) {
            if (block(sc, p, "style", sc->styles, &sc->nstyles, &next))
                return -1;
        } else {
            p += strcspn(p, " \t\r\n/>");
            if (attributes(sc, p, &next))
                return -1;
        }
        p = next;
    }
    return 0;
}

/* "script-src " + each hash ("'none'" without one) + "; " */
static void directive(char *out, size_t n, const char *name, char (*list)[64], int count)
{
    size_t len = strlen(out);
    int i;

    snprintf(out + len, n - len, "%s", name);
    for (i = 0; i < count; i++) {
        len = strlen(out);
        snprintf(out + len, n - len, " %s", list[i]);
    }
    len = strlen(out);
    snprintf(out + len, n - len, "%s; ", count ? "" : " 'none'");
}

int page_init(struct page *p, const char *html, char *err, size_t errlen)
{
    struct scan sc;
    int rc;

    memset(&sc, 0, sizeof(sc));
    sc.html = html;
    sc.err = err;
    sc.errlen = errlen;
    p->html = html;
    p->csp[0] = '\0';
    rc = scan(&sc);
    if (rc)
        sc.nscripts = sc.nstyles = 0; /* nothing inline runs rather than something unchecked */
    directive(p->csp, sizeof(p->csp), "script-src", sc.scripts, sc.nscripts);
    directive(p->csp, sizeof(p->csp), "style-src", sc.styles, sc.nstyles);
    snprintf(p->csp + strlen(p->csp), sizeof(p->csp) - strlen(p->csp), "%s", FIXED_POLICY);
    return rc;
}

void page_serve(const struct page *p, struct http_response *res)
{
    res->status = 200;
    res->content_type = "text/html; charset=utf-8";
    buf_reset(&res->body);
    buf_puts(&res->body, p->html);
    res->header_name = "Content-Security-Policy";
    res->header_value = p->csp;
}
