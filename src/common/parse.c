/* The one number/size parser (parse.h). */
#include "common/parse.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *unit;
    uint64_t mul;
} units[] = {
    {"", 1},
    {"k", 1000ull},
    {"K", 1000ull},
    {"M", 1000ull * 1000},
    {"G", 1000ull * 1000 * 1000},
    {"T", 1000ull * 1000 * 1000 * 1000},
    {"Ki", 1ull << 10},
    {"Mi", 1ull << 20},
    {"Gi", 1ull << 30},
    {"Ti", 1ull << 40},
};

static int digits(const char *s, size_t n, uint64_t *out, const char **why)
{
    char buf[32];
    *why = "not a whole number";
    if (n == 0)
        return -1;
    if (n >= sizeof(buf)) { /* more digits than any 64-bit number has */
        if (strspn(s, "0123456789") >= n)
            *why = "out of range";
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strspn(buf, "0123456789") != n) /* GLib would also take a leading '+' */
        return -1;
    guint64 v;
    GError *err = NULL;
    if (!g_ascii_string_to_unsigned(buf, 10, 0, G_MAXUINT64, &v, &err)) {
        if (err && err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS)
            *why = "out of range";
        g_clear_error(&err);
        return -1;
    }
    *out = v;
    return 0;
}

int tl_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
    uint64_t v;
    *why = "not a whole number";
    if (!s || digits(s, strlen(s), &v, why))
        return -1;
    if (v < min || v > max) {
        *why = "out of range";
        return -1;
    }
    *out = v;
    return 0;
}

int tl_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
    *why = "not a size";
    if (!s)
        return -1;
    size_t n = strspn(s, "0123456789");
    const char *unit = s + n;
    size_t ul = strlen(unit);
    if (ul && unit[ul - 1] == 'B')
        ul--; /* "64MB", "64MiB", "100B" */
    uint64_t mul = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strlen(units[i].unit) == ul && !strncmp(unit, units[i].unit, ul))
            mul = units[i].mul;
    uint64_t v;
    if (digits(s, n, &v, why))
        return -1;
    if (!mul) {
        *why = "not a size (units: k M G T, Ki Mi Gi Ti)";
        return -1;
    }
    if (v > UINT64_MAX / mul || v * mul < min || v * mul > max) {
        *why = "out of range";
        return -1;
    }
    *out = v * mul;
    return 0;
}

static int report(const char *cmd, const char *opt, const char *s, const char *why, uint64_t min,
                  uint64_t max)
{
    fprintf(stderr, "tallow%s%s: --%s %s: %s (%llu..%llu)\n", cmd ? " " : "", cmd ? cmd : "", opt,
            s ? s : "", why, (unsigned long long)min, (unsigned long long)max);
    return -1;
}

int tl_opt_number(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    const char *why = "not a number";
    return tl_parse_number(s, min, max, out, &why) ? report(cmd, opt, s, why, min, max) : 0;
}

int tl_opt_u32(const char *cmd, const char *opt, const char *s, uint32_t min, uint32_t max,
               uint32_t *out)
{
    uint64_t v;
    if (tl_opt_number(cmd, opt, s, min, max, &v))
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int tl_opt_size(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                uint64_t *out)
{
    const char *why = "not a number";
    return tl_parse_size(s, min, max, out, &why) ? report(cmd, opt, s, why, min, max) : 0;
}
