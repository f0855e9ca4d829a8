/* sk_accept_fix.c - in sk_cicap_fix.so: a c-icap child that is going away
 * never accepts a connection after its worker threads are gone.
 * SECURITY: no client data; only c-icap's own accept lock and signals.
 *
 * c-icap 0.5.10 (mpmt_server.c), how a child stops (retired for
 * MaxRequestsPerChild or by a reconfigure, GRACEFULLY; the stock echo
 * service loses connections the same way, tests/integration/retire_probe.py):
 *  - the children share one listening socket and take turns with the
 *    process-shared "accept" mutex; the holder sits in poll() on the socket,
 *    the others wait in ci_proc_mutex_lock() (sem_wait on Debian);
 *  - the child's main thread sets to_be_killed and, in cancel_all_threads(),
 *    sends its listener SIGHUP every ms for about 1 s. The handler is
 *    installed with signal() (SA_RESTART), so a listener waiting for the
 *    mutex is not woken: the futex wait restarts. After ~1 s c-icap gives up
 *    on the listener, wakes the workers, which find the queue empty and
 *    exit, and sleeps ~1 s more before the child exits;
 *  - if the other child lets the mutex go in that second (all its threads
 *    busy, or it retires too), the listener gets it, poll() reports a
 *    waiting client, it accepts it, queues it for workers that no longer
 *    exist ("Listener server must exit!") and the child exits: the kernel
 *    closes the socket with the request unread and the client gets a reset.
 * Fix: pthread_kill(thread, SIGHUP) is c-icap's "listener, exit" (its only
 * use of SIGHUP in a child). We note it, and the accept mutex, taken after
 * such a request (or asked for after it), is given back at once and
 * reported as EINTR, on which c-icap's listener goes to the top of its
 * loop, sees to_be_killed and exits without accepting. A listener that
 * already holds the mutex is in poll(), which SIGHUP does interrupt (or it
 * queues a client while the workers still wait, within the first second).
 * Why this and not: re-installing the SIGHUP handler without SA_RESTART (a
 * signal that lands between c-icap's to_be_killed check and sem_wait is
 * still lost, and every other call of the listener would see EINTR);
 * serving or handing back the queued client (the queue is internal to the
 * c-icap binary and its workers are already joined). Checking after the
 * lock is taken closes the window whatever the timing. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "c-icap.h"
#include "debug.h"
#include "proc_mutex.h"
#include "sk_fix.h"

typedef int (*sk_mutex_init_fn)(ci_proc_mutex_t *, const char *);
typedef int (*sk_mutex_fn)(ci_proc_mutex_t *);
typedef int (*sk_pthread_kill_fn)(pthread_t, int);

static ci_proc_mutex_t *sk_accept_mutex; /* c-icap's accept_mutex, set in the master */
static pid_t sk_stop_pid;                /* process whose ... */
static pthread_t sk_stop_thread;         /* ... thread was told to exit */

__attribute__((visibility("default"))) int ci_proc_mutex_init(ci_proc_mutex_t *m, const char *name)
{
    static void *slot;
    sk_mutex_init_fn real = (sk_mutex_init_fn)sk_fix_real(&slot, "ci_proc_mutex_init");
    int r = real ? real(m, name) : 0;

    if (r && name && strcmp(name, "accept") == 0)
        __atomic_store_n(&sk_accept_mutex, m, __ATOMIC_RELEASE);
    return r;
}

__attribute__((visibility("default"))) int pthread_kill(pthread_t t, int sig)
{
    static void *slot;
    sk_pthread_kill_fn real = (sk_pthread_kill_fn)sk_fix_real(&slot, "pthread_kill");

    if (sig == SIGHUP) {
        sk_stop_thread = t;
        __atomic_store_n(&sk_stop_pid, getpid(), __ATOMIC_RELEASE);
    }
    return real ? real(t, sig) : ESRCH;
}

static int sk_told_to_exit(void)
{
    return __atomic_load_n(&sk_stop_pid, __ATOMIC_ACQUIRE) == getpid() &&
           pthread_equal(sk_stop_thread, pthread_self());
}

__attribute__((visibility("default"))) int ci_proc_mutex_lock(ci_proc_mutex_t *m)
{
    static void *slot, *uslot;
    sk_mutex_fn real = (sk_mutex_fn)sk_fix_real(&slot, "ci_proc_mutex_lock");
    sk_mutex_fn unlock = (sk_mutex_fn)sk_fix_real(&uslot, "ci_proc_mutex_unlock");
    int r;

    if (!real)
        return 0;
    if (m == NULL || m != __atomic_load_n(&sk_accept_mutex, __ATOMIC_ACQUIRE))
        return real(m);
    if (sk_told_to_exit()) {
        errno = EINTR;
        return 0;
    }
    r = real(m);
    if (r && sk_told_to_exit() && unlock) {
        unlock(m);
        ci_debug_printf(5, "sekisho guard: child %d stopping, accept lock given back\n",
                        (int)getpid());
        errno = EINTR;
        return 0;
    }
    return r;
}
