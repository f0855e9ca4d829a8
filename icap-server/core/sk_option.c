/* sk_option.c - checks `sekisho.Option MOD.KEY VALUE` lines against the
 * option tables of the loaded modules before any init() runs: an unknown
 * module or key, or a value of the wrong type, is a start-up error naming
 * the directive. Parses administrator configuration only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sekisho/text.h"
#include "sk_chain.h"
#include "sk_util.h"

const struct sk_module_option *sk_option_find(const struct sk_module *m, const char *key)
{
    for (const struct sk_module_option *o = m->options; o && o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o;
    return NULL;
}

/* "a, b, c" of a module's keys into buf, for the unknown-key message. */
static void sk_option_names(const struct sk_module *m, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (const struct sk_module_option *o = m->options; o && o->name && n < size; o++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", o->name);
    if (!m->options || !m->options->name)
        snprintf(buf, size, "it takes none");
}

/* Is TEXT one of the '|'-separated CHOICES? */
static int sk_option_choice(const char *text, const char *choices)
{
    size_t len = strlen(text);

    for (const char *p = choices; p && *p;) {
        size_t n = strcspn(p, "|");
        if (n == len && strncmp(p, text, n) == 0)
            return 1;
        p += n + (p[n] == '|');
    }
    return 0;
}

/* NULL if VALUE is a valid O, else what was expected. */
static const char *sk_option_bad(const struct sk_module_option *o, const char *value)
{
    uint64_t u;
    struct stat st;

    switch (o->type) {
    case SK_OPT_STRING:
        return NULL;
    case SK_OPT_SIZE:
        return sk_parse_size(value, &u) == 0 ? NULL : "a size (e.g. 0, 1048576, 1M, 1MB, 1MiB)";
    case SK_OPT_DURATION:
        return sk_parse_duration(value, &u) == 0 ? NULL : "a duration (e.g. 30, 30s, 5m, 4h, 2d)";
    case SK_OPT_UINT:
        return value[0] && strspn(value, "0123456789") == strlen(value) && strlen(value) <= 9
                   ? NULL
                   : "a whole number below 1000000000";
    case SK_OPT_BOOL:
        return sk_option_choice(value, "on|off|yes|no|true|false|1|0") ? NULL : "on or off";
    case SK_OPT_ENUM:
        return sk_option_choice(value, o->choices) ? NULL : o->choices;
    case SK_OPT_DIR:
        return stat(value, &st) == 0 && S_ISDIR(st.st_mode) ? NULL : "an existing directory";
    }
    return "a value of a known type (module table is broken)";
}

int sk_option_check_all(const struct sk_chain *chain, char **err)
{
    const struct sk_chain_conf *conf = chain->conf;

    for (int i = 0; conf && i < conf->n_options; i++) {
        const struct sk_option *opt = &conf->options[i];
        const struct sk_module *m = NULL;
        const struct sk_module_option *o;
        const char *bad;
        char names[512];

        for (int j = 0; j < chain->n && !m; j++)
            if (strcmp(chain->mods[j].mod->name, opt->module) == 0)
                m = chain->mods[j].mod;
        if (!m) {
            sk_seterr(err, "sekisho.Option %s.%s: no module '%s' in sekisho.Modules", opt->module,
                      opt->key, opt->module);
            return -1;
        }
        if (!(o = sk_option_find(m, opt->key))) {
            sk_option_names(m, names, sizeof(names));
            sk_seterr(err, "sekisho.Option %s.%s: module %s has no option '%s' (%s)", opt->module,
                      opt->key, m->name, opt->key, names);
            return -1;
        }
        if ((bad = sk_option_bad(o, opt->value)) != NULL) {
            sk_seterr(err, "sekisho.Option %s.%s '%.128s': expected %s", opt->module, opt->key,
                      opt->value, bad);
            return -1;
        }
    }
    return 0;
}
