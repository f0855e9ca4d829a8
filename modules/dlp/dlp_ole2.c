/* dlp_ole2.c - a legacy Office file (an OLE2 compound file: .doc, .xls,
 * .ppt, Outlook .msg, the OLE1-wrapped object RTF embeds) read as its
 * reader shows it. The filter sits in front of an object's text reader
 * and passes every byte on unchanged; when the object starts with the
 * compound file signature (or an OLE1 embedded-object header whose native
 * data does) it also holds the file and, at its end, reads it with core's
 * reader (sekisho/ole2.h):
 * - Word's text in piece-table order, Excel's cells, PowerPoint's text
 *   atoms (dlp_ole2_doc.c, dlp_ole2_xls.c), each an object of its own;
 * - Outlook's text properties (__substg1.0_XXXX001F in UTF-16, 001E);
 * - every stream (the WordDocument stream too, a msg attachment's data
 *   named by its file name) as an object of its own, chosen by its bytes
 *   (a zip, a PDF, another compound file, text).
 * SECURITY: client-controlled. At most SK_DLP_HOLD_MAX bytes are held
 * (beyond: dlp.on-limit); the held bytes and every stream read are charged
 * to dlp.max-decoded; at most SK_OLE2_OBJECTS streams are read (beyond:
 * on-limit). A file the reader cannot read, a stream it cannot reassemble
 * and a format it cannot parse are dlp.on-error; so is an encrypted
 * document (FIB fEncrypted, FILEPASS, an EncryptedPackage stream).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/ole2.h>

#include "dlp.h"
#include "dlp_ole2.h"

#define SK_OLE2_ENTRIES                                                                            \
    100000u /* directory entries (about 13 MiB of them; a .msg holds about 10 per attachment) */
#define SK_OLE2_OBJECTS 65536u /* streams read as objects */
#define SK_OLE1_MAGIC   8      /* bytes that tell an OLE1 object or a compound file */
/* directory entries compared by name lookups per file (a table stream
 * beside each WordDocument, an attachment's name): beyond, dlp.on-limit */
#define SK_OLE2_LOOKUPS (64u << 20)

struct sk_dole {
    struct sk_dlp_hold h;   /* first: the held file (dlp_hold.c) */
    struct sk_dlp_ctx *ctx; /* h's, or sk_dlp_ole2_text's own (no hold) */
    int depth;
    struct sk_ole2 *ole;
    uint64_t work; /* SK_OLE2_LOOKUPS */
    /* sk_dlp_ole2_text: the text goes here, streams are not opened */
    int (*emit)(void *, const char *, size_t);
    void *emit_arg;
};

static uint32_t sk_do32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Could P (8 bytes) start a compound file or an OLE1 embedded object
 * (OLEVersion 0x0501, FormatID 2: what RTF's \objdata holds)? */
static int sk_dole_magic(const unsigned char *p)
{
    static const unsigned char ole1[8] = {0x01, 0x05, 0, 0, 0x02, 0, 0, 0};

    return sk_ole2_is(p, 8) || memcmp(p, ole1, 8) == 0;
}

/* Where the compound file starts in P[0..N) and how long it is: 0, or -1
 * (an OLE1 header whose native data is no compound file). */
static int sk_dole_locate(const unsigned char *p, size_t n, size_t *off, size_t *len)
{
    size_t i = 8;

    if (sk_ole2_is(p, n)) {
        *off = 0, *len = n;
        return 0;
    }
    /* ClassName, TopicName, ItemName: each a length-prefixed string */
    for (int k = 0; k < 3; k++) {
        if (i + 4 > n)
            return -1;
        uint32_t l = sk_do32(p + i);
        if (l > n - i - 4)
            return -1;
        i += 4 + l;
    }
    if (i + 4 > n)
        return -1;
    uint32_t native = sk_do32(p + i);
    i += 4;
    *off = i, *len = native < n - i ? native : n - i;
    return sk_ole2_is(p + i, *len) ? 0 : -1;
}

static int sk_dole_out(struct sk_dole *d, struct sk_dlp_engine *win, struct sk_dlp_sink *s,
                       const char *p, size_t n)
{
    if (d->emit)
        return d->emit(d->emit_arg, p, n);
    return sk_dlp_put_in(d->ctx, win, s, p, n);
}

/* An object of its own in a window of its own (sk_dlp_member), fed by
 * CB; in sk_dlp_ole2_text's mode (EMIT) none is opened. */
struct sk_dole_obj {
    struct sk_dole *d;
    struct sk_dlp_member m;
};

static int sk_dole_emit(void *arg, const char *p, size_t n)
{
    struct sk_dole_obj *o = arg;

    return sk_dole_out(o->d, o->m.win, o->m.s, p, n);
}

static int sk_dole_obj_open(struct sk_dole *d, struct sk_dole_obj *o, const char *ctype,
                            const char *name)
{
    o->d = d, o->m = (struct sk_dlp_member){0};
    if (d->emit)
        return 0;
    return sk_dlp_member_open(d->ctx, &o->m, ctype, name,
                              name        ? name
                              : d->h.name ? d->h.name
                                          : "",
                              d->depth + 1);
}

static int sk_dole_obj_close(struct sk_dole_obj *o, int rc)
{
    return o->m.s ? sk_dlp_member_close(o->d->ctx, &o->m, rc) : rc;
}

/* sk_ole2_find, charged to SK_OLE2_LOOKUPS: the index or -1. */
static long sk_dole_find(struct sk_dole *d, uint32_t parent, const char *name)
{
    d->work += sk_ole2_count(d->ole);
    if (d->work > SK_OLE2_LOOKUPS) {
        d->ctx->limit = 1;
        return -1;
    }
    return sk_ole2_find(d->ole, parent, name);
}

/* Stream I's bytes, charged to the budget: 0, or -1 with the reason
 * recorded (on-error, on-limit, out of memory). */
static int sk_dole_read(struct sk_dole *d, size_t i, unsigned char **b, size_t *n)
{
    enum sk_ole2_rc rc = sk_ole2_read(d->ole, i, b, n);
    char why[128];

    if (rc == SK_OLE2_OK && *n <= d->ctx->budget) {
        d->ctx->budget -= *n;
        return 0;
    }
    if (rc == SK_OLE2_OK)
        free(*b);
    if (rc == SK_OLE2_OK || rc == SK_OLE2_LIMIT)
        d->ctx->budget = 0, d->ctx->limit = 1;
    else if (rc == SK_OLE2_NOMEM)
        d->ctx->oom = 1;
    else {
        snprintf(why, sizeof(why), "an OLE2 stream that cannot be read (%s)", sk_ole2_why(d->ole));
        sk_dlp_undecodable(d->ctx, why);
    }
    *b = NULL;
    return -1;
}

/* A stream's text by a format reader, as an object of its own. */
static int sk_dole_format(struct sk_dole *d, const char *what, enum sk_ofmt_rc rc0,
                          struct sk_dole_obj *o, const char *why, int rc)
{
    char msg[128];

    if (rc0 == SK_OFMT_FAIL)
        rc = -1;
    else if (rc0 == SK_OFMT_ENCRYPTED) {
        snprintf(msg, sizeof(msg), "an encrypted %s (not read)", what);
        sk_dlp_undecodable(d->ctx, msg);
    } else if (rc0 == SK_OFMT_BROKEN) {
        snprintf(msg, sizeof(msg), "%s", why ? why : "an Office stream that cannot be read");
        sk_dlp_undecodable(d->ctx, msg);
    }
    return sk_dole_obj_close(o, rc);
}

/* Word: WordDocument (stream I) with its table stream beside it. */
static int sk_dole_word(struct sk_dole *d, size_t i, const unsigned char *wd, size_t wn)
{
    uint32_t par = sk_ole2_at(d->ole, i)->parent;
    long i0 = sk_dole_find(d, par, "0Table"), i1 = sk_dole_find(d, par, "1Table");
    unsigned char *t0 = NULL, *t1 = NULL;
    size_t n0 = 0, n1 = 0;
    struct sk_dole_obj o;
    const char *why = NULL;

    if ((i0 >= 0 && sk_dole_read(d, (size_t)i0, &t0, &n0) == -1) ||
        (i1 >= 0 && sk_dole_read(d, (size_t)i1, &t1, &n1) == -1)) {
        free(t0), free(t1);
        return d->ctx->oom ? -1 : 0;
    }
    if (sk_dole_obj_open(d, &o, "text/plain; charset=utf-8", d->h.name) == -1) {
        free(t0), free(t1);
        return -1;
    }
    struct sk_otxt t = {.emit = sk_dole_emit, .arg = &o};
    enum sk_ofmt_rc rc = sk_ofmt_doc(wd, wn, t0, n0, t1, n1, &t, &why);
    free(t0), free(t1);
    return sk_dole_format(d, "Word document", rc, &o, why, 0);
}

static int sk_dole_fmt(struct sk_dole *d, const char *what,
                       enum sk_ofmt_rc (*fn)(const unsigned char *, size_t, struct sk_otxt *,
                                             const char **),
                       const unsigned char *p, size_t n)
{
    struct sk_dole_obj o;
    const char *why = NULL;

    if (sk_dole_obj_open(d, &o, "text/plain; charset=utf-8", d->h.name) == -1)
        return -1;
    struct sk_otxt t = {.emit = sk_dole_emit, .arg = &o};
    /* apart: an argument list may read WHY before the reader sets it */
    enum sk_ofmt_rc rc0 = fn(p, n, &t, &why);
    return sk_dole_format(d, what, rc0, &o, why, 0);
}

/* An Outlook property stream's type: its name's last four hex digits. */
static int sk_dole_prop(const char *name, const char *type)
{
    size_t n = strlen(name);

    return n == 20 && strncmp(name, "__substg1.0_", 12) == 0 && strcmp(name + 16, type) == 0;
}

/* The file name of the attachment storage PAR (3707001F, else 3704001F),
 * into NAME. */
static void sk_dole_attach_name(struct sk_dole *d, uint32_t par, char *name, size_t size)
{
    static const char *const props[] = {"__substg1.0_3707001F", "__substg1.0_3704001F"};

    *name = '\0';
    for (int k = 0; k < 2 && !*name; k++) {
        long j = sk_dole_find(d, par, props[k]);
        unsigned char *b;
        size_t n;
        if (j < 0 || sk_ole2_at(d->ole, (size_t)j)->size > 1024 ||
            sk_dole_read(d, (size_t)j, &b, &n) == -1)
            continue;
        size_t o = 0;
        for (size_t i = 0; i + 1 < n && o + 1 < size; i += 2) /* ASCII of it: for the log */
            if (b[i] || b[i + 1])
                name[o++] = b[i + 1] || b[i] < 0x20 || b[i] > 0x7e ? '_' : (char)b[i];
        name[o] = '\0';
        free(b);
    }
}

/* One stream: its format's text, and its bytes as an object of its own. */
static int sk_dole_stream(struct sk_dole *d, size_t i)
{
    const struct sk_ole2_entry *e = sk_ole2_at(d->ole, i);
    unsigned char *b;
    size_t n;
    int rc = 0;

    if (sk_dole_read(d, i, &b, &n) == -1)
        return d->ctx->oom ? -1 : 0;
    if (strcmp(e->name, "WordDocument") == 0)
        rc = sk_dole_word(d, i, b, n);
    else if (strcmp(e->name, "Workbook") == 0)
        rc = sk_dole_fmt(d, "Excel workbook", sk_ofmt_xls, b, n);
    else if (strcmp(e->name, "PowerPoint Document") == 0)
        rc = sk_dole_fmt(d, "PowerPoint presentation", sk_ofmt_ppt, b, n);
    else if (e->name[0] == '\005') /* a property set: the document's title, author... */
        rc = sk_dole_fmt(d, "property set", sk_ofmt_props, b, n);
    struct sk_dole_obj o;
    if (rc == 0 && sk_dole_prop(e->name, "001F")) { /* UTF-16 text */
        if (sk_dole_obj_open(d, &o, "text/plain; charset=utf-8", d->h.name) == -1)
            rc = -1;
        else {
            struct sk_otxt t = {.emit = sk_dole_emit, .arg = &o};
            sk_otxt_utf16(&t, b, n / 2);
            sk_otxt_put(&t, '\n');
            sk_otxt_flush(&t);
            rc = sk_dole_obj_close(&o, t.failed ? -1 : 0);
        }
    } else if (rc == 0 && (sk_dole_prop(e->name, "001E") || !d->emit)) {
        /* 8-bit text, and every other stream's bytes: a msg attachment's
         * data (37010102) named as its file */
        char name[128];
        if (strcmp(e->name, "__substg1.0_37010102") == 0)
            sk_dole_attach_name(d, e->parent, name, sizeof(name));
        else
            snprintf(name, sizeof(name), "%s", e->name);
        if (sk_dole_obj_open(d, &o, NULL, name) == -1)
            rc = -1;
        else
            rc = sk_dole_obj_close(&o, sk_dole_out(d, o.m.win, o.m.s, (const char *)b, n));
    }
    free(b);
    return rc;
}

/* Read the held compound file. -1: out of memory. */
static int sk_dole_parse(struct sk_dole *d, const unsigned char *p, size_t n)
{
    struct sk_ole2_limits lim = {
        .max_entries = SK_OLE2_ENTRIES, .max_out = d->ctx->budget, .max_total = d->ctx->budget};
    const char *why = NULL;
    char msg[128];
    enum sk_ole2_rc rc = sk_ole2_open(p, n, &lim, &d->ole, &why);

    if (rc == SK_OLE2_NOMEM)
        return -1;
    if (rc == SK_OLE2_LIMIT)
        d->ctx->limit = 1;
    if (rc != SK_OLE2_OK) {
        if (rc != SK_OLE2_LIMIT) {
            snprintf(msg, sizeof(msg), "an OLE2 compound file that cannot be read (%s)",
                     why ? why : "");
            sk_dlp_undecodable(d->ctx, msg);
        }
        return 0;
    }
    if (d->depth + 1 >= SK_DLP_MAX_DEPTH) {
        sk_dlp_undecodable(d->ctx, "an OLE2 compound file nested too deeply");
        return 0;
    }
    size_t streams = 0;
    for (size_t i = 0, c = sk_ole2_count(d->ole); i < c; i++) {
        const struct sk_ole2_entry *e = sk_ole2_at(d->ole, i);
        if (e->type != SK_OLE2_STREAM)
            continue;
        /* Office's agile and standard encryption (a docx/xlsx with a
         * password is a compound file), PowerPoint's */
        if (strcmp(e->name, "EncryptedPackage") == 0 || strcmp(e->name, "EncryptedSummary") == 0)
            sk_dlp_undecodable(d->ctx, "an encrypted Office document (not read)");
        if (++streams > SK_OLE2_OBJECTS) {
            d->ctx->limit = 1;
            break;
        }
        if (sk_dole_stream(d, i) == -1 || d->ctx->oom)
            return -1;
    }
    return 0;
}

/* dlp_hold.c's IS: the first 8 bytes tell. */
static int sk_dole_is(const unsigned char *p, size_t n, int final)
{
    if (n < SK_OLE1_MAGIC)
        return final ? 0 : -1;
    return sk_dole_magic(p);
}

static int sk_dole_end(struct sk_dlp_hold *h)
{
    struct sk_dole *d = (struct sk_dole *)h;
    size_t off, len;

    if (sk_dole_locate(sk_dlp_held(h), h->held.len, &off, &len) == -1 ||
        sk_dlp_hold_charge(h, len) == -1)
        return 0;
    return sk_dole_parse(d, sk_dlp_held(h) + off, len);
}

static void sk_dole_release(struct sk_dlp_hold *h)
{
    struct sk_dole *d = (struct sk_dole *)h;

    sk_ole2_free(d->ole);
    d->ole = NULL;
}

int sk_dlp_ole2_wants(const unsigned char *p, size_t n)
{
    return sk_dlp_hold_wants(sk_dole_is, SK_OLE1_MAGIC, p, n);
}

struct sk_dlp_sink *sk_dlp_ole2_new(struct sk_dlp_ctx *ctx, const char *name, int depth,
                                    struct sk_dlp_sink *next)
{
    struct sk_dlp_hold *h = sk_dlp_hold_new(sizeof(struct sk_dole), ctx, name, depth, next);
    struct sk_dole *d = (struct sk_dole *)h;

    if (h == NULL)
        return NULL;
    h->head = SK_OLE1_MAGIC;
    h->is = sk_dole_is, h->read = sk_dole_end, h->release = sk_dole_release;
    d->ctx = ctx;
    d->depth = depth;
    return &h->sink;
}

int sk_dlp_ole2_text(const unsigned char *p, size_t n, int (*emit)(void *, const char *, size_t),
                     void *arg, char *why, size_t whylen)
{
    struct sk_dlp_ctx ctx = {.budget = 256ull << 20};
    struct sk_dole d = {.ctx = &ctx, .emit = emit, .emit_arg = arg};
    size_t off, len;
    int rc = 0;

    if (n >= SK_OLE1_MAGIC && sk_dole_magic(p) && sk_dole_locate(p, n, &off, &len) == 0)
        rc = sk_dole_parse(&d, p + off, len);
    sk_ole2_free(d.ole);
    snprintf(why, whylen, "%s%s", ctx.undecodable ? ctx.why : "", ctx.limit ? " (a limit)" : "");
    return rc == -1 || ctx.oom ? -1 : (ctx.undecodable || ctx.limit);
}
