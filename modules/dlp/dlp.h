/* dlp.h - internal interfaces of the dlp module: detectors, the streaming
 * engine, body decoders and the compiled template plan. Not installed.
 * SECURITY: every byte that reaches these interfaces is client-controlled.
 */
#ifndef SK_DLP_H
#define SK_DLP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sekisho/policy_snapshot.h>
#include <sekisho/text.h>

/* ---- built-in detectors (dlp_validate.c, dlp_detect.c) ---- */
enum sk_dlp_det {
    SK_DLP_CARD,
    SK_DLP_MYNUM,
    SK_DLP_CORP,
    SK_DLP_SSN,
    SK_DLP_IBAN,
    SK_DLP_EMAIL,
    SK_DLP_PHONE,
    SK_DLP_NBUILTIN
};
#define SK_DLP_ALL_BUILTINS ((1u << SK_DLP_NBUILTIN) - 1)

/* Detector name as stored in the policy ("credit-card"), static. */
const char *sk_dlp_det_name(enum sk_dlp_det);
/* -1 if NAME is not a built-in detector. */
int sk_dlp_det_find(const char *name);

/* Validators: D holds N ASCII digits (no separators). 1 valid, 0 not. */
int sk_dlp_luhn(const char *d, size_t n);
int sk_dlp_card_ok(const char *d, size_t n); /* brand prefix + length + Luhn */
int sk_dlp_mynumber_ok(const char *d, size_t n);
int sk_dlp_corporate_ok(const char *d, size_t n);
int sk_dlp_ssn_ok(const char *d, size_t n);
/* National number (leading 0), N digits. */
int sk_dlp_jp_phone_ok(const char *d, size_t n);
/* S: N upper-case letters/digits, no spaces. */
int sk_dlp_iban_ok(const char *s, size_t n);
/* IBAN length of country CC (two upper-case letters), 0 if unknown. */
int sk_dlp_iban_length(const char *cc);
/* A masked form of VALUE (canonical: digits, compact IBAN, lower-case
 * e-mail) for logs; never more than the last four characters in clear
 * (cards: first four too, as PCI DSS allows; My Number: nothing). */
void sk_dlp_mask(enum sk_dlp_det, const char *value, size_t n, char *out, size_t size);

/* ---- the compiled templates of one policy (dlp_plan.c, dlp_cache.c) ---- */
enum sk_dlp_custom_kind { SK_DLP_KEYWORD, SK_DLP_REGEX };

struct sk_dlp_custom {
    enum sk_dlp_custom_kind kind;
    char *text; /* keyword: folded + ASCII lower-cased; regex: source */
    size_t len;
    void *re;   /* pcre2_code *, JIT-compiled when possible */
    size_t tpl; /* owning template */
};

struct sk_dlp_tpl {
    char *name; /* owned: a cached plan may outlive the snapshot it came from */
    int64_t min_count;
    int block;         /* action block (else log) */
    unsigned builtins; /* 1 << enum sk_dlp_det */
};

struct sk_dlp_plan {
    struct sk_dlp_tpl *tpl;
    size_t ntpl;
    struct sk_dlp_custom *cust;
    size_t ncust;
    unsigned builtins; /* union over templates */
    size_t kw_max;     /* longest keyword */
    void *mctx;        /* pcre2_match_context * (match limits) */
    long refs;         /* __atomic builtins; the cache holds one */
};

/* Compile N templates (copied: the plan owns everything it points to).
 * 0 with *out holding one reference (release with sk_dlp_plan_unref), or
 * -1 with a malloc'd *err naming the template and detector (hand-edited
 * database). */
int sk_dlp_plan_build(const struct sk_dlp_template *const *tpls, size_t n, struct sk_dlp_plan **out,
                      char **err);
void sk_dlp_plan_ref(struct sk_dlp_plan *);
/* Drops a reference; the last one frees. NULL is ignored. */
void sk_dlp_plan_unref(struct sk_dlp_plan *);

/* The templates that apply to POL at AT (sk_txn_clock; SK_AT_ANY: all):
 * its own, then the default policy's of SNAP (global, like URL rules)
 * unless POL has one of the same name; a template with a schedule counts
 * only inside it (an own one outside it still shadows the global one). At
 * most MAX into OUT (borrowed from SNAP) and, when SEL is not NULL, which
 * ones they are (own index, or SK_DLP_SEL_GLOBAL | default's index); the
 * count. */
