/* sk_retire_fix.c - in sk_cicap_fix.so: a c-icap child that is going away
 * exits as soon as its threads have ended, not a second later.
 * SECURITY: no client data; only c-icap's own threads and sleeps.
 *
 * c-icap 0.5.10 (mpmt_server.c, cancel_all_threads): after telling its
 * listener to exit, a stopping child wakes its worker threads and then
 * loops: join the workers that are no longer running, then
 * ci_usleep(999999), until none runs. The sleep comes after the pass that
 * joined the last one too, so every child that stops - each one a policy
 * or signature reload retires, each one recycled for MaxRequestsPerChild,
 * and every child at a server stop - takes at least a second, with nothing
 * left to wait for (measured: old children gone 1.06-1.12 s after a
 * reconfigure). c-icap ignores a reconfigure while the previous one's
 * children live, so a second policy commit waited that second too.
 * Fix: we count the threads c-icap starts (ci_thread_create: its workers
 * and its listener; our own threads use pthread_create) until their start
 * routine returns, and that one-second sleep (the only ci_usleep(999999)
 * in c-icap) ends early once none of them is left, which only happens in a
 * child that is going away. c-icap's loop then joins them and ends. (Not
 * keyed on the listener being told to exit: a listener that had already
 * left is not told, and one stop in four then kept the second.) A worker still serving a
 * transaction keeps the sleep going in 5 ms steps, as before in one. Never a busy loop: a thread
 * c-icap started that we could not count turns the shortcut off, and it
 * ends a sleep early at most a few times per process. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "c-icap.h"
#include "ci_threads.h"
#include "util.h"
#include "sk_fix.h"

#define SK_RETIRE_SLEEP_US 999999 /* cancel_all_threads' sleep */
#define SK_RETIRE_STEP_US  5000
#define SK_RETIRE_EARLY    4 /* early ends per process, then plain sleeps */

static int sk_threads;   /* c-icap threads whose start routine has not returned */
static int sk_uncounted; /* one could not be counted: no shortcut */
static int sk_early;     /* sleeps ended early in this process */

struct sk_tramp {
    void *(*fn)(void *);
    void *arg;
};

static void sk_thread_done(void *unused)
{
    (void)unused;
    __atomic_sub_fetch(&sk_threads, 1, __ATOMIC_ACQ_REL);
}

static void *sk_tramp_main(void *p)
{
    struct sk_tramp t = *(struct sk_tramp *)p;
    void *r;

    free(p);
    /* also when the thread ends through pthread_exit or a cancel */
    pthread_cleanup_push(sk_thread_done, NULL);
    r = t.fn(t.arg);
    pthread_cleanup_pop(1);
    return r;
}

int ci_thread_create(ci_thread_t *id, void *(*fn)(void *), void *arg)
{
    static void *slot;
    int (*real)(ci_thread_t *, void *(*)(void *), void *) =
        (int (*)(ci_thread_t *, void *(*)(void *), void *))sk_fix_real(&slot, "ci_thread_create");
    struct sk_tramp *t = malloc(sizeof(*t));
    int r;

    if (!real) {
        free(t);
        return -1;
    }
    if (!t) {
        __atomic_store_n(&sk_uncounted, 1, __ATOMIC_RELEASE);
        return real(id, fn, arg);
    }
    t->fn = fn;
    t->arg = arg;
    __atomic_add_fetch(&sk_threads, 1, __ATOMIC_ACQ_REL);
    if ((r = real(id, sk_tramp_main, t)) != 0) {
        __atomic_sub_fetch(&sk_threads, 1, __ATOMIC_ACQ_REL);
        free(t);
    }
    return r;
}

int ci_usleep(unsigned long usec)
{
    static void *slot;
    int (*real)(unsigned long) = (int (*)(unsigned long))sk_fix_real(&slot, "ci_usleep");
    unsigned long slept = 0;

    if (!real)
        return 0;
    if (usec != SK_RETIRE_SLEEP_US || __atomic_load_n(&sk_uncounted, __ATOMIC_ACQUIRE) ||
        sk_early >= SK_RETIRE_EARLY)
        return real(usec);
    while (slept < usec) {
        if (__atomic_load_n(&sk_threads, __ATOMIC_ACQUIRE) == 0) {
            sk_early++; /* only cancel_all_threads' own thread gets here */
            return 0;
        }
        real(SK_RETIRE_STEP_US);
        slept += SK_RETIRE_STEP_US;
    }
    return 0;
}

/* A forked child has none of its parent's threads. */
static void sk_retire_atfork_child(void)
{
    __atomic_store_n(&sk_threads, 0, __ATOMIC_RELEASE);
    sk_early = 0;
}

__attribute__((constructor)) static void sk_retire_init(void)
{
    pthread_atfork(NULL, NULL, sk_retire_atfork_child);
}
