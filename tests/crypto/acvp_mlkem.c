/* acvp_mlkem PROMPT.json EXPECTED.json
 *
 * Checks an ACVP ML-KEM (FIPS 203) vector set, mode keyGen or encapDecap,
 * against libtallow's ML-KEM-768; test groups of other parameter sets are
 * skipped and counted. Prints the counts; exit status 0 only if every
 * ML-KEM-768 case matched and at least one ran, 1 on any mismatch, 2 on
 * usage errors or unreadable input. */
#include <stdio.h>

#include "crypto/test_mlkem_util.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PROMPT.json EXPECTED.json\n", argv[0]);
        return 2;
    }
    tl_acvp_counts c;
    if (tl_acvp_mlkem_run(argv[1], argv[2], &c, stderr) != 0)
        return 2;
    printf("ML-KEM-768: %u passed, %u failed, %u skipped (other parameter sets)\n", c.passed,
           c.failed, c.skipped);
    printf("  keyGen %u, encapsulation %u, decapsulation %u, encapsulationKeyCheck %u, "
           "decapsulationKeyCheck %u\n",
           c.keygen, c.encaps, c.decaps, c.ek_check, c.dk_check);
    if (c.failed != 0 || c.passed == 0) {
        if (c.passed == 0 && c.failed == 0)
            fprintf(stderr, "no ML-KEM-768 test case found\n");
        return 1;
    }
    return 0;
}
