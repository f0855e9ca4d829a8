/* sk_stop_fix.c - in sk_cicap_fix.so: c-icap's main process stops when told
 * to, even when one of its children had already exited.
 * SECURITY: no client data; only c-icap's own children table and signals.
 *
 * c-icap 0.5.10 (mpmt_server.c), how the main process stops on SIGTERM:
 *  - its monitor loop sees the flag the handler set and breaks out before
 *    it reaps exited children (check_for_exited_childs comes later in the
 *    loop), then kill_all_childs() loops: SIGTERM to every child whose
 *    shared record does not say to_be_killed == IMMEDIATELY, 30 ms sleep,
 *    waitpid() only for children whose record says IMMEDIATELY, until the
 *    table is empty;
 *  - a child writes IMMEDIATELY into its record from its own SIGTERM
 *    handler. A child that exited before that - one that crashed, or one
 *    that retired GRACEFULLY after a reconfigure (every policy commit) or
 *    MaxRequestsPerChild - and was not reaped yet is a zombie: the signal
 *    does nothing, its record never changes, it is never waited for, and
 *    the main process loops forever. The window is from the child's exit to
 *    the loop's next turn (up to 1 s).
 * Seen as "c-icap did not stop, killing it" after 10 s from sekisho-server,
 * and as an orphaned c-icap that kept its port when the launcher itself
 * had been killed (its parent-death signal is a SIGTERM).
 * Fix: we note the children table when c-icap creates it (the shared
 * memory block named "kids-queue", whose layout is c-icap's installed
 * proc_threads_queues.h) and, when the main process sends SIGTERM to a
 * child that has already exited (waitid with WNOWAIT: c-icap still reaps
 * it), write IMMEDIATELY into its record, as the child would have. c-icap's
 * own loop then reaps it and removes it from the table.
 * Why this and not: a watchdog that ends the main process after a while
 * (it would skip c-icap's shutdown: module close, log flush); reaping the
 * zombie ourselves (the table entry would stay and the loop with it).
 *
 * The same table, a second race: a child enters itself into the table
 * (register_child, in the child after fork), and the master counts the
 * table to decide whether to start more (fewer than StartServers, or few
 * free threads). A loop turn between the fork and the child's entry -
 * woken by the SIGCHLD of a child that a reload retired, now ~0.1 s after
 * the reload (sk_retire_fix.c) - forked one more, past MaxServers (seen:
 * 4 children with MaxServers 3 for good, as MaxSpareThreads never let the
 * extra one go). So the master, after each fork, waits until the child
 * has entered itself (a few ms; at most SK_STOP_ENTRY_MS, or until the
 * child is gone). Only in the master, and c-icap's start_child is the
 * only fork there (no Sekisho code forks in the daemon). Not in c-icap's
 * start-up forks: its signal handlers come after them, and a SIGHUP that
 * lands meanwhile ends the process, so that window must stay short (the
 * monitor loop, which has the race, has not run yet then).
 * SEKISHO_TEST_CHILD_ENTRY_DELAY_MS (tests only; read when the master
 * makes a table) delays each new child that long before it enters itself,
 * as a loaded machine does, so integration.stop can show the race. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "c-icap.h"
#include "debug.h"
#include "proc_threads_queues.h"
#include "shared_mem.h"
#include "stats.h"
#include "sk_fix.h"

#define SK_STOP_TABLES   8    /* the live table and those of earlier reconfigures */
#define SK_STOP_ENTRY_MS 2000 /* a new child's wait for its own table entry */

static struct {
    const ci_shared_mem_id_t *id; /* inside c-icap's struct childs_queue */
    child_shared_data_t *childs;
    int n;
} sk_tables[SK_STOP_TABLES];
static pid_t sk_tables_pid;       /* the process that created them: c-icap's main */
static int sk_tables_newest = -1; /* the table c-icap made last: its children's */
static long sk_entry_delay_ms;    /* SEKISHO_TEST_CHILD_ENTRY_DELAY_MS */
static pthread_mutex_t sk_tables_lock = PTHREAD_MUTEX_INITIALIZER;

/* The number of child records in a "kids-queue" block of `bytes`:
 * create_childs_queue() sizes it as n records + n stats blocks + one
 * history stats block + struct server_statistics. */
static int sk_stop_records(long bytes, long stats_block)
{
    long fixed = stats_block + (long)sizeof(struct server_statistics);
    long per = (long)sizeof(child_shared_data_t) + stats_block;

    if (bytes <= fixed || per <= 0 || (bytes - fixed) % per != 0)
        return 0; /* not the layout we know: leave the block alone */
    return (int)((bytes - fixed) / per);
}

