/* sk_sigdb.h - the signature databases of a ClamAV directory as files on
 * disk: names, versions, build times. One reader for the launcher (status,
 * /readyz, metrics) and the server (the signatures-stale alert). */
#ifndef SK_SIGDB_H
#define SK_SIGDB_H

#include <stdint.h>

struct sk_sigdb {
    char name[64];    /* file name in the signature directory */
    unsigned version; /* CVD/CLD header; 0 for plain signature files */
    unsigned sigs;
    int64_t built; /* CVD build time, else the file's mtime */
};

/* Fill OUT (at most MAX entries) with the signature database files of DIR
 * (CVD/CLD headers read with libclamav's cl_cvdhead; other signature files
 * by mtime, which freshclam or an administrator's copy sets). *NEWEST
 * (may be NULL) gets the newest build time, 0 when there is none. Returns
 * the number of entries; an unreadable DIR gives 0. */
int sk_sigdb_scan(const char *dir, struct sk_sigdb *out, int max, int64_t *newest);

#endif
