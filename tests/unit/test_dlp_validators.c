/* test_dlp_validators.c - dlp's validators (card Luhn and brands, My
 * Number, corporate number, IBAN, SSN) against independent oracles over
 * pseudo-random inputs, through the module. Shared fixture:
 * support/dlp_fixture.c. */
#include "dlp.h"
#include "dlp_fixture.h"

/* ---- issue 16: validators against independent oracles ----
 * Each validator is compared with a naive implementation written from the
 * published rule (not from dlp_validate.c) over pseudo-random inputs, plus
 * the values the mutation check (contrib/mutants.sh) showed were missing. */

static unsigned long o16_rng = 16;

static unsigned o16_rand(unsigned n)
{
    o16_rng = o16_rng * 6364136223846793005ul + 1442695040888963407ul;
    return (unsigned)((o16_rng >> 33) % n);
}

/* Luhn as ISO/IEC 7812-1 states it: from the right, double every second
 * digit, add the digits of the products, total divisible by 10. */
static int o16_luhn(const char *d, size_t n)
{
    int total = 0, dbl = 0;

    for (size_t i = n; i-- > 0;) {
        int v = d[i] - '0';
        if (dbl) {
            v *= 2;
            v = v / 10 + v % 10;
        }
        total += v;
        dbl = !dbl;
    }
    return total % 10 == 0;
}

/* 個人番号: check = 11 - (sum P(n)Q(n) mod 11), or 0 when the remainder is 0 or 1. */
static int o16_mynumber_check(const char *d)
{
    static const int q[11] = {6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2}; /* Q for d[0..10] */
    int sum = 0;

    for (int i = 0; i < 11; i++)
        sum += (d[i] - '0') * q[i];
    return sum % 11 <= 1 ? 0 : 11 - sum % 11;
}

/* 法人番号: check = 9 - (sum over the 12 digits, weights 2,1,2,1,... from the left) mod 9. */
static int o16_corporate_check(const char *d12)
{
    int sum = 0;

    for (int i = 0; i < 12; i++)
        sum += (d12[i] - '0') * (i % 2 == 0 ? 2 : 1);
    return 9 - sum % 9;
}

/* ISO 13616 mod 97 over the rearranged string, digit by digit. */
static int o16_iban_mod97(const char *s)
{
    char buf[80];
    size_t n = strlen(s), o = 0;
    int rem = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[(i + 4) % n];
        if (c >= 'A' && c <= 'Z')
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%d", c - 'A' + 10);
        else
            buf[o++] = c;
    }
    for (size_t i = 0; i < o; i++)
        rem = (rem * 10 + (buf[i] - '0')) % 97;
    return rem;
}

static void test_o16_card_luhn(void **state)
{
    char d[20];

    /* the mutation survivors: Luhn % 5 took these for cards */
    assert_int_equal(sk_dlp_card_ok("4111111111111116", 16), 0);
    assert_int_equal(sk_dlp_luhn("4111111111111116", 16), 0);
    assert_int_equal(sk_dlp_card_ok("4111111111111111", 16), 1);
    check_text("pay with 4111111111111116 today", NULL, __LINE__);
    check_text("pay with 4111 1111 1111 1116 today", NULL, __LINE__);
    /* Visa is 13, 16 or 19 digits only */
    assert_int_equal(sk_dlp_card_ok("4111111111111", 13), o16_luhn("4111111111111", 13));
    for (int k = 0; k < 20000; k++) {
        size_t n = 13 + o16_rand(7);
        d[0] = '4';
        for (size_t i = 1; i < n; i++)
            d[i] = (char)('0' + o16_rand(10));
        d[n] = '\0';
        int want = (n == 13 || n == 16 || n == 19) && o16_luhn(d, n);
        if (sk_dlp_card_ok(d, n) != want)
            fail_msg("card %s: validator %d, oracle %d", d, sk_dlp_card_ok(d, n), want);
        if (sk_dlp_luhn(d, n) != o16_luhn(d, n))
            fail_msg("luhn %s: validator %d, oracle %d", d, sk_dlp_luhn(d, n), o16_luhn(d, n));
    }
}

