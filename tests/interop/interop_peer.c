/* interop_peer — the libtallow side of the browser interop tests.
 *
 *   interop_peer --role offer|answer --bind ADDR [--timeout S] [--verbose]
 *
 * Speaks one JSON object per line with the Node driver (chromium_dc.js):
 *
 *   stdin  {"type":"offer"|"answer","sdp":S}
 *          {"type":"candidate","candidate":C,"mid":M}
 *          {"type":"end-of-candidates"}
 *          {"type":"close"}          close the channel (SCTP stream reset)
 *          {"type":"quit"}           close the connection, report stats, exit
 *   stdout {"type":"offer"|"answer","sdp":S}
 *          {"type":"candidate","candidate":C,"mid":M} / {"type":"end-of-candidates"}
 *          {"type":"state","state":NAME}
 *          {"type":"open","label":L,"protocol":P,"id":N}
 *          {"type":"sent"|"received","count":N,"bytes":B,"sha256":HEX}
 *          {"type":"closed"}         the channel's on_close ran
 *          {"type":"bye","stats":{...}} / {"type":"error","message":M}
 *
 * As offerer it creates the channel "interop" (protocol "tl-interop"); as
 * answerer it takes the channel Chromium opens. Once the channel is open it
 * sends the script (interop_script.h) in one burst followed by the text
 * "__end__", and hashes what it receives until the far side's "__end__".
 * Host candidates are gathered only on ADDR (tl_pc_config.allowed). */
#include <glib-unix.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/loop_internal.h"
#include "interop/interop_script.h"
#include "tallow/rtc.h"

#define END_MARKER "__end__"

typedef struct peer {
    tl_loop *loop;
    tl_pc *pc;
    tl_dc *dc;
    int offerer;
    int verbose;
    int exit_code;
    int sdp_sent;    /* our description went out: candidates may follow */
    GPtrArray *held; /* output lines held until sdp_sent */
    GString *inbuf;  /* partial stdin line */
    GSource *stdin_src;
    tl_timer *deadline;
    script_hash rx_hash; /* running hash of received messages */
    uint64_t rx_count, rx_bytes;
    int rx_done;
    int opened; /* on_open calls seen */
} peer;

static peer g_peer;

static void emit_raw(peer *p, char *line, int hold)
{
    if (hold && !p->sdp_sent) {
        g_ptr_array_add(p->held, line);
        return;
    }
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    cJSON_free(line);
}

/* Prints obj as one line (and frees it). Candidates are held until our
 * description has been printed. */
static void emit(peer *p, cJSON *obj, int hold)
{
    char *s = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (s)
        emit_raw(p, s, hold);
}

static cJSON *msg_new(const char *type)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    return o;
}

static void finish(peer *p, int code)
{
    if (p->exit_code < 0)
        p->exit_code = code;
    tl_loop_stop(p->loop);
}

