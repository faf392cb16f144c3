#define _GNU_SOURCE
/* JSON-lines and terminal reporting for send/receive. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "cli/progress.h"
#include "cli/report.h"
#include "tallow/crypto.h"
#include "common/uri.h"
#include "common/bytes.h"

#define MAX_ROWS 256

typedef struct row {
    char peer[64];
    char name[64]; /* display name the peer sent (escaped), "" if none */
    char state[16];
    char quality[16];
    uint64_t bytes, total;
    double rate;
    char result[160];
    char link[24]; /* "12 ms direct" from the last stats snapshot */
} row;

struct tl_report {
    tl_loop *loop;
    int json;
    int tty;
    int is_sender;
    int status;
    int finished;
    row rows[MAX_ROWS];
    size_t n_rows;
    size_t drawn;
    uint64_t last_draw;
    cJSON *files;    /* receiver: files written */
    char sender[64]; /* the group fingerprint (sender) / the verified sender's (receiver) */
    char iface[64];  /* sender: interface whose address the code carries */
    char mark[64];   /* sender: the row selected by a key (sanitised peer id) */
    char footer[200];
    char out_dir[512]; /* receiver: where files go (shown on the final screen) */
    int prompting;     /* a question is on the screen: no redraw until answered */
};

/* The report redrawn in place on the terminal, if any: a log line printed
 * under its rows would make the next redraw (cursor up by the rows drawn)
 * land one line low and repeat the top row, so logging goes above it. */
static tl_report *tty_report;

static void emit(cJSON *o)
{
    char *t = cJSON_PrintUnformatted(o);
    if (t) {
        fputs(t, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        cJSON_free(t);
    }
    cJSON_Delete(o);
}

/* Every string that came from the network (peer ids, device and file
 * names, a peer's or the signaling server's error text) goes through the one
 * sanitiser before it is printed, as JSON too (docs/SECURITY.md). */
#define SAFE_CAP 1024
static const char *safe(char buf[SAFE_CAP], const char *str)
{
    if (!str)
        return NULL;
    tl_text_sanitize(buf, SAFE_CAP, str, strlen(str));
    return buf;
}

static cJSON *event(const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "event", name);
    return o;
}

static row *find_row(tl_report *rp, const char *peer)
{
    for (size_t i = 0; i < rp->n_rows; i++)
        if (!strcmp(rp->rows[i].peer, peer))
            return &rp->rows[i];
    if (rp->n_rows == MAX_ROWS)
        return &rp->rows[MAX_ROWS - 1];
    row *r = &rp->rows[rp->n_rows++];
    memset(r, 0, sizeof(*r));
    snprintf(r->peer, sizeof(r->peer), "%s", peer);
    snprintf(r->state, sizeof(r->state), "joined");
    snprintf(r->quality, sizeof(r->quality), "-");
    return r;
}

