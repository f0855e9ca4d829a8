/* sk_page_builtin.c - the default page templates (templates/block.*),
 * embedded at build time: used by the core default page, virus_scan and
 * dlp unless an administrator's template directory replaces them. */
#include "sekisho/page.h"
#include "sk_builtin.h" /* generated from templates/ by embed.cmake */

const struct sk_page_builtin sk_page_builtin_generic = {
    .text =
        {
            [SK_LANG_EN] = {(const char *)sk_builtin_block_en_html,
                            (const char *)sk_builtin_block_en_txt},
            [SK_LANG_JA] = {(const char *)sk_builtin_block_ja_html,
                            (const char *)sk_builtin_block_ja_txt},
        },
};
