/* ctgrind: constant-time check of the key-handling code in src/crypto/ that
 * tallow owns. Secrets (X25519 private keys, AES keys, shared secrets, PRKs,
 * traffic and chunk keys) are marked undefined with
 * VALGRIND_MAKE_MEM_UNDEFINED; run under `valgrind --tool=memcheck
 * --error-exitcode=1`, memcheck then reports every conditional branch and
 * every memory index that depends on them. Outputs are declared defined
 * again only where the protocol makes them public (a MAC compare verdict, an
 * ciphertext).
 *
 * Scope (docs/CRYPTO.md §7): our compare and zero check, HKDF/HMAC through
 * OpenSSL (SHA-256 compression has no secret-dependent branches), the
 * handshake's key schedule (PRK, confirmation keys, traffic keys), the chunk
 * key derivation and ratchet, nonce/AAD building, AES-256-GCM sealing and
 * opening with a secret key, key copies and wipes, X25519 with a secret
 * private key, and the join-code PAKE: the RFC 9380 hash to curve25519 of the
 * code secret (expand_message_xmd, field reduction, Elligator 2, cofactor
 * clearing, all our own field arithmetic) and the share X25519(x, G) with a
 * secret scalar and a secret generator. Two branches inside OpenSSL on public verdicts are
 * suppressed by tests/crypto/ctgrind.supp (the GCM tag check and X25519's
 * all-zero check; see there). Without valgrind the program runs the same
 * code and exits 0. */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "crypto/chunk_internal.h"
#include "crypto/h2c25519.h"
#include "crypto/handshake_internal.h"
#include "tallow/chunk.h"
#include "tallow/crypto.h"
#include "tallow/handshake.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "ctgrind_keys: %s failed\n", what);
        failures++;
    }
}

static void check_compare(void)
{
    uint8_t a[32], b[32];
    memset(a, 0x11, sizeof(a));
    memset(b, 0x11, sizeof(b));
    b[31] = 0x12;
    SECRET(a, sizeof(a));
    SECRET(b, sizeof(b));
    int eq = tl_ct_verify(a, b, sizeof(a));
    int z = tl_ct_is_zero(a, sizeof(a));
    /* The verdicts are public (the protocol acts on them). */
    PUBLIC(&eq, sizeof(eq));
    PUBLIC(&z, sizeof(z));
    check(eq == -1 && z == 0, "tl_ct_verify / tl_ct_is_zero");
    tl_wipe(a, sizeof(a));
    PUBLIC(a, sizeof(a));
    check(tl_ct_is_zero(a, sizeof(a)) == 1, "tl_wipe");
}

static void check_hkdf(void)
{
    uint8_t ikm[96], salt[32], prk[32], okm[80], mac[32];
    memset(ikm, 0x42, sizeof(ikm));
    memset(salt, 0x07, sizeof(salt));
    SECRET(ikm, sizeof(ikm));
    int rc = tl_hkdf_extract(prk, salt, sizeof(salt), ikm, sizeof(ikm));
    rc |= tl_hkdf_expand(okm, sizeof(okm), prk, sizeof(prk), (const uint8_t *)"info", 4);
    rc |= tl_hmac_sha256(mac, prk, sizeof(prk), salt, sizeof(salt));
    check(rc == TL_OK, "HKDF / HMAC with a secret key");
}

