/* vs_internal.h - types and prototypes shared by the virus_scan sources
 * (engine, body store, decoders, multipart, page, hooks). Internal to the
 * module and its unit test; the server only sees sk_module_descriptor. */
#ifndef SK_VS_INTERNAL_H
#define SK_VS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/decode.h"
#include "sekisho/filetype.h"
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
    uint32_t kinds;            /* 1 << sk_ft_kind of inner objects the engine typed */
    unsigned zip64_inner;      /* inner ZIP64 zips the engine met (it cannot read them) */
};

/* Objects libclamav extracted that only our walk can read further:
 * - zstd, lzma, lzip and lz4 files, wherever they are (a member of a tar,
 *   7z or rar, a .bz2's content): libclamav does not open them and passes
 *   them unread; the walk decompresses and walks them whole (engine
 *   included);
 * - what a container only the engine opens holds (bz2, xz, 7z, rar, cab,
 *   iso, chm, OneNote... sk_vs_engine_only): the walk's own decoders
 *   (base64 runs, zips, gzip/zstd files) read it, as they read a .gz's
 *   content, when sk_vs_walk_wants says they would find something.
 * The engine copies each one (the walk reads them after the scan) with the
 * SHA-256 of its bytes: the walk skips one it has read itself (a zip's
 * member, a .gz's content). More than SK_VS_INNER_MAX objects, or copies
 * beyond the scan's av.max-scan-size, are av.on-limit: never passed
 * unread. */
#define SK_VS_INNER_MAX 4096
struct sk_vs_inner_obj {
    unsigned char id[32]; /* SHA-256 of DATA */
    unsigned char *data;
    size_t len;
    int opaque; /* a compressed file libclamav does not open (else: the walk's decoders only) */
};
struct sk_vs_inner {
    unsigned n, cap;
    int over;       /* one could not be kept (count, size, memory) */
    uint64_t bytes; /* copied so far */
    struct sk_vs_inner_obj *v;
};
/* A compressed file libclamav does not open (zstd, lzma, lzip, lz4, .Z): the
 * walk decompresses it and scans what it holds as an object of its own. */
int sk_vs_opaque_packed(enum sk_ctype t);
/* Free the copies and the list (the struct may be reused). */
void sk_vs_inner_free(struct sk_vs_inner *);
/* The SHA-256 of P[0..N) into ID: 0, or -1 (OpenSSL failed). */
int sk_vs_digest(const void *p, size_t n, unsigned char id[32]);
/* Would the walk's own decoders find anything in P (an object nobody
 * declared a type for): a zip, a gzip or zstd file, a text (or UTF-16)
 * long enough to hold a base64 run? */
int sk_vs_walk_wants(const unsigned char *p, size_t n);

/* Per-scan limits from the transaction's policy (libclamav's engine limits
 * are global; these are enforced from its callbacks). */
struct sk_vs_limits {
    uint64_t max_files; /* archive members, counted in the pre-scan callback */
    uint64_t max_bytes; /* av.max-scan-size: bytes of all inner objects of one scan */
    int pua;            /* av.detect-pua: PUA.* detections reported */
    const char *pua_include, *pua_exclude; /* categories; borrowed from the policy */
    struct sk_vs_inner *inner;             /* where the engine notes zstd files, or NULL */
    uint64_t decode_ratio, decode_floor;   /* the decompression guard (sk_vs_guard) */
    const char *client;                    /* X-Client-IP, the key of the per-client heavy-scan cap
                                            * (sk_vs_slots_take); borrowed until txn_end; NULL when
                                            * the proxy sent none: no per-client cap */
    /* The container magic of the buffer scan_mem is given (sk_magics_find
     * on exactly that buffer), or NULL: the guard's 7z search reads it
     * instead of the bytes. Borrowed for the scan; one of another buffer is
     * not used (sk_magics_for). */
    const struct sk_magics *magics;
};

