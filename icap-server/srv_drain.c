/* srv_drain.c - graceful stop: on SIGTERM every c-icap child finishes the
 * transactions it has in flight, closes its idle keep-alive connections and
 * only then lets c-icap's own shutdown run.
 * SECURITY: touches only sockets this process accepted (checked by inode
 * before each shutdown) and the listening sockets it inherited; no client
 * data is parsed here.
 *
 * Why: c-icap 0.5.10's master answers SIGTERM by sending SIGTERM to every
 * child with "stop IMMEDIATELY", which sets CHILD_HALT: a transaction still
 * waiting for body bytes is cut, and a worker idle in the keep-alive poll
 * (KeepAliveTimeout, 600 s here) is only abandoned after the child's 10 s
 * grace, which ended in the launcher's SIGKILL. We cannot change c-icap,
 * so we sit in front of its signal handlers:
 * - master (handler installed at MONITOR_START, after c-icap's own): marks
 *   the stop in a shared page, shuts the listening sockets down (new
 *   connections are refused at once, a load balancer moves on) and then
 *   calls c-icap's handler;
 * - child (installed at CHILD_START, after c-icap's child_signals()): the
 *   handler only wakes our drain thread, which keeps the open connections
 *   usable while transactions still come (sk_drain_grace), then closes the
 *   idle ones, waits until this child has no transaction in flight (at
 *   most SK_DRAIN_MAX_MS from the signal) and then calls c-icap's handler,
 *   which starts c-icap's shutdown of the child with nothing left to cut.
 * A SIGTERM the master sends to retire one child (spare threads, SIGHUP
 * reconfigure) is passed on at once after closing the idle connections:
 * c-icap then retires the child gracefully itself. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "c-icap.h"
#include "commands.h"
#include "debug.h"
#include "request.h"

#include "srv_sekisho.h"

#define SK_DRAIN_SLOTS    1024 /* worker threads per child we can track */
#define SK_DRAIN_GRACE_MS 1000 /* open connections may still bring a transaction */
#define SK_DRAIN_QUIET_MS 250  /* ...unless nothing ran for this long */
#define SK_DRAIN_MAX_MS   3500 /* in-flight wait; c-icap needs ~1 s after */
#define SK_DRAIN_MAX_FD   4096 /* c-icap opens its listening sockets first */

enum sk_slot_state { SK_SLOT_FREE = 0, SK_SLOT_BUSY, SK_SLOT_IDLE };

/* One per worker thread: the connection it serves and whether a
 * transaction of ours is running on it. The inode tells a connection from
 * a later one that reused the descriptor number. */
struct sk_slot {
    int fd;
    ino_t ino;
    uint32_t epoch; /* sk_fix_conn_epoch(fd) when ino was read; worker only */
    int state;
    ci_request_t *req; /* while BUSY */
};

struct sk_drain_shared {
    volatile sig_atomic_t stopping; /* the master got SIGTERM/SIGINT */
};

static struct sk_drain_shared *sk_shared; /* MAP_SHARED, made before fork */
static struct sk_slot sk_slots[SK_DRAIN_SLOTS];
static int sk_nslots;
static pthread_mutex_t sk_slot_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct sk_slot *sk_my_slot;
static int sk_inflight; /* transactions between init and release; atomic */
static int sk_draining; /* this child closes connections after each transaction */

static struct sigaction sk_old_term, sk_old_int;
static sem_t sk_sem;
static pthread_t sk_thread;
static pthread_t sk_main_thread; /* the child's, where CHILD_START runs */
static pid_t sk_thread_pid;
static volatile sig_atomic_t sk_signalled, sk_from_master, sk_quit;
static int sk_passed_on; /* c-icap's handler was called; drain thread only */

/* sk_cicap_fix.so counts the accepts of each descriptor number (see
 * sk_conn_guard.c): a keep-alive request on the connection whose inode we
 * already read needs no fstat (one system call less per request, issue 17
 * item 5). NULL without the preload: then every request reads it. */
typedef uint32_t (*sk_epoch_fn)(int fd);
static sk_epoch_fn sk_conn_epoch;

static long sk_ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Is fd still the socket whose inode we recorded? */
static int sk_same_socket(int fd, ino_t ino)
{
    struct stat st;

    return fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino;
}

/* Close idle keep-alive connections. One with bytes waiting is about to
 * become busy and is left to its transaction.
 * Busy ones answer "Connection: close" if their ICAP headers are not out
 * yet (c-icap reads keepalive when it writes them), so the client does not
 * send another request into the close. */
