/* fuzz_dlp_ole2.c - libFuzzer target for the core compound-file reader
 * (core/sk_ole2.c) and dlp's legacy Office text (modules/dlp/dlp_ole2*.c):
 * the input as a compound file (every stream read), as DLP reads it
 * (sk_dlp_ole2_text: Word's piece table, Excel's cells, PowerPoint's
 * atoms, Outlook properties), and as bare Word, Excel and PowerPoint
 * streams.
 * Oracles: the reader ends with OK, LIMIT or BROKEN, never out of memory
 * at these sizes; a stream read is exactly its entry's size; every parent
 * is a storage or the root; no empty emit; the text reading returns 0 or
 * 1. With SK_OLE2_PRINT set in the environment the text is printed (a
 * debugging aid for the replay binary). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/ole2.h>

#include "dlp_ole2.h"
#include "sk_fuzz.h"

int sk_dlp_ole2_text(const unsigned char *p, size_t n, int (*emit)(void *, const char *, size_t),
                     void *arg, char *why, size_t whylen);

static int sk_fuzz_emit(void *arg, const char *p, size_t n)
{
    SK_FUZZ_CHECK(n > 0 && p != NULL, "an empty emit");
    if (arg)
        fwrite(p, 1, n, stdout);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_ole2_limits lim = {.max_entries = 100000, .max_out = 8 << 20, .max_total = 32 << 20};
    struct sk_ole2 *o = NULL;
    const char *why = NULL;
    void *print = getenv("SK_OLE2_PRINT") ? (void *)1 : NULL;
    enum sk_ole2_rc rc = sk_ole2_open(data, size, &lim, &o, &why);

    SK_FUZZ_CHECK(rc != SK_OLE2_NOMEM, "open: out of memory");
    SK_FUZZ_CHECK((rc == SK_OLE2_OK) == (o != NULL), "open: %d with reader %p", rc, (void *)o);
    for (size_t i = 0, n = sk_ole2_count(o); i < n; i++) {
        const struct sk_ole2_entry *e = sk_ole2_at(o, i);
        SK_FUZZ_CHECK(e->parent == SK_OLE2_NONE ||
                          (e->parent < n && (sk_ole2_at(o, e->parent)->type == SK_OLE2_STORAGE ||
                                             sk_ole2_at(o, e->parent)->type == SK_OLE2_ROOT)),
                      "entry %zu: parent %u is no storage", i, e->parent);
        if (e->type != SK_OLE2_STREAM)
            continue;
        unsigned char *b;
        size_t bn;
        enum sk_ole2_rc r = sk_ole2_read(o, i, &b, &bn);
        SK_FUZZ_CHECK(r != SK_OLE2_NOMEM, "read: out of memory");
        SK_FUZZ_CHECK(r != SK_OLE2_OK || bn == e->size, "read %zu of %llu", bn,
                      (unsigned long long)e->size);
        free(b);
    }
    sk_ole2_free(o);

    char w[160];
    int t = sk_dlp_ole2_text(data, size, sk_fuzz_emit, print, w, sizeof(w));
    SK_FUZZ_CHECK(t == 0 || t == 1, "text: %d", t);
    if (print && t)
        printf("\n[why: %s]\n", w);

    /* the input as bare streams */
    struct sk_otxt x = {.emit = sk_fuzz_emit};
    sk_ofmt_doc(data, size, data, size, data, size, &x, &why);
    sk_ofmt_xls(data, size, &x, &why);
    sk_ofmt_ppt(data, size, &x, &why);
    return 0;
}
