/* tallow — ML-KEM-768 (FIPS 203).
 *
 * The module sits behind this small interface so a build against an OpenSSL
 * with ML-KEM (3.5+) can route the public functions to it (docs/MLKEM.md).
 * The *_internal functions are the deterministic algorithms of FIPS 203 §6,
 * exposed for the test vectors; applications use the randomised ones. All
 * functions are constant-time in their secret inputs. Secret buffers passed
 * in are not wiped; intermediate secrets are. */
#ifndef TALLOW_MLKEM_H
#define TALLOW_MLKEM_H

#include "tallow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libtallow.so (built with -fvisibility=hidden). */
#pragma GCC visibility push(default)

#define TL_MLKEM768_EK_LEN 1184
#define TL_MLKEM768_DK_LEN 2400
#define TL_MLKEM768_CT_LEN 1088
#define TL_MLKEM768_SS_LEN 32
#define TL_MLKEM768_SEED_LEN 32 /* d, z and m are each 32 bytes */

/* FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z). Returns TL_OK. */
int tl_mlkem768_keygen_internal(uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk[TL_MLKEM768_DK_LEN],
                                const uint8_t d[TL_MLKEM768_SEED_LEN],
                                const uint8_t z[TL_MLKEM768_SEED_LEN]);

/* FIPS 203 Algorithm 17, ML-KEM.Encaps_internal(ek, m), preceded by the §7.2
 * input check. Returns TL_OK or TL_ERR_INVALID_ARG (ek fails the modulus
 * check; ct and ss are then zeroed). */
int tl_mlkem768_encaps_internal(uint8_t ct[TL_MLKEM768_CT_LEN], uint8_t ss[TL_MLKEM768_SS_LEN],
                                const uint8_t ek[TL_MLKEM768_EK_LEN],
                                const uint8_t m[TL_MLKEM768_SEED_LEN]);

/* FIPS 203 Algorithm 18, ML-KEM.Decaps_internal(dk, c) with implicit
 * rejection, preceded by the §7.3 hash check on dk. Returns TL_OK (ss is K or
 * the rejection key J(z||c)) or TL_ERR_INVALID_ARG (dk fails the check). */
int tl_mlkem768_decaps_internal(uint8_t ss[TL_MLKEM768_SS_LEN],
                                const uint8_t ct[TL_MLKEM768_CT_LEN],
                                const uint8_t dk[TL_MLKEM768_DK_LEN]);

/* §7.2 / §7.3 input checks alone. Return TL_OK or TL_ERR_INVALID_ARG. */
int tl_mlkem768_check_ek(const uint8_t ek[TL_MLKEM768_EK_LEN]);
int tl_mlkem768_check_dk(const uint8_t dk[TL_MLKEM768_DK_LEN]);

/* Randomised ML-KEM.KeyGen / ML-KEM.Encaps with seeds from getrandom().
 * Return TL_OK, TL_ERR_IO (no randomness) or, for encaps, TL_ERR_INVALID_ARG. */
int tl_mlkem768_keygen(uint8_t ek[TL_MLKEM768_EK_LEN], uint8_t dk[TL_MLKEM768_DK_LEN]);
int tl_mlkem768_encaps(uint8_t ct[TL_MLKEM768_CT_LEN], uint8_t ss[TL_MLKEM768_SS_LEN],
                       const uint8_t ek[TL_MLKEM768_EK_LEN]);
/* Same as tl_mlkem768_decaps_internal. */
int tl_mlkem768_decaps(uint8_t ss[TL_MLKEM768_SS_LEN], const uint8_t ct[TL_MLKEM768_CT_LEN],
                       const uint8_t dk[TL_MLKEM768_DK_LEN]);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif
