/* Signaling wire protocol (sans-I/O): parsing, validation, errors,
 * builders; state tables and token buckets with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signal/groups.h"
#include "signal/snapshot.h"
#include "signal/proto.h"
#include "signal/proto_ref.h"

#define MAXMSG 65536
#define PROOF "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static tl_sig_err parse(const char *s, tl_sig_msg *m, const char **field)
{
    return tl_sig_parse(s, strlen(s), MAXMSG, m, field);
}

static void expect_err(const char *s, tl_sig_err want, const char *want_field)
{
    tl_sig_msg m;
    const char *f = NULL;
    tl_sig_err e = parse(s, &m, &f);
    if (e != want)
        fail_msg("'%s': got %s, want %s", s, tl_sig_err_code(e), tl_sig_err_code(want));
    if (want_field)
        assert_string_equal(f, want_field);
    assert_null(m.root);
}

static void test_valid(void **state)
{
    (void)state;
    tl_sig_msg m;
    const char *f;
    assert_int_equal(
        parse("{\"type\":\"register\",\"v\":1,\"name\":\"laptop-1\",\"rid\":7}", &m, &f),
        TL_SIGE_OK);
    assert_int_equal(m.type, TL_SIG_REGISTER);
    assert_string_equal(m.name, "laptop-1");
    assert_true(m.has_rid);
    assert_int_equal(m.rid, 7);
    tl_sig_msg_clear(&m);

    assert_int_equal(parse("{\"type\":\"register\",\"peer\":\"0123456789abcdef\",\"token\":"
                           "\"0123456789abcdef0123456789abcdef\"}",
                           &m, &f),
                     TL_SIGE_OK);
    assert_string_equal(m.peer, "0123456789abcdef");
    tl_sig_msg_clear(&m);

    assert_int_equal(
        parse("{\"type\":\"create-group\",\"verifier\":\"" PROOF "\",\"max\":10}", &m, &f),
        TL_SIGE_OK);
    assert_int_equal(m.max, 10);
    assert_true(m.has_proof);
    assert_int_equal(m.group, TL_SIG_GROUP_NONE);
    tl_sig_msg_clear(&m);

    assert_int_equal(
        parse("{\"type\":\"join\",\"group\":\"000123\",\"proof\":\"" PROOF "\"}", &m, &f),
        TL_SIGE_OK);
    assert_int_equal(m.group, 123);
    tl_sig_msg_clear(&m);

    assert_int_equal(parse("{\"type\":\"candidate\",\"group\":\"999999\",\"to\":"
                           "\"00000000000000ff\",\"candidate\":\"candidate:1 1 udp 1 x 9 typ "
                           "host\",\"mid\":\"0\",\"extra\":[1,2]}",
                           &m, &f),
                     TL_SIGE_OK);
    assert_string_equal(m.to, "00000000000000ff");
    assert_string_equal(m.mid, "0");
    char *relay = tl_sig_build_relay(&m, "0123456789abcdef");
    assert_non_null(relay);
    assert_non_null(strstr(relay, "\"from\":\"0123456789abcdef\""));
    assert_non_null(strstr(relay, "\"type\":\"candidate\""));
    assert_null(strstr(relay, "\"to\""));
    assert_null(strstr(relay, "extra"));
    cJSON_free(relay);
    tl_sig_msg_clear(&m);

    assert_int_equal(parse("{\"type\":\"end-of-candidates\",\"group\":\"000001\",\"to\":"
                           "\"00000000000000ff\"}",
                           &m, &f),
                     TL_SIGE_OK);
    tl_sig_msg_clear(&m);
    assert_int_equal(parse("{\"type\":\"ping\"}", &m, &f), TL_SIGE_OK);
    tl_sig_msg_clear(&m);
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("", TL_SIGE_BAD_JSON, NULL);
    expect_err("{\"type\":", TL_SIGE_BAD_JSON, NULL);
    expect_err("[1,2]", TL_SIGE_BAD_JSON, NULL);
    expect_err("\"register\"", TL_SIGE_BAD_JSON, NULL);
    expect_err("{}", TL_SIGE_MISSING_FIELD, "type");
    expect_err("{\"type\":5}", TL_SIGE_BAD_FIELD, "type");
    expect_err("{\"type\":\"frobnicate\"}", TL_SIGE_UNKNOWN_TYPE, "type");
    expect_err("{\"type\":\"register\",\"v\":2}", TL_SIGE_VERSION, "v");
    expect_err("{\"type\":\"register\",\"name\":\"a b\"}", TL_SIGE_BAD_FIELD, "name");
    expect_err("{\"type\":\"register\",\"name\":42}", TL_SIGE_BAD_FIELD, "name");
    expect_err("{\"type\":\"register\",\"peer\":\"0123456789abcdef\"}", TL_SIGE_MISSING_FIELD,
               "token");
    expect_err("{\"type\":\"join\",\"group\":\"12345\",\"proof\":\"" PROOF "\"}", TL_SIGE_BAD_FIELD,
               "group");
    expect_err("{\"type\":\"join\",\"group\":123456,\"proof\":\"" PROOF "\"}", TL_SIGE_BAD_FIELD,
               "group");
    expect_err("{\"type\":\"join\",\"group\":\"123456\",\"proof\":\"AAAA\"}", TL_SIGE_BAD_FIELD,
               "proof");
    expect_err("{\"type\":\"join\",\"group\":\"123456\"}", TL_SIGE_MISSING_FIELD, "proof");
    expect_err("{\"type\":\"offer\",\"group\":\"123456\",\"to\":\"00000000000000ff\"}",
               TL_SIGE_MISSING_FIELD, "sdp");
    expect_err("{\"type\":\"offer\",\"group\":\"123456\",\"to\":\"XYZ\",\"sdp\":\"v=0\"}",
               TL_SIGE_BAD_FIELD, "to");
    expect_err("{\"type\":\"ping\",\"rid\":-1}", TL_SIGE_BAD_FIELD, "rid");
    expect_err("{\"type\":\"ping\",\"rid\":1.5}", TL_SIGE_BAD_FIELD, "rid");
    expect_err("{\"type\":\"create-group\",\"verifier\":\"" PROOF "\",\"max\":\"3\"}",
               TL_SIGE_BAD_FIELD, "max");
    expect_err("{\"type\":\"invite\",\"group\":\"000001\",\"name\":\"bob\",\"blob\":\"!!!!\"}",
               TL_SIGE_BAD_FIELD, "blob");

    /* Oversized field and oversized message. */
    size_t n = TL_SIG_CAND_MAX + 200;
    char *big = malloc(n + 200);
    int k = snprintf(big, n + 200,
                     "{\"type\":\"candidate\",\"group\":\"000001\",\"to\":\"00000000000000ff\","
                     "\"candidate\":\"");
    memset(big + k, 'a', TL_SIG_CAND_MAX + 1);
    memcpy(big + k + TL_SIG_CAND_MAX + 1, "\"}", 3);
    expect_err(big, TL_SIGE_FIELD_TOO_BIG, "candidate");
    tl_sig_msg m;
    assert_int_equal(tl_sig_parse(big, strlen(big), 100, &m, NULL), TL_SIGE_TOO_BIG);
    free(big);

    /* rid is echoed even when the body is wrong. */
    const char *f;
    assert_int_equal(parse("{\"type\":\"leave\",\"rid\":9}", &m, &f), TL_SIGE_MISSING_FIELD);
    assert_true(m.has_rid);
    assert_int_equal(m.rid, 9);
    assert_int_equal(m.type, TL_SIG_LEAVE);
    char *e = tl_sig_build_error(TL_SIGE_MISSING_FIELD, "leave", 1, 9, "group");
    assert_string_equal(e, "{\"type\":\"error\",\"rid\":9,\"code\":\"missing-field\",\"ref\":"
                           "\"leave\",\"message\":\"group\"}");
    cJSON_free(e);
}

