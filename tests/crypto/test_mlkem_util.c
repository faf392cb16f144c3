/* tallow tests — ML-KEM test helpers and the ACVP checker (see header). */
#include "crypto/test_mlkem_util.h"

#include <stdlib.h>
#include <string.h>

#include "tallow/mlkem.h"

cJSON *tl_test_load_json(const char *path, FILE *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (err)
            fprintf(err, "cannot open %s\n", path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb, cap *= 2;
        }
    }
    int read_err = ferror(f);
    fclose(f);
    if (buf == NULL || read_err) {
        if (err)
            fprintf(err, "cannot read %s\n", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (j == NULL && err)
        fprintf(err, "%s: not valid JSON\n", path);
    return j;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *tl_test_hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0)
        return NULL;
    uint8_t *out = malloc(n / 2 + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

uint8_t *tl_test_json_hex(const cJSON *obj, const char *name, size_t *len)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(s))
        return NULL;
    return tl_test_hex_decode(s->valuestring, len);
}

/* Looks a field up in the test case first, then in its group (some ACVP
 * revisions put ek/dk at group level). */
static uint8_t *field(const cJSON *tc, const cJSON *tg, const char *name, size_t *len)
{
    uint8_t *v = tl_test_json_hex(tc, name, len);
    return v ? v : tl_test_json_hex(tg, name, len);
}

static const cJSON *find_by_id(const cJSON *array, const char *idname, int id)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, array)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, idname);
        if (cJSON_IsNumber(v) && v->valueint == id)
            return it;
    }
    return NULL;
}

static int bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

enum fn { FN_KEYGEN, FN_ENCAPS, FN_DECAPS, FN_EK_CHECK, FN_DK_CHECK, FN_UNKNOWN };

static enum fn group_function(const char *mode, const cJSON *tg)
{
    if (strcmp(mode, "keyGen") == 0)
        return FN_KEYGEN;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(tg, "function");
    if (!cJSON_IsString(f))
        return FN_UNKNOWN;
    static const char *const names[] = {"", "encapsulation", "decapsulation",
                                        "encapsulationKeyCheck", "decapsulationKeyCheck"};
    for (int i = 1; i < 5; i++)
        if (strcmp(f->valuestring, names[i]) == 0)
            return (enum fn)i;
    return FN_UNKNOWN;
}

/* Runs one case; returns 1 if libtallow's result matches the expected one. */
static int run_case(enum fn fn, const cJSON *tg, const cJSON *tc, const cJSON *exp)
{
    uint8_t *a = NULL, *b = NULL, *e1 = NULL, *e2 = NULL;
    size_t alen = 0, blen = 0, e1len = 0, e2len = 0;
    uint8_t out1[TL_MLKEM768_DK_LEN], out2[TL_MLKEM768_DK_LEN];
    int ok = 0;

    switch (fn) {
    case FN_KEYGEN:
        a = field(tc, tg, "d", &alen);
        b = field(tc, tg, "z", &blen);
        e1 = tl_test_json_hex(exp, "ek", &e1len);
        e2 = tl_test_json_hex(exp, "dk", &e2len);
        if (a && b && alen == 32 && blen == 32 &&
            tl_mlkem768_keygen_internal(out1, out2, a, b) == TL_OK)
            ok = bytes_eq(out1, TL_MLKEM768_EK_LEN, e1, e1len) &&
                 bytes_eq(out2, TL_MLKEM768_DK_LEN, e2, e2len);
        break;
    case FN_ENCAPS:
        a = field(tc, tg, "ek", &alen);
        b = field(tc, tg, "m", &blen);
        e1 = tl_test_json_hex(exp, "c", &e1len);
        e2 = tl_test_json_hex(exp, "k", &e2len);
        if (a && b && alen == TL_MLKEM768_EK_LEN && blen == 32 &&
            tl_mlkem768_encaps_internal(out1, out2, a, b) == TL_OK)
            ok = bytes_eq(out1, TL_MLKEM768_CT_LEN, e1, e1len) &&
                 bytes_eq(out2, TL_MLKEM768_SS_LEN, e2, e2len);
        break;
    case FN_DECAPS:
        a = field(tc, tg, "dk", &alen);
        b = field(tc, tg, "c", &blen);
        e1 = tl_test_json_hex(exp, "k", &e1len);
        if (a && b && alen == TL_MLKEM768_DK_LEN && blen == TL_MLKEM768_CT_LEN &&
            tl_mlkem768_decaps_internal(out1, b, a) == TL_OK)
            ok = bytes_eq(out1, TL_MLKEM768_SS_LEN, e1, e1len);
        break;
    case FN_EK_CHECK:
    case FN_DK_CHECK: {
        const cJSON *tp = cJSON_GetObjectItemCaseSensitive(exp, "testPassed");
        size_t want = fn == FN_EK_CHECK ? TL_MLKEM768_EK_LEN : TL_MLKEM768_DK_LEN;
        a = field(tc, tg, fn == FN_EK_CHECK ? "ek" : "dk", &alen);
        if (a == NULL || !cJSON_IsBool(tp))
            break;
        int passed = alen == want && (fn == FN_EK_CHECK ? tl_mlkem768_check_ek(a)
                                                        : tl_mlkem768_check_dk(a)) == TL_OK;
        ok = passed == cJSON_IsTrue(tp);
        break;
    }
    case FN_UNKNOWN:
        break;
    }
    free(a), free(b), free(e1), free(e2);
    return ok;
}

