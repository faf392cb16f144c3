/* SDP parser/emitter and candidate lines: real Chromium and Firefox
 * fixtures, round trips, answers rejecting audio/video, malformed input.
 *
 * Run with --answer (reads an offer on stdin, prints libtallow's answer) or
 * --offer (prints an offer) to check the emitter against a real browser:
 * tests/rtc/fixtures/capture-chromium.sh --verify build/tests/rtc/test_sdp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/sdp.h"

#define FIXTURES TL_SOURCE_DIR "/tests/rtc/fixtures/"

static char *load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *buf = malloc(TL_SDP_MAX_TEXT + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, TL_SDP_MAX_TEXT, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int parse_str(const char *s, tl_sdp *out, char *err, size_t errlen)
{
    return tl_sdp_parse(s, strlen(s), out, err, errlen);
}

static tl_sdp *parse_fixture(const char *name)
{
    size_t len;
    char *text = load(name, &len);
    tl_sdp *s = malloc(sizeof(*s));
    char err[160];
    assert_non_null(s);
    int rc = tl_sdp_parse(text, len, s, err, sizeof(err));
    if (rc != TL_OK)
        fail_msg("%s: %s (%d)", name, err, rc);
    free(text);
    return s;
}

static int fp_nonzero(const tl_sdp *s)
{
    for (size_t i = 0; i < TL_FINGERPRINT_LEN; i++)
        if (s->fingerprint[i] != 0)
            return 1;
    return 0;
}

/* ---- fixtures ---- */

static void test_chromium_offer_nocand(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("chromium-offer-nocand.sdp");
    assert_true(s->has_datachannel);
    assert_int_equal(s->dc_index, 0);
    assert_string_equal(s->mid, "0");
    assert_int_equal(strlen(s->ice_ufrag), 4);
    assert_int_equal(strlen(s->ice_pwd), 24);
    assert_true(s->ice_options_trickle);
    assert_true(s->has_fingerprint);
    assert_true(fp_nonzero(s));
    assert_int_equal(s->setup, TL_SETUP_ACTPASS);
    assert_int_equal(s->sctp_port, 5000);
    assert_int_equal(s->max_message_size, 262144);
    assert_int_equal(s->n_candidates, 0);
    assert_int_equal(s->n_others, 0);
    assert_true(s->session_id > 0);
    free(s);
}

static void test_chromium_offer_candidates(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("chromium-offer.sdp");
    assert_true(s->n_candidates >= 1);
    const tl_sdp_candidate *c = &s->candidates[0];
    assert_int_equal(c->type, TL_CAND_HOST);
    assert_string_equal(c->transport, "udp");
    assert_string_equal(c->addr, "10.201.0.1");
    assert_int_equal(c->component, 1);
    assert_true(c->port > 0);
    free(s);

    s = parse_fixture("chromium-offer-mdns.sdp");
    assert_true(s->n_candidates >= 1);
    c = &s->candidates[0];
    size_t n = strlen(c->addr);
    assert_true(n > 6);
    assert_string_equal(c->addr + n - 6, ".local");
    free(s);
}

static void test_chromium_answer(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("chromium-answer.sdp");
    assert_int_equal(s->setup, TL_SETUP_ACTIVE);
    assert_string_equal(s->mid, "0");
    assert_true(s->has_fingerprint);
    free(s);
}

static void test_chromium_offer_av(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("chromium-offer-av.sdp");
    assert_int_equal(s->dc_index, 2);
    assert_int_equal(s->n_others, 2);
    assert_string_equal(s->others[0].media, "audio");
    assert_string_equal(s->others[0].proto, "UDP/TLS/RTP/SAVPF");
    assert_string_equal(s->others[0].mid, "0");
    assert_string_equal(s->others[0].fmt, "111");
    assert_string_equal(s->others[1].media, "video");
    assert_string_equal(s->others[1].mid, "1");
    assert_string_equal(s->mid, "2");
    assert_true(s->has_fingerprint);
    free(s);
}

static void test_firefox_offer(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("firefox-offer.sdp");
    assert_true(s->has_datachannel);
    assert_true(s->has_fingerprint); /* sha-256 chosen among others if present */
    assert_int_equal(s->setup, TL_SETUP_ACTPASS);
    assert_int_equal(s->sctp_port, 5000);
    assert_true(s->max_message_size > 65536);
    assert_true(strlen(s->ice_ufrag) >= 4);
    assert_true(strlen(s->ice_pwd) >= 22);
    free(s);
    s = parse_fixture("firefox-offer-candidates.sdp");
    assert_true(s->n_candidates >= 2);
    assert_true(s->end_of_candidates);
    int udp = 0, tcp = 0;
    for (size_t i = 0; i < s->n_candidates; i++) {
        udp += strcmp(s->candidates[i].transport, "udp") == 0;
        if (strcmp(s->candidates[i].transport, "tcp") == 0) {
            tcp++;
            assert_string_equal(s->candidates[i].tcptype, "active");
        }
    }
    assert_true(udp >= 1 && tcp >= 1);
    free(s);
    s = parse_fixture("firefox-answer.sdp");
    assert_int_equal(s->setup, TL_SETUP_ACTIVE);
    assert_string_equal(s->mid, "0");
    assert_true(s->has_fingerprint);
    assert_int_equal(s->max_message_size, 1073741823);
    free(s);
}

