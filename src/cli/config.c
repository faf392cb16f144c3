/* Client defaults: TALLOW_SIGNAL and $XDG_CONFIG_HOME/tallow/config, read
 * with GLib's GKeyFile (see config.h). */
#include <getopt.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/config.h"

#define CONFIG_GROUP "tallow"
#define CONFIG_MAX_BYTES (64 * 1024)

enum kind { K_STRING, K_LIST, K_BOOL, K_PATH };

static const struct {
    const char *key;
    enum kind kind;
} known[] = {
    {"signal", K_STRING},    {"stun", K_LIST},         {"turn", K_LIST}, {"turn-user", K_STRING},
    {"turn-pass", K_STRING}, {"relay-only", K_BOOL},   {"ca", K_PATH},   {"insecure", K_BOOL},
    {"limit", K_STRING},     {"peer-limit", K_STRING},
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

/* A key given on the command line also stands for these file keys: TURN
 * credentials from the file are not handed to a server given by flag. */
static const struct {
    const char *given, *implies;
} implied[] = {{"turn", "turn-user"}, {"turn", "turn-pass"}};

char *tl_cli_config_path(void)
{
    const char *xdg = g_getenv("XDG_CONFIG_HOME");
    if (xdg && xdg[0])
        return g_build_filename(xdg, "tallow", "config", NULL);
    const char *home = g_getenv("HOME");
    if (home && home[0])
        return g_build_filename(home, ".config", "tallow", "config", NULL);
    return NULL;
}

/* ------------------------------------------------------------ line numbers
 * GKeyFile reports neither the line of a syntax error nor where a key is.
 * Both are found by parsing prefixes of the text (whole lines) with GKeyFile
 * itself: a syntax error is in the shortest prefix that fails to parse, a
 * key on the line of the shortest prefix that holds it with its final
 * value. Config files are small; a binary search keeps it at a few parses. */

typedef struct lines {
    const char *data;
    size_t *end; /* end[i]: offset just past line i (0-based) */
    size_t n;
} lines;

static void lines_init(lines *l, const char *data, size_t len)
{
    l->data = data;
    l->n = 0;
    l->end = g_new(size_t, len + 1);
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            l->end[l->n++] = i + 1;
    if (!l->n || l->end[l->n - 1] != len)
        l->end[l->n++] = len;
}

static GKeyFile *parse_prefix(const lines *l, size_t n_lines)
{
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_data(kf, l->data, l->end[n_lines - 1], G_KEY_FILE_NONE, NULL)) {
        g_key_file_free(kf);
        return NULL;
    }
    return kf;
}

typedef int (*prefix_pred)(GKeyFile *kf, const void *arg); /* kf NULL: did not parse */

static int pred_fails(GKeyFile *kf, const void *arg)
{
    (void)arg;
    return kf == NULL;
}

typedef struct key_at {
    const char *group, *key, *value; /* value NULL: any */
} key_at;

static int pred_has_key(GKeyFile *kf, const void *arg)
{
    const key_at *k = arg;
    if (!kf)
        return 0;
    if (!k->key)
        return g_key_file_has_group(kf, k->group);
    char *v = g_key_file_get_value(kf, k->group, k->key, NULL);
    int hit = v && (!k->value || !strcmp(v, k->value));
    g_free(v);
    return hit;
}

/* The 1-based number of the first line at which pred holds for the prefix
 * ending there; 0 if it holds for no prefix. */
static int line_where(const lines *l, prefix_pred pred, const void *arg)
{
    size_t lo = 1, hi = l->n, found = 0;
    while (lo <= hi) {
        size_t mid = lo + (hi - lo) / 2;
        GKeyFile *kf = parse_prefix(l, mid);
        int hit = pred(kf, arg);
        if (kf)
            g_key_file_free(kf);
        if (hit) {
            found = mid;
            hi = mid - 1;
        } else {
            lo = mid + 1;
        }
    }
    return (int)found;
}

static int key_line(const lines *l, GKeyFile *kf, const char *group, const char *key)
{
    char *v = key ? g_key_file_get_value(kf, group, key, NULL) : NULL;
    key_at k = {group, key, v};
    int line = line_where(l, pred_has_key, &k);
    g_free(v);
    return line;
}

/* ------------------------------------------------------------ parsing */

static void fail(char *err, size_t cap, const char *path, int line, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static void fail(char *err, size_t cap, const char *path, int line, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err, cap, "%s:%d: %s", path, line, what);
    else
        snprintf(err, cap, "%s: %s", path, what);
}

static int known_index(const char *key)
{
    for (size_t i = 0; i < N_KNOWN; i++)
        if (!strcmp(known[i].key, key))
            return (int)i;
    return -1;
}

