/* sk_dbdir_shim.c - LD_PRELOAD shim for the bench's stock c-icap only: makes
 * cl_retdbdir() answer $SK_BENCH_CLAMAV_DB. Trusts its environment. */
#include <stdlib.h>

/* clamav_mod.so has no directive for the database directory; it loads
 * cl_retdbdir(). run.sh prefers a private bind mount and uses this shim
 * only when it cannot mount (not root). */
const char *cl_retdbdir(void);

const char *cl_retdbdir(void)
{
    const char *d = getenv("SK_BENCH_CLAMAV_DB");

    return d && *d ? d : "/var/lib/clamav";
}