static void test_o16_mynumber(void **state)
{
    char d[13];

    /* remainder 1 gives check digit 0 (the r <= 1 rule) */
    assert_int_equal(o16_mynumber_check("12345678900"), 0);
    assert_int_equal(sk_dlp_mynumber_ok("123456789000", 12), 1);
    check_text("マイナンバー：123456789000", "my-number", __LINE__);
    for (int k = 0; k < 5000; k++) {
        for (int i = 0; i < 11; i++)
            d[i] = (char)('0' + o16_rand(10));
        d[12] = '\0';
        int good = o16_mynumber_check(d);
        for (int c = 0; c <= 9; c++) {
            d[11] = (char)('0' + c);
            if (sk_dlp_mynumber_ok(d, 12) != (c == good))
                fail_msg("my number %s: validator %d, oracle check digit %d", d,
                         sk_dlp_mynumber_ok(d, 12), good);
        }
    }
}

static void test_o16_corporate(void **state)
{
    char d[14];

    for (int k = 0; k < 5000; k++) {
        for (int i = 1; i < 13; i++)
            d[i] = (char)('0' + o16_rand(10));
        d[13] = '\0';
        int good = o16_corporate_check(d + 1);
        for (int c = 0; c <= 9; c++) {
            d[0] = (char)('0' + c);
            /* the check digit is 1..9 by construction: a leading 0 never passes */
            if (sk_dlp_corporate_ok(d, 13) != (c == good))
                fail_msg("corporate number %s: validator %d, oracle check digit %d", d,
                         sk_dlp_corporate_ok(d, 13), good);
        }
    }
    /* 9 - sum % 9 is 9 when sum % 9 == 0: find such a base, it must validate with 9 */
    int seen9 = 0;
    for (int k = 0; k < 2000 && !seen9; k++) {
        for (int i = 1; i < 13; i++)
            d[i] = (char)('0' + o16_rand(10));
        if (o16_corporate_check(d + 1) == 9) {
            d[0] = '9';
            assert_int_equal(sk_dlp_corporate_ok(d, 13), 1);
            seen9 = 1;
        }
    }
    assert_true(seen9);
}

static void test_o16_iban_ssn(void **state)
{
    char s[40];

    /* GB with a correct mod-97 check but 21 and 23 characters: wrong length */
    const char *bban[] = {"WEST1234569876543", "WEST123456987654321", "WEST12345698765432", NULL};
    for (int b = 0; bban[b]; b++) {
        snprintf(s, sizeof(s), "GB00%s", bban[b]);
        int chk = 98 - o16_iban_mod97(s);
        s[2] = (char)('0' + chk / 10), s[3] = (char)('0' + chk % 10);
        assert_int_equal(o16_iban_mod97(s), 1);
        assert_int_equal(sk_dlp_iban_ok(s, strlen(s)), strlen(s) == 22);
    }
    for (int k = 0; k < 5000; k++) {
        snprintf(s, sizeof(s), "DE%02u", o16_rand(100));
        for (int i = 4; i < 22; i++)
            s[i] = (char)('0' + o16_rand(10));
        s[22] = '\0';
        if (sk_dlp_iban_ok(s, 22) != (o16_iban_mod97(s) == 1))
            fail_msg("iban %s: validator %d, oracle mod 97 = %d", s, sk_dlp_iban_ok(s, 22),
                     o16_iban_mod97(s));
    }
    assert_int_equal(sk_dlp_ssn_ok("666123456", 9), 0);
    assert_int_equal(sk_dlp_ssn_ok("665123456", 9), 1);
    assert_int_equal(sk_dlp_ssn_ok("667123456", 9), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_o16_card_luhn), /* issue 16 */
        cmocka_unit_test(test_o16_mynumber),
        cmocka_unit_test(test_o16_corporate),
        cmocka_unit_test(test_o16_iban_ssn),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
