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

#define SK_SCOPES SK_OPT_SCOPE
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
    {"show", sk_cli_show, SK_OPT_POLICY | SK_OPT_JSON, 0, 0, "show [--policy NAME] [--json]",
     "everything about a policy: scope, settings (with source), rules, categories"},
    {"policy add", sk_cli_policy_add, SK_SCOPES | SK_OPT_PRIORITY | SK_OPT_COMMENT, 1, 1,
     "policy add NAME [--client-ip CIDR]... [--user U]... [--group G]... [--priority N]"
     " [--comment T]",
     "add a policy for those clients (any of them matches); lower priority is tried first"},
    {"policy list", sk_cli_policy_list, SK_OPT_JSON, 0, 0, "policy list [--json]",
     "list policies in the order they are tried"},
    {"policy show", sk_cli_policy_show, SK_OPT_JSON, 1, 1, "policy show NAME [--json]",
     "same as show --policy NAME"},
    {"policy rm", sk_cli_policy_rm, 0, 1, 1, "policy rm NAME",
     "remove a policy with its scope, settings, rules and category blocks"},
    {"policy set", sk_cli_policy_set, SK_OPT_PRIORITY | SK_OPT_COMMENT, 1, 1,
     "policy set NAME [--priority N] [--comment T]", "change a policy's priority or comment"},
    {"policy enable", sk_cli_policy_enable, 0, 1, 1, "policy enable NAME",
     "let a disabled policy match again"},
    {"policy disable", sk_cli_policy_disable, 0, 1, 1, "policy disable NAME",
     "keep a policy but never match it"},
    {"policy scope add", sk_cli_scope_add, SK_SCOPES, 1, 1,
     "policy scope add NAME [--client-ip CIDR]... [--user U]... [--group G]...",
     "add clients to a policy's scope"},
    {"policy scope rm", sk_cli_scope_rm, SK_SCOPES, 1, 1,
     "policy scope rm NAME [--client-ip CIDR]... [--user U]... [--group G]...",
     "remove clients from a policy's scope"},
    {"url add", sk_cli_url_add,
     SK_OPT_POLICY | SK_OPT_LIST | SK_OPT_MATCH | SK_OPT_COMMENT | SK_OPT_WHEN, 1, 1,
     "url add --list L --match M PATTERN [--policy NAME] [--comment T] [--when S|'!S']",
     "add a URL rule (L: block|allow|approved; M: exact|prefix|substring|domain|regex|cidr);"
     " --when: only inside schedule S ('!S': outside it)"},
    {"url list", sk_cli_url_list, SK_OPT_POLICY | SK_OPT_LIST | SK_OPT_JSON, 0, 0,
     "url list [--policy NAME] [--list L] [--json]", "list URL rules with their ids"},
    {"url rm", sk_cli_url_rm, SK_OPT_POLICY | SK_OPT_LIST | SK_OPT_MATCH, 1, 1,
     "url rm ID | url rm --list L --match M PATTERN [--policy NAME]", "remove a URL rule"},
    {"category import", sk_cli_category_import, 0, 2, 2, "category import NAME DIR",
     "import (or replace) a squidGuard/UT1 list: DIR/domains, DIR/urls, DIR/expressions"},
    {"category fetch", sk_cli_category_fetch, 0, 2, 2, "category fetch NAME URL",
     "download a squidGuard/UT1 tarball (.tar.gz) or plain list and import it as NAME"},
    {"category list", sk_cli_category_list, SK_OPT_JSON, 0, 0, "category list [--json]",
     "list categories with entry counts and the policies blocking them"},
    {"category rm", sk_cli_category_rm, 0, 1, 1, "category rm NAME",
     "remove a category (and its blocks)"},
    {"category block", sk_cli_category_block, SK_OPT_POLICY | SK_OPT_WHEN, 1, 1,
     "category block NAME [--policy NAME] [--when S|'!S']",
     "block a category in a policy (--when: only inside schedule S, '!S' outside it)"},
    {"category unblock", sk_cli_category_unblock, SK_OPT_POLICY, 1, 1,
     "category unblock NAME [--policy NAME]", "stop blocking a category in a policy"},
    {"dlp add", sk_cli_dlp_add, SK_OPT_POLICY | SK_OPT_DLP | SK_OPT_WHEN, 1, 1,
     "dlp add NAME --detector D [--detector D]... [--min-count N] --action block|log"
     " [--policy NAME] [--when S|'!S']",
     "add a DLP template (D: credit-card|my-number|corporate-number|ssn|iban|email|"
     "jp-phone|keyword:WORD|regex:RE)"},
    {"dlp list", sk_cli_dlp_list, SK_OPT_POLICY | SK_OPT_JSON, 0, 0,
     "dlp list [--policy NAME] [--json]", "list DLP templates"},
    {"dlp rm", sk_cli_dlp_rm, SK_OPT_POLICY, 1, 1, "dlp rm NAME [--policy NAME]",
     "remove a DLP template"},
    {"check", sk_cli_check, SK_SCOPES | SK_OPT_JSON | SK_OPT_AT, 1, 1,
     "check URL [--client-ip IP] [--user U] [--group G]... [--at TIME] [--json]",
     "explain the verdict for URL and that client, as the server decides it (at TIME, ISO 8601"
     " with offset, e.g. 2026-12-02T10:30:00+09:00; default now), schedules included"},
    {"schedule add", sk_cli_schedule_add, SK_OPT_SCHED, 1, 1,
     "schedule add NAME [--days mon-fri] [--time 09:00-12:00]... [--tz Asia/Tokyo]",
     "add (or replace) a schedule: days and time ranges (end 24:00 allowed) in a zone"
     " (default: the node's local time)"},
    {"schedule list", sk_cli_schedule_list, SK_OPT_JSON, 0, 0, "schedule list [--json]",
     "list schedules and what uses them"},
    {"schedule rm", sk_cli_schedule_rm, 0, 1, 1, "schedule rm NAME",
     "remove a schedule no rule, category block or DLP template uses"},
    {"export", sk_cli_export, 0, 0, 0, "export", "write the whole policy as JSON to stdout"},
    {"import", sk_cli_import, 0, 1, 1, "import FILE",
     "replace the whole policy with an export (FILE or - for stdin)"},
    {"generation", sk_cli_generation, SK_OPT_JSON, 0, 0, "generation [--json]",
     "print the current policy generation"},
    {"hash", sk_cli_hash, SK_OPT_JSON, 0, 0, "hash [--json]",
     "print the policy's content hash (the ISTag's first 12 digits are its first 12)"},
    {"keygen", sk_cli_keygen, SK_OPT_FLEET, 0, 0, "keygen --out KEYFILE",
     "make an Ed25519 key pair for signing bundles: KEYFILE (0600) and KEYFILE.pub"},
    {"publish", sk_cli_publish, SK_OPT_FLEET | SK_OPT_JSON, 0, 0,
     "publish --key KEYFILE --out DIR [--valid-for DURATION] [--json]",
     "write the policy as a signed bundle into DIR and point DIR/index at it"},
    {"pull", sk_cli_pull, SK_OPT_FLEET, 0, 0,
     "pull --source URL --pubkey FILE [--ca FILE] [--poll SECONDS] [--once] [--state FILE]",
     "apply the newest bundle a publish directory serves, if signed by FILE's key"},
    {"cluster status", sk_cli_cluster_status, SK_OPT_JSON, 1, 64,
     "cluster status HOST:PORT... [--json]",
     "ask each node for its ISTag and policy; exit 0 only when all agree"},
    {"report", sk_cli_log_report, SK_OPT_REPORT | SK_OPT_FLEET, 0, 0,
     "report --log FILE... [--from DATE] [--to DATE] --out report.html [--csv DIR]",
     "one self-contained HTML report (and CSV tables) from access logs"},
    {"notify test", sk_cli_notify_test, 0, 0, 0, "notify test",
     "send one alert of each kind in notify.events to the webhook and mail set"},
    {"history", sk_cli_history, SK_OPT_JSON | SK_OPT_LIMIT, 0, 0, "history [--limit N] [--json]",
     "list generations: when, who, what"},
    {"rollback", sk_cli_rollback, 0, 1, 1, "rollback GEN",
     "restore the policy state of generation GEN, as a new generation"},
    {"directory add", sk_cli_directory_add, SK_OPT_DIR, 1, 1,
     "directory add NAME --uri URI [--uri URI]... --base DN --bind-dn DN --password-file FILE"
     " [--global-catalog] [--group-attr ATTR]... [--domain NETBIOS[,...]]..."
     " [--realm REALM[,...]]...",
     "add an LDAP directory whose groups join X-Authenticated-Groups (URIs: failover order;"
     " domains/realms it serves: default from --base)"},
    {"directory set", sk_cli_directory_set, SK_OPT_DIR, 1, 1,
     "directory set NAME [--domain NETBIOS[,...]]... [--realm REALM[,...]]...",
     "replace the NetBIOS domains and/or realms a directory serves"},
    {"directory list", sk_cli_directory_list, SK_OPT_JSON, 0, 0, "directory list [--json]",
     "list directories"},
    {"directory rm", sk_cli_directory_rm, 0, 1, 1, "directory rm NAME", "remove a directory"},
    {"directory test", sk_cli_directory_test, SK_OPT_SCOPE, 1, 1, "directory test NAME --user U",
     "look U up now and print the groups found, nested groups included"},
    {"quarantine list", sk_cli_quarantine_list, SK_OPT_QUAR, 0, 0, "quarantine list [--dir DIR]",
     "objects av.quarantine kept (DIR: $SEKISHO_QUARANTINE_DIR, else /var/lib/sekisho/quarantine)"},
    {"quarantine show", sk_cli_quarantine_show, SK_OPT_QUAR, 1, 1, "quarantine show ID [--dir DIR]",
     "print a quarantined object's metadata (JSON)"},
    {"quarantine release", sk_cli_quarantine_release, SK_OPT_QUAR | SK_OPT_FLEET, 1, 1,
     "quarantine release ID --out FILE [--dir DIR]",
     "copy the object to a new FILE (0600) after checking its SHA-256"},
    {"quarantine purge", sk_cli_quarantine_purge, SK_OPT_QUAR, 0, 0,
     "quarantine purge --older AGE [--dir DIR]", "remove objects older than AGE (30d, 12h)"},
    {"filetype block", sk_cli_filetype_block, SK_OPT_POLICY, 1, 16,
     "filetype block TYPE... [--policy NAME]",
     "block true file types (from the bytes), e.g. executable msi office-macro"},
    {"filetype allow", sk_cli_filetype_allow, SK_OPT_POLICY, 1, 16,
     "filetype allow TYPE... [--policy NAME]", "stop blocking these file types"},
    {"filetype list", sk_cli_filetype_list, SK_OPT_POLICY | SK_OPT_JSON, 0, 0,
     "filetype list [--policy NAME] [--json]", "the file types and whether the policy blocks them"},
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
        fprintf(f, "  %s\n      %s\n", sk_cli_cmds[i].synopsis, sk_cli_cmds[i].help);
    fprintf(f,
            "\noptions:\n"
            "  --db FILE      policy database (default: $SEKISHO_POLICY_DB, else %s)\n"
            "  --policy NAME  policy to act on (default: %s)\n"
            "  --json         one JSON document on stdout, for scripts\n"
            "  --limit N      history: only the newest N generations\n"
            "  --client-ip, --user, --group, --priority, --comment, --list, --match,\n"
            "  --detector, --min-count, --action, --days, --time, --tz, --when, --at:\n"
            "                 see the commands above\n\n"
            "exit status: 0 success, 1 operation failed, 2 usage error (nothing changed)\n",
            SK_PDB_DEFAULT_PATH, SK_PDB_DEFAULT_POLICY);
}