/* ---- the decompression guard before libclamav (vs_guard.c) ---- */
enum sk_vs_guard {
    SK_VS_GUARD_OK = 0,    /* not a file libclamav decompresses, or within the bound */
    SK_VS_GUARD_RATIO,     /* over the decode ratio: a bomb */
    SK_VS_GUARD_SIZE,      /* over the scan's remaining av.max-scan-size */
    SK_VS_GUARD_UNREAD,    /* members nobody decodes: a 7z folder libclamav does not read, an
                              lzop file, a squashfs of zlib blocks... (av.on-error) */
    SK_VS_GUARD_ENCRYPTED, /* a member libclamav skips unreported: a garbled ARJ one */
};
/* The coding of a file libclamav decompresses whole on its own, by its type
 * name (CL_TYPE_GZ, CL_TYPE_BZ, CL_TYPE_XZ), else 0. A CL_TYPE_ZIP (not
 * a view) is checked too: its entries by the zip walker's guard, against
 * the ratio only (decode-max-ratio 0: not checked). */
enum sk_coding sk_vs_guard_coding(const char *type);
/* The archive whose members the guard reads before libclamav, by its type
 * name: CL_TYPE_ZIP (entries decoded under the ratio), CL_TYPE_7Z (folders
 * as declared), else none. */
enum sk_vs_archive { SK_VS_ARC_NONE = 0, SK_VS_ARC_ZIP, SK_VS_ARC_7Z };
enum sk_vs_archive sk_vs_guard_archive(const char *type);
/* The object of libclamav type TYPE - P[0..N), or with P NULL the regular
 * file behind FD (mapped read-only) - checked with sk_decode_check against
 * LEFT bytes (what remains of the scan's av.max-scan-size) and LIM's decode
 * ratio before libclamav decompresses it. Not OK: WHY (SIZE bytes) says so
 * for the log. A file that cannot be read or does not decode is OK here:
 * libclamav's own limits still apply. */
enum sk_vs_guard sk_vs_guard(const char *type, const unsigned char *p, size_t n, int fd,
                             uint64_t left, const struct sk_vs_limits *lim, char *why, size_t size);
/* The same for an object libclamav reads in place (VIEW: a cpio
 * member) inside P[0..N) / FD, the ancestor that can be read: every stream
 * of TYPE's coding in it is checked from where it starts. */
enum sk_vs_guard sk_vs_guard_in(const char *type, const unsigned char *p, size_t n, int fd,
                                int view, uint64_t left, const struct sk_vs_limits *lim, char *why,
                                size_t size);

/* Would the zip P[0..N) decode beyond DL's bound, an entry or the
 * archive (sk_zip_guard)? Decodes into nothing; 1 or 0. */
int sk_vs_guard_zip(const unsigned char *p, size_t n, const struct sk_decode_limits *dl);
/* LHA archives read in place: the first plausible LHA header in P[0..N)
 * at FROM or after (a known method and level, the header checksum of
 * levels 0 and 1), its offset (SIZE_MAX: none) and in *LEN the bytes its
 * chain of headers and members covers (MG: P's candidates, or NULL: P is
 * searched); sk_vs_lha_extent: that extent for
 * an LHA header at P itself, else 0. */
size_t sk_vs_lha_inplace(const struct sk_magics *mg, const unsigned char *p, size_t n, size_t from,
                         size_t *len);
size_t sk_vs_lha_extent(const unsigned char *p, size_t n);

/* Does the policy (LIM) want detection NAME reported? Anything not named
 * "PUA.*" yes; a PUA only with av.detect-pua on and its category (the
 * word after "PUA.", as libclamav's own PUA categories) in av.pua-include
 * when that is set, else not in av.pua-exclude. */
int sk_vs_pua_wanted(const struct sk_vs_limits *lim, const char *name);

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
    /* Master only (the module's changed() hook): at most once per
     * reload-interval, 1 if the signature directory changed. */
    int (*changed)(void *self);
    /* Rebuild now if the directory changed (one compile, in this process);
     * a failed rebuild keeps the current engine. 1 rebuilt, 0 current, -1 failed. */
    int (*reload)(void *self);
    void (*destroy)(void *self);
    void *self;
};