static void sk_close_idle(void)
{
    int pending;

    pthread_mutex_lock(&sk_slot_lock);
    for (int i = 0; i < sk_nslots; i++) {
        struct sk_slot *s = &sk_slots[i];
        if (s->state == SK_SLOT_BUSY && s->req)
            s->req->keepalive = 0; /* an int c-icap reads later; req lives until release */
        if (s->state != SK_SLOT_IDLE || !sk_same_socket(s->fd, s->ino))
            continue;
        if (ioctl(s->fd, FIONREAD, &pending) == 0 && pending > 0)
            continue;
        /* The read side only: the worker polling for the next request sees
         * the end at once and closes the connection (the client gets its
         * FIN then); one that already read a request it has not reached
         * our init with can still write the answer. */
        shutdown(s->fd, SHUT_RD);
        s->state = SK_SLOT_FREE;
    }
    pthread_mutex_unlock(&sk_slot_lock);
}

static struct sk_slot *sk_slot_get(void)
{
    if (sk_my_slot == NULL) {
        pthread_mutex_lock(&sk_slot_lock);
        if (sk_nslots < SK_DRAIN_SLOTS)
            sk_my_slot = &sk_slots[sk_nslots++];
        pthread_mutex_unlock(&sk_slot_lock);
    }
    return sk_my_slot;
}

/* Worker thread, before our request handler: the connection is busy. For
 * OPTIONS (no release call follows) it counts as idle at once: a drain in
 * the microseconds before c-icap writes that answer would close it, which
 * a client sees as any keep-alive close and retries. */
void *sk_drain_init_request(ci_request_t *req)
{
    struct sk_slot *s = sk_slot_get();
    void *data = sk_srv_init_request(req);
    int fd = req->connection ? req->connection->fd : -1;
    uint32_t epoch = sk_conn_epoch && fd >= 0 ? sk_conn_epoch(fd) : 0;
    struct stat st;
    ino_t ino = 0;
    int known = s && fd >= 0 && epoch != 0 && epoch == s->epoch && fd == s->fd;

    if (s && fd >= 0 && !known && fstat(fd, &st) == 0) {
        ino = st.st_ino;
        known = 1;
    } else if (known) {
        ino = s->ino; /* same connection as our last request: same socket */
    }
    if (known) {
        pthread_mutex_lock(&sk_slot_lock);
        s->fd = fd;
        s->ino = ino;
        s->epoch = epoch;
        s->state = data ? SK_SLOT_BUSY : SK_SLOT_IDLE;
        s->req = data ? req : NULL;
        pthread_mutex_unlock(&sk_slot_lock);
    }
    if (__atomic_load_n(&sk_draining, __ATOMIC_ACQUIRE))
        req->keepalive = 0;
    if (data)
        __atomic_add_fetch(&sk_inflight, 1, __ATOMIC_ACQ_REL);
    return data;
}

/* Worker thread, after c-icap sent the whole answer. While draining the
 * connection ends here instead of waiting for another request. */
void sk_drain_release_request(void *data)
{
    struct sk_slot *s = sk_my_slot;

    sk_srv_release_request(data);
    if (s) {
        pthread_mutex_lock(&sk_slot_lock);
        s->state = SK_SLOT_IDLE;
        s->req = NULL;
        if (__atomic_load_n(&sk_draining, __ATOMIC_ACQUIRE) && sk_same_socket(s->fd, s->ino)) {
            shutdown(s->fd, SHUT_RDWR);
            s->state = SK_SLOT_FREE;
        }
        pthread_mutex_unlock(&sk_slot_lock);
    }
    __atomic_sub_fetch(&sk_inflight, 1, __ATOMIC_ACQ_REL);
}

/* Hand the signal to c-icap: its handler back in place, and the signal
 * to the child's main thread, whose wait for commands from the master
 * (a 1 s poll) it interrupts, so c-icap's shutdown starts at once. */
static void sk_pass_on(void)
{
    if (sk_passed_on)
        return;
    sk_passed_on = 1;
    sigaction(SIGTERM, &sk_old_term, NULL);
    if (sk_old_term.sa_handler != SIG_DFL && sk_old_term.sa_handler != SIG_IGN)
        pthread_kill(sk_main_thread, SIGTERM);
}

/* Grace period of a full stop: the listening sockets are closed, but the
 * connections a proxy holds stay usable, because an HTTP transaction the
 * proxy has under way may still need one: Squid sends a download's
 * RESPMOD only when the origin answers, seconds after its REQMOD, and with
 * no connection to us left it shows the user an ICAP error. Ends once no
 * transaction ran for SK_DRAIN_QUIET_MS, at most after SK_DRAIN_GRACE_MS. */
static void sk_drain_grace(const struct timespec *t0)
{
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
    long quiet_since = -1, now;

    while ((now = sk_ms_since(t0)) < SK_DRAIN_GRACE_MS) {
        if (__atomic_load_n(&sk_inflight, __ATOMIC_ACQUIRE) > 0)
            quiet_since = -1;
        else if (quiet_since < 0)
            quiet_since = now;
        else if (now - quiet_since >= SK_DRAIN_QUIET_MS)
            break;
        nanosleep(&tick, NULL);
    }
}

