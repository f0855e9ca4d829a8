/* sk_infected.h - the host-wide list of URLs that recently delivered a
 * virus (shared memory, inherited by every c-icap child). */
#ifndef SK_INFECTED_H
#define SK_INFECTED_H

#include <stddef.h>

/* Map the table (call in the master before fork so children share it).
 * entries is rounded up to a multiple of the bucket size. 0 or -1. */
int sk_infected_init(size_t entries);
void sk_infected_fini(void);

#endif
