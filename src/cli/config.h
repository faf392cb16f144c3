/* Client defaults from the environment and a config file (docs/CLI.md,
 * "Defaults: environment and config file").
 *
 * The file is a GLib key file (GKeyFile) with one group, [tallow], whose keys
 * are the names of the command-line options they stand for: signal, stun,
 * turn, turn-user, turn-pass, relay-only, ca, insecure, limit, peer-limit.
 * stun and turn may list several servers separated by ';'; relay-only and
 * insecure are booleans. Values go through the command's own option handler
 * (the one getopt uses), so they are checked exactly as the flags are.
 *
 * Precedence, per option: command line > environment (TALLOW_SIGNAL, for
 * signal) > config file > built-in default. */
#ifndef TL_CLI_CONFIG_H
#define TL_CLI_CONFIG_H

#include <stddef.h>

typedef struct tl_cli_setting {
    const char *key; /* one of the keys above (static string) */
    char **values;   /* NULL-terminated; booleans: {NULL} when false, {""} when true */
    int line;        /* 1-based line of the key in the file */
} tl_cli_setting;

typedef struct tl_cli_config {
    char *path; /* as given to load/parse */
    tl_cli_setting *settings;
    size_t n;
    int has_secret; /* turn-pass, or a turn URL with credentials in it */
} tl_cli_config;

/* $XDG_CONFIG_HOME/tallow/config, else $HOME/.config/tallow/config; NULL when
 * neither variable is set. Free with g_free. */
char *tl_cli_config_path(void);

/* Parses a config file's text (path names it in messages, and relative ca
 * paths are taken from its folder). Returns 0, or -1 with err set to
 * "PATH:LINE: what is wrong" (or "PATH: ..." when no line applies). On
 * success cfg must be freed with tl_cli_config_free. */
int tl_cli_config_parse(tl_cli_config *cfg, const char *path, const char *data, size_t len,
                        char *err, size_t errcap);

/* Reads and parses path. Returns 0 (parsed), 1 (no such file: cfg is empty)
 * or -1 (unreadable or malformed, err as above). *exposed is set when the
 * file holds a TURN password and other users may read it. */
int tl_cli_config_load(tl_cli_config *cfg, const char *path, int *exposed, char *err,
                       size_t errcap);

void tl_cli_config_free(tl_cli_config *cfg);

/* apply(ud, key, value): run the command's handler for option `key` with
 * `value` (NULL for a boolean that is true). Returns 0 when applied, 1 when
 * the command has no such option (skipped), -1 for a bad value. */
typedef int (*tl_cli_apply_fn)(void *ud, const char *key, const char *value);

/* For every key that is not in given[] (the long options seen on the
 * command line): the environment's value if there is one (env_signal, the
 * value of TALLOW_SIGNAL, for "signal"), else the file's values, through
 * apply. cfg may be NULL (no file). Returns 0, or -1 with err naming where the
 * bad value came from ("PATH:LINE: invalid value for limit" / "TALLOW_SIGNAL:
 * ..."). */
int tl_cli_defaults_apply(const tl_cli_config *cfg, const char *env_signal,
                          const char *const *given, size_t n_given, tl_cli_apply_fn apply, void *ud,
                          char *err, size_t errcap);

/* What a command calls after getopt: loads the config file (if any) into
 * cfg and applies TALLOW_SIGNAL and the file through handle(ud, val, idx,
 * value) — the command's getopt handler, with opts[idx] the option of that
 * name — for the options not in given[]. Options the command does not have
 * are skipped. Prints what is wrong and returns 2 (the exit status of a
 * usage error) for an unreadable or malformed file or a bad value, else 0;
 * warns when the file holds a TURN password others can read. Free cfg with
 * tl_cli_config_free when the values are no longer used. */
struct option;
int tl_cli_defaults(tl_cli_config *cfg, const struct option *opts, const char *const *given,
                    size_t n_given, int (*handle)(void *ud, int val, int idx, const char *value),
                    void *ud);

#endif
