/* sk_unlzw.c - Unix compress (.Z, LZW) decoding, as ncompress and gzip -d
 * read it: the header 0x1f 0x9d and a flags byte (the largest code width,
 * 9-16 bits, and "block mode": code 256 clears the table); codes LSB first,
 * 9 bits wide to start, one bit wider each time the table outgrows the
 * width. compress writes codes in groups of eight (one group is as many
 * bytes as the code is bits wide) and pads the group a width change or a
 * clear ends, so the reader skips to the end of that group: bytes are
 * counted from the start of each width's section.
 * SECURITY: the file is client-controlled. Fixed memory (a 64 Ki-entry
 * table and the string stack, about 256 KiB); a code beyond the next free
 * entry, or a first code that is no byte, is corrupt; a string is at most
 * the table's size long. Output is bounded by the caller (its limits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sk_unlzw.h"

#define SK_LZW_MAX   16 /* widest code (a 9-bit file's full table: 10) */
#define SK_LZW_CLEAR 256

struct sk_unlzw {
    unsigned char hdr[3];
    size_t nhdr;
    int block;        /* block mode: CLEAR resets the table */
    unsigned maxbits; /* widest code of this file */
    unsigned bits;    /* current width */
    uint32_t acc;     /* bits not yet used, LSB first */
    unsigned nacc;
    uint64_t section; /* bytes taken since this width's section began */
    unsigned skip;    /* bytes still to skip to the end of a padded group */
    uint32_t free_ent, maxcode;
    int32_t oldcode; /* -1: none yet */
    unsigned char finchar;
    uint16_t prefix[1u << SK_LZW_MAX];
    unsigned char suffix[1u << SK_LZW_MAX];
    unsigned char stack[1u << SK_LZW_MAX];
};

struct sk_unlzw *sk_unlzw_new(void)
{
    struct sk_unlzw *z = malloc(sizeof(*z));

    if (z) {
        z->nhdr = 0;
        z->oldcode = -1;
    }
    return z;
}

void sk_unlzw_free(struct sk_unlzw *z)
{
    free(z);
}

/* A section ends (a wider code, a clear): skip the rest of its group. */
static void sk_unlzw_section_end(struct sk_unlzw *z)
{
    unsigned g = z->bits; /* a group is BITS bytes */

    z->nacc = 0; /* the rest of the byte in hand is padding */
    z->acc = 0;
    z->skip = (unsigned)((g - z->section % g) % g);
    z->section = 0;
}

/* Codes of BITS from now on. The widest width's last code is the table's
 * end; the first width's is always 511, so a file of 9-bit codes at most
 * goes on in 10-bit codes once its table is full (as compress writes it). */
/* Codes of BITS from now on. The widest width's last code is the table's
 * end; the first width's is always 511, so a file of 9-bit codes at most
 * goes on in 10-bit codes once its table is full, as gzip -d and
 * ncompress read it (ncompress 4.2.4 writes -b9 files neither reads). */
static void sk_unlzw_width(struct sk_unlzw *z, unsigned bits)
{
    z->bits = bits;
    z->maxcode = bits != 9 && bits == z->maxbits ? (1u << bits) : (1u << bits) - 1;
}

int sk_unlzw_feed(struct sk_unlzw *z, const unsigned char *p, size_t n, size_t *used,
                  int (*emit)(void *, const void *, size_t), void *arg)
{
    const unsigned char *p0 = p;

    while (z->nhdr < 3 && n > 0) {
        z->hdr[z->nhdr++] = *p++, n--;
        if (z->nhdr == 3) {
            if (z->hdr[0] != 0x1f || z->hdr[1] != 0x9d || (z->hdr[2] & 0x1f) < 9 ||
                (z->hdr[2] & 0x1f) > SK_LZW_MAX) {
                *used = (size_t)(p - p0);
                return -1;
            }
            z->block = (z->hdr[2] & 0x80) != 0;
            z->maxbits = z->hdr[2] & 0x1f;
            z->free_ent = z->block ? 257 : 256;
            z->acc = z->nacc = 0;
            z->section = z->skip = 0;
            sk_unlzw_width(z, 9);
        }
    }
    while (n > 0) {
        if (z->skip) {
            size_t k = z->skip < n ? z->skip : n;
            z->skip -= (unsigned)k, p += k, n -= k;
            continue;
        }
        /* a wider code once the table outgrew this width */
        if (z->free_ent > z->maxcode) {
            sk_unlzw_section_end(z);
            sk_unlzw_width(z, z->bits + 1);
            continue;
        }
        while (z->nacc < z->bits && n > 0) {
            z->acc |= (uint32_t)*p++ << z->nacc;
            z->nacc += 8, n--;
            z->section++;
        }
        if (z->nacc < z->bits)
            break; /* wait for more */
        uint32_t code = z->acc & ((1u << z->bits) - 1);
        z->acc >>= z->bits;
        z->nacc -= z->bits;
        if (z->oldcode == -1) {
            if (code >= 256) {
                *used = (size_t)(p - p0);
                return -1;
            }
            z->oldcode = (int32_t)code;
            z->finchar = (unsigned char)code;
            if (emit(arg, &z->finchar, 1) == -1)
                return -2;
            continue;
        }
        if (code == SK_LZW_CLEAR && z->block) {
            sk_unlzw_section_end(z);
            z->free_ent = 256; /* the next entry made is never used: 257 comes after */
            sk_unlzw_width(z, 9);
            continue;
        }
        uint32_t in = code;
        size_t sp = sizeof(z->stack);
        if (code >= z->free_ent) { /* the string being defined (KwKwK) */
            if (code > z->free_ent) {
                *used = (size_t)(p - p0);
                return -1;
            }
            z->stack[--sp] = z->finchar;
            code = (uint32_t)z->oldcode;
        }
        while (code >= 256) {
            if (sp <= 1) {
                *used = (size_t)(p - p0);
                return -1;
            }
            z->stack[--sp] = z->suffix[code];
            code = z->prefix[code];
        }
        z->finchar = (unsigned char)code;
        z->stack[--sp] = z->finchar;
        if (emit(arg, z->stack + sp, sizeof(z->stack) - sp) == -1)
            return -2;
        if (z->free_ent < (1u << z->maxbits)) {
            z->prefix[z->free_ent] = (uint16_t)z->oldcode;
            z->suffix[z->free_ent] = z->finchar;
            z->free_ent++;
        }
        z->oldcode = (int32_t)in;
    }
    return 0;
}
