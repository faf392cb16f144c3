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

/* Numeric address text into a sockaddr of its family (one union for both). */
typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
    struct sockaddr_in6 in6;
} any_addr;

static any_addr ip(const char *a)
{
    any_addr u;
    memset(&u, 0, sizeof(u));
    if (inet_pton(AF_INET, a, &u.in4.sin_addr) == 1)
        u.in4.sin_family = AF_INET;
    else if (inet_pton(AF_INET6, a, &u.in6.sin6_addr) == 1)
        u.in6.sin6_family = AF_INET6;
    return u;
}

static void test_default_route_wins(void **state)
{
    (void)state;
    any_addr lo = ip("127.0.0.1"), dock = ip("172.17.0.1"), eth = ip("192.168.1.20");
    any_addr ll = ip("fe80::1"), g6 = ip("2001:db8::20");
    tl_lan_if ifs[] = {
        {"lo", &lo.sa, 1, 1},   {"docker0", &dock.sa, 1, 0}, {"eth0", &ll.sa, 1, 0},
        {"eth0", &g6.sa, 1, 0}, {"eth0", &eth.sa, 1, 0},
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
    any_addr lo = ip("127.0.0.1"), apipa = ip("169.254.3.4"), any = ip("0.0.0.0");
    any_addr down = ip("10.0.0.5"), ll = ip("fe80::1"), lo6 = ip("::1");
    tl_lan_if ifs[] = {
        {"lo", &lo.sa, 1, 1},   {"lo", &lo6.sa, 1, 1},    {"eth0", &apipa.sa, 1, 0},
        {"eth0", &ll.sa, 1, 0}, {"eth1", &down.sa, 0, 0}, {"x", &any.sa, 1, 0},
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