#define SK_DLP_SEL_GLOBAL 0x80000000u
size_t sk_dlp_templates_of(const struct sk_snapshot *snap, const struct sk_policy *pol, int64_t at,
                           const struct sk_dlp_template **out, uint32_t *sel, size_t max);

/* Compiled plans of one process, one per policy and set of templates in
 * force (schedules), valid for one policy content
 * (sk_snapshot_content_hash: it covers every template, so a reload that
 * changes none of them keeps the plans; any change drops them all).
 * Compiling (pcre2_compile + JIT) happens once per policy, schedule state
 * and content, not per request; transactions hold a reference, so a plan
 * dropped by a reload is freed when the last one ends. Thread-safe. */
struct sk_dlp_plan_cache {
    pthread_mutex_t lock;
    char hash[72]; /* content hash the entries were built for */
    struct sk_dlp_cache_entry {
        char *policy;
        uint32_t *sel; /* the templates in force (sk_dlp_templates_of) */
        size_t nsel;
        struct sk_dlp_plan *plan; /* NULL: no template in force */
    } * ent;
    size_t n;
    uint64_t builds; /* plans compiled since init (diagnostics, tests) */
};

void sk_dlp_plan_cache_init(struct sk_dlp_plan_cache *);
void sk_dlp_plan_cache_fini(struct sk_dlp_plan_cache *);
/* The plan for POL of SNAP at AT: 0 with *out (a reference, release with
 * sk_dlp_plan_unref; NULL when no template applies), or -1 with a malloc'd
 * *err (a template does not compile, out of memory). */
int sk_dlp_plan_get(struct sk_dlp_plan_cache *, const struct sk_snapshot *snap,
                    const struct sk_policy *pol, int64_t at, struct sk_dlp_plan **out, char **err);
uint64_t sk_dlp_plan_cache_builds(struct sk_dlp_plan_cache *);

/* ---- the streaming engine (dlp_engine.c, dlp_detect.c) ----
 * Text arrives normalised (UTF-8, NFKC-folded digits/letters/hyphens) in
 * an append-only window; a bounded carry-over of the previous window is
 * kept so matches that straddle writes are found. An object boundary
 * (sk_dlp_engine_boundary) ends the current text: nothing ever matches
 * across it. */
#define SK_DLP_CTX     128   /* left context kept before any unscanned byte */
#define SK_DLP_MAXTOK  320   /* longest token a built-in detector looks at */
#define SK_DLP_RE_SPAN 256   /* regex matches up to this long cross writes */
#define SK_DLP_WINDOW  65536 /* new text scanned per pass */
#define SK_DLP_SAMPLE  64

struct sk_dlp_engine {
    const struct sk_dlp_plan *plan;
    /* where hits are counted (distinct values, samples, custom counts,
     * errors): the transaction's engine; a sub-engine (sk_dlp_engine_sub)
     * has a window of its own and counts into its root */
    struct sk_dlp_engine *root;
    unsigned char *buf;   /* window: carry-over + new text */
    unsigned char *lower; /* ASCII lower-cased copy, when keywords exist */
    size_t len, cap, lower_len;
    size_t full;    /* the window cap grows to (sk_dlp_engine_space) */
    size_t done;    /* built-in detectors: first unscanned offset */
    size_t *cdone;  /* per custom detector */
    int bof;        /* buf[0] is the start of an object */
    uint64_t *seen; /* distinct values (open addressing), lazily made */
    size_t nseen;
    void *md; /* pcre2_match_data * */
    uint32_t count[SK_DLP_NBUILTIN];
    uint32_t near[SK_DLP_NBUILTIN]; /* hits with a context keyword nearby */
    char sample[SK_DLP_NBUILTIN][SK_DLP_SAMPLE];
    char sample_where[SK_DLP_NBUILTIN][SK_DLP_SAMPLE];
    uint32_t *ccount;          /* per custom detector */
    char where[SK_DLP_SAMPLE]; /* file name of the current object, or "" */
    uint64_t scanned;          /* bytes of text scanned */
    int error;                 /* a regex failed (match limit): fail closed */
};

