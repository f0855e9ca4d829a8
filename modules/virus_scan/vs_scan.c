/* vs_scan.c - what one libclamav scan reports through its callbacks (every
 * inner object: per-policy limits, the decode guard, objects kept for the
 * walk), and the verdict made from it (limits, encrypted, PUA wanted or
 * not). Trust: the objects are client-controlled bytes libclamav
 * extracted; only their sizes, types and first bytes are read here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clamav.h>

#include <sekisho/decode.h>
#include <sekisho/filetype.h>

#include "vs_scan.h"

/* Is FD an open ancestor's descriptor (the object is a view into it)? */
static int sk_vs_is_view(const struct sk_vs_scan_ctx *sc, int fd)
{
    for (unsigned i = 0; i < sc->depth && i < SK_VS_OPEN_MAX; i++)
        if (sc->open_fd[i] == fd)
            return 1;
    return 0;
}

/* Bytes an inner object adds to the policy's av.max-scan-size budget:
 * libclamav extracts archive members, decompressed streams and decoded
 * parts into temporary files, so the size of the object's own descriptor
 * is what it inflated to. A view into an open ancestor (an embedded
 * object, a stored member read in place) shares the ancestor's descriptor
 * and its bytes were counted with it. Objects libclamav decodes into
 * memory (no descriptor) count only against the engine-wide
 * CL_ENGINE_MAX_SCANSIZE (virus_scan.max-scansize, 400M by default).
 *
 * Why not the file-inspection callback, which hands over each object's
 * size: libclamav reads every object whole into memory to call it, so a
 * 200 MB download cost 200 MB of RSS and 20% of the throughput. The
 * pre-scan callback costs nothing. */
static uint64_t sk_vs_inner_bytes(const struct sk_vs_scan_ctx *sc, int fd)
{
    struct stat st;

    if (fd < 0 || sk_vs_is_view(sc, fd))
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
        return 0;
    return (uint64_t)st.st_size;
}

void sk_vs_inner_free(struct sk_vs_inner *in)
{
    for (unsigned i = 0; in && i < in->n; i++)
        free(in->v[i].data);
    if (in) {
        free(in->v);
        memset(in, 0, sizeof(*in));
    }
}

/* Containers whose members only libclamav extracts: the walk reads none of
 * them (it reads zips, gzip and zstd files, and tars as text). Their
 * members are files a user opens: an HTML smuggling page in a .7z. Not
 * documents, pages or programs (libclamav's normalised copies, streams
 * and resources), nor mail (its parts are the walk's base64 runs). */