static void fail(peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(peer *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON *o = msg_new("error");
    cJSON_AddStringToObject(o, "message", buf);
    emit(p, o, 0);
    fprintf(stderr, "interop_peer: %s\n", buf);
    finish(p, 1);
}

static void emit_sdp(peer *p, const char *type, const char *sdp)
{
    cJSON *o = msg_new(type);
    cJSON_AddStringToObject(o, "sdp", sdp);
    emit(p, o, 0);
    p->sdp_sent = 1;
    for (guint i = 0; i < p->held->len; i++)
        emit_raw(p, g_ptr_array_index(p->held, i), 0);
    g_ptr_array_set_size(p->held, 0);
}

static void emit_digest(peer *p, const char *type, uint64_t count, uint64_t bytes, script_hash *h)
{
    char hex[SCRIPT_HASH_HEX];
    if (script_hash_final(h, hex) != 0) {
        fail(p, "SHA-256 failed");
        return;
    }
    cJSON *o = msg_new(type);
    cJSON_AddNumberToObject(o, "count", (double)count);
    cJSON_AddNumberToObject(o, "bytes", (double)bytes);
    cJSON_AddStringToObject(o, "sha256", hex);
    emit(p, o, 0);
}

/* ---- data channel ---- */

/* Chromium announces a=max-message-size:262144: one byte more must be
 * refused locally with TL_ERR_TOO_BIG, never sent. */
static int check_max_message_size(peer *p)
{
    uint8_t *big = calloc(1, SCRIPT_BIG + 1);
    if (!big) {
        fail(p, "out of memory");
        return -1;
    }
    int rc = tl_dc_send_binary(p->dc, big, SCRIPT_BIG + 1);
    free(big);
    if (rc != TL_ERR_TOO_BIG) {
        fail(p, "sending %d bytes gave %s, want TL_ERR_TOO_BIG", SCRIPT_BIG + 1, tl_strerror(rc));
        return -1;
    }
    return 0;
}

static void send_script(peer *p)
{
    script_hash h;
    uint64_t bytes = 0;
    if (check_max_message_size(p) != 0)
        return;
    if (script_hash_init(&h) != 0) {
        fail(p, "SHA-256 init failed");
        return;
    }
    size_t n = script_count();
    for (size_t i = 0; i < n; i++) {
        script_msg m;
        if (script_message(SCRIPT_SEED_TALLOW, i, &m) != 0) {
            fail(p, "script message %zu: out of memory", i);
            script_hash_final(&h, NULL);
            return;
        }
        int rc = m.text ? tl_dc_send_text(p->dc, (const char *)m.data, m.len)
                        : tl_dc_send_binary(p->dc, m.data, m.len);
        script_hash_update(&h, m.text, m.data, m.len);
        bytes += m.len;
        script_msg_free(&m);
        if (rc != TL_OK) {
            fail(p, "send of script message %zu failed: %s", i, tl_strerror(rc));
            script_hash_final(&h, NULL);
            return;
        }
    }
    int rc = tl_dc_send_text(p->dc, END_MARKER, strlen(END_MARKER));
    if (rc != TL_OK) {
        fail(p, "send of end marker failed: %s", tl_strerror(rc));
        script_hash_final(&h, NULL);
        return;
    }
    emit_digest(p, "sent", n, bytes, &h);
}

static void on_dc_open(tl_dc *dc, void *ud)
{
    peer *p = ud;
    if (p->opened++) {
        fail(p, "on_open called more than once");
        return;
    }
    cJSON *o = msg_new("open");
    cJSON_AddStringToObject(o, "label", tl_dc_label(dc));
    cJSON_AddStringToObject(o, "protocol", tl_dc_protocol(dc));
    cJSON_AddNumberToObject(o, "id", tl_dc_id(dc));
    emit(p, o, 0);
    send_script(p);
}

static void on_dc_close(tl_dc *dc, void *ud)
{
    (void)dc;
    emit(ud, msg_new("closed"), 0);
}

static void on_message(peer *p, int text, const uint8_t *data, size_t len)
{
    if (p->rx_done) {
        fail(p, "message after the end marker");
        return;
    }
    if (text && len == strlen(END_MARKER) && memcmp(data, END_MARKER, len) == 0) {
        p->rx_done = 1;
        emit_digest(p, "received", p->rx_count, p->rx_bytes, &p->rx_hash);
        return;
    }
    script_hash_update(&p->rx_hash, text, data, len);
    p->rx_count++;
    p->rx_bytes += len;
}

static void on_dc_binary(tl_dc *dc, const uint8_t *data, size_t len, void *ud)
{
    (void)dc;
    on_message(ud, 0, data, len);
}

static void on_dc_text(tl_dc *dc, const char *text, size_t len, void *ud)
{
    (void)dc;
    on_message(ud, 1, (const uint8_t *)text, len);
}

static void on_dc_error(tl_dc *dc, int err, void *ud)
{
    (void)dc;
    fail(ud, "data channel error: %s", tl_strerror(err));
}

static const tl_dc_callbacks dc_cbs = {
    .on_open = on_dc_open,
    .on_close = on_dc_close,
    .on_binary = on_dc_binary,
    .on_text = on_dc_text,
    .on_error = on_dc_error,
};

/* ---- peer connection ---- */

static void on_local_candidate(tl_pc *pc, const char *cand, const char *mid, void *ud)
{
    (void)pc;
    cJSON *o = msg_new("candidate");
    cJSON_AddStringToObject(o, "candidate", cand);
    cJSON_AddStringToObject(o, "mid", mid ? mid : "0");
    emit(ud, o, 1);
}

static void on_gathering_done(tl_pc *pc, void *ud)
{
    (void)pc;
    emit(ud, msg_new("end-of-candidates"), 1);
}

static void on_state(tl_pc *pc, tl_pc_state st, void *ud)
{
    (void)pc;
    cJSON *o = msg_new("state");
    cJSON_AddStringToObject(o, "state", tl_pc_state_name(st));
    emit(ud, o, 0);
}

static void on_datachannel(tl_pc *pc, tl_dc *dc, void *ud)
{
    peer *p = ud;
    (void)pc;
    if (p->dc) {
        fail(p, "unexpected second data channel");
        return;
    }
    p->dc = dc;
    tl_dc_set_callbacks(dc, &dc_cbs, p); /* on_open follows */
}

static void emit_bye(peer *p)
{
    tl_pc_stats st;
    cJSON *o = msg_new("bye");
    if (tl_pc_get_stats(p->pc, &st) == TL_OK) {
        cJSON *s = cJSON_AddObjectToObject(o, "stats");
        cJSON_AddNumberToObject(s, "bytes_sent", (double)st.bytes_sent);
        cJSON_AddNumberToObject(s, "bytes_received", (double)st.bytes_received);
        cJSON_AddNumberToObject(s, "messages_sent", (double)st.messages_sent);
        cJSON_AddNumberToObject(s, "messages_received", (double)st.messages_received);
        cJSON_AddNumberToObject(s, "srtt_ms", st.srtt_ms);
        cJSON_AddNumberToObject(s, "retransmissions", (double)st.retransmissions);
        cJSON_AddNumberToObject(s, "pair_selected", st.pair_selected);
        cJSON_AddStringToObject(s, "local_type", tl_cand_type_name(st.local_type));
        cJSON_AddStringToObject(s, "remote_type", tl_cand_type_name(st.remote_type));
    }
    emit(p, o, 0);
}

/* ---- driver commands ---- */

static void cmd_sdp(peer *p, const char *type, const char *sdp)
{
    int is_offer = strcmp(type, "offer") == 0;
    if (is_offer == p->offerer) {
        fail(p, "got an %s but our role is %s", type, p->offerer ? "offer" : "answer");
        return;
    }
    int rc = tl_pc_set_remote_description(p->pc, sdp, is_offer ? TL_SDP_OFFER : TL_SDP_ANSWER);
    if (rc != TL_OK) {
        fail(p, "set_remote_description(%s): %s", type, tl_strerror(rc));
        return;
    }
    if (!is_offer)
        return;
    char *answer = NULL;
    rc = tl_pc_create_answer(p->pc, &answer);
    if (rc != TL_OK) {
        fail(p, "create_answer: %s", tl_strerror(rc));
        return;
    }
    emit_sdp(p, "answer", answer);
    tl_free(answer);
}

static void handle_line(peer *p, const char *line)
{
    cJSON *j = cJSON_Parse(line);
    const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "type") : NULL;
    if (!cJSON_IsString(t)) {
        fail(p, "bad input line (%zu bytes)", strlen(line));
        cJSON_Delete(j);
        return;
    }
    const char *type = t->valuestring;
    const cJSON *sdp = cJSON_GetObjectItemCaseSensitive(j, "sdp");
    const cJSON *cand = cJSON_GetObjectItemCaseSensitive(j, "candidate");
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(j, "mid");
    int rc;
    if ((!strcmp(type, "offer") || !strcmp(type, "answer")) && cJSON_IsString(sdp)) {
        cmd_sdp(p, type, sdp->valuestring);
    } else if (!strcmp(type, "candidate") && cJSON_IsString(cand)) {
        rc = tl_pc_add_remote_candidate(p->pc, cand->valuestring,
                                        cJSON_IsString(mid) ? mid->valuestring : "0");
        if (rc != TL_OK)
            fail(p, "add_remote_candidate: %s", tl_strerror(rc));
    } else if (!strcmp(type, "end-of-candidates")) {
        rc = tl_pc_end_of_remote_candidates(p->pc);
        if (rc != TL_OK)
            fail(p, "end_of_remote_candidates: %s", tl_strerror(rc));
    } else if (!strcmp(type, "close")) {
        rc = p->dc ? tl_dc_close(p->dc) : TL_ERR_STATE;
        if (rc != TL_OK)
            fail(p, "dc close: %s", tl_strerror(rc));
    } else if (!strcmp(type, "quit")) {
        emit_bye(p);
        tl_pc_close(p->pc);
        finish(p, 0);
    } else {
        fail(p, "unknown message type %s", type);
    }
    cJSON_Delete(j);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer ud)
{
    peer *p = ud;
    char buf[65536];
    (void)cond;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        fail(p, "stdin closed before quit");
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(p->inbuf, buf, n);
    char *nl;
    while (p->exit_code < 0 && (nl = memchr(p->inbuf->str, '\n', p->inbuf->len)) != NULL) {
        size_t len = (size_t)(nl - p->inbuf->str);
        char *line = g_strndup(p->inbuf->str, len);
        g_string_erase(p->inbuf, 0, (gssize)len + 1);
        if (len > 0)
            handle_line(p, line);
        g_free(line);
    }
    return G_SOURCE_CONTINUE;
}