/* Module-wide settings from `sekisho.Option virus_scan.<key>`. */
struct sk_vs_conf {
    uint64_t mem_threshold; /* memory-threshold: held in RAM up to this */
    uint64_t decode_ratio;  /* decode-max-ratio: decoded/encoded bytes */
    uint64_t decode_floor;  /* decode-min-bytes: ratio applies beyond this */
    uint64_t map_max;       /* heavy-bytes: spilled bodies up to this are scanned
                             * from a read-only mapping, larger through the fd */
    const char *tmp_dir;    /* ctx->tmp_dir, borrowed */
};

struct sk_vs_global {
    struct sk_vs_conf conf;
    struct sk_vs_scanner scanner;
};

/* ---- heavy-scan slots and the per-client cap (vs_slots.c) ---- */
struct timespec;
/* *D = now + MS on CLOCK_MONOTONIC; has it come (sk_vs_past)? The one
 * deadline reader of the slot wait and the scan's max-scantime. */
void sk_vs_deadline(struct timespec *d, unsigned ms);
int sk_vs_past(const struct timespec *d);
/* Client buckets: two clients in one bucket share its cap (a collision
 * only delays, never lets a scan run unbounded); keyed per node start so
 * a client cannot choose another's bucket. */
#define SK_VS_CAP_BUCKETS 65536u
/* A waiter that had to wait for its own client's cap lets the other
 * clients' waiters try first for this long (more than one poll round). */
#define SK_VS_SLOT_YIELD_US 60000
struct sk_vs_slots {
    int fd;                /* unlinked lock file opened before fork, or -1 */
    unsigned max_heavy;    /* the node's slots: bytes [0, max_heavy) */
    unsigned per_client;   /* bytes per client bucket, after the slots */
    unsigned char key[16]; /* sk_siphash24 key of the buckets */
};
/* virus_scan.max-heavy-per-client: ASKED, or with 0 half of MAX_HEAVY;
 * at least 1, at most MAX_HEAVY. */
unsigned sk_vs_cap_resolve(unsigned asked, unsigned max_heavy);
/* Create the lock file in TMP_DIR (in the master, before fork) and the
 * bucket key. 0, or -1 with *err (caller frees); S->fd is -1 then. */
int sk_vs_slots_open(struct sk_vs_slots *s, const char *tmp_dir, unsigned max_heavy,
                     unsigned per_client, char **err);
void sk_vs_slots_close(struct sk_vs_slots *s);
/* CLIENT's bucket (< SK_VS_CAP_BUCKETS): an IPv4 address, an IPv6
 * address by its /64 (::ffff:a.b.c.d is a.b.c.d), anything else (NULL
 * and "" alike) by its text. */
unsigned sk_vs_slots_bucket(const struct sk_vs_slots *s, const char *client);
#define SK_VS_SLOT_BUSY   (-1) /* no slot free within the wait */
#define SK_VS_SLOT_NOGATE (-2) /* the lock file cannot be reopened (no /proc) */
#define SK_VS_SLOT_CAPPED (-3) /* CLIENT's bucket stayed at its cap for the wait */
/* Take one of CLIENT's per_client bytes (waiting without a slot; none when
 * CLIENT is NULL: no end user named), then a slot, within WAIT_MS in all. Returns the descriptor
 * that holds both (close() releases them, as does the death of the process), or one of the
 * SK_VS_SLOT_* codes above. Thread-safe. */
int sk_vs_slots_take(const struct sk_vs_slots *s, const char *client, unsigned wait_ms);