/* Reads one known key into its values; -1 with err on a bad value. */
static int read_key(tl_cli_config *cfg, GKeyFile *kf, const lines *l, size_t ki, char *err,
                    size_t cap)
{
    const char *key = known[ki].key;
    GError *ge = NULL;
    char **values = NULL;
    if (known[ki].kind == K_LIST) {
        values = g_key_file_get_string_list(kf, CONFIG_GROUP, key, NULL, &ge);
    } else if (known[ki].kind == K_BOOL) {
        gboolean b = g_key_file_get_boolean(kf, CONFIG_GROUP, key, &ge);
        if (!ge) {
            values = g_new0(char *, 2);
            values[0] = b ? g_strdup("") : NULL;
        }
    } else {
        char *v = g_key_file_get_string(kf, CONFIG_GROUP, key, &ge);
        if (v && known[ki].kind == K_PATH && v[0] && !g_path_is_absolute(v)) {
            char *dir = g_path_get_dirname(cfg->path);
            char *abs = g_build_filename(dir, v, NULL);
            g_free(dir);
            g_free(v);
            v = abs;
        }
        if (v) {
            values = g_new0(char *, 2);
            values[0] = v;
        }
    }
    int line = key_line(l, kf, CONFIG_GROUP, key);
    if (ge || !values) {
        fail(err, cap, cfg->path, line, "%s: %s", key, ge ? ge->message : "cannot read the value");
        g_clear_error(&ge);
        g_strfreev(values);
        return -1;
    }
    if (known[ki].kind != K_BOOL) {
        int empty = !values[0]; /* "key =", or an empty item of a list */
        for (char **v = values; *v; v++)
            empty |= !(*v)[0];
        if (empty) {
            fail(err, cap, cfg->path, line, "%s: empty value", key);
            g_strfreev(values);
            return -1;
        }
    }
    if (!strcmp(key, "turn-pass") && values[0])
        cfg->has_secret = 1;
    if (!strcmp(key, "turn"))
        for (char **v = values; *v; v++)
            if (strchr(*v, '@'))
                cfg->has_secret = 1;
    tl_cli_setting *s = &cfg->settings[cfg->n++];
    s->key = key;
    s->values = values;
    s->line = line;
    return 0;
}

int tl_cli_config_parse(tl_cli_config *cfg, const char *path, const char *data, size_t len,
                        char *err, size_t errcap)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = g_strdup(path);
    if (len > CONFIG_MAX_BYTES) {
        fail(err, errcap, path, 0, "larger than %d bytes", CONFIG_MAX_BYTES);
        tl_cli_config_free(cfg);
        return -1;
    }
    if (memchr(data, '\0', len)) {
        fail(err, errcap, path, 0, "not a text file (holds a NUL byte)");
        tl_cli_config_free(cfg);
        return -1;
    }
    lines l;
    lines_init(&l, data, len);
    GKeyFile *kf = g_key_file_new();
    GError *ge = NULL;
    int rc = 0;
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &ge)) {
        fail(err, errcap, path, line_where(&l, pred_fails, NULL), "%s", ge->message);
        g_clear_error(&ge);
        rc = -1;
    }
    gsize n_groups = 0;
    char **groups = rc ? NULL : g_key_file_get_groups(kf, &n_groups);
    for (gsize i = 0; !rc && i < n_groups; i++) {
        if (strcmp(groups[i], CONFIG_GROUP)) {
            key_at k = {groups[i], NULL, NULL};
            fail(err, errcap, path, line_where(&l, pred_has_key, &k),
                 "unknown group [%s] (the only one is [" CONFIG_GROUP "])", groups[i]);
            rc = -1;
        }
    }
    g_strfreev(groups);
    gsize n_keys = 0;
    char **keys = rc ? NULL : g_key_file_get_keys(kf, CONFIG_GROUP, &n_keys, NULL);
    if (!rc)
        cfg->settings = g_new0(tl_cli_setting, N_KNOWN);
    for (gsize i = 0; !rc && keys && i < n_keys; i++) {
        int ki = known_index(keys[i]);
        int seen = 0; /* GKeyFile lists a repeated key once per line; the last value counts */
        for (size_t j = 0; ki >= 0 && j < cfg->n; j++)
            seen |= cfg->settings[j].key == known[ki].key;
        if (seen)
            continue;
        if (ki < 0) {
            fail(err, errcap, path, key_line(&l, kf, CONFIG_GROUP, keys[i]),
                 "unknown key '%s' (known: signal, stun, turn, turn-user, turn-pass, "
                 "relay-only, ca, insecure, limit, peer-limit)",
                 keys[i]);
            rc = -1;
        } else {
            rc = read_key(cfg, kf, &l, (size_t)ki, err, errcap);
        }
    }
    g_strfreev(keys);
    g_key_file_free(kf);
    g_free(l.end);
    if (rc)
        tl_cli_config_free(cfg);
    return rc;
}

