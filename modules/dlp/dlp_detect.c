/* dlp_detect.c - the built-in detectors over the engine's window: one
 * forward pass that stops only at digits and '@', tokenizes numbers with
 * single space/hyphen/dot separators, and validates candidates
 * (dlp_validate.c).
 * SECURITY: reads client text; every look-back and look-ahead is bounded by
 * the window and by SK_DLP_MAXTOK.
 */
#include <string.h>
#include <strings.h>

#include "dlp.h"

#define SK_C_DIGIT  0x01
#define SK_C_AT     0x02
#define SK_C_UPPER  0x04
#define SK_C_ALNUM  0x08 /* letters, digits, '_' */
#define SK_C_LOCAL  0x10 /* e-mail local part */
#define SK_C_DOMAIN 0x20
#define SK_C_LETTER 0x40 /* A-Z, a-z */

static unsigned char sk_cls[256];

__attribute__((constructor)) static void sk_dlp_cls_init(void)
{
    for (int c = 0; c < 256; c++) {
        unsigned char v = 0;
        if (c >= '0' && c <= '9')
            v |= SK_C_DIGIT | SK_C_ALNUM | SK_C_LOCAL | SK_C_DOMAIN;
        if (c >= 'A' && c <= 'Z')
            v |= SK_C_UPPER | SK_C_ALNUM | SK_C_LOCAL | SK_C_DOMAIN | SK_C_LETTER;
        if (c >= 'a' && c <= 'z')
            v |= SK_C_ALNUM | SK_C_LOCAL | SK_C_DOMAIN | SK_C_LETTER;
        if (c == '_')
            v |= SK_C_ALNUM | SK_C_LOCAL;
        if (c && strchr(".!#$%&'*+/=?^`{|}~-", c))
            v |= SK_C_LOCAL;
        if (c == '-' || c == '.')
            v |= SK_C_DOMAIN;
        if (c == '@')
            v |= SK_C_AT;
        sk_cls[c] = v;
    }
}

#define SK_MAXGROUPS   24
#define SK_GROUPDIGITS 24 /* a longer run is never part of a match */
#define SK_MAXDIGITS   (SK_MAXGROUPS * SK_GROUPDIGITS)

struct sk_tok {
    size_t start, end;
    char d[SK_MAXDIGITS];
    size_t nd;
    unsigned char glen[SK_MAXGROUPS]; /* 255: too long to matter */
    unsigned short goff[SK_MAXGROUPS];
    char sep[SK_MAXGROUPS]; /* separator after group i */
    size_t ng;
};

#define SK_INCOMPLETE ((size_t)-1)

/* Context words that raise confidence (searched case-insensitively in the
 * SK_NEAR bytes before a candidate). A bare 12/13-digit number, a bare
 * fixed-line number or an unformatted SSN only counts with one of these. */
#define SK_NEAR 48
static const char *const sk_kw_card[] = {"card", "カード", "クレジット", NULL};
static const char *const sk_kw_mynum[] = {"マイナンバー", "個人番号", "my number", "mynumber",
                                          NULL};
static const char *const sk_kw_corp[] = {"法人番号", "corporate number", NULL};
static const char *const sk_kw_ssn[] = {"ssn", "social security", NULL};
static const char *const sk_kw_phone[] = {"電話", "tel", "phone", "携帯", "fax", "連絡先", NULL};

