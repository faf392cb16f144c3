/* Signaling state <-> JSON snapshot (scale-out: the copy kept in Redis).
 *
 * No I/O and no clock reads: times travel as durations relative to the
 * now_ms the caller passes, because every server has its own monotonic clock.
 * Loading validates every field (the text comes from another process through
 * Redis) and either fills the whole state or leaves it empty. */
#include <stdlib.h>
#include <string.h>

#include "signal/groups.h"
#include "signal/snapshot.h"

static cJSON *dump_peer(const tl_sig_peer *p, uint64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char th[65];
    tl_sig_hex_encode(p->token_hash, 32, th);
    cJSON_AddStringToObject(o, "p", p->id);
    cJSON_AddStringToObject(o, "n", p->name);
    cJSON_AddStringToObject(o, "th", th);
    cJSON_AddStringToObject(o, "s", p->srv);
    cJSON_AddBoolToObject(o, "on", p->online);
    if (!p->online)
        cJSON_AddNumberToObject(
            o, "off_ms", (double)(now_ms > p->offline_since ? now_ms - p->offline_since : 0));
    return o;
}

static cJSON *dump_group(const tl_sig_group *g)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char ver[48];
    tl_sig_b64_encode(g->verifier, TL_SIG_PROOF_LEN, ver, sizeof(ver));
    cJSON_AddNumberToObject(o, "g", g->id);
    cJSON_AddStringToObject(o, "v", ver);
    cJSON_AddStringToObject(o, "c", g->creator);
    cJSON_AddNumberToObject(o, "m", g->max);
    cJSON *mem = cJSON_AddArrayToObject(o, "mem");
    for (size_t i = 0; mem && i < g->n_members; i++)
        cJSON_AddItemToArray(mem, cJSON_CreateString(g->members[i]->id));
    return o;
}

char *tl_sig_snapshot_dump(tl_sig_state *st, uint64_t now_ms)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *peers = root ? cJSON_AddArrayToObject(root, "peers") : NULL;
    cJSON *groups = root ? cJSON_AddArrayToObject(root, "groups") : NULL;
    cJSON *invs = root ? cJSON_AddArrayToObject(root, "invites") : NULL;
    if (!peers || !groups || !invs) {
        cJSON_Delete(root);
        return NULL;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, st->peers);
    while (g_hash_table_iter_next(&it, &k, &v))
        cJSON_AddItemToArray(peers, dump_peer(v, now_ms));
    g_hash_table_iter_init(&it, st->groups);
    while (g_hash_table_iter_next(&it, &k, &v))
        cJSON_AddItemToArray(groups, dump_group(v));
    g_hash_table_iter_init(&it, st->invites);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const tl_sig_invite *inv = v;
        if (inv->expires_ms <= now_ms)
            continue;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            continue;
        cJSON_AddStringToObject(o, "i", inv->id);
        cJSON_AddNumberToObject(o, "g", inv->group);
        cJSON_AddStringToObject(o, "t", inv->to);
        cJSON_AddNumberToObject(o, "ttl_ms", (double)(inv->expires_ms - now_ms));
        cJSON_AddItemToArray(invs, o);
    }
    return tl_sig_print_free(root);
}

static const char *str_of(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A number in [0, max] that is an integer, or -1. */
static double uint_of(const cJSON *o, const char *k, double max)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > max ||
        it->valuedouble != (double)(uint64_t)it->valuedouble)
        return -1;
    return it->valuedouble;
}

#define MAX_MS 1e12 /* durations: about 31 years */