static void test_base64(void **state)
{
    (void)state;
    uint8_t in[5] = {1, 2, 3, 4, 5}, out[8];
    char txt[16];
    for (size_t n = 0; n <= 5; n++) {
        long l = tl_sig_b64_encode(in, n, txt, sizeof(txt));
        assert_int_equal(l, (long)(4 * ((n + 2) / 3)));
        assert_int_equal(tl_sig_b64_decode(txt, (size_t)l, out, sizeof(out)), (long)n);
        assert_memory_equal(in, out, n);
    }
    assert_int_equal(tl_sig_b64_decode("AQ=A", 4, out, sizeof(out)), -1);
    assert_int_equal(tl_sig_b64_decode("AQI", 3, out, sizeof(out)), -1);
    assert_int_equal(tl_sig_b64_decode("A===", 4, out, sizeof(out)), -1);
    assert_int_equal(tl_sig_b64_decode("AQIDBA==", 8, out, 3), -1);
    assert_int_equal(tl_sig_b64_encode(in, 5, txt, 8), -1);

    /* Hex: lowercase, exact length, nothing else. */
    char hx[11];
    uint8_t back[5] = {0};
    tl_sig_hex_encode(in, 5, hx);
    assert_string_equal(hx, "0102030405");
    assert_int_equal(tl_sig_hex_decode(hx, back, 5), 0);
    assert_memory_equal(back, in, 5);
    assert_int_equal(tl_sig_hex_decode("0A02030405", back, 5), -1); /* uppercase */
    assert_int_equal(tl_sig_hex_decode("01020304", back, 5), -1);   /* short */
    assert_int_equal(tl_sig_hex_decode("010203040g", back, 5), -1); /* not hex */
}

