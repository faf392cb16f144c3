/* mlkem_xcheck: line-oriented ML-KEM-768 driver for the cross-check against
 * @noble/post-quantum (tests/crypto/noble/crosscheck.mjs). One command per
 * stdin line, one answer line per command on stdout, all bytes in hex:
 *   K <d> <z>    -> <ek> <dk>          KeyGen_internal
 *   E <ek> <m>   -> <c> <K> | ERR      Encaps_internal
 *   D <dk> <c>   -> <K> | ERR          Decaps_internal
 *   R            -> <ek> <dk> <c> <K>  randomised KeyGen + Encaps (getrandom)
 * Exits 2 on a malformed line. Not a test by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/test_mlkem_util.h"
#include "tallow/mlkem.h"

static void put_hex(const uint8_t *b, size_t n, char end)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        putchar(digits[b[i] >> 4]);
        putchar(digits[b[i] & 15]);
    }
    putchar(end);
}

/* Decodes the next space-separated hex token into out (exactly n bytes). */
static int next_hex(char **save, uint8_t *out, size_t n)
{
    char *tok = *save;
    while (*tok == ' ')
        tok++;
    char *end = tok;
    while (*end != '\0' && *end != ' ' && *end != '\n')
        end++;
    char c = *end;
    *end = '\0';
    size_t len;
    uint8_t *b = tl_test_hex_decode(tok, &len);
    *end = c;
    *save = end;
    if (b == NULL || len != n) {
        free(b);
        return -1;
    }
    memcpy(out, b, n);
    free(b);
    return 0;
}

int main(void)
{
    static char line[16384];
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN], ct[TL_MLKEM768_CT_LEN];
    uint8_t a[32], b[32], ss[32];

    while (fgets(line, sizeof line, stdin) != NULL) {
        char *p = line + 1;
        int bad = 0;
        switch (line[0]) {
        case 'K':
            bad = next_hex(&p, a, 32) || next_hex(&p, b, 32) ||
                  tl_mlkem768_keygen_internal(ek, dk, a, b) != TL_OK;
            if (!bad) {
                put_hex(ek, sizeof ek, ' ');
                put_hex(dk, sizeof dk, '\n');
            }
            break;
        case 'E':
            bad = next_hex(&p, ek, sizeof ek) || next_hex(&p, a, 32);
            if (!bad && tl_mlkem768_encaps_internal(ct, ss, ek, a) == TL_OK) {
                put_hex(ct, sizeof ct, ' ');
                put_hex(ss, 32, '\n');
            } else if (!bad) {
                puts("ERR");
            }
            break;
        case 'D':
            bad = next_hex(&p, dk, sizeof dk) || next_hex(&p, ct, sizeof ct);
            if (!bad && tl_mlkem768_decaps_internal(ss, ct, dk) == TL_OK)
                put_hex(ss, 32, '\n');
            else if (!bad)
                puts("ERR");
            break;
        case 'R':
            bad = tl_mlkem768_keygen(ek, dk) != TL_OK || tl_mlkem768_encaps(ct, ss, ek) != TL_OK;
            if (!bad) {
                put_hex(ek, sizeof ek, ' ');
                put_hex(dk, sizeof dk, ' ');
                put_hex(ct, sizeof ct, ' ');
                put_hex(ss, 32, '\n');
            }
            break;
        default:
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "mlkem_xcheck: bad command: %.40s\n", line);
            return 2;
        }
    }
    return 0;
}