static void test_legacy_sctpmap(void **state)
{
    (void)state;
    tl_sdp *s = parse_fixture("legacy-sctpmap-offer.sdp");
    assert_int_equal(s->sctp_port, 5000);
    assert_int_equal(s->max_message_size, 65536);
    assert_int_equal(s->setup, TL_SETUP_ACTPASS);
    assert_int_equal(s->n_candidates, 2);
    free(s);
}

/* ---- emit ---- */

static const uint8_t FP[TL_FINGERPRINT_LEN] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
    0x00, 0xff, 0x11, 0xee, 0x22, 0xdd, 0x33, 0xcc, 0x44, 0xbb, 0x55, 0xaa, 0x66, 0x99, 0x77, 0x88};

static void fill_local(tl_sdp *s)
{
    tl_sdp_init(s);
    s->session_id = 4611686018427387904ULL;
    s->session_version = 2;
    snprintf(s->ice_ufrag, sizeof(s->ice_ufrag), "tlAb");
    snprintf(s->ice_pwd, sizeof(s->ice_pwd), "0123456789abcdefABCD+/xy");
    memcpy(s->fingerprint, FP, sizeof(FP));
    s->has_fingerprint = 1;
    s->setup = TL_SETUP_ACTPASS;
    s->max_message_size = 262144;
    static const char *const lines[] = {
        "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
        "candidate:2 1 udp 1694498815 203.0.113.7 41000 typ srflx raddr 127.0.0.1 rport 50000",
        "candidate:3 1 udp 16777215 198.51.100.1 3478 typ relay raddr 203.0.113.7 rport 41000",
        "candidate:4 1 tcp 1518280447 ::1 9 typ host tcptype active",
        "candidate:5 1 udp 1853693695 203.0.113.9 5555 typ prflx raddr 0.0.0.0 rport 0",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_int_equal(tl_sdp_parse_candidate(lines[i], &s->candidates[s->n_candidates++]),
                         TL_OK);
    s->end_of_candidates = 1;
}

static void assert_same(const tl_sdp *a, const tl_sdp *b)
{
    assert_int_equal(a->session_id, b->session_id);
    assert_int_equal(a->session_version, b->session_version);
    assert_string_equal(a->mid, b->mid);
    assert_string_equal(a->ice_ufrag, b->ice_ufrag);
    assert_string_equal(a->ice_pwd, b->ice_pwd);
    assert_memory_equal(a->fingerprint, b->fingerprint, TL_FINGERPRINT_LEN);
    assert_int_equal(a->has_fingerprint, b->has_fingerprint);
    assert_int_equal(a->setup, b->setup);
    assert_int_equal(a->sctp_port, b->sctp_port);
    assert_int_equal(a->max_message_size, b->max_message_size);
    assert_int_equal(a->ice_options_trickle, b->ice_options_trickle);
    assert_int_equal(a->end_of_candidates, b->end_of_candidates);
    assert_int_equal(a->n_candidates, b->n_candidates);
    assert_memory_equal(a->candidates, b->candidates, a->n_candidates * sizeof(a->candidates[0]));
    assert_int_equal(a->n_others, b->n_others);
    assert_int_equal(a->dc_index, b->dc_index);
    for (size_t i = 0; i < a->n_others; i++) {
        assert_string_equal(a->others[i].media, b->others[i].media);
        assert_string_equal(a->others[i].proto, b->others[i].proto);
        assert_string_equal(a->others[i].mid, b->others[i].mid);
        assert_string_equal(a->others[i].fmt, b->others[i].fmt);
    }
}

static void test_emit_round_trip(void **state)
{
    (void)state;
    tl_sdp *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    char *text = NULL, err[160];
    assert_non_null(a);
    assert_non_null(b);
    fill_local(a);
    assert_int_equal(tl_sdp_emit(a, &text), TL_OK);
    assert_non_null(strstr(text, "\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert_non_null(strstr(text, "\r\na=group:BUNDLE 0\r\n"));
    assert_non_null(strstr(text, "\r\na=msid-semantic: WMS\r\n"));
    assert_non_null(strstr(text, "\r\na=fingerprint:sha-256 01:23:45:67:89:AB:CD:EF:10:32:"));
    assert_non_null(strstr(text, "\r\na=setup:actpass\r\n"));
    assert_non_null(strstr(text, "\r\na=max-message-size:262144\r\n"));
    assert_non_null(strstr(text, "\r\na=end-of-candidates\r\n"));
    int rc = parse_str(text, b, err, sizeof(err));
    if (rc != TL_OK)
        fail_msg("%s", err);
    assert_same(a, b);
    tl_free(text);

    /* Every fixture survives parse -> emit -> parse unchanged. */
    static const char *const fx[] = {"chromium-offer.sdp",          "chromium-offer-nocand.sdp",
                                     "chromium-answer.sdp",         "chromium-offer-av.sdp",
                                     "chromium-offer-mdns.sdp",     "firefox-offer.sdp",
                                     "firefox-offer-candidates.sdp"};
    for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
        tl_sdp *p = parse_fixture(fx[i]);
        assert_int_equal(tl_sdp_emit(p, &text), TL_OK);
        rc = parse_str(text, b, err, sizeof(err));
        if (rc != TL_OK)
            fail_msg("%s re-parse: %s", fx[i], err);
        assert_same(p, b);
        tl_free(text);
        free(p);
    }
    free(a);
    free(b);
}

static void test_answer_rejects_av(void **state)
{
    (void)state;
    tl_sdp *offer = parse_fixture("chromium-offer-av.sdp");
    tl_sdp *ans = calloc(1, sizeof(*ans));
    assert_non_null(ans);
    tl_sdp_init_answer(ans, offer);
    snprintf(ans->ice_ufrag, sizeof(ans->ice_ufrag), "abcd");
    snprintf(ans->ice_pwd, sizeof(ans->ice_pwd), "abcdefghijklmnopqrstuvwx");
    memcpy(ans->fingerprint, FP, sizeof(FP));
    ans->has_fingerprint = 1;
    ans->setup = TL_SETUP_ACTIVE;
    char *text = NULL;
    assert_int_equal(tl_sdp_emit(ans, &text), TL_OK);
    const char *audio = strstr(text, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n");
    const char *video = strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n");
    const char *app = strstr(text, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
    assert_non_null(audio);
    assert_non_null(video);
    assert_non_null(app);
    assert_true(audio < video && video < app); /* original order kept */
    assert_non_null(strstr(text, "\r\na=group:BUNDLE 2\r\n"));
    assert_non_null(strstr(audio, "a=mid:0\r\n"));
    assert_non_null(strstr(text, "a=setup:active\r\n"));
    char err[160];
    tl_sdp *back = calloc(1, sizeof(*back));
    assert_non_null(back);
    assert_int_equal(parse_str(text, back, err, sizeof(err)), TL_OK);
    assert_int_equal(back->dc_index, 2);
    assert_int_equal(back->n_others, 2);
    assert_string_equal(back->mid, "2");
    tl_free(text);
    free(back);
    free(ans);
    free(offer);
}

static void test_emit_invalid(void **state)
{
    (void)state;
    tl_sdp *s = calloc(1, sizeof(*s));
    char *text = (char *)1;
    assert_non_null(s);
    fill_local(s);
    s->has_fingerprint = 0;
    assert_int_equal(tl_sdp_emit(s, &text), TL_ERR_INVALID_ARG);
    assert_null(text);
    fill_local(s);
    snprintf(s->ice_ufrag, sizeof(s->ice_ufrag), "a b c");
    assert_int_equal(tl_sdp_emit(s, &text), TL_ERR_INVALID_ARG);
    fill_local(s);
    snprintf(s->mid, sizeof(s->mid), "x\r\ny");
    assert_int_equal(tl_sdp_emit(s, &text), TL_ERR_INVALID_ARG);
    fill_local(s);
    snprintf(s->candidates[0].addr, sizeof(s->candidates[0].addr), "1.2.3.4 typ relay");
    assert_int_equal(tl_sdp_emit(s, &text), TL_ERR_INVALID_ARG);
    assert_int_equal(tl_sdp_emit(NULL, &text), TL_ERR_INVALID_ARG);
    free(s);
}

/* ---- malformed input ---- */

static const char BASE[] = "v=0\r\n"
                           "o=- 1 2 IN IP4 127.0.0.1\r\n"
                           "s=-\r\n"
                           "t=0 0\r\n"
                           "a=group:BUNDLE 0\r\n"
                           "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                           "c=IN IP4 0.0.0.0\r\n"
                           "a=ice-ufrag:abcd\r\n"
                           "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                           "a=fingerprint:sha-256 "
                           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n"
                           "a=setup:actpass\r\n"
                           "a=mid:0\r\n"
                           "a=sctp-port:5000\r\n";

/* BASE with the line starting with `prefix` replaced by `repl` (NULL:
 * deleted), or repl appended when prefix is NULL. */
static char *variant(const char *prefix, const char *repl)
{
    size_t cap = sizeof(BASE) + (repl ? strlen(repl) : 0) + 8;
    char *out = malloc(cap);
    assert_non_null(out);
    if (prefix == NULL) {
        snprintf(out, cap, "%s%s\r\n", BASE, repl);
        return out;
    }
    const char *at = strstr(BASE, prefix);
    assert_non_null(at);
    const char *eol = strstr(at, "\r\n") + 2;
    snprintf(out, cap, "%.*s%s%s%s", (int)(at - BASE), BASE, repl ? repl : "", repl ? "\r\n" : "",
             eol);
    return out;
}

static void expect_fail(const char *text, size_t len, int code, const char *reason)
{
    tl_sdp *s = malloc(sizeof(*s));
    char err[160] = "unset";
    assert_non_null(s);
    int rc = tl_sdp_parse(text, len, s, err, sizeof(err));
    if (rc != code)
        fail_msg("want %d got %d (%s) for reason '%s'", code, rc, err, reason);
    if (strstr(err, reason) == NULL)
        fail_msg("reason '%s' not in '%s'", reason, err);
    free(s);
}

static void expect_variant_fail(const char *prefix, const char *repl, int code, const char *reason)
{
    char *t = variant(prefix, repl);
    expect_fail(t, strlen(t), code, reason);
    free(t);
}

static void test_base_parses(void **state)
{
    (void)state;
    tl_sdp *s = malloc(sizeof(*s));
    char err[160];
    assert_non_null(s);
    assert_int_equal(parse_str(BASE, s, err, sizeof(err)), TL_OK);
    /* LF only, and no trailing newline at all */
    char lf[sizeof(BASE)];
    size_t k = 0;
    for (size_t i = 0; BASE[i]; i++)
        if (BASE[i] != '\r')
            lf[k++] = BASE[i];
    assert_int_equal(tl_sdp_parse(lf, k, s, err, sizeof(err)), TL_OK);
    assert_int_equal(tl_sdp_parse(lf, k - 1, s, err, sizeof(err)), TL_OK);
    assert_int_equal(s->sctp_port, 5000);
    assert_int_equal(s->max_message_size, 65536);
    /* a tiny or absent error buffer is never overrun */
    char small[8];
    memset(small, 'Z', sizeof(small));
    assert_int_equal(tl_sdp_parse("v=1", 3, s, small, 5), TL_ERR_PARSE);
    assert_string_equal(small, "line");
    assert_int_equal(small[5], 'Z');
    assert_int_equal(tl_sdp_parse("v=1", 3, s, NULL, 0), TL_ERR_PARSE);
    assert_int_equal(tl_sdp_parse(NULL, 5, s, NULL, 0), TL_ERR_PARSE);
    free(s);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_variant_fail("a=fingerprint", NULL, TL_ERR_PARSE,
                        "end of input: no a=fingerprint:sha-256");
    expect_variant_fail("a=fingerprint", "a=fingerprint:sha-1 AA:BB", TL_ERR_PARSE,
                        "no a=fingerprint:sha-256");
    expect_variant_fail("a=fingerprint",
                        "a=fingerprint:sha-256 "
                        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:9G",
                        TL_ERR_PARSE, "line 10: bad a=fingerprint sha-256");
    expect_variant_fail("a=fingerprint", "a=fingerprint:sha-256 AA:BB:CC", TL_ERR_PARSE,
                        "line 10: bad a=fingerprint");
    expect_variant_fail("a=fingerprint", "a=fingerprint:sha-256", TL_ERR_PARSE,
                        "line 10: a=fingerprint needs");
    expect_variant_fail("a=ice-ufrag", NULL, TL_ERR_PARSE, "no a=ice-ufrag");
    expect_variant_fail("a=ice-pwd", NULL, TL_ERR_PARSE, "no a=ice-pwd");
    expect_variant_fail("a=ice-ufrag", "a=ice-ufrag:ab", TL_ERR_PARSE, "line 8: a=ice-ufrag");
    expect_variant_fail("a=ice-ufrag", "a=ice-ufrag:ab;cd", TL_ERR_PARSE, "line 8: a=ice-ufrag");
    expect_variant_fail("a=ice-pwd", "a=ice-pwd:short", TL_ERR_PARSE, "line 9: a=ice-pwd");
    char huge[400];
    memcpy(huge, "a=ice-ufrag:", 12);
    memset(huge + 12, 'x', 300);
    huge[312] = '\0';
    expect_variant_fail("a=ice-ufrag", huge, TL_ERR_TOO_BIG, "line 8: a=ice-ufrag longer");
    expect_variant_fail("a=setup", "a=setup:sideways", TL_ERR_PARSE, "line 11: bad a=setup");
    expect_variant_fail(NULL, "a=setup:active", TL_ERR_PARSE, "line 14: duplicate a=setup");
    expect_variant_fail("a=sctp-port", "a=sctp-port:70000", TL_ERR_PARSE, "bad a=sctp-port");
    expect_variant_fail("a=sctp-port", "a=sctp-port:50x", TL_ERR_PARSE, "bad a=sctp-port");
    expect_variant_fail(NULL, "a=max-message-size:-1", TL_ERR_PARSE, "bad a=max-message-size");
    expect_variant_fail(NULL, "a=max-message-size:99999999999999999999999", TL_ERR_PARSE,
                        "line 14: bad a=max-message-size");
    expect_variant_fail("o=", "o=- abc 2 IN IP4 127.0.0.1", TL_ERR_PARSE, "line 2: o= session");
    expect_variant_fail("o=", "o=- 1 2", TL_ERR_PARSE, "line 2: o= needs 6");
    expect_variant_fail("o=", NULL, TL_ERR_PARSE, "m= before the o=");
    expect_variant_fail("v=", "v=1", TL_ERR_PARSE, "line 1: v=");
    expect_variant_fail("v=", NULL, TL_ERR_PARSE, "line 1: first line must be v=0");
    expect_variant_fail("m=", "m=application 9", TL_ERR_PARSE, "line 6: m= needs");
    expect_variant_fail("m=", "m=application 99999 UDP/DTLS/SCTP webrtc-datachannel", TL_ERR_PARSE,
                        "line 6: bad m= port");
    expect_variant_fail("m=", "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
                        TL_ERR_UNSUPPORTED, "no usable m=application");
    expect_variant_fail("m=", "m=audio 9 UDP/TLS/RTP/SAVPF 111", TL_ERR_UNSUPPORTED,
                        "no usable m=application");
    expect_variant_fail("c=", "garbage", TL_ERR_PARSE, "line 7: expected <letter>=<value>");
    expect_variant_fail("c=", "c", TL_ERR_PARSE, "line 7: expected");
    expect_variant_fail("c=", "", TL_ERR_PARSE, "line 7: empty line");
    expect_variant_fail("a=mid", "a=mid:", TL_ERR_PARSE, "line 12: bad a=mid");
    expect_variant_fail(NULL, "a=mid:1", TL_ERR_PARSE, "line 14: duplicate a=mid");
    /* fuzz_sdp: two sections with mid 0 made the BUNDLE tag ambiguous */
    expect_variant_fail(NULL, "m=audio 0 RTP/AVP 0\r\na=mid:0", TL_ERR_PARSE,
                        "line 15: a=mid repeats the mid of m= section 1");
    expect_variant_fail("a=group", "a=candidate:1 1 udp 1 1.2.3.4 5 typ host", TL_ERR_PARSE,
                        "line 5: a=candidate at session level");
    expect_variant_fail(NULL, "a=candidate:1 1 udp 1 1.2.3.4 65536 typ host", TL_ERR_PARSE,
                        "line 14: bad a=candidate");
    expect_variant_fail(NULL, "a=candidate:1 1 udp 1 1.2.3.4 -5 typ host", TL_ERR_PARSE,
                        "line 14: bad a=candidate");
    expect_variant_fail(NULL, "a=candidate:1 1 udp 1x 1.2.3.4 5 typ host", TL_ERR_PARSE,
                        "line 14: bad a=candidate");
    expect_variant_fail(NULL, "a=candidate:1 1 udp 1 1.2.3.4 5 typ", TL_ERR_PARSE,
                        "line 14: bad a=candidate");
    /* truncated mid-line: the last line is cut short */
    const char *cut = strstr(BASE, "a=fingerprint") + 40;
    expect_fail(BASE, (size_t)(cut - BASE), TL_ERR_PARSE, "line 10: bad a=fingerprint");
    expect_fail(BASE, 3, TL_ERR_PARSE, "end of input: missing o=, s= or t=");
    expect_fail(BASE, 2, TL_ERR_PARSE, "line 1: v= must");
    expect_fail(BASE, 0, TL_ERR_PARSE, "empty description");
    expect_fail("", 0, TL_ERR_PARSE, "empty description");
}

static void test_nul_and_control(void **state)
{
    (void)state;
    char buf[sizeof(BASE)];
    memcpy(buf, BASE, sizeof(BASE));
    char *p = strstr(buf, "a=mid:0") + 6;
    *p = '\0';
    expect_fail(buf, sizeof(BASE) - 1, TL_ERR_PARSE, "line 12: NUL byte at column 7");
    *p = '\x01';
    expect_fail(buf, sizeof(BASE) - 1, TL_ERR_PARSE, "line 12: control character 0x01");
    *p = '\r';
    expect_fail(buf, sizeof(BASE) - 1, TL_ERR_PARSE, "line 12: control character 0x0d");
}

static void test_too_big(void **state)
{
    (void)state;
    size_t n = TL_SDP_MAX_TEXT + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    memcpy(big, BASE, sizeof(BASE) - 1);
    expect_fail(big, n, TL_ERR_TOO_BIG, "exceeds the 65536-byte limit");
    /* under the limit, a long valid input made of many ignored lines */
    size_t len = sizeof(BASE) - 1;
    memcpy(big, BASE, len);
    while (len + 40 < TL_SDP_MAX_TEXT) {
        memcpy(big + len, "a=x-padding:0123456789012345678901234\r\n", 39);
        len += 39;
    }
    tl_sdp *s = malloc(sizeof(*s));
    char err[160];
    assert_non_null(s);
    assert_int_equal(tl_sdp_parse(big, len, s, err, sizeof(err)), TL_OK);
    /* too many candidates and m= sections */
    len = sizeof(BASE) - 1;
    memcpy(big, BASE, len);
    for (int i = 0; i < TL_SDP_MAX_CANDIDATES + 1; i++)
        len += (size_t)snprintf(big + len, n - len,
                                "a=candidate:%d 1 udp 1 10.0.0.1 %d typ host\r\n", i, 1000 + i);
    expect_fail(big, len, TL_ERR_TOO_BIG, "more than 64 a=candidate lines");
    len = sizeof(BASE) - 1;
    memcpy(big, BASE, len);
    for (int i = 0; i < TL_SDP_MAX_MSECTIONS; i++)
        len += (size_t)snprintf(big + len, n - len, "m=audio 0 RTP/AVP 0\r\n");
    expect_fail(big, len, TL_ERR_TOO_BIG, "more than 16 m= sections");
    free(s);
    free(big);
}

static void test_session_level_attrs(void **state)
{
    (void)state;
    /* Firefox-style: ice and fingerprint at session level, not in the m=
     * section; a second hash alongside sha-256. */
    const char *t =
        "v=0\n"
        "o=mozilla...THIS_IS_SDPARTA-115.0 6318467352823405498 0 IN IP4 0.0.0.0\n"
        "s=-\n"
        "t=0 0\n"
        "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n"
        "a=fingerprint:sha-256 "
        "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:"
        "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99\n"
        "a=ice-options:trickle\n"
        "a=ice-ufrag:8f6a1c2e\n"
        "a=ice-pwd:2a1f3c5e7b9d0f1a2c3e4f5a6b7c8d9e\n"
        "a=setup:actpass\n"
        "a=group:BUNDLE 0\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
        "c=IN IP4 0.0.0.0\n"
        "a=sendrecv\n"
        "a=mid:0\n"
        "a=sctp-port:5000\n"
        "a=max-message-size:0\n";
    tl_sdp *s = malloc(sizeof(*s));
    char err[160];
    assert_non_null(s);
    int rc = parse_str(t, s, err, sizeof(err));
    if (rc != TL_OK)
        fail_msg("%s", err);
    assert_string_equal(s->ice_ufrag, "8f6a1c2e");
    assert_int_equal(s->fingerprint[0], 0xaa);
    assert_int_equal(s->setup, TL_SETUP_ACTPASS);
    assert_true(s->ice_options_trickle);
    assert_int_equal(s->max_message_size, 0);
    assert_int_equal(s->session_id, 6318467352823405498ULL);
    free(s);
}

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < cap - *len);
    *len += (size_t)n;
}

/* Audio and video before the data channel, each with its own candidates:
 * only the data channel's are kept, and the 64-candidate limit applies to
 * them alone. */
static void test_candidates_per_section(void **state)
{
    (void)state;
    size_t cap = 32768, len = 0;
    char *t = malloc(cap), err[160];
    tl_sdp *s = malloc(sizeof(*s));
    assert_non_null(t);
    assert_non_null(s);
    append(t, cap, &len,
           "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
           "a=group:BUNDLE a v d\r\n");
    static const char *const m[] = {"audio 9 UDP/TLS/RTP/SAVPF 111", "video 9 UDP/TLS/RTP/SAVPF 96",
                                    "application 9 UDP/DTLS/SCTP webrtc-datachannel"};
    static const char *const mids[] = {"a", "v", "d"};
    for (int sec = 0; sec < 3; sec++) {
        append(t, cap, &len, "m=%s\r\nc=IN IP4 0.0.0.0\r\n", m[sec]);
        for (int i = 0; i < 50; i++)
            append(t, cap, &len, "a=candidate:%d 1 udp %d 10.0.%d.%d %d typ host\r\n", i, 1000 + i,
                   sec, i, 40000 + sec * 100 + i);
        append(t, cap, &len,
               "a=ice-ufrag:ufr%d\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
               "a=fingerprint:sha-256 "
               "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
               "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n"
               "a=setup:actpass\r\na=mid:%s\r\n",
               sec, mids[sec]);
    }
    int rc = tl_sdp_parse(t, len, s, err, sizeof(err));
    if (rc != TL_OK)
        fail_msg("%s", err);
    assert_int_equal(s->n_candidates, 50);
    assert_string_equal(s->candidates[0].addr, "10.0.2.0");
    assert_int_equal(s->candidates[49].port, 40249);
    assert_string_equal(s->ice_ufrag, "ufr2");
    assert_int_equal(s->n_others, 2);
    free(s);
    free(t);
}

/* Firefox-style bundle-only data channel: port 0, no transport attributes
 * or candidates of its own; they come from the BUNDLE tag section. */
static void test_bundle_only(void **state)
{
    (void)state;
    const char *t = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                    "a=group:BUNDLE 0 1\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 109\r\n"
                    "c=IN IP4 0.0.0.0\r\n"
                    "a=candidate:0 1 UDP 2122252543 10.201.0.1 42117 typ host\r\n"
                    "a=end-of-candidates\r\n"
                    "a=ice-ufrag:ff1ba64f\r\n"
                    "a=ice-pwd:5e9462a8fa9a9b1113b0ebb059b9c2a9\r\n"
                    "a=fingerprint:sha-256 "
                    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n"
                    "a=setup:actpass\r\n"
                    "a=mid:0\r\n"
                    "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                    "c=IN IP4 0.0.0.0\r\n"
                    "a=bundle-only\r\n"
                    "a=mid:1\r\n"
                    "a=sctp-port:5000\r\n";
    tl_sdp *s = malloc(sizeof(*s));
    char err[160];
    assert_non_null(s);
    int rc = parse_str(t, s, err, sizeof(err));
    if (rc != TL_OK)
        fail_msg("%s", err);
    assert_string_equal(s->mid, "1");
    assert_int_equal(s->dc_index, 1);
    assert_string_equal(s->ice_ufrag, "ff1ba64f");
    assert_int_equal(s->n_candidates, 1);
    assert_true(s->end_of_candidates);
    assert_int_equal(s->setup, TL_SETUP_ACTPASS);
    free(s);
}

/* ---- candidates ---- */

static void test_candidate_types(void **state)
{
    (void)state;
    tl_sdp_candidate c;
    char buf[256];
    assert_int_equal(tl_sdp_parse_candidate("candidate:842163049 1 udp 1677729535 203.0.113.7 "
                                            "46154 typ srflx raddr 10.0.0.1 rport 46154 "
                                            "generation 0 ufrag sXMK network-id 1 network-cost 10",
                                            &c),
                     TL_OK);
    assert_int_equal(c.type, TL_CAND_SRFLX);
    assert_string_equal(c.foundation, "842163049");
    assert_int_equal(c.priority, 1677729535u);
    assert_string_equal(c.addr, "203.0.113.7");
    assert_int_equal(c.port, 46154);
    assert_string_equal(c.raddr, "10.0.0.1");
    assert_int_equal(c.rport, 46154);
    assert_int_equal(tl_sdp_format_candidate(&c, buf, sizeof(buf)), TL_OK);
    assert_string_equal(buf, "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx "
                             "raddr 10.0.0.1 rport 46154");

    assert_int_equal(tl_sdp_parse_candidate("a=candidate:3 1 UDP 41885439 198.51.100.2 3478 typ "
                                            "relay raddr 203.0.113.7 rport 50000\r\n",
                                            &c),
                     TL_OK);
    assert_int_equal(c.type, TL_CAND_RELAY);
    assert_string_equal(c.transport, "udp");

    assert_int_equal(tl_sdp_parse_candidate("candidate:4 1 udp 1853824767 192.0.2.4 9999 typ prflx "
                                            "raddr 0.0.0.0 rport 0 generation 0",
                                            &c),
                     TL_OK);
    assert_int_equal(c.type, TL_CAND_PRFLX);

    assert_int_equal(tl_sdp_parse_candidate("candidate:5 1 tcp 1518280447 2001:db8::1 9 typ host "
                                            "tcptype active generation 0 network-id 2",
                                            &c),
                     TL_OK);
    assert_int_equal(c.type, TL_CAND_HOST);
    assert_string_equal(c.transport, "tcp");
    assert_string_equal(c.addr, "2001:db8::1");
    assert_string_equal(c.tcptype, "active");
    assert_int_equal(tl_sdp_format_candidate(&c, buf, sizeof(buf)), TL_OK);
    assert_string_equal(buf, "candidate:5 1 tcp 1518280447 2001:db8::1 9 typ host tcptype active");

    assert_int_equal(tl_sdp_parse_candidate("candidate:6 2 tcp 1518280446 "
                                            "fe43d1c8-2a77-4b5e-9d1a-6c0a1b2c3d4e.local 54321 typ "
                                            "host tcptype passive",
                                            &c),
                     TL_OK);
    assert_int_equal(c.component, 2);
    assert_string_equal(c.tcptype, "passive");

    /* fuzz_candidate: a host candidate's related address is dropped, as
     * the formatter never writes one */
    assert_int_equal(tl_sdp_parse_candidate("candidate:5 1 udp 1 2001::1 9 typ host raddr "
                                            "10.0.0.1 rport 7",
                                            &c),
                     TL_OK);
    assert_string_equal(c.raddr, "");
    assert_int_equal(c.rport, 0);

    /* A non-host candidate without raddr is written with 0.0.0.0/0 */
    assert_int_equal(tl_sdp_parse_candidate("candidate:7 1 udp 5 192.0.2.9 7 typ relay", &c),
                     TL_OK);
    assert_int_equal(tl_sdp_format_candidate(&c, buf, sizeof(buf)), TL_OK);
    assert_string_equal(buf, "candidate:7 1 udp 5 192.0.2.9 7 typ relay raddr 0.0.0.0 rport 0");
    assert_int_equal(tl_sdp_format_candidate(&c, buf, 20), TL_ERR_TOO_BIG);

    /* Well-formed but unusable: skipped by callers. */
    assert_int_equal(tl_sdp_parse_candidate("candidate:8 1 ssltcp 5 192.0.2.9 443 typ host", &c),
                     TL_ERR_UNSUPPORTED);
    assert_int_equal(tl_sdp_parse_candidate("candidate:8 1 udp 5 192.0.2.9 443 typ weird", &c),
                     TL_ERR_UNSUPPORTED);
}

static void test_candidate_bad(void **state)
{
    (void)state;
    tl_sdp_candidate c;
    static const char *const bad[] = {
        "",
        "candidate:",
        "cand:1 1 udp 1 1.2.3.4 5 typ host",
        "candidate:1 1 udp 1 1.2.3.4 5 type host",
        "candidate:1 1 udp 1 1.2.3.4 65536 typ host",
        "candidate:1 1 udp 1 1.2.3.4 +5 typ host",
        "candidate:1 0 udp 1 1.2.3.4 5 typ host",
        "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host",
        "candidate:1 1 udp 1 1.2.3.256 5 typ host",
        "candidate:1 1 udp 1 1.2.3 5 typ host",
        "candidate:1 1 udp 1 2001:db8::zz 5 typ host",
        "candidate:1 1 udp 1 a..local 5 typ host",
        "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr",
        "candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport 70000",
        "candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways",
        "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
        /* fuzz_candidate: a second raddr left bytes of the first behind */
        "candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr typ10.0.01r rport 1 raddr 10.0.0.1",
        "candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport 1 rport 2",
        "candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype active tcptype so",
        "candidate:f\xc3\xa9 1 udp 1 1.2.3.4 5 typ host",
        "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
        "candidate:1 1 udp 1 1.2.3.4 5 typ host\x01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = tl_sdp_parse_candidate(bad[i], &c);
        if (rc != TL_ERR_PARSE)
            fail_msg("case %zu accepted (%d): %s", i, rc, bad[i]);
    }
    char longline[2048];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memcpy(longline, "candidate:1 1 udp 1 1.2.3.4 5 typ host a ", 41);
    assert_int_equal(tl_sdp_parse_candidate(longline, &c), TL_ERR_PARSE);
    assert_int_equal(tl_sdp_parse_candidate(NULL, &c), TL_ERR_PARSE);
}

static void test_fingerprint_text(void **state)
{
    (void)state;
    char buf[96];
    uint8_t back[TL_FINGERPRINT_LEN];
    tl_fingerprint_format(FP, buf);
    assert_int_equal(strlen(buf), 95);
    assert_int_equal(tl_fingerprint_parse(buf, strlen(buf), back), TL_OK);
    assert_memory_equal(back, FP, sizeof(FP));
    buf[94] = 'g';
    assert_int_equal(tl_fingerprint_parse(buf, 95, back), TL_ERR_PARSE);
    tl_fingerprint_format(FP, buf);
    buf[2] = '-';
    assert_int_equal(tl_fingerprint_parse(buf, 95, back), TL_ERR_PARSE);
    assert_int_equal(tl_fingerprint_parse(buf, 94, back), TL_ERR_PARSE);
}

/* ---- browser check helpers (not unit tests) ---- */

static int tool_main(const char *mode)
{
    static char in[TL_SDP_MAX_TEXT + 1];
    static tl_sdp offer, out;
    char err[160], *text = NULL;
    if (strcmp(mode, "--answer") == 0) {
        size_t n = fread(in, 1, sizeof(in), stdin);
        if (tl_sdp_parse(in, n, &offer, err, sizeof(err)) != TL_OK) {
            fprintf(stderr, "parse: %s\n", err);
            return 1;
        }
        tl_sdp_init_answer(&out, &offer);
        fill_local(&offer); /* reuse as a source of credentials */
        memcpy(out.ice_ufrag, offer.ice_ufrag, sizeof(out.ice_ufrag));
        memcpy(out.ice_pwd, offer.ice_pwd, sizeof(out.ice_pwd));
        memcpy(out.fingerprint, offer.fingerprint, sizeof(out.fingerprint));
        out.has_fingerprint = 1;
        out.setup = TL_SETUP_ACTIVE;
        out.max_message_size = 262144;
        memcpy(out.candidates, offer.candidates, sizeof(out.candidates));
        out.n_candidates = offer.n_candidates;
        out.end_of_candidates = 1;
    } else {
        fill_local(&out);
    }
    if (tl_sdp_emit(&out, &text) != TL_OK)
        return 1;
    fputs(text, stdout);
    tl_free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--answer") == 0 || strcmp(argv[1], "--offer") == 0))
        return tool_main(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chromium_offer_nocand),
        cmocka_unit_test(test_chromium_offer_candidates),
        cmocka_unit_test(test_chromium_answer),
        cmocka_unit_test(test_chromium_offer_av),
        cmocka_unit_test(test_firefox_offer),
        cmocka_unit_test(test_legacy_sctpmap),
        cmocka_unit_test(test_emit_round_trip),
        cmocka_unit_test(test_answer_rejects_av),
        cmocka_unit_test(test_emit_invalid),
        cmocka_unit_test(test_base_parses),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul_and_control),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_session_level_attrs),
        cmocka_unit_test(test_candidates_per_section),
        cmocka_unit_test(test_bundle_only),
        cmocka_unit_test(test_candidate_types),
        cmocka_unit_test(test_candidate_bad),
        cmocka_unit_test(test_fingerprint_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