static const char *sk_cli_opt_name(unsigned opt)
{
    switch (opt) {
    case SK_OPT_POLICY:
        return "--policy";
    case SK_OPT_JSON:
        return "--json";
    case SK_OPT_LIMIT:
        return "--limit";
    case SK_OPT_SCOPE:
        return "--client-ip/--user/--group";
    case SK_OPT_PRIORITY:
        return "--priority";
    case SK_OPT_COMMENT:
        return "--comment";
    case SK_OPT_LIST:
        return "--list";
    case SK_OPT_DLP:
        return "--detector/--min-count/--action";
    case SK_OPT_REPORT:
        return "--log/--from/--to/--csv";
    case SK_OPT_FLEET:
        return "--key/--out/--source/--pubkey/--ca/--poll/--once/--state/--valid-for";
    case SK_OPT_QUAR:
        return "--dir/--older";
    case SK_OPT_DIR:
        return "--uri/--base/--bind-dn/--password-file/--global-catalog/--group-attr/--domain/"
               "--realm";
    case SK_OPT_SCHED:
        return "--days/--time/--tz";
    case SK_OPT_WHEN:
        return "--when";
    case SK_OPT_AT:
        return "--at";
    default:
        return "--match";
    }
}

/* Keep "--opt VALUE" for the history text. */
static void sk_cli_word(struct sk_cli *c, const char *opt, const char *value)
{
    c->words[c->nwords++] = opt;
    c->words[c->nwords++] = value;
}

