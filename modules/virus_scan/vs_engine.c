/* vs_engine.c - the libclamav engine behind struct sk_vs_scanner: built
 * in the c-icap master before fork, shared read-only (copy-on-write) by
 * every child and scanning thread. A changed signature directory is seen by
 * the master (changed()), which rebuilds once for the node through a c-icap
 * reconfigure; the engine survives that fini/init when still current. Trust: signature files are
 * the administrator's; scanned bytes are client-controlled and only ever reach libclamav. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>
#include <dlfcn.h>

#include <sekisho/decode.h>
#include <sekisho/filetype.h>

#include "vs_internal.h"
#include "vs_scan.h"
#include "vs_testsigs.h" /* generated from tests/sigs at build time */

struct sk_vs_eng {
    struct cl_engine *cl;
    int refs;            /* atomic: the holder of `cur` plus each running scan */
    const char *version; /* interned, never freed before fini */
};

struct sk_vs_vstr { /* every version string ever handed out (see version()) */
    struct sk_vs_vstr *next;
    char s[];
};

struct sk_vs_clam {
    struct sk_vs_engine_conf conf; /* strings owned (strdup) */
    pthread_mutex_t lock;          /* guards cur and versions */
    struct sk_vs_eng *cur;
    struct sk_vs_vstr *versions;
    /* Master only (changed(), reload(), create()). */
    struct cl_stat dbstat;
    int have_stat;
    time_t next_check;
    unsigned asked_heavy;     /* max_heavy as configured (conf has the resolved one) */
    unsigned asked_cap;       /* max_heavy_per_client likewise */
    struct sk_vs_slots slots; /* heavy-scan slots and client caps (vs_slots.c) */
};

/* The engine parked by destroy() for the next create() of this process:
 * c-icap's reconfigure runs fini then init in the master, and a policy
 * change must not recompile unchanged signatures (a real ClamAV database
 * is ~1 GB and tens of seconds of CPU). The module object is pinned
 * (RTLD_NODELETE) so libclamav and this pointer outlive c-icap's dlclose. */
static struct sk_vs_clam *sk_vs_kept;

__attribute__((format(printf, 1, 2))) static void sk_vs_log(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sekisho virus_scan: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Sets *err to a malloc'd message (caller frees); returns -1. */
__attribute__((format(printf, 2, 3))) static int sk_vs_errf(char **err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (err && vasprintf(err, fmt, ap) == -1)
        *err = NULL;
    va_end(ap);
    return -1;
}

/* Order-independent hash of the database directory's file names and
 * sizes: identical signature sets give identical versions on every node. */
static uint64_t sk_vs_dir_hash(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    uint64_t sum = 0;
    char path[4096];
    struct stat st;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
            continue;
        uint64_t h = sk_fnv1a64(e->d_name, strlen(e->d_name), 0);
        sum += sk_fnv1a64(&st.st_size, sizeof(st.st_size), h);
    }
    closedir(d);
    return sum;
}

static const char *sk_vs_intern(struct sk_vs_clam *c, const char *s)
{
    struct sk_vs_vstr *v;

    for (v = c->versions; v; v = v->next)
        if (strcmp(v->s, s) == 0)
            return v->s;
    v = malloc(sizeof(*v) + strlen(s) + 1);
    if (!v)
        return "unknown";
    strcpy(v->s, s);
    v->next = c->versions;
    c->versions = v;
    return v->s;
}

static void sk_vs_remove_testsigs(char *dir);

/* Write the built-in test signatures into a fresh private directory.
 * Returns it (caller removes and frees) or NULL with *err. */
