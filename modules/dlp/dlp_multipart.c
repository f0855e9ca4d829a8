/* dlp_multipart.c - DLP's reader of multipart bodies and mail: each part
 * (and the preamble, the epilogue) an object of its own through the core
 * multipart parser (sekisho/decode.h), a form's parts in the form's charset,
 * an encoded part's bytes also as they are (what form parsers hand on); a
 * mail message's body and an mbox's messages as mail readers split them.
 * SECURITY: part headers are client-controlled; a part the parser reads
 * ambiguously is recorded for dlp.on-error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/decode.h>
#include <sekisho/text.h>

#include "dlp.h"

/* ---- multipart: each part (and the preamble, the epilogue) is its own
 * object; without a boundary, a mail message's body (sk_mp_new_message) ---- */

/* The charset parameter of a Content-Type as Python's get_param reads
 * it: a plain "charset=" first, else RFC 2231 ("charset*=''utf-7",
 * sections). 0, or -1 when there is none (OUT ""); CT may be NULL. */
int sk_dlp_ct_charset(const char *ct, char *out, size_t size)
{
    int rc = ct ? sk_header_param(ct, "charset", out, size) : -1;

    if (rc == 0 || rc == -2 || (ct && sk_header_param_ext(ct, "charset", out, size) == 0))
        return 0; /* -2: two values, the first as before */
    out[0] = '\0';
    return -1;
}

struct sk_dmp {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_mp *mp;
    struct sk_dlp_sink *part;
    /* an encoded form part's bytes as they are (sk_mp_part.encoded): the
     * reading PHP, busboy, formidable and cgi hand on, in a window of its
     * own */
    struct sk_dlp_sink *raw;
    struct sk_dlp_engine *rawwin;
    char charset[40]; /* a form's own charset (multipart/form-data; charset=) */
    int form;         /* multipart/form-data */
    size_t written;   /* bytes of the body */
};

static int sk_dmp_begin(void *arg, const struct sk_mp_part *p)
{
    struct sk_dmp *m = arg;
    const char *ct = *p->content_type ? p->content_type : NULL;
    char *with = NULL, cs[8];

    /* a form field is text in the form's charset (Django decodes every
     * field with the charset of the request's Content-Type): a field
     * without a charset of its own is read in that one too */
    if (*m->charset && !*p->filename && (!ct || sk_dlp_ct_charset(ct, cs, sizeof(cs)) == -1)) {
        size_t l = (ct ? strlen(ct) : 10) + strlen(m->charset) + 16;
        if ((with = malloc(l)) == NULL)
            return -1;
        snprintf(with, l, "%s; charset=\"%s\"", ct ? ct : "text/plain", m->charset);
        ct = with;
    }
    sk_dlp_engine_where(m->ctx->e, p->filename);
    if (p->ambiguous) /* the part is still read as the parser took it */
        sk_dlp_undecodable(m->ctx, "a part's header field past 1 KiB, RFC 2231 sections past 64 "
                                   "or two Content-Transfer-Encoding fields");
    if (p->kind != SK_MP_PART || p->malformed)
        m->part = sk_dlp_norm_new(m->ctx, NULL);
    else
        m->part = sk_dlp_object_new(m->ctx, ct, *p->filename ? p->filename : NULL, m->depth + 1);
    if (m->part && p->encoded &&
        (!(m->rawwin = sk_dlp_engine_sub(m->ctx->e)) ||
         !(m->raw =
               sk_dlp_object_new(m->ctx, ct, *p->filename ? p->filename : NULL, m->depth + 1)))) {
        free(with);
        return -1;
    }
    free(with);
    return m->part ? 0 : -1;
}

static int sk_dmp_raw(void *arg, const void *buf, size_t len)
{
    struct sk_dmp *m = arg;
    return m->raw ? sk_dlp_put_in(m->ctx, m->rawwin, m->raw, buf, len) : 0;
}

/* The raw reading of an encoded part ends with the part. */
static int sk_dmp_raw_end(struct sk_dmp *m, int end)
{
    int rc = 0;

    if (m->raw) {
        if (end)
            rc = sk_dlp_end_in(m->ctx, m->rawwin, m->raw);
        m->raw->destroy(m->raw);
        m->raw = NULL;
    }
    sk_dlp_engine_free(m->rawwin);
    m->rawwin = NULL;
    return rc;
}

static int sk_dmp_data(void *arg, const void *buf, size_t len)
{
    struct sk_dmp *m = arg;
    return m->part ? sk_dlp_put(m->part, buf, len) : 0;
}

static int sk_dmp_end(void *arg)
{
    struct sk_dmp *m = arg;
    int rc = 0;

    if (m->part) {
        rc = m->part->end(m->part);
        m->part->destroy(m->part);
        m->part = NULL;
    }
    return sk_dmp_raw_end(m, 1) == -1 ? -1 : rc;
}

static int sk_dmp_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    ((struct sk_dmp *)s)->written += n;
    return sk_mp_write(((struct sk_dmp *)s)->mp, p, n);
}

static int sk_dmp_finish(struct sk_dlp_sink *s)
{
    struct sk_dmp *m = (struct sk_dmp *)s;
    int rc = sk_mp_end(m->mp);

    /* Django reads a form body without its boundary as one part (header
     * lines, then its Content-Transfer-Encoding): the bytes were read as
     * text, the verdict is dlp.on-error */
    if (m->form && m->written && !sk_mp_delimited(m->mp))
        sk_dlp_undecodable(m->ctx, "a multipart/form-data body without its boundary");
    return rc;
}

static void sk_dmp_destroy(struct sk_dlp_sink *s)
{
    struct sk_dmp *m = (struct sk_dmp *)s;

    sk_mp_free(m->mp);
    if (m->part)
        m->part->destroy(m->part);
    sk_dmp_raw_end(m, 0);
    free(m);
}

/* A multipart body by its BOUNDARY (CT its Content-Type: digest, and mail
 * line ends unless form-data); without one a mail message, or (MBOX) the
 * messages of an mbox. */
struct sk_dlp_sink *sk_dlp_multipart_new(struct sk_dlp_ctx *ctx, const char *boundary,
                                         const char *ct, int mbox, int depth)
{
    struct sk_dmp *m = calloc(1, sizeof(*m));
    struct sk_mp_handler h = {sk_dmp_begin, sk_dmp_data, sk_dmp_end, m, sk_dmp_raw};

    if (!m)
        return NULL;
    m->sink = (struct sk_dlp_sink){
        .write = sk_dmp_write, .end = sk_dmp_finish, .destroy = sk_dmp_destroy};
    m->ctx = ctx;
    m->depth = depth;
    if (!(m->mp = boundary ? sk_mp_new(boundary, &h)
                  : mbox   ? sk_mp_new_mbox(&h)
                           : sk_mp_new_message(&h))) {
        sk_dmp_destroy(&m->sink);
        return NULL;
    }
    if (boundary) {
        sk_mp_digest(m->mp, sk_mp_is_digest(ct));
        sk_mp_mail(m->mp, !sk_mp_is_form_data(ct));
        m->form = sk_mp_is_form_data(ct);
        /* a form's own charset, when it is one its parts are read in too */
        char cs[sizeof(m->charset)];
        if (m->form && sk_dlp_ct_charset(ct, cs, sizeof(cs)) == 0 && sk_dlp_charset_second(cs))
            memcpy(m->charset, cs, sizeof(cs));
    }
    return &m->sink;
}