/* ---- engine (vs_engine.c): libclamav behind struct sk_vs_scanner ---- */
struct sk_vs_engine_conf {
    const char *db_dir;       /* ctx->clamav_db */
    const char *tmp_dir;      /* where the built-in test signatures are written */
    unsigned reload_interval; /* seconds between db dir checks, 0 = never */
    uint64_t max_scansize, max_filesize;
    unsigned max_recursion, max_files, max_scantime_ms;
    /* Archive-like or large scans that may run at once on this node (all
     * c-icap children together); a scan that waits longer than
     * max_scantime_ms for a slot is a limit. 0: one less than the CPUs. */
    unsigned max_heavy;
    /* Of those, what one client (sk_vs_limits.client) may hold or wait
     * for at once: sk_vs_cap_resolve (0: half, at least 1). */
    unsigned max_heavy_per_client;
    uint64_t heavy_bytes; /* a body this large is heavy whatever it is */
    int test_signatures;  /* virus_scan.test-signatures: built-in set when db_dir has none */
};
/* Build the engine before fork. 0 with *out filled, or -1 with *err.
 * destroy() keeps the engine for the next create() in this process (c-icap
 * reconfigure: fini and init run again in the master): with the same
 * settings it is taken back and recompiled only if the directory changed. */
int sk_vs_engine_create(const struct sk_vs_engine_conf *, struct sk_vs_scanner *out, char **err);

/* ---- body store (vs_store.c): RAM up to a threshold, then a spill file ---- */

/* write(2) until all of BUF is written (EINTR retried); 0 or -1. Also
 * used for quarantined objects (vs_quarantine.c). */
int sk_vs_write_all(int fd, const void *buf, size_t len);
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
/* Feeds every stored byte in order to SINK (an sk_body_read_fn over a
 * struct sk_vs_store): 0, or -1 (read error, or SINK's -1). */
int sk_vs_store_read(void *store, int (*sink)(void *, const void *, size_t), void *arg);
/* Frees the reusable buffers kept for the next bodies (module unload). */
void sk_vs_store_pool_drain(void);

/* ---- quarantine (vs_quarantine.c) ---- */
/* Keep DATA (the object as scanned) under DIR as ID.bin with ID.json
 * (metadata, written last); both 0600. Sets ID (IDSIZE >= 40). 0 or -1. */
int sk_vs_quarantine(struct sk_txn *t, const char *dir, const unsigned char *data, size_t len,
                     const char *virus, const char *ctype, char *id, size_t idsize);

/* ---- true file types (vs_ftype.c) ---- */
/* What the objects of one transaction are: the first of a blocked type
 * and the first whose declared type disagrees with its bytes. */
struct sk_vs_ft {
    unsigned block;       /* filetype.block mask */
    enum sk_ft_kind hit;  /* SK_FT_NONE until an object of a blocked type */
    char hit_where[96];   /* its name (part file name, member, URL file) */
    enum sk_ft_kind mism; /* SK_FT_NONE until a mismatch */
    char mism_declared[128];
};
/* One object of kind K declared as CT (Content-Type or NULL) named NAME
 * (or NULL). */
void sk_vs_ft_note(struct sk_vs_ft *, enum sk_ft_kind k, const char *ct, const char *name);
/* Inner objects the engine typed (struct sk_vs_report.kinds) inside the
 * object named WHERE. */
void sk_vs_ft_note_kinds(struct sk_vs_ft *, uint32_t kinds, const char *where);
/* The verdict for what was noted: SK_CONTINUE when nothing applies, else
 * SK_BLOCK (page, reason, report) or SK_ALLOW (monitor or mismatch log:
 * reason recorded). MONITOR: filetype.action log; MISM_BLOCK:
 * filetype.on-mismatch block. */
enum sk_verdict sk_vs_ft_decide(struct sk_txn *, const struct sk_vs_ft *, int monitor,
                                int mism_block);