static void test_bucket(void **state)
{
    (void)state;
    tl_sig_bucket b = {0};
    /* burst 3, 1 token per second, fake clock */
    for (int i = 0; i < 3; i++)
        assert_true(tl_sig_bucket_take(&b, 1000, 1.0, 3.0, 0));
    assert_false(tl_sig_bucket_take(&b, 1000, 1.0, 3.0, 0));
    assert_false(tl_sig_bucket_take(&b, 1999, 1.0, 3.0, 0));
    assert_true(tl_sig_bucket_take(&b, 2000, 1.0, 3.0, 1)); /* peek */
    assert_true(tl_sig_bucket_take(&b, 2000, 1.0, 3.0, 0));
    assert_false(tl_sig_bucket_take(&b, 2000, 1.0, 3.0, 0));
    /* refills only up to burst */
    assert_true(tl_sig_bucket_take(&b, 100000, 1.0, 3.0, 0));
    assert_true(tl_sig_bucket_take(&b, 100000, 1.0, 3.0, 0));
    assert_true(tl_sig_bucket_take(&b, 100000, 1.0, 3.0, 0));
    assert_false(tl_sig_bucket_take(&b, 100000, 1.0, 3.0, 0));
}

static void test_state(void **state)
{
    (void)state;
    tl_sig_state st;
    tl_sig_state_init(&st);
    uint8_t v[32] = {1};
    tl_sig_peer *a = tl_sig_peer_upsert(&st, "000000000000000a");
    tl_sig_peer *b = tl_sig_peer_upsert(&st, "000000000000000b");
    tl_sig_peer *c = tl_sig_peer_upsert(&st, "000000000000000c");
    tl_sig_peer_set_name(&st, a, "alice");
    assert_ptr_equal(tl_sig_peer_by_name(&st, "alice"), a);
    tl_sig_group *g = tl_sig_group_create(&st, 5, v, 2);
    assert_non_null(g);
    assert_null(tl_sig_group_create(&st, 5, v, 2));
    assert_int_equal(tl_sig_group_add(g, a), TL_SIGE_OK);
    assert_int_equal(tl_sig_group_add(g, a), TL_SIGE_OK); /* idempotent */
    assert_int_equal(tl_sig_group_add(g, b), TL_SIGE_OK);
    assert_int_equal(tl_sig_group_add(g, c), TL_SIGE_GROUP_FULL);
    assert_true(tl_sig_group_is_member(g, b));
    assert_false(tl_sig_group_is_member(g, c));
    tl_sig_peer_remove(&st, a);
    assert_null(tl_sig_peer_by_name(&st, "alice"));
    g = tl_sig_group_find(&st, 5);
    assert_non_null(g);
    assert_int_equal(g->n_members, 1);
    assert_true(tl_sig_group_remove(&st, g, b)); /* last member: group deleted */
    assert_null(tl_sig_group_find(&st, 5));
    assert_int_equal(b->n_groups, 0);

    assert_non_null(tl_sig_invite_add(&st, "0123456789abcdef0123456789abcdef", 5, b->id, 1000));
    assert_non_null(tl_sig_invite_find(&st, "0123456789abcdef0123456789abcdef", 999));
    assert_null(tl_sig_invite_find(&st, "0123456789abcdef0123456789abcdef", 1000));
    tl_sig_state_clear(&st);
}

