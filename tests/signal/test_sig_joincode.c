/* Join codes: format/parse round trip, typing tolerance, derivations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "signal/joincode.h"

static void test_wordlist(void **state)
{
    (void)state;
    for (int i = 0; i < TL_JOINCODE_NWORDS; i++) {
        const char *w = tl_joincode_words[i];
        size_t n = strlen(w);
        assert_true(n >= 3 && n <= 5);
        if (i)
            assert_true(strcmp(tl_joincode_words[i - 1], w) < 0); /* sorted, distinct */
        assert_int_equal(tl_joincode_word_index(w, n), i);
        if (n == 5)
            assert_int_equal(tl_joincode_word_index(w, 4), i); /* 4-letter prefix */
        for (int j = 0; j < i; j++)
            assert_false(strlen(tl_joincode_words[j]) >= 4 && n >= 4 &&
                         !strncmp(tl_joincode_words[j], w, 4));
    }
    assert_int_equal(tl_joincode_word_index("zzzz", 4), -1);
    assert_int_equal(tl_joincode_word_index("ab", 2), -1);
}

static void test_round_trip(void **state)
{
    (void)state;
    const uint8_t rnd[7] = {0x03, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
    char code[TL_JOINCODE_MAX_TEXT];
    assert_int_equal(tl_joincode_format(42, rnd, "ws://192.168.1.5:7788", code, sizeof(code)),
                     TL_OK);
    /* ws:// is implied */
    assert_non_null(strstr(code, "@192.168.1.5:7788"));
    assert_null(strstr(code, "ws://"));
    assert_int_equal(strncmp(code, "000042-", 7), 0);

    tl_joincode jc;
    assert_int_equal(tl_joincode_parse(code, &jc), TL_OK);
    assert_int_equal(jc.group, 42);
    assert_string_equal(jc.url, "ws://192.168.1.5:7788");
    uint8_t proof[32], secret[32];
    assert_int_equal(tl_joincode_derive(42, rnd, proof, secret), TL_OK);
    assert_memory_equal(jc.proof, proof, 32);
    assert_memory_equal(jc.secret, secret, 32);
    assert_memory_not_equal(proof, secret, 32);
    /* Known answers, computed independently with Node's crypto.hkdfSync
     * (the derivation in docs/SIGNALING.md §3). */
    static const uint8_t kat_proof[32] = {0x4a, 0xe2, 0x95, 0x35, 0xc0, 0xd3, 0x92, 0xfb,
                                          0xec, 0x63, 0xa8, 0x70, 0xed, 0x58, 0x57, 0x6f,
                                          0xdf, 0xad, 0x0e, 0x5c, 0x7f, 0x55, 0x57, 0xaa,
                                          0x85, 0x82, 0xdf, 0xf1, 0x4f, 0xc2, 0xa9, 0x87};
    static const uint8_t kat_secret[32] = {0xc1, 0xe4, 0x4e, 0x0a, 0x13, 0xfa, 0x84, 0x9a,
                                           0x79, 0xfb, 0x94, 0x72, 0x38, 0x08, 0x8a, 0x67,
                                           0x3f, 0x58, 0xc5, 0xb7, 0x53, 0xf9, 0x17, 0x8c,
                                           0x76, 0x5e, 0xc1, 0xe3, 0xef, 0xef, 0x61, 0xe0};
    assert_memory_equal(proof, kat_proof, 32);
    assert_memory_equal(secret, kat_secret, 32);

    /* Typed in upper case, with spaces and four-letter prefixes. */
    char typed[TL_JOINCODE_MAX_TEXT];
    size_t o = 0;
    for (const char *p = code; *p && *p != '@'; p++)
        typed[o++] = *p == '-' ? ' ' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    typed[o] = '\0';
    tl_joincode jc2;
    assert_int_equal(tl_joincode_parse(typed, &jc2), TL_OK);
    assert_string_equal(jc2.url, "");
    assert_memory_equal(jc2.secret, secret, 32);

    /* wss locations keep their scheme. */
    assert_int_equal(tl_joincode_format(999999, rnd, "wss://sig.example:443", code, sizeof(code)),
                     TL_OK);
    assert_int_equal(tl_joincode_parse(code, &jc), TL_OK);
    assert_string_equal(jc.url, "wss://sig.example:443");
    assert_int_equal(jc.group, 999999);
    tl_joincode_wipe(&jc);
    tl_joincode_wipe(&jc2);
}

static void test_proof_independent_of_key_bits(void **state)
{
    (void)state;
    /* Same join password (top 20 bits), different key bits: same proof,
     * different secret. The server can never learn the key bits. */
    uint8_t a[7] = {0x01, 0x23, 0x45, 0x00, 0x00, 0x00, 0x01};
    uint8_t b[7] = {0x01, 0x23, 0x45, 0x3f, 0xff, 0xff, 0xff};
    /* bits 30..49 are rnd[0]&3, rnd[1], rnd[2], rnd[3]>>6: equal in a and b */
    a[2] = 0x40;
    b[2] = 0x40;
    uint8_t pa[32], sa[32], pb[32], sb[32];
    assert_int_equal(tl_joincode_derive(7, a, pa, sa), TL_OK);
    assert_int_equal(tl_joincode_derive(7, b, pb, sb), TL_OK);
    assert_memory_equal(pa, pb, 32);
    assert_memory_not_equal(sa, sb, 32);
    /* A different group changes both. */
    uint8_t pc[32], sc[32];
    assert_int_equal(tl_joincode_derive(8, a, pc, sc), TL_OK);
    assert_memory_not_equal(pa, pc, 32);
    assert_memory_not_equal(sa, sc, 32);
}

static void test_bad_codes(void **state)
{
    (void)state;
    tl_joincode jc;
    const char *bad[] = {
        "",
        "12345-able-acid-acorn-acre-actor",            /* 5 digits */
        "123456-able-acid-acorn-acre",                 /* 4 words */
        "123456-able-acid-acorn-acre-actor-adapt",     /* 6 words */
        "123456-able-acid-acorn-acre-xyzzy",           /* unknown word */
        "123456-able-acid-acorn-acre-act0r",           /* digit in word */
        "123456-able-acid-acorn-acre-actor@",          /* empty location */
        "123456-able-acid-acorn-acre-actor@ftp://x:1", /* bad scheme */
        "123456-able-acid-acorn-acre-actor@host",      /* no port */
        "abcdef-able-acid-acorn-acre-actor",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tl_joincode_parse(bad[i], &jc), TL_ERR_PARSE);
    assert_int_equal(tl_joincode_parse(NULL, &jc), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_joincode_parse("123456-able-acid-acorn-acre-actor@127.0.0.1:1", &jc),
                     TL_OK);
    uint8_t rnd[7] = {0};
    char small[10];
    assert_int_equal(tl_joincode_format(1, rnd, NULL, small, sizeof(small)), TL_ERR_TOO_BIG);
    assert_int_equal(tl_joincode_format(1000000, rnd, NULL, small, sizeof(small)),
                     TL_ERR_INVALID_ARG);
}

/* The sender's identity for people: the six-word group fingerprint and a
 * long code's 160-bit commitment (docs/CRYPTO.md §3). */
static void test_sender_identity(void **state)
{
    (void)state;
    uint8_t id[32], fp[32];
    for (int i = 0; i < 32; i++)
        id[i] = (uint8_t)(0x9d * i + 7);
    char words[128];
    assert_int_equal(tl_sender_fingerprint(id, words, sizeof(words)), TL_OK);
    /* Six words, each the word of 10 bits of the hash, first bits first. */
    int spaces = 0;
    for (const char *p = words; *p; p++)
        spaces += *p == ' ';
    assert_int_equal(spaces, 5);
    assert_memory_equal(words, tl_joincode_words[(id[0] << 2) | (id[1] >> 6)],
                        strlen(tl_joincode_words[(id[0] << 2) | (id[1] >> 6)]));
    /* Parsed back: the first 60 bits, the rest zero; any case, hyphens,
     * four-letter prefixes. */
    assert_int_equal(tl_sender_fingerprint_parse(words, fp), TL_OK);
    assert_memory_equal(fp, id, 7);
    assert_int_equal(fp[7], id[7] & 0xf0);
    for (int i = 8; i < 32; i++)
        assert_int_equal(fp[i], 0);
    char upper[128];
    size_t n = strlen(words);
    for (size_t i = 0; i <= n; i++) {
        char ch = words[i];
        upper[i] = ch == ' ' ? '-' : (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    uint8_t fp2[32];
    assert_int_equal(tl_sender_fingerprint_parse(upper, fp2), TL_OK);
    assert_memory_equal(fp, fp2, 32);
    /* Five words, seven words, an unknown word, a digit: refused. */
    char five[128];
    snprintf(five, sizeof(five), "%s", words);
    *strrchr(five, ' ') = '\0';
    assert_int_equal(tl_sender_fingerprint_parse(five, fp2), TL_ERR_PARSE);
    char seven[160];
    snprintf(seven, sizeof(seven), "%s %s", words, tl_joincode_words[0]);
    assert_int_equal(tl_sender_fingerprint_parse(seven, fp2), TL_ERR_PARSE);
    assert_int_equal(tl_sender_fingerprint_parse("zzzzz zzzzz zzzzz zzzzz zzzzz zzzzz", fp2),
                     TL_ERR_PARSE);
    assert_int_equal(tl_sender_fingerprint_parse("", fp2), TL_ERR_PARSE);

    /* A long code: the short code plus the commitment; it parses to the same
     * group and secret, with the first 160 bits of the identity. */
    uint8_t rnd[TL_JOINCODE_RANDOM_LEN] = {1, 2, 3, 4, 5, 6, 7};
    char code[TL_JOINCODE_MAX_TEXT], lc[TL_JOINCODE_MAX_TEXT];
    assert_int_equal(tl_joincode_format(123456, rnd, "ws://127.0.0.1:7788", code, sizeof(code)),
                     TL_OK);
    assert_int_equal(tl_joincode_long(code, id, lc, sizeof(lc)), TL_OK);
    assert_int_equal(strlen(lc), strlen(code) + 1 + TL_SENDER_COMMIT_CHARS);
    tl_joincode a, b;
    assert_int_equal(tl_joincode_parse(code, &a), TL_OK);
    assert_int_equal(tl_joincode_parse(lc, &b), TL_OK);
    assert_false(a.has_sender);
    assert_true(b.has_sender);
    assert_int_equal(a.group, b.group);
    assert_memory_equal(a.secret, b.secret, sizeof(a.secret));
    assert_memory_equal(b.sender, id, TL_JOINCODE_SENDER_LEN);
    assert_string_equal(a.url, b.url);
    /* A commitment one character short, or with a character outside base32,
     * or two commitments: not a code. */
    char bad[TL_JOINCODE_MAX_TEXT];
    snprintf(bad, sizeof(bad), "%s", lc);
    char *at = strchr(bad, '@');
    memmove(at - 1, at, strlen(at) + 1);
    assert_int_equal(tl_joincode_parse(bad, &b), TL_ERR_PARSE);
    snprintf(bad, sizeof(bad), "%s", lc);
    strchr(bad, '@')[-1] = '1';
    assert_int_equal(tl_joincode_parse(bad, &b), TL_ERR_PARSE);
    char twice[TL_JOINCODE_MAX_TEXT];
    assert_int_equal(tl_joincode_long(lc, id, twice, sizeof(twice)), TL_OK);
    assert_int_equal(tl_joincode_parse(twice, &b), TL_ERR_PARSE);
    tl_joincode_wipe(&a);
    tl_joincode_wipe(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wordlist),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_proof_independent_of_key_bits),
        cmocka_unit_test(test_bad_codes),
        cmocka_unit_test(test_sender_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