static void human(double v, char *buf, size_t cap)
{
    const char *u[] = {"B", "kB", "MB", "GB", "TB"};
    int i = 0;
    while (v >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    snprintf(buf, cap, "%.1f %s", v, u[i]);
}

static void draw(tl_report *rp, int force)
{
    if (rp->json)
        return;
    uint64_t now = tl_loop_now_ms(rp->loop);
    if (!force && now - rp->last_draw < 250)
        return;
    rp->last_draw = now;
    if (!rp->tty || rp->prompting)
        return;
    if (rp->drawn)
        printf("\x1b[%zuA", rp->drawn);
    unsigned cols = tl_term_cols(STDOUT_FILENO); /* rows never wrap (progress.h) */
    for (size_t i = 0; i < rp->n_rows; i++) {
        row *r = &rp->rows[i];
        double frac = r->total ? (double)r->bytes / (double)r->total : 0;
        char rate[32], eta[32] = "-", line[512];
        human(r->rate, rate, sizeof(rate));
        if (r->rate > 0 && r->total > r->bytes)
            snprintf(eta, sizeof(eta), "%.0fs", (double)(r->total - r->bytes) / r->rate);
        /* Mark of the selected row, peer id, the name it sent. */
        char who[40], q[48];
        snprintf(who, sizeof(who), "%c%-12.12s %-14.14s",
                 rp->mark[0] && !strcmp(rp->mark, r->peer) ? '>' : ' ', r->peer, r->name);
        snprintf(q, sizeof(q), "%-9s %-13s", r->quality, r->link);
        tl_progress_row(line, sizeof(line), cols, who, frac, rate, eta, r->state, q, r->result);
        printf("\x1b[2K%s\n", line);
    }
    rp->drawn = rp->n_rows;
    if (rp->footer[0] && rp->n_rows) {
        printf("\x1b[2K%s\n", rp->footer);
        rp->drawn++;
    }
    fflush(stdout);
}

void tl_report_peer_stats(tl_report *rp, const tl_group_peer_stats *ps, const tl_group_stats *t)
{
    char peer_s[SAFE_CAP], name_s[SAFE_CAP];
    const char *peer = safe(peer_s, ps->peer);
    const char *name = safe(name_s, ps->name);
    row *r = find_row(rp, peer);
    if (ps->rtt_ms > 0 || ps->path[0])
        snprintf(r->link, sizeof(r->link), "%.0f ms %s", ps->rtt_ms, ps->path);
    if (rp->json) {
        cJSON *o = event("stats");
        cJSON_AddStringToObject(o, "peer", peer);
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddStringToObject(o, "state", ps->state);
        cJSON_AddStringToObject(o, "quality", ps->quality);
        cJSON_AddNumberToObject(o, "rtt_ms", ps->rtt_ms);
        cJSON_AddStringToObject(o, "path", ps->path);
        cJSON_AddStringToObject(o, "local_candidate", ps->local_candidate);
        cJSON_AddStringToObject(o, "remote_candidate", ps->remote_candidate);
        cJSON_AddNumberToObject(o, "bytes", (double)ps->bytes);
        cJSON_AddNumberToObject(o, "total", (double)ps->total);
        cJSON_AddNumberToObject(o, "rate", ps->rate_bps);
        cJSON_AddNumberToObject(o, "retransmits", (double)ps->retransmits);
        cJSON_AddBoolToObject(o, "relay_only", t->relay_only);
        cJSON_AddNumberToObject(o, "connected_peers", t->connected);
        emit(o);
    }
}

static void on_name(void *ud, const char *peer, const char *name)
{
    char peer_s[SAFE_CAP], name_s[SAFE_CAP];
    tl_report *rp = ud;
    row *r = find_row(rp, safe(peer_s, peer));
    snprintf(r->name, sizeof(r->name), "%.*s", (int)sizeof(r->name) - 1, safe(name_s, name));
    if (!rp->json && !rp->tty) {
        printf("%s: %s\n", r->peer, r->name);
        fflush(stdout);
    }
    draw(rp, 1);
}

void tl_report_offer(tl_report *rp, const tl_group_offer *o, char *question, size_t cap)
{
    char from_s[SAFE_CAP], total[32], what[96];
    const char *from = safe(from_s, o->from && o->from[0] ? o->from : "");
    human((double)o->total, total, sizeof(total));
    if (o->folders)
        snprintf(what, sizeof(what), "%u file%s in %u folder%s", o->files, o->files == 1 ? "" : "s",
                 o->folders, o->folders == 1 ? "" : "s");
    else
        snprintf(what, sizeof(what), "%u file%s", o->files, o->files == 1 ? "" : "s");
    if (question)
        snprintf(question, cap, "Receive %s (%s) from %s%.40s? SAS %s [y/N] ", what, total,
                 from[0] ? "" : "peer ", from[0] ? from : o->peer, o->sas);
    if (rp->json) {
        cJSON *e = event("offer");
        cJSON_AddStringToObject(e, "peer", o->peer);
        cJSON_AddStringToObject(e, "from", from);
        cJSON_AddNumberToObject(e, "files", o->files);
        cJSON_AddNumberToObject(e, "folders", o->folders);
        cJSON_AddNumberToObject(e, "total", (double)o->total);
        cJSON *names = cJSON_AddArrayToObject(e, "names");
        for (uint32_t i = 0; i < o->n_names; i++) {
            char n_s[SAFE_CAP];
            cJSON_AddItemToArray(names, cJSON_CreateString(safe(n_s, o->names[i])));
        }
        cJSON_AddNumberToObject(e, "more_names", o->more_names);
        cJSON_AddStringToObject(e, "sas", o->sas);
        emit(e);
    } else if (!rp->tty) {
        printf("offer: %s (%s) from %s%s, SAS %s\n", what, total, from[0] ? "" : "peer ",
               from[0] ? from : o->peer, o->sas);
        fflush(stdout);
    }
}

void tl_report_prompt(tl_report *rp, const char *question)
{
    if (question) {
        if (rp->tty && rp->drawn) /* the question goes where the rows were */
            printf("\x1b[%zuA\x1b[J", rp->drawn);
        rp->drawn = 0;
        rp->prompting = 1;
        fputs(question, stdout);
        fflush(stdout);
    } else {
        rp->prompting = 0; /* the answer's newline ended the line */
        draw(rp, 1);
    }
}

void tl_report_mark(tl_report *rp, const char *peer, const char *footer)
{
    char peer_s[SAFE_CAP];
    snprintf(rp->mark, sizeof(rp->mark), "%.*s", (int)sizeof(rp->mark) - 1,
             peer ? safe(peer_s, peer) : "");
    snprintf(rp->footer, sizeof(rp->footer), "%s", footer ? footer : "");
    draw(rp, 1);
}

int tl_report_interactive(const tl_report *rp)
{
    return rp->tty;
}

void tl_report_redraw(tl_report *rp)
{
    draw(rp, 1);
}

void tl_report_set_out_dir(tl_report *rp, const char *dir)
{
    snprintf(rp->out_dir, sizeof(rp->out_dir), "%s", dir ? dir : ".");
}

void tl_report_set_interface(tl_report *rp, const char *iface)
{
    snprintf(rp->iface, sizeof(rp->iface), "%s", iface ? iface : "");
}

static void on_code(void *ud, const char *code)
{
    char code_s[SAFE_CAP];
    code = safe(code_s, code);
    tl_report *rp = ud;
    /* The address recipients dial: after '@', without the port. */
    char addr[300] = "";
    const char *at = strchr(code, '@');
    int plain_ws = at && !strstr(at + 1, "://"); /* ws:// is left out of codes */
    if (plain_ws) {
        char loc[320];
        tl_uri u;
        snprintf(loc, sizeof(loc), "ws://%s", at + 1);
        if (!tl_uri_parse(&u, TL_URI_WS, loc, NULL))
            snprintf(addr, sizeof(addr), u.v6 ? "[%s]" : "%s", u.host);
    }
    if (rp->json) {
        cJSON *o = event("code");
        cJSON_AddStringToObject(o, "code", code);
        if (addr[0])
            cJSON_AddStringToObject(o, "address", addr);
        if (rp->iface[0])
            cJSON_AddStringToObject(o, "interface", rp->iface);
        emit(o);
    } else {
        printf("Join code: %s\n  on the recipients: tallow receive %s\n", code, code);
        if (rp->iface[0])
            printf("  recipients reach this machine at %s (interface %s); another address:\n"
                   "  --listen ADDRESS:0, this machine only: --listen 127.0.0.1:0\n",
                   addr, rp->iface);
        else if (addr[0] && !strncmp(addr, "127.", 4))
            printf("  this machine only (%s); for other machines leave out --listen\n", addr);
        fflush(stdout);
    }
}

/* The group fingerprint: the sender shows its own once, every recipient the
 * one of the sender it verified (docs/CRYPTO.md §3). One glance for the
 * whole group. */
static void on_sender(void *ud, const char *fingerprint)
{
    char fp_s[SAFE_CAP];
    fingerprint = safe(fp_s, fingerprint);
    tl_report *rp = ud;
    snprintf(rp->sender, sizeof(rp->sender), "%.*s", (int)sizeof(rp->sender) - 1, fingerprint);
    if (rp->json) {
        cJSON *o = event("sender");
        cJSON_AddStringToObject(o, "fingerprint", fingerprint);
        emit(o);
    } else if (rp->is_sender) {
        printf("Group fingerprint: %s\n  every recipient must show these six words; or, on the "
               "recipients:\n  tallow receive CODE --sender-fingerprint \"%s\"\n",
               fingerprint, fingerprint);
        fflush(stdout);
    } else {
        printf("Sender fingerprint: %s\n  (the sender shows the same six words)\n", fingerprint);
        fflush(stdout);
    }
}

static void on_peer(void *ud, const char *peer, const char *state, const char *quality,
                    const char *sas)
{
    char peer_s[SAFE_CAP];
    peer = safe(peer_s, peer);
    char state_s[SAFE_CAP];
    state = safe(state_s, state);
    char quality_s[SAFE_CAP];
    quality = safe(quality_s, quality);
    char sas_s[SAFE_CAP];
    sas = safe(sas_s, sas);
    tl_report *rp = ud;
    row *r = find_row(rp, peer);
    snprintf(r->state, sizeof(r->state), "%.*s", (int)sizeof(r->state) - 1, state);
    snprintf(r->quality, sizeof(r->quality), "%.*s", (int)sizeof(r->quality) - 1, quality);
    /* The per-pair SAS stays in JSON; people compare the group fingerprint
     * (on_sender), one for the whole group. */
    if (rp->json) {
        cJSON *o = event("peer");
        cJSON_AddStringToObject(o, "peer", peer);
        if (r->name[0])
            cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "state", state);
        cJSON_AddStringToObject(o, "quality", quality);
        if (sas)
            cJSON_AddStringToObject(o, "sas", sas);
        emit(o);
    } else if (!rp->tty) {
        printf("%s%s%s%s: %s (%s)\n", peer, r->name[0] ? " (" : "", r->name, r->name[0] ? ")" : "",
               state, quality);
        fflush(stdout);
    }
    draw(rp, 1);
}