static char *sk_vs_write_testsigs(const char *tmp_dir, char **err)
{
    char *dir = NULL, path[4096];

    if (asprintf(&dir, "%s/sekisho-testsigs.XXXXXX", tmp_dir) == -1)
        return NULL;
    if (!mkdtemp(dir)) {
        sk_vs_errf(err, "cannot create %s: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    for (size_t i = 0; i < SK_VS_NTESTSIGS; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, sk_vs_testsigs[i].name);
        FILE *f = fopen(path, "wx");
        int ok = f && fwrite(sk_vs_testsigs[i].data, 1, sk_vs_testsigs[i].len, f) ==
                          sk_vs_testsigs[i].len;
        if (f && fclose(f) != 0)
            ok = 0;
        if (!ok) {
            sk_vs_errf(err, "cannot write %s: %s", path, strerror(errno));
            sk_vs_remove_testsigs(dir);
            return NULL;
        }
    }
    return dir;
}

static void sk_vs_remove_testsigs(char *dir)
{
    char path[4096];

    if (!dir)
        return;
    for (size_t i = 0; i < SK_VS_NTESTSIGS; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, sk_vs_testsigs[i].name);
        unlink(path);
    }
    rmdir(dir);
    free(dir);
}

static int sk_vs_has_db(const char *dir)
{
    unsigned int n = 0;
    struct stat st;

    if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
        return 0;
    return cl_countsigs(dir, CL_COUNTSIGS_ALL, &n) == CL_SUCCESS && n > 0;
}

/* libclamav's clean cache is off: to key it, libclamav hashes every object
 * whole, in 10 MB reads that outrun its file map's page aging (at most 2,047
 * pages released per read), so a 200 MB download cost ~52 MB of RSS while it
 * was hashed; without the cache the same scan peaks ~10 MB above idle and is
 * ~25% faster. The cache was also keyed by MD5, which collides on demand. */
static int sk_vs_set_limits(struct cl_engine *e, const struct sk_vs_engine_conf *cf)
{
    return cl_engine_set_num(e, CL_ENGINE_DISABLE_CACHE, 1) ||
           cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE, (long long)cf->max_scansize) ||
           cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE, (long long)cf->max_filesize) ||
           cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION, cf->max_recursion) ||
           cl_engine_set_num(e, CL_ENGINE_MAX_FILES, cf->max_files) ||
           cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME, cf->max_scantime_ms) ||
           cl_engine_set_str(e, CL_ENGINE_TMPDIR, cf->tmp_dir);
}

/* Build one compiled engine from DIR, or the test signatures when DIR holds
 * no database. NULL with *err. */
static struct sk_vs_eng *sk_vs_build(struct sk_vs_clam *c, char **err)
{
    const struct sk_vs_engine_conf *cf = &c->conf;
    struct sk_vs_eng *e = calloc(1, sizeof(*e));
    char *testdir = NULL, ver[256];
    unsigned int sigs = 0;
    const char *from = cf->db_dir;
    cl_error_t rc;