static void check_handshake_schedule(void)
{
    uint8_t th1[32], th2[32], ssm[32], ssx[32], psk[32], sssx[32], sssm[32], prk[32], prk2[32],
        mkr[32], mki[32], mks[32];
    memset(th1, 1, 32);
    memset(th2, 6, 32);
    memset(ssm, 2, 32);
    memset(ssx, 3, 32);
    memset(psk, 4, 32);
    memset(sssx, 5, 32);
    memset(sssm, 7, 32);
    SECRET(ssm, 32);
    SECRET(ssx, 32);
    SECRET(psk, 32);
    SECRET(sssx, 32);
    SECRET(sssm, 32);
    /* v2: the static X25519 secret joins the first PRK, the static ML-KEM
     * secret the second one, which gives the sender confirmation key. */
    int rc = tl_hs_derive_prk(prk, th1, ssm, ssx, psk, sssx);
    rc |= tl_hs_confirm_keys(mkr, mki, prk);
    rc |= tl_hs_derive_prk2(prk2, th2, prk, sssm);
    rc |= tl_hkdf_expand(mks, 32, prk2, 32, (const uint8_t *)"tallow-v2 confirm sender", 24);
    /* A received MAC compared with the expected one: the verdict is public. */
    uint8_t mac[32], peer_mac[32];
    rc |= tl_hmac_sha256(mac, mkr, 32, th1, 32);
    memset(peer_mac, 0x55, sizeof(peer_mac));
    int v = tl_ct_verify(mac, peer_mac, 32);
    PUBLIC(&v, sizeof(v));
    rc |= tl_hmac_sha256(mac, mks, 32, th2, 32);
    int v2 = tl_ct_verify(mac, peer_mac, 32);
    PUBLIC(&v2, sizeof(v2));
    check(rc == TL_OK && v == -1 && v2 == -1, "handshake key schedule");
    /* Session key copy and wipe. */
    tl_session_keys k;
    memcpy(k.send, mki, 32);
    memcpy(k.recv, mkr, 32);
    tl_session_keys_wipe(&k);
    tl_wipe(prk, sizeof(prk));
    tl_wipe(prk2, sizeof(prk2));
    tl_wipe(mks, sizeof(mks));
}

static void check_chunk(void)
{
    uint8_t secret[32], key0[32], next[32], tid[TL_TRANSFER_ID_LEN] = {9};
    memset(secret, 0x33, sizeof(secret));
    SECRET(secret, sizeof(secret));
    int rc = tl_chunk_key0(key0, secret, tid);
    rc |= tl_chunk_ratchet(next, key0);
    uint8_t hdr[TL_CHUNK_HDR_LEN], nonce[TL_AEAD_NONCE_LEN], aad[TL_CHUNK_AAD_LEN];
    tl_chunk_build_header(hdr, 1, 7, 123456);
    tl_chunk_build_nonce(nonce, 7, 123456);
    tl_chunk_build_aad(aad, tid, hdr);

    /* Sealing and opening whole frames with a secret traffic key. The
     * ciphertext and tag are public once produced. */
    tl_chunk_sealer *s = NULL;
    tl_chunk_opener *o = NULL;
    uint8_t plain[4096], frame[4096 + TL_CHUNK_OVERHEAD], out[4096];
    memset(plain, 0x61, sizeof(plain));
    rc |= tl_chunk_sealer_new(&s, secret, tid, 0);
    rc |= tl_chunk_opener_new(&o, secret, tid);
    for (uint64_t i = 0; rc == TL_OK && i < 4; i++) {
        size_t flen = 0, olen = 0;
        int fin = 0;
        /* i == 2 crosses a time rotation: ratchet + rekey with a secret key. */
        rc |= tl_chunk_seal(s, i == 2 ? TL_CHUNK_ROTATE_MS : 0, i, 0, plain, sizeof(plain), frame,
                            &flen);
        PUBLIC(frame, sizeof(frame));
        rc |= tl_chunk_open(o, i, frame, flen, out, &olen, &fin);
        PUBLIC(out, sizeof(out));
        check(olen == sizeof(plain) && memcmp(out, plain, olen) == 0, "chunk round trip");
    }
    check(rc == TL_OK, "chunk key derivation, ratchet, seal/open");
    tl_chunk_sealer_free(s);
    tl_chunk_opener_free(o);
}

static void check_aead(void)
{
    uint8_t key[32], nonce[12] = {0}, msg[1024], ct[1024], tag[16], out[1024];
    memset(key, 0x77, sizeof(key));
    memset(msg, 0x20, sizeof(msg));
    SECRET(key, sizeof(key));
    tl_aead *a = NULL;
    int rc = tl_aead_new(&a, key, sizeof(key));
    tl_wipe(key, sizeof(key));
    rc |= tl_aead_seal(a, nonce, 12, NULL, 0, msg, sizeof(msg), ct, tag);
    PUBLIC(ct, sizeof(ct));
    PUBLIC(tag, sizeof(tag));
    rc |= tl_aead_open(a, nonce, 12, NULL, 0, ct, sizeof(ct), out, tag);
    tag[0] ^= 1; /* a forged tag: rejection must not branch on the key */
    int bad = tl_aead_open(a, nonce, 12, NULL, 0, ct, sizeof(ct), out, tag);
    PUBLIC(out, sizeof(out));
    check(rc == TL_OK && bad == TL_ERR_AUTH, "AES-256-GCM with a secret key");
    tl_aead_free(a);
}

