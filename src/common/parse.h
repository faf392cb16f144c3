/* tallow — the one parser for numbers and sizes typed by a person (command
 * line options, the config files). docs/CLI.md "Numbers and sizes" is the
 * user-facing description of what it accepts.
 *
 * A number is decimal digits only: no sign, no blank, no fraction, no
 * exponent, no "inf"/"nan" (g_ascii_string_to_unsigned does the digits). A
 * size is a number with an optional unit from one table:
 *   k K = 1000, M = 1000^2, G = 1000^3, T = 1000^4,
 *   Ki = 1024, Mi = 1024^2, Gi = 1024^3, Ti = 1024^4,
 * optionally followed by "B" ("64MB", "64MiB"). Values outside [min, max],
 * including any that overflow 64 bits, are refused. */
#ifndef TL_COMMON_PARSE_H
#define TL_COMMON_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Bounds shared by several commands: a rate (bytes/s, 1 TB/s) and a
 * whole-job timeout (seconds, 30 days; the timer counts milliseconds in 32
 * bits). */
#define TL_RATE_MAX 1000000000000ull
#define TL_TIMEOUT_MAX 2592000u

/* Parses a number in [min, max]. Returns 0 and *out, or -1 with *why set to
 * a static phrase ("not a whole number", "out of range") for the message. */
int tl_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* As tl_parse_number, with the unit table above. */
int tl_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* The command-line forms: on failure they print one line
 *   "tallow CMD: --OPT VALUE: not a whole number (MIN..MAX)"
 * to stderr (cmd NULL: "tallow: ...") and return -1. */
int tl_opt_number(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out);
int tl_opt_u32(const char *cmd, const char *opt, const char *s, uint32_t min, uint32_t max,
               uint32_t *out);
int tl_opt_size(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                uint64_t *out);

#endif
