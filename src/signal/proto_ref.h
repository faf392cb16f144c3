/* Internal, for tests and the fuzz target only: the cJSON reference for the
 * fast relay path of proto.c (the relay text as cJSON prints it, and a
 * comparison of two parsed messages). */
#ifndef TL_SIGNAL_PROTO_REF_H
#define TL_SIGNAL_PROTO_REF_H

#include <string.h>

#include "signal/proto.h"

/* The relay built with cJSON, as the server did before it wrote it
 * directly (cJSON_free). */
static inline char *tl_sig_ref_relay(const tl_sig_msg *m, const char *from)
{
    char g[8];
    tl_sig_group_str(m->group, g);
    cJSON *o = tl_sig_reply(tl_sig_type_name(m->type), 0, 0);
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "group", g);
    cJSON_AddStringToObject(o, "from", from);
    if (m->sdp)
        cJSON_AddStringToObject(o, "sdp", m->sdp);
    if (m->candidate)
        cJSON_AddStringToObject(o, "candidate", m->candidate);
    if (m->mid)
        cJSON_AddStringToObject(o, "mid", m->mid);
    return tl_sig_print_free(o);
}

static inline int tl_sig_ref_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* 1 when a and b carry the same request. */
static inline int tl_sig_ref_msg_eq(const tl_sig_msg *a, const tl_sig_msg *b)
{
    return a->type == b->type && a->has_rid == b->has_rid && a->rid == b->rid &&
           !strcmp(a->name, b->name) && !strcmp(a->peer, b->peer) && !strcmp(a->token, b->token) &&
           a->group == b->group && !strcmp(a->to, b->to) && !strcmp(a->invite, b->invite) &&
           a->has_proof == b->has_proof && !memcmp(a->proof, b->proof, sizeof(a->proof)) &&
           a->max == b->max && tl_sig_ref_str_eq(a->sdp, b->sdp) &&
           tl_sig_ref_str_eq(a->candidate, b->candidate) && tl_sig_ref_str_eq(a->mid, b->mid) &&
           tl_sig_ref_str_eq(a->blob, b->blob);
}

#endif
