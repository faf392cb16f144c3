/* libFuzzer: transfer frame codec, manifest codec and the state machines
 * fed raw messages. The first byte selects the target:
 *   0: tl_frame_decode; a decoded frame must re-encode to the same bytes.
 *   1: tl_xfer_manifest_decode; a decoded manifest must re-encode to the
 *      same bytes and every path must pass tl_name_check.
 *   2: a receiver with the real crypto fed messages (u16 length-prefixed):
 *      HELLO and handshake parsing.
 *   3: a receiver, 4: a sender, with a pass-through "crypto" whose handshake
 *      completes at once and whose records are header(14) | frame | tag(16)
 *      unchecked, so the fuzzer reaches every post-handshake state.
 *   5: the session's control queue (docs/SECURITY.md): a keyed session fed
 *      PINGs and other records while the channel is or is not writable;
 *      the queue never exceeds TL_XSESS_MAX_QUEUE, at most one PONG is
 *      owed, and a flood fails the session instead of growing it. */
#include "transfer/frames.h"
#include "transfer/session.h"

#include <stdlib.h>
#include <string.h>

static void frames(const uint8_t *d, size_t n)
{
    tl_frame f;
    if (tl_frame_decode(d, n, &f) != TL_OK)
        return;
    uint8_t *out = malloc(n);
    size_t m = 0;
    if (!out || tl_frame_encode(&f, out, n, &m) != TL_OK || m != n || memcmp(out, d, n) != 0)
        abort();
    free(out);
}

static void manifest(const uint8_t *d, size_t n)
{
    tl_xfer_manifest *m;
    if (tl_xfer_manifest_decode(d, n, &m) != TL_OK)
        return;
    for (uint32_t i = 0; i < m->count; i++)
        if (tl_name_check(m->entries[i].path, strlen(m->entries[i].path)) != TL_OK)
            abort();
    uint8_t *b;
    size_t len;
    if (tl_xfer_manifest_encode(m, &b, &len) != TL_OK || len != n || memcmp(b, d, n) != 0)
        abort();
    tl_free(b);
    tl_xfer_manifest_free(m);
}

static void receiver(const uint8_t *d, size_t n)
{
    static const uint8_t gid[] = "fuzz";
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = 4;
    memset(cfg.hs.remote_fp, 1, 32);
    tl_xfer_receiver *r;
    if (tl_xfer_receiver_new(&r, &cfg) != TL_OK)
        return;
    uint64_t now = 1;
    tl_xfer_receiver_start(r, now);
    while (n >= 2) {
        size_t len = (size_t)(d[0] << 8 | d[1]);
        d += 2;
        n -= 2;
        if (len > n)
            len = n;
        tl_xfer_receiver_recv(r, ++now, d, len);
        tl_xfer_action a;
        for (int i = 0; i < 64; i++) {
            if (tl_xfer_receiver_poll(r, now, 1, &a) != TL_OK || a.type == TL_XFER_ACT_NONE)
                break;
        }
        d += len;
        n -= len;
    }
    tl_xfer_receiver_free(r);
}

