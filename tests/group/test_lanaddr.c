/* Which address a join code carries (src/group/lanaddr.c): the pure choice
 * over a made-up interface list, and the host classifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "group/lanaddr.h"

static struct sockaddr_in v4(const char *a)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof(s));
    s.sin_family = AF_INET;
    inet_pton(AF_INET, a, &s.sin_addr);
    return s;
}

static struct sockaddr_in6 v6(const char *a)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof(s));
    s.sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s.sin6_addr);
    return s;
}

static void test_default_route_wins(void **state)
{
    (void)state;
    struct sockaddr_in lo = v4("127.0.0.1"), dock = v4("172.17.0.1"), eth = v4("192.168.1.20");
    struct sockaddr_in6 ll = v6("fe80::1"), g6 = v6("2001:db8::20");
    tl_lan_if ifs[] = {
        {"lo", (struct sockaddr *)&lo, 1, 1},    {"docker0", (struct sockaddr *)&dock, 1, 0},
        {"eth0", (struct sockaddr *)&ll, 1, 0},  {"eth0", (struct sockaddr *)&g6, 1, 0},
        {"eth0", (struct sockaddr *)&eth, 1, 0},
    };
    char out[64], ifn[32];
    assert_int_equal(tl_lan_pick(ifs, 5, "eth0", "eth0", out, sizeof(out), ifn, sizeof(ifn)), 0);
    assert_string_equal(out, "192.168.1.20");
    assert_string_equal(ifn, "eth0");
    /* Only an IPv6 default route: its global address, never the link-local. */
    assert_int_equal(tl_lan_pick(ifs, 5, "", "eth0", out, sizeof(out), ifn, sizeof(ifn)), 0);
    assert_string_equal(out, "2001:db8::20");
    /* No default route: the first usable IPv4 address (docker0 here). */
    assert_int_equal(tl_lan_pick(ifs, 5, NULL, NULL, out, sizeof(out), ifn, sizeof(ifn)), 0);
    assert_string_equal(out, "172.17.0.1");
    assert_string_equal(ifn, "docker0");
}

static void test_nothing_usable(void **state)
{
    (void)state;
    struct sockaddr_in lo = v4("127.0.0.1"), apipa = v4("169.254.3.4"), any = v4("0.0.0.0");
    struct sockaddr_in down = v4("10.0.0.5");
    struct sockaddr_in6 ll = v6("fe80::1"), lo6 = v6("::1");
    tl_lan_if ifs[] = {
        {"lo", (struct sockaddr *)&lo, 1, 1},      {"lo", (struct sockaddr *)&lo6, 1, 1},
        {"eth0", (struct sockaddr *)&apipa, 1, 0}, {"eth0", (struct sockaddr *)&ll, 1, 0},
        {"eth1", (struct sockaddr *)&down, 0, 0},  {"x", (struct sockaddr *)&any, 1, 0},
    };
    char out[64], ifn[32];
    assert_int_equal(tl_lan_pick(ifs, 6, "eth0", "eth0", out, sizeof(out), ifn, sizeof(ifn)), -1);
    /* The one usable address on an interface that is not the default one. */
    ifs[4].up = 1;
    assert_int_equal(tl_lan_pick(ifs, 6, "eth0", "eth0", out, sizeof(out), ifn, sizeof(ifn)), 0);
    assert_string_equal(out, "10.0.0.5");
}

static void test_classify(void **state)
{
    (void)state;
    assert_true(tl_lan_is_wildcard(""));
    assert_true(tl_lan_is_wildcard("0.0.0.0"));
    assert_true(tl_lan_is_wildcard("::"));
    assert_false(tl_lan_is_wildcard("10.0.0.1"));
    assert_true(tl_lan_is_loopback("127.0.0.1"));
    assert_true(tl_lan_is_loopback("127.1.2.3"));
    assert_true(tl_lan_is_loopback("[::1]"));
    assert_true(tl_lan_is_loopback("::1"));
    assert_true(tl_lan_is_loopback("LocalHost"));
    assert_false(tl_lan_is_loopback("10.0.0.1"));
    assert_false(tl_lan_is_loopback("[2001:db8::1]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_route_wins),
        cmocka_unit_test(test_nothing_usable),
        cmocka_unit_test(test_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
