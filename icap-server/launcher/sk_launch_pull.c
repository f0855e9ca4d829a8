/* sk_launch_pull.c - `--policy-source`: keep this node's policy in step with
 * a publish directory. The launcher never writes the policy itself: it runs
 * `sekisho-policy pull` (the policy's only writer) once before c-icap starts,
 * so a new node comes up with the fleet's policy, and then as a supervised
 * child that polls. The server's children pick each applied bundle up as
 * they pick up any change. When the source is down at start, the node
 * starts from its last good local copy; with no local copy at all it does
 * not start (an empty policy would be a silent allow of everything).
 * The polling child writes RUN/pull.state after each poll; the status
 * listener and --status read it here (sk_launch_pull_state).
 * SECURITY: the bundle is verified by sekisho-policy (cli_pull.c); here only
 * paths and our own arguments are handled, and the state file's text is
 * bounded and reduced to printable ASCII before anyone prints it. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sk_launch.h"
#include "sk_launch_status.h"

/* sekisho-policy beside this launcher (same bin directory); caller frees. */
static char *sk_pull_cli(void)
{
    char buf[4096], *slash;
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    if ((slash = strrchr(buf, '/')) == NULL)
        return NULL;
    *slash = '\0';
    return sk_launch_strf("%s/sekisho-policy", buf);
}

/* argv for `sekisho-policy --db DB pull ...`; ONCE adds --once, STATE
 * --state STATE. */
static void sk_pull_argv(const struct sk_launch_opts *o, char *cli, int once, char *state,
                         char **argv)
{
    int i = 0;

    argv[i++] = cli;
    argv[i++] = "--db";
    argv[i++] = (char *)o->policy_db;
    argv[i++] = "pull";
    argv[i++] = "--source";
    argv[i++] = (char *)o->policy_source;
    argv[i++] = "--pubkey";
    argv[i++] = (char *)o->policy_pubkey;
    if (o->policy_ca) {
        argv[i++] = "--ca";
        argv[i++] = (char *)o->policy_ca;
    }
    if (o->policy_poll) {
        argv[i++] = "--poll";
        argv[i++] = (char *)o->policy_poll;
    }
    if (once)
        argv[i++] = "--once";
    if (state) {
        argv[i++] = "--state";
        argv[i++] = state;
    }
    argv[i] = NULL;
}

/* Run ARGV to completion with stdout to /dev/null; its exit status or -1. */
static int sk_pull_run(char **argv)
{
    int status;
    pid_t pid = fork();

    if (pid == -1)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd != -1) {
            dup2(fd, 0);
            dup2(fd, 1);
            close(fd);
        }
        execv(argv[0], argv);
        fprintf(stderr, SK_LAUNCH_PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) == -1)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sk_launch_pull_first(const struct sk_launch_opts *o, char **err)
{
    char *cli, *argv[20];
    struct stat st;
    int have_db, rc;

    if (!o->policy_source)
        return 0;
    if (!o->policy_pubkey) {
        *err = sk_launch_strf("--policy-source needs --policy-pubkey FILE (the publisher's "
                              "KEYFILE.pub)");
        return -1;
    }
    if ((cli = sk_pull_cli()) == NULL || access(cli, X_OK) != 0) {
        *err = sk_launch_strf("--policy-source: cannot find sekisho-policy beside this "
                              "launcher (%s)",
                              cli ? cli : "?");
        free(cli);
        return -1;
    }
    have_db = stat(o->policy_db, &st) == 0;
    if (!have_db) {
        char *init[] = {cli, "--db", (char *)o->policy_db, "init", NULL};
        if (sk_pull_run(init) != 0) {
            *err = sk_launch_strf("cannot create the policy database %s", o->policy_db);
            free(cli);
            return -1;
        }
    }
    sk_pull_argv(o, cli, 1, NULL, argv);
    rc = sk_pull_run(argv);
    free(cli);
    if (rc == 0)
        return 0;
    if (have_db) {
        fprintf(stderr,
                SK_LAUNCH_PROG ": policy source %s unusable now (see above); starting "
                               "with the last good local policy in %s\n",
                o->policy_source, o->policy_db);
        return 0;
    }
    unlink(o->policy_db);
    *err = sk_launch_strf("policy source %s: no bundle could be applied and there is no local "
                          "copy yet; not starting with an empty policy",
                          o->policy_source);
    return -1;
}