static void sk_cli_add_scope(struct sk_cli *c, const char *kind, const char *value)
{
    c->scopes[c->nscopes].kind = kind;
    c->scopes[c->nscopes++].value = value;
    c->seen |= SK_OPT_SCOPE;
}

/* A single-valued option given twice is a mistake worth saying. */
static int sk_cli_once(const char **slot, unsigned *seen, unsigned bit, const char *value)
{
    if (*seen & bit)
        return sk_cli_usage("option %s given twice", sk_cli_opt_name(bit));
    *slot = value;
    *seen |= bit;
    return SK_CLI_OK;
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
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"policy", required_argument, NULL, 'p'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"client-ip", required_argument, NULL, 'i'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"group", required_argument, NULL, 'g'},
                                             {"priority", required_argument, NULL, 'P'},
                                             {"comment", required_argument, NULL, 'c'},
                                             {"list", required_argument, NULL, 'L'},
                                             {"match", required_argument, NULL, 'M'},
                                             {"detector", required_argument, NULL, 'D'},
                                             {"min-count", required_argument, NULL, 'N'},
                                             {"action", required_argument, NULL, 'A'},
                                             {"key", required_argument, NULL, 'K'},
                                             {"out", required_argument, NULL, 'O'},
                                             {"source", required_argument, NULL, 'S'},
                                             {"pubkey", required_argument, NULL, 'B'},
                                             {"ca", required_argument, NULL, 'C'},
                                             {"poll", required_argument, NULL, 'T'},
                                             {"once", no_argument, NULL, '1'},
                                             {"state", required_argument, NULL, 0x108},
                                             {"valid-for", required_argument, NULL, 0x109},
                                             {"log", required_argument, NULL, 'G'},
                                             {"from", required_argument, NULL, 'F'},
                                             {"to", required_argument, NULL, 'E'},
                                             {"csv", required_argument, NULL, 'X'},
                                             {"dir", required_argument, NULL, 'Q'},
                                             {"older", required_argument, NULL, 'R'},
                                             {"uri", required_argument, NULL, 0x100},
                                             {"base", required_argument, NULL, 0x101},
                                             {"bind-dn", required_argument, NULL, 0x102},
                                             {"password-file", required_argument, NULL, 0x103},
                                             {"global-catalog", no_argument, NULL, 0x104},
                                             {"group-attr", required_argument, NULL, 0x105},
                                             {"domain", required_argument, NULL, 0x106},
                                             {"realm", required_argument, NULL, 0x107},
                                             {"days", required_argument, NULL, 'y'},
                                             {"time", required_argument, NULL, 't'},
                                             {"tz", required_argument, NULL, 'z'},
                                             {"when", required_argument, NULL, 'w'},
                                             {"at", required_argument, NULL, 'a'},
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
            if (sk_cli_once(&c->policy, &c->seen, SK_OPT_POLICY, optarg) != SK_CLI_OK)
                return SK_CLI_USAGE;
            sk_cli_word(c, "--policy", optarg);
            break;
        case 'i':
        case 'u':
        case 'g':
            sk_cli_add_scope(c, ch == 'i' ? "client-ip" : ch == 'u' ? "user" : "group", optarg);
            sk_cli_word(c, ch == 'i' ? "--client-ip" : ch == 'u' ? "--user" : "--group", optarg);
            break;
        case 'P':
        case 'c':
        case 'L':
        case 'M': {
            unsigned bit = ch == 'P'   ? SK_OPT_PRIORITY
                           : ch == 'c' ? SK_OPT_COMMENT
                           : ch == 'L' ? SK_OPT_LIST
                                       : SK_OPT_MATCH;
            const char **slot = ch == 'P'   ? &c->priority
                                : ch == 'c' ? &c->comment
                                : ch == 'L' ? &c->list
                                            : &c->match;
            if (sk_cli_once(slot, &c->seen, bit, optarg) != SK_CLI_OK)
                return SK_CLI_USAGE;
            sk_cli_word(c, sk_cli_opt_name(bit), optarg);
            break;
        }
        case 'D':
            c->detectors[c->ndetectors++] = optarg;
            c->seen |= SK_OPT_DLP;
            sk_cli_word(c, "--detector", optarg);
            break;
        case 'N':
        case 'A':
            if ((ch == 'N' ? c->min_count : c->action) != NULL)
                return sk_cli_usage("option %s given twice",
                                    ch == 'N' ? "--min-count" : "--action");
            *(ch == 'N' ? &c->min_count : &c->action) = optarg;
            c->seen |= SK_OPT_DLP;
            sk_cli_word(c, ch == 'N' ? "--min-count" : "--action", optarg);
            break;
        case 'K':
        case 'O':
        case 'S':
        case 'B':
        case 'C':
        case 'T':
        case 0x108:
        case 0x109: {
            const char **slot = ch == 'K'     ? &c->key
                                : ch == 'O'   ? &c->out
                                : ch == 'S'   ? &c->source
                                : ch == 'B'   ? &c->pubkey
                                : ch == 'C'   ? &c->ca
                                : ch == 'T'   ? &c->poll
                                : ch == 0x108 ? &c->state
                                              : &c->valid_for;
            if (*slot)
                return sk_cli_usage("option %s given twice", argv[optind - 2]);
            *slot = optarg;
            c->seen |= SK_OPT_FLEET;
            break;
        }
        case 'G':
            c->logs[c->nlogs++] = optarg;
            c->seen |= SK_OPT_REPORT;
            break;
        case 'F':
        case 'E':
        case 'X': {
            const char **slot = ch == 'F' ? &c->from : ch == 'E' ? &c->to : &c->csv;
            if (*slot)
                return sk_cli_usage("option %s given twice", argv[optind - 2]);
            *slot = optarg;
            c->seen |= SK_OPT_REPORT;
            break;
        }
        case 'Q':
        case 'R': {
            const char **slot = ch == 'Q' ? &c->qdir : &c->older;
            if (*slot)
                return sk_cli_usage("option %s given twice", argv[optind - 2]);
            *slot = optarg;
            c->seen |= SK_OPT_QUAR;
            break;
        }
        case 0x100:
        case 0x105:
            if (ch == 0x100)
                c->uris[c->nuris++] = optarg;
            else
                c->group_attrs[c->ngroup_attrs++] = optarg;
            c->seen |= SK_OPT_DIR;
            sk_cli_word(c, ch == 0x100 ? "--uri" : "--group-attr", optarg);
            break;
        case 0x101:
        case 0x102:
        case 0x103: {
            const char **slot = ch == 0x101   ? &c->base
                                : ch == 0x102 ? &c->bind_dn
                                              : &c->password_file;
            const char *opt = ch == 0x101   ? "--base"
                              : ch == 0x102 ? "--bind-dn"
                                            : "--password-file";
            if (*slot)
                return sk_cli_usage("option %s given twice", opt);
            *slot = optarg;
            c->seen |= SK_OPT_DIR;
            sk_cli_word(c, opt, optarg);
            break;
        }
        case 0x106:
        case 0x107:
            if (ch == 0x106)
                c->domains[c->ndomains++] = optarg;
            else
                c->realms[c->nrealms++] = optarg;
            c->seen |= SK_OPT_DIR;
            sk_cli_word(c, ch == 0x106 ? "--domain" : "--realm", optarg);
            break;
        case 0x104:
            c->global_catalog = 1;
            c->seen |= SK_OPT_DIR;
            c->words[c->nwords++] = "--global-catalog";
            break;
        case 't':
            c->times[c->ntimes++] = optarg;
            c->seen |= SK_OPT_SCHED;
            sk_cli_word(c, "--time", optarg);
            break;
        case 'y':
        case 'z':
        case 'w':
        case 'a': {
            static const char *const names[] = {"--days", "--tz", "--when", "--at"};
            int k = ch == 'y' ? 0 : ch == 'z' ? 1 : ch == 'w' ? 2 : 3;
            const char **slot = k == 0 ? &c->days : k == 1 ? &c->tz : k == 2 ? &c->when : &c->at;
            if (*slot)
                return sk_cli_usage("option %s given twice", names[k]);
            *slot = optarg;
            c->seen |= k < 2 ? SK_OPT_SCHED : k == 2 ? SK_OPT_WHEN : SK_OPT_AT;
            if (k < 3)
                sk_cli_word(c, names[k], optarg);
            break;
        }
        case '1':
            c->once = 1;
            c->seen |= SK_OPT_FLEET;
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
            printf("sekisho-policy %s (policy schema %d)\n", SK_CLI_VERSION, SK_PDB_SCHEMA_VERSION);
            *done = 1;
            return SK_CLI_OK;
        case ':':
            return sk_cli_usage("option %s needs a value", argv[optind - 1]);
        default:
            if (argv[optind - 1][0] == '-' && isdigit((unsigned char)argv[optind - 1][1]))
                return sk_cli_usage("unknown option '%s' (put -- before a value that starts "
                                    "with '-')",
                                    argv[optind - 1]);
            return sk_cli_usage("unknown option '%s' (see: sekisho-policy --help)",
                                argv[optind - 1]);
        }
    }
    c->argc = argc - optind;
    c->argv = argv + optind;
    return SK_CLI_OK;
}

