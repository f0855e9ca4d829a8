/* dlp_validate.c - check digits and structural rules of the built-in
 * detectors, and masking for logs. Pure functions over digit strings that
 * the tokenizer (dlp_detect.c) has already bounded in length. */
#include <stdio.h>
#include <string.h>

#include "dlp.h"

static const char *const sk_dlp_names[SK_DLP_NBUILTIN] = {
    [SK_DLP_CARD] = "credit-card", [SK_DLP_MYNUM] = "my-number", [SK_DLP_CORP] = "corporate-number",
    [SK_DLP_SSN] = "ssn",          [SK_DLP_IBAN] = "iban",       [SK_DLP_EMAIL] = "email",
    [SK_DLP_PHONE] = "jp-phone",
};

const char *sk_dlp_det_name(enum sk_dlp_det d)
{
    return sk_dlp_names[d];
}

int sk_dlp_det_find(const char *name)
{
    for (int i = 0; i < SK_DLP_NBUILTIN; i++)
        if (strcmp(name, sk_dlp_names[i]) == 0)
            return i;
    return -1;
}

int sk_dlp_luhn(const char *d, size_t n)
{
    unsigned sum = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(d[n - 1 - i] - '0');
        if (i & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return n > 0 && sum % 10 == 0;
}

static unsigned sk_dlp_prefix(const char *d, size_t k)
{
    unsigned v = 0;

    for (size_t i = 0; i < k; i++)
        v = v * 10 + (unsigned)(d[i] - '0');
    return v;
}

/* Major brands by IIN range and length: Visa, Mastercard, American
 * Express, Discover, JCB, Diners Club, UnionPay. Maestro (12-19 digits,
 * prefixes shared with many non-card numbers) is left out on purpose. */
int sk_dlp_card_ok(const char *d, size_t n)
{
    unsigned p2, p3, p4;
    int brand = 0;

    if (n < 13 || n > 19)
        return 0;
    p2 = sk_dlp_prefix(d, 2), p3 = sk_dlp_prefix(d, 3), p4 = sk_dlp_prefix(d, 4);
    if (d[0] == '4')
        brand = n == 13 || n == 16 || n == 19;
    else if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
        brand = n == 16;
    else if (p2 == 34 || p2 == 37)
        brand = n == 15;
    else if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
        brand = n >= 16;
    else if (p4 >= 3528 && p4 <= 3589)
        brand = n >= 16;
    else if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
        brand = n >= 14;
    else if (p2 == 62)
        brand = n >= 16;
    return brand && sk_dlp_luhn(d, n);
}

/* 個人番号: 11 digits + check digit (総務省令 第五条). P(n) is the n-th
 * digit from the right excluding the check digit, Q(n) = n+1 for n <= 6,
 * n-5 for n >= 7; r = sum mod 11; check = r <= 1 ? 0 : 11 - r. */
int sk_dlp_mynumber_ok(const char *d, size_t n)
{
    unsigned sum = 0, r;

    if (n != 12)
        return 0;
    for (unsigned k = 1; k <= 11; k++)
        sum += (unsigned)(d[11 - k] - '0') * (k <= 6 ? k + 1 : k - 5);
    r = sum % 11;
    return (unsigned)(d[11] - '0') == (r <= 1 ? 0 : 11 - r);
}

/* 法人番号: check digit first, then 12 digits. P(n) is the n-th of those
 * from the right, Q(n) = 1 (odd n) or 2 (even n); check = 9 - sum mod 9. */
int sk_dlp_corporate_ok(const char *d, size_t n)
{
    unsigned sum = 0;

    if (n != 13 || d[0] == '0')
        return 0;
    for (unsigned k = 1; k <= 12; k++)
        sum += (unsigned)(d[13 - k] - '0') * ((k & 1) ? 1 : 2);
    return (unsigned)(d[0] - '0') == 9 - sum % 9;
}

/* US SSN: area 001-899 except 666, group 01-99, serial 0001-9999; the
 * numbers the SSA itself voided or that circulate as examples are out. */
int sk_dlp_ssn_ok(const char *d, size_t n)
{
    static const char *const voided[] = {"078051120", "219099999", "123456789", NULL};
    unsigned area, group, serial;

    if (n != 9)
        return 0;
    area = sk_dlp_prefix(d, 3), group = sk_dlp_prefix(d + 3, 2), serial = sk_dlp_prefix(d + 5, 4);
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
        return 0;
    for (int i = 0; voided[i]; i++)
        if (memcmp(d, voided[i], 9) == 0)
            return 0;
    return 1;
}

/* Japanese numbers (national form, leading 0): 10 digits for fixed lines
 * (0A-..., A != 0) and 0120/0570 services, 11 digits for 070/080/090
 * mobiles, 050 IP phones, 020 and 0800 numbers. */
int sk_dlp_jp_phone_ok(const char *d, size_t n)
{
    if (d[0] != '0')
        return 0;
    if (n == 11)
        return (d[2] == '0' &&
                (d[1] == '7' || d[1] == '8' || d[1] == '9' || d[1] == '5' || d[1] == '2')) ||
               memcmp(d, "0800", 4) == 0;
    if (n == 10) /* 050/070/080/090 numbers have 11 digits */
        return (d[1] != '0' && !(d[2] == '0' && strchr("5789", d[1]))) || memcmp(d, "0120", 4) == 0;
    return 0;
}

/* IBAN lengths by country (ISO 13616 registry). */
static const struct {
    char cc[3];
    unsigned char len;
} sk_dlp_iban_len[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27},
    {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15},
    {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

int sk_dlp_iban_length(const char *cc)
{
    size_t lo = 0, hi = sizeof(sk_dlp_iban_len) / sizeof(sk_dlp_iban_len[0]);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(cc, sk_dlp_iban_len[mid].cc, 2);
        if (c == 0)
            return sk_dlp_iban_len[mid].len;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* Country length, digits for the check, alphanumeric BBAN, mod 97 == 1
 * over BBAN + country + check digits with letters as 10..35. */
int sk_dlp_iban_ok(const char *s, size_t n)
{
    unsigned rem = 0;

    if (n < 15 || n > 34 || (size_t)sk_dlp_iban_length(s) != n || s[2] < '0' || s[2] > '9' ||
        s[3] < '0' || s[3] > '9')
        return 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        if (c >= '0' && c <= '9')
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return 0;
    }
    return rem == 1;
}

static void sk_dlp_last4(const char *v, size_t n, char *out, size_t size, const char *prefix)
{
    snprintf(out, size, "%s%.*s", prefix, (int)(n < 4 ? n : 4), v + (n < 4 ? 0 : n - 4));
}

void sk_dlp_mask(enum sk_dlp_det d, const char *v, size_t n, char *out, size_t size)
{
    const char *at;

    switch (d) {
    case SK_DLP_CARD:
        snprintf(out, size, "%.4s **** **** %.4s", v, v + n - 4);
        break;
    case SK_DLP_MYNUM:
        snprintf(out, size, "**** **** ****");
        break;
    case SK_DLP_CORP:
        sk_dlp_last4(v, n, out, size, "*-****-****-");
        break;
    case SK_DLP_SSN:
        sk_dlp_last4(v, n, out, size, "***-**-");
        break;
    case SK_DLP_IBAN:
        snprintf(out, size, "%.2s** **** **** %.4s", v, v + n - 4);
        break;
    case SK_DLP_PHONE:
        sk_dlp_last4(v, n, out, size, "***-****-");
        break;
    case SK_DLP_EMAIL:
        at = memchr(v, '@', n);
        if (at == NULL)
            at = v;
        snprintf(out, size, "%c***%.*s", v[0], (int)(n - (size_t)(at - v)), at);
        break;
    default:
        snprintf(out, size, "***");
    }
}
