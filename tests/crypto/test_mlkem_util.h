/* tallow tests — helpers shared by the ML-KEM tests and the acvp_mlkem tool:
 * file and hex loading, and the ACVP ML-KEM checker. */
#ifndef TL_TEST_MLKEM_UTIL_H
#define TL_TEST_MLKEM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* Parses the JSON file at path; NULL (and a line on err, if given) when it
 * cannot be read or parsed. Free with cJSON_Delete. */
cJSON *tl_test_load_json(const char *path, FILE *err);

/* Decodes a hex string (either case, even length) into a new malloc'd
 * buffer; *len gets its size. Returns NULL on bad input (or "" gives a
 * 1-byte allocation with *len = 0). Free with free(). */
uint8_t *tl_test_hex_decode(const char *hex, size_t *len);

/* Decodes the string field `name` of obj; NULL if absent or not hex. */
uint8_t *tl_test_json_hex(const cJSON *obj, const char *name, size_t *len);

typedef struct tl_acvp_counts {
    unsigned passed;
    unsigned failed;  /* mismatches and malformed cases */
    unsigned skipped; /* cases of other parameter sets (not ML-KEM-768) */
    unsigned keygen, encaps, decaps, ek_check, dk_check; /* passed, per function */
} tl_acvp_counts;

/* Checks every case of an ACVP ML-KEM prompt/expectedResults pair (mode
 * keyGen or encapDecap, revision FIPS203) against libtallow, matching cases
 * by tgId and tcId. Mismatches are described on log (if non-NULL).
 * Returns 0 when both files were read and understood (counts filled in,
 * failures included), -1 on unreadable or structurally invalid input. */
int tl_acvp_mlkem_run(const char *prompt_path, const char *expected_path, tl_acvp_counts *counts,
                      FILE *log);

#endif
