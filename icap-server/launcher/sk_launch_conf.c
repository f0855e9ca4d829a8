/* sk_launch_conf.c - writes the c-icap 0.5.10 configuration for one run.
 * SECURITY: values are paths from the invoking user; anything that could
 * break c-icap's line/word syntax (quotes, newlines) is refused. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_launch.h"

/* Build-time answers of c-icap-config, with the Debian paths as fallbacks. */
#ifndef SK_LAUNCH_CICAP_MODULES_DIR
#define SK_LAUNCH_CICAP_MODULES_DIR "/usr/lib/x86_64-linux-gnu/c_icap"
#endif
#ifndef SK_LAUNCH_CICAP_TEMPLATE_DIR
#define SK_LAUNCH_CICAP_TEMPLATE_DIR "/usr/share/c_icap/templates/"
#endif
#ifndef SK_LAUNCH_CICAP_MAGIC
#define SK_LAUNCH_CICAP_MAGIC "/etc/c-icap/c-icap.magic"
#endif

/* Names clients use for the service; the bare root is DefaultService.
 * c-icap compares service names exactly, so each is also registered in
 * lower case, upper case and capitalised (sk_put_alias_forms). */
static const char *const sk_aliases[] = {
    "reqmod", "respmod", "REQ-Service", "resp", "avscan", "sekisho", NULL,
};

static int sk_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* c-icap's own module directory. Only "Module" lines in an admin's
 * --config use it, so a missing one is harmless: keep the build-time value. */
/* Does the space-separated module list name MOD (as a name or as a path
 * to MOD.so)? */
static int sk_chain_has(const char *list, const char *mod)
{
    size_t ml = strlen(mod);

    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, " ");
        const char *w = p, *slash = memchr(p, '/', n);
        if (slash) { /* a path: compare its file name without ".so" */
            const char *base = w + n;
            while (base > w && base[-1] != '/')
                base--;
            if ((size_t)(w + n - base) == ml + 3 && strncmp(base, mod, ml) == 0 &&
                strncmp(base + ml, ".so", 3) == 0)
                return 1;
        } else if (n == ml && strncmp(w, mod, ml) == 0) {
            return 1;
        }
        p += n;
        p += strspn(p, " ");
    }
    return 0;
}

static const char *sk_cicap_modules_dir(void)
{
    static const char *const candidates[] = {
        SK_LAUNCH_CICAP_MODULES_DIR,
        "/usr/lib/x86_64-linux-gnu/c_icap",
        "/usr/lib/c_icap",
        "/usr/local/lib/c_icap",
        NULL,
    };
    int i;

    for (i = 0; candidates[i]; i++) {
        if (sk_is_dir(candidates[i]))
            return candidates[i];
    }
    return SK_LAUNCH_CICAP_MODULES_DIR;
}

/* VALUE for an error message: CR and LF shown as \r and \n, so the
 * refusal stays one line (it is written to stderr and read by scripts).
 * Caller frees; NULL when out of memory. */