struct sk_dlp_engine *sk_dlp_engine_new(const struct sk_dlp_plan *);
/* A text window of its own for an object whose text arrives while its
 * parent's still flows (a base64 run decoded as it streams), counting
 * into E's root: the two texts never cut each other. Free with
 * sk_dlp_engine_free. */
struct sk_dlp_engine *sk_dlp_engine_sub(struct sk_dlp_engine *e);
void sk_dlp_engine_free(struct sk_dlp_engine *);
/* Room to append text: returns the write position and *avail >= 64. */
unsigned char *sk_dlp_engine_space(struct sk_dlp_engine *, size_t *avail);
void sk_dlp_engine_commit(struct sk_dlp_engine *, size_t n);
/* Copying append (for callers without their own transform). 0/-1. */
int sk_dlp_engine_write(struct sk_dlp_engine *, const void *p, size_t n);
/* End of an object (part, archive entry, body): scan what is left and
 * forget the window. */
void sk_dlp_engine_boundary(struct sk_dlp_engine *);
/* Name shown with samples found from now on (copied, sanitised). */
void sk_dlp_engine_where(struct sk_dlp_engine *, const char *name);
/* Hits counted for template I. */
uint64_t sk_dlp_engine_tpl_count(const struct sk_dlp_engine *, size_t i);

/* dlp_detect.c: scan [e->done, e->len) for built-in detectors; returns the
 * offset where scanning must resume (an unfinished token) or e->len. */
size_t sk_dlp_detect(struct sk_dlp_engine *, int final);
/* dlp_engine.c: record a validated hit; VALUE is canonical. */
void sk_dlp_engine_hit(struct sk_dlp_engine *, enum sk_dlp_det, const char *value, size_t n,
                       int near_keyword);

/* ---- body decoding (dlp_norm.c, dlp_formats.c, dlp_zip.c, dlp_body.c;
 *      the decoders themselves are core's, sekisho/decode.h) ---- */

/* Shared by every stage of one transaction. */
struct sk_dlp_ctx {
    struct sk_dlp_engine *e;
    uint64_t budget; /* decoded bytes still allowed (decompression) */
    int limit;       /* the budget ran out: the rest was not inspected */
    /* the decompression guard (sk_decode_bound): a compressed object may
     * decode to decode_floor + decode_ratio x its size (0: off); beyond,
     * bomb and limit are set and nothing more of it is decoded */
    uint64_t decode_ratio, decode_floor;
    int bomb;
    int oom;              /* out of memory: fail closed */
    unsigned encrypted;   /* archive entries that could not be read */
    unsigned skipped;     /* archive entries not inspected (unknown method) */
    unsigned zstd_broken; /* zstd zip entries that did not decode: what came out
                             before the error depends on the writes (dlp.on-error) */
    unsigned undecodable; /* things that could not be decoded: dlp.on-error */
    char why[128];        /* the first of them, for the log */
    /* tests and fuzzing: build every filter of a small object, as a large
     * one gets (sk_dlp_object_new leaves out those its bytes give nothing
     * to, sk_dlp_read_whole the whole chain of a plain one: each must read
     * alike) */
    int every_filter;
};

/* Record something that could not be decoded (first reason kept). */
void sk_dlp_undecodable(struct sk_dlp_ctx *, const char *why);

/* A stage: bytes in, decoded bytes out to the next stage. write returns 0
 * or -1 (out of memory); end finishes the object (and the next stages);
 * destroy frees this stage and the ones it owns. */
struct sk_dlp_sink {
    int (*write)(struct sk_dlp_sink *, const unsigned char *p, size_t n);
    int (*end)(struct sk_dlp_sink *);
    void (*destroy)(struct sk_dlp_sink *);
};

static inline int sk_dlp_put(struct sk_dlp_sink *s, const void *p, size_t n)
{
    return n ? s->write(s, p, n) : 0;
}

/* Bytes to S, or its end, with WIN as the transaction's text window for
 * the call: an object read while its parent's text still flows (a base64
 * run, a tar entry, a percent-decoded view) never cuts the parent's lines. */
