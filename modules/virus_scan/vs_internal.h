/* vs_internal.h - types and prototypes shared by the virus_scan sources
 * (engine, body store, decoders, multipart, page, hooks). Internal to the
 * module and its unit test; the server only sees sk_module_descriptor. */
#ifndef SK_VS_INTERNAL_H
#define SK_VS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/module.h"
#include "sekisho/page.h"

#define SK_VS_NAME_MAX 128

/* What one scan found. Heuristic alerts for exceeded limits and encrypted
 * content are classified here so each gets its own policy verdict. */
enum sk_vs_result {
    SK_VS_CLEAN = 1,
    SK_VS_VIRUS,
    SK_VS_LIMIT,     /* a scan limit (size, files, recursion, time) */
    SK_VS_ENCRYPTED, /* encrypted archive or document */
    SK_VS_ERROR,     /* the engine failed */
};

struct sk_vs_report {
    enum sk_vs_result result;
    char name[SK_VS_NAME_MAX]; /* signature or heuristic name, "" if clean */
    char why[192];             /* human text for the page/log (limits, errors) */
};

/* Per-scan limits from the transaction's policy. */
struct sk_vs_limits {
    uint64_t max_files; /* archive members, counted in the pre-scan callback */
};

/*
 * The scanner boundary: libclamav in the server, a fake in unit tests.
 * scan_mem/scan_fd fill *rep and return 0, or -1 only when rep could not
 * be filled at all (then the caller reports SK_VS_ERROR). Thread-safe.
 * version: borrowed, stays valid for the life of the process.
 */
struct sk_vs_scanner {
    int (*scan_mem)(void *self, const void *buf, size_t len, const struct sk_vs_limits *,
                    struct sk_vs_report *rep);
    int (*scan_fd)(void *self, int fd, const struct sk_vs_limits *, struct sk_vs_report *rep);
    const char *(*version)(void *self);
    void (*maybe_reload)(void *self); /* cheap check; may start a rebuild */
    void (*destroy)(void *self);
    void *self;
};

/* Module-wide settings from `sekisho.Option virus_scan.<key>`. */
struct sk_vs_conf {
    uint64_t mem_threshold; /* memory-threshold: held in RAM up to this */
    uint64_t decode_ratio;  /* decode-max-ratio: decoded/encoded bytes */
    uint64_t decode_floor;  /* decode-min-bytes: ratio applies beyond this */
    const char *tmp_dir;    /* ctx->tmp_dir, borrowed */
};

struct sk_vs_global {
    struct sk_vs_conf conf;
    struct sk_vs_scanner scanner;
};

/* ---- engine (vs_engine.c): libclamav behind struct sk_vs_scanner ---- */
struct sk_vs_engine_conf {
    const char *db_dir;       /* ctx->clamav_db */
    const char *tmp_dir;      /* where the built-in test signatures are written */
    unsigned reload_interval; /* seconds between db dir checks, 0 = never */
    uint64_t max_scansize, max_filesize;
    unsigned max_recursion, max_files, max_scantime_ms;
    int test_signatures; /* virus_scan.test-signatures: built-in set when db_dir has none */
};
/* Build the engine before fork. 0 with *out filled, or -1 with *err. */
int sk_vs_engine_create(const struct sk_vs_engine_conf *, struct sk_vs_scanner *out, char **err);

/* ---- body store (vs_store.c): RAM up to a threshold, then a spill file ---- */
struct sk_vs_store {
    unsigned char *mem;
    size_t len, cap;
    uint64_t total;      /* bytes appended */
    uint64_t threshold;  /* spill beyond this */
    int fd;              /* -1 until spilled */
    const char *tmp_dir; /* borrowed */
    void *map;           /* sk_vs_store_view mapping, or NULL */
    size_t map_len;
};
void sk_vs_store_init(struct sk_vs_store *, uint64_t threshold, const char *tmp_dir);
/* 0, or -1 (no memory, spill file not writable) with errno set. */
int sk_vs_store_append(struct sk_vs_store *, const void *buf, size_t len);
/* The whole content as one read-only buffer (memory, or a mapping of the
 * spill file). Borrowed until sk_vs_store_free. 0 or -1. */
int sk_vs_store_view(struct sk_vs_store *, const unsigned char **data, size_t *len);
/* Frees memory, unmaps, closes (the file was unlinked at creation). */
void sk_vs_store_free(struct sk_vs_store *);
/* Frees the reusable buffers kept for the next bodies (module unload). */
void sk_vs_store_pool_drain(void);