static void *sk_drain_thread(void *arg)
{
    struct timespec t0, tick = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
    /* A full stop (or a SIGTERM not from the master: systemd, an admin)
     * waits for what is in flight; a retirement c-icap handles gracefully. */
    int full;

    (void)arg;
    while (sem_wait(&sk_sem) == -1 && errno == EINTR)
        ;
    if (sk_quit)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    full = !sk_from_master || (sk_shared && sk_shared->stopping);
    if (full)
        sk_drain_grace(&t0);
    __atomic_store_n(&sk_draining, 1, __ATOMIC_RELEASE);
    sk_close_idle();
    if (full) {
        while (__atomic_load_n(&sk_inflight, __ATOMIC_ACQUIRE) > 0 &&
               sk_ms_since(&t0) < SK_DRAIN_MAX_MS)
            nanosleep(&tick, NULL);
        sk_close_idle(); /* connections whose last answer went out meanwhile */
    }
    ci_debug_printf(3, "sekisho: child %d drained after %ld ms, %d transaction(s) left\n",
                    (int)getpid(), sk_ms_since(&t0),
                    __atomic_load_n(&sk_inflight, __ATOMIC_ACQUIRE));
    sk_pass_on();
    return NULL;
}

static void sk_child_term(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (sk_signalled)
        return; /* the master repeats SIGTERM every 30 ms while stopping */
    sk_signalled = 1;
    sk_from_master = si != NULL && si->si_pid == getppid();
    sem_post(&sk_sem);
}

/* Master: refuse new connections (shared listening sockets, so for every
 * child too), then c-icap's handler. Async-signal-safe calls only. */
static void sk_master_term(int sig)
{
    struct sigaction *old = sig == SIGINT ? &sk_old_int : &sk_old_term;
    int on;
    socklen_t len;

    if (sk_shared)
        sk_shared->stopping = 1;
    for (int fd = 0; fd < SK_DRAIN_MAX_FD; fd++) {
        len = sizeof(on);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
            shutdown(fd, SHUT_RD);
    }
    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
        old->sa_handler(sig);
}

static pid_t sk_master_pid; /* where sk_master_term is installed */

static void sk_master_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sk_master_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &sk_old_term);
    sigaction(SIGINT, &sa, &sk_old_int);
    sk_master_pid = getpid();
}

static void sk_monitor_start(const char *name, int type, void *data)
{
    (void)name;
    (void)type;
    (void)data;
    sk_master_install();
}

/* Runs after c-icap's child_signals(): our handler goes in front. */
void sk_drain_child_start(void)
{
    struct sigaction sa;

    sk_signalled = sk_from_master = sk_quit = 0;
    sk_passed_on = 0;
    sk_conn_epoch = (sk_epoch_fn)dlsym(RTLD_DEFAULT, "sk_fix_conn_epoch");
    sk_nslots = 0;
    sk_inflight = 0;
    sk_draining = 0;
    if (sem_init(&sk_sem, 0, 0) == -1 ||
        pthread_create(&sk_thread, NULL, sk_drain_thread, NULL) != 0) {
        ci_debug_printf(1, "sekisho: no drain thread; SIGTERM stops c-icap's way\n");
        return;
    }
    sk_thread_pid = getpid();
    sk_main_thread = pthread_self();
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sk_child_term;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &sk_old_term);
}

/* Child going away (after c-icap's shutdown of its threads): make sure
 * c-icap saw the signal (its master waits for that) and join the thread,
 * whose code is unloaded with us. */
void sk_drain_child_stop(void)
{
    if (sk_thread_pid != getpid())
        return;
    /* From here a SIGTERM goes to c-icap directly; one that came before
     * (even while we look) is passed on below once the thread is done. */
    sigaction(SIGTERM, &sk_old_term, NULL);
    if (!sk_signalled) {
        sk_quit = 1;
        sem_post(&sk_sem);
    }
    pthread_join(sk_thread, NULL);
    if (sk_signalled)
        sk_pass_on();
    sk_thread_pid = 0;
}

/* Master, before fork (at start and after each SIGHUP reconfigure, which
 * unloads and reloads this object). 0 or -1. */
int sk_drain_setup(void)
{
    struct sigaction cur;

    if (sk_shared == NULL) {
        void *p = mmap(NULL, sizeof(*sk_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED)
            return -1;
        sk_shared = p;
    }
    sk_shared->stopping = 0;
    /* At start c-icap installs its master handlers after this (then
     * MONITOR_START runs); on a reconfigure they are already in place. */
    if (sigaction(SIGTERM, NULL, &cur) == 0 && cur.sa_handler != SIG_DFL &&
        cur.sa_handler != SIG_IGN)
        sk_master_install();
    else
        ci_command_register_action("sekisho_drain_master", CI_CMD_MONITOR_START, NULL,
                                   sk_monitor_start);
    return 0;
}

/* Master, when c-icap unloads us (stop or reconfigure): c-icap's handlers
 * back, ours would point into unmapped code. */
void sk_drain_close(void)
{
    if (sk_master_pid != getpid())
        return;
    sigaction(SIGTERM, &sk_old_term, NULL);
    sigaction(SIGINT, &sk_old_int, NULL);
    sk_master_pid = 0;
}