/* The scale-out snapshot: a round trip keeps peers (name, token hash, server,
 * online or offline since when), groups (verifier, max, members in order) and
 * live invitations; malformed snapshots are refused whole. */
#define TH64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_snapshot(void **state)
{
    (void)state;
    tl_sig_state st;
    tl_sig_state_init(&st);
    uint8_t v[32];
    for (int i = 0; i < 32; i++)
        v[i] = (uint8_t)(7 * i + 1);
    tl_sig_peer *a = tl_sig_peer_upsert(&st, "000000000000000a");
    tl_sig_peer *b = tl_sig_peer_upsert(&st, "000000000000000b");
    tl_sig_peer_set_name(&st, a, "alice");
    memset(a->token_hash, 0xab, 32);
    memcpy(a->srv, "0000000000000001", 17);
    memcpy(b->srv, "0000000000000002", 17);
    a->online = 1;
    b->online = 0;
    b->offline_since = 4000;
    tl_sig_group *g = tl_sig_group_create(&st, 123456, v, 5);
    memcpy(g->creator, a->id, TL_SIG_ID_LEN + 1);
    assert_int_equal(tl_sig_group_add(g, b), TL_SIGE_OK);
    assert_int_equal(tl_sig_group_add(g, a), TL_SIGE_OK);
    assert_non_null(
        tl_sig_invite_add(&st, "0123456789abcdef0123456789abcdef", 123456, b->id, 9000));
    assert_non_null(
        tl_sig_invite_add(&st, "ffffffffffffffffffffffffffffffff", 123456, b->id, 4000));
    char *snap = tl_sig_snapshot_dump(&st, 5000); /* the second invite has expired */
    assert_non_null(snap);

    /* Loaded by a server whose clock reads 100000. */
    tl_sig_state cp = {0};
    const char *why = NULL;
    assert_int_equal(tl_sig_snapshot_load(&cp, snap, strlen(snap), 100000, &why), 0);
    tl_sig_peer *a2 = tl_sig_peer_find(&cp, a->id), *b2 = tl_sig_peer_find(&cp, b->id);
    assert_non_null(a2);
    assert_non_null(b2);
    assert_ptr_equal(tl_sig_peer_by_name(&cp, "alice"), a2);
    assert_memory_equal(a2->token_hash, a->token_hash, 32);
    assert_string_equal(a2->srv, "0000000000000001");
    assert_true(a2->online);
    assert_false(b2->online);
    assert_int_equal(b2->offline_since, 100000 - 1000); /* offline for 1 s */
    tl_sig_group *g2 = tl_sig_group_find(&cp, 123456);
    assert_non_null(g2);
    assert_int_equal(g2->max, 5);
    assert_memory_equal(g2->verifier, v, 32);
    assert_string_equal(g2->creator, a->id);
    assert_int_equal(g2->n_members, 2);
    assert_ptr_equal(g2->members[0], b2);
    assert_ptr_equal(g2->members[1], a2);
    assert_int_equal(a2->n_groups, 1);
    tl_sig_invite *inv = tl_sig_invite_find(&cp, "0123456789abcdef0123456789abcdef", 100000);
    assert_non_null(inv);
    assert_int_equal(inv->expires_ms, 100000 + 4000);
    assert_null(tl_sig_invite_find(&cp, "ffffffffffffffffffffffffffffffff", 100000));
    assert_int_equal(g_hash_table_size(cp.peers), 2);

    /* Refused whole: a member that is no peer, a duplicate peer, a bad
     * verifier, a fractional number, not JSON, a bad creator. The state is left empty. */
    static const char *const bad[] = {
        "{\"peers\":[],\"groups\":[{\"g\":1,\"v\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
        "\"m\":2,\"mem\":[\"000000000000000a\"]}],\"invites\":[]}",
        "{\"peers\":[{\"p\":\"000000000000000a\",\"n\":\"\",\"th\":\"" TH64
        "\",\"s\":\"0000000000000001\","
        "\"on\":true},{\"p\":\"000000000000000a\",\"n\":\"\",\"th\":\"" TH64 "\",\"s\":"
        "\"0000000000000001\",\"on\":true}],\"groups\":[],\"invites\":[]}",
        "{\"peers\":[],\"groups\":[{\"g\":1,\"v\":\"short\",\"m\":2,\"mem\":[]}],\"invites\":[]}",
        "{\"peers\":[],\"groups\":[],\"invites\":[{\"i\":\"0123456789abcdef0123456789abcdef\","
        "\"g\":1.5,\"t\":\"000000000000000a\",\"ttl_ms\":1}]}",
        "[1,2]",
        "{\"peers\":[",
        /* a group whose creator is not a peer id */
        "{\"peers\":[{\"p\":\"000000000000000a\",\"n\":\"\",\"th\":\"" TH64
        "\",\"s\":\"0000000000000001\",\"on\":true}],\"groups\":[{\"g\":1,\"v\":"
        "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"c\":\"zz\",\"m\":2,\"mem\":"
        "[\"000000000000000a\"]}],\"invites\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(tl_sig_snapshot_load(&cp, bad[i], strlen(bad[i]), 0, &why), -1);
        assert_non_null(why);
        assert_int_equal(g_hash_table_size(cp.peers), 0);
        assert_int_equal(g_hash_table_size(cp.groups), 0);
    }
    cJSON_free(snap);
    tl_sig_state_clear(&cp);
    tl_sig_state_clear(&st);
}