static inline int sk_dlp_put_in(struct sk_dlp_ctx *ctx, struct sk_dlp_engine *win,
                                struct sk_dlp_sink *s, const void *p, size_t n)
{
    struct sk_dlp_engine *parent = ctx->e;
    int rc;

    ctx->e = win;
    rc = sk_dlp_put(s, p, n);
    ctx->e = parent;
    return rc;
}

static inline int sk_dlp_end_in(struct sk_dlp_ctx *ctx, struct sk_dlp_engine *win,
                                struct sk_dlp_sink *s)
{
    struct sk_dlp_engine *parent = ctx->e;
    int rc;

    ctx->e = win;
    rc = s->end(s);
    ctx->e = parent;
    return rc;
}

/* Fold NFKC-style (full-width ASCII, Unicode decimal digits, spaces,
 * dashes; invisible format characters and combining marks dropped: list in
 * dlp_norm.c) from S (N bytes of UTF-8 or ASCII-compatible bytes) into D
 * (CAP bytes). Stops before a possibly incomplete sequence at the end (at
 * most three bytes) unless FINAL; returns bytes written, *used gets bytes
 * consumed. Output never exceeds input. */
size_t sk_dlp_fold(const unsigned char *s, size_t n, unsigned char *d, size_t cap, size_t *used,
                   int final);

/* Text normaliser into the engine. CHARSET: a declared charset or NULL to
 * sniff (BOM, ISO-2022-JP escapes, UTF-16 NUL pattern, UTF-8 validity,
 * Shift_JIS/EUC-JP byte ranges; else bytes as they are). */
struct sk_dlp_sink *sk_dlp_norm_new(struct sk_dlp_ctx *, const char *charset);
/* The same charset decision (declared, sniffed), but the UTF-8 goes to
 * NEXT unfolded: in front of the JSON and XML extractors, whose syntax is
 * characters (UTF-16 JSON or XML). Owns NEXT (destroyed on failure). */
struct sk_dlp_sink *sk_dlp_conv_new(struct sk_dlp_ctx *, const char *charset,
                                    struct sk_dlp_sink *next);
/* S (from sk_dlp_norm_new or sk_dlp_conv_new, with a charset it knows)
 * reads its text in that charset whatever the bytes say: the second
 * reading of a body whose first bytes a JSON reader takes as UTF-16/32. */
void sk_dlp_norm_as(struct sk_dlp_sink *s);
/* Is CHARSET one that hides digits from a reading of bytes (UTF-7's
 * "+ADQ-", EBCDIC, HZ), which only a second reading in it takes
 * (sk_dlp_norm_as: a reader that ignores the declaration reads bytes)? */
int sk_dlp_charset_second(const char *charset);
/* Format decoders; they own NEXT. */
struct sk_dlp_sink *sk_dlp_urlenc_new(struct sk_dlp_sink *next);
struct sk_dlp_sink *sk_dlp_json_new(struct sk_dlp_sink *next);
/* iCalendar and vCard text (dlp_dirtext.c): folds joined, escapes and
 * quoted-printable values undone. */
struct sk_dlp_sink *sk_dlp_dirtext_new(struct sk_dlp_sink *next);
/* Is the object one (media type MT, file NAME, first bytes HEAD)? Told
 * in dlp_body.c, beside the JSON and XML tests. */
int sk_dlp_dirtext_like(const char *mt, const char *name, const unsigned char *head, size_t n);
/* XML text; the internal entities its DTD declares are replaced, counted
 * against CTX's decoded-bytes budget (CTX NULL: no limits reported). */
struct sk_dlp_sink *sk_dlp_xml_new(struct sk_dlp_ctx *ctx, struct sk_dlp_sink *next);
/* S (from sk_dlp_xml_new, before its first write) reads the final view of
 * a Word document: tracked deletions and moved-from text aside, not in
 * the paragraph (the text as written keeps them in place). */
void sk_dlp_xml_final(struct sk_dlp_sink *s);
/* zip / Office Open XML (core walker): each entry is its own object;
 * bytes outside readable entries are inspected as plain bytes. */
#define SK_DLP_MAX_DEPTH 6 /* archives and multipart levels opened */
struct sk_dlp_sink *sk_dlp_zip_new(struct sk_dlp_ctx *, const char *name, int depth);
/* In front of the text reader TEXT (owned) of an object that is not a zip
 * at offset 0: the bytes before a plausible local header go to TEXT, the
 * header and all after it to a zip walk as sk_dlp_zip_new's (a zip after a
 * prefix: a self-extractor, a tar member, junk). */