/* ---- pass-through crypto (fuzzing only) ---- */
static int n_hs_new(void **hs, const tl_hs_config *cfg)
{
    static int dummy;
    (void)cfg;
    *hs = &dummy;
    return TL_OK;
}
static void n_free(void *p)
{
    (void)p;
}
static int n_hs_start(void *hs, uint8_t *out, size_t cap, size_t *n)
{
    (void)hs;
    (void)cap;
    out[0] = 1;
    *n = 1;
    return TL_OK;
}
static int n_hs_recv(void *hs, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n)
{
    (void)hs;
    (void)in;
    (void)len;
    (void)out;
    (void)cap;
    *n = 0;
    return TL_OK;
}
static int n_hs_done(const void *hs)
{
    (void)hs;
    return 1;
}
static int n_hs_sas(const void *hs, char out[TL_HS_SAS_LEN])
{
    (void)hs;
    memcpy(out, "000 000", TL_HS_SAS_LEN);
    return TL_OK;
}
static int n_hs_keys(const void *hs, tl_session_keys *k)
{
    (void)hs;
    memset(k, 0, sizeof(*k));
    return TL_OK;
}
static int n_key_new(void **o, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN])
{
    static int dummy;
    (void)key;
    (void)tid;
    *o = &dummy;
    return TL_OK;
}
static int n_sealer_new(void **o, const uint8_t key[32], const uint8_t tid[TL_TRANSFER_ID_LEN],
                        uint64_t now)
{
    (void)now;
    return n_key_new(o, key, tid);
}
static int n_seal(void *s, uint64_t now, uint64_t index, int final, const uint8_t *plain,
                  size_t len, uint8_t *out, size_t *n)
{
    (void)s;
    (void)now;
    (void)index;
    memset(out, 0, 14);
    out[1] = final ? 1 : 0;
    memcpy(out + 14, plain, len);
    memset(out + 14 + len, 0, 16);
    *n = len + 30;
    return TL_OK;
}
static int n_open(void *o, uint64_t expected, const uint8_t *f, size_t len, uint8_t *out, size_t *n,
                  int *final)
{
    (void)o;
    (void)expected;
    if (len < 30)
        return TL_ERR_PARSE;
    memcpy(out, f + 14, len - 30);
    *n = len - 30;
    *final = f[1] & 1;
    return TL_OK;
}
static const tl_xfer_crypto pass = {n_hs_new,  n_free,    n_hs_start,   n_hs_recv, n_hs_done,
                                    n_hs_sas,  n_hs_keys, n_sealer_new, n_free,    n_seal,
                                    n_key_new, n_free,    n_open};

/* Feeds u16-length-prefixed messages to a receiver or a sender. */
static void machine(const uint8_t *d, size_t n, const tl_xfer_crypto *c, int sender)
{
    static const uint8_t gid[] = "fuzz";
    static uint8_t buf[TL_XFER_MAX_CHUNK];
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = c;
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = 4;
    memset(cfg.hs.remote_fp, 1, 32);
    tl_xfer_manifest *m = NULL;
    tl_xfer_sender *s = NULL;
    tl_xfer_receiver *r = NULL;
    if (sender) {
        uint8_t sha[32] = {0}, hashes[3 * 32] = {0};
        if (tl_xfer_manifest_new(&m, 1024, NULL) != TL_OK)
            return;
        tl_xfer_manifest_add_dir(m, "d", 0755);
        tl_xfer_manifest_add_file(m, "d/a", 0644, 2500, 0, sha, hashes, NULL);
        tl_xfer_manifest_add_file(m, "e", 0644, 0, 0, sha, NULL, NULL);
        if (tl_xfer_sender_new(&s, m, &cfg) != TL_OK) {
            tl_xfer_manifest_free(m);
            return;
        }
        tl_xfer_sender_start(s, 1);
    } else {
        if (tl_xfer_receiver_new(&r, &cfg) != TL_OK)
            return;
        tl_xfer_receiver_start(r, 1);
    }
    uint64_t now = 1;
    while (n >= 2) {
        size_t len = (size_t)(d[0] << 8 | d[1]);
        d += 2;
        n -= 2;
        if (len > n)
            len = n;
        now += 100;
        if (sender)
            tl_xfer_sender_recv(s, now, d, len);
        else
            tl_xfer_receiver_recv(r, now, d, len);
        for (int i = 0; i < 64; i++) {
            tl_xfer_action a;
            int rc =
                sender ? tl_xfer_sender_poll(s, now, 1, &a) : tl_xfer_receiver_poll(r, now, 1, &a);
            if (rc != TL_OK || a.type == TL_XFER_ACT_NONE)
                break;
            if (a.type == TL_XFER_ACT_READ) {
                memset(a.buf, 0, a.len);
                tl_xfer_sender_read_done(s, now, TL_OK);
            } else if (a.type == TL_XFER_ACT_WRITE) {
                memcpy(buf, a.data, a.len); /* the data must be readable */
                tl_xfer_receiver_write_done(r, now, TL_OK);
            } else if (a.type == TL_XFER_ACT_VERIFY) {
                tl_xfer_receiver_verify_done(r, now, TL_OK, NULL);
            } else if (a.type == TL_XFER_ACT_EVENT && a.event.type == TL_XFER_EV_MANIFEST) {
                const tl_xfer_manifest *rm = tl_xfer_receiver_manifest(r);
                tl_xfer_have *have = calloc(rm->count ? rm->count : 1, sizeof(*have));
                if (have) {
                    tl_xfer_receiver_accept(r, now, have, rm->count);
                    free(have);
                }
            }
        }
        d += len;
        n -= len;
    }
    tl_xfer_sender_free(s);
    tl_xfer_receiver_free(r);
    tl_xfer_manifest_free(m);
}