/* ---- parts and archive members (vs_walk.c) ---- */
struct sk_vs_walk {
    const struct sk_vs_scanner *sc;
    const struct sk_vs_conf *conf;
    const struct sk_vs_limits *lim;
    uint64_t max_size;             /* av.max-scan-size, for messages */
    uint64_t budget;               /* bytes of parts/members still allowed */
    uint64_t files;                /* archive members seen */
    int av;                        /* scan with the engine (av.enabled), else types only */
    struct sk_vs_ft *ft;           /* file types noted here, or NULL */
    struct sk_vs_report rep;       /* SK_VS_CLEAN until something is found */
    unsigned zip64_walked;         /* ZIP64 zips our walk read member by member */
    unsigned char (*read_ids)[32]; /* SHA-256 of each zstd file the walk decoded
                                    * and each inner object it read */
    unsigned read_n, read_cap;
    unsigned b64_each;    /* base64 runs scanned as objects of their own */
    int any_text;         /* the declared type is ambiguous: read the body as text */
    unsigned streams_bad; /* gzip/bzip2/xz headers after a prefix that did not decode */
    int parts_walked;     /* the body's multipart parts were walked as objects */
    int digest;           /* the body is multipart/digest (untyped parts are messages) */
    int mail;             /* ... not form-data: a bare CR ends a line too (sk_mp_mail) */
    int form;             /* ... multipart/form-data: no delimiter at all is av.on-error */
    int script_view;      /* inside a script's text read with its escapes undone */
    /* the body's container magic (sk_magics_find on what sk_vs_walk_body
     * is given), or NULL: the walk finds it itself. Borrowed. */
    const struct sk_magics *magics;
};
/* Scan each part of a multipart body as an object (engine, then our zip
 * walk). 0 when all were clean, -1 when w->rep says why not. */
int sk_vs_walk_multipart(struct sk_vs_walk *, const unsigned char *body, size_t len,
                         const char *boundary);
/* A body the engine called clean: if its bytes are a zip (or hold one
 * after a prefix: a self-extractor, a tar member), scan each member (ZIP64
 * included) the same way. 0 or -1 as above. */
/* The body's own type (declared CT and NAME, either may be NULL) is
 * noted in w->ft, a zip's refined by its member names. */
int sk_vs_walk_body(struct sk_vs_walk *, const unsigned char *body, size_t len, const char *ct,
                    const char *name);
/* After a walk: every ZIP64 zip the engine met inside an object (ENGINE,
 * from its report) must have been read by our walk (WALKED of them);
 * else -1 with w->rep an error (the object held a ZIP64 zip in a
 * container only the engine opens: gz, 7z, rar...). */
int sk_vs_walk_zip64_check(struct sk_vs_walk *, unsigned engine, unsigned walked);
/* After a walk of an object at DEPTH (named NAME): each object the engine
 * copied into INNER that the walk has not read itself: a zstd file
 * decompressed and walked as an object of its own, anything else read by
 * the walk's decoders. Frees INNER. 0 or -1 as above. */
int sk_vs_walk_inner(struct sk_vs_walk *, struct sk_vs_inner *inner, int depth, const char *name);
/* Frees what a walk kept (call once after the last walk on W). */
void sk_vs_walk_free(struct sk_vs_walk *);

/* ---- the walk's pieces shared by vs_walk.c and vs_walk_arc.c ---- */
/* Zip in zip in ... walked by us. The engine unpacks deeper (its own
 * av.max-recursion) and finds signatures there, but not what only our walk
 * decodes (base64 runs, zstd, ZIP64, tar members framed by a pax size):
 * so an archive, a compressed file or a base64 run found deeper than this
 * is av.on-limit (rule av-limit:depth), never passed unread
 * (sk_vs_walk_deep). */
#define SK_VS_WALK_DEPTH 6
/* The walk's first stop (R, rule NAME, reason WHY) into w->rep. */
void sk_vs_walk_stop(struct sk_vs_walk *, enum sk_vs_result r, const char *name, const char *why);
/* Something the walk would open (WHAT) at DEPTH, deeper than it goes:
 * av-limit:depth, -1. */
int sk_vs_walk_deep(struct sk_vs_walk *, const char *what, int depth);
/* P[0..N) as an object of its own at DEPTH: the engine, then the walk. 0
 * or -1 (w->rep). */
int sk_vs_walk_object(struct sk_vs_walk *, const unsigned char *p, size_t n, int depth,
                      const char *ct, const char *name);
/* A compressed file at P's start (gzip, zstd, lzma, lzip, lz4, .Z). */
int sk_vs_walk_packed(struct sk_vs_walk *, const unsigned char *p, size_t n, int depth,
                      const char *name);
/* vs_walk_arc.c: what libclamav frames otherwise or not at all in P: tar
 * members after a pax size or a base-256 size field, ar members (.deb),
 * gzip/bzip2/xz streams after a prefix. 0 or -1 (w->rep). */