struct sk_dlp_sink *sk_dlp_late_zip_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *text);
/* Whether that filter, given the whole object P[0..N), would do anything
 * but pass its bytes on (a local header, or a 7z or rar signature, in it).
 * The *_wants below answer the same for theirs: an object of a few bytes
 * (a URL, a form field, a decoded run) is read without the filters it
 * would not use (sk_dlp_object_new), by each filter's own test. */
int sk_dlp_late_zip_wants(const unsigned char *p, size_t n);
/* In front of an object's text reader NEXT (owned): base64 runs of at
 * least 20 characters (data: URLs, JSON "content" fields, PEM blocks) are
 * decoded into objects of their own; the text passes on as it is (dlp_b64.c);
 * UTF-16 text (sniffed from its first bytes) is read as characters. */
/* The shortest base64 run decoded: 20 characters, 15 bytes (an Amex
 * number without spaces). */
#define SK_DLP_B64_MIN 20
struct sk_dlp_sink *sk_dlp_b64_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *next);
int sk_dlp_b64_wants(const unsigned char *p, size_t n);
/* In front of an object's normaliser NEXT (owned): every byte passes on
 * as it is; from the first escape on (%XX, an HTML character reference,
 * \\u, \\x) the text is also read with every escape undone, as an object
 * of its own in a window of its own (dlp_view.c: a data: URL without
 * base64, a rich-text editor's &nbsp; in a form field, JSON in a JSON
 * string). At SK_DLP_MAX_DEPTH it returns NEXT. */
struct sk_dlp_sink *sk_dlp_view_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *next);
/* In front of a tar's text reader NEXT (owned): every byte passes on as it
 * is; each entry's bytes are also an object of its own, read in a window
 * of its own (dlp_tar.c: a .gz or .zst in a tar). */
struct sk_dlp_sink *sk_dlp_tar_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *next);

/* In front of an object's text reader NEXT (owned): every byte passes on
 * as it is; a gzip, bzip2, xz or zstd stream after the object's first byte
 * (a self-extractor, junk before a .gz) is also decoded into an object of
 * its own, read in a window of its own (dlp_stream.c). */
struct sk_dlp_sink *sk_dlp_streams_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *next);
int sk_dlp_streams_wants(const unsigned char *p, size_t n);

/* ---- RTF (dlp_rtf.c) ----
 * The parser: bytes of an RTF document in, its text out as UTF-8 in three
 * readings - SHOWN: the body as a reader shows it (hidden text \v left
 * out), FULL: the body with hidden text, ASIDE: text no page shows
 * (field instructions, document properties, headers and footers, unknown
 * \* destinations), each such destination on lines of its own - and the
 * bytes of each embedded object (\objdata hex, \bin inside it). Handlers
 * return 0 or -1 (stops the parser). Bounded state; the output never
 * depends on how the input was cut into writes. */
enum sk_rtf_out { SK_RTF_SHOWN, SK_RTF_FULL, SK_RTF_ASIDE, SK_RTF_NOUT };
enum sk_rtf_obj { SK_RTF_OBJ_BEGIN, SK_RTF_OBJ_DATA, SK_RTF_OBJ_END };
struct sk_rtf_handler {
    int (*text)(void *arg, enum sk_rtf_out o, const unsigned char *p, size_t n);
    int (*obj)(void *arg, enum sk_rtf_obj what, const unsigned char *p, size_t n);
    void *arg;
};
#define SK_RTF_TOO_DEEP   1u /* groups nested past the parser's depth */
#define SK_RTF_MANY_FONTS 2u /* more fonts than the parser keeps */
struct sk_dlp_rtf;
/* Caller frees with sk_dlp_rtf_parser_free; NULL when out of memory. */
struct sk_dlp_rtf *sk_dlp_rtf_parser_new(const struct sk_rtf_handler *h);
int sk_dlp_rtf_parser_write(struct sk_dlp_rtf *, const unsigned char *p, size_t n);
int sk_dlp_rtf_parser_end(struct sk_dlp_rtf *);
unsigned sk_dlp_rtf_parser_flags(const struct sk_dlp_rtf *);
void sk_dlp_rtf_parser_free(struct sk_dlp_rtf *);
/* Does an object starting with P (N bytes) hold RTF ("{\rt", as Word
 * tells it)? */
