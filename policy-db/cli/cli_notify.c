/* cli_notify.c - `sekisho-policy notify test`: sends one alert of each kind
 * in notify.events to the configured webhook and mail address, now and in
 * this process (no rate limit), and says per channel what happened: the
 * way to check alert settings before an incident does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sekisho/notify.h>
#include <sekisho/policy_snapshot.h>

#include "cli.h"

int sk_cli_notify_test(struct sk_cli *c)
{
    static const char *const kinds[] = SK_NOTIFY_KINDS;
    struct sk_pdb *pdb = sk_cli_open(c, SK_PDB_RO);
    struct sk_snapshot *snap;
    const struct sk_policy *def;
    const char *webhook, *email, *smtp, *from, *events;
    char *err = NULL, host[128] = "", json[512], text[512], subject[256];
    int sent = 0, failed = 0;

    if (!pdb)
        return SK_CLI_FAIL;
    snap = sk_snapshot_load(pdb, &err);
    sk_pdb_close(pdb);
    if (!snap) {
        int rc = sk_cli_fail("%s", err ? err : "cannot load the policy");
        free(err);
        return rc;
    }
    def = sk_snapshot_default(snap);
    webhook = sk_policy_get(def, "notify.webhook");
    email = sk_policy_get(def, "notify.email");
    smtp = sk_policy_get(def, "notify.smtp");
    from = sk_policy_get(def, "notify.from");
    events = sk_policy_get(def, "notify.events");
    if (!*webhook && !*email) {
        sk_snapshot_unref(snap);
        return sk_cli_usage("no alert channel: set notify.webhook and/or notify.email");
    }
    if (*email && !*smtp) {
        sk_snapshot_unref(snap);
        return sk_cli_usage("notify.email needs notify.smtp HOST:PORT");
    }
    gethostname(host, sizeof(host) - 1);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (!sk_notify_wants(events, kinds[i]))
            continue;
        snprintf(json, sizeof(json), "{\"event\":\"%s\",\"test\":true,\"node\":\"%s\"}", kinds[i],
                 host); /* host: our own name, no client bytes */
        snprintf(subject, sizeof(subject), "Sekisho alert (test): %s on %s", kinds[i], host);
        snprintf(text, sizeof(text), "This is a test of the Sekisho alert '%s'.\n", kinds[i]);
        if (*webhook) {
            int ok = sk_notify_send_webhook(webhook, json, 10, &err) == 0;
            printf("%-20s webhook %s: %s\n", kinds[i], webhook, ok ? "sent" : err ? err : "failed");
            ok ? sent++ : failed++;
            free(err);
            err = NULL;
        }
        if (*email) {
            int ok = sk_notify_send_mail(smtp, from, email, subject, text, 10, &err) == 0;
            printf("%-20s mail to %s via %s: %s\n", kinds[i], email, smtp,
                   ok    ? "sent"
                   : err ? err
                         : "failed");
            ok ? sent++ : failed++;
            free(err);
            err = NULL;
        }
    }
    sk_snapshot_unref(snap);
    printf("%d sent, %d failed\n", sent, failed);
    return failed ? SK_CLI_FAIL : SK_CLI_OK;
}