static void on_deadline(void *arg)
{
    peer *p = arg;
    p->deadline = NULL;
    fail(p, "deadline passed");
}

static void log_stderr(void *ud, tl_log_level lvl, const char *subject, const char *msg)
{
    static const char *names[] = {"debug", "info", "warn", "error", "none"};
    (void)ud;
    fprintf(stderr, "[tallow %s] %s: %s\n", names[lvl <= TL_LOG_NONE ? lvl : TL_LOG_NONE],
            subject ? subject : "-", msg);
}

static int usage(void)
{
    fputs("usage: interop_peer --role offer|answer --bind ADDR [--timeout S] [--verbose]\n",
          stderr);
    return 2;
}

static int start_offer(peer *p)
{
    tl_dc_init init;
    tl_dc_init_default(&init, "interop");
    init.protocol = "tl-interop";
    int rc = tl_pc_create_dc(p->pc, &init, &dc_cbs, p, &p->dc);
    if (rc != TL_OK) {
        fail(p, "create_dc: %s", tl_strerror(rc));
        return rc;
    }
    char *offer = NULL;
    rc = tl_pc_create_offer(p->pc, &offer);
    if (rc != TL_OK) {
        fail(p, "create_offer: %s", tl_strerror(rc));
        return rc;
    }
    emit_sdp(p, "offer", offer);
    tl_free(offer);
    return TL_OK;
}