/* Parses s both ways (fast relay path + cJSON path); they must agree, and
 * the relay text must be what cJSON prints. Returns 1 if the fast path took
 * it. */
static int check_same(const char *s, size_t len)
{
    tl_sig_msg m, ref;
    const char *f = NULL, *rf = NULL;
    tl_sig_err e = tl_sig_parse(s, len, MAXMSG, &m, &f);
    tl_sig_err re = tl_sig_parse_slow(s, len, MAXMSG, &ref, &rf);
    if (e != re || !tl_sig_ref_msg_eq(&m, &ref) || (e && strcmp(f, rf)))
        fail_msg("fast and cJSON paths differ on '%.*s': %s vs %s", (int)len, s, tl_sig_err_code(e),
                 tl_sig_err_code(re));
    int fast = m.own != NULL;
    if (e == TL_SIGE_OK) {
        char *a = tl_sig_build_relay(&m, "0123456789abcdef");
        char *b = tl_sig_build_relay(&ref, "0123456789abcdef");
        char *want = tl_sig_ref_relay(&ref, "0123456789abcdef");
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(want);
        assert_string_equal(a, want);
        assert_string_equal(b, want);
        assert_int_equal(tl_sig_write_relay(&m, "0123456789abcdef", a), strlen(want));
        assert_true(strlen(want) <= tl_sig_relay_max_len(&m, "0123456789abcdef"));
        free(a);
        free(b);
        cJSON_free(want);
    }
    tl_sig_msg_clear(&m);
    tl_sig_msg_clear(&ref);
    return fast;
}

#define REL "\"group\":\"000042\",\"to\":\"00000000000000ff\""