/* A record as the pass-through crypto seals it. */
static size_t pass_record(uint8_t *out, const tl_frame *f, int final)
{
    size_t n = 0;
    memset(out, 0, 14);
    out[1] = final ? 1 : 0;
    if (tl_frame_encode(f, out + 14, 512, &n) != TL_OK)
        return 0;
    memset(out + 14 + n, 0, 16);
    return n + 30;
}

static void ctlq(const uint8_t *d, size_t n)
{
    static const uint8_t gid[] = "fuzz";
    tl_xfer_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = &pass;
    cfg.hs.group_id = gid;
    cfg.hs.group_id_len = 4;
    tl_xsess s;
    tl_frame f;
    if (tl_xsess_init(&s, &cfg, TL_FR_ROLE_RECEIVER) != TL_OK) {
        tl_xsess_cleanup(&s);
        return;
    }
    uint64_t now = 1;
    tl_xsess_start(&s, now);
    uint8_t msg[600];
    tl_frame h = {.type = TL_FR_HELLO};
    h.u.hello.min_version = h.u.hello.max_version = 1;
    h.u.hello.role = TL_FR_ROLE_SENDER;
    h.u.hello.max_message = 262144;
    size_t len = 0;
    tl_frame_encode(&h, msg, sizeof(msg), &len);
    tl_xsess_recv(&s, now, msg, len, &f);
    uint8_t one = 1;
    tl_frame hs = {.type = TL_FR_HS};
    hs.u.hs.msg = &one;
    hs.u.hs.len = 1;
    tl_frame_encode(&hs, msg, sizeof(msg), &len);
    tl_xsess_recv(&s, now, msg, len, &f);
    uint64_t id = 0;
    for (size_t i = 0; i < n && s.state == TL_SS_KEYED; i++) {
        uint8_t b = d[i];
        now += (b >> 5) * 50u; /* 0..350 ms between events */
        tl_frame p = {.type = (b & 3) == 3 ? TL_FR_PONG : TL_FR_PING};
        p.u.ping.id = ++id;
        p.u.ping.stamp = now;
        if (b & 4) {
            len = pass_record(msg, &p, 0);
            if (len)
                tl_xsess_recv(&s, now, msg, len, &f);
        }
        (void)tl_xsess_timers(&s, now);
        tl_xfer_action a;
        while (tl_xsess_poll(&s, now, (b & 8) != 0, &a))
            ;
        if (s.q_len > TL_XSESS_MAX_QUEUE || (s.pong_due != 0 && s.pong_due != 1))
            abort();
        if (s.pings_seen > TL_XSESS_MAX_PINGS && s.state == TL_SS_KEYED)
            abort(); /* a flood must have failed the session */
    }
    tl_xsess_cleanup(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 6) {
    case 0:
        frames(data + 1, size - 1);
        break;
    case 1:
        manifest(data + 1, size - 1);
        break;
    case 2:
        receiver(data + 1, size - 1);
        break;
    case 3:
        machine(data + 1, size - 1, &pass, 0);
        break;
    case 4:
        machine(data + 1, size - 1, &pass, 1);
        break;
    default:
        ctlq(data + 1, size - 1);
        break;
    }
    return 0;
}