static void on_progress(void *ud, const char *peer, uint64_t bytes, uint64_t total, double rate)
{
    char peer_s[SAFE_CAP];
    peer = safe(peer_s, peer);
    tl_report *rp = ud;
    row *r = find_row(rp, peer);
    r->bytes = bytes;
    r->total = total;
    r->rate = rate;
    if (rp->json) {
        cJSON *o = event("progress");
        if (rp->is_sender)
            cJSON_AddStringToObject(o, "peer", peer);
        if (r->name[0])
            cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddNumberToObject(o, "bytes", (double)bytes);
        cJSON_AddNumberToObject(o, "total", (double)total);
        cJSON_AddNumberToObject(o, "rate", rate);
        cJSON_AddNumberToObject(o, "eta_s",
                                rate > 0 && total > bytes ? (double)(total - bytes) / rate : 0);
        emit(o);
    }
    draw(rp, 0);
}

static void on_result(void *ud, const char *peer, int ok, const char *error, uint64_t sent)
{
    char peer_s[SAFE_CAP];
    peer = safe(peer_s, peer);
    char error_s[SAFE_CAP];
    error = safe(error_s, error);
    tl_report *rp = ud;
    row *r = find_row(rp, peer);
    snprintf(r->result, sizeof(r->result), "%s%.*s",
             ok ? "verified" : "FAILED: ", (int)sizeof(r->result) - 9,
             ok ? "" : (error ? error : "unknown error"));
    if (rp->json) {
        cJSON *o = event("result");
        cJSON_AddStringToObject(o, "peer", peer);
        if (r->name[0])
            cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddBoolToObject(o, "ok", ok);
        if (!ok)
            cJSON_AddStringToObject(o, "error", error ? error : "unknown error");
        cJSON_AddNumberToObject(o, "bytes_sent", (double)sent);
        emit(o);
    } else if (!rp->tty) {
        printf("%s: %s\n", peer, r->result);
    }
    draw(rp, 1);
}