int sk_dlp_rtf_is(const unsigned char *p, size_t n);
/* In front of an RTF object's text reader NEXT (owned): every byte passes
 * on as it is; the parser's three readings each go to a text window of
 * their own, each embedded object is an object of its own. */
struct sk_dlp_sink *sk_dlp_rtf_new(struct sk_dlp_ctx *, int depth, struct sk_dlp_sink *next);

/* An object held whole and read at its end (dlp_hold.c), the frame of
 * the PDF and compound-file readers, which embed it first in their state.
 * Every byte passes on to NEXT; while the first HEAD bytes come, IS(p, n,
 * final) says 1 (hold it), 0 (never), -1 (not known yet; FINAL: the
 * HEAD bytes, or the whole object, are there). A held object beyond
 * SK_DLP_HOLD_MAX is dropped with dlp.on-limit. At the end, after NEXT's
 * end, READ gets the held bytes (it charges what it reads again with
 * sk_dlp_hold_charge); RELEASE frees what the reader made (also on
 * destroy). */
#define SK_DLP_HOLD_MAX (64ull << 20)
struct sk_dlp_hold {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next; /* the text reader: every byte */
    char *name;
    struct sk_buf held; /* the object's bytes so far */
    size_t head;
    enum { SK_HOLD_HEAD, SK_HOLD_HOLD, SK_HOLD_NONE } state;
    int (*is)(const unsigned char *p, size_t n, int final);
    int (*read)(struct sk_dlp_hold *);
    void (*release)(struct sk_dlp_hold *);
    /* optional: asked of the head IS said no to - what it is that nobody
     * reads (dlp.on-error), or NULL */
    const char *(*unread)(const unsigned char *p, size_t n);
};
/* calloc(SIZE) (the reader's struct, struct sk_dlp_hold first), NAME
 * copied; NULL (NEXT destroyed) when out of memory. The caller sets head,
 * is, read and release. */
struct sk_dlp_hold *sk_dlp_hold_new(size_t size, struct sk_dlp_ctx *ctx, const char *name,
                                    int depth, struct sk_dlp_sink *next);
/* Charge N bytes read a second time to the budget: 0, or -1 (over it:
 * dlp.on-limit, not to be read). */
int sk_dlp_hold_charge(struct sk_dlp_hold *, size_t n);
/* Forget the held bytes (nothing will read them). */
void sk_dlp_hold_drop(struct sk_dlp_hold *);
/* Would a hold with IS and HEAD hold the whole object P[0..N)? (Its
 * first write is the object: IS sees its first HEAD bytes; undecided at
 * the end is never one.) */
int sk_dlp_hold_wants(int (*is)(const unsigned char *, size_t, int), size_t head,
                      const unsigned char *p, size_t n);
/* The held bytes (h->held.len of them), as a reader takes them. */
static inline const unsigned char *sk_dlp_held(const struct sk_dlp_hold *h)
{
    return (const unsigned char *)h->held.data;
}

/* In front of an object's text reader NEXT (owned): every byte passes on
 * as it is; a PDF ("%PDF-" in its first 1024 bytes) is also held, at most
 * SK_DLP_HOLD_MAX bytes, and read at its end if it fits what is left of
 * the budget (dlp_pdf.c):
 * its pages' text, its strings and its embedded files, as objects of
 * their own. NAME (may be NULL) is shown with samples. */
struct sk_dlp_sink *sk_dlp_pdf_new(struct sk_dlp_ctx *, const char *name, int depth,
                                   struct sk_dlp_sink *next);
int sk_dlp_pdf_wants(const unsigned char *p, size_t n);

/* In front of an object's text reader NEXT (owned): every byte passes on
 * as it is; an OLE2 compound file (its signature at offset 0, or an OLE1
 * embedded object's native data: RTF's \objdata) is also held, at most
 * SK_DLP_HOLD_MAX bytes, and read at its end if it fits what is left of
 * the budget (dlp_ole2.c): Word, Excel and PowerPoint text, Outlook
 * properties, and every stream as an object of its own. */
