/* mlkem_speed [ITERATIONS]: times ML-KEM-768 keygen, encaps and decaps and
 * one Keccak-f[1600] permutation (µs/op, best of 5 runs). Time is this
 * thread's CPU time, so a machine shared with other jobs (the build host
 * runs several) skews it less than wall time would. A measuring tool, not a
 * test: it asserts nothing about speed. `tallow bench kem` is the product's
 * benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto/keccak.h"
#include "tallow/mlkem.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 2000;
    if (iters <= 0)
        iters = 2000;
    static uint8_t ek[TL_MLKEM768_EK_LEN], dk[TL_MLKEM768_DK_LEN], ct[TL_MLKEM768_CT_LEN];
    uint8_t ss[32], ss2[32], seed[32] = {1};
    uint64_t st[25] = {0};
    double best[4] = {1e30, 1e30, 1e30, 1e30};

    for (int run = 0; run < 5; run++) {
        double t0 = now_us();
        for (int i = 0; i < iters; i++) {
            seed[0] = (uint8_t)i;
            tl_mlkem768_keygen_internal(ek, dk, seed, seed);
        }
        double t1 = now_us();
        for (int i = 0; i < iters; i++) {
            seed[1] = (uint8_t)i;
            tl_mlkem768_encaps_internal(ct, ss, ek, seed);
        }
        double t2 = now_us();
        for (int i = 0; i < iters; i++)
            tl_mlkem768_decaps_internal(ss2, ct, dk);
        double t3 = now_us();
        for (int i = 0; i < iters * 10; i++)
            tl_keccak_f1600(st);
        double t4 = now_us();
        double r[4] = {(t1 - t0) / iters, (t2 - t1) / iters, (t3 - t2) / iters,
                       (t4 - t3) / (iters * 10)};
        for (int k = 0; k < 4; k++)
            if (r[k] < best[k])
                best[k] = r[k];
    }
    printf("mlkem768_keygen_us %.2f\nmlkem768_encaps_us %.2f\nmlkem768_decaps_us %.2f\n"
           "keccak_f1600_us %.3f\n",
           best[0], best[1], best[2], best[3]);
    return (int)(st[0] & 0) + (ss[0] != ss2[0]);
}
