/* Client defaults (src/cli/config.c): parsing the config file with its line
 * numbers, reading it from disk, and the precedence command line >
 * environment > file, through a recording option handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <getopt.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/config.h"

static char err[512];

static int parse(tl_cli_config *cfg, const char *text)
{
    err[0] = '\0';
    return tl_cli_config_parse(cfg, "/etc/x/config", text, strlen(text), err, sizeof(err));
}

static const tl_cli_setting *find(const tl_cli_config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->settings[i].key, key))
            return &cfg->settings[i];
    return NULL;
}

static void test_parse_all_keys(void **state)
{
    (void)state;
    tl_cli_config cfg;
    assert_int_equal(parse(&cfg, "# tallow defaults\n"
                                 "[tallow]\n"
                                 "signal = wss://sig.example:443\n"
                                 "stun = stun:a.example:3478;stun:b.example:3478\n"
                                 "\n"
                                 "turn=turn:t.example:3478?transport=udp\n"
                                 "turn-user = u\n"
                                 "turn-pass = p w\n"
                                 "relay-only = true\n"
                                 "insecure = false\n"
                                 "ca = certs/ca.pem\n"
                                 "limit = 10M\n"
                                 "peer-limit = 2M\n"),
                     0);
    assert_int_equal(cfg.n, 10);
    const tl_cli_setting *s = find(&cfg, "signal");
    assert_non_null(s);
    assert_string_equal(s->values[0], "wss://sig.example:443");
    assert_null(s->values[1]);
    assert_int_equal(s->line, 3);
    s = find(&cfg, "stun");
    assert_string_equal(s->values[0], "stun:a.example:3478");
    assert_string_equal(s->values[1], "stun:b.example:3478");
    assert_null(s->values[2]);
    assert_int_equal(s->line, 4);
    assert_int_equal(find(&cfg, "turn")->line, 6);
    assert_string_equal(find(&cfg, "turn-pass")->values[0], "p w");
    assert_string_equal(find(&cfg, "relay-only")->values[0], ""); /* true */
    assert_null(find(&cfg, "insecure")->values[0]);               /* false */
    /* A relative CA path is taken from the config file's folder. */
    assert_string_equal(find(&cfg, "ca")->values[0], "/etc/x/certs/ca.pem");
    assert_int_equal(find(&cfg, "peer-limit")->line, 13);
    assert_true(cfg.has_secret);
    tl_cli_config_free(&cfg);

    /* Empty file, comments only, an empty [tallow]: nothing set, no error. */
    assert_int_equal(parse(&cfg, ""), 0);
    assert_int_equal(cfg.n, 0);
    tl_cli_config_free(&cfg);
    assert_int_equal(parse(&cfg, "# nothing\n\n[tallow]\n"), 0);
    assert_int_equal(cfg.n, 0);
    assert_false(cfg.has_secret);
    tl_cli_config_free(&cfg);
    /* Credentials inside a TURN URL are a secret too. */
    assert_int_equal(parse(&cfg, "[tallow]\nturn = turn:u:p@t.example:3478\n"), 0);
    assert_true(cfg.has_secret);
    tl_cli_config_free(&cfg);
}

/* Every error names the file and the line. */
static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[tallow]\nsignal = ws://a:1\nthis is junk\n", "/etc/x/config:3: "},
        {"signal = ws://a:1\n", "/etc/x/config:1: "},
        {"[tallow]\n# comment\nsignl = ws://a:1\n", "/etc/x/config:3: unknown key 'signl'"},
        {"[tallow]\nlimit = 1\n[other]\nx = 1\n", "/etc/x/config:3: unknown group [other]"},
        {"[tallow]\n\n\nrelay-only = maybe\n", "/etc/x/config:4: relay-only: "},
        {"[tallow]\nca =\n", "/etc/x/config:2: ca: empty value"},
        {"[tallow]\n\nstun =\n", "/etc/x/config:3: stun: empty value"},
        {"[tallow]\nturn = turn:a:1;;turn:b:1\n", "/etc/x/config:2: turn: empty value"},
        {"[tallow]\nsignal = ws://a:1\nsignal = ws://b:1\nstun = \\q\n", "/etc/x/config:4: stun: "},
        {"[tallow\nsignal = x\n", "/etc/x/config:1: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tl_cli_config cfg;
        assert_int_equal(parse(&cfg, cases[i].text), -1);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)))
            fail_msg("case %zu: '%s' does not start with '%s'", i, err, cases[i].want);
        assert_null(cfg.settings);
    }
    /* Binary content and oversized files are refused without a line. */
    tl_cli_config cfg;
    assert_int_equal(
        tl_cli_config_parse(&cfg, "/etc/x/config", "[tallow]\0x", 10, err, sizeof(err)), -1);
    assert_string_equal(err, "/etc/x/config: not a text file (holds a NUL byte)");
    size_t big = 70 * 1024;
    char *text = malloc(big);
    memset(text, '#', big);
    assert_int_equal(tl_cli_config_parse(&cfg, "/etc/x/config", text, big, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger than"));
    free(text);
}

/* The last of duplicate keys wins, and its line is reported. */
static void test_duplicate_key_line(void **state)
{
    (void)state;
    tl_cli_config cfg;
    assert_int_equal(parse(&cfg, "[tallow]\nlimit = 1\nlimit = 2\n"), 0);
    assert_int_equal(cfg.n, 1);
    assert_string_equal(find(&cfg, "limit")->values[0], "2");
    assert_int_equal(find(&cfg, "limit")->line, 3);
    tl_cli_config_free(&cfg);
}

/* ------------------------------------------------------------ from disk */

static char *tmpdir;

static int setup(void **state)
{
    (void)state;
    tmpdir = g_dir_make_tmp("tl-config-XXXXXX", NULL);
    return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    g_free(cmd);
    g_free(tmpdir);
    return rc == 0 ? 0 : -1;
}

static char *write_file(const char *name, const char *text, int mode)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    assert_int_equal(chmod(path, (mode_t)mode), 0);
    return path;
}