static void on_file(void *ud, const char *path, uint64_t size, const uint8_t sha[32])
{
    char path_s[SAFE_CAP];
    path = safe(path_s, path);
    tl_report *rp = ud;
    char hex[65];
    tl_hex_encode(sha, 32, hex);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "path", path);
    cJSON_AddNumberToObject(f, "size", (double)size);
    cJSON_AddStringToObject(f, "sha256", hex);
    cJSON_AddItemToArray(rp->files, f);
    if (!rp->json && !rp->tty)
        printf("verified %s (%llu bytes) sha256 %s\n", path, (unsigned long long)size, hex);
}

void tl_report_finish(tl_report *rp, int status, const char *msg)
{
    char msg_s[SAFE_CAP];
    msg = safe(msg_s, msg);
    if (rp->finished)
        return;
    rp->finished = 1;
    rp->status = status;
    if (!rp->is_sender) /* the last state on the receiver's row is the outcome */
        for (size_t i = 0; i < rp->n_rows; i++)
            snprintf(rp->rows[i].state, sizeof(rp->rows[i].state), "%s",
                     status == 0                           ? "done"
                     : status == TL_GROUP_STATUS_CANCELLED ? "cancelled"
                     : status == TL_GROUP_STATUS_DECLINED  ? "declined"
                                                           : "failed");
    rp->footer[0] = '\0';
    rp->mark[0] = '\0';
    draw(rp, 1);
    /* The live rows are cut to the terminal's width: under them, once no
     * redraw follows, every failed peer's whole (sanitised) error. */
    for (size_t i = 0; rp->tty && !rp->json && i < rp->n_rows; i++)
        if (!strncmp(rp->rows[i].result, "FAILED: ", 8))
            printf("%s: %s\n", rp->rows[i].peer, rp->rows[i].result);
    if (rp->tty && !rp->is_sender && rp->files) { /* what was saved, and where */
        int n = cJSON_GetArraySize(rp->files);
        for (int i = 0; i < n; i++) {
            cJSON *f = cJSON_GetArrayItem(rp->files, i);
            const cJSON *p = cJSON_GetObjectItem(f, "path"), *z = cJSON_GetObjectItem(f, "size");
            char size[32];
            human(cJSON_IsNumber(z) ? z->valuedouble : 0, size, sizeof(size));
            printf("saved %s/%s (%s)\n", rp->out_dir[0] ? rp->out_dir : ".",
                   cJSON_IsString(p) ? p->valuestring : "?", size);
        }
    }
    if (rp->json) {
        if (!rp->is_sender) {
            cJSON *o = event("result");
            cJSON_AddBoolToObject(o, "ok", status == 0);
            if (status != 0)
                cJSON_AddStringToObject(o, "error", msg);
            if (rp->sender[0])
                cJSON_AddStringToObject(o, "sender", rp->sender);
            cJSON_AddItemToObject(o, "files", rp->files);
            rp->files = NULL;
            emit(o);
        } else {
            cJSON *o = event("summary");
            cJSON_AddNumberToObject(o, "status", status);
            cJSON_AddStringToObject(o, "message", msg);
            emit(o);
        }
    } else {
        fprintf(status ? stderr : stdout, "%s%s\n", status ? "tallow: " : "", msg);
    }
    tl_loop_stop(rp->loop);
}