    if (!e || !(e->cl = cl_engine_new())) {
        free(e);
        sk_vs_errf(err, "out of memory creating the ClamAV engine");
        return NULL;
    }
    if (!sk_vs_has_db(cf->db_dir) && !cf->test_signatures) {
        /* one line: the launcher prints it as its only startup error */
        sk_vs_errf(err,
                   "no ClamAV signatures in %s: install them with freshclam (Debian: apt "
                   "install clamav-freshclam) or point --clamav-db at them; "
                   "--test-signatures runs with a built-in EICAR-only test set",
                   cf->db_dir);
        goto fail;
    }
    if (!sk_vs_has_db(cf->db_dir)) {
        sk_vs_log("WARNING: no ClamAV signatures in %s; using Sekisho's built-in TEST "
                  "signatures (EICAR and test markers only). This server does NOT detect "
                  "real malware until real signatures are installed: run freshclam "
                  "(Debian: apt install clamav-freshclam) or pass --clamav-db DIR "
                  "(sekisho.ClamavDB). They are picked up without a restart.",
                  cf->db_dir);
        if (!(testdir = sk_vs_write_testsigs(cf->tmp_dir, err)))
            goto fail;
        from = testdir;
    }
    if (sk_vs_set_limits(e->cl, cf) != CL_SUCCESS) {
        sk_vs_errf(err, "cannot set ClamAV engine limits");
        goto fail;
    }
    /* PUA signatures always: av.detect-pua and its categories are per
     * policy, applied to each detection (sk_vs_pua_wanted) */
    rc = cl_load(from, e->cl, &sigs, CL_DB_STDOPT | CL_DB_PUA);
    if (rc != CL_SUCCESS) {
        sk_vs_errf(err, "cannot load ClamAV signatures from %s: %s", from, cl_strerror(rc));
        goto fail;
    }
    if (sigs == 0) { /* never an empty engine */
        sk_vs_errf(err, "no signatures loaded from %s", from);
        goto fail;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = cl_engine_compile(e->cl)) != CL_SUCCESS) {
        sk_vs_errf(err, "cannot compile ClamAV engine (%s): %s", from, cl_strerror(rc));
        goto fail;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* one line per compile: tests count them (one per reload per node) */
    sk_vs_log("engine compiled in pid %ld: %u signatures from %s in %.2f s", (long)getpid(), sigs,
              testdir ? "the built-in test set" : from,
              (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    cl_engine_set_clcb_pre_scan(e->cl, sk_vs_pre_scan);
    cl_engine_set_clcb_post_scan(e->cl, sk_vs_post_scan);
    cl_engine_set_clcb_virus_found(e->cl, sk_vs_virus_found);
    snprintf(ver, sizeof(ver), "clamav-%s:%s:db%lld:sigs%u:%016llx", cl_retver(),
             testdir ? "testsigs" : "db",
             (long long)cl_engine_get_num(e->cl, CL_ENGINE_DB_VERSION, NULL), sigs,
             (unsigned long long)(testdir ? 0 : sk_vs_dir_hash(cf->db_dir)));
    pthread_mutex_lock(&c->lock);
    e->version = sk_vs_intern(c, ver);
    pthread_mutex_unlock(&c->lock);
    e->refs = 1;
    sk_vs_remove_testsigs(testdir);
    return e;
fail:
    sk_vs_remove_testsigs(testdir);
    cl_engine_free(e->cl);
    free(e);
    return NULL;
}

static struct sk_vs_eng *sk_vs_acquire(struct sk_vs_clam *c)
{
    struct sk_vs_eng *e;

    pthread_mutex_lock(&c->lock);
    e = c->cur;
    __atomic_add_fetch(&e->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&c->lock);
    return e;
}

static void sk_vs_release(struct sk_vs_eng *e)
{
    if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        cl_engine_free(e->cl);
        free(e);
    }
}

static void sk_vs_options(struct cl_scan_options *o)
{
    memset(o, 0, sizeof(*o));
    o->general = CL_SCAN_GENERAL_HEURISTICS;
    o->parse = ~0u;
    o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                   CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
}

/* Archives, documents and large bodies can cost seconds of CPU each; at
 * most max_heavy of them run at once on the node, so one client cannot
 * take every core. HEAD: the first bytes of the object. */
static int sk_vs_heavy(const struct sk_vs_clam *c, const unsigned char *head, size_t n,
                       uint64_t size)
{
    static const struct {
        const char *magic;
        size_t len, off;
    } kinds[] = {
        {"PK\x03\x04", 4, 0},
        {"\x1f\x8b", 2, 0},
        {"7z\xbc\xaf", 4, 0},
        {"Rar!", 4, 0},
        {"BZh", 3, 0},
        {"\xfd"
         "7zXZ",
         5, 0},
        {"MSCF", 4, 0},
        {"ustar", 5, 257},
        {"\xd0\xcf\x11\xe0", 4, 0},
        {"%PDF", 4, 0},
        {"ITSF", 4, 0},
        {"xar!", 4, 0},
    };

    if (size >= c->conf.heavy_bytes)
        return 1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (n >= kinds[i].off + kinds[i].len &&
            memcmp(head + kinds[i].off, kinds[i].magic, kinds[i].len) == 0)
            return 1;
    return 0;
}

/* Take a heavy slot if needed (within max-scantime, as this client:
 * sk_vs_slots_take), then set the scan's deadline (its own time starts
 * once it runs). Returns the slot's descriptor, -1 when none was needed,
 * -2 when none was free (sc->busy: 1 the node's slots, 2 the client's
 * cap). */
static int sk_vs_begin_scan(struct sk_vs_clam *c, struct sk_vs_scan_ctx *sc, int heavy)
{
    int slot = heavy && c->slots.fd != -1
                   ? sk_vs_slots_take(&c->slots, sc->lim ? sc->lim->client : NULL,
                                      c->conf.max_scantime_ms + 1000)
                   : SK_VS_SLOT_NOGATE;

    if (slot == SK_VS_SLOT_BUSY || slot == SK_VS_SLOT_CAPPED) {
        sc->busy = slot == SK_VS_SLOT_CAPPED ? 2 : 1;
        return -2;
    }
    if (slot == SK_VS_SLOT_NOGATE)
        slot = -1; /* not heavy, or cannot gate: scan anyway rather than refuse every archive */
    sk_vs_deadline(&sc->deadline, c->conf.max_scantime_ms);
    return slot;
}

static int sk_vs_clam_scan_mem(void *self, const void *buf, size_t len,
                               const struct sk_vs_limits *lim, struct sk_vs_report *rep)
{
    struct sk_vs_clam *c = self;
    struct sk_vs_scan_ctx sc = {.max_files = lim->max_files,
                                .max_bytes = lim->max_bytes,
                                .top_size = len,
                                .lim = lim,
                                .top_mem = buf,
                                .top_len = len};
    int slot = sk_vs_begin_scan(c, &sc, sk_vs_heavy(c, buf, len, len));
    struct sk_vs_eng *e;

    if (slot == -2) {
        sk_vs_classify(CL_CLEAN, NULL, &sc, rep);
        return 0;
    }
    e = sk_vs_acquire(self);
    struct cl_scan_options o;
    const char *virname = NULL;
    unsigned long scanned = 0;
    static const char empty[1];
    cl_fmap_t *map = cl_fmap_open_memory(len ? buf : empty, len);
    cl_error_t rc;

    if (!map) {
        sk_vs_release(e);
        if (slot >= 0)
            close(slot);
        memset(rep, 0, sizeof(*rep));
        rep->result = SK_VS_ERROR;
        snprintf(rep->why, sizeof(rep->why), "scan engine error: cannot map the body");
        return 0;
    }
    sk_vs_options(&o);
    rc = cl_scanmap_callback(map, NULL, &virname, &scanned, e->cl, &o, &sc);
    if (sk_vs_pua_rescan(rc, &virname, &sc, &o))
        rc = sk_vs_pua_result(cl_scanmap_callback(map, NULL, &virname, &scanned, e->cl, &o, &sc),
                              &virname, &sc);
    sk_vs_classify(rc, virname, &sc, rep); /* virname points into the engine: copy first */
    rep->kinds = sc.kinds;
    rep->zip64_inner = sc.zip64_inner;
    cl_fmap_close(map);
    sk_vs_release(e);
    if (slot >= 0)
        close(slot); /* releases the slot */
    return 0;
}

static int sk_vs_clam_scan_fd(void *self, int fd, const struct sk_vs_limits *lim,
                              struct sk_vs_report *rep)
{
    struct sk_vs_clam *c = self;
    struct sk_vs_scan_ctx sc = {
        .max_files = lim->max_files, .max_bytes = lim->max_bytes, .lim = lim};
    unsigned char head[512];
    ssize_t n = pread(fd, head, sizeof(head), 0);
    struct stat st;
    int slot;

    sc.top_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
    slot = sk_vs_begin_scan(c, &sc, sk_vs_heavy(c, head, n > 0 ? (size_t)n : 0, sc.top_size));
    struct sk_vs_eng *e;
    struct cl_scan_options o;
    const char *virname = NULL;
    unsigned long scanned = 0;
    cl_error_t rc;

    if (slot == -2) {
        sk_vs_classify(CL_CLEAN, NULL, &sc, rep);
        return 0;
    }
    e = sk_vs_acquire(self);
    sk_vs_options(&o);
    rc = cl_scandesc_callback(fd, NULL, &virname, &scanned, e->cl, &o, &sc);
    if (sk_vs_pua_rescan(rc, &virname, &sc, &o) && lseek(fd, 0, SEEK_SET) == 0)
        rc = sk_vs_pua_result(cl_scandesc_callback(fd, NULL, &virname, &scanned, e->cl, &o, &sc),
                              &virname, &sc);
    sk_vs_classify(rc, virname, &sc, rep);
    rep->kinds = sc.kinds;
    rep->zip64_inner = sc.zip64_inner;
    sk_vs_release(e);
    if (slot >= 0)
        close(slot); /* releases the slot */
    return 0;
}

static const char *sk_vs_clam_version(void *self)
{
    struct sk_vs_clam *c = self;
    const char *v;

    pthread_mutex_lock(&c->lock);
    v = c->cur->version;
    pthread_mutex_unlock(&c->lock);
    return v;
}

/* Has the signature directory changed since the engine was built? No stat
 * state: the directory was missing or empty; stale once it has a db. */
static int sk_vs_stale(struct sk_vs_clam *c)
{
    return c->have_stat ? cl_statchkdir(&c->dbstat) == 1 : sk_vs_has_db(c->conf.db_dir);
}

static void sk_vs_restat(struct sk_vs_clam *c)
{
    if (c->have_stat)
        cl_statfree(&c->dbstat);
    c->have_stat = cl_statinidir(c->conf.db_dir, &c->dbstat) == CL_SUCCESS;
}

/* Master: rebuild if stale, swap, free the old engine when its last scan
 * ends. A failed build keeps the old engine; the directory state is taken
 * as seen, so the next attempt waits for the next change (a half-written
 * update changes again when it completes) instead of a reconfigure of
 * the node every reload-interval. */
static int sk_vs_clam_reload(void *self)
{
    struct sk_vs_clam *c = self;
    char *err = NULL;
    struct sk_vs_eng *e, *old;

    if (!sk_vs_stale(c))
        return 0;
    e = sk_vs_build(c, &err);
    sk_vs_restat(c);
    if (!e) {
        sk_vs_log("ERROR signature reload from %s failed, keeping the old engine (%s): %s",
                  c->conf.db_dir, c->cur->version, err ? err : "out of memory");
        free(err);
        return -1;
    }
    pthread_mutex_lock(&c->lock);
    old = c->cur;
    c->cur = e;
    pthread_mutex_unlock(&c->lock);
    sk_vs_release(old); /* freed when its last scan ends */
    sk_vs_log("signatures reloaded from %s: %s", c->conf.db_dir, e->version);
    return 1;
}

/* Master, about once a second (module hook changed()): at most once per
 * reload_interval, stat the db directory. */
static int sk_vs_clam_changed(void *self)
{
    struct sk_vs_clam *c = self;
    time_t now = time(NULL);

    if (c->conf.reload_interval == 0 || now < c->next_check)
        return 0;
    c->next_check = now + (time_t)c->conf.reload_interval;
    return sk_vs_stale(c);
}

static void sk_vs_clam_free(struct sk_vs_clam *c)
{
    sk_vs_release(c->cur);
    c->cur = NULL;
    if (c->have_stat)
        cl_statfree(&c->dbstat);
    while (c->versions) {
        struct sk_vs_vstr *n = c->versions->next;
        free(c->versions);
        c->versions = n;
    }
    free((char *)c->conf.db_dir);
    free((char *)c->conf.tmp_dir);
    sk_vs_slots_close(&c->slots);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

#if defined(__SANITIZE_ADDRESS__)
/* Sanitized builds only: free the parked engine at exit. LeakSanitizer
 * does not scan libclamav's mmap'ed memory pool, so what only the pool
 * points to (roots, phishing tables) would be reported as leaked; a
 * production process leaves the engine to the exit, as before. */
__attribute__((destructor)) static void sk_vs_kept_exit(void)
{
    if (sk_vs_kept)
        sk_vs_clam_free(sk_vs_kept);
    sk_vs_kept = NULL;
}
#endif

/* fini: park the engine for the next create() (see sk_vs_kept). In a child
 * that exits, or a master that stops, it simply goes with the process. */
static void sk_vs_clam_destroy(void *self)
{
    if (sk_vs_kept && sk_vs_kept != self)
        sk_vs_clam_free(sk_vs_kept);
    sk_vs_kept = self;
}

/* Same settings as the parked engine was built with? (reload-interval
 * only paces the checks and is taken over as is.) */
static int sk_vs_same_conf(const struct sk_vs_clam *c, const struct sk_vs_engine_conf *cf)
{
    const struct sk_vs_engine_conf *k = &c->conf;

    return strcmp(k->db_dir, cf->db_dir) == 0 && strcmp(k->tmp_dir, cf->tmp_dir) == 0 &&
           k->max_scansize == cf->max_scansize && k->max_filesize == cf->max_filesize &&
           k->max_recursion == cf->max_recursion && k->max_files == cf->max_files &&
           k->max_scantime_ms == cf->max_scantime_ms && k->heavy_bytes == cf->heavy_bytes &&
           k->test_signatures == cf->test_signatures && c->asked_heavy == cf->max_heavy &&
           c->asked_cap == cf->max_heavy_per_client;
}

int sk_vs_engine_create(const struct sk_vs_engine_conf *cf, struct sk_vs_scanner *out, char **err)
{
    static int inited;
    struct sk_vs_clam *c;
    cl_error_t rc;

    if (!inited) {
        if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS)
            return sk_vs_errf(err, "cl_init failed: %s", cl_strerror(rc));
        inited = 1;
    }
    /* pin this object: the parked engine and libclamav must outlive the
     * dlclose of a c-icap reconfigure (harmless when linked statically) */
    Dl_info self;
    if (dladdr((void *)&sk_vs_engine_create, &self) && self.dli_fname)
        (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    if ((c = sk_vs_kept) != NULL) {
        sk_vs_kept = NULL;
        if (sk_vs_same_conf(c, cf)) {
            c->conf.reload_interval = cf->reload_interval;
            c->next_check = time(NULL) + (time_t)cf->reload_interval;
            sk_vs_clam_reload(c); /* no compile unless the directory changed */
            goto done;
        }
        sk_vs_clam_free(c); /* other settings: a new engine */
    }
    if (!(c = calloc(1, sizeof(*c))))
        return sk_vs_errf(err, "out of memory");
    c->conf = *cf;
    c->conf.db_dir = strdup(cf->db_dir);
    c->conf.tmp_dir = strdup(cf->tmp_dir);
    c->slots.fd = -1;
    c->asked_heavy = cf->max_heavy;
    c->asked_cap = cf->max_heavy_per_client;
    pthread_mutex_init(&c->lock, NULL);
    if (!c->conf.db_dir || !c->conf.tmp_dir || !(c->cur = sk_vs_build(c, err))) {
        sk_vs_clam_free(c);
        return -1;
    }
    /* shared with every child forked after this (init runs in the master) */
    if (cf->max_heavy == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        c->conf.max_heavy = ncpu > 2 ? (unsigned)(ncpu - 1) : 1;
    }
    c->conf.max_heavy_per_client = sk_vs_cap_resolve(cf->max_heavy_per_client, c->conf.max_heavy);
    if (sk_vs_slots_open(&c->slots, c->conf.tmp_dir, c->conf.max_heavy,
                         c->conf.max_heavy_per_client, err) == -1) {
        sk_vs_clam_free(c);
        return -1;
    }
    sk_vs_log("heavy-scan slots: %u, at most %u per client (X-Client-IP)", c->conf.max_heavy,
              c->conf.max_heavy_per_client);
    /* a missing directory is fine: nothing to watch until it appears */
    c->have_stat = cl_statinidir(c->conf.db_dir, &c->dbstat) == CL_SUCCESS;
    c->next_check = time(NULL) + (time_t)cf->reload_interval;
done:
    *out = (struct sk_vs_scanner){
        .scan_mem = sk_vs_clam_scan_mem,
        .scan_fd = sk_vs_clam_scan_fd,
        .version = sk_vs_clam_version,
        .changed = sk_vs_clam_changed,
        .reload = sk_vs_clam_reload,
        .destroy = sk_vs_clam_destroy,
        .self = c,
    };
    return 0;
}

/* Test hook (tests/unit/test_virus_scan.c): the verdict mapping of one
 * libclamav return code, without an engine, so every cl_error_t value can
 * be checked; not used by the module. */
void sk_vs_test_classify(int rc, const char *virname, struct sk_vs_report *rep)
{
    struct sk_vs_scan_ctx sc = {0};

    sk_vs_classify((cl_error_t)rc, virname, &sc, rep);
}