/* ---- quarantine (vs_quarantine.c) ---- */
/* Keep DATA (the object as scanned) under DIR as ID.bin with ID.json
 * (metadata, written last); both 0600. Sets ID (IDSIZE >= 40). 0 or -1. */
int sk_vs_quarantine(struct sk_txn *t, const char *dir, const unsigned char *data, size_t len,
                     const char *virus, const char *ctype, char *id, size_t idsize);

/* ---- Content-Encoding (vs_decode.c) ---- */
enum sk_vs_coding { SK_VS_IDENTITY = 1, SK_VS_GZIP, SK_VS_DEFLATE, SK_VS_BR, SK_VS_UNKNOWN };
enum sk_vs_coding sk_vs_coding_parse(const char *content_encoding);
int sk_vs_coding_supported(enum sk_vs_coding);
struct sk_vs_decoder;
/* out_max: most decoded bytes; ratio/floor: decoded may exceed
 * floor + ratio * encoded only as a limit. NULL when out of memory. */
struct sk_vs_decoder *sk_vs_decoder_new(enum sk_vs_coding, uint64_t out_max, uint64_t ratio,
                                        uint64_t floor);
enum sk_vs_decode_rc {
    SK_VS_DECODE_OK = 0,
    SK_VS_DECODE_LIMIT,   /* output over out_max or over the ratio: a bomb */
    SK_VS_DECODE_CORRUPT, /* not valid data for the coding */
    SK_VS_DECODE_FAIL,    /* out of memory or the sink failed */
};
typedef int (*sk_vs_sink_fn)(void *arg, const void *buf, size_t len);
/* Feed encoded bytes (eof on the last call); decoded bytes go to sink,
 * which returns 0 or -1. */
enum sk_vs_decode_rc sk_vs_decoder_feed(struct sk_vs_decoder *, const void *buf, size_t len,
                                        int eof, sk_vs_sink_fn sink, void *arg);
void sk_vs_decoder_free(struct sk_vs_decoder *);

/* ---- multipart/form-data (vs_multipart.c) ---- */
/* Boundary parameter of a multipart Content-Type into out (size >= 72),
 * 0; -1 when CT is not multipart or has no valid boundary. */
int sk_vs_multipart_boundary(const char *content_type, char *out, size_t size);
typedef int (*sk_vs_part_fn)(void *arg, const unsigned char *data, size_t len);
/* Call fn with the bytes of every part (headers stripped) of BODY. Returns
 * the number of parts, or -1 when the body is not well-formed multipart
 * (the caller then scans the body whole). Stops early when fn returns -1
 * (returns -2). */
int sk_vs_multipart_each(const unsigned char *body, size_t len, const char *boundary,
                         sk_vs_part_fn fn, void *arg);

/* ---- block pages (vs_page.c) ---- */
/* Load the pages (built-ins, replaced from DIR = option
 * virus_scan.templates when given). 0, or -1 with a malloc'd *err. */
int sk_vs_pages_load(const char *dir, char **err);
void sk_vs_pages_free(void);
/* Set T's block page: the reason follows KEY, the policy setting that
 * decided (av.on-limit: too large, av.on-encrypted, av.on-error: scan
 * error; NULL: a virus); THREAT and REASON are shown escaped. */
void sk_vs_page(struct sk_txn *t, const char *key, const char *threat, const char *reason);

/* ---- hooks (vs_module.c); the descriptor (vs_descriptor.c) and the
 * unit test refer to them ---- */
int sk_vs_init(struct sk_module_ctx *, char **err);
void sk_vs_fini(struct sk_module_ctx *);
const char *sk_vs_version(struct sk_module_ctx *);
int sk_vs_txn_begin(struct sk_txn *, void **state);
enum sk_verdict sk_vs_on_headers(struct sk_txn *, void *state);
enum sk_verdict sk_vs_on_body(struct sk_txn *, void *state, const void *buf, size_t len,
                              int eof);
void sk_vs_txn_end(struct sk_txn *, void *state);

/* Install a scanner and configuration in place of init() (tests). The
 * previous global state, if any, is destroyed. */
void sk_vs_test_install(const struct sk_vs_global *);
/* The engine's verdict for libclamav return code RC (a cl_error_t) and
 * VIRNAME, as scan_mem would report it (tests). */
void sk_vs_test_classify(int rc, const char *virname, struct sk_vs_report *rep);

#endif