static void count_pass(tl_acvp_counts *c, enum fn fn)
{
    c->passed++;
    unsigned *per[] = {&c->keygen, &c->encaps, &c->decaps, &c->ek_check, &c->dk_check};
    if (fn < FN_UNKNOWN)
        (*per[fn])++;
}

int tl_acvp_mlkem_run(const char *prompt_path, const char *expected_path, tl_acvp_counts *c,
                      FILE *log)
{
    memset(c, 0, sizeof *c);
    cJSON *prompt = tl_test_load_json(prompt_path, log);
    cJSON *expected = prompt ? tl_test_load_json(expected_path, log) : NULL;
    int rc = -1;
    if (prompt == NULL || expected == NULL)
        goto out;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(prompt, "mode");
    const cJSON *pgroups = cJSON_GetObjectItemCaseSensitive(prompt, "testGroups");
    const cJSON *egroups = cJSON_GetObjectItemCaseSensitive(expected, "testGroups");
    if (!cJSON_IsString(mode) || !cJSON_IsArray(pgroups) || !cJSON_IsArray(egroups) ||
        (strcmp(mode->valuestring, "keyGen") != 0 &&
         strcmp(mode->valuestring, "encapDecap") != 0)) {
        if (log)
            fprintf(log, "not an ACVP ML-KEM keyGen/encapDecap prompt and expectedResults pair\n");
        goto out;
    }
    const cJSON *tg;
    cJSON_ArrayForEach(tg, pgroups)
    {
        const cJSON *tgid = cJSON_GetObjectItemCaseSensitive(tg, "tgId");
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(tg, "parameterSet");
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(tg, "tests");
        if (!cJSON_IsNumber(tgid) || !cJSON_IsArray(tests)) {
            if (log)
                fprintf(log, "test group without tgId or tests\n");
            goto out;
        }
        if (!cJSON_IsString(ps) || strcmp(ps->valuestring, "ML-KEM-768") != 0) {
            c->skipped += (unsigned)cJSON_GetArraySize(tests);
            continue;
        }
        const cJSON *eg = find_by_id(egroups, "tgId", tgid->valueint);
        const cJSON *etests = eg ? cJSON_GetObjectItemCaseSensitive(eg, "tests") : NULL;
        enum fn fn = group_function(mode->valuestring, tg);
        const cJSON *tc;
        cJSON_ArrayForEach(tc, tests)
        {
            const cJSON *tcid = cJSON_GetObjectItemCaseSensitive(tc, "tcId");
            int id = cJSON_IsNumber(tcid) ? tcid->valueint : -1;
            const cJSON *exp = etests ? find_by_id(etests, "tcId", id) : NULL;
            if (exp != NULL && fn != FN_UNKNOWN && run_case(fn, tg, tc, exp)) {
                count_pass(c, fn);
            } else {
                c->failed++;
                if (log)
                    fprintf(log, "FAIL tgId %d tcId %d%s\n", tgid->valueint, id,
                            exp == NULL        ? " (no expected result)"
                            : fn == FN_UNKNOWN ? " (unknown function)"
                                               : "");
            }
        }
    }
    rc = 0;
out:
    cJSON_Delete(prompt);
    cJSON_Delete(expected);
    return rc;
}