int main(int argc, char **argv)
{
    peer *p = &g_peer;
    const char *role = NULL, *bind = NULL;
    unsigned timeout_s = 100;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role = argv[++i];
        else if (!strcmp(argv[i], "--bind") && i + 1 < argc)
            bind = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout_s = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--verbose"))
            p->verbose = 1;
        else
            return usage();
    }
    if (!role || !bind || (strcmp(role, "offer") && strcmp(role, "answer")) || !timeout_s)
        return usage();
    p->offerer = !strcmp(role, "offer");
    p->exit_code = -1;

    tl_logger lg = {log_stderr, NULL, p->verbose ? TL_LOG_DEBUG : TL_LOG_INFO};
    if (tl_loop_new(&p->loop, &lg) != TL_OK)
        return 1;
    if (script_hash_init(&p->rx_hash) != 0)
        return 1;
    p->held = g_ptr_array_new_with_free_func(cJSON_free);
    p->inbuf = g_string_new(NULL);

    const char *allowed[] = {bind};
    tl_pc_config cfg = {0};
    cfg.allowed = allowed;
    cfg.n_allowed = 1;
    tl_pc_callbacks cbs = {on_local_candidate, on_gathering_done, on_state, on_datachannel};
    int rc = tl_pc_new(&p->pc, p->loop, &cfg, &cbs, p);
    if (rc != TL_OK) {
        fprintf(stderr, "interop_peer: tl_pc_new: %s\n", tl_strerror(rc));
        return 1;
    }
    p->deadline = tl_timer_start(p->loop, timeout_s * 1000u, on_deadline, p);
    p->stdin_src = g_unix_fd_source_new(STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(p->stdin_src, G_SOURCE_FUNC(on_stdin), p, NULL);
    g_source_attach(p->stdin_src, tl_loop_gcontext(p->loop));

    if (!p->offerer || start_offer(p) == TL_OK)
        tl_loop_run(p->loop);

    if (p->deadline)
        tl_timer_stop(p->deadline);
    if (p->stdin_src) {
        g_source_destroy(p->stdin_src);
        g_source_unref(p->stdin_src);
    }
    tl_pc_free(p->pc);
    tl_loop_free(p->loop);
    script_hash_final(&p->rx_hash, NULL);
    g_ptr_array_free(p->held, TRUE);
    g_string_free(p->inbuf, TRUE);
    return p->exit_code < 0 ? 1 : p->exit_code;
}