static int load_peer(tl_sig_state *st, const cJSON *o, uint64_t now_ms, const char **why)
{
    const char *id = str_of(o, "p"), *name = str_of(o, "n"), *th = str_of(o, "th"),
               *srv = str_of(o, "s");
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(o, "on");
    uint8_t h[32];
    if (!id || !tl_sig_valid_hex(id, TL_SIG_ID_LEN) || !th || tl_sig_hex_decode(th, h, 32) ||
        !srv || !tl_sig_valid_hex(srv, TL_SIG_SRV_LEN) || !name ||
        (name[0] && !tl_sig_valid_name(name)) || !cJSON_IsBool(on)) {
        *why = "bad peer";
        return -1;
    }
    if (tl_sig_peer_find(st, id) || (name[0] && tl_sig_peer_by_name(st, name))) {
        *why = "duplicate peer or name";
        return -1;
    }
    tl_sig_peer *p = tl_sig_peer_upsert(st, id);
    if (!p) {
        *why = "out of memory";
        return -1;
    }
    memcpy(p->token_hash, h, 32);
    memcpy(p->srv, srv, TL_SIG_SRV_LEN + 1);
    tl_sig_peer_set_name(st, p, name);
    p->online = cJSON_IsTrue(on);
    if (!p->online) {
        double off = uint_of(o, "off_ms", MAX_MS);
        if (off < 0) {
            *why = "bad off_ms";
            return -1;
        }
        p->offline_since = now_ms > (uint64_t)off ? now_ms - (uint64_t)off : 0;
    }
    return 0;
}

static int load_group(tl_sig_state *st, const cJSON *o, const char **why)
{
    double gid = uint_of(o, "g", 999999), max = uint_of(o, "m", 100000);
    const char *ver = str_of(o, "v"), *creator = str_of(o, "c");
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(o, "mem");
    uint8_t v[TL_SIG_PROOF_LEN];
    if (gid < 0 || max < 2 || !ver ||
        tl_sig_b64_decode(ver, strlen(ver), v, sizeof(v)) != TL_SIG_PROOF_LEN || !creator ||
        !tl_sig_valid_hex(creator, TL_SIG_ID_LEN) || !cJSON_IsArray(mem) ||
        cJSON_GetArraySize(mem) < 1 || (double)cJSON_GetArraySize(mem) > max) {
        *why = "bad group";
        return -1;
    }
    tl_sig_group *g = tl_sig_group_create(st, (uint32_t)gid, v, (uint32_t)max);
    if (!g) {
        *why = "duplicate group";
        return -1;
    }
    memcpy(g->creator, creator, TL_SIG_ID_LEN + 1);
    const cJSON *m;
    cJSON_ArrayForEach(m, mem)
    {
        tl_sig_peer *p = cJSON_IsString(m) ? tl_sig_peer_find(st, m->valuestring) : NULL;
        if (!p || tl_sig_group_is_member(g, p) || tl_sig_group_add(g, p) != TL_SIGE_OK) {
            *why = "bad group member";
            return -1;
        }
    }
    return 0;
}

static int load_invite(tl_sig_state *st, const cJSON *o, uint64_t now_ms, const char **why)
{
    const char *id = str_of(o, "i"), *to = str_of(o, "t");
    double gid = uint_of(o, "g", 999999), ttl = uint_of(o, "ttl_ms", MAX_MS);
    if (!id || !tl_sig_valid_hex(id, TL_SIG_INVITE_LEN) || !to ||
        !tl_sig_valid_hex(to, TL_SIG_ID_LEN) || gid < 0 || ttl < 0) {
        *why = "bad invite";
        return -1;
    }
    if (!tl_sig_invite_add(st, id, (uint32_t)gid, to, now_ms + (uint64_t)ttl)) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int tl_sig_snapshot_load(tl_sig_state *st, const char *text, size_t len, uint64_t now_ms,
                         const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    tl_sig_state_clear(st);
    tl_sig_state_init(st);
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *peers = cJSON_GetObjectItemCaseSensitive(root, "peers");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
    const cJSON *invs = cJSON_GetObjectItemCaseSensitive(root, "invites");
    int rc = -1;
    if (!cJSON_IsObject(root) || !cJSON_IsArray(peers) || !cJSON_IsArray(groups) ||
        !cJSON_IsArray(invs)) {
        *why = "not a snapshot";
        goto out;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, peers)
    {
        if (load_peer(st, o, now_ms, why))
            goto out;
    }
    cJSON_ArrayForEach(o, groups)
    {
        if (load_group(st, o, why))
            goto out;
    }
    cJSON_ArrayForEach(o, invs)
    {
        if (load_invite(st, o, now_ms, why))
            goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc) {
        tl_sig_state_clear(st);
        tl_sig_state_init(st);
    }
    return rc;
}
