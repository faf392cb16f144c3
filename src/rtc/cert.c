/* Self-signed ECDSA P-256 certificates for DTLS, and their SHA-256
 * fingerprints (RFC 8122 a=fingerprint). */
#define _DEFAULT_SOURCE /* getaddrinfo, strdup, struct timeval */
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rtc/rtc_internal.h"
#include "tallow/crypto.h"

static EVP_PKEY *gen_p256(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (!ctx)
        return NULL;
    if (EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(ctx, &key) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static X509 *self_sign(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    uint8_t serial[8];
    BIGNUM *bn = NULL;
    int ok = tl_random(serial, sizeof(serial)) == TL_OK && X509_set_version(x, 2) == 1;
    serial[0] &= 0x7f; /* positive */
    if (ok)
        ok = (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    /* Valid from a day ago (clock skew) for 30 days: certificates are
     * per-connection or per-process, never stored. */
    ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -86400L) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400L);
    X509_NAME *name = X509_get_subject_name(x);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"tallow",
                                          -1, -1, 0) == 1;
    ok = ok && X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1 &&
         X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int tl_cert_new(tl_cert **out)
{
    tl_cert *c = calloc(1, sizeof(*c));
    if (!c)
        return TL_ERR_NOMEM;
    c->key = gen_p256();
    c->x509 = c->key ? self_sign(c->key) : NULL;
    unsigned int fplen = 0;
    if (!c->x509 || X509_digest(c->x509, EVP_sha256(), c->fp, &fplen) != 1 ||
        fplen != TL_FINGERPRINT_LEN) {
        tl_cert_free(c);
        return TL_ERR_CRYPTO;
    }
    *out = c;
    return TL_OK;
}

void tl_cert_free(tl_cert *cert)
{
    if (!cert)
        return;
    X509_free(cert->x509);
    EVP_PKEY_free(cert->key); /* OpenSSL clears key material on free */
    free(cert);
}

void tl_cert_fingerprint(const tl_cert *cert, uint8_t fp[TL_FINGERPRINT_LEN])
{
    for (size_t i = 0; i < TL_FINGERPRINT_LEN; i++)
        fp[i] = cert->fp[i];
}