/* Receiver: the offer does not fit (status 6 follows); the numbers for
 * --json, the terminal gets the message of on_finished. */
static void on_nospace(void *ud, uint64_t needed, uint64_t available, const char *path)
{
    tl_report *rp = ud;
    char path_s[SAFE_CAP];
    path = safe(path_s, path);
    if (!rp->json)
        return;
    cJSON *o = event("nospace");
    cJSON_AddNumberToObject(o, "needed", (double)needed);
    cJSON_AddNumberToObject(o, "available", (double)available);
    cJSON_AddStringToObject(o, "path", path);
    emit(o);
}

static void on_finished(void *ud, int status, const char *msg)
{
    tl_report_finish(ud, status, msg);
}

const tl_group_callbacks tl_report_callbacks = {
    .on_code = on_code,
    .on_peer = on_peer,
    .on_progress = on_progress,
    .on_result = on_result,
    .on_file = on_file,
    .on_finished = on_finished,
    .on_name = on_name,
    .on_sender = on_sender,
    .on_nospace = on_nospace,
};

tl_report *tl_report_new(tl_loop *loop, int json, int is_sender)
{
    tl_report *rp = calloc(1, sizeof(*rp));
    if (!rp)
        return NULL;
    rp->loop = loop;
    rp->json = json;
    rp->tty = !json && isatty(STDOUT_FILENO);
    rp->is_sender = is_sender;
    rp->status = 3;
    rp->files = cJSON_CreateArray();
    if (rp->tty)
        tty_report = rp;
    return rp;
}

