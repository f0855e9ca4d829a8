/* sk_launch_env.c - finds c-icap, our service and modules, checks the policy
 * database and the listen port, creates the run directory.
 * SECURITY: paths come from the command line and the environment of the
 * invoking user, whose privileges we run with; the run directory is 0700. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sekisho/policy_db.h>

#include "sk_launch.h"

#ifndef SK_LAUNCH_CICAP
#define SK_LAUNCH_CICAP "/usr/bin/c-icap"
#endif

/* Modules loaded when --modules is not given, in chain order. */
static const char *const sk_default_modules[] = {
    "url_block", "dlp", "virus_scan", "xheaders", NULL,
};

char *sk_launch_strf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

static int sk_is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Absolute form of path, for a config file c-icap reads from another cwd.
 * Existing paths are canonicalised; others get the cwd prepended.
 * Returns malloc'd string (caller frees) or NULL. */
static char *sk_absolute(const char *path)
{
    char *real, cwd[PATH_MAX];

    if ((real = realpath(path, NULL)) != NULL)
        return real;
    if (path[0] == '/')
        return strdup(path);
    if (getcwd(cwd, sizeof(cwd)) == NULL)
        return NULL;
    return sk_launch_strf("%s/%s", cwd, path);
}

/* Directory of the running executable; caller frees. */
static char *sk_exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n;
    char *slash;

    n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return strdup(buf[0] ? buf : "/");
}

static int sk_find_pieces(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err)
{
    const char *cicap = getenv("SEKISHO_CICAP");
    const char *libdir = getenv("SEKISHO_LIBDIR");
    char *exe_dir = NULL, *tmp = NULL;
    int rc = -1;

    env->cicap = strdup((cicap && *cicap) ? cicap : SK_LAUNCH_CICAP);
    if (env->cicap == NULL)
        goto out;
    if (access(env->cicap, X_OK) == -1 || !sk_is_file(env->cicap)) {
        *err = sk_launch_strf("c-icap daemon %s not found or not executable "
                              "(install the c-icap package or set SEKISHO_CICAP)",
                              env->cicap);
        goto out;
    }
    if (libdir && *libdir) {
        tmp = strdup(libdir);
    } else {
        if ((exe_dir = sk_exe_dir()) == NULL) {
            *err = sk_launch_strf("cannot read /proc/self/exe: %s", strerror(errno));
            goto out;
        }
        tmp = sk_launch_strf("%s/../lib/sekisho", exe_dir);
    }
    if (tmp == NULL || (env->libdir = sk_absolute(tmp)) == NULL)
        goto out;
    env->service = sk_launch_strf("%s/srv_sekisho.so", env->libdir);
    if (env->service == NULL)
        goto out;
    if (!sk_is_file(env->service)) {
        *err =
            sk_launch_strf("service %s not found (build it, or set SEKISHO_LIBDIR)", env->service);
        goto out;
    }
    if (opts->modules_dir)
        env->moddir = sk_absolute(opts->modules_dir);
    else
        env->moddir = sk_launch_strf("%s/modules", env->libdir);
    if (env->moddir == NULL)
        goto out;
    rc = 0;
out:
    free(exe_dir);
    free(tmp);
    return rc;
}

/* Appends one word to a space-separated list; returns 0 or -1. */
static int sk_list_add(char **list, const char *word)
{
    char *n = sk_launch_strf("%s%s%s", *list, **list ? " " : "", word);

    if (n == NULL)
        return -1;
    free(*list);
    *list = n;
    return 0;
}

/* A module entry is a bare name looked up as MODDIR/NAME.so, or (with a '/')
 * a path to a .so file. Names are restricted so they stay one config word. */