int tl_cli_config_load(tl_cli_config *cfg, const char *path, int *exposed, char *err, size_t errcap)
{
    memset(cfg, 0, sizeof(*cfg));
    *exposed = 0;
    char *data = NULL;
    gsize len = 0;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &data, &len, &ge)) {
        int missing = g_error_matches(ge, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (!missing)
            fail(err, errcap, path, 0, "cannot read: %s", ge->message);
        g_clear_error(&ge);
        return missing ? 1 : -1;
    }
    int rc = tl_cli_config_parse(cfg, path, data, len, err, errcap);
    g_free(data);
    struct stat st;
    if (!rc && cfg->has_secret && stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
        *exposed = 1;
    return rc;
}

void tl_cli_config_free(tl_cli_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; cfg->settings && i < cfg->n; i++)
        g_strfreev(cfg->settings[i].values);
    g_free(cfg->settings);
    g_free(cfg->path);
    memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------ precedence */

static int is_given(const char *key, const char *const *given, size_t n_given)
{
    for (size_t i = 0; i < n_given; i++) {
        if (!strcmp(given[i], key))
            return 1;
        for (size_t j = 0; j < sizeof(implied) / sizeof(implied[0]); j++)
            if (!strcmp(given[i], implied[j].given) && !strcmp(key, implied[j].implies))
                return 1;
    }
    return 0;
}

int tl_cli_defaults_apply(const tl_cli_config *cfg, const char *env_signal,
                          const char *const *given, size_t n_given, tl_cli_apply_fn apply, void *ud,
                          char *err, size_t errcap)
{
    if (env_signal && env_signal[0] && !is_given("signal", given, n_given)) {
        if (apply(ud, "signal", env_signal) < 0) {
            snprintf(err, errcap, "TALLOW_SIGNAL: invalid value '%s'", env_signal);
            return -1;
        }
        /* The environment stands in for the flag: the file's value is not used. */
    }
    for (size_t i = 0; cfg && i < cfg->n; i++) {
        const tl_cli_setting *s = &cfg->settings[i];
        if (is_given(s->key, given, n_given))
            continue;
        if (!strcmp(s->key, "signal") && env_signal && env_signal[0])
            continue;
        int bool_key = known[known_index(s->key)].kind == K_BOOL;
        for (char **v = s->values; *v; v++) {
            if (apply(ud, s->key, bool_key ? NULL : *v) < 0) {
                if (!strcmp(s->key, "turn-pass") || strchr(*v, '@'))
                    fail(err, errcap, cfg->path, s->line, "invalid value for %s", s->key);
                else
                    fail(err, errcap, cfg->path, s->line, "invalid value for %s: '%s'", s->key, *v);
                return -1;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------ commands */

typedef struct opt_apply {
    const struct option *opts;
    int (*handle)(void *ud, int val, int idx, const char *value);
    void *ud;
} opt_apply;

static int apply_by_name(void *arg, const char *key, const char *value)
{
    const opt_apply *a = arg;
    for (int i = 0; a->opts[i].name; i++)
        if (!strcmp(a->opts[i].name, key))
            return a->handle(a->ud, a->opts[i].val, i, value) < 0 ? -1 : 0;
    return 1;
}

int tl_cli_defaults(tl_cli_config *cfg, const struct option *opts, const char *const *given,
                    size_t n_given, int (*handle)(void *ud, int val, int idx, const char *value),
                    void *ud)
{
    char err[512];
    int exposed = 0, rc = 0;
    memset(cfg, 0, sizeof(*cfg));
    char *path = tl_cli_config_path();
    if (path)
        rc = tl_cli_config_load(cfg, path, &exposed, err, sizeof(err));
    g_free(path);
    if (rc < 0) {
        fprintf(stderr, "tallow: config file %s\n", err);
        return 2;
    }
    if (exposed)
        fprintf(stderr,
                "tallow: warning: %s holds a TURN password and other users can read it "
                "(chmod 600 %s)\n",
                cfg->path, cfg->path);
    opt_apply a = {opts, handle, ud};
    if (tl_cli_defaults_apply(rc == 0 ? cfg : NULL, g_getenv("TALLOW_SIGNAL"), given, n_given,
                              apply_by_name, &a, err, sizeof(err)) < 0) {
        fprintf(stderr, "tallow: %s%s\n", strncmp(err, "TALLOW_", 7) ? "config file " : "", err);
        return 2;
    }
    return 0;
}