static void test_fast_relay(void **state)
{
    (void)state;
    /* Taken by the fast path. */
    static const char *const fast[] = {
        "{\"type\":\"offer\"," REL ",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 1.2.3.4\\r\\n\"}",
        "{\"type\":\"answer\"," REL ",\"sdp\":\"a \\\"q\\\" \\\\ \\b\\f\\t \xc3\xa9\x7f\"}",
        "{\"type\":\"candidate\"," REL ",\"candidate\":\"candidate:1 1 udp 2 h 9 typ host\","
        "\"mid\":\"0\",\"rid\":2147483647}",
        "{\"type\":\"candidate\"," REL ",\"candidate\":\"\"}",
        " {\"rid\":0, \"type\" : \"end-of-candidates\"," REL ",\"x\":\"y\"}\r\n",
        "{\"type\":\"ice-restart\"," REL "}",
        "{\"type\":\"ice-restart\"," REL ",\"sdp\":\"s\",\"candidate\":\"c\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"mid\":\"m\",\"rid\":007}",
    };
    for (size_t i = 0; i < sizeof(fast) / sizeof(fast[0]); i++)
        if (!check_same(fast[i], strlen(fast[i])))
            fail_msg("not on the fast path: %s", fast[i]);
    /* Left to cJSON (same answers either way). */
    static const char *const slow[] = {
        "{\"type\":\"offer\"," REL ",\"sdp\":\"\\u0041\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"a\\/b\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"tab\there\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"sdp\":\"t\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\"} trailing",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",}",
        "{\"type\":\"offer\"," REL ",\"sdp\":5}",
        "{\"type\":\"offer\"," REL "}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"rid\":-1}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"rid\":2147483648}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"rid\":1.5}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"rid\":12345678901}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\",\"n\":null}",
        "{\"type\":\"offer\",\"group\":\"00004\",\"to\":\"00000000000000ff\",\"sdp\":\"s\"}",
        "{\"type\":\"offer\",\"group\":\"000042\",\"to\":\"00000000000000FF\",\"sdp\":\"s\"}",
        "{\"type\":\"offer\",\"group\":\"000042\",\"sdp\":\"s\"}",
        "{\"type\":\"Offer\"," REL ",\"sdp\":\"s\"}",
        "{\"type\":\"ping\"}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"s\\",
        "[\"offer\"]",
        "",
    };
    for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
        if (check_same(slow[i], strlen(slow[i])))
            fail_msg("unexpectedly on the fast path: %s", slow[i]);
    /* Field limits: one byte over is for cJSON to refuse. */
    char big[1200];
    int n = snprintf(big, sizeof(big), "{\"type\":\"candidate\"," REL ",\"candidate\":\"");
    memset(big + n, 'c', TL_SIG_CAND_MAX);
    snprintf(big + n + TL_SIG_CAND_MAX, sizeof(big) - (size_t)n - TL_SIG_CAND_MAX, "\"}");
    assert_true(check_same(big, strlen(big)));
    big[n] = '\\';
    big[n + 1] = 'n'; /* escapes count once */
    assert_true(check_same(big, strlen(big)));
    memset(big + n, 'c', 2);
    snprintf(big + n + TL_SIG_CAND_MAX, sizeof(big) - (size_t)n - TL_SIG_CAND_MAX, "c\"}");
    assert_false(check_same(big, strlen(big)));
    /* Embedded NUL and a length that stops early. */
    static const char nul[] = "{\"type\":\"offer\"," REL ",\"sdp\":\"a\0b\"}";
    assert_false(check_same(nul, sizeof(nul) - 1));
    const char *ok = "{\"type\":\"offer\"," REL ",\"sdp\":\"s\"}";
    for (size_t k = 0; k < strlen(ok); k++)
        check_same(ok, k);

    /* Random single-byte changes of valid relays: both paths agree. */
    static const char *const seeds[] = {
        "{\"type\":\"candidate\"," REL ",\"candidate\":\"c \\\"x\\\\\",\"mid\":\"0\",\"rid\":12}",
        "{\"type\":\"offer\"," REL ",\"sdp\":\"v=0\\r\\n\"}",
    };
    static const char alphabet[] = "{}[]\":,\\ \t\r\n0123456789abcdefuAZ/-.e+\x01\x1f\x7f\x80";
    uint32_t rnd = 12345;
    for (int it = 0; it < 20000; it++) {
        char buf[256];
        const char *seed = seeds[it % 2];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        for (int k = 0; k < 1 + it % 3; k++) {
            rnd = rnd * 1103515245u + 12345u;
            size_t at = (rnd >> 8) % len;
            rnd = rnd * 1103515245u + 12345u;
            buf[at] = alphabet[(rnd >> 8) % (sizeof(alphabet) - 1)];
        }
        check_same(buf, len);
    }
}