static void check_x25519(void)
{
    uint8_t priv[32], pub[32], peer_priv[32], peer[32], shared[32];
    memset(priv, 0x5c, sizeof(priv));
    memset(peer_priv, 0xa3, sizeof(peer_priv));
    int rc = tl_x25519_public(peer, peer_priv);
    SECRET(priv, sizeof(priv));
    rc |= tl_x25519_public(pub, priv);
    PUBLIC(pub, sizeof(pub));
    /* The shared secret from a secret private key. tallow's zero check is
     * branch-free; its verdict (rc) is public. OpenSSL's own zero check in
     * ossl_x25519() branches on CRYPTO_memcmp's verdict: suppressed by name
     * in ctgrind.supp (docs/CRYPTO.md §7). */
    int rc2 = tl_x25519_shared(shared, priv, peer);
    PUBLIC(&rc2, sizeof(rc2));
    rc |= rc2;
    check(rc == TL_OK, "X25519 with a secret private key");
}

/* The join-code PAKE: G from a secret code, then a share on G. The context
 * (group id, fingerprints) is public; the code, the field elements, G and
 * the private key are secret. Only the share is public (it is sent). */
static void check_pake(void)
{
    uint8_t code[32], fp_i[32], fp_r[32], ctx[TL_HS_CTX_MAX], g[32], u[32], x[32], y[32], q8[32];
    static const uint8_t gid[] = "ctgrind-group";
    memset(code, 0x3c, sizeof(code));
    memset(fp_i, 1, sizeof(fp_i));
    memset(fp_r, 2, sizeof(fp_r));
    size_t n = tl_hs_context(ctx, gid, sizeof(gid) - 1, fp_i, fp_r, 1);
    SECRET(code, sizeof(code));
    int rc = tl_hs_generator(g, code, sizeof(code), ctx, n);
    /* The pieces on their own, from a secret message and secret points. */
    rc |= tl_h2c25519_hash_to_field(u, code, sizeof(code), (const uint8_t *)"D", 1);
    tl_h2c25519_map(x, y, u);
    tl_h2c25519_clear_cofactor(q8, x);
    memset(u, 0, sizeof(u)); /* u = 0: the exceptional case of the map */
    SECRET(u, sizeof(u));
    tl_h2c25519_map(x, y, u);
    /* The share X25519(x, G): secret scalar, secret base point. */
    uint8_t priv[32], share[32];
    memset(priv, 0x6d, sizeof(priv));
    SECRET(priv, sizeof(priv));
    tl_x25519_key *k = NULL;
    rc |= tl_x25519_key_new(&k, priv);
    int rc2 = tl_x25519_key_shared(k, g, share);
    PUBLIC(&rc2, sizeof(rc2)); /* the all-zero verdict */
    PUBLIC(share, sizeof(share));
    tl_x25519_key_free(k);
    rc |= rc2;
    check(rc == TL_OK, "join-code PAKE generator and share");
    tl_wipe(g, sizeof(g));
}

/* Negative control: a plain memcmp on a secret must be flagged, or the
 * harness proves nothing (registered as a test that must fail). */
static int leaky_compare(void)
{
    uint8_t a[32], b[32];
    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    SECRET(a, sizeof(a));
    volatile int r = memcmp(a, b, sizeof(a)) == 0;
    return r ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--negative-control") == 0)
        return leaky_compare();
    check_compare();
    check_hkdf();
    check_handshake_schedule();
    check_chunk();
    check_aead();
    check_x25519();
    check_pake();
    if (failures == 0)
        printf("ctgrind_keys: all checks ran (%s valgrind)\n",
               RUNNING_ON_VALGRIND ? "under" : "not under");
    return failures ? 1 : 0;
}