void tl_report_free(tl_report *rp)
{
    if (!rp)
        return;
    if (tty_report == rp)
        tty_report = NULL;
    cJSON_Delete(rp->files);
    free(rp);
}

int tl_report_status(const tl_report *rp)
{
    return rp->status;
}

static unsigned errors_logged; /* error lines printed (tl_report_errors_logged) */

/* The one stderr logger of the CLI (every command): "PREFIX LEVEL [subject]
 * message", both sanitised (peers' and clients' strings reach it). */
static void log_stderr(void *ud, tl_log_level level, const char *subject, const char *msg)
{
    char subject_s[SAFE_CAP];
    subject = safe(subject_s, subject);
    char msg_s[SAFE_CAP];
    msg = safe(msg_s, msg);
    static const char *names[] = {"debug", "info", "warn", "error"};
    tl_report *rp = tty_report;
    if (rp && rp->drawn && isatty(STDERR_FILENO)) { /* clear the rows, log, redraw */
        printf("\x1b[%zuA\x1b[J", rp->drawn);
        fflush(stdout);
        rp->drawn = 0;
    }
    if (level >= TL_LOG_ERROR)
        errors_logged++;
    fprintf(stderr, "%s %s [%s] %s\n", ud ? (const char *)ud : "tallow",
            names[level < 4 ? level : 3], subject, msg);
    if (rp && !rp->drawn && rp->n_rows)
        draw(rp, 1);
}

tl_logger tl_cli_logger(const char *prefix, tl_log_level level)
{
    tl_logger lg = {.fn = log_stderr, .user_data = (void *)prefix, .level = level};
    return lg;
}

unsigned tl_report_errors_logged(void)
{
    return errors_logged;
}

tl_logger tl_report_logger(void)
{
    tl_logger lg = tl_cli_logger("tallow", TL_LOG_WARN);
    const char *e = getenv("TALLOW_LOG");
    if (e) {
        if (!strcmp(e, "debug"))
            lg.level = TL_LOG_DEBUG;
        else if (!strcmp(e, "info"))
            lg.level = TL_LOG_INFO;
        else if (!strcmp(e, "error"))
            lg.level = TL_LOG_ERROR;
    }
    return lg;
}

char *tl_read_secret_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "tallow: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "tallow: warning: %s is readable by other users (chmod 600 it)\n", path);
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    char *out = n ? strdup(buf) : NULL;
    tl_wipe(buf, sizeof(buf));
    if (!n)
        fprintf(stderr, "tallow: %s: the first line is empty\n", path);
    return out;
}

void tl_secret_free(char *s)
{
    if (s) {
        tl_wipe(s, strlen(s));
        free(s);
    }
}

char **tl_split_list(const char *s, size_t *n)
{
    char **list = g_strsplit(s, ",", -1);
    size_t k = 0;
    for (size_t i = 0; list[i]; i++) { /* empty items ("a,,b", "a,") are dropped */
        if (list[i][0])
            list[k++] = list[i];
        else
            g_free(list[i]);
    }
    list[k] = NULL;
    *n = k;
    return list;
}

void tl_free_list(char **list, size_t n)
{
    (void)n;
    g_strfreev(list);
}
