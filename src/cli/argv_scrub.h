/* Secrets given on the command line (a join code, --turn-pass,
 * --turn-secret, TURN credentials in a URL) are copied by the parser and then
 * overwritten in the process's argument memory, which other local users can
 * read through /proc/PID/cmdline and ps(1) (docs/CLI.md "Secrets on the
 * command line"). The shell history still holds them: the prompt and
 * TALLOW_CODE are the better ways. */
#ifndef TL_CLI_ARGV_SCRUB_H
#define TL_CLI_ARGV_SCRUB_H

/* Overwrites the bytes of arg (a string inside argv) with '*'; the length
 * stays, so the layout of the arguments after it does not move. NULL is
 * ignored. Call it only after the value was copied. */
void tl_argv_scrub(char *arg);

/* Whether the option called name (long name, no dashes) carries a secret
 * whose value must be scrubbed: turn-pass, turn-secret, and turn when its
 * URL holds credentials (value given to tell). */
int tl_argv_is_secret(const char *name, const char *value);

#endif
