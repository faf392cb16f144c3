/* Internal: signaling state — peers, groups, invites, token buckets.
 *
 * Plain data structures with no I/O and no clock reads (time comes in as
 * now_ms). In scale-out mode every server holds the same copy, updated by the
 * events it applies in Redis order (server.c). */
#ifndef TL_SIGNAL_GROUPS_H
#define TL_SIGNAL_GROUPS_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "signal/proto.h"

#define TL_SIG_SRV_LEN 16 /* server id: 16 hex digits */
#define TL_SIG_MAX_PEER_GROUPS 16

typedef struct tl_sig_bucket {
    double tokens;
    uint64_t last_ms;
    int init;
} tl_sig_bucket;

/* Refills at rate per second up to burst, then takes one token if it has one.
 * Returns 1 if a token was taken. peek != 0 only tests. */
int tl_sig_bucket_take(tl_sig_bucket *b, uint64_t now_ms, double rate, double burst, int peek);

typedef struct tl_sig_peer {
    char id[TL_SIG_ID_LEN + 1];
    char name[TL_SIG_NAME_MAX + 1];
    uint8_t token_hash[32];
    char srv[TL_SIG_SRV_LEN + 1]; /* server holding its connection */
    int online;
    uint64_t offline_since;
    struct tl_sig_conn *conn; /* local connection (server.c), or NULL */
    uint32_t groups[TL_SIG_MAX_PEER_GROUPS];
    size_t n_groups;
} tl_sig_peer;

typedef struct tl_sig_group {
    uint32_t id;
    uint8_t verifier[TL_SIG_PROOF_LEN];
    char creator[TL_SIG_ID_LEN + 1]; /* the only member whose offers are relayed */
    uint32_t max;
    tl_sig_peer **members;
    size_t n_members;
    tl_sig_bucket wrong_joins;
} tl_sig_group;

typedef struct tl_sig_invite {
    char id[TL_SIG_INVITE_LEN + 1];
    uint32_t group;
    char to[TL_SIG_ID_LEN + 1];
    uint64_t expires_ms;
} tl_sig_invite;

typedef struct tl_sig_state {
    GHashTable *peers;   /* id -> tl_sig_peer* (owned) */
    GHashTable *names;   /* name -> tl_sig_peer* (borrowed) */
    GHashTable *groups;  /* GUINT_TO_POINTER(id+1) -> tl_sig_group* (owned) */
    GHashTable *invites; /* id -> tl_sig_invite* (owned) */
} tl_sig_state;

void tl_sig_state_init(tl_sig_state *st);
void tl_sig_state_clear(tl_sig_state *st);

tl_sig_peer *tl_sig_peer_find(tl_sig_state *st, const char *id);
tl_sig_peer *tl_sig_peer_by_name(tl_sig_state *st, const char *name);
/* Finds or creates the peer id. Returns NULL on OOM. */
tl_sig_peer *tl_sig_peer_upsert(tl_sig_state *st, const char *id);
/* Sets (or clears with "") the device name, moving the name index. */
void tl_sig_peer_set_name(tl_sig_state *st, tl_sig_peer *p, const char *name);
/* Removes the peer from every group (groups left empty are deleted) and from
 * the tables; frees it. */
void tl_sig_peer_remove(tl_sig_state *st, tl_sig_peer *p);

tl_sig_group *tl_sig_group_find(tl_sig_state *st, uint32_t id);
/* Creates group id. Returns NULL if it exists or on OOM. */
tl_sig_group *tl_sig_group_create(tl_sig_state *st, uint32_t id,
                                  const uint8_t verifier[TL_SIG_PROOF_LEN], uint32_t max);
int tl_sig_group_is_member(const tl_sig_group *g, const tl_sig_peer *p);
/* TL_SIGE_OK, TL_SIGE_GROUP_FULL or TL_SIGE_TOO_MANY_GROUPS (peer is in too
 * many groups); a member already present is TL_SIGE_OK. */
tl_sig_err tl_sig_group_add(tl_sig_group *g, tl_sig_peer *p);
/* Removes p; deletes the group when it becomes empty. Returns 1 if p was a
 * member. */
int tl_sig_group_remove(tl_sig_state *st, tl_sig_group *g, tl_sig_peer *p);

tl_sig_invite *tl_sig_invite_add(tl_sig_state *st, const char *id, uint32_t group, const char *to,
                                 uint64_t expires_ms);
tl_sig_invite *tl_sig_invite_find(tl_sig_state *st, const char *id, uint64_t now_ms);
void tl_sig_invite_remove(tl_sig_state *st, const char *id);
void tl_sig_invite_expire(tl_sig_state *st, uint64_t now_ms);

#endif