void *ci_shared_mem_create(ci_shared_mem_id_t *id, const char *name, int size)
{
    static void *slot;
    void *(*real)(ci_shared_mem_id_t *, const char *, int) =
        (void *(*)(ci_shared_mem_id_t *, const char *, int))sk_fix_real(&slot,
                                                                        "ci_shared_mem_create");
    void *mem = real ? real(id, name, size) : NULL;
    int i, n;

    if (!mem || !name || strcmp(name, "kids-queue") != 0)
        return mem;
    n = sk_stop_records(size, ci_stat_memblock_size());
    {
        const char *d = getenv("SEKISHO_TEST_CHILD_ENTRY_DELAY_MS");
        sk_entry_delay_ms = d ? strtol(d, NULL, 10) : 0;
    }
    pthread_mutex_lock(&sk_tables_lock);
    __atomic_store_n(&sk_tables_pid, getpid(), __ATOMIC_RELEASE);
    for (i = 0; n > 0 && i < SK_STOP_TABLES; i++) {
        if (!sk_tables[i].id) {
            sk_tables[i].id = id;
            sk_tables[i].childs = mem;
            sk_tables[i].n = n;
            sk_tables_newest = i;
            break;
        }
    }
    pthread_mutex_unlock(&sk_tables_lock);
    return mem;
}

int ci_shared_mem_destroy(ci_shared_mem_id_t *id)
{
    static void *slot;
    int (*real)(ci_shared_mem_id_t *) =
        (int (*)(ci_shared_mem_id_t *))sk_fix_real(&slot, "ci_shared_mem_destroy");
    int i;

    pthread_mutex_lock(&sk_tables_lock);
    for (i = 0; i < SK_STOP_TABLES; i++) {
        if (sk_tables[i].id == id) {
            memset(&sk_tables[i], 0, sizeof(sk_tables[i]));
            if (sk_tables_newest == i)
                sk_tables_newest = -1;
        }
    }
    pthread_mutex_unlock(&sk_tables_lock);
    return real ? real(id) : 0;
}

/* 1 when pid is our child and has exited, without reaping it. */
static int sk_child_exited(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static void sk_mark_exited(pid_t pid)
{
    int i, j;

    pthread_mutex_lock(&sk_tables_lock);
    if (sk_tables_pid == getpid()) {
        for (i = 0; i < SK_STOP_TABLES; i++) {
            for (j = 0; sk_tables[i].id && j < sk_tables[i].n; j++) {
                child_shared_data_t *c = &sk_tables[i].childs[j];
                if (c->pid == pid && c->to_be_killed != IMMEDIATELY) {
                    c->to_be_killed = IMMEDIATELY;
                    ci_debug_printf(3, "sekisho: child %d had already exited, marked for reaping\n",
                                    (int)pid);
                }
            }
        }
    }
    pthread_mutex_unlock(&sk_tables_lock);
}

int kill(pid_t pid, int sig)
{
    static void *slot;
    int (*real)(pid_t, int) = (int (*)(pid_t, int))sk_fix_real(&slot, "kill");

    if (sig == SIGTERM && pid > 0 &&
        __atomic_load_n(&sk_tables_pid, __ATOMIC_ACQUIRE) == getpid() && sk_child_exited(pid))
        sk_mark_exited(pid);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(pid, sig);
}

/* 1 once PID has an entry in the newest children table. */
static int sk_child_entered(pid_t pid)
{
    int i, j, found = 0;

    pthread_mutex_lock(&sk_tables_lock);
    i = sk_tables_newest;
    for (j = 0; i >= 0 && j < sk_tables[i].n && !found; j++)
        found = __atomic_load_n(&sk_tables[i].childs[j].pid, __ATOMIC_ACQUIRE) == pid;
    pthread_mutex_unlock(&sk_tables_lock);
    return found || i < 0;
}

pid_t fork(void)
{
    static void *slot;
    pid_t (*real)(void) = (pid_t(*)(void))sk_fix_real(&slot, "fork");
    pid_t parent = getpid(), pid;
    struct timespec ms = {0, 1000000L};
    struct sigaction sa;

    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    pid = real();
    if (pid > 0 && sigaction(SIGHUP, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        return pid; /* c-icap's start-up forks, before its monitor loop: see below */
    if (pid <= 0 || __atomic_load_n(&sk_tables_pid, __ATOMIC_ACQUIRE) != parent) {
        if (pid == 0 && sk_entry_delay_ms > 0 &&
            __atomic_load_n(&sk_tables_pid, __ATOMIC_ACQUIRE) == parent) {
            struct timespec d = {sk_entry_delay_ms / 1000, (sk_entry_delay_ms % 1000) * 1000000L};
            nanosleep(&d, NULL);
        }
        return pid;
    }
    for (int waited = 0; waited < SK_STOP_ENTRY_MS && !sk_child_entered(pid); waited++) {
        if (sk_child_exited(pid))
            break;
        nanosleep(&ms, NULL);
    }
    return pid;
}
