/* ctgrind_mlkem: constant-time check of ML-KEM-768 under valgrind memcheck.
 *
 * The secrets (d, z, m, and the secret parts of dk: s-hat and z) are marked
 * undefined; memcheck then reports every conditional branch and every memory
 * address that depends on them. Run as
 *   valgrind --error-exitcode=1 --track-origins=yes ./ctgrind_mlkem
 * ek, c, and the ek/H(ek) fields inside dk are public, so they are marked
 * defined where the protocol publishes them; shared secrets are declassified
 * only after the call that produced them, to check the results.
 * Built with -DCTGRIND_SELFTEST it adds two deliberate branches on secrets,
 * which memcheck must flag (proving the harness can fail): one here on d,
 * and one inside decapsulation on the re-encryption comparison result
 * (src/crypto/mlkem.c), which shows the taint reaches the library's
 * innermost secret. */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "tallow/mlkem.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

#define DK_EK_OFF 1152
#define DK_Z_OFF 2368

static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN], ct[TL_MLKEM768_CT_LEN];

int main(void)
{
    uint8_t d[32], z[32], m[32], ss[32], ss2[32], ss3[32];
    volatile int sink = 0;
    int bad = 0;

    for (int i = 0; i < 32; i++) {
        d[i] = (uint8_t)(i * 7 + 1);
        z[i] = (uint8_t)(i * 13 + 5);
        m[i] = (uint8_t)(i * 29 + 3);
    }
    SECRET(d, sizeof d);
    SECRET(z, sizeof z);
    SECRET(m, sizeof m);
#ifdef CTGRIND_SELFTEST
    if (d[0] & 1) /* deliberately secret-dependent: memcheck must report it */
        sink++;
#endif

    bad |= tl_mlkem768_keygen_internal(ek, dk, d, z) != TL_OK;
    PUBLIC(ek, sizeof ek);                           /* published */
    PUBLIC(dk + DK_EK_OFF, TL_MLKEM768_EK_LEN + 32); /* ek || H(ek) inside dk */

    bad |= tl_mlkem768_encaps_internal(ct, ss, ek, m) != TL_OK;
    PUBLIC(ct, sizeof ct); /* sent to the peer */

    /* dk's secret parts (s-hat, z) are still undefined here. */
    SECRET(dk, DK_EK_OFF);
    SECRET(dk + DK_Z_OFF, 32);
    bad |= tl_mlkem768_decaps_internal(ss2, ct, dk) != TL_OK;

    ct[100] ^= 0x04; /* implicit-rejection path */
    bad |= tl_mlkem768_decaps_internal(ss3, ct, dk) != TL_OK;

    PUBLIC(ss, sizeof ss);
    PUBLIC(ss2, sizeof ss2);
    PUBLIC(ss3, sizeof ss3);
    bad |= memcmp(ss, ss2, sizeof ss) != 0;
    bad |= memcmp(ss, ss3, sizeof ss) == 0;
    if (bad)
        fprintf(stderr, "ctgrind_mlkem: wrong results\n");
    return bad + sink * 0;
}