/* ar, cpio, ISO 9660, LHA and git packs (dlp_arc.c): held like a PDF,
 * each member read as an object of its own at the end. */
struct sk_dlp_sink *sk_dlp_arc_new(struct sk_dlp_ctx *, const char *name, int depth,
                                   struct sk_dlp_sink *next);
int sk_dlp_arc_wants(const unsigned char *p, size_t n);
struct sk_dlp_sink *sk_dlp_ole2_new(struct sk_dlp_ctx *, const char *name, int depth,
                                    struct sk_dlp_sink *next);
int sk_dlp_ole2_wants(const unsigned char *p, size_t n);
/* The text the reader takes from the compound file P[0..N) (format text
 * and Outlook text properties; other streams are not opened), to EMIT; 0,
 * 1 with WHY (dlp.on-error or on-limit), -1 out of memory. Tests, fuzzing. */
int sk_dlp_ole2_text(const unsigned char *p, size_t n, int (*emit)(void *, const char *, size_t),
                     void *arg, char *why, size_t whylen);

/* A multipart body by its BOUNDARY (CT its Content-Type: digest, and mail
 * line ends unless form-data); without one a mail message, or (MBOX) the
 * messages of an mbox (dlp_multipart.c). */
struct sk_dlp_sink *sk_dlp_multipart_new(struct sk_dlp_ctx *, const char *boundary, const char *ct,
                                         int mbox, int depth);
/* The charset parameter of a Content-Type as Python's get_param reads
 * it: a plain "charset=" first, else RFC 2231 ("charset*=''utf-7",
 * sections). 0, or -1 when there is none (OUT ""); CT may be NULL. */
int sk_dlp_ct_charset(const char *ct, char *out, size_t size);

/* The chain for one object of CONTENT_TYPE (full header value, may be
 * NULL) and file NAME (may be NULL): format decoder + normaliser. DEPTH
 * limits nesting (multipart in multipart, archive in archive). What the
 * object is comes from its first bytes (zip, gzip) before its type. */
struct sk_dlp_sink *sk_dlp_object_new(struct sk_dlp_ctx *, const char *content_type,
                                      const char *name, int depth);
/* An object of its own (sk_dlp_object_new at DEPTH) in a text window of
 * its own, named WHERE in the reports: a member of an archive, a stream
 * of a compound file, a PDF's text, the side bytes of chunked framing.
 * open: 0, or -1 (out of memory: nothing open); put/end through
 * sk_dlp_put_in / sk_dlp_end_in with its WIN; close: its end when RC is 0
 * (else it is dropped) and what it holds released - RC, or -1 when the
 * end failed. sk_dlp_member_read: P[0..N) so, whole: 0 or -1. */
struct sk_dlp_member {
    struct sk_dlp_engine *win;
    struct sk_dlp_sink *s;
};
int sk_dlp_member_open(struct sk_dlp_ctx *, struct sk_dlp_member *, const char *content_type,
                       const char *name, const char *where, int depth);
int sk_dlp_member_close(struct sk_dlp_ctx *, struct sk_dlp_member *, int rc);
int sk_dlp_member_read(struct sk_dlp_ctx *, const char *content_type, const char *name,
                       const char *where, int depth, const void *p, size_t n);
/* One whole object of TYPE and NAME given in one piece (a URL's path or
 * query), read as sk_dlp_object_new reads it. A small one of bytes that
 * every reader of its chain passes on unchanged and no filter but base64's
 * reacts to (letters, digits, a few marks; no archive or stream header)
 * goes to the engine at once, behind the base64 reader when it has 20
 * base64 digits, without building the chain: 1. Otherwise through the
 * chain: 0, or -1 (out of memory). The two read alike (unit
 * test_read_whole compares them, every_filter set forcing the chain). */
int sk_dlp_read_whole(struct sk_dlp_ctx *, const char *type, const char *name, const void *p,
                      size_t n);
/* The whole request body: Content-Encoding, then sk_dlp_object_new. */
struct sk_dlp_sink *sk_dlp_body_new(struct sk_dlp_ctx *, const char *content_type,
                                    const char *content_encoding);

#endif
