/* sekisho_server.c - sekisho-server: runs the stock c-icap daemon with the
 * Sekisho service. SECURITY: parses the command line; runs as the invoking user. */
#include <stdio.h>
#include <stdlib.h>

#include "sk_launch.h"

int main(int argc, char **argv)
{
    struct sk_launch_opts opts;
    struct sk_launch_env env = {0};
    char *err = NULL;
    int exit_now = 0, rc = SK_LAUNCH_EXIT_FAIL;

    if (sk_launch_parse_args(argc, argv, &opts, &exit_now) == -1)
        return SK_LAUNCH_EXIT_USAGE;
    if (exit_now)
        return SK_LAUNCH_EXIT_OK;
    if (opts.status)
        return sk_launch_status_print(&opts);

    /* Cheap checks first: nothing is created when the port is taken. */
    if (sk_launch_check_listen(&opts.listen, &err) == -1 ||
        (opts.tls && sk_launch_check_listen(&opts.tls_listen, &err) == -1))
        goto out;
    if (sk_launch_pull_first(&opts, &err) == -1)
        goto out;
    if (sk_launch_env_init(&env, &opts, &err) == -1)
        goto out;
    if (sk_launch_write_conf(&env, &opts, &err) == -1)
        goto out;
    rc = sk_launch_run(&env, &opts);
out:
    if (err) {
        fprintf(stderr, SK_LAUNCH_PROG ": %s\n", err);
        free(err);
        err = NULL;
    }
    sk_launch_env_cleanup(&env);
    sk_launch_env_free(&env);
    return rc;
}