static int sk_near(const struct sk_dlp_engine *e, size_t at, const char *const *kw)
{
    char w[SK_NEAR + 1];
    size_t from = at > SK_NEAR ? at - SK_NEAR : 0, n = at - from;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = e->buf[from + i];
        w[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    for (int i = 0; kw[i]; i++)
        if (memmem(w, n, kw[i], strlen(kw[i])))
            return 1;
    return 0;
}

static int sk_is(const struct sk_dlp_engine *e, size_t i, unsigned cls)
{
    return i < e->len && (sk_cls[e->buf[i]] & cls);
}

/* The prolonged sound mark at I (U+30FC, or its half-width form U+FF70),
 * which a Japanese IME in kana mode types for '-': 3, or SK_INCOMPLETE
 * when the window ends inside what may still be one, else 0. */
static size_t sk_choon(const unsigned char *b, size_t n, size_t i, int final)
{
    static const unsigned char choon[2][3] = {{0xe3, 0x83, 0xbc}, {0xef, 0xbd, 0xb0}};

    for (int k = 0; k < 2; k++) {
        size_t m = 0;
        while (m < 3 && i + m < n && b[i + m] == choon[k][m])
            m++;
        if (m == 3)
            return 3;
        if (i + m >= n && m > 0 && !final)
            return SK_INCOMPLETE;
    }
    return 0;
}

/* The separator at I, between two digit groups: one to three spaces or
 * tabs (kind ' ': text copied from PDFs and tables doubles them; a docx
 * or odt tab is a tab), a hyphen with at most one space on either side
 * ('-'; the fold made every dash one), a prolonged sound mark right
 * between two digits ('-': "4111ー1111", only there: it is a letter of
 * Japanese words), a lone dot ('.'), or a lone underscore ('_': the digit
 * separator of TOML, YAML, Python, Rust and Java numbers, which read
 * 4111_1111_1111_1111 as one integer). Its length, 0 when there is none,
 * SK_INCOMPLETE when the window ends before that is known. Four spaces or
 * more are columns, not one number. */
static size_t sk_sep(const unsigned char *b, size_t n, size_t i, int final, char *kind)
{
    size_t k = i;

    if (i < n && (b[i] == 0xe3 || b[i] == 0xef)) {
        if ((k = sk_choon(b, n, i, final)) == 0 || k == SK_INCOMPLETE)
            return k;
        *kind = '-';
        k += i;
        if (k >= n)
            return final ? 0 : SK_INCOMPLETE;
        return (sk_cls[b[k]] & SK_C_DIGIT) ? k - i : 0;
    }
    if (i < n && b[i] == '_') {
        *kind = '_';
        if (i + 1 >= n)
            return final ? 0 : SK_INCOMPLETE;
        return (sk_cls[b[i + 1]] & SK_C_DIGIT) ? 1 : 0;
    }
    if (i >= n || (b[i] != ' ' && b[i] != '\t' && b[i] != '-' && b[i] != '.'))
        return 0;
    while (k < n && (b[k] == ' ' || b[k] == '\t') && k - i < 4)
        k++;
    if (k < n && (b[k] == '-' || (b[k] == '.' && k == i)) && k - i <= 1) {
        *kind = (char)b[k++];
        if (*kind == '-' && k < n && b[k] == ' ')
            k++;
    } else if (k < n && k - i >= 1 && k - i <= 3) {
        *kind = ' ';
    } else {
        return k >= n && !final ? SK_INCOMPLETE : 0;
    }
    if (k >= n)
        return final ? 0 : SK_INCOMPLETE;
    return (sk_cls[b[k]] & SK_C_DIGIT) ? k - i : 0;
}

/* Digit groups joined by separators (sk_sep), from S. A token ends after
 * SK_MAXGROUPS groups; the rest starts a new one. Which runs of groups may
 * be candidates is sk_numbers' business. */
static size_t sk_tokenize(const struct sk_dlp_engine *e, size_t s, int final, struct sk_tok *t)
{
    const unsigned char *b = e->buf;
    size_t n = e->len, i = s;

    t->start = s;
    t->nd = t->ng = 0;
    for (;;) {
        size_t g = i;
        while (i < n && (sk_cls[b[i]] & SK_C_DIGIT))
            i++;
        t->goff[t->ng] = (unsigned short)t->nd;
        if (i - g <= SK_GROUPDIGITS) {
            memcpy(t->d + t->nd, b + g, i - g);
            t->nd += i - g;
            t->glen[t->ng] = (unsigned char)(i - g);
        } else {
            t->glen[t->ng] = 255;
        }
        t->sep[t->ng++] = 0;
        if (i + 1 >= n && !final)
            return SK_INCOMPLETE; /* the next byte decides */
        size_t len = 0;
        char kind = 0;
        if (t->ng < SK_MAXGROUPS && (len = sk_sep(b, n, i, final, &kind)) == SK_INCOMPLETE)
            return SK_INCOMPLETE;
        if (len == 0)
            break;
        t->sep[t->ng - 1] = kind;
        i += len;
    }
    t->end = i;
    return i;
}

/* Groups I..J form the layout L (lengths, 0-terminated)? */
static int sk_layout(const struct sk_tok *t, size_t i, size_t j, const unsigned char *l)
{
    size_t k = 0;

    for (; i + k <= j; k++)
        if (l[k] == 0 || t->glen[i + k] != l[k])
            return 0;
    return l[k] == 0;
}

static int sk_card_layout(const struct sk_tok *t, size_t i, size_t j)
{
    static const unsigned char amex[] = {4, 6, 5, 0}, diners[] = {4, 6, 4, 0};

    /* underscores: a number literal, one integer however it is grouped
     * (int("4_111_111_111_111_111") is 4111111111111111; red team s22) */
    if (i == j || t->sep[i] == '_' || sk_layout(t, i, j, amex) || sk_layout(t, i, j, diners))
        return 1;
    for (size_t k = i; k < j; k++)
        if (t->glen[k] != 4)
            return 0;
    return t->glen[j] >= 1 && t->glen[j] <= 4;
}

/* Which detector, if any, accepts groups I..J (TOT digits at D)? WHOLE:
 * they are the whole token, standing alone, without dots (only cards may
 * be a part of a token). */
static int sk_classify(struct sk_dlp_engine *e, const struct sk_tok *t, size_t i, size_t j,
                       const char *d, size_t tot, int whole, int *near)
{
    static const unsigned char l444[] = {4, 4, 4, 0}, l1444[] = {1, 4, 4, 4, 0},
                               l324[] = {3, 2, 4, 0};
    unsigned on = e->plan->builtins;
    int single = i == j;

    *near = 0;
    if ((on & (1u << SK_DLP_CARD)) && sk_card_layout(t, i, j) && sk_dlp_card_ok(d, tot)) {
        *near = sk_near(e, t->start, sk_kw_card);
        return SK_DLP_CARD;
    }
    if (!whole)
        return -1;
    if ((on & (1u << SK_DLP_CORP)) && tot == 13 && sk_dlp_corporate_ok(d, tot) &&
        ((*near = sk_near(e, t->start, sk_kw_corp)) || sk_layout(t, i, j, l1444)))
        return SK_DLP_CORP;
    if ((on & (1u << SK_DLP_MYNUM)) && tot == 12 && sk_dlp_mynumber_ok(d, tot) &&
        ((*near = sk_near(e, t->start, sk_kw_mynum)) || sk_layout(t, i, j, l444)))
        return SK_DLP_MYNUM;
    if ((on & (1u << SK_DLP_SSN)) && tot == 9 && sk_dlp_ssn_ok(d, tot) &&
        ((sk_layout(t, i, j, l324) && t->sep[0] == t->sep[1]) ||
         (single && (*near = sk_near(e, t->start, sk_kw_ssn)))))
        return SK_DLP_SSN;
    if ((on & (1u << SK_DLP_PHONE)) && (tot == 10 || tot == 11) && sk_dlp_jp_phone_ok(d, tot)) {
        int mobile = tot == 11 && d[2] == '0' && d[1] >= '7';
        int tollfree = memcmp(d, "0120", 4) == 0 || memcmp(d, "0800", 4) == 0;
        int formatted = j - i == 2 && t->glen[i] >= 2 && t->glen[i] <= 5 &&
                        (t->glen[j] == 4 || (t->glen[j] == 3 && tollfree));
        *near = sk_near(e, t->start, sk_kw_phone);
        if (formatted || (single && (mobile || *near)))
            return SK_DLP_PHONE;
    }
    return -1;
}

/* "+81-90-1234-5678" / "+81 3 1234 5678": national form "0" + the rest. */
static int sk_phone_intl(struct sk_dlp_engine *e, const struct sk_tok *t)
{
    char d[SK_MAXDIGITS];
    size_t n;
    int near;

    if (!(e->plan->builtins & (1u << SK_DLP_PHONE)) || t->start == 0 ||
        e->buf[t->start - 1] != '+' || t->ng != 4 || t->glen[0] != 2 || memcmp(t->d, "81", 2) ||
        t->nd > 13 || t->glen[1] == 255 || t->glen[2] == 255 || t->glen[3] == 255 ||
        memchr(t->sep, '.', 3))
        return 0;
    d[0] = '0';
    memcpy(d + 1, t->d + 2, t->nd - 2);
    n = t->nd - 1;
    if ((n != 10 && n != 11) || d[1] == '0' || !sk_dlp_jp_phone_ok(d, n))
        return 0;
    near = sk_near(e, t->start, sk_kw_phone);
    sk_dlp_engine_hit(e, SK_DLP_PHONE, d, n, near);
    return 1;
}

/* Candidates among groups FIRST..LAST of T (a group glued to a word, a
 * decimal or a thousands group on the token's edge is left out, so junk
 * glued in front cannot hide the card behind it). A run of groups has one
 * kind of separator and is never joined by a '.' to a group outside it: a
 * dotted run ("4111.1111.1111.1111") is taken whole or not at all, and
 * only as a card; a group next to a dot (a decimal, an address part)
 * never counts on its own. */
static void sk_numbers(struct sk_dlp_engine *e, const struct sk_tok *t, size_t first, size_t last)
{
    if (first == 0 && last == t->ng - 1 && sk_phone_intl(e, t))
        return;
    /* a token that carries its separator in front, after no letter or
     * digit, continues a structure to its left: a list of signed numbers
     * ("-6524 -6517 -6510 -6503", a table of iproute2's tc) or a dotted
     * one ("[.4300.0020.0011.0002]", a Unicode collation element) - its
     * runs of that separator are no card (one written "4111 -1111" or
     * "no.4111.1111..." still is) */
    char lead = 0;
    if (t->ng >= 2 && t->start > 0 &&
        (e->buf[t->start - 1] == '-' || e->buf[t->start - 1] == '.') &&
        (t->start == 1 || !(sk_cls[e->buf[t->start - 2]] & SK_C_ALNUM))) {
        lead = (char)e->buf[t->start - 1];
        for (size_t k = 0; k + 1 < t->ng; k++)
            if (t->sep[k] != lead)
                lead = 0;
    }
    for (size_t i = first; i <= last;) {
        size_t tot = 0, best_j = 0;
        int best = -1, best_near = 0, near;
        for (size_t j = i; j <= last && !(i > 0 && t->sep[i - 1] == '.') && !lead; j++) {
            tot += t->glen[j];
            if (tot > 19 || (j > i && t->sep[j - 1] != t->sep[i]))
                break;
            if (t->sep[j] == '.')
                continue;
            int whole = i == 0 && j == t->ng - 1 && first == 0 && last == j && t->sep[i] != '.';
            int det = sk_classify(e, t, i, j, t->d + t->goff[i], tot, whole, &near);
            if (det >= 0 && (det == SK_DLP_CARD || t->sep[i] != '.'))
                best = det, best_j = j, best_near = near;
        }
        if (best < 0) {
            i++;
            continue;
        }
        size_t len = 0;
        for (size_t k = i; k <= best_j; k++)
            len += t->glen[k];
        sk_dlp_engine_hit(e, (enum sk_dlp_det)best, t->d + t->goff[i], len, best_near);
        i = best_j + 1;
    }
}

/* IBAN starting at S (two letters before the digits at S+2), print form
 * (groups of four with single spaces or hyphens) or compact, in either
 * case (python-stdnum and banks' forms take "de89 3704..." and
 * "DE89-3704-..."). Returns the end offset on a hit, 0 when it is not one,
 * SK_INCOMPLETE. */
static size_t sk_iban(struct sk_dlp_engine *e, size_t s, int final)
{
    const unsigned char *b = e->buf;
    char v[40];
    size_t want, nv = 0, i = s;

    char cc[2] = {(char)(b[s] & ~0x20), (char)(b[s + 1] & ~0x20)};
    char sep = 0;

    if ((s > 0 && (sk_cls[b[s - 1]] & SK_C_ALNUM)) || (s == 0 && !e->bof))
        return 0;
    if ((want = (size_t)sk_dlp_iban_length(cc)) == 0)
        return 0;
    while (nv < want) {
        if (i >= e->len)
            return final ? 0 : SK_INCOMPLETE;
        if (sk_cls[b[i]] & (SK_C_LETTER | SK_C_DIGIT)) {
            unsigned char c = b[i++];
            v[nv++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        } else if ((b[i] == ' ' || b[i] == '-') && nv % 4 == 0 && nv > 0 &&
                   (sep == 0 || sep == (char)b[i])) {
            sep = (char)b[i++];
        } else {
            return 0;
        }
    }
    if (i >= e->len && !final)
        return SK_INCOMPLETE;
    if (sk_is(e, i, SK_C_ALNUM) || !sk_dlp_iban_ok(v, nv))
        return 0;
    sk_dlp_engine_hit(e, SK_DLP_IBAN, v, nv, 0);
    return i;
}

/* A number written with an exponent at S (4.111111111111111E+15,
 * 4111111111111111e0: what a spreadsheet's CSV or XLSX cell, YAML, .NET's
 * "R" format or a JSON number in a string writes for an integer): the
 * integer it stands for, when it has 13..19 digits and is one, is a card
 * candidate, as the JSON reader's numbers are. Returns the end on a hit,
 * 0 when it is none, SK_INCOMPLETE when the window ends inside it. */
static size_t sk_expnum_at(struct sk_dlp_engine *e, size_t s, int final)
{
    const unsigned char *b = e->buf;
    size_t n = e->len, i = s, nd = 0, frac = 0, xs;
    char d[20];
    int dot = 0;
    unsigned x = 0;

    if (!(e->plan->builtins & (1u << SK_DLP_CARD)) || b[s] == '0')
        return 0;
    for (; i < n && ((sk_cls[b[i]] & SK_C_DIGIT) || (b[i] == '.' && !dot && i > s)); i++) {
        if (b[i] == '.') {
            dot = 1;
            continue;
        }
        if (nd == sizeof(d) - 1)
            return 0;
        frac += (size_t)dot;
        d[nd++] = (char)b[i];
    }
    if (i >= n)
        return final ? 0 : SK_INCOMPLETE;
    if ((b[i] | 0x20) != 'e' || b[i - 1] == '.')
        return 0;
    if (++i < n && b[i] == '+')
        i++;
    for (xs = i; i < n && (sk_cls[b[i]] & SK_C_DIGIT) && i - xs < 3; i++)
        x = x * 10 + (unsigned)(b[i] - '0');
    if (i >= n && !final)
        return SK_INCOMPLETE;
    if (i == xs || sk_is(e, i, SK_C_ALNUM) || x < frac || nd + (x - frac) < 13 ||
        nd + (x - frac) > 19)
        return 0;
    while (x-- > frac)
        d[nd++] = '0';
    if (!sk_dlp_card_ok(d, nd))
        return 0;
    sk_dlp_engine_hit(e, SK_DLP_CARD, d, nd, sk_near(e, s, sk_kw_card));
    return i;
}

/* A number token at S; returns where to go on or SK_INCOMPLETE. */
static size_t sk_number_at(struct sk_dlp_engine *e, size_t s, int final)
{
    const unsigned char *b = e->buf;
    struct sk_tok t;
    size_t end, r;
    int left_ok, right_ok;

    if ((e->plan->builtins & (1u << SK_DLP_IBAN)) && s >= 2 && (sk_cls[b[s - 1]] & SK_C_LETTER) &&
        (sk_cls[b[s - 2]] & SK_C_LETTER)) {
        if ((r = sk_iban(e, s - 2, final)) == SK_INCOMPLETE)
            return SK_INCOMPLETE;
        if (r)
            return r;
    }
    if (s == 0 ? e->bof : !(sk_cls[b[s - 1]] & SK_C_ALNUM) && b[s - 1] != '.') {
        if ((r = sk_expnum_at(e, s, final)) != 0)
            return r;
    }
    if ((end = sk_tokenize(e, s, final, &t)) == SK_INCOMPLETE)
        return SK_INCOMPLETE;
    /* A first group glued to a word, a decimal fraction or a thousands
     * group is not a number of ours, nor is such a last group; the whole
     * run is consumed so its tail cannot match on its own. */
    left_ok =
        s == 0 ? e->bof
               : !(sk_cls[b[s - 1]] & SK_C_ALNUM) && !((b[s - 1] == '.' || b[s - 1] == ',') &&
                                                       s >= 2 && (sk_cls[b[s - 2]] & SK_C_DIGIT));
    right_ok =
        !sk_is(e, end, SK_C_ALNUM) && !((sk_is(e, end, 0xff) && (b[end] == '.' || b[end] == ',')) &&
                                        sk_is(e, end + 1, SK_C_DIGIT));
    if (t.ng > (size_t)!left_ok + (size_t)!right_ok)
        sk_numbers(e, &t, !left_ok, t.ng - 1 - !right_ok);
    return end;
}

/* A character of an internationalised domain name at I (UTF-8, not
 * ASCII): its length; 0 when it is none (ill-formed, or punctuation and
 * spaces a text puts after an address: U+2000..U+206F, the CJK marks
 * U+3000..U+303F, full-width forms U+FF00..U+FF65, U+FFF0 on);
 * SK_INCOMPLETE when the window ends inside it. */
static size_t sk_idn_char(const unsigned char *b, size_t n, size_t i, int final)
{
    unsigned char c = b[i];
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    uint32_t cp = c & (0x7f >> len);

    if (c < 0xc2 || c > 0xf4)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if (i + k >= n)
            return final ? 0 : SK_INCOMPLETE;
        if ((b[i + k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (b[i + k] & 0x3f);
    }
    if ((cp >= 0x2000 && cp <= 0x206f) || (cp >= 0x3000 && cp <= 0x303f) ||
        (cp >= 0xff00 && cp <= 0xff65) || cp >= 0xfff0 || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* E-mail around the '@' at A: local part back to a boundary (1..64),
 * domain forward (labels of letters, digits, hyphens, and the letters of
 * an internationalised name, UTF-8: пример.рф; a TLD of letters, or an
 * IDN's: "xn--p1ai" or its Unicode form). */
static size_t sk_email_at(struct sk_dlp_engine *e, size_t a, int final, size_t *resume)
{
    const unsigned char *b = e->buf;
    char v[SK_DLP_MAXTOK];
    size_t ls = a, de = a + 1, nv = 0, label = 0, labels = 0, tld_alpha = 1;

    while (ls > 0 && (sk_cls[b[ls - 1]] & SK_C_LOCAL) && a - ls <= 64)
        ls--;
    if (a == ls || a - ls > 64 || b[ls] == '.' || b[a - 1] == '.' ||
        memmem(b + ls, a - ls, "..", 2))
        return a + 1;
    for (size_t k; de < e->len && de - a <= 254; de += k) {
        if (sk_cls[b[de]] & SK_C_DOMAIN)
            k = 1;
        else if (b[de] < 0x80 || (k = sk_idn_char(b, e->len, de, final)) == 0)
            break;
        else if (k == SK_INCOMPLETE) {
            *resume = ls;
            return SK_INCOMPLETE;
        }
    }
    if (de >= e->len && !final) {
        *resume = ls;
        return SK_INCOMPLETE;
    }
    if (sk_is(e, de, SK_C_AT) || de - a > 254)
        return de;
    while (de > a + 1 && (b[de - 1] == '.' || b[de - 1] == '-'))
        de--; /* sentence punctuation */
    for (size_t i = ls; i < de; i++) {
        unsigned char c = b[i];
        v[nv++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    for (size_t i = a + 1; i <= de; i++) {
        if (i == de || b[i] == '.') {
            if (label == 0 || label > 63 || b[i - 1] == '-' || b[i - label] == '-')
                return de;
            labels++;
            /* a TLD of letters, or an IDN's A-label ("xn--p1ai") */
            if (i == de && !tld_alpha &&
                !(label > 4 && strncasecmp((const char *)b + i - label, "xn--", 4) == 0))
                return de;
            label = 0;
            tld_alpha = 1;
            continue;
        }
        label++;
        if (!((b[i] | 32) >= 'a' && (b[i] | 32) <= 'z') && b[i] < 0x80)
            tld_alpha = 0;
    }
    if (labels < 2 || de - a - 1 < 4)
        return de;
    {
        size_t tld = 0;
        while (tld < de - a && b[de - 1 - tld] != '.')
            tld++;
        if (tld < 2)
            return de;
    }
    sk_dlp_engine_hit(e, SK_DLP_EMAIL, v, nv, 0);
    return de;
}

size_t sk_dlp_detect(struct sk_dlp_engine *e, int final)
{
    const unsigned char *b = e->buf;
    size_t n = e->len, i = e->done, r, resume;
    unsigned char trig = 0;

    if (e->plan->builtins & ~(1u << SK_DLP_EMAIL))
        trig |= SK_C_DIGIT;
    if (e->plan->builtins & (1u << SK_DLP_EMAIL))
        trig |= SK_C_AT;
    if (trig == 0)
        return n;
    while (i < n) {
        /* The hot loop: most bytes are neither digits nor '@'. */
        while (i + 4 <= n && !(sk_cls[b[i]] & trig) && !(sk_cls[b[i + 1]] & trig) &&
               !(sk_cls[b[i + 2]] & trig) && !(sk_cls[b[i + 3]] & trig))
            i += 4;
        while (i < n && !(sk_cls[b[i]] & trig))
            i++;
        if (i >= n)
            break;
        resume = i;
        if (sk_cls[b[i]] & SK_C_DIGIT) {
            /* Digits glued to a previous run were consumed with it. */
            if (i > 0 && (sk_cls[b[i - 1]] & SK_C_DIGIT) && i != e->done) {
                i++;
                continue;
            }
            r = sk_number_at(e, i, final);
        } else {
            r = sk_email_at(e, i, final, &resume);
        }
        if (r == SK_INCOMPLETE) {
            /* Unfinished at the end of the window: retry from its start next
             * time, unless it is already longer than anything we match. */
            return n - resume > SK_DLP_MAXTOK ? n - 1 : resume;
        }
        i = r > i ? r : i + 1;
    }
    return n;
}