static void test_load(void **state)
{
    (void)state;
    tl_cli_config cfg;
    int exposed = -1;
    char *missing = g_build_filename(tmpdir, "none", NULL);
    assert_int_equal(tl_cli_config_load(&cfg, missing, &exposed, err, sizeof(err)), 1);
    assert_int_equal(cfg.n, 0);
    assert_int_equal(exposed, 0);
    g_free(missing);

    char *p = write_file("open", "[tallow]\nturn-pass = s\n", 0644);
    assert_int_equal(tl_cli_config_load(&cfg, p, &exposed, err, sizeof(err)), 0);
    assert_int_equal(exposed, 1);
    tl_cli_config_free(&cfg);
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(tl_cli_config_load(&cfg, p, &exposed, err, sizeof(err)), 0);
    assert_int_equal(exposed, 0);
    tl_cli_config_free(&cfg);
    g_free(p);

    /* Readable by all but no secret in it: no warning. */
    p = write_file("plain", "[tallow]\nsignal = ws://a:1\n", 0644);
    assert_int_equal(tl_cli_config_load(&cfg, p, &exposed, err, sizeof(err)), 0);
    assert_int_equal(exposed, 0);
    tl_cli_config_free(&cfg);
    g_free(p);

    /* A folder where the file should be: an error naming it, not "missing". */
    p = g_build_filename(tmpdir, "dir", NULL);
    assert_int_equal(g_mkdir(p, 0700), 0);
    assert_int_equal(tl_cli_config_load(&cfg, p, &exposed, err, sizeof(err)), -1);
    assert_non_null(strstr(err, p));
    g_free(p);
}

static void test_path(void **state)
{
    (void)state;
    g_setenv("XDG_CONFIG_HOME", "/x/conf", TRUE);
    g_setenv("HOME", "/home/u", TRUE);
    char *p = tl_cli_config_path();
    assert_string_equal(p, "/x/conf/tallow/config");
    g_free(p);
    g_setenv("XDG_CONFIG_HOME", "", TRUE);
    p = tl_cli_config_path();
    assert_string_equal(p, "/home/u/.config/tallow/config");
    g_free(p);
    g_unsetenv("XDG_CONFIG_HOME");
    g_unsetenv("HOME");
    assert_null(tl_cli_config_path());
}

/* ------------------------------------------------------------ precedence */

/* A recording handler standing in for a command's option handler: it knows
 * signal, limit, turn, turn-user, turn-pass, relay-only; "bad" is a bad value. */
typedef struct calls {
    GString *log;
} calls;

static int record(void *ud, const char *key, const char *value)
{
    calls *c = ud;
    if (!strcmp(key, "ca") || !strcmp(key, "peer-limit"))
        return 1; /* not an option of this command */
    if (value && !strcmp(value, "bad"))
        return -1;
    g_string_append_printf(c->log, "%s=%s;", key, value ? value : "(on)");
    return 0;
}

static const char *run_apply(const tl_cli_config *cfg, const char *env, const char *const *given,
                             size_t n_given, int want_rc)
{
    static char out[512];
    calls c = {g_string_new(NULL)};
    err[0] = '\0';
    assert_int_equal(tl_cli_defaults_apply(cfg, env, given, n_given, record, &c, err, sizeof(err)),
                     want_rc);
    snprintf(out, sizeof(out), "%s", c.log->str);
    g_string_free(c.log, TRUE);
    return out;
}