pid_t sk_launch_pull_spawn(const struct sk_launch_env *env, const struct sk_launch_opts *o,
                           const sigset_t *oldmask)
{
    char *argv[20], *cli, *state;
    pid_t parent = getpid(), pid;

    if (!o->policy_source || (cli = sk_pull_cli()) == NULL)
        return 0;
    if ((state = sk_launch_strf("%s/pull.state", env->run_dir)) == NULL) {
        free(cli);
        return 0;
    }
    sk_pull_argv(o, cli, 0, state, argv);
    argv[2] = env->policy_db; /* absolute: the child does not share our cwd forever */
    pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (o->foreground) {
            setpgid(0, 0);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(0);
        } else {
            setsid();
        }
        sigprocmask(SIG_SETMASK, oldmask, NULL);
        if (fd != -1) {
            dup2(fd, 0);
            dup2(fd, 1);
            close(fd);
        }
        /* each outcome, once, into the server log beside c-icap's lines */
        if ((fd = open(env->server_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) != -1)
            dup2(fd, 2);
        execv(cli, argv);
        _exit(127);
    }
    free(cli);
    free(state);
    if (pid > 0 && !o->foreground) {
        char *pidf = sk_launch_strf("%s/pull.pid", env->run_dir);
        FILE *f = pidf ? fopen(pidf, "w") : NULL;
        if (f) {
            fprintf(f, "%ld\n", (long)pid);
            fclose(f);
        }
        free(pidf);
    }
    return pid > 0 ? pid : 0;
}

void sk_launch_pull_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 40; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

pid_t sk_launch_pull_check(const struct sk_launch_env *env, const struct sk_launch_opts *o,
                           const sigset_t *oldmask, pid_t pid)
{
    static time_t last_spawn;
    int status;
    time_t now = time(NULL);

    if (pid <= 0 || waitpid(pid, &status, WNOHANG) != pid)
        return pid;
    fprintf(stderr, SK_LAUNCH_PROG ": the policy puller exited (status %d); restarting it\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (now - last_spawn < 5)
        sleep(5); /* never a fork loop */
    last_spawn = time(NULL);
    return sk_launch_pull_spawn(env, o, oldmask);
}

void sk_launch_pull_state(const char *dir, struct sk_pull_state *ps)
{
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"attempt", offsetof(struct sk_pull_state, attempt)},
        {"success", offsetof(struct sk_pull_state, success)},
        {"applied", offsetof(struct sk_pull_state, applied)},
        {"failures", offsetof(struct sk_pull_state, failures)},
        {"bundle-generation", offsetof(struct sk_pull_state, bundle_generation)},
        {"bundle-created", offsetof(struct sk_pull_state, bundle_created)},
        {"index-expires", offsetof(struct sk_pull_state, index_expires)},
    };
    char path[4096], line[2048]; /* the message line is at most 8 + 1023 bytes */
    FILE *f;

    memset(ps, 0, sizeof(*ps));
    if ((size_t)snprintf(path, sizeof(path), "%s/pull.state", dir) >= sizeof(path) ||
        (f = fopen(path, "re")) == NULL)
        return;
    if (fgets(line, sizeof(line), f) && strcmp(line, "sekisho-pull-state 1\n") == 0)
        ps->have = 1;
    while (ps->have && fgets(line, sizeof(line), f)) {
        char *sp = strchr(line, ' '), *v;
        line[strcspn(line, "\n")] = '\0';
        if (!sp)
            continue;
        *sp = '\0';
        v = sp + 1;
        if (strcmp(line, "outcome") == 0)
            snprintf(ps->outcome, sizeof(ps->outcome), "%s", v);
        else if (strcmp(line, "message") == 0)
            snprintf(ps->message, sizeof(ps->message), "%s", v);
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
            if (strcmp(line, nums[i].key) == 0)
                *(int64_t *)((char *)ps + nums[i].off) = strtoll(v, NULL, 10);
    }
    fclose(f);
    /* written by our own puller, but printed to terminals and pages */
    for (char *c = ps->outcome; *c; c++)
        if (*c < 'a' || *c > 'z')
            *c = '?';
    for (char *c = ps->message; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
}
