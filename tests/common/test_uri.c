/* The one URL / HOST:PORT parser (src/common/uri.c, on GLib's GUri). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/uri.h"

static tl_uri u;

static int parse(tl_uri_kind k, const char *s)
{
    const char *why = NULL;
    int rc = tl_uri_parse(&u, k, s, &why);
    if (rc)
        assert_non_null(why); /* every refusal has a reason */
    return rc;
}

static void test_hostport(void **state)
{
    (void)state;
    char hp[64];
    assert_int_equal(parse(TL_URI_HOSTPORT, "[::1]:6379"), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6379);
    assert_true(u.v6);
    assert_int_equal(tl_uri_hostport(&u, hp, sizeof(hp)), 10);
    assert_string_equal(hp, "[::1]:6379");
    assert_int_equal(parse(TL_URI_HOSTPORT, "127.0.0.1:0"), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 0);
    assert_false(u.v6);
    assert_int_equal(parse(TL_URI_HOSTPORT, ":7788"), 0);
    assert_string_equal(u.host, "");
    assert_int_equal(u.port, 7788);
    assert_int_equal(parse(TL_URI_HOSTPORT, "[::]:0"), 0);
    assert_string_equal(u.host, "::");
    assert_int_equal(parse(TL_URI_HOSTPORT, "localhost:80"), 0);
    static const char *const bad[] = {"localhost", "::1:80", "[::1]",  "[::1:80",  "h:65536",
                                      "h:-1",      "h:12a",  "h:80/x", "u@h:80",   "a b:1",
                                      "h:80?q",    "",       "h:80#f", "\x1b[2J:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(TL_URI_HOSTPORT, bad[i]), -1);
    assert_int_equal(tl_uri_parse(&u, TL_URI_HOSTPORT, NULL, NULL), -1);
}

static void test_redis(void **state)
{
    (void)state;
    assert_int_equal(parse(TL_URI_REDIS, "redis://[::1]:6399"), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6399);
    assert_false(u.has_user);
    assert_int_equal(parse(TL_URI_REDIS, "redis://127.0.0.1"), 0); /* no port: the default */
    assert_int_equal(u.port, 6379);
    assert_false(u.port_given);
    assert_int_equal(parse(TL_URI_REDIS, "redis://:s%40cret@db.example:7000/2"), 0);
    assert_string_equal(u.user, "");
    assert_string_equal(u.pass, "s@cret");
    assert_string_equal(u.host, "db.example");
    assert_string_equal(u.path, "/2");
    assert_int_equal(parse(TL_URI_REDIS, "redis://alice:pw@h"), 0);
    assert_string_equal(u.user, "alice");
    assert_string_equal(u.pass, "pw");
    tl_uri_wipe(&u);
    assert_string_equal(u.pass, "");
    assert_int_equal(parse(TL_URI_REDIS, "ws://h:1"), -1);
    assert_int_equal(parse(TL_URI_REDIS, "redis://h:0"), -1);
    assert_int_equal(parse(TL_URI_REDIS, "redis://[::1:6379"), -1);
    assert_int_equal(parse(TL_URI_REDIS, "redis://"), -1);
}

static void test_ice(void **state)
{
    (void)state;
    /* TURN REST: the user name is EXPIRY:NAME, so its ':' is %3A. */
    assert_int_equal(parse(TL_URI_ICE, "turn:1733600000%3Aalice:p%40ss@[::1]:3478"), 0);
    assert_string_equal(u.scheme, "turn");
    assert_string_equal(u.user, "1733600000:alice");
    assert_string_equal(u.pass, "p@ss");
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 3478);
    assert_true(u.has_user);
    /* unencoded: refused, never split on a guess */
    assert_int_equal(parse(TL_URI_ICE, "turn:1733600000:alice:p@ss@[::1]:3478"), -1);
    assert_int_equal(parse(TL_URI_ICE, "turn:u:p@ss@h:3478"), -1);
    assert_int_equal(parse(TL_URI_ICE, "turn:turn.example?transport=tcp"), 0);
    assert_int_equal(u.port, 3478); /* no port: the default */
    assert_true(u.tcp);
    assert_int_equal(parse(TL_URI_ICE, "stun:stun.example:19302"), 0);
    assert_string_equal(u.scheme, "stun");
    assert_int_equal(u.port, 19302);
    assert_false(u.tcp);
    assert_int_equal(parse(TL_URI_ICE, "stun:[2001:db8::1]"), 0);
    assert_string_equal(u.host, "2001:db8::1");
    static const char *const bad[] = {
        "stun:u:p@h",   "turn:h?transport=sctp", "turn:h/path", "turns:h:5349",
        "http://h",     "stun://h:3478",         "turn:h:0",    "turn:",
        "stun:h:99999", "turn:h:3478#x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(TL_URI_ICE, bad[i]), -1);
    /* a ':' or '%' smuggled into a host by percent-encoding (found by fuzz_uri) */
    assert_int_equal(parse(TL_URI_ICE, "turn:1733600000%3Aa"), -1);
    assert_int_equal(parse(TL_URI_REDIS, "redis://a%3Ab:1"), -1);
    assert_int_equal(parse(TL_URI_WS, "ws://a%2525b:1"), -1);
    assert_int_equal(parse(TL_URI_WS, "ws://[fe80::1%25eth0]:80"), 0); /* a zone is fine */
    assert_string_equal(u.host, "fe80::1%eth0");
}

static void test_ws(void **state)
{
    (void)state;
    assert_int_equal(parse(TL_URI_WS, "ws://example.org"), 0); /* no port */
    assert_int_equal(u.port, 80);
    assert_string_equal(u.path, "/");
    assert_int_equal(parse(TL_URI_WS, "wss://example.org"), 0);
    assert_int_equal(u.port, 443);
    assert_int_equal(parse(TL_URI_WS, "wss://[::1]:8443/sig?x=1"), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.path, "/sig?x=1");
    assert_int_equal(parse(TL_URI_WS, "ws://10.0.0.2:7788"), 0);
    assert_true(u.port_given);
    static const char *const bad[] = {"http://h",  "ws://",      "ws://u:p@h", "ws://h:0",
                                      "ws://h:1x", "ws://[::1",  "ws://a b:1", "h:1",
                                      "ws://h#f",  "ws://%1b:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(TL_URI_WS, bad[i]), -1);
    char big[TL_URI_MAX + 16];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "ws://", 5);
    assert_int_equal(parse(TL_URI_WS, big), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_redis),
        cmocka_unit_test(test_ice),
        cmocka_unit_test(test_ws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