static int sk_vs_engine_only(const char *type)
{
    static const char *const types[] = {
        "CL_TYPE_7Z",
        "CL_TYPE_7ZSFX",
        "CL_TYPE_ALZ",
        "CL_TYPE_ARJ",
        "CL_TYPE_ARJSFX",
        "CL_TYPE_BZ",
        "CL_TYPE_XZ",
        "CL_TYPE_MSCAB",
        "CL_TYPE_CABSFX",
        "CL_TYPE_CPIO_CRC",
        "CL_TYPE_CPIO_NEWC",
        "CL_TYPE_CPIO_ODC",
        "CL_TYPE_CPIO_OLD",
        "CL_TYPE_DMG",
        "CL_TYPE_EGG",
        "CL_TYPE_EGGSFX",
        "CL_TYPE_ISO9660",
        "CL_TYPE_UDF",
        "CL_TYPE_LHA_LZH",
        "CL_TYPE_RAR",
        "CL_TYPE_RARSFX",
        "CL_TYPE_XAR",
        "CL_TYPE_MSSZDD",
        "CL_TYPE_NULSFT",
        "CL_TYPE_AUTOIT",
        "CL_TYPE_SIS",
        "CL_TYPE_GPT",
        "CL_TYPE_APM",
        "CL_TYPE_MBR",
        "CL_TYPE_PART_HFSPLUS",
        "CL_TYPE_MSCHM",
        "CL_TYPE_ONENOTE",
        "CL_TYPE_TNEF",
        "CL_TYPE_BINHEX",
        "CL_TYPE_UUENCODED",
        "CL_TYPE_ISHIELD_MSI",
        "CL_TYPE_SFX",
        /* documents whose streams libclamav decodes itself (a PDF's Flate
         * streams and attachments, an OLE2 file's streams: a .msg's
         * attachments): the walk's text readers see them only so (red team
         * s22: an HTML smuggling page attached to a PDF or a .msg passed) */
        "CL_TYPE_PDF",
        "CL_TYPE_MSOLE2",
    };

    for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

/* An inner object libclamav extracted into a file of its own (FD; PARENT:
 * its container is engine-only): copy it for the walk when it is a
 * compressed file libclamav does not open (zstd, lzma, lzip, lz4), or
 * PARENT and the walk's decoders would find something in it. */
static void sk_vs_inner_note(struct sk_vs_scan_ctx *sc, int fd, int parent)
{
    struct sk_vs_inner *in = sc->lim->inner;
    struct sk_vs_inner_obj *o;
    unsigned char head[512]; /* a zlib stream is told by inflating some of it */
    struct stat st;
    void *m;

    ssize_t hn = pread(fd, head, sizeof(head), 0);
    int opaque = hn >= 4 && sk_vs_opaque_packed(sk_container_sniff(head, (size_t)hn));
    if (!opaque && !parent)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return;
    size_t len = (size_t)st.st_size;
    if ((m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
        in->over = 1;
        return;
    }
    if (!opaque && !sk_vs_walk_wants(m, len)) {
        munmap(m, len);
        return;
    }
    if (in->n == in->cap) {
        unsigned cap = in->cap ? in->cap * 2 : 8;
        if (in->cap >= SK_VS_INNER_MAX || !(o = realloc(in->v, cap * sizeof(*o)))) {
            in->over = 1;
            munmap(m, len);
            return;
        }
        in->v = o;
        in->cap = cap;
    }
    o = &in->v[in->n];
    o->opaque = opaque;
    o->len = len;
    o->data = NULL;
    if ((sc->max_bytes && in->bytes + len > sc->max_bytes) || !(o->data = malloc(len)) ||
        sk_vs_digest(m, len, o->id) == -1) {
        in->over = 1;
        free(o->data);
        munmap(m, len);
        return;
    }
    memcpy(o->data, m, len);
    munmap(m, len);
    in->bytes += len;
    in->n++;
}

/* Does the inner object behind FD hold ZIP64 records (sk_zip_has_zip64)?
 * libclamav 1.4 finds nothing in such a zip ("central not found, using
 * localhdrs"): the caller's own walker must read it, or the scan fails
 * closed (sk_vs_walk_zip64_check). */
static int sk_vs_fd_zip64(int fd)
{
    struct stat st;
    const unsigned char *m;
    int found;

    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 30)
        return 0;
    if ((m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        return 0;
    found = sk_zip_has_zip64(m, (size_t)st.st_size);
    munmap((void *)m, (size_t)st.st_size);
    return found;
}

/* libclamav 1.4 leaves *virname NULL for some alerts (a top-level object
 * over max-filesize); the callback always sees the name. */
void sk_vs_virus_found(int fd, const char *virname, void *context)
{
    struct sk_vs_scan_ctx *sc = context;

    if (sc && virname && !sc->found[0] && (!sc->filter_pua || sk_vs_pua_wanted(sc->lim, virname)))
        snprintf(sc->found, sizeof(sc->found), "%s", virname);
}

/* Before libclamav decompresses a gzip, bzip2 or xz file or a zip's
 * members - the body or an object it extracted - the guard decodes it
 * into nothing within what is left of av.max-scan-size (zips: the ratio
 * only) and the decode ratio: a bomb stops here in
 * milliseconds, and the heavy-scan slot its scan holds is released as soon
 * as the scan returns. A view into an open ancestor (a cpio member read in
 * place; libclamav does not say where) is checked in that ancestor, the
 * body's bytes or its descriptor's file, once per coding and scan. */
static cl_error_t sk_vs_pre_guard(struct sk_vs_scan_ctx *sc, int fd, const char *type, int top,
                                  int view)
{
    uint64_t left = sc->max_bytes ? sc->max_bytes - sc->bytes : UINT64_MAX; /* bytes <= max */
    enum sk_vs_guard g;

    enum sk_coding c = sk_vs_guard_coding(type);

    /* every object libclamav has in a file or in memory of its own is
     * looked at (archives, formats by their bytes, 7z archives anywhere in
     * it); a view only for the compressed streams of its kind in its
     * ancestor (that ancestor was such an object itself, searched whole) */
    if (!sc->lim || (view && (c == 0 || (sc->views_checked & 1u << c))))
        return CL_CLEAN;
    if (view)
        sc->views_checked |= 1u << c;
    /* a view of the body in memory has no descriptor (-1, as the body) */
    int mem = top || (view && fd < 0);
    g = sk_vs_guard_in(type, mem ? sc->top_mem : NULL, mem ? sc->top_len : 0, fd, view, left,
                       sc->lim, sc->guard_why, sizeof(sc->guard_why));
    if (g == SK_VS_GUARD_OK)
        return CL_CLEAN;
    if (g == SK_VS_GUARD_UNREAD)
        sc->unread = 1;
    else if (g == SK_VS_GUARD_ENCRYPTED)
        sc->encrypted = 1;
    else if (g == SK_VS_GUARD_RATIO)
        sc->over_ratio = 1;
    else
        sc->over_bytes = 1;
    return CL_VIRUS; /* stops the scan; classified as a limit */
}

/* Called for every object libclamav scans, the top one first, then each
 * archive member and extracted object (and paired with the post-scan
 * callback while libclamav's clean cache is off): the per-policy
 * av.max-files and av.max-scan-size limits (engine limits are global),
 * the scan deadline (libclamav's own MAX_SCANTIME is checked only between
 * files of some parsers) and the true types of inner objects (the top one
 * is typed from its bytes by the module: libclamav calls a docx or a jar
 * CL_TYPE_ZIP). */
cl_error_t sk_vs_pre_scan(int fd, const char *type, void *context)
{
    struct sk_vs_scan_ctx *sc = context;
    enum sk_ft_kind k;
    int top, view;

    if (!sc)
        return CL_CLEAN;
    sc->files++;
    top = sc->depth == 0;
    view = !top && sk_vs_is_view(sc, fd); /* before FD joins the open ones */
    if (top) {
        sc->bytes += sc->top_size;
    } else {
        if ((k = sk_ft_from_clamav(type)) != SK_FT_NONE)
            sc->kinds |= 1u << k;
        sc->bytes += sk_vs_inner_bytes(sc, fd);
        if (sk_vs_guard_archive(type) == SK_VS_ARC_ZIP && sk_vs_fd_zip64(fd))
            sc->zip64_inner++;
        if (sc->lim && sc->lim->inner && fd >= 0 && !sk_vs_is_view(sc, fd))
            sk_vs_inner_note(sc, fd,
                             sc->depth <= SK_VS_OPEN_MAX ? sc->open_only[sc->depth - 1] : 1);
    }
    if (sc->depth < SK_VS_OPEN_MAX) {
        sc->open_fd[sc->depth] = fd;
        sc->open_only[sc->depth] = sk_vs_engine_only(type);
    }
    sc->depth++;
    if (sc->max_files && sc->files > sc->max_files + 1) {
        sc->over_files = 1;
        return CL_VIRUS; /* stops the scan; classified as a limit below */
    }
    if (sc->max_bytes && sc->bytes > sc->max_bytes) {
        sc->over_bytes = 1;
        return CL_VIRUS;
    }
    if (sk_vs_past(&sc->deadline)) {
        sc->over_time = 1;
        return CL_VIRUS;
    }
    return sk_vs_pre_guard(sc, fd, type, top, view);
}

cl_error_t sk_vs_post_scan(int fd, int result, const char *virname, void *context)
{
    struct sk_vs_scan_ctx *sc = context;

    (void)fd;
    (void)result;
    (void)virname;
    if (sc && sc->depth > 0)
        sc->depth--;
    return CL_CLEAN; /* CL_CLEAN leaves the layer's verdict as it is */
}

void sk_vs_classify(cl_error_t rc, const char *virname, const struct sk_vs_scan_ctx *sc,
                    struct sk_vs_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (sc->unread) { /* av.on-error: nobody decodes it (a virus stops a scan before) */
        rep->result = SK_VS_ERROR;
        snprintf(rep->why, sizeof(rep->why), "%s", sc->guard_why);
        return;
    }
    if (sc->encrypted) { /* av.on-encrypted, named as libclamav names its own */
        rep->result = SK_VS_ENCRYPTED;
        snprintf(rep->name, sizeof(rep->name), "Heuristics.Encrypted.ARJ");
        snprintf(rep->why, sizeof(rep->why), "%s: cannot be scanned", sc->guard_why);
        return;
    }
    if (sc->over_files || sc->over_bytes || sc->over_time || sc->busy || sc->over_ratio) {
        rep->result = SK_VS_LIMIT;
        snprintf(rep->name, sizeof(rep->name), "Sekisho.Limits.Exceeded.%s",
                 sc->over_files   ? "MaxFiles"
                 : sc->over_ratio ? "DecodeRatio"
                 : sc->over_bytes ? "MaxScanSize"
                 : sc->over_time  ? "MaxScanTime"
                                  : "Busy");
        if (sc->over_files)
            snprintf(rep->why, sizeof(rep->why), "more than %llu archive members (av.max-files)",
                     (unsigned long long)sc->max_files);
        else if (sc->guard_why[0]) /* the guard stopped it: ratio or size, said there */
            snprintf(rep->why, sizeof(rep->why), "%s", sc->guard_why);
        else if (sc->over_bytes)
            snprintf(rep->why, sizeof(rep->why),
                     "archive contents exceed av.max-scan-size "
                     "(%llu bytes)",
                     (unsigned long long)sc->max_bytes);
        else if (sc->over_time)
            snprintf(rep->why, sizeof(rep->why), "scan took longer than virus_scan.max-scantime");
        else if (sc->busy == 2)
            snprintf(rep->why, sizeof(rep->why),
                     "this client's heavy scans stayed at virus_scan.max-heavy-per-client "
                     "for virus_scan.max-scantime");
        else
            snprintf(rep->why, sizeof(rep->why),
                     "no heavy-scan slot free within "
                     "virus_scan.max-scantime (virus_scan.max-heavy-scans)");
        return;
    }
    switch (rc) {
    case CL_CLEAN:
        rep->result = SK_VS_CLEAN;
        return;
    case CL_VIRUS:
        snprintf(rep->name, sizeof(rep->name), "%s",
                 virname        ? virname
                 : sc->found[0] ? sc->found
                                : "Unknown");
        if (strncmp(rep->name, "Heuristics.Limits.Exceeded", 26) == 0) {
            rep->result = SK_VS_LIMIT;
            snprintf(rep->why, sizeof(rep->why), "scan limit exceeded (%s)", rep->name);
        } else if (strncmp(rep->name, "Heuristics.Encrypted", 20) == 0) {
            rep->result = SK_VS_ENCRYPTED;
            snprintf(rep->why, sizeof(rep->why), "encrypted content cannot be scanned (%s)",
                     rep->name);
        } else {
            rep->result = SK_VS_VIRUS;
        }
        return;
    case CL_ETIMEOUT:
    case CL_EMAXREC:
    case CL_EMAXSIZE:
    case CL_EMAXFILES:
        rep->result = SK_VS_LIMIT;
        snprintf(rep->name, sizeof(rep->name), "Sekisho.Limits.Exceeded");
        snprintf(rep->why, sizeof(rep->why), "scan limit exceeded (%s)", cl_strerror(rc));
        return;
    default:
        rep->result = SK_VS_ERROR;
        snprintf(rep->why, sizeof(rep->why), "scan engine error: %s", cl_strerror(rc));
        return;
    }
}

/* A PUA detection this policy does not want (av.detect-pua off, or its
 * category left out) must not hide a real threat later in the object:
 * rescan reporting every match and keep the first wanted one. Rare (a
 * PUA hit), so the common scan stays a first-match scan. 1: rescan with
 * *O and SC prepared; 0: keep RC. */
int sk_vs_pua_rescan(cl_error_t rc, const char **virname, struct sk_vs_scan_ctx *sc,
                     struct cl_scan_options *o)
{
    const char *name = *virname ? *virname : sc->found;

    if (rc != CL_VIRUS || sc->filter_pua || sk_vs_pua_wanted(sc->lim, name))
        return 0;
    sc->filter_pua = 1;
    sc->found[0] = '\0';
    sc->files = sc->bytes = 0;
    sc->kinds = 0;
    sc->depth = 0;
    sc->zip64_inner = 0;
    if (sc->lim && sc->lim->inner)
        sk_vs_inner_free(sc->lim->inner); /* the rescan notes them again */
    *virname = NULL;
    o->general |= CL_SCAN_GENERAL_ALLMATCHES;
    return 1;
}

/* After the rescan: the first wanted alert, or clean when there was none. */
cl_error_t sk_vs_pua_result(cl_error_t rc, const char **virname, const struct sk_vs_scan_ctx *sc)
{
    *virname = NULL; /* with all matches, libclamav's name is the first of any */
    if (rc == CL_VIRUS && !sc->found[0] && !sc->over_files && !sc->over_bytes && !sc->over_time &&
        !sc->over_ratio && !sc->unread && !sc->encrypted)
        return CL_CLEAN;
    return rc;
}

/* Is the word W[0..N) one of LIST's comma-separated words (any case)? */
static int sk_vs_word_listed(const char *list, const char *w, size_t n)
{
    while (list && *list) {
        size_t k = strcspn(list, ",");
        const char *p = list;
        size_t m = k;
        while (m && (*p == ' ' || *p == '\t'))
            p++, m--;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (m == n && n && strncasecmp(p, w, n) == 0)
            return 1;
        list += k + (list[k] == ',');
    }
    return 0;
}

int sk_vs_pua_wanted(const struct sk_vs_limits *lim, const char *name)
{
    const char *cat;
    size_t n;

    if (name == NULL || strncmp(name, "PUA.", 4) != 0)
        return 1;
    if (lim == NULL || !lim->pua)
        return 0;
    cat = name + 4;
    n = strcspn(cat, ".");
    if (lim->pua_include && *lim->pua_include)
        return sk_vs_word_listed(lim->pua_include, cat, n);
    return !sk_vs_word_listed(lim->pua_exclude, cat, n);
}