/* Words in NAME ("policy scope add" = 3) if ARGV starts with them, else 0. */
static int sk_cli_match(const char *name, int argc, char **argv)
{
    int words = 0;

    for (const char *p = name; *p;) {
        size_t n = strcspn(p, " ");
        if (words >= argc || strlen(argv[words]) != n || strncmp(argv[words], p, n) != 0)
            return 0;
        words++;
        p += n;
        p += *p == ' ';
    }
    return words;
}

static const struct sk_cli_cmd *sk_cli_find(struct sk_cli *c)
{
    const struct sk_cli_cmd *cmd = NULL;
    int best = 0, n;

    for (size_t i = 0; i < SK_CLI_NCMDS; i++)
        if ((n = sk_cli_match(sk_cli_cmds[i].name, c->argc, c->argv)) > best)
            best = n, cmd = &sk_cli_cmds[i];
    c->ops = c->argv + best;
    c->nops = c->argc - best;
    return cmd;
}

int main(int argc, char **argv)
{
    struct sk_cli c = {0};
    const struct sk_cli_cmd *cmd = NULL;
    int done = 0, rc;

    c.db = getenv("SEKISHO_POLICY_DB");
    if (c.db == NULL || *c.db == '\0')
        c.db = SK_PDB_DEFAULT_PATH;
    /* Every option takes at most one argv slot for itself and one value. */
    c.scopes = calloc((size_t)argc + 1, sizeof(*c.scopes));
    c.words = calloc((size_t)argc * 2 + 2, sizeof(*c.words));
    c.detectors = calloc((size_t)argc + 1, sizeof(*c.detectors));
    c.logs = calloc((size_t)argc + 1, sizeof(*c.logs));
    c.uris = calloc((size_t)argc + 1, sizeof(*c.uris));
    c.group_attrs = calloc((size_t)argc + 1, sizeof(*c.group_attrs));
    c.times = calloc((size_t)argc + 1, sizeof(*c.times));
    c.domains = calloc((size_t)argc + 1, sizeof(*c.domains));
    c.realms = calloc((size_t)argc + 1, sizeof(*c.realms));
    if (c.scopes == NULL || c.words == NULL || c.detectors == NULL || c.logs == NULL ||
        c.uris == NULL || c.group_attrs == NULL || c.times == NULL || c.domains == NULL ||
        c.realms == NULL)
        return sk_cli_fail("out of memory");
    if ((rc = sk_cli_parse(&c, argc, argv, &done)) != SK_CLI_OK || done)
        goto out;
    rc = SK_CLI_USAGE;
    if (c.argc == 0) {
        sk_cli_help(stderr);
        goto out;
    }
    if ((cmd = sk_cli_find(&c)) == NULL) {
        int group = strcmp(c.argv[0], "policy") == 0 || strcmp(c.argv[0], "url") == 0 ||
                    strcmp(c.argv[0], "category") == 0 || strcmp(c.argv[0], "dlp") == 0 ||
                    strcmp(c.argv[0], "cluster") == 0 || strcmp(c.argv[0], "notify") == 0 ||
                    strcmp(c.argv[0], "directory") == 0 || strcmp(c.argv[0], "schedule") == 0;
        if (group && c.argc > 1)
            sk_cli_usage("unknown %s command '%s' (see: sekisho-policy --help)", c.argv[0],
                         c.argv[c.argc > 2 && strcmp(c.argv[1], "scope") == 0 ? 2 : 1]);
        else if (group)
            sk_cli_usage("'%s' needs a subcommand (see: sekisho-policy --help)", c.argv[0]);
        else
            sk_cli_usage("unknown command '%s' (see: sekisho-policy --help)", c.argv[0]);
        goto out;
    }
    for (unsigned opt = SK_OPT_POLICY; opt <= SK_OPT_LAST; opt <<= 1)
        if ((c.seen & opt) && !(cmd->opts & opt)) {
            sk_cli_usage("option %s does not apply to '%s'", sk_cli_opt_name(opt), cmd->name);
            goto out;
        }
    if (c.nops < cmd->min_args || c.nops > cmd->max_args) {
        sk_cli_usage("usage: sekisho-policy [--db FILE] %s", cmd->synopsis);
        goto out;
    }
    rc = cmd->run(&c);
out:
    free(c.scopes);
    free(c.words);
    free(c.detectors);
    free(c.logs);
    free(c.uris);
    free(c.group_attrs);
    free(c.times);
    free(c.domains);
    free(c.realms);
    return rc;
}
