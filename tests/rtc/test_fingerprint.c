/* tl_fingerprint_verify against real certificates generated here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rtc/sdp.h"

typedef struct cert {
    uint8_t *der;
    size_t der_len;
    uint8_t fp[TL_FINGERPRINT_LEN]; /* from X509_digest, independent of the code under test */
} cert;

static void make_cert(cert *out, const char *cn)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    assert_int_equal(X509_set_pubkey(x, key), 1);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    out->der = der;
    out->der_len = (size_t)n;
    unsigned int md_len = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), out->fp, &md_len), 1);
    assert_int_equal(md_len, TL_FINGERPRINT_LEN);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void test_verify_certs(void **state)
{
    (void)state;
    cert a, b;
    make_cert(&a, "tallow-a");
    make_cert(&b, "tallow-b");
    assert_int_equal(tl_fingerprint_verify(a.fp, a.der, a.der_len), TL_OK);
    assert_int_equal(tl_fingerprint_verify(b.fp, b.der, b.der_len), TL_OK);
    assert_int_equal(tl_fingerprint_verify(a.fp, b.der, b.der_len), TL_ERR_AUTH);
    assert_int_equal(tl_fingerprint_verify(b.fp, a.der, a.der_len), TL_ERR_AUTH);

    /* One flipped bit in the fingerprint or the certificate. */
    uint8_t fp[TL_FINGERPRINT_LEN];
    memcpy(fp, a.fp, sizeof(fp));
    fp[31] ^= 1;
    assert_int_equal(tl_fingerprint_verify(fp, a.der, a.der_len), TL_ERR_AUTH);
    a.der[a.der_len / 2] ^= 0x80;
    assert_int_equal(tl_fingerprint_verify(a.fp, a.der, a.der_len), TL_ERR_AUTH);
    a.der[a.der_len / 2] ^= 0x80;
    assert_int_equal(tl_fingerprint_verify(a.fp, a.der, a.der_len - 1), TL_ERR_AUTH);
    assert_int_equal(tl_fingerprint_verify(a.fp, a.der, 0), TL_ERR_AUTH);
    assert_int_equal(tl_fingerprint_verify(a.fp, NULL, 10), TL_ERR_AUTH);

    /* Through the SDP text form, as a peer would send it. */
    char text[96];
    tl_fingerprint_format(b.fp, text);
    assert_int_equal(tl_fingerprint_parse(text, strlen(text), fp), TL_OK);
    assert_int_equal(tl_fingerprint_verify(fp, b.der, b.der_len), TL_OK);
    OPENSSL_free(a.der);
    OPENSSL_free(b.der);
}

static void test_verify_known_answer(void **state)
{
    (void)state;
    /* SHA-256("abc") (FIPS 180-2 B.1) */
    static const uint8_t abc[TL_FINGERPRINT_LEN] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                    0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    assert_int_equal(tl_fingerprint_verify(abc, (const uint8_t *)"abc", 3), TL_OK);
    assert_int_equal(tl_fingerprint_verify(abc, (const uint8_t *)"abd", 3), TL_ERR_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_certs),
        cmocka_unit_test(test_verify_known_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
