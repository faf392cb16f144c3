/* Signaling state: peers, groups, invites (no I/O). */
#include "signal/groups.h"

#include <stdlib.h>
#include <string.h>

#define GKEY(id) GUINT_TO_POINTER((id) + 1u)

int tl_sig_bucket_take(tl_sig_bucket *b, uint64_t now_ms, double rate, double burst, int peek)
{
    if (!b->init) {
        b->tokens = burst;
        b->last_ms = now_ms;
        b->init = 1;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_ms = now_ms;
    }
    if (b->tokens < 1.0)
        return 0;
    if (!peek)
        b->tokens -= 1.0;
    return 1;
}

static void group_free(gpointer p)
{
    tl_sig_group *g = p;
    free(g->members);
    free(g);
}

void tl_sig_state_init(tl_sig_state *st)
{
    st->peers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free);
    st->names = g_hash_table_new(g_str_hash, g_str_equal);
    st->groups = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, group_free);
    st->invites = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free);
}

void tl_sig_state_clear(tl_sig_state *st)
{
    if (!st->peers)
        return;
    g_hash_table_destroy(st->names);
    g_hash_table_destroy(st->groups);
    g_hash_table_destroy(st->invites);
    g_hash_table_destroy(st->peers);
    memset(st, 0, sizeof(*st));
}

tl_sig_peer *tl_sig_peer_find(tl_sig_state *st, const char *id)
{
    return g_hash_table_lookup(st->peers, id);
}

tl_sig_peer *tl_sig_peer_by_name(tl_sig_state *st, const char *name)
{
    return g_hash_table_lookup(st->names, name);
}

tl_sig_peer *tl_sig_peer_upsert(tl_sig_state *st, const char *id)
{
    tl_sig_peer *p = tl_sig_peer_find(st, id);
    if (p)
        return p;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    memcpy(p->id, id, TL_SIG_ID_LEN);
    g_hash_table_insert(st->peers, p->id, p);
    return p;
}

void tl_sig_peer_set_name(tl_sig_state *st, tl_sig_peer *p, const char *name)
{
    if (p->name[0] && g_hash_table_lookup(st->names, p->name) == p)
        g_hash_table_remove(st->names, p->name);
    size_t n = strlen(name);
    if (n > TL_SIG_NAME_MAX)
        n = TL_SIG_NAME_MAX;
    memcpy(p->name, name, n);
    p->name[n] = '\0';
    if (p->name[0])
        g_hash_table_insert(st->names, p->name, p);
}

void tl_sig_peer_remove(tl_sig_state *st, tl_sig_peer *p)
{
    while (p->n_groups) {
        tl_sig_group *g = tl_sig_group_find(st, p->groups[p->n_groups - 1]);
        if (!g || !tl_sig_group_remove(st, g, p))
            p->n_groups--; /* stale entry: cannot happen, but never loop */
    }
    tl_sig_peer_set_name(st, p, "");
    g_hash_table_remove(st->peers, p->id);
}

tl_sig_group *tl_sig_group_find(tl_sig_state *st, uint32_t id)
{
    return g_hash_table_lookup(st->groups, GKEY(id));
}

tl_sig_group *tl_sig_group_create(tl_sig_state *st, uint32_t id,
                                  const uint8_t verifier[TL_SIG_PROOF_LEN], uint32_t max)
{
    if (tl_sig_group_find(st, id))
        return NULL;
    tl_sig_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->members = calloc(max ? max : 1, sizeof(*g->members));
    if (!g->members) {
        free(g);
        return NULL;
    }
    g->id = id;
    g->max = max;
    memcpy(g->verifier, verifier, TL_SIG_PROOF_LEN);
    g_hash_table_insert(st->groups, GKEY(id), g);
    return g;
}

int tl_sig_group_is_member(const tl_sig_group *g, const tl_sig_peer *p)
{
    for (size_t i = 0; i < g->n_members; i++)
        if (g->members[i] == p)
            return 1;
    return 0;
}

tl_sig_err tl_sig_group_add(tl_sig_group *g, tl_sig_peer *p)
{
    if (tl_sig_group_is_member(g, p))
        return TL_SIGE_OK;
    if (g->n_members >= g->max)
        return TL_SIGE_GROUP_FULL;
    if (p->n_groups >= TL_SIG_MAX_PEER_GROUPS)
        return TL_SIGE_TOO_MANY_GROUPS;
    g->members[g->n_members++] = p;
    p->groups[p->n_groups++] = g->id;
    return TL_SIGE_OK;
}

int tl_sig_group_remove(tl_sig_state *st, tl_sig_group *g, tl_sig_peer *p)
{
    size_t i;
    for (i = 0; i < g->n_members && g->members[i] != p; i++)
        ;
    if (i == g->n_members)
        return 0;
    memmove(&g->members[i], &g->members[i + 1], (g->n_members - i - 1) * sizeof(*g->members));
    g->n_members--;
    for (i = 0; i < p->n_groups; i++) {
        if (p->groups[i] == g->id) {
            memmove(&p->groups[i], &p->groups[i + 1], (p->n_groups - i - 1) * sizeof(uint32_t));
            p->n_groups--;
            break;
        }
    }
    if (g->n_members == 0)
        g_hash_table_remove(st->groups, GKEY(g->id));
    return 1;
}

tl_sig_invite *tl_sig_invite_add(tl_sig_state *st, const char *id, uint32_t group, const char *to,
                                 uint64_t expires_ms)
{
    tl_sig_invite *inv = calloc(1, sizeof(*inv));
    if (!inv)
        return NULL;
    memcpy(inv->id, id, TL_SIG_INVITE_LEN);
    memcpy(inv->to, to, TL_SIG_ID_LEN);
    inv->group = group;
    inv->expires_ms = expires_ms;
    g_hash_table_replace(st->invites, inv->id, inv);
    return inv;
}

tl_sig_invite *tl_sig_invite_find(tl_sig_state *st, const char *id, uint64_t now_ms)
{
    tl_sig_invite *inv = g_hash_table_lookup(st->invites, id);
    if (inv && inv->expires_ms <= now_ms) {
        g_hash_table_remove(st->invites, id);
        return NULL;
    }
    return inv;
}

void tl_sig_invite_remove(tl_sig_state *st, const char *id)
{
    g_hash_table_remove(st->invites, id);
}

static gboolean expired(gpointer key, gpointer value, gpointer now)
{
    (void)key;
    const tl_sig_invite *inv = value;
    return inv->expires_ms <= *(const uint64_t *)now;
}

void tl_sig_invite_expire(tl_sig_state *st, uint64_t now_ms)
{
    g_hash_table_foreach_remove(st->invites, expired, &now_ms);
}
