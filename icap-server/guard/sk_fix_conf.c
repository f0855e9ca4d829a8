/* sk_fix_conf.c - settings of sk_cicap_fix.so. The sekisho_guard access
 * controller (sk_guard.c) owns the c-icap directives (sekisho_guard.*) and
 * hands each value here through the exported sk_fix_configure(), in the
 * c-icap main process while it reads its configuration, before any child
 * is forked. SECURITY: values come from the administrator's configuration. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sk_fix.h"

/* Strict decimal in [min, max]. */
static int sk_fix_num(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* "CIDR[,CIDR...]" or "any". */
static int sk_allow_parse(const char *text)
{
    int n;

    if (strcmp(text, "any") == 0) {
        sk_fix_conf.allow_all = 1;
        return 0;
    }
    /* one c-icap directive word: commas only, as the launcher checks it */
    if ((n = sk_cidr_list_parse(text, sk_fix_conf.cidrs, SK_FIX_MAX_CIDRS)) == -1)
        return -1;
    sk_fix_conf.n_cidrs = n;
    sk_fix_conf.allow_all = 0;
    return 0;
}

/* Exported for sk_guard.so. Returns 0, or -1 when the value is invalid. */
__attribute__((visibility("default"))) int sk_fix_configure(const char *name, const char *value)
{
    long v;

    if (strcasecmp(name, "AllowClients") == 0)
        return sk_allow_parse(value);
    if (strcasecmp(name, "TlsClientCA") == 0) {
        if (strlen(value) >= sizeof(sk_fix_conf.tls_client_ca))
            return -1;
        strcpy(sk_fix_conf.tls_client_ca, value);
        return sk_conn_load_client_ca(value);
    }
    /* auto: half of what c-icap admits, known only once the whole
     * configuration (with the admin's --config) is read: sk_fix_capacity */
    if (strcasecmp(name, "MaxConnsPerClient") == 0 && strcmp(value, "auto") == 0) {
        sk_fix_conf.max_conns_per_client = -1;
        return 0;
    }
    if (strcasecmp(name, "MaxPreview") == 0 && strcmp(value, "-1") == 0) {
        sk_fix_conf.max_preview = -1;
        return 0;
    }
    if (sk_fix_num(value, 0, 1L << 30, &v) == -1)
        return -1;
    if (strcasecmp(name, "MaxHeaderSize") == 0)
        sk_fix_conf.max_header = v;
    else if (strcasecmp(name, "MaxPreview") == 0)
        sk_fix_conf.max_preview = v;
    else if (strcasecmp(name, "HeaderTimeout") == 0 && v >= 1 && v <= 86400)
        sk_fix_conf.header_timeout = (int)v;
    else if (strcasecmp(name, "ContinueTimeout") == 0 && v >= 1 && v <= 86400)
        sk_fix_conf.continue_timeout = (int)v;
    else if (strcasecmp(name, "KeepAliveTimeout") == 0 && v >= 1 && v <= 86400)
        sk_fix_conf.keepalive_timeout = (int)v;
    else if (strcasecmp(name, "MaxConnsPerClient") == 0 && v <= 100000)
        sk_fix_conf.max_conns_per_client = (int)v;
    else
        return -1;
    return 0;
}

__attribute__((visibility("default"))) void sk_fix_capacity(int total)
{
    if (sk_fix_conf.max_conns_per_client == -1)
        sk_fix_conf.max_conns_per_client = total / 2 > 0 ? total / 2 : 1;
}

__attribute__((visibility("default"))) void sk_fix_child_threads(int n)
{
    if (n > 0)
        sk_fix_conf.child_threads = n;
}
