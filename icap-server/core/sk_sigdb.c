/* sk_sigdb.c - lists the signature database files of a ClamAV directory
 * with their versions and build times (sk_sigdb.h).
 * SECURITY: reads files of the administrator's signature directory only;
 * names are bounded and never leave this struct unescaped by callers. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <clamav.h>

#include "sk_sigdb.h"

static int sk_sigdb_file(const char *name)
{
    static const char *const ext[] = {".cvd", ".cld", ".cud", ".hdb",  ".hsb", ".mdb", ".msb",
                                      ".ndb", ".ldb", ".cdb", ".ign2", ".fp",  ".sfp", ".pdb",
                                      ".wdb", ".ftm", ".yar", ".yara", ".ndu", ".ldu", NULL};
    const char *dot = strrchr(name, '.');

    for (int i = 0; dot && ext[i]; i++)
        if (strcmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

int sk_sigdb_scan(const char *dir, struct sk_sigdb *out, int max, int64_t *newest)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[2048];
    int n = 0;

    if (newest)
        *newest = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        struct sk_sigdb *db = &out[n];
        struct stat st;
        const char *dot = strrchr(e->d_name, '.');

        if (!sk_sigdb_file(e->d_name) || strlen(e->d_name) >= sizeof(db->name) ||
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
            stat(path, &st) == -1 || !S_ISREG(st.st_mode))
            continue;
        memset(db, 0, sizeof(*db));
        memcpy(db->name, e->d_name, strlen(e->d_name) + 1);
        db->built = (int64_t)st.st_mtime;
        if (strcmp(dot, ".cvd") == 0 || strcmp(dot, ".cld") == 0) {
            struct cl_cvd *h = cl_cvdhead(path);
            if (h) {
                db->version = h->version;
                db->sigs = h->sigs;
                db->built = (int64_t)h->stime;
                cl_cvdfree(h);
            }
        }
        if (newest && db->built > *newest)
            *newest = db->built;
        n++;
    }
    closedir(d);
    return n;
}