static char *sk_one_line(const char *value)
{
    char *out = malloc(2 * strlen(value) + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (; *value; value++) {
        if (*value == '\n' || *value == '\r') {
            *o++ = '\\';
            *o++ = *value == '\n' ? 'n' : 'r';
        } else {
            *o++ = *value;
        }
    }
    *o = '\0';
    return out;
}

/* Writes "Directive value" with the value quoted when it holds spaces;
 * c-icap's split_args() understands "..." but not embedded quotes or
 * newlines, so those are rejected. Returns 0 or -1 with *err. */
static int sk_put(FILE *f, const char *directive, const char *value, char **err)
{
    if (strpbrk(value, "\"\n\r") != NULL) {
        char *shown = sk_one_line(value);

        *err = sk_launch_strf("%s value '%s': quotes and newlines are not supported", directive,
                              shown ? shown : "?");
        free(shown);
        return -1;
    }
    if (strlen(value) > 4000) {
        *err = sk_launch_strf("%s value is too long for c-icap", directive);
        return -1;
    }
    if (strpbrk(value, " \t{") != NULL)
        fprintf(f, "%s \"%s\"\n", directive, value);
    else
        fprintf(f, "%s %s\n", directive, value);
    return 0;
}

static void sk_put_process_model(FILE *f, const struct sk_launch_opts *opts)
{
    int t = opts->threads;
    int min_spare = t / 2 > 0 ? t / 2 : 1;

    fprintf(f,
            "Timeout %d\n"
            "MaxKeepAliveRequests 1000\n"
            "KeepAliveTimeout %d\n"
            "StartServers 2\n"
            "MaxServers %d\n",
            opts->io_timeout, opts->keepalive_timeout, opts->max_servers);
    /* A child is started when free threads <= MinSpare and stopped when
     * free >= MaxSpare; MaxSpare >= MinSpare + ThreadsPerChild avoids
     * starting and stopping children in a loop. */
    fprintf(f, "MinSpareThreads %d\nMaxSpareThreads %d\nThreadsPerChild %d\n", min_spare,
            min_spare + t + t / 2, t);
}

/* "ServiceAlias FORM sekisho" for NAME as written, in lower case, upper
 * case and with each word capitalised ("Req-Service"), once each; the
 * service's own name is not an alias of itself. */
static void sk_put_alias_forms(FILE *f, const char *name)
{
    char forms[4][64];
    size_t n = strlen(name);

    if (n >= sizeof(forms[0]))
        return;
    for (size_t k = 0; k <= n; k++) {
        unsigned char c = (unsigned char)name[k];
        int word_start = k == 0 || name[k - 1] == '-';
        forms[0][k] = (char)c;
        forms[1][k] = (char)tolower(c);
        forms[2][k] = (char)toupper(c);
        forms[3][k] = (char)(word_start ? toupper(c) : tolower(c));
    }
    for (int i = 0; i < 4; i++) {
        int seen = strcmp(forms[i], "sekisho") == 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(forms[i], forms[j]) == 0;
        if (!seen)
            fprintf(f, "ServiceAlias %s sekisho\n", forms[i]);
    }
}

/* Limits and client access for icap-server/guard (sk_cicap_fix.so through
 * the sekisho_guard directives); values were checked in sk_launch_args.c. */
static int sk_put_guard(FILE *f, const struct sk_launch_opts *opts, char **err)
{
    fprintf(f,
            "sekisho_guard.MaxHeaderSize %ld\nsekisho_guard.MaxPreview %ld\n"
            "sekisho_guard.HeaderTimeout %d\nsekisho_guard.ContinueTimeout %d\n"
            "sekisho_guard.KeepAliveTimeout %d\n",
            opts->max_header, opts->max_preview, opts->header_timeout, opts->continue_timeout,
            opts->keepalive_timeout);
    if (opts->max_conns_per_client < 0) /* half of what c-icap admits, see sk_fix_capacity */
        fprintf(f, "sekisho_guard.MaxConnsPerClient auto\n");
    else
        fprintf(f, "sekisho_guard.MaxConnsPerClient %d\n", opts->max_conns_per_client);
    if (sk_put(f, "sekisho_guard.AllowClients", opts->allow_clients, err) == -1)
        return -1;
    if (opts->tls_client_ca &&
        sk_put(f, "sekisho_guard.TlsClientCA", opts->tls_client_ca, err) == -1)
        return -1;
    return 0;
}

static int sk_put_sekisho(FILE *f, const struct sk_launch_env *env,
                          const struct sk_launch_opts *opts, char **err)
{
    int i;

    fprintf(f, "\n# Our service. Its sekisho.* directives are only known after\n"
               "# the Service line has loaded srv_sekisho.so.\n");
    if (sk_put(f, "ServicesDir", env->libdir, err) == -1)
        return -1;
    /* Refuses malformed Encapsulated headers before c-icap parses them
     * (see icap-server/guard/sk_guard.c); default_acl keeps c-icap's own
     * acl/icap_access rules working after it. */
    fprintf(f, "Module access_controller %s/sk_guard.so\n", env->libdir);
    fprintf(f, "AclControllers sekisho_guard default_acl\n");
    if (sk_put_guard(f, opts, err) == -1)
        return -1;
    if (sk_put(f, "Service sekisho", env->service, err) == -1 ||
        sk_put(f, "sekisho.PolicyDB", env->policy_db, err) == -1 ||
        sk_put(f, "sekisho.ClamavDB", env->clamav_db, err) == -1 ||
        sk_put(f, "sekisho.ModulesDir", env->moddir, err) == -1)
        return -1;
    /* Several words: one per module; names and paths were checked. */
    if (env->modules[0] != '\0')
        fprintf(f, "sekisho.Modules %s\n", env->modules);
    if (sk_put(f, "sekisho.AccessLog", env->access_log, err) == -1 ||
        sk_put(f, "sekisho.StatusFile", env->status_file, err) == -1 ||
        sk_put(f, "sekisho.TmpDir", env->tmp_dir, err) == -1)
        return -1;
    fprintf(f, "\n# Names clients use: Squid and Cisco use paths, Blue Coat the bare\n"
               "# root icap://host:1344 for response mode.\n");
    for (i = 0; sk_aliases[i]; i++)
        sk_put_alias_forms(f, sk_aliases[i]);
    fprintf(f, "DefaultService sekisho\n");
    return 0;
}

static int sk_put_all(FILE *f, const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                      char **err)
{
    char *path = NULL;
    int rc = -1;

    /* Deliberately no User/Group: c-icap then runs as whoever started the
     * launcher (root stays root), which owns this 0700 run directory. c-icap
     * switches users only after opening its logs, and the new user could
     * not write the pid file or spill files here; to run unprivileged, start
     * the launcher as that user (or add User/Group with a --run-dir it owns
     * through --config). */
    fprintf(f, "# Generated by " SK_LAUNCH_PROG " for this run; edits are lost.\n"
               "# No User/Group: c-icap runs as the user who started the launcher.\n");
    if (sk_put(f, "PidFile", env->pid_file, err) == -1)
        goto out;
    if ((path = sk_launch_strf("%s/c-icap.ctl", env->run_dir)) == NULL ||
        sk_put(f, "CommandsSocket", path, err) == -1)
        goto out;
    sk_put_process_model(f, opts);
    fprintf(f, "Port %s\n", opts->listen.port_directive);
    if (opts->tls) /* paths checked in sk_launch_env.c: no spaces or '=' */
        fprintf(f, "TlsPort %s cert=%s key=%s", opts->tls_listen.port_directive, env->tls_cert,
                env->tls_key);
    if (opts->tls && opts->tls_client_ca) /* checked in sk_launch_args.c */
        fprintf(f, " client_ca=%s cafile=%s", opts->tls_client_ca, opts->tls_client_ca);
    if (opts->tls)
        fputc('\n', f);
    if (sk_put(f, "TmpDir", env->tmp_dir, err) == -1)
        goto out;
    fprintf(f, "MaxMemObject 1048576\nDebugLevel %d\n", opts->debug);
    if (sk_put(f, "ServerLog", env->server_log, err) == -1)
        goto out;
    /* No c-icap AccessLog: sekisho.AccessLog (JSON lines) records every
     * transaction with more detail, and a second log is a second write per
     * request on the hot path. */
    fprintf(f, "ModulesDir %s\n", sk_cicap_modules_dir());
    if (sk_is_dir(SK_LAUNCH_CICAP_TEMPLATE_DIR))
        fprintf(f, "TemplateDir %s\n", SK_LAUNCH_CICAP_TEMPLATE_DIR);
    if (access(SK_LAUNCH_CICAP_MAGIC, R_OK) == 0)
        fprintf(f, "LoadMagicFile %s\n", SK_LAUNCH_CICAP_MAGIC);
    if (sk_put_sekisho(f, env, opts, err) == -1)
        goto out;
    /* virus_scan: EICAR-only set when the db dir is empty. Only when the
     * chain has virus_scan: an option for a module not loaded is a startup
     * error (the loader's option table). */
    if (opts->test_signatures && sk_chain_has(env->modules, "virus_scan"))
        fprintf(f, "sekisho.Option virus_scan.test-signatures on\n");
    if (opts->test_clock) /* tests only: clients may set the schedule clock */
        fprintf(f, "sekisho.TestClock on\n");
    if (opts->user_header) /* a checked token (sk_launch_args.c) */
        fprintf(f, "sekisho.UserHeader %s\n", opts->user_header);
    if (opts->user_encoding) /* one of three words (sk_launch_args.c) */
        fprintf(f, "sekisho.UserEncoding %s\n", opts->user_encoding);
    if (opts->group_encoding)
        fprintf(f, "sekisho.GroupEncoding %s\n", opts->group_encoding);
    /* node-wide counters for --status-listen and --status (sk_metrics.h) */
    if (sk_put(f, "sekisho.MetricsFile", env->metrics_file, err) == -1 ||
        (opts->syslog_socket && sk_put(f, "sekisho.SyslogSocket", opts->syslog_socket, err) == -1))
        goto out;
    if (env->config) {
        /* Last, so the admin's settings win. Relative Include paths would
         * be taken from c-icap's CONFDIR, hence the absolute path. */
        fprintf(f, "\n# Administrator's overrides (--config).\n");
        if (sk_put(f, "Include", env->config, err) == -1)
            goto out;
    }
    rc = 0;
out:
    free(path);
    return rc;
}

int sk_launch_write_conf(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                         char **err)
{
    char *tmp = NULL;
    FILE *f = NULL;
    int fd, rc = -1;

    *err = NULL;
    if ((tmp = sk_launch_strf("%s.tmp", env->conf_file)) == NULL)
        goto out;
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
        *err = sk_launch_strf("cannot write %s: %s", tmp, strerror(errno));
        if (fd != -1)
            close(fd);
        goto out;
    }
    if (sk_put_all(f, env, opts, err) == -1)
        goto out;
    if (fflush(f) != 0 || ferror(f)) {
        *err = sk_launch_strf("cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        *err = sk_launch_strf("cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    f = NULL;
    if (rename(tmp, env->conf_file) == -1) {
        *err = sk_launch_strf("cannot rename %s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (f)
        fclose(f);
    if (rc == -1 && tmp)
        unlink(tmp);
    if (rc == -1 && *err == NULL)
        *err = sk_launch_strf("out of memory");
    free(tmp);
    return rc;
}
