/* cli_main.c - sekisho-policy: option parsing, command table, help.
 * Trust: the only writer of the policy database; runs as the administrator
 * and treats its arguments as untrusted input to validate, never to guess. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef SK_CLI_VERSION
#define SK_CLI_VERSION "unknown"
#endif

static const struct sk_cli_cmd sk_cli_cmds[] = {
    {"init", sk_cli_init, 0, 0, 0, "init",
     "create the database (mode 0640) or migrate it; changes nothing if current"},
    {"set", sk_cli_set, SK_OPT_POLICY | SK_OPT_JSON, 2, 2, "set KEY VALUE [--policy NAME]",
     "set a policy's value of a setting (default policy if none given)"},
    {"unset", sk_cli_unset, SK_OPT_POLICY | SK_OPT_JSON, 1, 1, "unset KEY [--policy NAME]",
     "remove a policy's own value, so it inherits again"},
    {"get", sk_cli_get, SK_OPT_POLICY | SK_OPT_JSON, 1, 1, "get KEY [--policy NAME] [--json]",
     "print the effective value of a setting for a policy"},
    {"keys", sk_cli_keys, SK_OPT_JSON, 0, 0, "keys [--json]",
     "list every setting with its type, default and meaning"},
    {"generation", sk_cli_generation, SK_OPT_JSON, 0, 0, "generation [--json]",
     "print the current policy generation"},
    {"history", sk_cli_history, SK_OPT_JSON | SK_OPT_LIMIT, 0, 0,
     "history [--limit N] [--json]", "list generations: when, who, what"},
};

#define SK_CLI_NCMDS (sizeof(sk_cli_cmds) / sizeof(sk_cli_cmds[0]))

static void sk_cli_help(FILE *f)
{
    fprintf(f, "usage: sekisho-policy [--db FILE] COMMAND [ARGS] [OPTIONS]\n"
               "       sekisho-policy --help | --version\n\n"
               "Manage the Sekisho policy database, of which this is the only writer.\n"
               "Every change is one transaction that bumps the generation and is\n"
               "recorded in history; the server picks it up without a restart.\n\n"
               "commands:\n");
    for (size_t i = 0; i < SK_CLI_NCMDS; i++)
        fprintf(f, "  %-34s %s\n", sk_cli_cmds[i].synopsis, sk_cli_cmds[i].help);
    fprintf(f, "\noptions:\n"
               "  --db FILE      policy database (default: $SEKISHO_POLICY_DB, else %s)\n"
               "  --policy NAME  policy to act on (default: %s)\n"
               "  --json         one JSON document on stdout, for scripts\n"
               "  --limit N      history: only the newest N generations\n\n"
               "exit status: 0 success, 1 operation failed, 2 usage error (nothing changed)\n",
            SK_PDB_DEFAULT_PATH, SK_PDB_DEFAULT_POLICY);
}

static const char *sk_cli_opt_name(unsigned opt)
{
    return opt == SK_OPT_POLICY ? "--policy" : opt == SK_OPT_JSON ? "--json" : "--limit";
}

static int sk_cli_parse_limit(struct sk_cli *c, const char *arg)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < 1)
        return sk_cli_usage("invalid --limit '%s': expected a positive number", arg);
    c->limit = v;
    return SK_CLI_OK;
}

/* Options anywhere on the line (GNU getopt permutes); "--" ends them. */
static int sk_cli_parse(struct sk_cli *c, int argc, char **argv, int *done)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},    {"policy", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},        {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int ch;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            if (*optarg == '\0')
                return sk_cli_usage("option --db needs a file name");
            c->db = optarg;
            break;
        case 'p':
            c->policy = optarg;
            c->seen |= SK_OPT_POLICY;
            break;
        case 'j':
            c->json = 1;
            c->seen |= SK_OPT_JSON;
            break;
        case 'l':
            c->seen |= SK_OPT_LIMIT;
            if (sk_cli_parse_limit(c, optarg) != SK_CLI_OK)
                return SK_CLI_USAGE;
            break;
        case 'h':
            sk_cli_help(stdout);
            *done = 1;
            return SK_CLI_OK;
        case 'V':
            printf("sekisho-policy %s (policy schema %d)\n", SK_CLI_VERSION,
                   SK_PDB_SCHEMA_VERSION);
            *done = 1;
            return SK_CLI_OK;
        case ':':
            return sk_cli_usage("option %s needs a value", argv[optind - 1]);
        default:
            if (argv[optind - 1][0] == '-' && isdigit((unsigned char)argv[optind - 1][1]))
                return sk_cli_usage("unknown option '%s' (put -- before a value that starts "
                                    "with '-')", argv[optind - 1]);
            return sk_cli_usage("unknown option '%s' (see: sekisho-policy --help)",
                                argv[optind - 1]);
        }
    }
    c->argc = argc - optind;
    c->argv = argv + optind;
    return SK_CLI_OK;
}

int main(int argc, char **argv)
{
    struct sk_cli c = {0};
    const struct sk_cli_cmd *cmd = NULL;
    int done = 0, rc;

    c.db = getenv("SEKISHO_POLICY_DB");
    if (c.db == NULL || *c.db == '\0')
        c.db = SK_PDB_DEFAULT_PATH;
    if ((rc = sk_cli_parse(&c, argc, argv, &done)) != SK_CLI_OK || done)
        return rc;
    if (c.argc == 0) {
        sk_cli_help(stderr);
        return SK_CLI_USAGE;
    }
    for (size_t i = 0; i < SK_CLI_NCMDS; i++)
        if (strcmp(c.argv[0], sk_cli_cmds[i].name) == 0)
            cmd = &sk_cli_cmds[i];
    if (cmd == NULL)
        return sk_cli_usage("unknown command '%s' (see: sekisho-policy --help)", c.argv[0]);
    for (unsigned opt = SK_OPT_POLICY; opt <= SK_OPT_LIMIT; opt <<= 1)
        if ((c.seen & opt) && !(cmd->opts & opt))
            return sk_cli_usage("option %s does not apply to '%s'", sk_cli_opt_name(opt),
                                cmd->name);
    if (c.argc - 1 < cmd->min_args || c.argc - 1 > cmd->max_args)
        return sk_cli_usage("usage: sekisho-policy [--db FILE] %s", cmd->synopsis);
    return cmd->run(&c);
}
