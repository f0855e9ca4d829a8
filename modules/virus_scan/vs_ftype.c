/* vs_ftype.c - true file types in virus_scan's pass over a body: what each
 * object (the body, multipart parts, zip members, and inner objects the
 * engine typed) is from its bytes, checked against filetype.block and the
 * declared Content-Type / name (filetype.on-mismatch), and the verdict
 * with its "File type blocked: ..." page.
 * SECURITY: names and declared types are client/origin-controlled: they
 * are copied bounded, and reach the log/page only through the escaping
 * of sk_txn_set_reason and the page engine. */
#include <stdio.h>
#include <string.h>

#include "vs_internal.h"

void sk_vs_ft_note(struct sk_vs_ft *ft, enum sk_ft_kind k, const char *ct, const char *name)
{
    if (!ft || k == SK_FT_NONE)
        return;
    if (ft->hit == SK_FT_NONE && (sk_ft_kind_types(k) & ft->block)) {
        ft->hit = k;
        snprintf(ft->hit_where, sizeof(ft->hit_where), "%s", name ? name : "");
    }
    if (ft->mism == SK_FT_NONE && sk_ft_mismatch(k, ct, name)) {
        ft->mism = k;
        snprintf(ft->mism_declared, sizeof(ft->mism_declared), "%s%s%s", ct ? ct : "",
                 ct && name ? ", " : "", name ? name : "");
    }
}

void sk_vs_ft_note_kinds(struct sk_vs_ft *ft, uint32_t kinds, const char *where)
{
    char in[96];

    if (!ft || !kinds)
        return;
    snprintf(in, sizeof(in), "inside %s", where && *where ? where : "the object");
    for (unsigned k = 1; k < SK_FT_NKIND; k++)
        if (kinds & (1u << k))
            sk_vs_ft_note(ft, (enum sk_ft_kind)k, NULL, in);
}

static enum sk_verdict sk_vs_ft_block(struct sk_txn *t, enum sk_ft_kind k, const char *where,
                                      const char *why, int monitor)
{
    char rule[64], reason[320];
    int ja = sk_page_pick_lang(sk_txn_req_header(t, "Accept-Language")) == SK_LANG_JA;

    snprintf(rule, sizeof(rule), "filetype:%s", sk_ft_kind_token(k));
    snprintf(reason, sizeof(reason), "%s%s%s%s", why, *where ? " (" : "", where, *where ? ")" : "");
    sk_txn_report(t, "filetype", rule, NULL);
    if (monitor) {
        strncat(reason, " (filetype.action log: passed)", sizeof(reason) - strlen(reason) - 1);
        sk_txn_would_block(t, rule, reason);
        return SK_ALLOW;
    }
    sk_txn_set_reason(t, rule, reason);
    sk_vs_page_ft(t, k, ja, rule, reason);
    return SK_BLOCK;
}

enum sk_verdict sk_vs_ft_decide(struct sk_txn *t, const struct sk_vs_ft *ft, int monitor,
                                int mism_block)
{
    char why[256];

    if (ft->hit != SK_FT_NONE) {
        snprintf(why, sizeof(why), "File type blocked: %s", sk_ft_kind_desc(ft->hit, 0));
        return sk_vs_ft_block(t, ft->hit, ft->hit_where, why, monitor);
    }
    if (ft->mism == SK_FT_NONE)
        return SK_CONTINUE;
    snprintf(why, sizeof(why), "File type mismatch: declared %s but the bytes are a %s",
             ft->mism_declared, sk_ft_kind_desc(ft->mism, 0));
    if (mism_block)
        return sk_vs_ft_block(t, ft->mism, "", why, monitor);
    strncat(why, " (filetype.on-mismatch log: passed)", sizeof(why) - strlen(why) - 1);
    sk_txn_set_reason(t, "filetype-mismatch", why);
    return SK_ALLOW;
}