static void test_precedence(void **state)
{
    (void)state;
    tl_cli_config cfg;
    assert_int_equal(parse(&cfg, "[tallow]\n"
                                 "signal = ws://file:1\n"
                                 "limit = 5M\n"
                                 "turn = turn:file:3478\n"
                                 "turn-user = fu\n"
                                 "turn-pass = fp\n"
                                 "relay-only = true\n"
                                 "ca = /ca.pem\n"),
                     0);
    /* No flags, no environment: everything from the file (ca skipped: the
     * command has no such option). */
    assert_string_equal(run_apply(&cfg, NULL, NULL, 0, 0),
                        "signal=ws://file:1;limit=5M;turn=turn:file:3478;turn-user=fu;"
                        "turn-pass=fp;relay-only=(on);");
    /* The environment beats the file; an empty variable counts as unset. */
    assert_string_equal(run_apply(&cfg, "ws://env:1", NULL, 0, 0),
                        "signal=ws://env:1;limit=5M;turn=turn:file:3478;turn-user=fu;"
                        "turn-pass=fp;relay-only=(on);");
    assert_string_equal(run_apply(&cfg, "", NULL, 0, 0),
                        "signal=ws://file:1;limit=5M;turn=turn:file:3478;turn-user=fu;"
                        "turn-pass=fp;relay-only=(on);");
    /* A flag beats both; --turn also keeps the file's TURN credentials away
     * from the server given by flag. */
    const char *given[] = {"signal", "turn", "relay-only"};
    assert_string_equal(run_apply(&cfg, "ws://env:1", given, 3, 0), "limit=5M;");
    tl_cli_config_free(&cfg);

    /* Without a file the environment still applies. */
    assert_string_equal(run_apply(NULL, "ws://env:1", NULL, 0, 0), "signal=ws://env:1;");
    assert_string_equal(run_apply(NULL, NULL, NULL, 0, 0), "");

    /* A bad value: the error says where it came from. */
    assert_int_equal(parse(&cfg, "[tallow]\n\nlimit = bad\n"), 0);
    run_apply(&cfg, NULL, NULL, 0, -1);
    assert_string_equal(err, "/etc/x/config:3: invalid value for limit: 'bad'");
    tl_cli_config_free(&cfg);
    run_apply(NULL, "bad", NULL, 0, -1);
    assert_string_equal(err, "TALLOW_SIGNAL: invalid value 'bad'");
    /* A TURN password is never echoed. */
    assert_int_equal(parse(&cfg, "[tallow]\nturn-pass = bad\n"), 0);
    run_apply(&cfg, NULL, NULL, 0, -1);
    assert_string_equal(err, "/etc/x/config:2: invalid value for turn-pass");
    tl_cli_config_free(&cfg);
}

/* tl_cli_defaults: the file found through XDG_CONFIG_HOME, applied through
 * a getopt-style handler by option name. */
typedef struct fake_cmd {
    const char *signal;
    int relay_only;
    int handled;
} fake_cmd;

static const struct option fake_opts[] = {
    {"signal", required_argument, 0, 's'},
    {"relay-only", no_argument, 0, 'r'},
    {0, 0, 0, 0},
};

static int fake_handle(void *ud, int val, int idx, const char *value)
{
    fake_cmd *f = ud;
    f->handled++;
    assert_string_equal(fake_opts[idx].name, val == 's' ? "signal" : "relay-only");
    if (val == 's')
        f->signal = value;
    else
        f->relay_only = 1;
    return 0;
}

static void test_defaults_command(void **state)
{
    (void)state;
    g_setenv("XDG_CONFIG_HOME", tmpdir, TRUE);
    g_unsetenv("TALLOW_SIGNAL");
    tl_cli_config cfg;
    fake_cmd f = {0};
    /* No file at all: nothing applied, no error. */
    assert_int_equal(tl_cli_defaults(&cfg, fake_opts, NULL, 0, fake_handle, &f), 0);
    assert_int_equal(f.handled, 0);
    tl_cli_config_free(&cfg);

    char *dir = g_build_filename(tmpdir, "tallow", NULL);
    assert_int_equal(g_mkdir(dir, 0700), 0);
    char *p = write_file("tallow/config",
                         "[tallow]\nsignal = ws://file:1\nrelay-only = 1\nlimit = 9\n", 0600);
    assert_int_equal(tl_cli_defaults(&cfg, fake_opts, NULL, 0, fake_handle, &f), 0);
    assert_string_equal(f.signal, "ws://file:1");
    assert_int_equal(f.relay_only, 1);
    assert_int_equal(f.handled, 2); /* limit: no such option here */
    tl_cli_config_free(&cfg);

    memset(&f, 0, sizeof(f));
    g_setenv("TALLOW_SIGNAL", "ws://env:2", TRUE);
    assert_int_equal(tl_cli_defaults(&cfg, fake_opts, NULL, 0, fake_handle, &f), 0);
    assert_string_equal(f.signal, "ws://env:2");
    tl_cli_config_free(&cfg);

    memset(&f, 0, sizeof(f));
    const char *given[] = {"signal"};
    assert_int_equal(tl_cli_defaults(&cfg, fake_opts, given, 1, fake_handle, &f), 0);
    assert_null(f.signal);
    assert_int_equal(f.relay_only, 1);
    tl_cli_config_free(&cfg);
    g_unsetenv("TALLOW_SIGNAL");

    /* A malformed file is exit status 2. */
    g_free(write_file("tallow/config", "[tallow]\nnot a pair\n", 0600));
    memset(&f, 0, sizeof(f));
    assert_int_equal(tl_cli_defaults(&cfg, fake_opts, NULL, 0, fake_handle, &f), 2);
    assert_int_equal(f.handled, 0);
    tl_cli_config_free(&cfg);
    g_free(p);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_keys),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_duplicate_key_line),
        cmocka_unit_test_setup_teardown(test_load, setup, teardown),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test_setup_teardown(test_defaults_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