static int sk_resolve_module(struct sk_launch_env *env, const char *word, char **err)
{
    char *path = NULL;
    const char *p;
    int rc = -1;

    if (strchr(word, '/') != NULL) {
        if (!sk_is_file(word)) {
            *err = sk_launch_strf("module %s not found", word);
            goto out;
        }
        if ((path = sk_absolute(word)) == NULL)
            goto out;
        if (strpbrk(path, " \t\"{}#") != NULL) {
            *err = sk_launch_strf("module path %s: spaces and quotes are not supported", path);
            goto out;
        }
        rc = sk_list_add(&env->modules, path);
        goto out;
    }
    for (p = word; *p; p++) {
        if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            *err = sk_launch_strf("module name '%s' has unexpected characters", word);
            goto out;
        }
    }
    if ((path = sk_launch_strf("%s/%s.so", env->moddir, word)) == NULL)
        goto out;
    if (!sk_is_file(path)) {
        *err = sk_launch_strf("module %s not found (no %s)", word, path);
        goto out;
    }
    rc = sk_list_add(&env->modules, word);
out:
    free(path);
    return rc;
}

static int sk_find_modules(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err)
{
    char *copy = NULL, *save = NULL, *word, *path;
    int i, rc = -1;

    if ((env->modules = strdup("")) == NULL)
        return -1;
    if (opts->modules == NULL) {
        for (i = 0; sk_default_modules[i]; i++) {
            path = sk_launch_strf("%s/%s.so", env->moddir, sk_default_modules[i]);
            if (path == NULL)
                return -1;
            if (sk_is_file(path) && sk_list_add(&env->modules, sk_default_modules[i]) == -1) {
                free(path);
                return -1;
            }
            free(path);
        }
        return 0;
    }
    if ((copy = strdup(opts->modules)) == NULL)
        goto out;
    for (word = strtok_r(copy, " \t,", &save); word; word = strtok_r(NULL, " \t,", &save)) {
        if (sk_resolve_module(env, word, err) == -1)
            goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

/* The policy database must be ours; the library names the file on error. */
static int sk_check_inputs(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err)
{
    char *why = NULL;

    if (sk_pdb_check(opts->policy_db, &why) == -1) {
        *err = why ? why : sk_launch_strf("policy database %s: unusable", opts->policy_db);
        return -1;
    }
    if ((env->policy_db = sk_absolute(opts->policy_db)) == NULL)
        return -1;
    if ((env->clamav_db = sk_absolute(opts->clamav_db)) == NULL)
        return -1;
    if (opts->config) {
        if (access(opts->config, R_OK) == -1) {
            *err = sk_launch_strf("cannot read config %s: %s", opts->config, strerror(errno));
            return -1;
        }
        if (!sk_is_file(opts->config)) {
            *err = sk_launch_strf("config %s is not a regular file", opts->config);
            return -1;
        }
        if ((env->config = sk_absolute(opts->config)) == NULL)
            return -1;
    }
    return 0;
}

/* Refuses a run directory another live c-icap still uses, and clears the
 * files a previous run left: a stale status would read as "ready". */
static int sk_clear_stale(struct sk_launch_env *env, char **err)
{
    FILE *f;
    long pid = 0;

    if ((f = fopen(env->pid_file, "r")) != NULL) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = 0;
        fclose(f);
        if (pid > 1 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
            *err = sk_launch_strf("run directory %s is in use by c-icap pid %ld "
                                  "(stop it, or pick another --run-dir)",
                                  env->run_dir, pid);
            return -1;
        }
        unlink(env->pid_file);
    }
    unlink(env->status_file);
    return 0;
}

/* A PEM file for ICAPS: readable, holding MARKER ("CERTIFICATE-----" or
 * "PRIVATE KEY-----"), path usable in a c-icap directive. c-icap itself
 * would only say "Unable to check private key" in its own log and exit. */
static int sk_tls_file(const char *path, const char *marker, const char *opt, char **out,
                       char **err)
{
    char buf[65536];
    size_t n;
    FILE *f;

    if ((*out = sk_absolute(path)) == NULL) {
        *err = sk_launch_strf("%s %s: out of memory", opt, path);
        return -1;
    }
    if (strpbrk(*out, " \t\r\n\"{}#=") != NULL) {
        *err = sk_launch_strf("%s %s: spaces, quotes and '=' are not supported in the path", opt,
                              *out);
        return -1;
    }
    if ((f = fopen(*out, "r")) == NULL) {
        *err = sk_launch_strf("%s %s: %s", opt, *out, strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (strstr(buf, marker) == NULL) {
        *err = sk_launch_strf("%s %s: no PEM %.*s in the file", opt, *out,
                              (int)(strlen(marker) - 5), marker);
        return -1;
    }
    return 0;
}

static int sk_rm_root; /* sk_rm_entry also removes the walk's root */

/* c-icap opens its ServerLog with fopen(.., "a+"): 0644 under a usual
 * umask. Created (or tightened) here first, it stays 0600. */
static int sk_private_log(const char *path, char **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd == -1 || fchmod(fd, 0600) == -1) {
        *err = sk_launch_strf("server log %s: %s", path, strerror(errno));
        if (fd != -1)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The run directory holds held bodies, the logs and the control socket:
 * it must be a directory of ours that nobody else can read. An existing
 * one of ours with a looser mode is tightened; anything else is refused. */
static int sk_private_dir(const char *path, char **err)
{
    struct stat st;

    if (lstat(path, &st) == -1) {
        *err = sk_launch_strf("run directory %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        *err = sk_launch_strf("run directory %s is not a directory", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        *err = sk_launch_strf("run directory %s belongs to uid %ld, not to us (uid %ld): "
                              "pick another --run-dir",
                              path, (long)st.st_uid, (long)geteuid());
        return -1;
    }
    if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) == -1) {
        *err = sk_launch_strf("run directory %s: cannot make it private (chmod 0700): %s", path,
                              strerror(errno));
        return -1;
    }
    return 0;
}

static int sk_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw);

/* Spill files and scanner temp files of a c-icap that is gone: body bytes
 * of its clients. Only called when no c-icap uses the directory. */
static void sk_sweep_tmp(const char *tmp_dir)
{
    if (tmp_dir)
        nftw(tmp_dir, sk_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int sk_make_run_dir(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err)
{
    char tmpl[] = "/tmp/sekisho-run.XXXXXX";
    int rc = -1;

    if (opts->run_dir) {
        if (mkdir(opts->run_dir, 0700) == -1 && errno != EEXIST) {
            *err = sk_launch_strf("cannot create run directory %s: %s", opts->run_dir,
                                  strerror(errno));
            goto out;
        }
        env->run_dir = realpath(opts->run_dir, NULL);
    } else {
        if (mkdtemp(tmpl) == NULL) {
            *err = sk_launch_strf("cannot create %s: %s", tmpl, strerror(errno));
            goto out;
        }
        env->run_dir = strdup(tmpl);
        env->run_dir_is_temp = 1;
    }
    if (env->run_dir == NULL) {
        *err = sk_launch_strf("run directory %s: %s", opts->run_dir, strerror(errno));
        goto out;
    }
    if (strpbrk(env->run_dir, " \t\"{}#") != NULL) {
        *err =
            sk_launch_strf("run directory %s: spaces and quotes are not supported", env->run_dir);
        goto out;
    }
    if (sk_private_dir(env->run_dir, err) == -1)
        goto out;
    if ((env->tmp_dir = sk_launch_strf("%s/tmp", env->run_dir)) == NULL)
        goto out;
    if (mkdir(env->tmp_dir, 0700) == -1 && errno != EEXIST) {
        *err = sk_launch_strf("cannot create %s: %s", env->tmp_dir, strerror(errno));
        goto out;
    }
    if (sk_private_dir(env->tmp_dir, err) == -1)
        goto out;
    env->conf_file = sk_launch_strf("%s/c-icap.conf", env->run_dir);
    env->pid_file = sk_launch_strf("%s/c-icap.pid", env->run_dir);
    env->status_file = sk_launch_strf("%s/status", env->run_dir);
    env->server_log = sk_launch_strf("%s/server.log", env->run_dir);
    env->out_file = sk_launch_strf("%s/c-icap.out", env->run_dir);
    env->metrics_file = sk_launch_strf("%s/metrics", env->run_dir);
    if (opts->access_log && strcmp(opts->access_log, "none") == 0)
        env->access_log = strdup("none"); /* sekisho.AccessLog none: no log */
    else if (opts->access_log && (strcmp(opts->access_log, "syslog") == 0 ||
                                  strncmp(opts->access_log, "syslog:", 7) == 0))
        env->access_log = strdup(opts->access_log); /* not a path: sk_syslog.c */
    else if (opts->access_log)
        env->access_log = sk_absolute(opts->access_log);
    else
        env->access_log = sk_launch_strf("%s/access.log", env->run_dir);
    if (!env->conf_file || !env->pid_file || !env->status_file || !env->server_log ||
        !env->out_file || !env->access_log || !env->metrics_file)
        goto out;
    if (opts->tls &&
        (sk_tls_file(opts->tls_cert, "CERTIFICATE-----", "--tls-cert", &env->tls_cert, err) == -1 ||
         sk_tls_file(opts->tls_key ? opts->tls_key : opts->tls_cert, "PRIVATE KEY-----",
                     opts->tls_key ? "--tls-key" : "--tls-cert", &env->tls_key, err) == -1))
        goto out;
    if ((rc = sk_clear_stale(env, err)) == 0) {
        sk_sweep_tmp(env->tmp_dir); /* left by a run that was killed */
        env->sweep_tmp = 1;
        rc = sk_private_log(env->server_log, err);
    }
out:
    return rc;
}

int sk_launch_env_init(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err)
{
    *err = NULL;
    memset(env, 0, sizeof(*env));
    if (sk_find_pieces(env, opts, err) == -1 || sk_find_modules(env, opts, err) == -1 ||
        sk_check_inputs(env, opts, err) == -1 || sk_make_run_dir(env, opts, err) == -1) {
        if (*err == NULL)
            *err = sk_launch_strf("out of memory");
        return -1;
    }
    return 0;
}

/* nftw callback: removes everything below the walk's root, and the root
 * itself only for a whole temporary run directory (level 0 is the root). */
static int sk_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    if (ftw->level == 0 && flag == FTW_DP && !sk_rm_root)
        return 0;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void sk_launch_env_cleanup(struct sk_launch_env *env)
{
    if (env->run_dir && env->run_dir_is_temp) {
        sk_rm_root = 1;
        nftw(env->run_dir, sk_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        sk_rm_root = 0;
    } else if (env->sweep_tmp) {
        sk_sweep_tmp(env->tmp_dir);
    }
}

void sk_launch_env_free(struct sk_launch_env *env)
{
    char **fields[] = {
        &env->cicap,     &env->libdir,    &env->service,     &env->moddir,       &env->modules,
        &env->policy_db, &env->clamav_db, &env->config,      &env->run_dir,      &env->access_log,
        &env->conf_file, &env->pid_file,  &env->status_file, &env->server_log,   &env->out_file,
        &env->tmp_dir,   &env->tls_cert,  &env->tls_key,     &env->metrics_file,
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

/* Binds (SO_REUSEADDR, like c-icap) and releases the address, so a taken
 * port is reported before c-icap starts and fails silently in its log. */
int sk_launch_check_listen(const struct sk_listen *l, char **err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1, rc = -1;

    memset(&ss, 0, sizeof(ss));
    if (l->family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)l->port);
        inet_pton(AF_INET6, l->host, &a6->sin6_addr);
        len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)l->port);
        inet_pton(AF_INET, l->host, &a4->sin_addr);
        len = sizeof(*a4);
    }
    if ((fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
        *err = sk_launch_strf("cannot listen on %s: %s", l->port_directive, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
        if (errno == EADDRINUSE)
            *err = sk_launch_strf("cannot listen on %s: address already in use", l->port_directive);
        else if (errno == EACCES)
            *err = sk_launch_strf("cannot listen on %s: permission denied "
                                  "(ports below 1024 need privileges)",
                                  l->port_directive);
        else
            *err = sk_launch_strf("cannot listen on %s: %s", l->port_directive, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    close(fd);
    return rc;
}