int sk_vs_walk_arc(struct sk_vs_walk *, const unsigned char *p, size_t n, int depth,
                   const char *name, const struct sk_magics *mg);
/* The first squashfs image or lzop file nobody decodes (sk_container_unread)
 * in P after its first byte, in the walk's order: every "hsqs" first, then
 * "sqsh", then lzop's magic. Its offset and *KIND, or SIZE_MAX. MG: P's
 * candidates, or NULL (P is searched). */
size_t sk_vs_unread_find(const struct sk_magics *mg, const unsigned char *p, size_t n,
                         const char **kind);
/* The next 7z signature in P at FROM or after (all six bytes), or
 * SIZE_MAX. MG: P's candidates, or NULL (P is searched). */
size_t sk_vs_7z_next(const struct sk_magics *mg, const unsigned char *p, size_t n, size_t from);
/* MG when it indexes exactly P[0..N) (complete or not), else *OWN filled
 * for P (free it with sk_magics_free): the one pass the walk's searches of
 * an object share. */
const struct sk_magics *sk_vs_magics(const struct sk_magics *mg, const unsigned char *p, size_t n,
                                     struct sk_magics *own);
/* Would sk_vs_walk_arc read members of P (a tar, ar, cpio, ISO 9660, LHA,
 * a git pack)? */
int sk_vs_arc_wants(const unsigned char *p, size_t n);
/* vs_walk_pdf.c: a PDF's streams that libclamav leaves encoded (a
 * predictor, LZW, raw deflate, a /Crypt stage), decoded by the core PDF
 * reader and scanned as objects at DEPTH + 1. 0 (also when P is no PDF)
 * or -1 (w->rep). */
int sk_vs_walk_pdf(struct sk_vs_walk *, const unsigned char *p, size_t n, int depth,
                   const char *name);

/* ---- block pages (vs_page.c) ---- */
/* Load the pages (built-ins, replaced from DIR = option
 * virus_scan.templates when given). 0, or -1 with a malloc'd *err. */
int sk_vs_pages_load(const char *dir, char **err);
void sk_vs_pages_free(void);
/* Set T's block page: the reason follows KEY, the policy setting that
 * decided (av.on-limit: too large, av.on-encrypted, av.on-error: scan
 * error; NULL: a virus); THREAT and REASON are shown escaped. */
void sk_vs_page(struct sk_txn *t, const char *key, const char *threat, const char *reason);
/* The file-type page: title "File type blocked: <what K is>" in English
 * or (JA) Japanese; RULE and REASON shown escaped. */
void sk_vs_page_ft(struct sk_txn *t, enum sk_ft_kind k, int ja, const char *rule,
                   const char *reason);

/* ---- hooks (vs_module.c); the descriptor (vs_descriptor.c) and the
 * unit test refer to them ---- */
int sk_vs_init(struct sk_module_ctx *, char **err);
void sk_vs_fini(struct sk_module_ctx *);
const char *sk_vs_version(struct sk_module_ctx *);
int sk_vs_changed(struct sk_module_ctx *);
int sk_vs_txn_begin(struct sk_txn *, void **state);
enum sk_verdict sk_vs_on_headers(struct sk_txn *, void *state);
enum sk_verdict sk_vs_on_body(struct sk_txn *, void *state, const void *buf, size_t len, int eof);
void sk_vs_txn_end(struct sk_txn *, void *state);

/* Install a scanner and configuration in place of init() (tests). The
 * previous global state, if any, is destroyed. */
void sk_vs_test_install(const struct sk_vs_global *);
/* The engine's verdict for libclamav return code RC (a cl_error_t) and
 * VIRNAME, as scan_mem would report it (tests). */
void sk_vs_test_classify(int rc, const char *virname, struct sk_vs_report *rep);

/* Is a response with this HTTP status and Content-Range (NULL: none) a
 * piece of an object (av.on-partial)? "bytes 0-(N-1)/N" is the whole. */
int sk_vs_partial(int http_status, const char *content_range);

#endif