static void test_group_str(void **state)
{
    (void)state;
    static const uint32_t v[] = {0, 7, 42, 999999, 1000000, 1234567, UINT32_MAX};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char got[8], want[16];
        tl_sig_group_str(v[i], got);
        snprintf(want, sizeof(want), "%06u", (unsigned)(v[i] % 1000000u));
        assert_string_equal(got, want);
    }
}

/* The relay writer escapes every byte as cJSON prints it. */
static void test_relay_escaping(void **state)
{
    (void)state;
    char s[256];
    for (int i = 1; i < 256; i++)
        s[i - 1] = (char)i;
    s[255] = '\0';
    tl_sig_msg m;
    memset(&m, 0, sizeof(m));
    m.type = TL_SIG_CANDIDATE;
    m.group = 7;
    m.candidate = s;
    m.mid = "\"\\\n";
    char *a = tl_sig_build_relay(&m, "from\x01\"");
    char *want = tl_sig_ref_relay(&m, "from\x01\"");
    assert_non_null(a);
    assert_non_null(want);
    assert_string_equal(a, want);
    assert_true(strlen(want) <= tl_sig_relay_max_len(&m, "from\x01\""));
    free(a);
    cJSON_free(want);
}

/* TURN REST API credential (coturn use-auth-secret): the expected
 * password is `printf '%s' 1733600000:0123456789abcdef | openssl dgst -sha1
 * -hmac tallow-test-secret -binary | base64`. */
static void test_turn_credential(void **state)
{
    (void)state;
    char user[64], cred[40];
    assert_int_equal(tl_sig_turn_credential("tallow-test-secret", 1733600000u, "0123456789abcdef",
                                            user, sizeof(user), cred, sizeof(cred)),
                     0);
    assert_string_equal(user, "1733600000:0123456789abcdef");
    assert_string_equal(cred, "8acncQWfuaQl5VgbXEbE3/DdDVU=");
    /* Too small buffers and no secret are refused, never truncated. */
    assert_int_equal(
        tl_sig_turn_credential("s", 1733600000u, "0123456789abcdef", user, 20, cred, sizeof(cred)),
        -1);
    assert_int_equal(tl_sig_turn_credential("s", 1, "p", user, sizeof(user), cred, 20), -1);
    assert_int_equal(tl_sig_turn_credential(NULL, 1, "p", user, sizeof(user), cred, sizeof(cred)),
                     -1);
}

static void test_ice_url(void **state)
{
    (void)state;
    assert_true(tl_sig_valid_ice_url("stun:198.51.100.1:3478"));
    assert_true(tl_sig_valid_ice_url("turn:turn.example.org?transport=tcp"));
    assert_true(tl_sig_valid_ice_url("turn:[2001:db8::1]:3478"));
    assert_false(tl_sig_valid_ice_url("turns:example.org"));
    assert_false(tl_sig_valid_ice_url("http://example.org"));
    assert_false(tl_sig_valid_ice_url("stun:"));
    assert_false(tl_sig_valid_ice_url("stun:a b"));
    assert_false(tl_sig_valid_ice_url("stun:a\"b"));
    assert_false(tl_sig_valid_ice_url("stun:a\x1b[2J"));
    assert_false(tl_sig_valid_ice_url(NULL));
    char big[300];
    memset(big, 'a', sizeof(big));
    memcpy(big, "stun:", 5);
    big[sizeof(big) - 1] = '\0';
    assert_false(tl_sig_valid_ice_url(big));
    assert_true(tl_sig_valid_text("1733600000:0123456789abcdef", 255));
    assert_false(tl_sig_valid_text("", 255));
    assert_false(tl_sig_valid_text("a b", 255));
    assert_false(tl_sig_valid_text("abc", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_base64),     cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_state),      cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_fast_relay), cmocka_unit_test(test_relay_escaping),
        cmocka_unit_test(test_group_str),  cmocka_unit_test(test_turn_credential),
        cmocka_unit_test(test_ice_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
